/* Exercise 12.1 -- pick the schedule.
 *
 * `#pragma omp parallel for` splits a loop's iterations among a team of
 * threads; the schedule clause says how (lesson 12, parts 1 and 2):
 *   schedule(static)      one contiguous block per thread, decided before
 *                         the loop starts: nothing handed out while it runs,
 *                         the cheapest when every iteration costs the same;
 *   schedule(static, k)   blocks of k dealt round-robin, also decided first;
 *   schedule(dynamic, k)  chunks of k handed to whichever thread is free;
 *   schedule(guided)      chunks that start at (what is left / threads) and
 *                         shrink.
 *
 * run_even(): iterations of equal cost -- pick the schedule that hands out
 * nothing while the loop runs.
 * run_skewed(): the first iteration takes as long as all the others
 * together. Pick the one schedule (and chunk) under which the thread that
 * runs iteration 0 holds nothing else, so that the other threads can run
 * every other iteration meanwhile.
 *
 * Both: run body(i, ctx) once for each i in [0, n), on `threads` threads
 * (the num_threads clause). The tests record which thread ran which
 * iteration (omp_get_thread_num()): they judge the split, never the time.
 * Test: make check-12 EX=1
 */
#include <omp.h>

#include "ex1-schedule.h"

void run_even(long n, int threads, body_fn body, void *ctx)
{
    /* equal iterations: one block each, decided before the loop */
#pragma omp parallel for schedule(static) num_threads(threads)
    for (long i = 0; i < n; i++)
        body(i, ctx);
}

void run_skewed(long n, int threads, body_fn body, void *ctx)
{
    /* one iteration at a time to whoever is free: the thread that took
     * iteration 0 takes nothing more until it is done */
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (long i = 0; i < n; i++)
        body(i, ctx);
}
