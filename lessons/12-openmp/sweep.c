/* Lesson 12, part 1 -- the primes job and the task-cost sweep, in OpenMP.
 *
 *     #pragma omp parallel for schedule(dynamic, 1)
 *     for (i = 0; i < n; i++) result[i] = task(i);
 *
 * is a pool's map: a team of threads (made once, kept), iterations handed
 * out by the schedule. static: n / threads contiguous iterations each,
 * decided before the loop starts -- no hand-out at all; dynamic,k: chunks
 * of k taken from a shared counter (an atomic add each); guided: big chunks
 * first, smaller as the loop drains. At the end of the loop a barrier. No
 * task objects, no queues, no result messages: that is what makes it
 * cheap. The same sweep of task costs as lesson 06, beside the kit's
 * thread pool and process pool (running pools, chunksize 1, so that only
 * the per-task cost is compared). */
#include <math.h>
#include <stdlib.h>

#include "lesson12.h"

const char *const way_names[NWAYS] = {"static", "dynamic,1", "dynamic,16", "guided", "kit-thread", "kit-process"};

typedef struct spin_arg { uint64_t steps, seed; } spin_arg;
static int spin_task(const void *arg, void *result)
{
    const spin_arg *a = arg;
    *(uint64_t *)result = mp_spin(a->steps, a->seed);
    return 0;
}
MP_TASK(spin_task)

typedef struct job {
    int way, threads;
    size_t n;
    spin_arg *args;
    uint64_t *out;
    mp_pool *threads_pool, *procs_pool;
} job;

static void run_way(void *arg)
{
    job *j = arg;
    long n = (long)j->n;
    switch (j->way) {
    case W_STATIC:
#pragma omp parallel for schedule(static) num_threads(j->threads)
        for (long i = 0; i < n; i++)
            j->out[i] = mp_spin(j->args[i].steps, j->args[i].seed);
        break;
    case W_DYN1:
#pragma omp parallel for schedule(dynamic, 1) num_threads(j->threads)
        for (long i = 0; i < n; i++)
            j->out[i] = mp_spin(j->args[i].steps, j->args[i].seed);
        break;
    case W_DYN16:
#pragma omp parallel for schedule(dynamic, 16) num_threads(j->threads)
        for (long i = 0; i < n; i++)
            j->out[i] = mp_spin(j->args[i].steps, j->args[i].seed);
        break;
    case W_GUIDED:
#pragma omp parallel for schedule(guided) num_threads(j->threads)
        for (long i = 0; i < n; i++)
            j->out[i] = mp_spin(j->args[i].steps, j->args[i].seed);
        break;
    default: {
        mp_call_opts o = {.chunksize = 1};
        CHECK(mp_pool_map(j->way == W_KIT_THREAD ? j->threads_pool : j->procs_pool, spin_task, j->args, j->n,
                          sizeof(spin_arg), j->out, sizeof(uint64_t), &o));
    }
    }
}

static void run_serial(void *arg)
{
    job *j = arg;
    for (size_t i = 0; i < j->n; i++)
        j->out[i] = mp_spin(j->args[i].steps, j->args[i].seed);
}

/* The primes job: count the primes below `bound`, in blocks. */
typedef struct primes_job { int way, threads; uint64_t bound, count; mp_pool *pool; } primes_job;
typedef struct block { uint64_t lo, hi; } block;
static int primes_task(const void *arg, void *result)
{
    const block *b = arg;
    *(uint64_t *)result = mp_count_primes(b->lo, b->hi);
    return 0;
}
MP_TASK(primes_task)

static void run_primes(void *arg)
{
    primes_job *p = arg;
    long blocks = (long)((p->bound + MP_PRIME_BLOCK - 1) / MP_PRIME_BLOCK);
    uint64_t total = 0;
    if (p->way == W_KIT_THREAD || p->way == W_KIT_PROCESS) {
        block *b = malloc((size_t)blocks * sizeof *b);
        uint64_t *c = malloc((size_t)blocks * sizeof *c);
        if (!b || !c)
            mp_lesson_abort();
        for (long i = 0; i < blocks; i++)
            b[i] = (block){(uint64_t)i * MP_PRIME_BLOCK, (uint64_t)(i + 1) * MP_PRIME_BLOCK};
        b[blocks - 1].hi = p->bound;
        CHECK(mp_pool_map(p->pool, primes_task, b, (size_t)blocks, sizeof *b, c, sizeof *c, NULL));
        for (long i = 0; i < blocks; i++)
            total += c[i];
        free(b);
        free(c);
    } else if (p->way < 0) {
        total = mp_count_primes(0, p->bound);
    } else {
        /* a reduction: each thread its own partial count, added at the end (part 3) */
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : total) num_threads(p->threads)
        for (long i = 0; i < blocks; i++) {
            uint64_t hi = (uint64_t)(i + 1) * MP_PRIME_BLOCK;
            total += mp_count_primes((uint64_t)i * MP_PRIME_BLOCK, hi < p->bound ? hi : p->bound);
        }
    }
    p->count = total;
}

