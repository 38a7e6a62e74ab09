/* granularity: when does parallelism pay off? The arithmetic of a task-cost
 * sweep, shared by lessons 06 (pools), 12 (OpenMP) and 13 (MPI).
 *
 * Layer 2 (records): numbers in, numbers out; nothing is run here.
 *
 * The model. n tasks of cost c each (nanoseconds) take n*c run serially.
 * Run on w workers they take
 *
 *     T(c) = start + n * (c / w + overhead)
 *
 * start: the fixed cost of getting going (creating the pool, its workers);
 * overhead: what each task costs on top of its work and is not shared out
 * among the workers (sending it, its result, waking someone up). So
 *
 *     speedup(c) = n*c / T(c)     which tends to w as c grows, and
 *     break-even: speedup = 1  at  c* = (overhead + start / n) / (1 - 1 / w)
 *
 * Python's multiprocessing has the same shape, with a larger start (a new
 * interpreter per worker under spawn) and a larger overhead (pickling, a
 * pipe, a feeder thread per task or chunk).
 */
#ifndef MP_GRANULARITY_H
#define MP_GRANULARITY_H

#include <stddef.h>

/* n values from lo to hi, evenly spaced on a log scale (n >= 2; n == 1
 * gives lo). lo and hi > 0. */
void mp_log_steps(double lo, double hi, int n, double *out);

/* Where a measured speedup curve crosses 1, costs ascending: the cost at
 * which going parallel starts to pay off. Interpolated linearly in
 * log(cost) between the last point below 1 and the point after it (so a
 * dip below 1 at a large cost counts: the curve must stay at or above 1
 * from the break-even on). Returns cost[0] if every point is at or above 1
 * (it pays off from the smallest cost measured: the break-even is at most
 * that), INFINITY if the last point is below 1 (it never paid off here),
 * NAN for n < 1. */
double mp_breakeven(const double *cost_ns, const double *speedup, int n);

typedef struct mp_cost_model {
    double start_ns;    /* fixed, once per run */
    double overhead_ns; /* per task, not shared among the workers */
    int workers;        /* the workers that can run at once: min(pool, CPUs) */
} mp_cost_model;

/* T(c) for n tasks of task_ns each. */
double mp_model_time_ns(const mp_cost_model *m, double task_ns, size_t n);
/* n*c / T(c). */
double mp_model_speedup(const mp_cost_model *m, double task_ns, size_t n);
/* c* where the model's speedup is 1: INFINITY for one worker (it never
 * pays off), 0 when start and overhead are both 0. */
double mp_model_breakeven(const mp_cost_model *m, size_t n);

/* The per-task overhead a run shows: a run of n tasks of task_ns each that
 * took total_ns, start_ns of it start-up, on `workers` workers, leaves
 * (total - start - n*task/workers) / n per task beyond the work. Never
 * below 0 (a noisy run can look faster than the model allows). */
double mp_overhead_per_task(double total_ns, double start_ns, double task_ns, size_t n, int workers);

/* Fit the model's overhead to a sweep: point i ran n[i] tasks of
 * task_ns[i] in total_ns[i]. The overhead is the median of
 * mp_overhead_per_task over the points whose task cost is at most
 * `max_task_ns` (the small tasks, where the overhead is most of the time and
 * noise in the work matters least; every point if none is that small).
 * start_ns and workers are given (measured directly). Returns the model. */
mp_cost_model mp_model_fit(double start_ns, int workers, const size_t *n, const double *task_ns,
                           const double *total_ns, int points, double max_task_ns);

#endif
