/* lesson: the verdicts a lesson closes with -- yes, NO, can't tell when the
 * runs spread too wide to settle it, not shown when the machine cannot --
 * and the spread they rest on. */
#include "helpers.h"

static void test_spread(void **state)
{
    (void)state;
    mp_stats s = {.min = 0.9, .median = 1.0, .max = 1.3, .n = 3};
    assert_true(fabs(mp_spread(&s) - 0.4) < 1e-12);
    s.n = 1; /* one run: no spread to speak of */
    assert_true(mp_spread(&s) == 0);
    assert_true(mp_spread(NULL) == 0);
}

static void test_decisive(void **state)
{
    (void)state;
    assert_true(mp_decisive(14, 2, 0.9) == 0);         /* 7x clear of the bar: noise cannot flip it */
    assert_true(mp_decisive(2.2, 2, 0.9) == 0.9);      /* 10% clear, 90% noise: it can */
    assert_true(mp_decisive(0.5, 1.3, 0.5) == 0);      /* far below a ceiling */
    assert_true(mp_decisive(1.25, 1.3, 0.3) == 0.3);   /* just below it */
    assert_true(mp_decisive2(0.3, 1.0, 1 / 1.5, 1.0, 1.5) == 0);   /* well inside [1/1.5, 1.5] */
    assert_true(mp_decisive2(0.3, 1.4, 1 / 1.5, 1.4, 1.5) == 0.3); /* near one bound: it can flip */
}

static void test_verdicts_are_tallied(void **state)
{
    (void)state;
    mp_lesson L;
    memset(&L, 0, sizeof L);
    L.o.repeat = 3;
    mp_report_quiet(1);
    assert_int_equal(mp_verdict(&L, true, 0.1, NULL, "holds"), MP_HOLDS);
    assert_int_equal(mp_verdict(&L, false, 0.1, NULL, "fails"), MP_FAILS);
    assert_int_equal(mp_verdict(&L, true, 0.6, NULL, "noisy"), MP_UNSURE);   /* spread over the limit */
    assert_int_equal(mp_verdict(&L, false, 0.6, NULL, "noisy"), MP_UNSURE);
    assert_int_equal(mp_verdict(&L, true, 0.0, "only 1 CPU is usable", "parallel"), MP_NOT_HERE);
    mp_report_quiet(0);
    assert_int_equal(L.held, 1);
    assert_int_equal(L.failed, 1);
    assert_int_equal(L.unsure, 2);
    assert_int_equal(L.not_here, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spread),
        cmocka_unit_test(test_decisive),
        cmocka_unit_test(test_verdicts_are_tallied),
    };
    return cmocka_run_group_tests_name("lesson", tests, NULL, NULL);
}
