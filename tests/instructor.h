/* instructor.h: instructor-only tests, kept out of the student's handout.
 *
 * An exercise's public tests are tests/exercises/NN-name/exK-what.c. Tests
 * the students should not see (an edge case they are meant to think of
 * themselves) go in tests/exercises/NN-name/exK-what.instructor.c, beside
 * it, and are listed there once:
 *
 *     #include "helpers.h"
 *     int reap_all(void);
 *     static void test_retries_after_eintr(void **state) { ... }
 *     MP_INSTRUCTOR_TESTS(cmocka_unit_test(test_retries_after_eintr));
 *
 * The Makefile links that file into the same test binary as the public
 * tests, so make check-N, make test and grading run them all, in one cmocka
 * group: the public file's cmocka_run_group_tests_name(), redefined below,
 * appends them. Nothing else changes: no line in the public file names them.
 * make handout leaves every *.instructor.c out and writes
 * tests/exercises/WITHHELD (how many tests each exercise lost); there the
 * binaries link no instructor file and run the public tests alone.
 *
 * The two symbols are weak: a binary without an instructor file has none,
 * and their addresses are then null. */
#ifndef MP_TEST_INSTRUCTOR_H
#define MP_TEST_INSTRUCTOR_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

extern const struct CMUnitTest mp_instructor_tests[] __attribute__((weak));
extern const size_t mp_instructor_test_count __attribute__((weak));

/* In an .instructor.c file, once: the instructor-only tests, in order.
 * (scripts/instructor-tests.sh counts the cmocka_unit_test entries here.) */
#define MP_INSTRUCTOR_TESTS(...)                                                            \
    const struct CMUnitTest mp_instructor_tests[] = {__VA_ARGS__};                          \
    const size_t mp_instructor_test_count = sizeof mp_instructor_tests / sizeof mp_instructor_tests[0]

/* The public tests, then the instructor's (if this binary has them). */
static inline int mp_run_group_tests_(const char *name, const struct CMUnitTest *tests, size_t n,
                                      CMFixtureFunction setup, CMFixtureFunction teardown)
{
    size_t extra = &mp_instructor_test_count ? mp_instructor_test_count : 0;
    if (extra == 0)
        return _cmocka_run_group_tests(name, tests, n, setup, teardown);
    struct CMUnitTest *all = calloc(n + extra, sizeof *all);
    if (!all) {
        fprintf(stderr, "%s: calloc: %s\n", name, strerror(errno));
        return 1;
    }
    memcpy(all, tests, n * sizeof *all);
    memcpy(all + n, mp_instructor_tests, extra * sizeof *all);
    int rc = _cmocka_run_group_tests(name, all, n + extra, setup, teardown);
    free(all);
    return rc;
}

#undef cmocka_run_group_tests_name
#define cmocka_run_group_tests_name(group_name, group_tests, group_setup, group_teardown)            \
    mp_run_group_tests_(group_name, group_tests, sizeof(group_tests) / sizeof((group_tests)[0]),    \
                        group_setup, group_teardown)

#endif
