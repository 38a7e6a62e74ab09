#!/bin/bash
# Grade a class: every student's exercises, each in isolation, within limits.
#
#   scripts/grade.sh [--check] SUBMISSIONS_DIR OUT_DIR BUILD_DIR   (make grade runs it)
#
# --check: only check the folder and the variables below, and say what is
# wrong in one line on stderr (status 2); make grade does it before it
# builds anything.
#
# Each subfolder of SUBMISSIONS_DIR, or each archive in it (.tar.gz, .tgz;
# .zip when unzip is installed), is one student's exercises folder: what they
# were handed as exercises/, with NN-name/exK-what.c inside (directly, or in
# an exercises/ folder or a single folder of the archive). The student's name
# is the folder's or archive's name.
#
# For each student:
#   1. a fresh copy of their exercise files (regular files only: no links)
#      in a scratch folder in /tmp, with a build folder of its own; an
#      archive is checked first (no absolute path, no "..", nothing but files
#      and folders, at most GRADE_ARCHIVE_MIB MiB) and unpacked by the
#      sandbox, as the sandbox's uid;
#   2. the tests built by the Makefile's own rules (make EXERCISES=the copy
#      BUILD=its build folder), against the runtime already built in
#      BUILD_DIR, shared read-only -- all inside the sandbox, since compiling
#      is running code of theirs too (#include "/dev/zero" never ends), and
#      in a copy of the kit made once (without solutions/);
#   3. each exercise's test binary run by the sandbox
#      (tools/grade-sandbox.c) with the limits below.
# The copy and its build folder are removed afterwards; the logs stay in
# OUT_DIR/logs/NAME/.
#
# Limits (environment, whole numbers; make grade passes its variables):
#   GRADE_TIME=20      wall seconds for one exercise's tests
#   GRADE_CPU=20       CPU seconds for each of its processes
#   GRADE_MEM=1024     MiB of address space for each process (as root,
#                      also the size of its own /dev/shm)
#   GRADE_PROCS=256    processes and threads at once
#   GRADE_OUTPUT=1048576  bytes it may print
#   GRADE_COMPILE_TIME=120  wall seconds to compile one student's files
#   GRADE_UID=64000    as root: the uid the student's code runs as (one with
#                      no account: the sandbox checks)
#   LESSONS="1 5"      only these lessons' exercises (default: every lesson)
#
# The status of each exercise:
#   passed         all its tests passed
#   failed         some failed (cmocka's summary says which), or a crash that
#                  cmocka caught and reported as a failed test
#   compile-error  the student's file did not compile (or compiling ran out
#                  of time)
#   timeout        the tests did not end within GRADE_TIME s, or a process
#                  used GRADE_CPU s of CPU
#   crashed        the test binary died outside cmocka's reporting: killed by
#                  a signal (SIGSEGV from a stack overflow), ended without
#                  cmocka's summary, printed more than GRADE_OUTPUT bytes, or
#                  reached GRADE_PROCS processes (a fork bomb)
#   missing        the submission has no such file
#   untouched      the file is the exercise as handed out (it matches
#                  tests/exercises/SHIPPED.sha256): not built, not run, 0
#                  points (an exercise's tests may pass in part as shipped)
#
# Output, in OUT_DIR:
#   grades.csv           student,lesson,exercise,status,passed,total,seconds
#   students/NAME.md     a table per student, the first compiler error, the
#                        failing tests' names
#   results/NAME.json    Gradescope's autograder results.json for NAME
#   logs/NAME/           each exercise's output and the compiler's
# Exit status: 0 when every submission was graded (whatever the grades),
# 2 for bad input, 1 when the grading itself failed. A grading cut short
# (Ctrl-C, an error) leaves OUT_DIR/INCOMPLETE saying how far it got: the
# grades there are only the students graded before it.
set -u
# C: cmocka's lines are found in logs that may hold any bytes (in UTF-8, sed's
# .* stops at an invalid one); names and messages in plain ASCII
export LC_ALL=C
umask 022 # the sandbox's uid must be able to read the copies' folders
check_only=""
[ "${1:-}" = --check ] && { check_only=1; shift; }
if [ "$#" -ne 3 ]; then
    echo "usage: scripts/grade.sh [--check] SUBMISSIONS_DIR OUT_DIR BUILD_DIR (or: make grade SUBMISSIONS=DIR)" >&2
    exit 2
