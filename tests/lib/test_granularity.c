/* granularity: the break-even finder and the overhead model, on synthetic
 * data whose answers are known. */
#include "helpers.h"

static void assert_near(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("got %g, want %g (within %g%%)", got, want, rel * 100);
}

static void test_log_steps(void **state)
{
    (void)state;
    double v[5];
    mp_log_steps(100, 1e6, 5, v);
    const double want[] = {100, 1000, 1e4, 1e5, 1e6};
    for (int i = 0; i < 5; i++)
        assert_near(v[i], want[i], 1e-9);
    mp_log_steps(7, 9, 1, v);
    assert_true(v[0] == 7);
}

/* A crossing between two points is found in log(cost): halfway in speedup
 * between 1e3 (0.5) and 1e4 (1.5) is 10^3.5. */
static void test_breakeven_interpolates(void **state)
{
    (void)state;
    const double c[] = {1e2, 1e3, 1e4, 1e5};
    const double s[] = {0.1, 0.5, 1.5, 1.9};
    assert_near(mp_breakeven(c, s, 4), pow(10, 3.5), 1e-9);
    /* exactly 1 at a point: that point */
    const double s2[] = {0.1, 1.0, 1.5, 1.9};
    assert_near(mp_breakeven(c, s2, 4), 1e3, 1e-9);
}

/* The last crossing counts: a curve that dips below 1 again later has not
 * paid off until after the dip. */
static void test_breakeven_last_crossing(void **state)
{
    (void)state;
    const double c[] = {1e2, 1e3, 1e4, 1e5, 1e6};
    const double s[] = {0.5, 1.2, 0.8, 1.2, 1.9};
    double b = mp_breakeven(c, s, 5);
    assert_true(b > 1e4 && b < 1e5);
    assert_near(b, 1e4 * pow(10, 0.5), 1e-9);
}

static void test_breakeven_edges(void **state)
{
    (void)state;
    const double c[] = {1e2, 1e3, 1e4};
    const double all_above[] = {1.1, 1.5, 1.9};
    const double all_below[] = {0.1, 0.5, 0.9};
    const double last_below[] = {1.1, 1.5, 0.9};
    assert_true(mp_breakeven(c, all_above, 3) == 1e2);
    assert_true(isinf(mp_breakeven(c, all_below, 3)));
    assert_true(isinf(mp_breakeven(c, last_below, 3)));
    assert_true(isnan(mp_breakeven(c, all_above, 0)));
}

/* The model's break-even is where its own speedup is 1, and the formula
 * agrees with the curve: 2 workers, 1 us overhead, 100 us start over 100
 * tasks: c* = (1000 + 1000) / (1 - 1/2) = 4000 ns. */
static void test_model(void **state)
{
    (void)state;
    mp_cost_model m = {.start_ns = 100e3, .overhead_ns = 1000, .workers = 2};
    assert_near(mp_model_breakeven(&m, 100), 4000, 1e-12);
    assert_near(mp_model_speedup(&m, 4000, 100), 1.0, 1e-12);
    assert_true(mp_model_speedup(&m, 3000, 100) < 1.0);
    assert_true(mp_model_speedup(&m, 1e9, 100) > 1.99);
    assert_true(mp_model_speedup(&m, 1e9, 100) < 2.0);
    assert_near(mp_model_time_ns(&m, 2000, 100), 100e3 + 100 * (1000 + 1000), 1e-12);
    mp_cost_model one = {.start_ns = 0, .overhead_ns = 10, .workers = 1};
    assert_true(isinf(mp_model_breakeven(&one, 100)));
    mp_cost_model free_lunch = {.start_ns = 0, .overhead_ns = 0, .workers = 4};
    assert_true(mp_model_breakeven(&free_lunch, 100) == 0);
}

/* Timings made by the model itself (plus noise on the large tasks) give
 * back its overhead; the fit uses only the small tasks, where overhead
 * dominates. */
static void test_fit_recovers_overhead(void **state)
{
    (void)state;
    mp_cost_model truth = {.start_ns = 2e6, .overhead_ns = 3500, .workers = 2};
    size_t n[8];
    double c[8], t[8];
    mp_log_steps(100, 1e7, 8, c);
    for (int i = 0; i < 8; i++) {
        n[i] = c[i] < 1e4 ? 1000 : 50; /* fewer of the big tasks, as a sweep does */
        t[i] = mp_model_time_ns(&truth, c[i], n[i]) * (c[i] > 1e5 ? 1.3 : 1.0); /* big ones: noisy */
    }
    mp_cost_model fit = mp_model_fit(2e6, 2, n, c, t, 8, 1e4);
    assert_near(fit.overhead_ns, 3500, 1e-9);
    assert_true(fit.start_ns == 2e6 && fit.workers == 2);
    /* and a run faster than the model allows is 0 overhead, not negative */
    assert_true(mp_overhead_per_task(1e6, 2e6, 100, 1000, 2) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_steps),        cmocka_unit_test(test_breakeven_interpolates),
        cmocka_unit_test(test_breakeven_last_crossing), cmocka_unit_test(test_breakeven_edges),
        cmocka_unit_test(test_model),            cmocka_unit_test(test_fit_recovers_overhead),
    };
    return cmocka_run_group_tests_name("granularity", tests, NULL, NULL);
}
