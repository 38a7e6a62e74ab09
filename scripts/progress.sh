#!/bin/bash
# make progress: every lesson's exercises, each one done, failing or
# untouched, and one line saying what to do next.
#
#   scripts/progress.sh BUILD_DIR
#
#   untouched  the file is as shipped (tests/exercises/SHIPPED.sha256). Its
#              tests fail (make test proves that of every shipped exercise),
#              so they are not run.
#   done       its tests passed; failing: they did not, or it did not
#              compile, or it timed out.
#   missing    the file is not there (it has tests: it was deleted).
# The result is the one of the last make check-N, kept by scripts/run-tests.sh
# in BUILD_DIR/test-logs/NAME.rc, when that is newer than the file and its
# tests. An exercise changed since (or never checked) is tested now, all of
# those in one quiet run, so that progress is always up to date yet runs
# only what changed. In a handout, "done" means the public tests pass, and
# tests/exercises/WITHHELD says how many more run at grading.
set -u
if [ "$#" -ne 1 ]; then echo "usage: scripts/progress.sh BUILD_DIR" >&2; exit 2; fi
build="$1"
make="${MAKE:-make}"
manifest=tests/exercises/SHIPPED.sha256
withheld=tests/exercises/WITHHELD
log="$build/test-logs"

# Lessons with exercises, and each one's exercises in order (ex1, ex2, ex10):
# the ones that have tests, so that a file the student deleted (or a whole
# lesson's folder) is listed as missing rather than left out unseen
lessons=""
for d in tests/exercises/[0-9][0-9]-*/; do
    lessons="$lessons $(basename "$d")"
done
exercises_of() {
    (cd "tests/exercises/$1" && ls ex[0-9]*.c 2>/dev/null) | grep -v '\.instructor\.c$' |
        sed 's/^ex\([0-9]*\)-.*/\1 &/' | sort -n | cut -d' ' -f2
}
num_of_lesson() { echo "$1" | sed 's/^0*\([0-9]\)/\1/; s/-.*//'; }
num_of_ex() { echo "$1" | sed 's/^ex\([0-9]*\)-.*/\1/'; }

# The files as shipped: "exercises/NN-name/exK-what.c" per line
untouched=""
if [ -f "$manifest" ]; then
    untouched=$(sha256sum exercises/*/ex*.c 2>/dev/null |
        awk 'NR == FNR { shipped[$2] = $1; next } shipped[$2] == $1 { print $2 }' "$manifest" -)
fi
is_untouched() { printf '%s\n' "$untouched" | grep -qxF "$1"; }

# exercises/NN/exK.c -> its result file, as run-tests.sh names it
rc_file() { local n=${1#exercises/}; n=${n%.c}; echo "$log/tests_exercises_${n//\//_}.rc"; }
bin_of() { local n=${1#exercises/}; echo "$build/tests/exercises/${n%.c}"; }

# Is the last result newer than the file and everything its tests are made of?
fresh() {
    local rc n src
    rc=$(rc_file "$1"); n=${1#exercises/}; n=${n%.c}
    [ -f "$rc" ] || return 1
    for src in "$1" "tests/exercises/$n.c" "tests/exercises/$n.h" "tests/exercises/$n.instructor.c"; do
        [ -e "$src" ] && ! [ "$rc" -nt "$src" ] && return 1
    done
    return 0
}

# ---- test what changed since its last result ----
stale=""
for lesson in $lessons; do
    for f in $(exercises_of "$lesson"); do
        file="exercises/$lesson/$f"
        [ -f "$file" ] || continue
        is_untouched "$file" || fresh "$file" || stale="$stale $file"
    done
done
if [ -n "$stale" ]; then
    bins=""; for file in $stale; do bins="$bins $(bin_of "$file")"; done
    echo "testing what changed since its last check:$(for file in $stale; do printf ' %s' "${file#exercises/}"; done)"
    mkdir -p "$log"
    # Compile errors are results (the Makefile keeps them for run-tests.sh),
    # not reasons to stop; the output of both is in the logs.
    $make --no-print-directory -s -k BUILD="$build" $bins >"$log/progress-build.txt" 2>&1
    scripts/run-tests.sh "$build" $bins >"$log/progress-run.txt" 2>&1
    echo
fi

# ---- the table ----
# what_happened FILE: why a failing exercise fails, from its result and log
what_happened() {
    local rc txt run failed
    rc=$(cat "$(rc_file "$1")" 2>/dev/null)
    txt=$(rc_file "$1"); txt="${txt%.rc}.txt"
    case "$rc" in
        compile) echo "does not compile"; return ;;
        missing|"") echo "was not built (make check-N shows why)"; return ;;
    esac
    if grep -q "^timed out after" "$txt" 2>/dev/null; then
        echo "timed out: an infinite loop or a deadlock?"; return
    fi
    run=$(sed -n 's/^\[==========\] \([0-9]*\) test(s) run\./\1/p' "$txt" 2>/dev/null | tail -1)
    failed=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "$txt" 2>/dev/null | tail -1)
    if [ -n "$run" ] && [ -n "$failed" ]; then
        echo "$failed of $run tests failed"
    else
        echo "its tests ended with status $rc"
    fi
}
withheld_of() { [ -f "$withheld" ] && awk -v want="$1" '$1 == want { print $2 }' "$withheld"; }

n_done=0; n_failing=0; n_untouched=0; n_missing=0; next=""; next_state=""; later=0
for lesson in $lessons; do
    n=$(num_of_lesson "$lesson")
    echo "$lesson (make check-$n)"
    for f in $(exercises_of "$lesson"); do
        file="exercises/$lesson/$f"
        if [ ! -f "$file" ]; then
            state=missing; why="deleted? the handout archive has it: mpkit/$file"
            n_missing=$((n_missing + 1))
        elif is_untouched "$file"; then
            state=untouched; why=""; n_untouched=$((n_untouched + 1))
        elif [ "$(cat "$(rc_file "$file")" 2>/dev/null)" = 0 ]; then
            state="done"; why=""; n_done=$((n_done + 1))
            w=$(withheld_of "$lesson/${f%.c}")
            if [ -n "$w" ]; then why="the public tests; $w more at grading"; later=$((later + w)); fi
        else
            state=failing; why=$(what_happened "$file"); n_failing=$((n_failing + 1))
        fi
        if [ -n "$why" ]; then printf '  %-10s %-24s %s\n' "$state" "$f" "$why"; else printf '  %-10s %s\n' "$state" "$f"; fi
        if [ -z "$next" ] && [ "$state" != "done" ]; then
            next="$file"; next_state="$state${why:+: $why}"
            next_cmd="make check-$n EX=$(num_of_ex "$f")"; next_hint="make hint-$n EX=$(num_of_ex "$f")"
            next_watch="make watch-$n EX=$(num_of_ex "$f")"
        fi
    done
done
total=$((n_done + n_failing + n_untouched + n_missing))
echo
echo "$total exercises: $n_done done, $n_failing failing, $n_untouched untouched$([ "$n_missing" -gt 0 ] && echo ", $n_missing missing")"
if [ "${next_state%%:*}" = missing ]; then
    echo "next: put $next back (the handout archive has it: mpkit/$next), then $next_cmd"
elif [ -n "$next" ]; then
    echo "next: $next ($next_state) -- test it: $next_cmd (or $next_watch, again at every save); stuck? $next_hint"
else
    if [ "$later" -gt 0 ]; then later=" ($later more tests run at grading)"; else later=""; fi
    echo "next: nothing left, every exercise passes its tests$later"
fi
exit 0
