#!/bin/bash
# Run cmocka test binaries and add up their results.
#
#   scripts/run-tests.sh BUILD_DIR BINARY...
#
# Binaries run two at a time (MPKIT_TEST_JOBS=N: N at a time; make's JOBS=N
# sets it; 1: one after another). One at a time, each binary's output is
# shown as it runs; side by side, each binary's output is shown whole when
# it ends, so that two never mix. Either way it is kept in
# BUILD_DIR/test-logs/NAME.txt (its exit status in NAME.rc, which
# `make hint-N` reads to know which exercises passed). The tests assert
# only what load cannot change, so running two at once changes no result:
# it halves the wait, since many tests spend their time waiting for
# children, timeouts and sleeps rather than computing.
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
jobs="${MPKIT_TEST_JOBS:-2}"
case "$jobs" in ''|*[!0-9]*|0) echo "run-tests: MPKIT_TEST_JOBS must be a whole number of at least 1, not '$jobs'" >&2; exit 2 ;; esac
[ "$#" -le 1 ] && jobs=1

# The student's file a test binary links: BUILD/tests/exercises/NN/exK is
# exercises/NN/exK.c, BUILD/tests/solutions/NN/exK is solutions/NN/exK.c.
student_file() {
    case "$1" in
        "$build"/tests/exercises/*) echo "exercises/${1#"$build"/tests/exercises/}.c" ;;
        "$build"/tests/solutions/*) echo "solutions/${1#"$build"/tests/solutions/}.c" ;;
        *) echo "" ;;
    esac
}

log_name() { echo "$1" | sed "s|^$build/||; s|/|_|g"; }

# One binary: its output on stdout, its counts in $log/NAME.sum as
# "run passed failed broken" (broken 1: it failed in some way). $2 is
# "stream" to show the output as it comes (one at a time) or "whole".
run_one() {
    bin="$1"; mode="$2"
    name=$(log_name "$bin")
    file=$(student_file "$bin")
    sum="$log/$name.sum"
    if [ -n "$file" ]; then
        limit="${MPKIT_TEST_TIMEOUT:-20}"
        echo "---- $bin (tests $file)"
    else
        limit="${MPKIT_TEST_TIMEOUT:-120}"
        echo "---- $bin"
    fi
    rm -f "$log/$name.rc"
    fail_one() { # reason: count it as one failed test
        echo "---- $bin $1: counted as 1 failed test"
        echo "1 0 1 1" >"$sum"
    }
    if [ ! -x "$bin" ] && [ -f "$bin.compile-error" ]; then
        cat "$bin.compile-error"
        cp "$bin.compile-error" "$log/$name.txt"
        echo compile >"$log/$name.rc"
        fail_one "did not compile (${file:-its sources}: the compiler's messages are above)"
        return
    fi
    if [ ! -x "$bin" ]; then
        echo "not built" >"$log/$name.txt"
        echo missing >"$log/$name.rc"
        fail_one "was not built"
        return
    fi

    # timeout(1) runs the binary in a process group of its own and kills the
    # whole group at the limit. Its PID is kept in NAME.pid so that Ctrl-C
    # can stop it. One at a time, the output is streamed (tee) as well.
    t0=$(date +%s)
    if [ "$mode" = stream ]; then
        fifo="$log/.stream.$$"
        rm -f "$fifo"
        mkfifo "$fifo" || exit 1
        tee "$log/$name.txt" <"$fifo" &
        tee_pid=$!
        timeout --kill-after=5 "$limit" "$bin" >"$fifo" 2>&1 &
    else
        timeout --kill-after=5 "$limit" "$bin" >"$log/$name.txt" 2>&1 &
    fi
    child=$!
    echo "$child" >"$log/$name.pid"
    wait "$child"
    rc=$?
    # A process the binary left running would keep the stream open: it is
    # in timeout's process group, whose ID is $child.
    left=""
    kill -KILL -- "-$child" 2>/dev/null && left=1
    rm -f "$log/$name.pid"
    if [ "$mode" = stream ]; then
        wait "$tee_pid"
        rm -f "$fifo"
    else
        cat "$log/$name.txt"
    fi
    [ -n "$left" ] && echo "---- $bin left processes running: killed"
    echo "$rc" >"$log/$name.rc"

    # 124: timeout's SIGTERM ended it; 137: SIGKILL, 5 s after that one
    if [ "$rc" -eq 124 ] || { [ "$rc" -eq 137 ] && [ $(($(date +%s) - t0)) -ge "$limit" ]; }; then
        if [ -n "$file" ]; then
            echo "timed out after $limit s: an infinite loop or a deadlock in $file?"
        else
            echo "timed out after $limit s"
        fi
        fail_one "timed out after $limit s (set a longer limit with TIMEOUT=N)"
        return
    fi
    r=$(sed -n 's/^\[==========\] \([0-9]*\) test(s) run\./\1/p' "$log/$name.txt" | tail -1)
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$log/$name.txt" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "$log/$name.txt" | tail -1)
    if [ -z "$r" ]; then
        fail_one "ended with status $rc and no cmocka summary"
        return
    fi
    if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
        echo "---- $bin exited with status $rc: counted as 1 failed test"
        echo "$r ${p:-0} 1 1" >"$sum"
    else
        echo "$r ${p:-0} ${f:-0} $([ -n "$f" ] && echo 1 || echo 0)" >"$sum"
    fi
}

# Ctrl-C (or a kill): timeout(1) passes the signal on to the binaries and
# everything they started; then stop, as the signal asks.
running=""
stop() {
    for f in "$log"/*.pid; do
        [ -f "$f" ] && kill -"$1" "$(cat "$f")" 2>/dev/null
    done
    for pid in $running; do wait "$pid" 2>/dev/null; done
    rm -f "$log"/*.pid "$log"/.stream.*
    trap - "$1"
    kill -"$1" $$
}
trap 'stop INT' INT
trap 'stop TERM' TERM
trap 'stop HUP' HUP

rm -f "$log"/*.sum "$log"/*.pid
if [ "$jobs" -eq 1 ]; then
    for bin in "$@"; do
        run_one "$bin" stream
    done
else
    # Up to $jobs at once; each one's output is printed whole as it ends.
    declare -A out_of
    for bin in "$@"; do
        while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
            wait -n
        done
        out="$log/$(log_name "$bin").out"
        run_one "$bin" whole >"$out" 2>&1 &
        out_of[$!]="$out"
        running="$running $!"
        # print (in start order) whatever has ended
        for pid in $running; do
            kill -0 "$pid" 2>/dev/null && break
            wait "$pid"; cat "${out_of[$pid]}"; rm -f "${out_of[$pid]}"
            running="${running# $pid}"
        done
    done
    for pid in $running; do
        wait "$pid"; cat "${out_of[$pid]}"; rm -f "${out_of[$pid]}"
    done
    running=""
fi

run=0; passed=0; failed=0; broken=""
for bin in "$@"; do
    sum="$log/$(log_name "$bin").sum"
    if [ ! -f "$sum" ]; then
        echo "---- $bin: no result (the run was cut short): counted as 1 failed test"
        run=$((run + 1)); failed=$((failed + 1)); broken="$broken $bin"
        continue
    fi
    read -r r p f b <"$sum"
    run=$((run + r)); passed=$((passed + p)); failed=$((failed + f))
    [ "$b" = 1 ] && broken="$broken $bin"
done
rm -f "$log"/*.sum

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