fi
subs="$1"; out="$2"; build="$3"
root=$(pwd)
sandbox="$build/tools/grade-sandbox"

bad() { echo "make grade: $*" >&2; exit 2; }
# whole_number NAME DEFAULT MIN: the variable's value, checked
whole_number() {
    local v="${!1:-}"
    [ -z "$v" ] && v="$2"
    case "$v" in ''|*[!0-9]*) bad "$1 must be a whole number, not '$v'" ;; esac
    [ "$v" -ge "$3" ] || bad "$1 must be at least $3, not $v"
    echo "$v"
}
time_limit=$(whole_number GRADE_TIME 20 1) || exit 2
cpu_limit=$(whole_number GRADE_CPU "$time_limit" 1) || exit 2
mem_limit=$(whole_number GRADE_MEM 1024 64) || exit 2
procs_limit=$(whole_number GRADE_PROCS 256 8) || exit 2
output_limit=$(whole_number GRADE_OUTPUT 1048576 4096) || exit 2
compile_limit=$(whole_number GRADE_COMPILE_TIME 120 5) || exit 2
archive_mib=$(whole_number GRADE_ARCHIVE_MIB 16 1) || exit 2
[ -d "$subs" ] || bad "SUBMISSIONS=$subs is not a folder"
# an absolute path: the copies' build folders are given to make, run from here
case "$out" in /*) ;; *) out="$root/$out" ;; esac
# the grades inside the class: the next run would grade them as a student,
# and the old grades' folders (logs/, students/) are removed first
case "$(realpath -m "$out")/" in
    "$(realpath "$subs")"/*) bad "GRADE_OUT=$2 is inside SUBMISSIONS=$subs: put the grades elsewhere" ;;
esac

# As root the student's code runs as GRADE_UID (RLIMIT_NPROC does not bind
# root), with a /dev/shm of its own of GRADE_MEM MiB (memory no process
# limit bounds: tools/grade-sandbox.c); otherwise as you.
as_uid=()
uid=""
if [ "$(id -u)" -eq 0 ]; then
    uid=$(whole_number GRADE_UID 64000 1) || exit 2
    as_uid=(--uid "$uid" --shm-mib "$mem_limit")
fi

# The exercises to grade: what the Makefile builds as their tests, as
# "lesson/exercise" (01-hello/ex1-exitcode), kept to LESSONS if given.
all=$(make --no-print-directory -s grade-list | sed -n 's|^tests/exercises/\(.*\)\.c$|\1|p')
[ -n "$all" ] || { echo "make grade: the Makefile lists no exercise tests" >&2; exit 1; }
exercises=""
if [ -n "${LESSONS:-}" ]; then
    for n in $LESSONS; do
        case "$n" in ''|*[!0-9]*) bad "LESSONS takes lesson numbers (LESSONS=\"1 5\"), not '$n'" ;; esac
        these=$(echo "$all" | grep "^$(printf %02d "$((10#$n))")-" || true)
        [ -n "$these" ] || bad "no exercises for lesson $n in LESSONS"
        exercises="$exercises $these"
    done
else
    exercises="$all"
fi
# shellcheck disable=SC2086 # split on purpose: one a line (no name has a space)
exercises=$(printf "%s\n" $exercises | sort -u)
[ -n "$check_only" ] && exit 0
[ -x "$sandbox" ] || { echo "make grade: $sandbox is not built (make grade builds it)" >&2; exit 1; }

# ---- a student's files: a fresh copy ----

# The folder holding NN-name/ folders: dir itself, its exercises/, or its
# only folder (an archive of the folder rather than of its contents), not
# counting what macOS adds to an archive (__MACOSX/, .DS_Store).
exercises_root() {
    local d="$1" depth=0 n only e
    while [ "$depth" -lt 3 ]; do
        if compgen -G "$d/[0-9][0-9]-*/" >/dev/null; then echo "$d"; return; fi
        if [ -d "$d/exercises" ] && [ ! -L "$d/exercises" ]; then d="$d/exercises"
        else
            n=0; only=""
            for e in "$d"/* "$d"/.[!.]* "$d"/..?*; do # every entry, dot files too
                [ -e "$e" ] || [ -L "$e" ] || continue
                case "${e##*/}" in __MACOSX|.DS_Store) continue ;; esac
                n=$((n + 1)); only="$e"
            done
            if [ "$n" -ne 1 ] || [ ! -d "$only" ] || [ -L "$only" ]; then
                echo "$d"; return
            fi
            d="$only"
        fi
        depth=$((depth + 1))
    done
    echo "$d"
}

