/* Lesson 12, part 1b -- the task-cost sweep: what does a task cost in
 * OpenMP, and in the kit's pools?
 *
 * Lesson 06's question, fewer points: n tasks of ~100 ns to ~1 ms each
 * (mp_spin), run by a plain loop, by four OpenMP schedules and by the kit's
 * thread and process pools (chunksize 1). The team and the pools are made
 * once and kept: what is compared is the cost of a call and of a task,
 * not of starting workers (OpenMP starts its threads at the first parallel
 * region and keeps them; lesson 06 timed the pools' starts).
 *
 * Each way gets lib/granularity.h's model, T = call + n (task / threads +
 * overhead), both costs measured with empty tasks: `call` is a loop of one
 * empty task per thread, `overhead` what each of many empty tasks adds.
 * Its break-even is set beside the measured one. OpenMP's overhead is an
 * atomic add on a shared counter (dynamic) or nothing (static); the kit's
 * process pool copies each argument and result through shared memory and
 * sends messages. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "lesson12.h"

#define MODEL_GRID 48

/* How many tasks a point runs: about work_ns of serial work, between lo and hi. */
static long tasks_for(double cost_ns, double work_ns, long lo, long hi)
{
    double n = work_ns / cost_ns;
    return n < (double)lo ? lo : n > (double)hi ? hi : (long)n;
}

/* What a call and a task cost beyond the work: empty tasks (mp_spin of 0
 * steps), one per thread (the call), then as many as it takes to fill
 * target_s (the per task; timeit's autorange: 4,000 tasks, then 4x more until
 * the run is long enough). Then what OpenMP's idle threads burn after a region. */
static void measure_costs(const mp_lesson *L, sweep_result *R, job *j)
{
    const long most = 1L << 18;
    spin_arg *args = calloc((size_t)most, sizeof *args);
    uint64_t *out = calloc((size_t)most, sizeof *out);
    CHECK(args && out ? 0 : -ENOMEM);
    for (long k = 0; k < most; k++)
        args[k] = (spin_arg){0, (uint64_t)k + 1};
    j->args = args;
    j->results = out;
    double target_s = L->o.quick ? 4e-3 : 10e-3;
    int repeat = L->o.repeat < 5 ? 5 : L->o.repeat;
    let_openmp_sleep();
    const int order[NWAYS] = {W_THREAD, W_PROCESS, W_STATIC, W_DYNAMIC1, W_DYNAMIC16, W_GUIDED};
    for (int k = 0; k < NWAYS; k++) {
        int w = order[k];
        j->n = R->threads;
        measure_way(repeat, w, j, &R->call[w]);
        mp_stats probe;
        for (j->n = 4000;; j->n *= 4) {
            measure_way(1, w, j, &probe);
            if (probe.median >= target_s || j->n * 4 > most)
                break;
        }
        R->per_task_n[w] = j->n;
        measure_way(repeat, w, j, &R->many[w]);
        R->model[w] = (mp_cost_model){.start_ns = R->call[w].median * 1e9,
                                      .overhead_ns = mp_overhead_per_task(R->many[w].median * 1e9,
                                                                          R->call[w].median * 1e9, 0,
                                                                          (size_t)j->n, R->usable),
                                      .workers = R->usable};
    }
    /* the spin after a region: CPU used while this thread sleeps 50 ms */
    j->n = R->threads;
    run_way(W_DYNAMIC1, j);
    uint64_t c0 = mp_process_cpu_ns();
    mp_sleep_ns(50000000);
    R->idle_spin_ms = (double)(mp_process_cpu_ns() - c0) / 1e6;
    mp_table t;
    mp_table_header(&t, "way|a call: one empty task per thread|spread|empty tasks|per task beyond the call|spread");
    for (int w = 0; w < NWAYS; w++) {
        char call[32], per[32];
        mp_table_row(&t, "%s|%s|%.0f%%|%ld|%s|%.0f%%", ways[w].name, mp_ns_text(R->model[w].start_ns, call, sizeof call),
                     100 * mp_spread(&R->call[w]), R->per_task_n[w], mp_ns_text(R->model[w].overhead_ns, per, sizeof per),
                     100 * mp_spread(&R->many[w]));
    }
    mp_say("(medians of %d runs; per task = (time of the empty tasks - a call) / their number)", repeat);
    mp_say("after a region OpenMP's idle threads spun %.1f ms of CPU before sleeping (libgomp: GOMP_SPINCOUNT, "
           "OMP_WAIT_POLICY), so that the next region starts without waking anyone; the lesson lets them go to "
           "sleep before it times the kit's pools", R->idle_spin_ms);
    free(args);
    free(out);
}

