/* bench.h: the shared harness of the benchmarks. Every benchmark compares
 * the kit against the bare system calls *in the same run*, interleaved
 * (kit, raw, kit, raw, ...), and reports the ratio of the medians: on a
 * shared, noisy machine only a side-by-side ratio means anything. */
#ifndef MP_BENCH_H
#define MP_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mp.h"

#define BENCH_REPEATS 9

/* ns per call of fn(arg), timed over `iters` calls. */
static inline double bench_ns_per_call(void (*fn)(void *), void *arg, int iters)
{
    uint64_t t0 = mp_now_ns();
    for (int i = 0; i < iters; i++)
        fn(arg);
    return (double)(mp_now_ns() - t0) / iters;
}

/* Interleave kit and raw, BENCH_REPEATS times each; print one parseable
 * line and return 0 if the ratio meets the target (target <= 0: none). */
static inline int bench_compare(const char *what, void (*kit)(void *), void (*raw)(void *), void *arg, int iters,
                                double target)
{
    double k[BENCH_REPEATS], r[BENCH_REPEATS];
    kit(arg), raw(arg); /* warm up */
    for (int i = 0; i < BENCH_REPEATS; i++) {
        k[i] = bench_ns_per_call(kit, arg, iters);
        r[i] = bench_ns_per_call(raw, arg, iters);
    }
    mp_stats ks, rs;
    mp_stats_of(k, BENCH_REPEATS, &ks);
    mp_stats_of(r, BENCH_REPEATS, &rs);
    double ratio = ks.median / rs.median;
    bool ok = target <= 0 || ratio <= target;
    printf("%-34s kit %9.1f us  raw %9.1f us  ratio %.2f", what, ks.median / 1e3, rs.median / 1e3, ratio);
    if (target > 0)
        printf("  (target <= %.1f: %s)", target, ok ? "met" : "MISSED");
    printf("\n");
    return ok ? 0 : 1;
}

/* Run `python3 -c script` (at most 120 s) and return the number it prints,
 * or 0 when python3 is not here or the script failed. */
static inline double bench_python_number(const char *script)
{
    if (!mp_have_program("python3") || !mp_have_program("timeout"))
        return 0;
    char *argv[] = {"timeout", "120", "python3", "-c", (char *)script, NULL};
    pid_t pid;
    int out;
    if (mp_program_start(argv, &pid, &out) != 0)
        return 0;
    char buf[128] = {0};
    size_t got = 0;
    ssize_t n;
    while (got < sizeof buf - 1 && (n = read(out, buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)n;
    close(out);
    if (mp_program_wait(pid) != 0)
        return 0;
    return atof(buf);
}

#endif
