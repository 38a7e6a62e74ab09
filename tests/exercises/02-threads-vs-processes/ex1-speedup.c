/* Tests for exercise 02.1. */
#include "helpers.h"

#include "ex1-speedup.h"

static void test_speedup_and_efficiency(void **state)
{
    (void)state;
    NEAR(speedup(10, 5), 2);
    NEAR(speedup(1, 4), 0.25); /* slower than serial is a speedup below 1 */
    NEAR(efficiency(2, 2), 1);
    NEAR(efficiency(3, 4), 0.75);
}

static void test_amdahl(void **state)
{
    (void)state;
    NEAR(amdahl_max_speedup(0, 8), 8);    /* all parallel: ideal */
    NEAR(amdahl_max_speedup(1, 8), 1);    /* all serial: no gain */
    NEAR(amdahl_max_speedup(0.5, 2), 1.0 / 0.75);
    assert_true(amdahl_max_speedup(0.1, 1000) < 10); /* the ceiling is 1/s */
    assert_true(amdahl_max_speedup(0.1, 1000) > 9.9);
}

static void test_nonsense_gives_zero(void **state)
{
    (void)state;
    NEAR(speedup(0, 1), 0);
    NEAR(speedup(1, 0), 0);
    NEAR(efficiency(2, 0), 0);
    NEAR(amdahl_max_speedup(-0.1, 2), 0);
    NEAR(amdahl_max_speedup(1.1, 2), 0);
    NEAR(amdahl_max_speedup(0.5, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_speedup_and_efficiency),
        cmocka_unit_test(test_amdahl),
        cmocka_unit_test(test_nonsense_gives_zero),
    };
    return cmocka_run_group_tests_name("02 ex1-speedup", tests, NULL, NULL);
}
