/* Lesson 06, part 1 -- the task-cost sweep: when does a pool pay off?
 *
 * n tasks of one cost, from ~100 ns to ~10 ms in log steps, run four ways:
 * a plain loop, and T4's `with Pool() as p: p.map(f, xs)` on a thread pool,
 * a process pool whose workers are forked and one whose workers are
 * spawned, each with chunksize 1 and with Python's default chunksize. The
 * pool's start is inside the time: that is what a one-off job pays.
 *
 * n is chosen per cost so that each point is about the same serial work
 * (at least a few tasks per worker, at most a few thousand tasks): then the
 * small tasks show the per-task overhead and the big ones the start.
 *
 * The speedup is the serial loop's median over the pool's median. Where a
 * curve crosses 1 is its break-even (mp_breakeven): below that cost the
 * pool costs more than it saves. */
#include <math.h>
#include <unistd.h>

#include "lesson06.h"

/* The idle pool's cost: start, close, join, no task. The model's start. */
static void idle_pool(void *arg)
{
    batch *b = arg;
    mp_lesson_pool_finish(way_pool(b->way, b->workers));
}

static void measure_starts(const mp_lesson *L, sweep_result *R)
{
    batch b = {.workers = R->workers};
    for (int w = 0; w < NWAYS; w++) {
        b.way = w;
        CHECK(mp_measure(L->o.repeat < 3 ? 3 : L->o.repeat, idle_pool, &b, &R->start[w], NULL));
        R->start_ns[w] = R->start[w].median * 1e9;
        mp_say("start a %s pool of %d workers, close and join it, no task: %.2f ms (min %.2f, max %.2f)",
               way_names[w], R->workers, R->start[w].median * 1e3, R->start[w].min * 1e3, R->start[w].max * 1e3);
    }
}

static void run_point(const mp_lesson *L, sweep_result *R, int i)
{
    double c = R->cost_ns[i];
    size_t n = tasks_for(c, R->work_ns, R->lo_tasks, R->hi_tasks);
    batch b;
    CHECK(batch_init(&b, n, mp_spin_steps_for_ns(c)));
    b.workers = R->workers;
    CHECK(mp_measure(L->o.repeat, run_serial, &b, &R->serial[i], NULL));
    CHECK(mp_csv_row(&gran_csv, "serial,%.0f,1,0,%.6f,1,0", c, R->serial[i].median));
    for (int w = 0; w < NWAYS; w++)
        for (int k = 0; k < NCS; k++) {
            curve *cv = &R->c[w][k];
            b.way = w;
            b.chunksize = k == CS_ONE ? 1 : 0;
            CHECK(mp_measure(L->o.repeat, run_pool, &b, &cv->time[i], NULL));
            R->all_right = R->all_right && batch_right(&b);
            cv->cost_ns[i] = c;
            cv->tasks[i] = n;
            cv->chunksize[i] = k == CS_ONE ? 1 : mp_pool_chunksize(n, R->workers);
            cv->speedup[i] = R->serial[i].median / cv->time[i].median;
            cv->spread[i] = fmax(mp_spread(&R->serial[i]), mp_spread(&cv->time[i]));
            cv->points = i + 1;
            double over = mp_overhead_per_task(cv->time[i].median * 1e9, R->start_ns[w], c, n, R->usable);
            CHECK(mp_csv_row(&gran_csv, "%s,%.0f,%d,%zu,%.6f,%.4f,%.0f", cv->backend, c, R->workers,
                             cv->chunksize[i], cv->time[i].median, cv->speedup[i], over));
        }
    batch_free(&b);
}

static void say_breakevens(const sweep_result *R)
{
    mp_table t;
    mp_table_header(&t, "way|chunksize|break-even task cost|speedup at the smallest|at the largest");
    for (int w = 0; w < NWAYS; w++)
        for (int k = 0; k < NCS; k++) {
            const curve *cv = &R->c[w][k];
            char be[32];
            mp_table_row(&t, "%s|%s|%s|%.3f|%.2f", way_names[w], k == CS_ONE ? "1" : "default",
                         mp_ns_text(cv->breakeven_ns, be, sizeof be), cv->speedup[0], cv->speedup[R->points - 1]);
        }
}

