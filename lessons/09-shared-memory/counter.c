/* Lesson 09, part 2 -- the lost update, and false sharing.
 *
 * Several processes add 1 to a shared counter, many times each. `counter
 * += 1` is three steps: read the counter, compute the new value, write it
 * back. Two processes that read the same value both write value + 1: one
 * increment is lost. Here computing the new value takes a few nanoseconds
 * (WORK_STEPS steps of mp_spin, as a real program computes a new balance
 * from the old one), so the window between the read and the write is most
 * of each increment: the race shows when the workers run on two CPUs side
 * by side, and also when they take turns on one (a worker switched out
 * inside the window writes back a stale value when it resumes, undoing
 * everything the other did meanwhile). Every method does the same work per
 * increment; they differ in how the increment reaches the counter:
 *   none     read, compute, write: wrong, on purpose (a deliberate race:
 *            the sanitizer runs never include this lesson);
 *   lock     the same under a process-shared lock (mp_lock): exact, and
 *            every increment pays for the lock;
 *   atomic   compute, then atomic_fetch_add: exact; the CPU makes the
 *            read-add-write one step, so nothing can come between;
 *   partial  each worker counts in its own word, and the parent adds the
 *            words at the end: exact, and no worker ever waits for another
 *            -- but the words sit side by side in one 64-byte cache line.
 *            Each worker adds with an atomic add (so that a running total
 *            could be read at any moment, as a progress bar would), and an
 *            atomic add needs the whole line: the two CPUs take it from
 *            each other at every increment (false sharing);
 *   partial-padded  the same words 64 bytes apart, a line each.
 * Each run: the workers start, wait at a start line, go together; the time
 * is from the go to the last one's exit. Each worker also notes the CPU
 * time its loop took: their sum over the wall time says how many CPUs the
 * workers really had between them (on a busy machine, maybe one). */
#include <math.h>

#include "lesson09.h"

const char *const counter_methods[NMETHODS] = {"none", "lock", "atomic", "partial", "partial-padded"};

#define MAX_WORKERS 16
#define WORK_STEPS 8 /* the work of one increment: a few ns */

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
    _Alignas(64) uint64_t cpu_ns[MAX_WORKERS]; /* each worker's loop, in CPU time (written once, at its end) */
} counters;

/* The new value from the old: old + 1, after WORK_STEPS dependent steps
 * that start from the old value -- so neither the compiler nor the CPU can
 * do them before the read. (mp_spin never returns 0: the + 1 is exact.) */
static long new_value(long old) { return old + (mp_spin(WORK_STEPS, (uint64_t)old) != 0); }

/* The race, kept where it can be seen: volatile makes the compiler read
 * and write the counter every time, as the race needs. */
static void add_unlocked(volatile long *c, long n)
{
    for (long i = 0; i < n; i++) {
        long old = *c;         /* read */
        *c = new_value(old);   /* compute, write: another worker may have written meanwhile */
    }
}

static void add_locked(mp_lock *lock, long *c, long n)
{
    for (long i = 0; i < n; i++) {
        CHECK(mp_lock_acquire(lock, -1));
        *c = new_value(*c);
        CHECK(mp_lock_release(lock));
    }
}

/* An atomic add of the same work's result: on the shared counter (atomic)
 * or on a word only this worker writes (partial). The atomic add on the
 * own word matters: a plain store would wait in the CPU's store buffer and
 * reach the cache line in batches, and the false sharing would hide. */
static void add_atomic(atomic_long *w, long n)
{
    for (long i = 0; i < n; i++)
        atomic_fetch_add_explicit(w, new_value(i) - i, memory_order_relaxed);
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
    uint64_t cpu0 = mp_thread_cpu_ns();
    switch (a->method) {
    case C_NONE: add_unlocked(&c->plain, a->increments); break;
    case C_LOCK: add_locked(&c->lock, &c->locked, a->increments); break;
    case C_ATOMIC: add_atomic(&c->atom, a->increments); break;
    case C_PARTIAL: add_atomic(&c->adjacent[a->worker], a->increments); break;
    case C_PADDED: add_atomic(&c->padded[a->worker].v, a->increments); break;
    }
    c->cpu_ns[a->worker] = mp_thread_cpu_ns() - cpu0;
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

/* One run: fresh counters, the workers at the start line, go, join. The
 * wall time; *final the counter; *cpus the CPUs the workers had between
 * them (their CPU time over the wall time). */
static double run_once(mp_shm *seg, int method, int workers, long increments, long *final, double *cpus)
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
    uint64_t wall = mp_now_ns() - t0, cpu = 0;
    for (int w = 0; w < workers; w++)
        cpu += c->cpu_ns[w];
    *final = final_value(c, method, workers);
    *cpus = wall ? (double)cpu / (double)wall : 0;
    return mp_ns_to_s(wall);
}

void part_counter(mp_lesson *L, counter_result *R)
{
    mp_lesson_part(L, "2. The lost update: processes adding to one counter, five ways");
    int workers = L->o.workers < 2 ? 2 : L->o.workers > MAX_WORKERS ? MAX_WORKERS : L->o.workers;
    /* enough that each worker runs for tens of milliseconds, longer than
     * the kernel lets one process run while another waits for the CPU
     * (else the first could finish before the second starts); fewer under
     * the lock, where each increment is a hand-over between processes */
    long many = L->o.quick ? 3000000 : 8000000, locked = L->o.quick ? 50000 : 200000;
    *R = (counter_result){.workers = workers};
    mp_shm seg;
    CHECK(mp_shm_create(&seg, "mpkit-lesson09-counters", sizeof(counters)));
    mp_say("%d worker processes (%s), each adding 1 %ld times (%ld under the lock: each one is a lock and an "
           "unlock); each increment computes the new value from the old, a few ns of work", workers,
           mp_start_names[L->o.start], many, locked);
    mp_table t;
    mp_table_header(&t, "method|per worker|final value|expected|lost|median ms|ns per increment|CPUs busy");
    double *s = calloc((size_t)L->o.repeat * 2, sizeof *s), *cpus = s + L->o.repeat;
    if (!s)
        mp_lesson_abort();
    for (int m = 0; m < NMETHODS; m++) {
        long inc = m == C_LOCK ? locked : many;
        long final = 0;
        for (int r = 0; r < L->o.repeat; r++)
            s[r] = run_once(&seg, m, workers, inc, &final, &cpus[r]); /* the last run's value is reported */
        CHECK(mp_stats_of(s, (size_t)L->o.repeat, &R->time[m]));
        mp_stats cs;
        CHECK(mp_stats_of(cpus, (size_t)L->o.repeat, &cs));
        long expected = inc * workers;
        R->final_value[m] = final;
        R->increments[m] = inc;
        R->expected[m] = expected;
        R->cpus[m] = cs.median;
        mp_table_row(&t, "%s|%ld|%ld|%ld|%ld|%.1f|%.2f|%.1f", counter_methods[m], inc, final, expected,
                     expected - final, R->time[m].median * 1e3, R->time[m].median * 1e9 / (double)expected,
                     cs.median);
        CHECK(mp_csv_row(&counter_csv, "%s,%d,%ld,%ld,%ld,%.6f", counter_methods[m], workers, inc, final, expected,
                         R->time[m].median));
    }
    free(s);
    mp_say("(none is a race on purpose: it loses increments whenever two workers read the same value; CPUs busy: "
           "the workers' CPU time over the wall time, %d if they ran side by side all along)",
           workers < mp_cpus_usable() ? workers : mp_cpus_usable());
    mp_shm_close(&seg);
}
