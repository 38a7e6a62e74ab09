/* Tests for exercise 02.3: the right answer, and no child left behind. */
#include "helpers.h"

uint64_t count_primes_processes(uint64_t hi, int nprocs);

static void test_matches_serial(void **state)
{
    (void)state;
    uint64_t hi = 200000, expect = mp_count_primes(0, hi);
    for (int n = 1; n <= 6; n++) {
        assert_int_equal(count_primes_processes(hi, n), expect);
        assert_no_children();
    }
}

static void test_small_sizes(void **state)
{
    (void)state;
    assert_int_equal(count_primes_processes(10, 12), 4);
    assert_int_equal(count_primes_processes(0, 3), 0);
    assert_int_equal(count_primes_processes(100, 0), 0);
    assert_no_children();
}

/* The work really happened in other processes: this process's own CPU time
 * stays far below what the children used (counted once they are reaped). */
static void test_work_done_in_children(void **state)
{
    (void)state;
    uint64_t hi = mp_primes_bound_for(0.2);
    uint64_t self0 = mp_process_cpu_ns(), kids0 = mp_children_cpu_ns();
    count_primes_processes(hi, 2);
    uint64_t self = mp_process_cpu_ns() - self0, kids = mp_children_cpu_ns() - kids0;
    assert_true(kids > 4 * self);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_serial),
        cmocka_unit_test(test_small_sizes),
        cmocka_unit_test(test_work_done_in_children),
    };
    return cmocka_run_group_tests_name("02 ex3-processes", tests, NULL, NULL);
}
