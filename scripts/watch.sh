#!/bin/bash
# make watch-N: make check-N again each time a file of the lesson's
# exercises is saved, until Ctrl-C.
#
#   scripts/watch.sh N EXERCISES_DIR
#
# Run from make (make watch-2 EX=3): EX, TIMEOUT and the other variables
# given to make reach make check-N through the environment (MAKEFLAGS).
#
# A save is a change of a *.c or *.h file's time or size in EXERCISES_DIR
# (an editor's swap and backup files are other names), seen by comparing a
# listing taken before each check: a file saved while the tests run starts
# the next check at once. inotifywait (Debian's inotify-tools), if it is
# installed, wakes the comparison as soon as something happens in the
# folder; otherwise the folder is looked at every half second.
#
# Ctrl-C reaches every process of the terminal's group at once: make,
# scripts/run-tests.sh (which stops the test it runs), inotifywait or sleep,
# and this script, which says it stopped and ends with status 0.
set -u
if [ "$#" -ne 2 ] || [ ! -d "$2" ]; then echo "usage: scripts/watch.sh N EXERCISES_DIR (a folder)" >&2; exit 2; fi
n="$1"; dir="$2"
make="${MAKE:-make}"

listing() {
    find "$dir" -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' \) -printf '%f %T@ %s\n' | sort
}

if command -v inotifywait >/dev/null 2>&1; then
    # at most a second: a change made just before it started is seen then
    # (status 1: it could not watch, out of inotify watches: then sleep)
    wait_a_little() {
        inotifywait -qq -t 1 -e close_write -e moved_to -e create -e delete -e attrib "$dir" 2>/dev/null
        [ $? -ne 1 ] || sleep 0.5
    }
    how="inotifywait"
else
    wait_a_little() { sleep 0.5; }
    how="looking every 0.5 s; inotify-tools would wake it at once"
fi

stopped() {
    echo
    echo "==== watch-$n: stopped"
    exit 0
}
trap stopped INT TERM HUP

run=1
while :; do
    before=$(listing)
    echo "==== watch-$n: run $run, $(date +%H:%M:%S): make check-$n${EX:+ EX=$EX}"
    # failing tests are why you are watching: they do not stop the watch
    $make --no-print-directory "check-$n" || true
    echo "==== watch-$n: watching $dir/ for saved files ($how); Ctrl-C stops"
    while [ "$(listing)" = "$before" ]; do
        wait_a_little
    done
    run=$((run + 1))
done
