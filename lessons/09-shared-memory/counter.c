/* Lesson 09, part 2 -- the lost update, and false sharing.
 *
 * Several processes add 1 to a shared counter, many times each. `counter
 * += 1` is three steps: load, add, store. Two processes that load the same
 * value both store value + 1: one increment is lost. Five ways:
 *   none     the bare read-modify-write: wrong, on purpose (a deliberate
 *            race: the kit's sanitizer runs never see this lesson);
 *   lock     each increment under a process-shared lock (mp_lock):
 *            exact, and every increment pays for the lock;
 *   atomic   atomic_fetch_add: exact; the CPU makes load-add-store one step;
 *   partial  each worker counts in its own word, and the parent adds the
 *            words at the end: exact, and no worker ever waits for another
 *            -- but the words sit side by side in one 64-byte cache line.
 *            Each worker adds with an atomic add (so that a running total
 *            could be read at any moment, as a progress bar would), and an
 *            atomic add needs the whole line: the two CPUs take it from
 *            each other at every increment (false sharing);
 *   partial-padded  the same words 64 bytes apart, a line each.
 * Each run: the workers start, wait at a start line, go together; the time
 * is from the go to the last one's exit. */
#include <math.h>

#include "lesson09.h"

const char *const counter_methods[NMETHODS] = {"none", "lock", "atomic", "partial", "partial-padded"};

#define MAX_WORKERS 16
typedef struct counters {
    atomic_int ready, go;
    long plain;                     /* none */
    mp_lock lock;
    long locked;                    /* lock */
    atomic_long atom;               /* atomic */
    _Alignas(64) atomic_long adjacent[MAX_WORKERS]; /* partial: one word each, side by side, 8 to a line */
    struct {
        _Alignas(64) atomic_long v;    /* partial-padded: a cache line each */
    } padded[MAX_WORKERS];
} counters;

/* The race, kept where it can be seen: volatile makes the compiler load and
 * store every time, as the CPU-level race needs. */
static void add_unlocked(volatile long *c, long n)
{
    for (long i = 0; i < n; i++)
        *c = *c + 1;
}

/* A word only this worker writes, updated atomically: a plain store would
 * wait in the CPU's store buffer and reach the cache line in batches, and
 * the false sharing would hide. */
static void add_own(atomic_long *w, long n)
{
    for (long i = 0; i < n; i++)
        atomic_fetch_add_explicit(w, 1, memory_order_relaxed);
}

int counter_worker(void *arg)
{
    const counter_args *a = arg;
    mp_shm seg;
    CHECK(mp_shm_attach(&seg, mp_child_fd(0)));
    counters *c = seg.p;
    atomic_fetch_add(&c->ready, 1);
    while (!atomic_load(&c->go))
        sched_yield();
    switch (a->method) {
    case C_NONE:
        add_unlocked(&c->plain, a->increments);
        break;
    case C_LOCK:
        for (long i = 0; i < a->increments; i++) {
            CHECK(mp_lock_acquire(&c->lock, -1));
            c->locked++;
            CHECK(mp_lock_release(&c->lock));
        }
        break;
    case C_ATOMIC:
        for (long i = 0; i < a->increments; i++)
            atomic_fetch_add_explicit(&c->atom, 1, memory_order_relaxed);
        break;
    case C_PARTIAL: /* only this worker writes this word */
        add_own(&c->adjacent[a->worker], a->increments);
        break;
    case C_PADDED:
        add_own(&c->padded[a->worker].v, a->increments);
        break;
    }
    mp_shm_close(&seg);
    return 0;
}

static long final_value(const counters *c, int method, int workers)
{
    long sum = 0;
    switch (method) {
    case C_NONE: return c->plain;
    case C_LOCK: return c->locked;
    case C_ATOMIC: return atomic_load(&c->atom);
    case C_PARTIAL:
        for (int w = 0; w < workers; w++)
            sum += atomic_load(&c->adjacent[w]);
        return sum;
    default:
        for (int w = 0; w < workers; w++)
            sum += atomic_load(&c->padded[w].v);
        return sum;
    }
}

/* One run: fresh counters, the workers at the start line, go, join. */
static double run_once(mp_shm *seg, int method, int workers, long increments, long *final)
{
    counters *c = seg->p;
    memset((void *)c, 0, sizeof *c);
    CHECK(mp_lock_init(&c->lock, MP_LOCK, NULL));
    mp_process p[MAX_WORKERS];
    for (int w = 0; w < workers; w++) {
        counter_args a = {method, w, workers, increments};
        char name[32];
        snprintf(name, sizeof name, "%s-%d", counter_methods[method], w + 1);
        mp_lesson_child(&p[w], name, counter_worker, &a, sizeof a, &seg->fd, 1);
    }
    while (atomic_load(&c->ready) < workers)
        mp_sleep_ns(200000);
    uint64_t t0 = mp_now_ns();
    atomic_store(&c->go, 1);
    for (int w = 0; w < workers; w++)
        CHECK(mp_lesson_join(&p[w], 120));
    double s = mp_ns_to_s(mp_now_ns() - t0);
    *final = final_value(c, method, workers);
    return s;
}

void part_counter(mp_lesson *L, counter_result *R)
{
    mp_lesson_part(L, "2. The lost update: processes adding to one counter, five ways");
    int workers = L->o.workers < 2 ? 2 : L->o.workers > MAX_WORKERS ? MAX_WORKERS : L->o.workers;
    /* enough that the workers run side by side for a while (a million
     * increments take a millisecond: the first could finish before the
     * second starts), few enough under the lock, where each increment is a
     * hand-over between processes */
    long many = L->o.quick ? 5000000 : 20000000, locked = L->o.quick ? 20000 : 50000;
    *R = (counter_result){.workers = workers};
    mp_shm seg;
    CHECK(mp_shm_create(&seg, "mpkit-lesson09-counters", sizeof(counters)));
    mp_say("%d worker processes (%s), each adding 1 %ld times (%ld under the lock: each one is a lock and an "
           "unlock)", workers, mp_start_names[L->o.start], many, locked);
    mp_table t;
    mp_table_header(&t, "method|per worker|final value|expected|lost|median ms|ns per increment");
    for (int m = 0; m < NMETHODS; m++) {
        long inc = m == C_LOCK ? locked : many;
        double *s = calloc((size_t)L->o.repeat, sizeof *s);
        if (!s)
            mp_lesson_abort();
        long final = 0;
        for (int r = 0; r < L->o.repeat; r++)
            s[r] = run_once(&seg, m, workers, inc, &final); /* the last run's value is reported */
        CHECK(mp_stats_of(s, (size_t)L->o.repeat, &R->time[m]));
        free(s);
        long expected = inc * workers;
        R->final_value[m] = final;
        R->increments[m] = inc;
        R->expected[m] = expected;
        mp_table_row(&t, "%s|%ld|%ld|%ld|%ld|%.1f|%.2f", counter_methods[m], inc, final, expected, expected - final,
                     R->time[m].median * 1e3, R->time[m].median * 1e9 / (double)expected);
        CHECK(mp_csv_row(&counter_csv, "%s,%d,%ld,%ld,%ld,%.6f", counter_methods[m], workers, inc, final, expected,
                         R->time[m].median));
    }
    mp_say("(none is a race on purpose: it loses increments whenever two workers load the same value)");
    mp_shm_close(&seg);
}