# check_archive FILE KIND: one line saying what is wrong with it, or nothing.
# Only files and folders, no absolute path, no "..", at most archive_mib MiB.
check_archive() {
    local names listing
    if [ "$2" = zip ]; then
        names=$(timeout 60 unzip -Z1 "$1" 2>&1) || { echo "unzip cannot read it"; return; }
        listing=$(timeout 60 unzip -Z "$1" 2>/dev/null | grep -E '^[-dlbcps?][-rwxsStT]{9}')
        # zipinfo: permissions, version, os, size, ...
        echo "$listing" | grep -q '^[^-d]' && { echo "it holds links or special files"; return; }
        size=$(echo "$listing" | awk '{ s += $4 } END { print s + 0 }')
    else
        # (tar finds the compression itself: a plain tar named .tgz is read too)
        names=$(timeout 60 tar -tf "$1" 2>&1) || { echo "tar cannot read it: $(echo "$names" | tail -1)"; return; }
        listing=$(timeout 60 tar -tvf "$1" 2>/dev/null)
        echo "$listing" | grep -q '^[^-d]' && { echo "it holds links or special files"; return; }
        size=$(echo "$listing" | awk '{ s += $3 } END { print s + 0 }')
    fi
    echo "$names" | grep -qE '^/|(^|/)\.\.(/|$)' && { echo "a path in it is absolute or has '..'"; return; }
    [ "$size" -le $((archive_mib * 1048576)) ] || echo "it unpacks to more than $archive_mib MiB"
}

# unpack FILE KIND DIR: as the sandbox's uid, within limits (a copy of the
# archive it can read; it writes only into DIR).
unpack() {
    local copy="$work/archive" file_mib="$archive_mib"
    cp "$1" "$copy" && mkdir -p "$3" && own "$work" || return 1
    if [ "$2" = zip ]; then
        run_sandboxed 60 65536 "$work/unpack.log" "$3" unzip -q "$copy" -d "$3"
    else
        run_sandboxed 60 65536 "$work/unpack.log" "$3" tar -xf "$copy" --no-same-owner --no-same-permissions
    fi
    rm -f "$copy"
    [ "$(field result "$r")" = exited ] && [ "$(field code "$r")" = 0 ]
}

own() { [ -z "$uid" ] || chown -R "$uid:$uid" "$@"; }

