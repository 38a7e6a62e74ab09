/* Tests for exercise 06.1: the break-even from tables of timings whose
 * answers are known (built from speedups on a decade grid), the edge cases
 * (never, always, a dip after a first crossing), and agreement with the
 * kit's mp_breakeven on tables made by the cost model. Pure arithmetic: no
 * pool, no time. */
#include "helpers.h"

#include "ex1-breakeven.h"

static void near(double got, double want)
{
    if (!(fabs(got - want) <= 1e-6 * fabs(want)))
        fail_msg("break-even %g, want %g", got, want);
}

/* pool times from speedups: pool = serial / speedup */
static void table(const double *speedup, int n, double *serial, double *pool)
{
    for (int i = 0; i < n; i++) {
        serial[i] = 1e-3 * (i + 1);
        pool[i] = serial[i] / speedup[i];
    }
}

static void test_interpolates_in_log_cost(void **state)
{
    (void)state;
    const double cost[] = {100, 1e3, 1e4, 1e5};
    const double sp[] = {0.1, 0.5, 1.5, 1.9};
    double s[4], p[4];
    table(sp, 4, s, p);
    near(breakeven(cost, s, p, 4), pow(10, 3.5)); /* halfway between 1e3 and 1e4, in log: 3.16 us */
    const double sp2[] = {0.2, 0.4, 0.7, 1.3};
    table(sp2, 4, s, p);
    near(breakeven(cost, s, p, 4), pow(10, 4.5));
    const double sp3[] = {0.2, 0.9, 1.9, 2.0}; /* a tenth of the way: 10^(3.1) */
    table(sp3, 4, s, p);
    near(breakeven(cost, s, p, 4), pow(10, 3.1));
}

static void test_last_crossing(void **state)
{
    (void)state;
    const double cost[] = {100, 1e3, 1e4, 1e5, 1e6};
    const double sp[] = {0.5, 1.2, 0.8, 1.2, 1.9}; /* paid at 1 us, then a dip at 10 us */
    double s[5], p[5];
    table(sp, 5, s, p);
    near(breakeven(cost, s, p, 5), 1e4 * pow(10, 0.5));
}

static void test_edges(void **state)
{
    (void)state;
    const double cost[] = {100, 1e3, 1e4};
    double s[3], p[3];
    const double always[] = {1.1, 1.5, 1.9}, never[] = {0.1, 0.5, 0.9}, late[] = {1.2, 1.5, 0.9};
    table(always, 3, s, p);
    assert_true(breakeven(cost, s, p, 3) == 100);
    table(never, 3, s, p);
    assert_true(isinf(breakeven(cost, s, p, 3)));
    table(late, 3, s, p);
    assert_true(isinf(breakeven(cost, s, p, 3)));
    const double exact[] = {0.5, 1.0, 1.5}; /* exactly 1 is not below: it pays from there */
    table(exact, 3, s, p);
    near(breakeven(cost, s, p, 3), 1e3);
    assert_true(isnan(breakeven(cost, s, p, 0)));
}

/* Tables the cost model makes, for many starts and overheads: the same
 * answer as the kit's own finder. */
static void test_agrees_with_the_kit(void **state)
{
    (void)state;
    double cost[12];
    mp_log_steps(100, 1e7, 12, cost);
    for (double over = 200; over < 2e5; over *= 3.7)
        for (double start = 0; start < 5e7; start = start * 10 + 1e4) {
            mp_cost_model m = {.start_ns = start, .overhead_ns = over, .workers = 2};
            double s[12], p[12], sp[12];
            for (int i = 0; i < 12; i++) {
                s[i] = 1000 * cost[i] / 1e9;
                p[i] = mp_model_time_ns(&m, cost[i], 1000) / 1e9;
                sp[i] = s[i] / p[i];
            }
            double want = mp_breakeven(cost, sp, 12), got = breakeven(cost, s, p, 12);
            if (!(isinf(want) ? isinf(got) : fabs(got - want) <= 1e-6 * want))
                fail_msg("start %g ns, overhead %g ns: break-even %g, the kit says %g", start, over, got, want);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interpolates_in_log_cost), cmocka_unit_test(test_last_crossing),
        cmocka_unit_test(test_edges), cmocka_unit_test(test_agrees_with_the_kit),
    };
    return cmocka_run_group_tests_name("06 ex1-breakeven", tests, NULL, NULL);
}