static void run_point(const mp_lesson *L, sweep_result *R, job *j, int i, double work_ns, long lo, long hi)
{
    double c = R->cost_ns[i];
    long n = R->tasks[i] = tasks_for(c, work_ns, lo, hi);
    spin_arg *args = calloc((size_t)n, sizeof *args);
    uint64_t *out = calloc((size_t)n, sizeof *out);
    mp_stats time[NWAYS];
    CHECK(args && out ? 0 : -ENOMEM);
    uint64_t steps = mp_spin_steps_for_ns(c);
    for (long k = 0; k < n; k++)
        args[k] = (spin_arg){steps, (uint64_t)k + 1};
    j->args = args;
    j->results = out;
    j->n = n;
    R->right = measure_all(L->o.repeat, j, &R->serial[i], time, NULL, NULL) && R->right;
    CHECK(mp_csv_row(&openmp_csv, "serial,none,0,1,%.0f,%.6f,1", c, R->serial[i].median));
    for (int w = 0; w < NWAYS; w++) {
        R->time[w][i] = time[w];
        R->speedup[w][i] = R->serial[i].median / time[w].median;
        R->spread[w][i] = fmax(mp_spread(&R->serial[i]), mp_spread(&time[w]));
        CHECK(mp_csv_row(&openmp_csv, "%s,%s,%d,%d,%.0f,%.6f,%.4f", ways[w].method, ways[w].schedule, ways[w].chunk,
                         R->threads, c, time[w].median, R->speedup[w][i]));
    }
    free(args);
    free(out);
}

/* The model of each way (measured above): its break-even beside the one measured. */
static void breakevens(sweep_result *R, double work_ns, long lo, long hi)
{
    double grid[MODEL_GRID], model_speedup[MODEL_GRID];
    mp_log_steps(R->cost_ns[0], R->cost_ns[R->points - 1], MODEL_GRID, grid);
    for (int w = 0; w < NWAYS; w++) {
        for (int g = 0; g < MODEL_GRID; g++)
            model_speedup[g] = mp_model_speedup(&R->model[w], grid[g], (size_t)tasks_for(grid[g], work_ns, lo, hi));
        R->model_breakeven_ns[w] = mp_breakeven(grid, model_speedup, MODEL_GRID);
        R->breakeven_ns[w] = mp_breakeven(R->cost_ns, R->speedup[w], R->points);
    }
}

const char *breakeven_text(const sweep_result *R, double ns, char *buf, size_t len)
{
    char c[32];
    if (ns <= R->cost_ns[0]) /* it paid off at the smallest cost measured */
        snprintf(buf, len, "under %s", mp_ns_text(R->cost_ns[0], c, sizeof c));
    else
        mp_ns_text(ns, buf, len);
    return buf;
}