# run_sandboxed WALL OUTPUT LOG DIR PROGRAM...: the sandbox's result line
# in $r (result=... code=...); a sandbox that fails stops the grading. No
# file it writes may be over $file_mib MiB.
file_mib=1024
run_sandboxed() {
    local wall="$1" output="$2" log="$3" dir="$4"
    shift 4
    r=$("$sandbox" "${as_uid[@]}" --wall "$wall" --cpu "$cpu_limit" --mem "$mem_limit" --procs "$procs_limit" \
        --output "$output" --file-mib "$file_mib" --log "$log" --dir "$dir" -- "$@")
    local rc=$?
    [ "$rc" -gt 128 ] && stop "$rc" # it was stopped (Ctrl-C) after killing what it ran
    if [ "$rc" -ne 0 ]; then
        echo "make grade: the sandbox failed (above); grading stopped" >&2
        stop 1
    fi
}
# field KEY "result=... code=...": the value of KEY
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# ---- one exercise's result ----

# cmocka's lines in a test binary's log (the ones scripts/run-tests.sh reads).
# Each is looked for anywhere in a line, not only at its start: the student's
# code prints into the same output, and a printf("%d", x) with no newline
# puts cmocka's next line after it ("42[       OK ] test_x"). (It could also
# print cmocka's lines itself: the README says so.)
cmocka_total() { sed -n 's/.*\[==========\] Running \([0-9]*\) test(s)\./\1/p' "$1" | tail -1; }
cmocka_ran() { sed -n 's/.*\[==========\] \([0-9]*\) test(s) run\./\1/p' "$1" | tail -1; }
cmocka_ok() { grep -c '\[       OK \] ' "$1"; }
# the failing tests' names; and the one running when the binary was stopped
cmocka_failed() { sed -n 's/.*\[  FAILED  \] \([^ ]*\)$/\1/p' "$1" | sort -u | tr '\n' ' ' | sed 's/ $//'; }
cmocka_running() {
    awk '/\[ RUN      \] / { t = substr($0, index($0, "[ RUN      ] ") + 13) }
         /\[       OK \] |\[  FAILED  \] [^ ]+$/ { t = "" } END { print t }' "$1"
}

# grade_one EXERCISE: sets status passed total seconds note failing
grade_one() {
    local ex="$1" bin="$work/build/tests/exercises/$1" log="$logs/${1//\//_}.txt" res
    passed=0; total=0; seconds=0; note=""; failing=""
    if [ ! -f "$work/exercises/$ex.c" ]; then
        status=missing; note="no $ex.c in the submission"
        return
    fi
    if [ -n "${untouched[$ex]:-}" ]; then
        status=untouched; note="the file as handed out (tests/exercises/SHIPPED.sha256): not run, 0 points"
        return
    fi
    if [ ! -x "$bin" ]; then
        status=compile-error
        if [ -f "$bin.compile-error" ]; then
            cp "$bin.compile-error" "$log"
            note=$(grep -m1 -E 'error|undefined reference' "$bin.compile-error" | sed "s|$work/||g")
            [ -n "$note" ] || note=$(head -1 "$bin.compile-error")
        else
            note="not built: $compile_note"
        fi
        return
    fi
    run_sandboxed "$time_limit" "$output_limit" "$log" "$kit" "$bin"
    res=$(field result "$r"); seconds=$(field seconds "$r")
    total=$(cmocka_total "$log"); total=${total:-0}
    passed=$(cmocka_ok "$log")
    failing=$(cmocka_failed "$log")
    local running
    running=$(cmocka_running "$log")
    case "$res" in
        timeout) status=timeout; note="still running after $time_limit s${running:+ (in $running)}" ;;
        cpu-limit) status=timeout; note="used $cpu_limit s of CPU${running:+ (in $running)}" ;;
        output-limit) status=crashed; note="printed more than $output_limit bytes: stopped${running:+ (in $running)}" ;;
        process-limit) status=crashed; note="reached $procs_limit processes and threads (a fork bomb?): stopped${running:+ (in $running)}" ;;
        signaled) status=crashed; note="killed by $(field signal "$r")${running:+ in $running}" ;;
        exited)
            local code ran
            code=$(field code "$r"); ran=$(cmocka_ran "$log")
            if [ -z "$ran" ]; then
                status=crashed; note="ended with status $code before cmocka's summary${running:+ (in $running)}"
            elif [ "$code" -eq 0 ] && [ "$passed" -eq "$total" ] && [ -z "$failing" ]; then
                status=passed
            elif [ "$passed" -eq "$total" ] && [ -z "$failing" ]; then
                status=failed; note="every test passed, but the binary exited with status $code"
            else
                status=failed; note="$((total - passed)) of $total tests failed"
            fi ;;
        *) echo "make grade: the sandbox said '$r'" >&2; stop 1 ;;
    esac
    [ "$(field left "$r")" != 0 ] && note="$note; left $(field left "$r") processes running (killed)"
    [ "$(field cleaned "$r")" != 0 ] && note="$note; left $(field cleaned "$r") files in /tmp or /dev/shm (removed)"
    note="${note#; }"
}

