/* Instructor-only tests for exercise 02.1 (tests/instructor.h): not in the
 * student's handout, run at grading.
 *
 * The public tests try zero for each input that has no meaning; the
 * exercise says "<= 0", so a negative time or worker count is nonsense too
 * (a check for == 0 passes the public tests, not these). And Amdahl's law
 * at its edges: one worker gains nothing whatever the serial fraction, and
 * the ceiling 1/s holds for any number of workers. */
#include "helpers.h"

#include <limits.h>

#include "ex1-speedup.h"

static void test_negative_is_nonsense(void **state)
{
    (void)state;
    NEAR(speedup(-2, 1), 0);
    NEAR(speedup(2, -1), 0);
    NEAR(speedup(-2, -1), 0); /* two wrongs do not make a speedup of 2 */
    NEAR(efficiency(2, -4), 0);
    NEAR(amdahl_max_speedup(0.5, -3), 0);
}

static void test_amdahl_edges(void **state)
{
    (void)state;
    for (double s = 0; s <= 1.0; s += 0.125)
        NEAR(amdahl_max_speedup(s, 1), 1); /* one worker: no gain, whatever s */
    double big = amdahl_max_speedup(0.25, INT_MAX);
    if (!(big < 4 && big > 3.999))
        fail_msg("amdahl_max_speedup(0.25, INT_MAX) = %.10g: expected just under 1/s = 4", big);
}

MP_INSTRUCTOR_TESTS(cmocka_unit_test(test_negative_is_nonsense), cmocka_unit_test(test_amdahl_edges));
