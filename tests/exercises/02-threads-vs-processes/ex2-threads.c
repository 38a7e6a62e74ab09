/* Tests for exercise 02.2: the same answer as the serial count, for any
 * number of threads, including more threads than numbers. */
#include "helpers.h"

uint64_t count_primes_threads(uint64_t hi, int nthreads);

static void test_matches_serial(void **state)
{
    (void)state;
    uint64_t hi = 200000, expect = mp_count_primes(0, hi);
    for (int n = 1; n <= 8; n++)
        assert_int_equal(count_primes_threads(hi, n), expect);
}

static void test_small_and_odd_sizes(void **state)
{
    (void)state;
    assert_int_equal(count_primes_threads(10, 16), 4); /* 2 3 5 7, more threads than numbers */
    assert_int_equal(count_primes_threads(3, 2), 1);
    assert_int_equal(count_primes_threads(0, 4), 0);
    assert_int_equal(count_primes_threads(100, 0), 0);
}

/* Threads that really run at once use more CPU time than wall time: against
 * the same run's wall clock, with a wide margin, and not held against the
 * code when other programs keep the CPUs busy (assert_when_quiet). */
static void test_runs_in_parallel(void **state)
{
    (void)state;
    if (mp_cpus_usable() < 2)
        skip();
    uint64_t hi = mp_primes_bound_for(0.3);
    double best = 0;
    for (int attempt = 0; attempt < 3 && best < 1.2; attempt++) {
        uint64_t c0 = mp_process_cpu_ns(), t0 = mp_now_ns();
        count_primes_threads(hi, 2);
        double ratio = (double)(mp_process_cpu_ns() - c0) / (double)(mp_now_ns() - t0);
        if (ratio > best)
            best = ratio;
    }
    assert_when_quiet(best > 1.2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_serial),
        cmocka_unit_test(test_small_and_odd_sizes),
        cmocka_unit_test(test_runs_in_parallel),
    };
    return cmocka_run_group_tests_name("02 ex2-threads", tests, NULL, NULL);
}