# ---- the three reports ----

# Text for JSON and Markdown: printable ASCII, tabs and newlines only
# (compiler messages may quote bytes of any encoding).
ascii() { LC_ALL=C tr -cd '\11\12\40-\176'; }
json_string() {
    local s
    s=$(printf '%s' "$1" | ascii)
    s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\t'/\\t}; s=${s//$'\n'/\\n}
    printf '"%s"' "$s"
}
md_cell() { printf '%s' "$1" | ascii | tr '\n' ' ' | sed 's/|/\\|/g'; }

# ---- the run ----

rm -rf "$out/students" "$out/results" "$out/logs" "$out/grades.csv" "$out/INCOMPLETE"
mkdir -p "$out/students" "$out/results" "$out/logs" || exit 1
csv="$out/grades.csv"
echo "student,lesson,exercise,status,passed,total,seconds" >"$csv"

# The scratch folder, in /tmp (or $TMPDIR): what the students' code may see. The kit is
# a copy of what the tests are built from (the Makefile, mk/, lib/, tests/,
# scripts/ and the runtime built in $build), never solutions/ nor lessons/,
# and readable by the sandbox's uid wherever the kit itself lives (a clone
# in /root is not). Each student's copy goes in work/NAME. The grades and
# logs are written by root (the sandbox opens the logs) into OUT_DIR.
work=""
# A grading killed with SIGKILL (a test runner's time limit) cannot remove
# its scratch folder: the next one does, if it is ours and its grading.pid
# names no running process (a grading that still runs keeps its own).
for old in "${TMPDIR:-/tmp}"/mpkit-grade-*; do
    if [ -d "$old" ] && [ ! -L "$old" ] && [ -O "$old" ] && [ -f "$old/grading.pid" ] &&
        ! kill -0 "$(cat "$old/grading.pid")" 2>/dev/null; then
        rm -rf "$old"
    fi
done
scratch=$(mktemp -d "${TMPDIR:-/tmp}/mpkit-grade-XXXXXX") || exit 1
echo $$ >"$scratch/grading.pid"
# Ctrl-C: the sandbox kills what it runs; the scratch folder goes too, and
# OUT_DIR/INCOMPLETE says the grades there are not the whole class.
graded=0
stop() {
    rm -rf "$scratch"
    local why="an error"
    [ "$1" = 130 ] && why="Ctrl-C"
    [ "$1" = 143 ] && why="SIGTERM"
    echo "grading stopped by $why after $graded submission(s): $out holds only those (no other student was graded)" \
        >"$out/INCOMPLETE"
    echo "grade: $(cat "$out/INCOMPLETE")" >&2
    exit "$1"
}
trap 'stop 130' INT
trap 'stop 143' TERM
kit="$scratch/kit"
if ! { mkdir -p "$kit/runtime" "$scratch/work" && cp -r Makefile mk lib tests scripts "$kit/" &&
    cp "$build/libmp.a" "$kit/runtime/" && chmod -R a+rX "$scratch"; }; then
    stop 1
