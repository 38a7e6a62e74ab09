/* work: the example jobs give the right answers, however they are split. */
#include "helpers.h"

static void test_primes(void **state)
{
    (void)state;
    assert_false(mp_is_prime(0) || mp_is_prime(1) || mp_is_prime(4) || mp_is_prime(9));
    assert_true(mp_is_prime(2) && mp_is_prime(3) && mp_is_prime(97) && mp_is_prime(7919));
    assert_int_equal(mp_count_primes(0, 100), 25);
    assert_int_equal(mp_count_primes(0, 10000), 1229);
    assert_int_equal(mp_count_primes(0, 100000), 9592);
    assert_int_equal(mp_count_primes(100, 100), 0);
}

static void test_shares_add_up(void **state)
{
    (void)state;
    uint64_t hi = 3 * MP_PRIME_BLOCK + 123; /* not a multiple of the block */
    uint64_t total = mp_count_primes(0, hi);
    for (int parts = 1; parts <= 7; parts++) {
        uint64_t sum = 0;
        for (int i = 0; i < parts; i++)
            sum += mp_count_primes_share(0, hi, parts, i);
        assert_int_equal(sum, total);
    }
}

static void test_split_range(void **state)
{
    (void)state;
    for (int parts = 1; parts <= 9; parts++) {
        uint64_t next = 10, lo, hi;
        for (int i = 0; i < parts; i++) {
            mp_split_range(10, 33, parts, i, &lo, &hi);
            assert_int_equal(lo, next); /* contiguous, no gap, no overlap */
            uint64_t size = hi - lo, base = 23 / (uint64_t)parts;
            assert_true(size == base || size == base + 1);
            next = hi;
        }
        assert_int_equal(next, 33);
    }
}

static void test_factorial(void **state)
{
    (void)state;
    assert_int_equal(mp_factorial(0), 1);
    assert_int_equal(mp_factorial(5), 120);
    assert_int_equal(mp_factorial(20), 2432902008176640000ull);
    assert_int_equal(mp_factorial(21), 0); /* would overflow */
}

static void test_io_wait_takes_time(void **state)
{
    (void)state;
    uint64_t t0 = mp_now_ns();
    mp_io_wait(3, 10);
    assert_true(mp_now_ns() - t0 >= 30000000u);
}

static void test_bound_grows_with_time(void **state)
{
    (void)state;
    assert_true(mp_primes_bound_for(0.2) > mp_primes_bound_for(0.01));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_primes),     cmocka_unit_test(test_shares_add_up),
        cmocka_unit_test(test_split_range), cmocka_unit_test(test_factorial),
        cmocka_unit_test(test_io_wait_takes_time), cmocka_unit_test(test_bound_grows_with_time),
    };
    return cmocka_run_group_tests_name("work", tests, NULL, NULL);
}
