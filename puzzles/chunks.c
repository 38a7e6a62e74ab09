/* Lesson 05's puzzle: map over a pool. Given the tasks' costs, the number
 * of workers and a chunksize (or map's default, Python's formula), which
 * worker runs which chunk, and when is the last one done (the makespan)?
 *
 * The rule is how lib/pool's workers take work (pool_threads.c): the
 * arguments are cut into chunks of chunksize consecutive tasks, and a
 * worker that is free claims the next chunk nobody has claimed. So chunks
 * go out in order, each to the worker that is free first; at the start
 * every worker is free, and ties go to the lowest-numbered worker (at time
 * 0: worker 1 the first chunk, worker 2 the second, ...). A worker runs its
 * chunk's tasks one after another. Process pools hand out chunks the same
 * way, a few at a time (pool.h), which changes nothing for tasks this long.
 *
 * --solve also runs the map on a thread pool, each task a sleep of its
 * cost, and shows the measured makespan and assignment beside the model's.
 */
#include <stdlib.h>
#include <string.h>

#include "chunks.h"
#include "mp.h"

void chunks_schedule(chunks_state *st)
{
    st->chunksize = st->chunksize_given ? st->chunksize_given
                                        : (int)mp_pool_chunksize((size_t)st->ntasks, st->workers);
    st->nchunks = (st->ntasks + st->chunksize - 1) / st->chunksize;
    int free_at[CHUNKS_MAX_TASKS] = {0};
    st->makespan = 0;
    for (int c = 0; c < st->nchunks; c++) {
        int w = 0;
        for (int k = 1; k < st->workers; k++)
            if (free_at[k] < free_at[w]) /* strictly: ties stay with the lower number */
                w = k;
        int cost = 0;
        for (int t = c * st->chunksize; t < st->ntasks && t < (c + 1) * st->chunksize; t++)
            cost += st->cost_ms[t];
        st->chunk_worker[c] = w;
        st->chunk_start[c] = free_at[w];
        st->chunk_end[c] = free_at[w] += cost;
        if (free_at[w] > st->makespan)
            st->makespan = free_at[w];
    }
}

static void make(void *state, unsigned long seed)
{
    chunks_state *st = state;
    puzzle_rng r = puzzle_rng_seeded(seed, "pool");
    memset(st, 0, sizeof *st);
    st->ntasks = puzzle_rng_range(&r, 5, CHUNKS_MAX_TASKS);
    st->workers = puzzle_rng_range(&r, 2, 4);
    for (int t = 0; t < st->ntasks; t++)
        st->cost_ms[t] = 10 * puzzle_rng_range(&r, 1, 9);
    int pick = puzzle_rng_range(&r, 0, 3); /* a quarter of the problems use map's default */
    st->chunksize_given = pick == 0 ? 0 : pick;
    chunks_schedule(st);
}

static void first_chunk_tasks(const chunks_state *st, int c, int *lo, int *hi)
{
    *lo = c * st->chunksize;
    *hi = (c + 1) * st->chunksize < st->ntasks ? (c + 1) * st->chunksize : st->ntasks;
}

static void problem(const void *state, FILE *out)
{
    const chunks_state *st = state;
    fprintf(out, "A pool of %d workers runs map(f, tasks) over %d tasks; task i takes this long (ms):\n\n ",
            st->workers, st->ntasks);
    for (int t = 0; t < st->ntasks; t++)
        fprintf(out, " %d:%d", t, st->cost_ms[t]);
    if (st->chunksize_given)
        fprintf(out, "\n\nwith chunksize=%d.", st->chunksize_given);
    else
        fprintf(out, "\n\nwith map's default chunksize (Python's formula: divmod(len(tasks), workers * 4), one more\n"
                     "if there is a remainder).");
    fprintf(out, " The tasks are cut into chunks of consecutive tasks; a free worker takes\n"
                 "the next chunk (at the start worker 1 takes the first, worker 2 the second, ...; when two\n"
                 "are free at once, the lower number first) and runs its tasks one after another.\n"
                 "Handing out costs nothing.\n\n"
                 "When does the last task end (the makespan, in ms)? Which worker runs which chunk?\n");
}

static int check(const void *state, const char *answer)
{
    const chunks_state *st = state;
    return puzzle_check_long(answer, st->makespan);
}

static void answer(const void *state, char *buf, size_t len)
{
    const chunks_state *st = state;
    snprintf(buf, len, "%d", st->makespan);
}