void part_sweep(mp_lesson *L, sweep_result *R)
{
    *R = (sweep_result){.threads = L->o.workers, .right = true};
    R->usable = mp_cpus_usable() < R->threads ? mp_cpus_usable() : R->threads;
    R->points = L->o.quick ? 4 : 5;
    mp_log_steps(100, 1e6, R->points, R->cost_ns);
    mp_trace_enable(L->o.trace); /* the part's span is recorded; its tasks are not (see part 1a) */
    mp_lesson_part(L, "1b. The task-cost sweep: tasks of 100 ns to 1 ms, OpenMP's schedules beside the kit's pools "
                      "(%d threads)", R->threads);
    mp_trace_enable(false);
    job j = {.fn = spin_task, .arg_size = sizeof(spin_arg), .result_size = sizeof(uint64_t), .threads = R->threads};
    j.thread = mp_lesson_pool(MP_POOL_THREADS, -1, R->threads, NULL);
    j.process = mp_lesson_pool(MP_POOL_PROCESSES, -1, R->threads, NULL);
    measure_costs(L, R, &j);

    /* Each point about work_ns of serial work: the tiny tasks many (up to
     * hi), the big ones at least 16 per thread (lo) */
    double work_ns = L->o.quick ? 4e6 : 10e6;
    long hi = L->o.quick ? 8000 : 20000, lo = 16L * R->threads;
    mp_say("%d threads (%d can run at once); tasks of %.0f ns to %.0f ms, %ld to %ld per point; pools and team made "
           "once", R->threads, R->usable, R->cost_ns[0], R->cost_ns[R->points - 1] / 1e6, lo, hi);
    mp_progress bar;
    mp_progress_start(&bar, "sweep points", (size_t)R->points, STDERR_FILENO);
    for (int i = 0; i < R->points; i++) {
        run_point(L, R, &j, i, work_ns, lo, hi);
        mp_progress_update(&bar, (size_t)i + 1);
    }
    mp_progress_finish(&bar);
    mp_lesson_pool_finish(j.thread);
    mp_lesson_pool_finish(j.process);

    mp_table t;
    mp_table_header(&t, "task|tasks|serial ms|static|dynamic,1|dynamic,16|guided|kit thread|kit process");
    for (int i = 0; i < R->points; i++) {
        char c[32];
        mp_table_row(&t, "%s|%ld|%.2f|%.2f|%.2f|%.2f|%.2f|%.2f|%.2f", mp_ns_text(R->cost_ns[i], c, sizeof c),
                     R->tasks[i], R->serial[i].median * 1e3, R->speedup[W_STATIC][i], R->speedup[W_DYNAMIC1][i],
                     R->speedup[W_DYNAMIC16][i], R->speedup[W_GUIDED][i], R->speedup[W_THREAD][i],
                     R->speedup[W_PROCESS][i]);
    }
    mp_say("(speedup = the serial loop's median / the way's; below 1 the way is slower than the loop)");
    mp_say("every way gave the serial loop's results: %s", R->right ? "yes" : "NO");

    breakevens(R, work_ns, lo, hi);
    mp_table_header(&t, "way|per call|per task|break-even measured|the model's");
    for (int w = 0; w < NWAYS; w++) {
        char call[32], over[32], be[40], mbe[40];
        mp_table_row(&t, "%s|%s|%s|%s|%s", ways[w].name, mp_ns_text(R->model[w].start_ns, call, sizeof call),
                     mp_ns_text(R->model[w].overhead_ns, over, sizeof over),
                     breakeven_text(R, R->breakeven_ns[w], be, sizeof be),
                     breakeven_text(R, R->model_breakeven_ns[w], mbe, sizeof mbe));
        CHECK(mp_csv_row(&overhead_csv, "%s,%s,%d,%d,%.2f,%.1f,%.0f,%.0f", ways[w].method, ways[w].schedule,
                         ways[w].chunk, R->threads, R->model[w].start_ns / 1e3, R->model[w].overhead_ns,
                         isfinite(R->breakeven_ns[w]) ? R->breakeven_ns[w] : -1,
                         isfinite(R->model_breakeven_ns[w]) ? R->model_breakeven_ns[w] : -1));
    }
    mp_say("(the model, lib/granularity.h: T = call + n x (task / %d + per task), with the call and per-task costs "
           "measured above; break-even: where the speedup crosses 1; -1 in overhead.csv: not in this sweep)",
           R->usable);

    mp_trace_enable(L->o.trace); /* off since part 1a */
    mp_cost_series s[NWAYS];
    for (int w = 0; w < NWAYS; w++)
        s[w] = (mp_cost_series){ways[w].name, R->points, R->cost_ns, R->speedup[w], false};
    mp_cost_plot(L->o.out, "openmp", "lesson 12: speedup against task cost, OpenMP and the kit's pools (made once)",
                 NULL, s, NWAYS, 0, NULL, L->o.no_plot);
}
