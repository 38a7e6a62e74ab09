/* Lesson 13, part 4 -- granularity again: many tasks of one cost, shared
 * out by MPI and by the kit's process pool.
 *
 * Lesson 06 asked how big a task must be before a pool pays off. Here the
 * same sweep, 100 ns to 10 ms a task (lib/work.h's mp_spin: the cost
 * converted to steps once, so every process does the same work), runs four
 * ways on --workers workers:
 *   mpi-static   each rank takes a contiguous block of the tasks; one
 *                reduce at the end (mpi/tasks.c)
 *   mpi-master   rank 0 hands out one task at a time, each worker holding
 *                its next one, and works through tasks itself in between
 *   pool-static  the process pool, one chunk per worker (chunksize n/W):
 *                the pool's form of a static split
 *   pool-chunk1  the process pool, chunksize 1: one task at a time, the
 *                pool's form of a master handing out tasks
 * against a plain loop in this process. Neither side's start is inside the
 * times (part 2 measured those): the ranks and the pool's workers are
 * running, as in a long program that shares out many jobs.
 *
 * The break-even of each way (lib/granularity.h's mp_breakeven: where its
 * speedup crosses 1 for the last time) says from which task cost on it
 * pays; the per-task overhead at the smallest cost (mp_overhead_per_task)
 * says why: what each way spends per task beyond the task. */
#include <math.h>

#include "lesson13.h"

const char *const way_names[NWAYS] = {"mpi-static", "mpi-master", "pool-static", "pool-chunk1"};
#define MAX_REPEAT 64
#define MAX_TASKS 50000

static uint64_t steps_of(const tasks_result *R, int i)
{
    return mp_spin_steps_for_ns(R->cost_ns[i]);
}

/* The plain loop and the pool, interleaved: repeat r of every point and
 * way before repeat r + 1. want[i]: the loop's sum. */
static void measure_pool(const mp_lesson *L, tasks_result *R, uint64_t *want, double t[NWAYS + 1][COSTS_MAX][MAX_REPEAT],
                         int reps)
{
    (void)L;
    mp_pool *pool = mp_lesson_pool(MP_POOL_PROCESSES, -1, R->workers, NULL);
    spin_arg *args = malloc(sizeof *args * MAX_TASKS);
    uint64_t *res = malloc(sizeof *res * MAX_TASKS);
    if (!args || !res) {
        mp_error("out of memory");
        mp_lesson_abort();
    }
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < R->points; i++) {
            long n = R->n[i];
            uint64_t steps = steps_of(R, i), sum = 0;
            uint64_t t0 = mp_now_ns();
            for (long j = 0; j < n; j++)
                sum += mp_spin(steps, (uint64_t)j + 1);
            t[NWAYS][i][r] = mp_ns_to_s(mp_now_ns() - t0); /* the plain loop */
            want[i] = sum;
            for (long j = 0; j < n; j++)
                args[j] = (spin_arg){steps, (uint64_t)j + 1};
            for (int w = W_POOL_STATIC; w <= W_POOL_ONE; w++) {
                mp_call_opts o = {.chunksize = w == W_POOL_ONE ? 1 : (size_t)((n + R->workers - 1) / R->workers)};
                t0 = mp_now_ns();
                CHECK(mp_pool_map(pool, spin_task, args, (size_t)n, sizeof args[0], res, sizeof res[0], &o));
                t[w][i][r] = mp_ns_to_s(mp_now_ns() - t0);
                uint64_t got = 0;
                for (long j = 0; j < n; j++)
                    got += res[j];
                R->sums_right = R->sums_right && got == sum;
            }
        }
    free(args);
    free(res);
    mp_lesson_pool_finish(pool);
}

/* One launch: every point, static then master, --repeat times. */
static void measure_mpi(const mp_lesson *L, tasks_result *R, const uint64_t *want,
                        double t[NWAYS + 1][COSTS_MAX][MAX_REPEAT], int reps)
{
    (void)L;
    char rep[16], pairs[COSTS_MAX][48];
    snprintf(rep, sizeof rep, "%d", reps);
    char *args[3 + COSTS_MAX] = {"tasks", rep};
    double expect_s = 0;
    for (int i = 0; i < R->points; i++) {
        snprintf(pairs[i], sizeof pairs[i], "%llu:%ld", (unsigned long long)steps_of(R, i), R->n[i]);
        args[2 + i] = pairs[i];
        expect_s += 2 * R->serial[i].median * reps;
    }
    args[2 + R->points] = NULL;
    mpi_job job;
    mpi_start(&job, "part 4's tasks job", R->workers, NULL, args, 60 + 20 * expect_s, false);
    int got = 0;
    bool done = false;
    for (const char *line; (line = mpi_line(&job));) {
        char mode[16], list[4096];
        unsigned long long steps, sum;
        long n, rank0;
        int r;
        double s;
        if (sscanf(line, "tasks %15s %llu %ld %d %lf %llu %4095s", mode, &steps, &n, &r, &s, &sum, list) == 7) {
            int i = 0;
            while (i < R->points && (steps_of(R, i) != steps || R->n[i] != n))
                i++;
            int w = strcmp(mode, "static") == 0 ? W_MPI_STATIC : strcmp(mode, "master") == 0 ? W_MPI_MASTER : -1;
            if (i == R->points || w < 0 || r < 0 || r >= reps)
                mpi_fail(&job, "an unexpected line: %s", line);
            if (sum != want[i])
                mpi_fail(&job, "%s: the sum of %ld tasks is %llu; the plain loop's %llu", mode, n, sum,
                         (unsigned long long)want[i]);
            t[w][i][r] = s;
            if (w == W_MPI_MASTER && sscanf(list, "%ld", &rank0) == 1)
                R->master_share[i] = rank0;
            got++;
        } else if (strcmp(line, "done tasks") == 0)
            done = true;
    }
    mpi_finish(&job);
    if (!done || got != 2 * R->points * reps)
        mpi_fail(&job, "%d results of %d%s", got, 2 * R->points * reps, done ? "" : ", and no 'done'");
}