fi
# What the students' code could read and should not (README): said once,
# before the first student. As root, asked of the students' uid itself.
if [ -n "$uid" ]; then
    for secret in "$root/solutions" "$subs"; do
        run_sandboxed 10 4096 /dev/null / test -r "$secret" -a -x "$secret"
        if [ "$(field code "$r")" = 0 ]; then
            echo "grade: warning: uid $uid can read $secret: a submission can #include what is in it" \
                "(chmod o-rx it while you grade)" >&2
        fi
    done
else
    echo "grade: warning: not root, so the students' code runs as you: it can signal your processes" \
        "and change your files (README: grade an untrusted class as root)" >&2
fi
have_unzip=$(command -v unzip || true)
declare -A seen
# The exercises as handed out, by path: a file that is still one of them is
# untouched, not graded (its tests may pass in part as shipped).
declare -A shipped
while read -r sum path; do
    shipped[$path]=$sum
done <"$root/tests/exercises/SHIPPED.sha256"


for entry in "$subs"/*; do
    [ -e "$entry" ] || continue
    base=$(basename "$entry")
    source_note=""
    if [ -d "$entry" ]; then # a folder, whatever its name ends with (alice.tgz/)
        kind=dir; name=$base
    else
        case "$base" in
            *.tar.gz) kind=tar; name=${base%.tar.gz} ;;
            *.tgz) kind=tar; name=${base%.tgz} ;;
            *.zip) kind=zip; name=${base%.zip} ;;
            *) echo "grade: $entry is not a folder or a .tar.gz/.tgz/.zip archive: skipped" >&2; continue ;;
        esac
    fi
    # names safe in a CSV, a file name and Markdown; two alike get -2, -3
    name=$(printf '%s' "$name" | LC_ALL=C tr -c 'A-Za-z0-9._-' '_')
    if [ -n "${seen[$name]:-}" ]; then
        i=2; while [ -n "${seen[$name-$i]:-}" ]; do i=$((i + 1)); done; name="$name-$i"
    fi
    seen[$name]=1
    work="$scratch/work/$name"; logs="$out/logs/$name"
    mkdir -p "$work/exercises" "$work/build" "$logs"
    # the stamp that says cmocka is installed: make grade has checked it
    touch "$work/build/.cmocka"

    from="$entry"
    if [ "$kind" != dir ]; then
        problem=""
        if [ "$kind" = zip ] && [ -z "$have_unzip" ]; then
            problem="a .zip, and unzip is not installed (apt-get install unzip)"
        else
            problem=$(check_archive "$entry" "$kind")
            if [ -z "$problem" ]; then
                unpack "$entry" "$kind" "$work/unpacked" || problem="it did not unpack: $(tail -1 "$work/unpack.log")"
            fi
        fi
        if [ -n "$problem" ]; then
            source_note="archive $base rejected: $problem"; from=""
            echo "grade: $name: $source_note" >&2
        else
            from="$work/unpacked"
        fi
    fi
    # the copy: regular files only, found without following links
    declare -A untouched=()
    if [ -n "$from" ]; then
        from=$(exercises_root "$from")
        for ex in $exercises; do
            f="$from/$ex.c"
            if [ -f "$f" ] && [ ! -L "$f" ] && [ ! -L "$(dirname "$f")" ]; then
                mkdir -p "$work/exercises/$(dirname "$ex")"
                cat "$f" >"$work/exercises/$ex.c"
                sum=$(sha256sum "$work/exercises/$ex.c" | cut -d' ' -f1)
                [ "$sum" = "${shipped[exercises/$ex.c]:-}" ] && untouched[$ex]=1
            fi
        done
        rm -rf "$work/unpacked"
    fi
    own "$work"

    # compile what is there, all at once, in the sandbox (make -k: one file
    # that does not compile stops nothing; the Makefile keeps its errors)
    bins=()
    for ex in $exercises; do
        [ -f "$work/exercises/$ex.c" ] && [ -z "${untouched[$ex]:-}" ] && bins+=("$work/build/tests/exercises/$ex")
    done
    compile_note=""
    if [ "${#bins[@]}" -gt 0 ]; then
        # LIBMP: the runtime built once (LIB_OBJ empty: make does not look
        # at its objects, nor try to rebuild it as this uid)
        run_sandboxed "$compile_limit" $((4 * 1048576)) "$logs/compile.txt" "$kit" \
            make --no-print-directory -k BUILD="$work/build" EXERCISES="$work/exercises" \
            LIBMP="$kit/runtime/libmp.a" LIB_OBJ= "${bins[@]}"
        case "$(field result "$r")" in
            exited) compile_note="make failed (see logs/$name/compile.txt)" ;;
            timeout) compile_note="compiling took longer than $compile_limit s" ;;
            *) compile_note="compiling stopped: $r" ;;
        esac
    fi

    md="$out/students/$name.md"
    {
        echo "# $name"
        echo
        echo "From: ${base}${source_note:+ -- $source_note}"
        echo
        echo "| lesson | exercise | status | tests passed | seconds | note |"
        echo "|---|---|---|---|---|---|"
    } >"$md"
    json_tests=""; score=0; max=0; first_error=""; failing_md=""; n_passed=0; n_ex=0
    for ex in $exercises; do
        grade_one "$ex"
        lesson=${ex%%/*}; exname=${ex#*/}
        echo "$name,$lesson,$exname,$status,$passed,$total,$seconds" >>"$csv"
        echo "| $lesson | $exname | $status | $passed of $total | $seconds | $(md_cell "$note") |" >>"$md"
        [ "$status" = compile-error ] && [ -z "$first_error" ] && first_error="$note"
        [ -n "$failing" ] && failing_md="$failing_md- $ex: $failing"$'\n'
        # Gradescope: each exercise is worth 1 point, the share of its tests passed
        local_score=0
        [ "$total" -gt 0 ] && local_score=$(awk -v p="$passed" -v t="$total" 'BEGIN { printf "%.4g", p / t }')
        [ "$status" = passed ] && local_score=1
        score=$(awk -v a="$score" -v b="$local_score" 'BEGIN { printf "%.4g", a + b }')
        max=$((max + 1)); n_ex=$((n_ex + 1))
        [ "$status" = passed ] && n_passed=$((n_passed + 1))
        gs_status=failed; [ "$status" = passed ] && gs_status=passed
        output="$status: $passed of $total tests passed${note:+. $note}${failing:+. Failing: $failing}"
        json_tests="$json_tests${json_tests:+,}
    {\"name\": $(json_string "$ex"), \"score\": $local_score, \"max_score\": 1, \"status\": \"$gs_status\", \"output\": $(json_string "$output")}"
    done
    {
        echo
        echo "$n_passed of $n_ex exercises passed; score $score of $max (each exercise: the share of its tests passed)."
        echo
        echo "## First compiler error"
        echo
        if [ -n "$first_error" ]; then echo '```'; printf '%s\n' "$first_error" | ascii; echo '```'
        else echo "none"; fi
        echo
        echo "## Failing tests"
        echo
        if [ -n "$failing_md" ]; then printf '%s' "$failing_md" | ascii; else echo "none"; fi
    } >>"$md"
    printf '{\n  "score": %s,\n  "output": %s,\n  "tests": [%s\n  ]\n}\n' "$score" \
        "$(json_string "$name: $n_passed of $n_ex exercises passed${source_note:+. $source_note}")" \
        "$json_tests" >"$out/results/$name.json"
    rm -rf "$work"
    work=""
    graded=$((graded + 1))
    echo "graded $name: $n_passed of $n_ex exercises passed (score $score of $max)"
done
rm -rf "$scratch"
echo "$graded submissions graded: $csv, $out/students/*.md, $out/results/*.json (Gradescope), logs in $out/logs/"
