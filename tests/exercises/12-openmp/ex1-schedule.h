/* Exercise 12.1: pick the schedule. The interface the tests, the exercise
 * and the solution share. */
#ifndef EX1_SCHEDULE_H
#define EX1_SCHEDULE_H

/* A loop's body: iteration i, run by whichever thread the schedule picks. */
typedef void (*body_fn)(long i, void *ctx);

/* Run body(i, ctx) exactly once for every i in [0, n), on `threads` OpenMP
 * threads (num_threads). The iterations all cost the same: split them the
 * cheapest way, one contiguous block per thread (in thread order, sizes
 * differing by at most one), decided before the loop runs. */
void run_even(long n, int threads, body_fn body, void *ctx);

/* The same for a loop whose first iteration costs as much as all the others
 * together: while one thread works on iteration 0, the others must be able
 * to run every other iteration. */
void run_skewed(long n, int threads, body_fn body, void *ctx);

#endif