static void solve(const void *state, FILE *out)
{
    const chunks_state *st = state;
    int total = 0, longest = 0;
    for (int t = 0; t < st->ntasks; t++)
        total += st->cost_ms[t];
    fprintf(out, "%d ms.\n\n", st->makespan);
    if (!st->chunksize_given)
        fprintf(out, "chunksize: %d tasks / (%d workers x 4) = %d rest %d, so %d.\n", st->ntasks, st->workers,
                st->ntasks / (st->workers * 4), st->ntasks % (st->workers * 4), st->chunksize);
    fprintf(out, "%d chunks of up to %d tasks, handed out in order to whichever worker is free first:\n\n",
            st->nchunks, st->chunksize);
    fprintf(out, "  chunk  tasks   cost  worker  runs\n");
    for (int c = 0; c < st->nchunks; c++) {
        int lo, hi;
        first_chunk_tasks(st, c, &lo, &hi);
        char tasks[16];
        snprintf(tasks, sizeof tasks, hi - lo > 1 ? "%d-%d" : "%d", lo, hi - 1);
        int cost = st->chunk_end[c] - st->chunk_start[c];
        if (cost > longest)
            longest = cost;
        fprintf(out, "  %5d  %-6s %4d  %6d  %d-%d ms\n", c + 1, tasks, cost, st->chunk_worker[c] + 1,
                st->chunk_start[c], st->chunk_end[c]);
    }
    fprintf(out, "\nThe makespan is when the busiest worker ends: %d ms. No schedule can beat the work shared\n"
                 "evenly (%d ms / %d workers = %.1f ms) nor the longest chunk (%d ms); bigger chunks mean fewer\n"
                 "hand-outs but a worse balance at the end, the trade chunksize sets.\n",
            st->makespan, total, st->workers, (double)total / st->workers, longest);
}

/* ---- the run: a thread pool, each task a sleep of its cost ---- */

static int sleep_task(const void *arg, void *result)
{
    (void)result;
    mp_sleep_ns((uint64_t)*(const int *)arg * 1000000u);
    return 0;
}

static int measure(const void *state, FILE *out)
{
    const chunks_state *st = state;
    mp_pool_opts po = mp_pool_defaults(MP_POOL_THREADS);
    po.workers = st->workers;
    mp_pool *pool;
    int rc = mp_pool_create(&pool, &po);
    if (rc < 0)
        return rc;
    mp_task_info info[CHUNKS_MAX_TASKS];
    mp_call_opts co = {.chunksize = (size_t)st->chunksize, .info = info};
    uint64_t t0 = mp_now_ns();
    rc = mp_pool_map(pool, sleep_task, st->cost_ms, (size_t)st->ntasks, sizeof st->cost_ms[0], NULL, 0, &co);
    uint64_t t1 = mp_now_ns();
    mp_pool_close(pool);
    mp_pool_join(pool);
    mp_pool_free(pool);
    if (rc < 0)
        return rc;
    /* The pool numbers its threads its own way: call the worker that
     * started first "1", as the model does. */
    int label[MP_POOL_WORKERS_MAX], next = 0, same = 1;
    for (int i = 0; i < MP_POOL_WORKERS_MAX; i++)
        label[i] = 0;
    uint64_t order_start[CHUNKS_MAX_TASKS];
    int order[CHUNKS_MAX_TASKS];
    for (int c = 0; c < st->nchunks; c++) {
        order[c] = c;
        order_start[c] = info[c * st->chunksize].start_ns;
    }
    for (int a = 1; a < st->nchunks; a++) /* chunks by the time they started */
        for (int b = a; b > 0 && order_start[order[b]] < order_start[order[b - 1]]; b--) {
            int x = order[b];
            order[b] = order[b - 1];
            order[b - 1] = x;
        }
    for (int k = 0; k < st->nchunks; k++) {
        int w = info[order[k] * st->chunksize].worker;
        if (w >= 0 && w < MP_POOL_WORKERS_MAX && !label[w])
            label[w] = ++next;
    }
    fprintf(out, "A thread pool of %d, each task a sleep of its cost, chunksize %d (lib/pool):\n\n", st->workers,
            st->chunksize);
    fprintf(out, "  chunk  predicted worker, ms   measured worker, ms\n");
    for (int c = 0; c < st->nchunks; c++) {
        const mp_task_info *first = &info[c * st->chunksize];
        int lo, hi;
        first_chunk_tasks(st, c, &lo, &hi);
        int w = first->worker >= 0 && first->worker < MP_POOL_WORKERS_MAX ? label[first->worker] : 0;
        same &= w == st->chunk_worker[c] + 1;
        fprintf(out, "  %5d  %6d  %4d-%-4d        %6d  %6.1f-%.1f\n", c + 1, st->chunk_worker[c] + 1,
                st->chunk_start[c], st->chunk_end[c], w, (double)(first->start_ns - t0) / 1e6,
                (double)(info[hi - 1].end_ns - t0) / 1e6);
    }
    fprintf(out, "\n  makespan: predicted %d ms, measured %.1f ms (map's call to its return)\n", st->makespan,
            (double)(t1 - t0) / 1e6);
    fprintf(out, "%s\n", same ? "The same assignment as the model (workers numbered by when they started)."
                              : "The assignment differs from the model's: a worker woke a little late (sleeps "
                                "overrun on a busy machine) and another took its chunk. The model is the rule; "
                                "the run is one try of it.");
    fprintf(out, "Measured times are a little longer than the model's: every sleep overruns a bit, and the\n"
                 "workers must be woken; under load, more.\n");
    return 0;
}

const puzzle puzzle_pool = {
    .lesson = 5,
    .name = "pool",
    .about = "a pool's chunks, which worker runs each, and the makespan, for given costs and chunksize",
    .answer_form = "the makespan, a whole number of ms",
    .make = make,
    .problem = problem,
    .check = check,
    .answer = answer,
    .solve = solve,
    .measure = measure,
};
