/* clock: monotonic time, CPU time, statistics of repeats. */
#include "helpers.h"

static void test_monotonic(void **state)
{
    (void)state;
    uint64_t a = mp_now_ns(), b = mp_now_ns();
    assert_true(b >= a);
    mp_sleep_ns(2000000);
    assert_true(mp_now_ns() - a >= 2000000);
}

static void test_stats_odd_even(void **state)
{
    (void)state;
    mp_stats s;
    double odd[] = {5, 1, 3};
    assert_int_equal(mp_stats_of(odd, 3, &s), 0);
    assert_true(s.min == 1 && s.median == 3 && s.max == 5 && s.n == 3);
    assert_true(odd[0] == 5); /* input untouched */
    double even[] = {4, 1, 3, 2};
    assert_int_equal(mp_stats_of(even, 4, &s), 0);
    assert_true(s.median == 2.5);
    assert_int_equal(mp_stats_of(even, 0, &s), -EINVAL);
}

static void test_quantile(void **state)
{
    (void)state;
    double v[101];
    for (int i = 0; i <= 100; i++)
        v[i] = 100 - i;
    assert_true(mp_quantile(v, 101, 0.99) == 99);
    assert_true(mp_quantile(v, 101, 0.5) == 50);
    assert_true(mp_quantile(v, 101, 0) == 0);
    assert_true(mp_quantile(v, 0, 0.5) == 0);
}

/* CPU time grows while we compute and not while we sleep: compared with the
 * wall time of the same interval, with a wide margin. */
static void test_cpu_time_vs_sleep(void **state)
{
    (void)state;
    uint64_t c0 = mp_thread_cpu_ns(), t0 = mp_now_ns();
    mp_sleep_ns(50000000);
    uint64_t slept_cpu = mp_thread_cpu_ns() - c0, slept_wall = mp_now_ns() - t0;
    assert_true(slept_cpu < slept_wall / 4);

    c0 = mp_thread_cpu_ns();
    uint64_t p0 = mp_process_cpu_ns();
    t0 = mp_now_ns();
    volatile uint64_t x = 0;
    /* spin until this thread has used 20 ms of CPU (however long a loaded
     * machine makes that take; at most 30 s) */
    while (mp_thread_cpu_ns() - c0 < 20000000 && mp_now_ns() - t0 < 30000000000u)
        x++;
    uint64_t spun_cpu = mp_thread_cpu_ns() - c0;
    assert_true(spun_cpu >= 20000000);
    assert_true(spun_cpu > slept_cpu);
    assert_true(mp_process_cpu_ns() - p0 >= spun_cpu / 2); /* the process's time includes the thread's */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_monotonic),
        cmocka_unit_test(test_stats_odd_even),
        cmocka_unit_test(test_quantile),
        cmocka_unit_test(test_cpu_time_vs_sleep),
    };
    return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
