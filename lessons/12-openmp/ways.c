/* Lesson 12: the ways of running n tasks -- four OpenMP schedules and the
 * kit's two pools -- on the same task function.
 *
 *     #pragma omp parallel for schedule(dynamic, 1)
 *     for (long i = 0; i < n; i++)
 *         fn(&args[i], &results[i]);
 *
 * is the C programmer's pool.map(fn, args, chunksize=1): a team of threads
 * (made at the first parallel region and kept), the iterations handed out
 * by the schedule, a barrier at the end where the team waits for its last
 * thread. No task objects, no queue, no result messages: each thread
 * writes results[i] in place. The schedules:
 *   static      n / threads contiguous iterations each, decided before the
 *               loop starts: no hand-out at all;
 *   dynamic,k   chunks of k iterations taken from a shared counter (one
 *               atomic add per chunk) by whichever thread is free;
 *   guided      the same, but chunks start big (what is left / threads)
 *               and shrink as the loop drains.
 * The kit's pools (lib/pool.h) run the same function through mp_pool_map,
 * chunksize 1: the thread pool's workers also take chunks from a shared
 * counter; the process pool copies every argument and result through
 * shared memory and messages its workers. */
#include <errno.h>
#include <stdlib.h>

#include "lesson12.h"

way ways[NWAYS] = {
    {"OpenMP static", "openmp", "static", 0},       {"OpenMP dynamic,1", "openmp", "dynamic", 1},
    {"OpenMP dynamic,16", "openmp", "dynamic", 16}, {"OpenMP guided", "openmp", "guided", 0},
    {"kit thread pool", "thread", "dynamic", 1},    {"kit process pool", "process-fork", "dynamic", 1},
};

void ways_init(const mp_lesson *L)
{
    static char name[48];
    ways[W_PROCESS].method = mp_pool_backend_name(MP_POOL_PROCESSES, L->o.start);
    snprintf(name, sizeof name, "kit process pool (%s)", mp_start_names[L->o.start]);
    ways[W_PROCESS].name = name;
}

/* Task i of the job: the same call in every way. */
static inline void task(const job *j, long i)
{
    j->fn((const char *)j->args + (size_t)i * j->arg_size, (char *)j->results + (size_t)i * j->result_size);
}

void run_serial(const job *j)
{
    for (long i = 0; i < j->n; i++)
        task(j, i);
}

/* One function per schedule, so that each pragma reads as you would write it. */
static void omp_static(const job *j)
{
    long n = j->n;
#pragma omp parallel for schedule(static) num_threads(j->threads)
    for (long i = 0; i < n; i++)
        task(j, i);
}

static void omp_dynamic1(const job *j)
{
    long n = j->n;
#pragma omp parallel for schedule(dynamic, 1) num_threads(j->threads)
    for (long i = 0; i < n; i++)
        task(j, i);
}

static void omp_dynamic16(const job *j)
{
    long n = j->n;
#pragma omp parallel for schedule(dynamic, 16) num_threads(j->threads)
    for (long i = 0; i < n; i++)
        task(j, i);
}

static void omp_guided(const job *j)
{
    long n = j->n;
#pragma omp parallel for schedule(guided) num_threads(j->threads)
    for (long i = 0; i < n; i++)
        task(j, i);
}

static void kit_pool(mp_pool *p, const job *j)
{
    mp_call_opts o = {.chunksize = 1};
    CHECK(mp_pool_map(p, j->fn, j->args, (size_t)j->n, j->arg_size, j->results, j->result_size, &o));
}

void run_way(int way, const job *j)
{
    switch (way) {
    case W_STATIC: omp_static(j); break;
    case W_DYNAMIC1: omp_dynamic1(j); break;
    case W_DYNAMIC16: omp_dynamic16(j); break;
    case W_GUIDED: omp_guided(j); break;
    case W_THREAD: kit_pool(j->thread, j); break;
    case W_PROCESS: kit_pool(j->process, j); break;
    default: run_serial(j);
    }
}

typedef struct timed { int way; const job *j; } timed;

static void run_timed(void *arg)
{
    const timed *t = arg;
    run_way(t->way, t->j);
}

void measure_way(int repeat, int way, const job *j, mp_stats *s)
{
    timed t = {way, j};
    CHECK(mp_measure(repeat, run_timed, &t, s, NULL));
}

/* Every way and the plain loop side by side: `repeat` rounds, each running
 * the loop, then the kit's pools (after OpenMP's threads went to sleep),
 * then the OpenMP schedules, once each -- so that a change in the machine's
 * load hits every way alike. Each run's results are compared with the
 * first plain loop's; after(way, j, ctx), if given, sees each way's results
 * of the first round (way -1: the plain loop's). */
bool measure_all(int repeat, const job *j, mp_stats *serial, mp_stats time[NWAYS],
                 void (*after)(int way, const job *j, void *ctx), void *ctx)
{
    static const int order[NWAYS] = {W_THREAD, W_PROCESS, W_STATIC, W_DYNAMIC1, W_DYNAMIC16, W_GUIDED};
    size_t bytes = (size_t)j->n * j->result_size;
    double *samples = calloc((size_t)repeat * (NWAYS + 1), sizeof *samples);
    unsigned char *want = malloc(bytes);
    CHECK(samples && want ? 0 : -ENOMEM);
    bool right = true;
    for (int r = 0; r < repeat; r++) {
        let_openmp_sleep();
        uint64_t t0 = mp_now_ns();
        run_serial(j);
        samples[r] = mp_ns_to_s(mp_now_ns() - t0);
        if (r == 0) {
            memcpy(want, j->results, bytes);
            if (after)
                after(-1, j, ctx);
        }
        for (int k = 0; k < NWAYS; k++) {
            int w = order[k];
            memset(j->results, 0, bytes);
            t0 = mp_now_ns();
            run_way(w, j);
            samples[(w + 1) * repeat + r] = mp_ns_to_s(mp_now_ns() - t0);
            right = right && memcmp(j->results, want, bytes) == 0;
            if (after && r == 0)
                after(w, j, ctx);
        }
    }
    CHECK(mp_stats_of(samples, (size_t)repeat, serial));
    for (int w = 0; w < NWAYS; w++)
        CHECK(mp_stats_of(samples + (w + 1) * repeat, (size_t)repeat, &time[w]));
    free(samples);
    free(want);
    return right;
}

/* libgomp's idle threads spin (a few hundred thousand rounds, GOMP_SPINCOUNT)
 * before they sleep in the kernel, so that the next region starts at once.
 * Wait, at most 200 ms, until this process uses no CPU: nobody spins. */
void let_openmp_sleep(void)
{
    for (int i = 0; i < 100; i++) {
        uint64_t c0 = mp_process_cpu_ns();
        mp_sleep_ns(2000000);
        if (mp_process_cpu_ns() - c0 < 200000) /* under a tenth of one CPU */
            return;
    }
}
