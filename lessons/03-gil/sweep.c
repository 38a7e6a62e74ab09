/* Lesson 03, part 2 -- the switch interval: how often does the new lock
 * change hands, and what does switching more often cost?
 *
 * sys.setswitchinterval(s) in CPython: a waiting thread asks the holder to
 * drop the lock only after it has waited a whole interval with no switch,
 * so the lock changes hands at most once per interval (plus once each time
 * a thread finishes and lets go for good).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lesson03.h"

typedef struct sweep_run {
    lock_job job;
    bool under_ceiling;
    double worst_share; /* the largest hand-overs / ceiling of the repeats */
    uint64_t handoffs;  /* the latest run's */
} sweep_run;

/* The ceiling of one run: one hand-over per whole interval of its time,
 * and one more each time a thread finishes. */
static void run_sweep(void *arg)
{
    sweep_run *s = arg;
    lock_result r;
    threads_under_lock(&s->job, &r);
    double ceiling = r.wall_s / ((double)s->job.interval_us / 1e6) + s->job.threads;
    double share = (double)r.k.handoffs / ceiling;
    if (share > 1.0)
        s->under_ceiling = false;
    if (share > s->worst_share)
        s->worst_share = share;
    s->handoffs = r.k.handoffs;
}

void part_sweep(mp_lesson *L, const settings *s, sweep_result *R)
{
    static const long full[] = {100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000};
    static const long quick[] = {100, 1000, 5000, 50000};
    const long *iv = L->o.quick ? quick : full;
    int n = L->o.quick ? 4 : 9;
    uint64_t each = mp_gil_ticks_for(L->o.quick ? 0.06 : 0.08) / (uint64_t)s->threads;
    mp_lesson_part(L, "2. the switch interval, swept: %d threads, new lock, %llu ticks each", s->threads,
                   (unsigned long long)each);
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "sweep.csv", "interval_us,median_s,handoffs,handoffs_per_s,min_s,max_s"));
    mp_table t;
    mp_table_header(&t, "interval us|median s|min s|max s|hand-overs|per second|1/interval");
    *R = (sweep_result){.points = n, .lo_us = iv[0], .hi_us = iv[n - 1], .under_ceiling = true,
                        .worst_interval = iv[0]};
    /* round by round, each interval in turn (see part 1) */
    sweep_run runs[9];
    double *samples = calloc((size_t)L->o.repeat * (size_t)n * 2, sizeof *samples);
    double *handoffs = samples + L->o.repeat * n;
    CHECK(samples ? 0 : -ENOMEM);
    for (int i = 0; i < n; i++) {
        runs[i] = (sweep_run){.job = job_for(s, MP_GIL_NEW, s->threads, each), .under_ceiling = true};
        runs[i].job.interval_us = iv[i];
    }
    for (int r = 0; r < L->o.repeat; r++)
        for (int i = 0; i < n; i++) {
            mp_stats one;
            CHECK(mp_measure(1, run_sweep, &runs[i], &one, NULL));
            samples[i * L->o.repeat + r] = one.median;
            handoffs[i * L->o.repeat + r] = (double)runs[i].handoffs;
        }
    for (int i = 0; i < n; i++) {
        const sweep_run *run = &runs[i];
        mp_stats wall, h;
        CHECK(mp_stats_of(samples + i * L->o.repeat, (size_t)L->o.repeat, &wall));
        CHECK(mp_stats_of(handoffs + i * L->o.repeat, (size_t)L->o.repeat, &h));
        double per_s = h.median / wall.median;
        mp_table_row(&t, "%ld|%.3f|%.3f|%.3f|%g|%.0f|%.0f", iv[i], wall.median, wall.min, wall.max, h.median, per_s,
                     1e6 / (double)iv[i]);
        CHECK(mp_csv_row(&csv, "%ld,%.6f,%g,%.1f,%.6f,%.6f", iv[i], wall.median, h.median, per_s, wall.min,
                         wall.max));
        if (!run->under_ceiling)
            R->under_ceiling = false;
        if (run->worst_share > R->worst_share) {
            R->worst_share = run->worst_share;
            R->worst_interval = iv[i];
        }
        if (i == 0 || wall.median < R->fastest_s)
            R->fastest_s = wall.median, R->fastest_us = iv[i];
        if (i == 0 || wall.median > R->slowest_s)
            R->slowest_s = wall.median, R->slowest_us = iv[i];
        if (mp_spread(&wall) > R->spread)
            R->spread = mp_spread(&wall);
    }
    free(samples);
    CHECK(mp_csv_close(&csv));
    mp_say("%d run(s) each, taking turns; hand-overs: the median run's; the lock can change hands at most once "
           "per interval, so per second stays under 1/interval (the dashed line)", L->o.repeat);
    mp_plot("sweep.gp", csv.path, L->o.out, "sweep", "lesson 03: the switch interval", NULL, L->o.no_plot);
}
