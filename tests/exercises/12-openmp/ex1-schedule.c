/* Tests for exercise 12.1: pick the schedule. They record which OpenMP
 * thread ran which iteration and judge the split, never the time. The one
 * wait (iteration 0 of the skewed loop waits for all the others) gives up
 * after 5 s without any progress, so a wrong schedule fails, it does not
 * hang. */
/* mpkit-ldflags: -fopenmp */
#include "helpers.h"

#include <omp.h>

#include "ex1-schedule.h"

#define MAX_N 4096
#define STALL_S 5.0 /* no iteration finished for this long: the others cannot run */

typedef struct record {
    long n;
    int who[MAX_N];            /* the thread that ran iteration i */
    _Atomic int runs[MAX_N];   /* how many times iteration i ran */
    _Atomic long done;         /* iterations finished */
    int team;                  /* omp_get_num_threads() seen inside */
    _Atomic long out_of_range; /* calls with i outside [0, n) */
    bool skewed, stalled;
} record;

static void body(long i, void *ctx)
{
    record *r = ctx;
    if (i < 0 || i >= r->n) {
        atomic_fetch_add(&r->out_of_range, 1);
        return;
    }
    r->who[i] = omp_get_thread_num();
    r->team = omp_get_num_threads();
    atomic_fetch_add(&r->runs[i], 1);
    if (r->skewed && i == 0) {
        /* as long as all the others together: wait until they are done */
        long seen = -1;
        uint64_t last = mp_now_ns();
        while (atomic_load(&r->done) < r->n - 1) {
            long d = atomic_load(&r->done);
            if (d != seen) {
                seen = d;
                last = mp_now_ns();
            } else if (mp_now_ns() - last > (uint64_t)(STALL_S * 1e9)) {
                r->stalled = true; /* nobody else could run the rest */
                break;
            }
            mp_sleep_ns(1000000);
        }
    } else {
        mp_spin(2000, (uint64_t)i); /* a little work */
    }
    atomic_fetch_add(&r->done, 1);
}

static record *fresh(long n, bool skewed)
{
    record *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->n = n;
    r->skewed = skewed;
    return r;
}

static void assert_each_once(const record *r)
{
    if (atomic_load(&r->out_of_range))
        fail_msg("body was called %ld times with an i outside [0, %ld)", atomic_load(&r->out_of_range), r->n);
    for (long i = 0; i < r->n; i++)
        if (atomic_load(&r->runs[i]) != 1)
            fail_msg("iteration %ld ran %d times, not once", i, atomic_load(&r->runs[i]));
}

/* Every iteration exactly once, in both, on several team sizes. */
static void test_every_iteration_once(void **state)
{
    (void)state;
    const int teams[] = {1, 2, 3};
    for (int t = 0; t < 3; t++) {
        record *r = fresh(1000, false);
        run_even(r->n, teams[t], body, r);
        assert_each_once(r);
        free(r);
        r = fresh(1000, false);
        run_skewed(r->n, teams[t], body, r);
        assert_each_once(r);
        free(r);
    }
}

/* run_even: as static splits it -- one contiguous block per thread, in
 * thread order, sizes within one of each other, every thread one. */
static void check_blocks(long n, int threads)
{
    record *r = fresh(n, false);
    run_even(n, threads, body, r);
    assert_each_once(r);
    if (r->team != threads)
        fail_msg("the team had %d threads, not %d: num_threads(threads)?", r->team, threads);
    long first[64], count[64] = {0};
    for (long i = 0; i < n; i++) {
        int t = r->who[i];
        assert_true(t >= 0 && t < threads);
        if (count[t]++ == 0)
            first[t] = i;
        else if (r->who[i - 1] != t)
            fail_msg("thread %d ran iterations %ld and %ld but not all between: not one block per thread", t,
                     first[t], i);
    }
    long least = n, most = 0;
    for (int t = 0; t < threads; t++) {
        if (count[t] == 0)
            fail_msg("thread %d ran no iteration", t);
        if (t > 0 && first[t] < first[t - 1])
            fail_msg("thread %d's block comes before thread %d's: blocks go in thread order", t, t - 1);
        least = count[t] < least ? count[t] : least;
        most = count[t] > most ? count[t] : most;
    }
    if (most - least > 1)
        fail_msg("blocks of %ld to %ld iterations: equal iterations, equal blocks", least, most);
    free(r);
}

static void test_even_in_blocks(void **state)
{
    (void)state;
    check_blocks(1003, 4);
    check_blocks(64, 2);
    check_blocks(10, 3);
}

/* run_skewed: iteration 0 waits (at most until nothing moves for 5 s) for
 * all the others; the thread that ran it ran nothing else. */
static void check_skewed(long n, int threads)
{
    record *r = fresh(n, true);
    run_skewed(n, threads, body, r);
    assert_each_once(r);
    if (r->stalled)
        fail_msg("%d threads, %ld iterations: iteration 0 waited %.0f s while nothing else ran -- its thread "
                 "held other iterations, or the others had nothing left to take", threads, n, STALL_S);
    for (long i = 1; i < n; i++)
        if (r->who[i] == r->who[0])
            fail_msg("thread %d ran iteration 0 and iteration %ld too", r->who[0], i);
    free(r);
}

static void test_skewed_first_alone(void **state)
{
    (void)state;
    check_skewed(200, 2);
    check_skewed(200, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_iteration_once),
        cmocka_unit_test(test_even_in_blocks),
        cmocka_unit_test(test_skewed_first_alone),
    };
    return cmocka_run_group_tests_name("12 ex1-schedule", tests, NULL, NULL);
}