static void primes(mp_lesson *L, sweep_result *R, mp_pool *tp, mp_pool *pp)
{
    primes_job p = {.way = -1, .threads = R->threads, .bound = mp_primes_bound_for(L->o.quick ? 0.1 : 0.3)};
    mp_stats serial, s;
    CHECK(mp_measure(L->o.repeat, run_primes, &p, &serial, NULL));
    uint64_t want = p.count;
    openmp_row("serial", "-", 0, 1, 0, &serial, 1);
    R->primes_right = true;
    const int ways[] = {W_DYN1, W_KIT_THREAD, W_KIT_PROCESS};
    for (int k = 0; k < 3; k++) {
        p.way = ways[k];
        p.pool = ways[k] == W_KIT_THREAD ? tp : pp;
        CHECK(mp_measure(L->o.repeat, run_primes, &p, &s, NULL));
        R->primes_right = R->primes_right && p.count == want;
        R->primes_speedup[ways[k]] = serial.median / s.median;
        openmp_row(ways[k] == W_DYN1 ? "openmp-primes" : ways[k] == W_KIT_THREAD ? "kit-thread-primes"
                                                                                 : "kit-process-primes",
                   ways[k] == W_DYN1 ? "dynamic" : "-", 1, R->threads, 0, &s, serial.median / s.median);
    }
    mp_say("primes below %llu (%llu of them): serial %.0f ms; OpenMP dynamic %.2fx, the kit's thread pool %.2fx, "
           "process pool %.2fx", (unsigned long long)p.bound, (unsigned long long)want, serial.median * 1e3,
           R->primes_speedup[W_DYN1], R->primes_speedup[W_KIT_THREAD], R->primes_speedup[W_KIT_PROCESS]);
}

void part_sweep(mp_lesson *L, sweep_result *R)
{
    mp_lesson_part(L, "1. The primes job and the task-cost sweep: OpenMP schedules beside the kit's pools");
    *R = (sweep_result){.threads = L->o.workers, .points = L->o.quick ? 4 : SWEEP_POINTS, .sweep_right = true};
    int usable = mp_cpus_usable() < R->threads ? mp_cpus_usable() : R->threads;
    mp_pool *tp = mp_lesson_pool(MP_POOL_THREADS, -1, R->threads, NULL);
    mp_pool *pp = mp_lesson_pool(MP_POOL_PROCESSES, -1, R->threads, NULL);
    primes(L, R, tp, pp);
    mp_log_steps(100, L->o.quick ? 1e5 : 1e6, R->points, R->cost_ns);
    size_t hi = L->o.quick ? 2000 : 5000;
    mp_table t;
    mp_table_header(&t, "task|tasks|static|dynamic,1|dynamic,16|guided|kit thread|kit process");
    for (int i = 0; i < R->points; i++) {
        double c = R->cost_ns[i];
        size_t n = (size_t)fmin((double)hi, fmax(8.0 * R->threads, (L->o.quick ? 5e6 : 20e6) / c));
        job j = {.threads = R->threads, .n = n, .threads_pool = tp, .procs_pool = pp};
        j.args = malloc(n * sizeof *j.args);
        j.out = malloc(n * sizeof *j.out);
        uint64_t *want = malloc(n * sizeof *want);
        if (!j.args || !j.out || !want)
            mp_lesson_abort();
        uint64_t steps = mp_spin_steps_for_ns(c);
        for (size_t k = 0; k < n; k++)
            j.args[k] = (spin_arg){steps, k + 1};
        mp_stats serial;
        CHECK(mp_measure(L->o.repeat, run_serial, &j, &serial, NULL));
        memcpy(want, j.out, n * sizeof *want);
        openmp_row("serial", "-", 0, 1, c, &serial, 1);
        double sp[NWAYS];
        for (int w = 0; w < NWAYS; w++) {
            j.way = w;
            mp_stats s;
            memset(j.out, 0, n * sizeof *j.out);
            CHECK(mp_measure(L->o.repeat, run_way, &j, &s, NULL));
            R->sweep_right = R->sweep_right && memcmp(j.out, want, n * sizeof *want) == 0;
            sp[w] = R->speedup[w][i] = serial.median / s.median;
            R->spread[w][i] = fmax(mp_spread(&serial), mp_spread(&s));
            R->overhead_ns[w][i] = mp_overhead_per_task(s.median * 1e9, 0, c, n, usable);
            static const int chunks[NWAYS] = {0, 1, 16, 0, 1, 1};
            static const char *const sched[NWAYS] = {"static", "dynamic", "dynamic", "guided", "-", "-"};
            openmp_row(w < W_KIT_THREAD ? "openmp" : way_names[w], sched[w], chunks[w], R->threads, c, &s, sp[w]);
        }
        char cs[32];
        snprintf(cs, sizeof cs, "%.0f ns", c);
        mp_table_row(&t, "%s|%zu|%.2f|%.2f|%.2f|%.2f|%.2f|%.2f", cs, n, sp[0], sp[1], sp[2], sp[3], sp[4], sp[5]);
        free(j.args);
        free(j.out);
        free(want);
    }
    mp_lesson_pool_finish(tp);
    mp_lesson_pool_finish(pp);
    mp_table_header(&t, "way|break-even|overhead per task at the smallest tasks");
    for (int w = 0; w < NWAYS; w++) {
        R->breakeven_ns[w] = mp_breakeven(R->cost_ns, R->speedup[w], R->points);
        mp_table_row(&t, "%s|%.0f ns|%.0f ns", way_names[w], R->breakeven_ns[w], R->overhead_ns[w][0]);
    }
    mp_say("every way computed the serial loop's results: %s", R->sweep_right ? "yes" : "NO");
    mp_series s[NWAYS];
    for (int w = 0; w < NWAYS; w++) {
        s[w] = (mp_series){.label = way_names[w]};
        for (int i = 0; i < R->points; i++)
            mp_series_point(&s[w], R->cost_ns[i], R->speedup[w][i], R->speedup[w][i], R->speedup[w][i]);
    }
    mp_lines_plot(L->o.out, "sweep", "lesson 12: speedup against task cost, OpenMP and the kit's pools", s, NWAYS,
                  "cost of one task (ns)", "speedup (log)", MP_PLOT_LOGX | MP_PLOT_LOGY, L->o.no_plot);
}
