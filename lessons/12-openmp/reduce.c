/* Lesson 12, part 3 -- one total from many threads: lesson 10's lost
 * update, OpenMP style.
 *
 * Every iteration computes a small value (a few dozen ns of mp_spin) and
 * adds it to one total. Five ways:
 *   reduction  reduction(+:total): each thread adds into its own copy, and
 *              the copies are added once at the end -- lesson 09's partial
 *              sums, written for you;
 *   critical   #pragma omp critical around the add: one thread at a time,
 *              through one lock for every critical section of the program;
 *   atomic     #pragma omp atomic: one locked instruction per add;
 *   kit-lock   the kit's mp_lock (lib/sync.h) around the add;
 *   none       no protection at all: a deliberate race, shown wrong.
 * The first four must give the serial loop's total exactly; the race loses
 * updates. Each is timed: what one add costs when every iteration goes
 * through the lock, and when none does. */
#include <stdatomic.h>

#include "lesson12.h"

const char *const total_names[NTOTALS] = {"reduction", "critical", "atomic", "kit-lock", "none"};

typedef struct adder {
    int way, threads;
    long n;
    uint64_t steps;     /* the work of one value */
    long total;
    mp_lock lock;
    _Atomic long racy;  /* the unprotected total */
} adder;

static inline long value(const adder *a, long i)
{
    return (long)(mp_spin(a->steps, (uint64_t)i + 1) & 0xff);
}

/* The race on purpose. `total += value(i)` in every thread, unprotected: read
 * the total, compute, write it back. Written with atomic loads and stores so
 * that each read and each write is whole (a plain `long` would make this
 * undefined behaviour in C, and the compiler may then keep the total in a
 * register for the whole loop); what is lost is the update: a thread that
 * read the total before another wrote it writes back a total without the
 * other's adds. The value is computed between the read and the write, so
 * the window is wide, and a thread switched out inside it (one CPU) loses
 * the other's whole time slice of adds. */
static void add_unprotected(adder *a)
{
    long n = a->n;
#pragma omp parallel for num_threads(a->threads)
    for (long i = 0; i < n; i++) {
        long seen = atomic_load_explicit(&a->racy, memory_order_relaxed);
        atomic_store_explicit(&a->racy, seen + value(a, i), memory_order_relaxed);
    }
    a->total = atomic_load(&a->racy);
}

static void run_serial_total(void *arg)
{
    adder *a = arg;
    long total = 0;
    for (long i = 0; i < a->n; i++)
        total += value(a, i);
    a->total = total;
}

static void run_total(void *arg)
{
    adder *a = arg;
    long total = 0, n = a->n;
    switch (a->way) {
    case T_REDUCTION:
#pragma omp parallel for reduction(+ : total) num_threads(a->threads)
        for (long i = 0; i < n; i++)
            total += value(a, i);
        break;
    case T_CRITICAL:
#pragma omp parallel for num_threads(a->threads)
        for (long i = 0; i < n; i++) {
            long v = value(a, i);
#pragma omp critical
            total += v;
        }
        break;
    case T_ATOMIC:
#pragma omp parallel for num_threads(a->threads)
        for (long i = 0; i < n; i++) {
            long v = value(a, i);
#pragma omp atomic
            total += v;
        }
        break;
    case T_KIT_LOCK:
#pragma omp parallel for num_threads(a->threads)
        for (long i = 0; i < n; i++) {
            long v = value(a, i);
            CHECK(mp_lock_acquire(&a->lock, -1));
            total += v;
            CHECK(mp_lock_release(&a->lock));
        }
        break;
    default:
        atomic_store(&a->racy, 0);
        add_unprotected(a);
        return;
    }
    a->total = total;
}

static void row(const reduce_result *R, int way)
{
    const mp_stats *s = &R->time[way];
    CHECK(mp_csv_row(&totals_csv, "%s,%d,%ld,%ld,%ld,%.6f,%.2f", way < 0 ? "serial" : total_names[way],
                     way < 0 ? 1 : R->threads, R->adds, way < 0 ? R->expected : R->got[way], R->expected, s->median,
                     s->median * 1e9 / (double)R->adds));
}

void part_reduce(mp_lesson *L, reduce_result *R)
{
    *R = (reduce_result){.threads = L->o.workers < 2 ? 2 : L->o.workers, .adds = L->o.quick ? 300000 : 1000000};
    mp_lesson_part(L, "3. One total from %d threads: reduction, critical, atomic, the kit's lock, and none", R->threads);
    adder a = {.threads = R->threads, .n = R->adds, .steps = mp_spin_steps_for_ns(25)};
    CHECK(mp_lock_init(&a.lock, MP_LOCK, NULL));
    mp_stats serial;
    CHECK(mp_measure(L->o.repeat, run_serial_total, &a, &serial, NULL));
    R->expected = a.total;
    CHECK(mp_csv_row(&totals_csv, "serial,1,%ld,%ld,%ld,%.6f,%.2f", R->adds, R->expected, R->expected,
                     serial.median, serial.median * 1e9 / (double)R->adds));
    for (int w = 0; w < NPROTECTED; w++) {
        a.way = w;
        mp_stats cpu;
        CHECK(mp_measure(L->o.repeat, run_total, &a, &R->time[w], &cpu));
        if (w == T_ATOMIC) /* the CPUs the threads had while they contended for one cache line */
            R->cpus_had = cpu.median / R->time[w].median;
        R->got[w] = a.total;
        row(R, w);
    }
    /* the race: up to ten runs, until one loses updates */
    a.way = T_NONE;
    double times[10];
    for (R->tries = 1; R->tries <= 10; R->tries++) {
        uint64_t t0 = mp_now_ns();
        run_total(&a);
        times[R->tries - 1] = mp_ns_to_s(mp_now_ns() - t0);
        R->got[T_NONE] = a.total;
        mp_say("unprotected run %d: total %ld of %ld%s", R->tries, a.total, R->expected,
               a.total == R->expected ? " (exact: the threads never met between a read and its write)" : "");
        if (a.total != R->expected)
            break;
    }
    if (R->tries > 10)
        R->tries = 10;
    CHECK(mp_stats_of(times, (size_t)R->tries, &R->time[T_NONE]));
    row(R, T_NONE);

    mp_table t;
    mp_table_header(&t, "way|total|expected|median ms|ns per add|exact");
    mp_table_row(&t, "serial loop|%ld|%ld|%.1f|%.1f|yes", R->expected, R->expected, serial.median * 1e3,
                 serial.median * 1e9 / (double)R->adds);
    for (int w = 0; w < NTOTALS; w++)
        mp_table_row(&t, "%s|%ld|%ld|%.1f|%.1f|%s", w == T_NONE ? "none (a deliberate race)" : total_names[w],
                     R->got[w], R->expected, R->time[w].median * 1e3, R->time[w].median * 1e9 / (double)R->adds,
                     R->got[w] == R->expected ? "yes" : w == T_NONE ? "NO: updates lost" : "NO");
    mp_say("(%ld adds, each of a value computed in ~25 ns; %d threads%s)", R->adds, R->threads,
           L->o.workers < 2 ? ": at least 2, one thread has nobody to race" : "");
    mp_lock_destroy(&a.lock);
}
