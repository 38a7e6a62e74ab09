#!/bin/sh
# Instructor-only tests (tests/instructor.h): how many there are, and the
# line make check-N prints about them.
#
#   scripts/instructor-tests.sh count           one line "NN-name/exK-what N"
#                                               per tests/exercises/*/*.instructor.c
#                                               (make handout writes them to
#                                               tests/exercises/WITHHELD)
#   scripts/instructor-tests.sh note FILE...    after make check-N: FILE is
#                                               exercises/NN-name/exK-what.c
#
# A test is counted by its cmocka_unit_test... entry inside the file's
# MP_INSTRUCTOR_TESTS(...) list (up to the line that closes it with ");").
set -eu
withheld=tests/exercises/WITHHELD

# count_in FILE: the entries of its MP_INSTRUCTOR_TESTS list
count_in() {
    awk '/MP_INSTRUCTOR_TESTS\(/ { on = 1 }
         on { line = $0; n += gsub(/cmocka_unit_test[a-z_]*\(/, "", line) }
         on && /\);/ { on = 0 }
         END { print n + 0 }' "$1"
}

case "${1:-}" in
count)
    for f in tests/exercises/*/ex*.instructor.c; do
        [ -f "$f" ] || continue
        name=${f#tests/exercises/}
        echo "${name%.instructor.c} $(count_in "$f")"
    done
    ;;
note)
    shift
    here=0; away=0; here_list=""; away_list=""
    for file in "$@"; do
        name=${file#exercises/}; name=${name%.c}
        if [ -f "tests/exercises/$name.instructor.c" ]; then
            n=$(count_in "tests/exercises/$name.instructor.c")
            here=$((here + n)); here_list="$here_list, ${name#*/}.c $n"
        elif [ -f "$withheld" ]; then
            n=$(awk -v want="$name" '$1 == want { print $2 }' "$withheld")
            if [ -n "$n" ] && [ "$n" -gt 0 ]; then
                away=$((away + n)); away_list="$away_list, ${name#*/}.c $n"
            fi
        fi
    done
    if [ "$away" -gt 0 ]; then
        [ "$away" -eq 1 ] && what="1 more test runs" || what="$away more tests run"
        echo "$what at grading (instructor-only, not in this handout): ${away_list#, }"
    fi
    if [ "$here" -gt 0 ]; then
        [ "$here" -eq 1 ] && what="1 of these tests is" || what="$here of these tests are"
        echo "$what instructor-only (make handout leaves them out): ${here_list#, }"
    fi
    ;;
*)
    echo "usage: scripts/instructor-tests.sh count | note exercises/NN-name/exK-what.c..." >&2
    exit 2
    ;;
esac
