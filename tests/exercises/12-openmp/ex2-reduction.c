/* Tests for exercise 12.2: from a critical section to a reduction. The
 * result must be exact on 1 to 8 threads (negative numbers, none at all),
 * and the loop may enter at most one critical section per thread: the
 * linker sends libgomp's critical-section entries (GOMP_critical_start, the
 * named ones, and GOMP_atomic_start, which gcc uses for an atomic it cannot
 * do in one instruction and to combine several reductions) through this
 * file, which counts them. */
/* mpkit-ldflags: -fopenmp -Wl,--wrap=GOMP_critical_start -Wl,--wrap=GOMP_critical_name_start -Wl,--wrap=GOMP_atomic_start */
#include "helpers.h"

#include <limits.h>

#include "ex2-reduction.h"

static _Atomic long entered; /* critical sections entered since the last reset */

void __real_GOMP_critical_start(void);
void __real_GOMP_critical_name_start(void **pptr);
void __real_GOMP_atomic_start(void);
void __wrap_GOMP_critical_start(void);
void __wrap_GOMP_critical_name_start(void **pptr);
void __wrap_GOMP_atomic_start(void);

void __wrap_GOMP_critical_start(void)
{
    atomic_fetch_add(&entered, 1);
    __real_GOMP_critical_start();
}

void __wrap_GOMP_critical_name_start(void **pptr)
{
    atomic_fetch_add(&entered, 1);
    __real_GOMP_critical_name_start(pptr);
}

void __wrap_GOMP_atomic_start(void)
{
    atomic_fetch_add(&entered, 1);
    __real_GOMP_atomic_start();
}

#define N 100000

static long *numbers(long n, long (*f)(long i))
{
    long *x = malloc((size_t)(n ? n : 1) * sizeof *x);
    assert_non_null(x);
    for (long i = 0; i < n; i++)
        x[i] = f(i);
    return x;
}

static long mixed(long i) { return (long)(((unsigned long)i * 2654435761u) % 2001) - 1000; } /* -1000..1000 */
static long negative(long i) { return -1000 - i % 7; }

static void check(const long *x, long n, int threads)
{
    long sum = 0, max = LONG_MIN;
    for (long i = 0; i < n; i++) {
        sum += x[i];
        max = x[i] > max ? x[i] : max;
    }
    totals got = sum_and_max(x, n, threads);
    if (got.sum != sum || got.max != max)
        fail_msg("%ld numbers on %d threads: sum %ld, max %ld; want sum %ld, max %ld", n, threads, got.sum, got.max,
                 sum, max);
}

/* Exact on 1 to 8 threads, several times over: a sum added without
 * protection loses adds (on more than one CPU, nearly always; no test can
 * promise to catch every race: test_no_lock_per_element counts instead). */
static void test_exact(void **state)
{
    (void)state;
    long *x = numbers(N, mixed);
    const int teams[] = {1, 2, 3, 8};
    for (int t = 0; t < 4; t++)
        for (int rep = 0; rep < 5; rep++)
            check(x, N, teams[t]);
    free(x);
}

/* All negative: a max that starts at 0 would say 0. */
static void test_all_negative(void **state)
{
    (void)state;
    long *x = numbers(1000, negative);
    check(x, 1000, 4);
    free(x);
}

/* No numbers: the sum of nothing is 0, the largest of nothing LONG_MIN. */
static void test_empty(void **state)
{
    (void)state;
    long *x = numbers(0, mixed);
    check(x, 0, 4);
    free(x);
}

/* The point of the exercise: no lock per element. A reduction combines each
 * thread's copies once at the end (gcc may use one critical section per
 * thread for that); the critical section per element enters 100,000. */
static void test_no_lock_per_element(void **state)
{
    (void)state;
    long *x = numbers(N, mixed);
    const int teams[] = {2, 4};
    for (int t = 0; t < 2; t++) {
        atomic_store(&entered, 0);
        check(x, N, teams[t]);
        long n = atomic_load(&entered);
        if (n > teams[t])
            fail_msg("%d threads entered %ld critical sections for %d numbers: at most one per thread (%d) -- use "
                     "reduction clauses", teams[t], n, N, teams[t]);
    }
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact),
        cmocka_unit_test(test_all_negative),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_no_lock_per_element),
    };
    return cmocka_run_group_tests_name("12 ex2-reduction", tests, NULL, NULL);
}