void part_tasks(mp_lesson *L, tasks_result *R)
{
    memset(R, 0, sizeof *R);
    R->workers = L->o.workers < RANKS_MAX ? L->o.workers : RANKS_MAX;
    R->sums_right = true;
    R->points = L->o.quick ? 5 : 6;
    mp_log_steps(100, L->o.quick ? 1e6 : 1e7, R->points, R->cost_ns);
    mp_lesson_part(L, "4. Granularity: tasks of 100 ns to %s shared out by %d ranks and by a pool of %d workers",
                   L->o.quick ? "1 ms" : "10 ms", R->workers, R->workers);
    /* about work_ns of serial work per point (less for the tiniest tasks:
     * at most max_tasks of them), at least 4 tasks per worker, a multiple
     * of the workers (a static split shares them out evenly) */
    double work_ns = L->o.quick ? 10e6 : 40e6;
    long max_tasks = L->o.quick ? MAX_TASKS / 2 : MAX_TASKS;
    for (int i = 0; i < R->points; i++) {
        long n = (long)(work_ns / R->cost_ns[i]), least = 4l * R->workers;
        n = n < least ? least : n > max_tasks ? max_tasks : n;
        R->n[i] = (n + R->workers - 1) / R->workers * R->workers;
    }
    int reps = L->o.repeat < MAX_REPEAT ? L->o.repeat : MAX_REPEAT;
    static double t[NWAYS + 1][COSTS_MAX][MAX_REPEAT];
    uint64_t want[COSTS_MAX];
    mp_say("a plain loop and the process pool (%s start, %d workers): chunksize n/%d (static) and 1; %d repeat%s",
           mp_start_names[L->o.start], R->workers, R->workers, reps, reps == 1 ? "" : "s");
    measure_pool(L, R, want, t, reps);
    for (int i = 0; i < R->points; i++)
        mp_stats_of(t[NWAYS][i], (size_t)reps, &R->serial[i]);
    mp_say("MPI on %d ranks: a static split, then a master handing out tasks, in one launch", R->workers);
    measure_mpi(L, R, want, t, reps);

    int usable = mp_cpus_usable() < R->workers ? mp_cpus_usable() : R->workers;
    for (int w = 0; w < NWAYS; w++) {
        for (int i = 0; i < R->points; i++) {
            mp_stats_of(t[w][i], (size_t)reps, &R->way[w][i]);
            R->speedup[w][i] = R->serial[i].median / R->way[w][i].median;
            R->spread[w][i] = fmax(mp_spread(&R->serial[i]), mp_spread(&R->way[w][i]));
        }
        R->breakeven_ns[w] = mp_breakeven(R->cost_ns, R->speedup[w], R->points);
        R->overhead_ns[w] = mp_overhead_per_task(R->way[w][0].median * 1e9, 0, R->serial[0].median * 1e9 / R->n[0],
                                                 (size_t)R->n[0], usable);
    }

    mp_table tb;
    mp_table_header(&tb, "task|tasks|loop ms|mpi-static|mpi-master|pool-static|pool-chunk1|master did itself");
    for (int i = 0; i < R->points; i++) {
        char c[32];
        mp_table_row(&tb, "%s|%ld|%.2f|%.2f|%.2f|%.2f|%.2f|%ld", mp_ns_text(R->cost_ns[i], c, sizeof c), R->n[i],
                     R->serial[i].median * 1e3, R->speedup[W_MPI_STATIC][i], R->speedup[W_MPI_MASTER][i],
                     R->speedup[W_POOL_STATIC][i], R->speedup[W_POOL_ONE][i], R->master_share[i]);
    }
    mp_say("(speedup = the loop's median / the way's; below 1 the way is slower than the loop)");
    mp_table_header(&tb, "way|break-even task cost|overhead per task at the smallest");
    for (int w = 0; w < NWAYS; w++) {
        char be[32], ov[32];
        mp_table_row(&tb, "%s|%s|%s", way_names[w], mp_ns_text(R->breakeven_ns[w], be, sizeof be),
                     mp_ns_text(R->overhead_ns[w], ov, sizeof ov));
    }
    mp_say("every way's sums matched the plain loop's: %s", R->sums_right ? "yes" : "NO");

    for (int i = 0; i < R->points; i++) {
        CHECK(mp_csv_row(&mpi_csv, "tasks-serial,1,0,%.0f,%.9f,1", R->cost_ns[i], R->serial[i].median));
        for (int w = 0; w < NWAYS; w++)
            CHECK(mp_csv_row(&mpi_csv, "tasks-%s,%d,0,%.0f,%.9f,%.6g", way_names[w], R->workers, R->cost_ns[i],
                             R->way[w][i].median, R->speedup[w][i]));
    }
    /* the break-evens: task_ns is the break-even (inf: never paid off here) */
    for (int w = 0; w < NWAYS; w++)
        CHECK(mp_csv_row(&mpi_csv, "breakeven-%s,%d,0,%.0f,0,1", way_names[w], R->workers, R->breakeven_ns[w]));

    mp_cost_series s[NWAYS];
    for (int w = 0; w < NWAYS; w++)
        s[w] = (mp_cost_series){way_names[w], R->points, R->cost_ns, R->speedup[w], false};
    mp_cost_plot(L->o.out, "tasks-speedup", "lesson 13: speedup against task cost, MPI and the process pool", NULL, s,
                 NWAYS, 0, NULL, L->o.no_plot);
}
