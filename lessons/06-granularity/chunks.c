/* Lesson 06, part 3 -- chunksize: how tiny tasks can still pay off.
 *
 * With chunksize k a pool sends k tasks in one message and gets k results
 * back in one: the per-message cost (a copy into the pool's ring, a
 * wake-up, a result sent back) is shared by k tasks. Python's map picks
 * ceil(n / (4 x workers)) so that each worker gets about four chunks: few
 * messages, and still some balance if chunks end unequally.
 *
 * Here: many tiny tasks on pools already running (the start is not in the
 * time: this part is about the per-task cost only), chunksize 1, 2, 4, ...
 * up to n / workers, on the process pool (fork) and the thread pool. */
#include <math.h>

#include "lesson06.h"

void part_chunks(mp_lesson *L, chunks_result *R)
{
    mp_lesson_part(L, "3. Chunksize: the per-task overhead of tiny tasks, shared by the tasks of a chunk");
    int w = L->o.workers;
    int usable = mp_cpus_usable() < w ? mp_cpus_usable() : w;
    *R = (chunks_result){.tasks = L->o.quick ? 4000 : 20000, .task_ns = 500, .all_right = true};
    R->python_default = mp_pool_chunksize(R->tasks, w);
    batch b;
    CHECK(batch_init(&b, R->tasks, mp_spin_steps_for_ns(R->task_ns)));
    b.workers = w;
    /* tiny runs: one preemption doubles one, so more repeats */
    int repeat = 3 * L->o.repeat;
    CHECK(mp_measure(repeat, run_serial, &b, &R->serial, NULL));
    mp_say("%zu tasks of %.0f ns: the serial loop takes %.2f ms; Python's default chunksize for %d workers: %zu",
           R->tasks, R->task_ns, R->serial.median * 1e3, w, R->python_default);
    mp_pool *fork_pool = way_pool(W_FORK, w), *thread_pool = way_pool(W_THREAD, w);
    /* 1, 4, 16, ... up to a chunk per worker, and Python's default in its place */
    for (size_t cs = 1; cs <= R->tasks / (size_t)w && R->points < CHUNKS_MAX - 1; cs *= 4) {
        if (R->python_default < cs && (R->points == 0 || R->chunksize[R->points - 1] < R->python_default))
            R->chunksize[R->points++] = R->python_default;
        R->chunksize[R->points++] = cs;
    }
    if (R->chunksize[R->points - 1] < R->python_default)
        R->chunksize[R->points++] = R->python_default;
    mp_table t;
    mp_table_header(&t, "chunksize|fork ms|fork speedup|fork overhead/task|thread ms|thread speedup|thread overhead/task");
    double best = INFINITY;
    for (int i = 0; i < R->points; i++) {
        b.chunksize = R->chunksize[i];
        b.pool = fork_pool;
        CHECK(mp_measure(repeat, run_pool, &b, &R->fork[i], NULL));
        R->all_right = R->all_right && batch_right(&b);
        b.pool = thread_pool;
        CHECK(mp_measure(repeat, run_pool, &b, &R->thread[i], NULL));
        R->all_right = R->all_right && batch_right(&b);
        R->overhead_fork[i] = mp_overhead_per_task(R->fork[i].median * 1e9, 0, R->task_ns, R->tasks, usable);
        R->overhead_thread[i] = mp_overhead_per_task(R->thread[i].median * 1e9, 0, R->task_ns, R->tasks, usable);
        if (R->fork[i].median < best) {
            best = R->fork[i].median;
            R->best = i;
        }
        char fo[32], to[32];
        mp_table_row(&t, "%zu%s|%.2f|%.3f|%s|%.2f|%.3f|%s", R->chunksize[i],
                     R->chunksize[i] == R->python_default ? " (Python)" : "", R->fork[i].median * 1e3,
                     R->serial.median / R->fork[i].median, mp_ns_text(R->overhead_fork[i], fo, sizeof fo),
                     R->thread[i].median * 1e3, R->serial.median / R->thread[i].median,
                     mp_ns_text(R->overhead_thread[i], to, sizeof to));
        CHECK(mp_csv_row(&chunks_csv, "process-fork,%zu,%.0f,%zu,%.6f,%.4f,%.0f", R->tasks, R->task_ns,
                         R->chunksize[i], R->fork[i].median, R->serial.median / R->fork[i].median,
                         R->overhead_fork[i]));
        CHECK(mp_csv_row(&chunks_csv, "thread,%zu,%.0f,%zu,%.6f,%.4f,%.0f", R->tasks, R->task_ns, R->chunksize[i],
                         R->thread[i].median, R->serial.median / R->thread[i].median, R->overhead_thread[i]));
    }
    mp_lesson_pool_finish(fork_pool);
    mp_lesson_pool_finish(thread_pool);
    batch_free(&b);

    /* the plot: speedup against chunksize, Python's default marked */
    double x[CHUNKS_MAX], sf[CHUNKS_MAX], st[CHUNKS_MAX];
    for (int i = 0; i < R->points; i++) {
        x[i] = (double)R->chunksize[i];
        sf[i] = R->serial.median / R->fork[i].median;
        st[i] = R->serial.median / R->thread[i].median;
    }
    mp_cost_series s[] = {{"process-fork", R->points, x, sf, false}, {"thread", R->points, x, st, false}};
    char title[160];
    snprintf(title, sizeof title, "lesson 06: %zu tasks of %.0f ns against chunksize (Python's default: %zu)", R->tasks,
             R->task_ns, R->python_default);
    mp_cost_plot(L->o.out, "chunks", title, "chunksize (tasks per message)", s, 2, (double)R->python_default,
                 "Python default", L->o.no_plot);
}
