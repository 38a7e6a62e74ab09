/* Lesson 06: the ways of running a batch of equal tasks -- a plain loop, or
 * T4's `with Pool() as p: p.map(f, xs)`: start a pool, map, close, join.
 * The pool's start is part of the time, as it is for T4: a one-off job
 * pays for its workers. */
#include <stdlib.h>

#include "lesson06.h"

const char *const way_names[NWAYS] = {"thread", "process-fork", "process-spawn"};

mp_pool *way_pool(int way, int workers)
{
    if (way == W_THREAD)
        return mp_lesson_pool(MP_POOL_THREADS, -1, workers, NULL);
    return mp_lesson_pool(MP_POOL_PROCESSES, way == W_FORK ? MP_START_FORK : MP_START_SPAWN, workers, NULL);
}

size_t tasks_for(double task_ns, double work_ns, size_t lo, size_t hi)
{
    double n = work_ns / task_ns;
    return n < (double)lo ? lo : n > (double)hi ? hi : (size_t)n;
}

int batch_init(batch *b, size_t n, uint64_t steps)
{
    *b = (batch){.n = n};
    b->args = calloc(n, sizeof *b->args);
    b->results = calloc(n, sizeof *b->results);
    b->want = calloc(n, sizeof *b->want);
    if (!b->args || !b->results || !b->want) {
        batch_free(b);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        b->args[i] = (spin_arg){.steps = steps, .seed = i + 1};
        b->want[i] = mp_spin(steps, i + 1);
    }
    return 0;
}

void batch_free(batch *b)
{
    free(b->args);
    free(b->results);
    free(b->want);
    *b = (batch){0};
}

void run_serial(void *arg)
{
    batch *b = arg;
    for (size_t i = 0; i < b->n; i++)
        b->results[i] = mp_spin(b->args[i].steps, b->args[i].seed);
}

void run_pool(void *arg)
{
    batch *b = arg;
    memset(b->results, 0, b->n * sizeof *b->results);
    mp_pool *p = b->pool ? b->pool : way_pool(b->way, b->workers);
    mp_call_opts o = {.chunksize = b->chunksize};
    CHECK(mp_pool_map(p, spin_task, b->args, b->n, sizeof *b->args, b->results, sizeof *b->results, &o));
    if (!b->pool)
        mp_lesson_pool_finish(p);
}

bool batch_right(const batch *b)
{
    return memcmp(b->results, b->want, b->n * sizeof *b->results) == 0;
}
