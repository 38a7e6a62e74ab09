#!/bin/sh
# The hints of a lesson's exercises, one step at a time (make hint-N).
#
#   scripts/hint.sh EXERCISES_DIR BUILD_DIR [EX] [ALL] [RESET]
#
# EXERCISES_DIR/HINTS.md holds, for each exercise, a heading **exK-what.c**
# followed by numbered steps ("1. ...", continued on indented lines).
#   EX=K      the next hint for exK-*.c, one more each time you ask
#   (no EX)   the next hint for the first exercise that did not pass at the
#             last `make check-N` (the first exercise if check-N never ran)
#   ALL=1     every hint (of exercise K with EX=K) at once
#   RESET=1   forget which hints were shown (of exercise K with EX=K)
# How many hints of each exercise were shown is kept in
# BUILD_DIR/hints/NN-name/exK-what.c (make clean forgets it).
set -eu
dir="$1"; build="$2"; ex="${3:-}"; all="${4:-}"; reset="${5:-}"
lesson=$(basename "$dir")
n=$(echo "$lesson" | sed 's/^0*\([0-9]\)/\1/; s/-.*//')
hints="$dir/HINTS.md"
state="$build/hints/$lesson"
if [ ! -f "$hints" ]; then
    echo "no hints for lesson $n: see 'make help'" >&2
    exit 2
fi

# The exercises, in order: ex1-..., ex2-..., ex10-...
files=$(cd "$dir" && ls ex[0-9]*.c 2>/dev/null | sed 's/^ex\([0-9]*\)-.*/\1 &/' | sort -n | cut -d' ' -f2)
num() { echo "$1" | sed 's/^ex\([0-9]*\)-.*/\1/'; }
choices() {
    printf 'hints for another exercise: make hint-%s EX=K, K being' "$n"
    for f in $files; do printf ' %s (%s)' "$(num "$f")" "$f"; done
    echo
}

# hint_text FILE [K]: hint K of FILE (all of them without K); hint_count FILE
hint_text() {
    awk -v want="**$1**" -v k="${2:-0}" '
        /^\*\*ex[0-9]+-[^*]*\*\*[ \t]*$/ { sub(/[ \t]*$/, ""); cur = $0; i = 0; next }
        cur != want { next }
        /^[0-9]+\. / { i++; if (k == 0 || i == k) print; next }
        /^[ \t]+[^ \t]/ && i > 0 { if (k == 0 || i == k) print; next }
        /^[ \t]*$/ { if (i > 0) cur = "" }
    ' "$hints"
}
hint_count() { hint_text "$1" | grep -c '^[0-9][0-9]*\. ' || true; }

# Did FILE's tests pass at the last check-N, since FILE last changed?
passed() {
    rc="$build/test-logs/tests_exercises_${lesson}_${1%.c}.rc"
    [ -f "$rc" ] && [ "$rc" -nt "$dir/$1" ] && [ "$(cat "$rc")" = 0 ]
}

# ---- which exercise ----
if [ -n "$ex" ]; then
    file=""
    for f in $files; do [ "$(num "$f")" = "$ex" ] && file="$f"; done
    if [ -z "$file" ]; then
        echo "no exercise $ex in lesson $n: EX= takes $(for f in $files; do printf '%s ' "$(num "$f")"; done)" >&2
        exit 2
    fi
elif [ -n "$all" ]; then
    file="" # every exercise
else
    file=""
    for f in $files; do
        if passed "$f"; then
            echo "$f passed at your last make check-$n."
        else
            file="$f"; break
        fi
    done
    if [ -z "$file" ]; then
        echo "Every exercise of lesson $n passed at your last make check-$n."
        choices
        exit 0
    fi
fi

# ---- reset, all ----
if [ -n "$reset" ]; then
    if [ -n "$ex" ]; then rm -f "$state/$file"; else rm -rf "$state"; fi
    echo "hints for lesson $n${ex:+, ex$ex}: forgotten, the next one is hint 1 again"
    exit 0
fi
if [ -n "$all" ]; then
    for f in ${file:-$files}; do
        total=$(hint_count "$f")
        echo "all $total hints for $f:"
        hint_text "$f"
        echo
    done
    exit 0
fi

# ---- the next hint ----
total=$(hint_count "$file")
if [ "$total" -eq 0 ]; then
    echo "no hints for $file in $hints"
    exit 0
fi
seen=0
[ -f "$state/$file" ] && seen=$(cat "$state/$file")
case "$seen" in ''|*[!0-9]*) seen=0 ;; esac
if [ "$seen" -ge "$total" ]; then
    echo "no more hints for $file: you have seen all $total."
    echo "make hint-$n EX=$(num "$file") ALL=1 shows them all again; RESET=1 starts over."
    exit 0
fi
k=$((seen + 1))
if [ "$k" -eq "$total" ]; then
    echo "hint $k of $total for $file (the last one: there are no more):"
else
    echo "hint $k of $total for $file:"
fi
hint_text "$file" "$k"
mkdir -p "$state"
echo "$k" >"$state/$file"
if [ "$k" -lt "$total" ]; then
    echo "(still stuck? make hint-$n EX=$(num "$file") gives hint $((k + 1)))"
fi
[ -z "$ex" ] && choices
exit 0
