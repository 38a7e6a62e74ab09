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

/* The triad: every element written by the slices, whatever the split; a
 * slice left out is caught by the check. */
static void test_triad(void **state)
{
    (void)state;
    mp_triad t;
    assert_int_equal(mp_triad_init(&t, 0), -EINVAL);
    assert_int_equal(mp_triad_init(&t, (1u << 20) + 5), 0); /* not a whole number of elements */
    assert_int_equal(t.n, (1u << 20) / sizeof(double));
    assert_false(mp_triad_check(&t, 3)); /* a is all zero */
    for (int parts = 1; parts <= 5; parts++) {
        double q = parts + 1;
        for (int i = 0; i < parts; i++) {
            uint64_t lo, hi;
            mp_split_range(0, t.n, parts, i, &lo, &hi);
            mp_triad_pass(&t, (size_t)lo, (size_t)hi, q);
        }
        assert_true(mp_triad_check(&t, q));
        assert_true(t.a[7] == t.b[7] + q * t.c[7]);
    }
    mp_triad_pass(&t, 0, t.n / 2, 10); /* half the arrays */
    assert_false(mp_triad_check(&t, 10));
    mp_triad_pass(&t, t.n / 2, t.n + 100, 10); /* hi is clamped to n */
    assert_true(mp_triad_check(&t, 10));
    mp_triad_free(&t);
    assert_null(t.a);
    assert_int_equal(t.n, 0);
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
    assert_true(mp_primes_bound_for(0) >= 1000); /* never below the floor */
}

/* mp_spin is a fixed function of (steps, seed): the same pair, the same
 * value, so a worker's result proves which work it did; the steps wanted
 * grow with the time asked for and are never 0. */
static void test_spin(void **state)
{
    (void)state;
    assert_int_equal(mp_spin(0, 4), 5); /* seed | 1, untouched */
    assert_true(mp_spin(1000, 7) == mp_spin(1000, 7));
    assert_true(mp_spin(1000, 7) != mp_spin(1001, 7));
    assert_true(mp_spin(1000, 7) != mp_spin(1000, 9));
    assert_true(mp_spin_steps_for_ns(0) >= 1);
    assert_true(mp_spin_steps_for_ns(-5) >= 1);
    uint64_t a = mp_spin_steps_for_ns(1e3), b = mp_spin_steps_for_ns(1e6);
    assert_true(b > a);
    assert_true(b >= 900 * a && b <= 1100 * a); /* linear: one calibration */
}

/* factorial(x) exactly, as Python's int: 100! has 158 digits summing to
 * 648, 25! (beyond 64 bits) 26 digits summing to 72; 0! = 1! = 1. */
static void test_factorial_digits(void **state)
{
    (void)state;
    mp_digits d = mp_factorial_digits(100);
    assert_int_equal(d.digits, 158);
    assert_int_equal(d.digit_sum, 648);
    d = mp_factorial_digits(25);
    assert_int_equal(d.digits, 26);
    assert_int_equal(d.digit_sum, 72);
    d = mp_factorial_digits(0);
    assert_int_equal(d.digits, 1);
    assert_int_equal(d.digit_sum, 1);
    d = mp_factorial_digits(300);
    assert_int_equal(d.digits, 615);
    d = mp_factorial_digits(301);
    assert_int_equal(d.digits, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_primes),     cmocka_unit_test(test_shares_add_up),
        cmocka_unit_test(test_split_range), cmocka_unit_test(test_factorial),
        cmocka_unit_test(test_io_wait_takes_time), cmocka_unit_test(test_bound_grows_with_time),
        cmocka_unit_test(test_triad), cmocka_unit_test(test_spin), cmocka_unit_test(test_factorial_digits),
    };
    return cmocka_run_group_tests_name("work", tests, NULL, NULL);
}
