#!/bin/sh
# Run cmocka test binaries one after another and add up their results.
#
#   scripts/run-tests.sh BUILD_DIR BINARY...
#
# Each binary's output is shown as it runs, and kept in
# BUILD_DIR/test-logs/NAME.txt (its exit status in NAME.rc, which
# `make hint-N` reads to know which exercises passed).
#
# Every binary has a time limit: MPKIT_TEST_TIMEOUT seconds if set (make's
# TIMEOUT=N sets it), otherwise 20 s for an exercise's or a solution's tests
# and 120 s for the others. A binary that hits it is killed, with everything
# it started, and reported as "timed out after N s".
#
# An exercise that did not compile has no binary but a BINARY.compile-error
# file (the Makefile writes it): the compiler's messages are shown here.
# A binary that did not compile, crashed, timed out or printed no cmocka
# summary counts as one failed test. The run ends with cmocka's summary lines
# for all binaries together, and exits 1 if anything failed.
set -u
build="$1"; shift
log="$build/test-logs"
mkdir -p "$log"
run=0; passed=0; failed=0; broken=""
child=""; tee_pid=""; fifo="$log/.stream.$$"

# Ctrl-C (or a kill) while a binary runs: timeout(1) passes the signal on to
# the binary and everything it started; then stop, as the signal asks.
stop() {
    [ -n "$child" ] && kill -"$1" "$child" 2>/dev/null && wait "$child" 2>/dev/null
    [ -n "$tee_pid" ] && wait "$tee_pid" 2>/dev/null
    rm -f "$fifo"
    trap - "$1"
    kill -"$1" $$
}
trap 'stop INT' INT
trap 'stop TERM' TERM
trap 'stop HUP' HUP

# The student's file a test binary links: BUILD/tests/exercises/NN/exK is
# exercises/NN/exK.c, BUILD/tests/solutions/NN/exK is solutions/NN/exK.c.
student_file() {
    case "$1" in
        "$build"/tests/exercises/*) echo "exercises/${1#"$build"/tests/exercises/}.c" ;;
        "$build"/tests/solutions/*) echo "solutions/${1#"$build"/tests/solutions/}.c" ;;
        *) echo "" ;;
    esac
}

fail_one() { # binary, reason: count it as one failed test
    echo "---- $1 $2: counted as 1 failed test"
    run=$((run + 1)); failed=$((failed + 1)); broken="$broken $1"
}

for bin in "$@"; do
    name=$(echo "$bin" | sed "s|^$build/||; s|/|_|g")
    file=$(student_file "$bin")
    if [ -n "$file" ]; then
        limit="${MPKIT_TEST_TIMEOUT:-20}"
        echo "---- $bin (tests $file)"
    else
        limit="${MPKIT_TEST_TIMEOUT:-120}"
        echo "---- $bin"
    fi
    rm -f "$log/$name.rc"
    if [ ! -x "$bin" ] && [ -f "$bin.compile-error" ]; then
        cat "$bin.compile-error"
        cp "$bin.compile-error" "$log/$name.txt"
        echo compile >"$log/$name.rc"
        fail_one "$bin" "did not compile (${file:-its sources}: the compiler's messages are above)"
        continue
    fi
    if [ ! -x "$bin" ]; then
        echo "not built" >"$log/$name.txt"
        echo missing >"$log/$name.rc"
        fail_one "$bin" "was not built"
        continue
    fi

    # Stream the output (tee) while keeping it; timeout(1) runs the binary
    # in a process group of its own and kills the whole group at the limit.
    rm -f "$fifo"
    mkfifo "$fifo" || exit 1
    tee "$log/$name.txt" <"$fifo" &
    tee_pid=$!
    t0=$(date +%s)
    timeout --kill-after=5 "$limit" "$bin" >"$fifo" 2>&1 &
    child=$!
    wait "$child"
    rc=$?
    # A process the binary left running would keep the stream open: it is
    # in timeout's process group, whose ID is $child.
    if kill -KILL -- "-$child" 2>/dev/null; then
        echo "---- $bin left processes running: killed"
    fi
    child=""
    wait "$tee_pid"
    tee_pid=""
    rm -f "$fifo"
    echo "$rc" >"$log/$name.rc"

    # 124: timeout's SIGTERM ended it; 137: SIGKILL, 5 s after that one
    if [ "$rc" -eq 124 ] || { [ "$rc" -eq 137 ] && [ $(($(date +%s) - t0)) -ge "$limit" ]; }; then
        if [ -n "$file" ]; then
            echo "timed out after $limit s: an infinite loop or a deadlock in $file?"
        else
            echo "timed out after $limit s"
        fi
        fail_one "$bin" "timed out after $limit s (set a longer limit with TIMEOUT=N)"
        continue
    fi
    r=$(sed -n 's/^\[==========\] \([0-9]*\) test(s) run\./\1/p' "$log/$name.txt" | tail -1)
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$log/$name.txt" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "$log/$name.txt" | tail -1)
    if [ -z "$r" ]; then
        fail_one "$bin" "ended with status $rc and no cmocka summary"
        continue
    fi
    run=$((run + r)); passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
    if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
        echo "---- $bin exited with status $rc: counted as 1 failed test"
        failed=$((failed + 1)); broken="$broken $bin"
    elif [ -n "$f" ]; then
        broken="$broken $bin"
    fi
done

echo
echo "==== all test binaries together ($# binaries; logs in $log/)"
[ -n "$broken" ] && echo "failing:$broken"
echo "[==========] $run test(s) run."
echo "[  PASSED  ] $passed test(s)."
if [ "$failed" -ne 0 ]; then
    echo "[  FAILED  ] $failed test(s)."
    exit 1
fi
exit 0