void part_sweep(mp_lesson *L, sweep_result *R)
{
    mp_lesson_part(L, "1. The task-cost sweep: speedup of each way against the cost of one task");
    *R = (sweep_result){.workers = L->o.workers, .all_right = true};
    R->usable = mp_cpus_usable() < R->workers ? mp_cpus_usable() : R->workers;
    /* a point per decade: 100 ns, 1 us, ... */
    double top = L->o.quick ? 1e6 : 1e7;
    R->points = L->o.quick ? 5 : 6;
    mp_log_steps(100, top, R->points, R->cost_ns);
    measure_starts(L, R);
    /* Each point is about work_ns of serial work: at least 6 times the
     * slowest pool's start, so that the start is a small part of every
     * point (were it near half of the work, two workers could never pay it
     * back, and the crossing would be lost in the noise). Tasks: from
     * hi_tasks tiny ones down to lo_tasks of the biggest, ~120-160 ms of
     * work, where a pool must show what it can do: a multiple of 4 tasks
     * per worker, so that the default chunks (n / (4 workers)) share out
     * evenly -- 20 tasks in chunks of 3 would leave one worker 4 chunks and
     * the other 3, and no more than 1.67x. */
    double slowest = fmax(R->start_ns[W_FORK], R->start_ns[W_SPAWN]);
    R->work_ns = fmin(fmax(6 * slowest, L->o.quick ? 5e6 : 20e6), 50e6);
    R->hi_tasks = (size_t)ceil(R->work_ns / 1e4); /* tasks of 10 us and less: the most */
    size_t per_round = (size_t)(4 * R->workers);
    R->lo_tasks = (size_t)ceil((L->o.quick ? 120e6 : 160e6) / top);
    R->lo_tasks = (R->lo_tasks + per_round - 1) / per_round * per_round;
    if (R->hi_tasks < R->lo_tasks)
        R->hi_tasks = R->lo_tasks;
    for (int w = 0; w < NWAYS; w++)
        for (int k = 0; k < NCS; k++) {
            static char names[NWAYS][NCS][48];
            snprintf(names[w][k], sizeof names[w][k], "%s, chunksize %s", way_names[w], k == CS_ONE ? "1" : "default");
            R->c[w][k].name = names[w][k];
            R->c[w][k].backend = way_names[w];
        }
    mp_say("%d workers (%d can run at once on the CPUs usable); tasks of %.0f ns to %.0f ms; each point %zu to %zu "
           "tasks, about %.0f ms of serial work (more for the biggest tasks)", R->workers, R->usable, R->cost_ns[0],
           top / 1e6, R->hi_tasks, R->lo_tasks, R->work_ns / 1e6);
    mp_progress bar;
    mp_progress_start(&bar, "sweep points", (size_t)R->points, STDERR_FILENO);
    for (int i = 0; i < R->points; i++) {
        run_point(L, R, i);
        mp_progress_update(&bar, (size_t)i + 1);
    }
    mp_progress_finish(&bar);

    mp_table t;
    mp_table_header(&t, "task|tasks|serial ms|thread 1|thread dflt|fork 1|fork dflt|spawn 1|spawn dflt");
    for (int i = 0; i < R->points; i++) {
        char c[32];
        const curve(*cv)[NCS] = R->c;
        mp_table_row(&t, "%s|%zu|%.2f|%.2f|%.2f|%.2f|%.2f|%.2f|%.2f", mp_ns_text(R->cost_ns[i], c, sizeof c),
                     cv[0][0].tasks[i], R->serial[i].median * 1e3, cv[0][0].speedup[i], cv[0][1].speedup[i],
                     cv[1][0].speedup[i], cv[1][1].speedup[i], cv[2][0].speedup[i], cv[2][1].speedup[i]);
    }
    mp_say("(speedup = serial median / the way's median; below 1 the pool is slower than the loop)");
    for (int w = 0; w < NWAYS; w++)
        for (int k = 0; k < NCS; k++)
            R->c[w][k].breakeven_ns = mp_breakeven(R->c[w][k].cost_ns, R->c[w][k].speedup, R->points);
    say_breakevens(R);
    mp_say("every batch gave the serial loop's results: %s", R->all_right ? "yes" : "NO");

    mp_cost_series s[NWAYS * NCS];
    for (int w = 0; w < NWAYS; w++)
        for (int k = 0; k < NCS; k++)
            s[w * NCS + k] = (mp_cost_series){R->c[w][k].name, R->points, R->c[w][k].cost_ns, R->c[w][k].speedup, false};
    mp_cost_plot(L->o.out, "granularity", "lesson 06: speedup against task cost (pool start included)", NULL, s, NWAYS * NCS,
                 0, NULL, L->o.no_plot);
}
