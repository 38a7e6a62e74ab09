#!/bin/sh
# Run cmocka test binaries one after another and add up their results.
#
#   scripts/run-tests.sh BUILD_DIR BINARY...
#
# Each binary's own output is shown as it is. A binary that crashes, hangs
# (killed after $MPKIT_TEST_TIMEOUT seconds, default 300) or prints no
# cmocka summary counts as one failed test. The run ends with cmocka's
# summary lines for all binaries together, and exits 1 if anything failed.
set -u
build="$1"; shift
limit="${MPKIT_TEST_TIMEOUT:-300}"
log="$build/test-logs"
mkdir -p "$log"
run=0; passed=0; failed=0; broken=""

for bin in "$@"; do
    name=$(echo "$bin" | sed "s|^$build/||; s|/|_|g")
    echo "---- $bin"
    timeout --kill-after=5 "$limit" "$bin" >"$log/$name.txt" 2>&1
    rc=$?
    cat "$log/$name.txt"
    r=$(sed -n 's/^\[==========\] \([0-9]*\) test(s) run\./\1/p' "$log/$name.txt" | tail -1)
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$log/$name.txt" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "$log/$name.txt" | tail -1)
    if [ -z "$r" ]; then
        echo "---- $bin ended with status $rc and no cmocka summary: counted as 1 failed test"
        run=$((run + 1)); failed=$((failed + 1)); broken="$broken $bin"
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
