/* Lesson 02, part 3: does memory-bound work speed up like CPU-bound work?
 *
 * STREAM's triad, a[i] = b[i] + q * c[i], over three arrays far larger than
 * the caches: one multiply-add per element against three trips to memory.
 * Counting primes keeps each core busy on its own; the triad keeps every
 * core waiting on the one memory all cores share. When a few cores already
 * move as many bytes per second as the memory can deliver, more workers
 * stop helping, even below the number of CPUs. Whether that happens with
 * this machine's CPUs is what the part measures, beside the primes.
 *
 * Threads only: the bandwidth is the machine's, however the workers were
 * started (processes would share the arrays through shared memory, lesson
 * 09, and meet the same limit).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "lesson02.h"

typedef struct triad_job {
    mp_triad t;
    int workers;   /* 0: serial, in this thread */
    int passes;    /* over the whole arrays, per run */
    double q;      /* a new value every run: the self-check sees the last run's */
} triad_job;

typedef struct triad_share {
    const triad_job *j;
    int index;
} triad_share;

/* One worker: its contiguous slice of the arrays, `passes` times. */
static void triad_slice(const triad_job *j, int parts, int i)
{
    uint64_t lo, hi;
    mp_split_range(0, j->t.n, parts, i, &lo, &hi);
    mp_trace_begin("triad");
    for (int p = 0; p < j->passes; p++)
        mp_triad_pass(&j->t, (size_t)lo, (size_t)hi, j->q);
    mp_trace_end("triad");
}

static void *triad_thread(void *arg)
{
    const triad_share *s = arg;
    triad_slice(s->j, s->j->workers, s->index);
    return NULL;
}

static void run_triad(void *arg)
{
    triad_job *j = arg;
    j->q += 1;
    if (j->workers == 0) {
        triad_slice(j, 1, 0);
        return;
    }
    mp_thread *threads = calloc((size_t)j->workers, sizeof *threads);
    triad_share *shares = calloc((size_t)j->workers, sizeof *shares);
    CHECK(threads && shares ? 0 : -ENOMEM);
    for (int i = 0; i < j->workers; i++) {
        char name[24];
        snprintf(name, sizeof name, "triad-%d", i + 1);
        shares[i] = (triad_share){j, i};
        mp_thread_init(&threads[i], name, triad_thread, &shares[i]);
        CHECK(mp_thread_start(&threads[i]));
    }
    for (int i = 0; i < j->workers; i++)
        CHECK(mp_thread_join(&threads[i], NULL));
    free(threads);
    free(shares);
}

/* What a run did: elements written (the same in every run). */
static uint64_t triad_result(void *arg)
{
    const triad_job *j = arg;
    return (uint64_t)j->t.n * (uint64_t)j->passes;
}

static void check_triad(const triad_job *j, const char *who)
{
    if (!mp_triad_check(&j->t, j->q)) {
        mp_error("the triad with %s left a wrong value in a[]: some part of the arrays was not written", who);
        mp_lesson_abort();
    }
}

/* The cache the system reports, for the line that says how much larger the
 * arrays are (sysconf's cache names are a glibc extension). */
static long reported_cache(void)
{
#ifdef _SC_LEVEL3_CACHE_SIZE
    long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (l3 > 0)
        return l3;
#endif
#ifdef _SC_LEVEL2_CACHE_SIZE
    return sysconf(_SC_LEVEL2_CACHE_SIZE);
#else
    return 0;
#endif
}

void part_memory(mp_lesson *L, results *R)
{
    sweep *s = &R->mem;
    size_t mib = L->o.quick ? 32 : 64;
    mp_lesson_part(L, "3. memory-bound: STREAM's triad a = b + q*c over 3 arrays of %zu MiB, with 1..%d threads", mib,
                   R->max_workers);
    triad_job j = {0};
    uint64_t t0 = mp_now_ns();
    CHECK(mp_triad_init(&j.t, mib << 20));
    mp_say("filling the arrays took %.2f s (the first touch of each page is a page fault); they take %zu MiB in all",
           mp_ns_to_s(mp_now_ns() - t0), 3 * mib);
    long cache = reported_cache();
    if (cache > 0)
        mp_say("the largest cache the system reports: %ld MiB%s", cache >> 20,
               (size_t)cache * 2 > (3 * mib << 20) ? " (a virtual machine may report the whole host chip's cache, "
                                                     "of which its CPUs see a part: the 1-thread GB/s below says "
                                                     "whether the arrays come from memory)"
                                                   : "");
    /* one timed pass decides how many passes make a run of ~0.12 s (--quick: ~0.025 s) */
    j.passes = 1;
    t0 = mp_now_ns();
    run_triad(&j);
    double one = mp_ns_to_s(mp_now_ns() - t0);
    j.passes = (int)lround((L->o.quick ? 0.025 : 0.12) / (one > 1e-6 ? one : 1e-6));
    j.passes = j.passes < 1 ? 1 : j.passes > 200 ? 200 : j.passes;
    double gb = MP_TRIAD_BYTES * (double)j.t.n * j.passes / 1e9;
    mp_say("%d passes per run: %.2f GB moved (STREAM counts 24 bytes per element: read b and c, write a)", j.passes,
           gb);
    sweep_begin(s, "mem", R->cpus, R->max_workers, gb);
    measure_point(L, s, SERIAL, 1, run_triad, &j, triad_result);
    check_triad(&j, "one thread");
    for (int i = 0; i < s->n; i++) {
        j.workers = s->workers[i];
        measure_point(L, s, THREAD, j.workers, run_triad, &j, triad_result);
        check_triad(&j, "threads");
    }
    mp_triad_free(&j.t);
    mp_say("every run wrote every element (checked after each point)");
    note_superlinear(s);
    const sweep *one_sweep[] = {s};
    write_sweeps_csv(L, "bandwidth.csv", one_sweep, 1, true);
    mp_series series[2] = {sweep_series(&R->cpu, THREAD, "primes-threads"), sweep_series(s, THREAD, "triad-threads")};
    mp_speedup_plot(L->o.out, "speedup-mem", "lesson 02: memory-bound (triad) beside CPU-bound (primes), threads",
                    series, 2, L->o.no_plot);
}
