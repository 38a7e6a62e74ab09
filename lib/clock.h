/* clock: time measured three ways, and the statistics of repeated runs.
 *
 * Layer 1 (system helpers).
 *
 * Mirrors Python's time.perf_counter() (wall time on a monotonic clock) and
 * os.times() / time.process_time() / time.thread_time() (CPU time).
 * Wall time tells how long you waited; CPU time tells how much work the
 * processor did for you. When 2 threads finish a job in the same wall time as
 * 1, CPU time tells you whether they ran in parallel (CPU time = 2x wall) or
 * took turns (CPU time = wall), which is exactly what a GIL does.
 *
 * A noisy machine never gives the same number twice, so lessons repeat each
 * measurement and report the median with min and max, never one run alone.
 */
#ifndef MP_CLOCK_H
#define MP_CLOCK_H

#include <stddef.h>
#include <stdint.h>

uint64_t mp_now_ns(void);          /* CLOCK_MONOTONIC, nanoseconds */
uint64_t mp_process_cpu_ns(void);  /* CPU time of every thread in this process */
uint64_t mp_thread_cpu_ns(void);   /* CPU time of the calling thread */
uint64_t mp_children_cpu_ns(void); /* CPU time of reaped children (getrusage) */

static inline double mp_ns_to_s(uint64_t ns) { return (double)ns / 1e9; }

/* min, median and max of n samples (n >= 1). The input is not modified. */
typedef struct mp_stats {
    double min, median, max;
    size_t n;
} mp_stats;

int mp_stats_of(const double *samples, size_t n, mp_stats *out);

/* Value at quantile q (0..1) with linear interpolation; the 99th percentile
 * of a latency sample is mp_quantile(s, n, 0.99). Returns 0 when n == 0. */
double mp_quantile(const double *samples, size_t n, double q);

/* Sleep for the given time, resuming after signals. */
void mp_sleep_ns(uint64_t ns);

#endif
