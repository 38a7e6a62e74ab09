#include "clock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static uint64_t read_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts); /* cannot fail for these clock ids */
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t mp_now_ns(void) { return read_clock(CLOCK_MONOTONIC); }
uint64_t mp_process_cpu_ns(void) { return read_clock(CLOCK_PROCESS_CPUTIME_ID); }
uint64_t mp_thread_cpu_ns(void) { return read_clock(CLOCK_THREAD_CPUTIME_ID); }

uint64_t mp_children_cpu_ns(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_CHILDREN, &ru) != 0)
        return 0;
    uint64_t us = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
                  (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
    return us * 1000u;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double *sorted_copy(const double *samples, size_t n)
{
    double *copy = malloc(n * sizeof *copy);
    if (copy) {
        memcpy(copy, samples, n * sizeof *copy);
        qsort(copy, n, sizeof *copy, cmp_double);
    }
    return copy;
}

int mp_stats_of(const double *samples, size_t n, mp_stats *out)
{
    if (n == 0 || !samples || !out)
        return -EINVAL;
    double *s = sorted_copy(samples, n);
    if (!s)
        return -ENOMEM;
    out->n = n;
    out->min = s[0];
    out->max = s[n - 1];
    /* even count: mean of the two middle values, as statistics.median does */
    out->median = (n % 2) ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
    free(s);
    return 0;
}

double mp_quantile(const double *samples, size_t n, double q)
{
    if (n == 0)
        return 0.0;
    double *s = sorted_copy(samples, n);
    if (!s)
        return 0.0;
    if (q < 0) q = 0;
    if (q > 1) q = 1;
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    double frac = pos - (double)i;
    double v = (i + 1 < n) ? s[i] + frac * (s[i + 1] - s[i]) : s[i];
    free(s);
    return v;
}

void mp_sleep_ns(uint64_t ns)
{
    struct timespec req = {.tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u)};
    while (nanosleep(&req, &req) != 0 && errno == EINTR)
        ;
}
