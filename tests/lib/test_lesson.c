/* lesson: the verdicts a lesson closes with -- yes, NO, can't tell when the
 * runs spread too wide to settle it, not shown when the machine cannot --
 * and the spread they rest on; and the reference run the harness points
 * the plots at. */
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

/* mp_lesson_begin points the plots at the reference run named like the
 * lesson's default --out (plots/reference/NN-name under the kit's root);
 * --no-reference turns it off. */
static void test_reference_follows_the_lesson(void **state)
{
    (void)state;
    static const mp_cli cli = {"lesson-77", "a test", "plots/out/77-test", NULL, 0, NULL, 0, 0};
    char *dir = make_tmpdir(), want[PATH_MAX];
    char *with[] = {"lesson-77", "--out", dir, NULL};
    char *without[] = {"lesson-77", "--out", dir, "--no-reference", NULL};
    mp_lesson L;
    int status = -1;
    mp_report_quiet(1);
    bool run = mp_lesson_begin(&L, &cli, 3, with, &status);
    mp_trace_close();
    mp_report_quiet(0);
    assert_true(run);
    snprintf(want, sizeof want, "%s/plots/reference/77-test", mp_root());
    assert_non_null(mp_plot_reference_dir());
    assert_string_equal(mp_plot_reference_dir(), want);
    mp_report_quiet(1);
    run = mp_lesson_begin(&L, &cli, 4, without, &status);
    mp_trace_close();
    mp_report_quiet(0);
    assert_true(run);
    assert_null(mp_plot_reference_dir());
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spread),
        cmocka_unit_test(test_decisive),
        cmocka_unit_test(test_verdicts_are_tallied),
        cmocka_unit_test(test_reference_follows_the_lesson),
    };
    return cmocka_run_group_tests_name("lesson", tests, NULL, NULL);
}
