/* Lesson 09's puzzle: k processes each run `counter += 1` m times on one
 * shared counter, without a lock. Which final values are possible?
 *
 * `counter += 1` is a load, an add, a store. The largest result is k*m:
 * no two increments overlap. The smallest is not "m" nor "about half":
 *
 *  - Every value ever stored is at least 1 (a store writes a loaded value
 *    plus 1), so the counter reads 0 only before the first store.
 *  - The final value is the last store, of (what that process last
 *    loaded) + 1. With m >= 2, that last load came after the same
 *    process's own first store, so it read at least 1: the end is >= 2.
 *    With m = 1 every process may load 0 before anyone stores: the end is 1.
 *  - 2 is reachable (k >= 2, m >= 2): P1 loads 0; the others run all their
 *    increments but P2 its last; P1 stores 1, wiping them out; P2 loads 1
 *    for its last increment; P1 runs its other m-1 increments; P2 stores
 *    2, wiping those out.
 *
 * So min = 1 if m = 1, else 2 (one process alone: exactly m), max = k*m.
 * --solve runs it with real processes on a shared Value made with
 * lock=False (lib/value), as lesson 09 does, and the measured value must
 * lie in the range (the tests check it). */
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "counter.h"
#include "mp.h"

static void make(void *state, unsigned long seed)
{
    static const long ms[] = {1, 2, 3, 5, 10, 1000, 100000};
    counter_state *st = state;
    puzzle_rng r = puzzle_rng_seeded(seed, "counter");
    st->procs = puzzle_rng_range(&r, 2, 4);
    st->increments = ms[puzzle_rng_range(&r, 0, (int)(sizeof ms / sizeof ms[0]) - 1)];
    st->max = st->procs * st->increments;
    st->min = st->increments == 1 ? 1 : 2;
}

static void problem(const void *state, FILE *out)
{
    const counter_state *st = state;
    fprintf(out, "counter = Value('l', 0, lock=False), shared by %d processes. Each one runs\n\n"
                 "    for _ in range(%ld):\n        counter.value += 1      # load, add 1, store: no lock\n\n"
                 "and any interleaving of the loads and stores may happen.\n\n"
                 "What are the smallest and the largest final values possible? (answer MIN-MAX)\n",
            st->procs, st->increments);
}

/* "2-400", "2..400", "2 400", "2,400", "2 to 400" */
static int check(const void *state, const char *answer)
{
    const counter_state *st = state;
    long lo, hi;
    char sep[8], rest;
    if (sscanf(answer, " %ld %7[-.,to ] %ld %c", &lo, sep, &hi, &rest) == 3 ||
        sscanf(answer, " %ld %ld %c", &lo, &hi, &rest) == 2)
        return lo == st->min && hi == st->max;
    return -1;
}

static void answer(const void *state, char *buf, size_t len)
{
    const counter_state *st = state;
    snprintf(buf, len, "%ld-%ld", st->min, st->max);
}

static void solve(const void *state, FILE *out)
{
    const counter_state *st = state;
    fprintf(out, "From %ld to %ld.\n\n", st->min, st->max);
    fprintf(out, "The largest, %d x %ld = %ld: no two increments overlap, none is lost.\n", st->procs,
            st->increments, st->max);
    if (st->increments == 1)
        fprintf(out, "The smallest, 1: every process loads 0 before any of them stores, and each stores 1.\n"
                     "It cannot be 0: someone stores last, and every store writes at least 0 + 1.\n");
    else
        fprintf(out, "The smallest is 2, whatever k and m (k, m >= 2), not m and not half of the largest:\n"
                     "  - every store writes (a loaded value) + 1, so after the first store the counter is >= 1;\n"
                     "  - the final value is the last store. Its process loaded for that increment after its own\n"
                     "    first store, so it read >= 1 and stores >= 2;\n"
                     "  - and 2 happens: P1 loads 0; every other process runs all its increments, P2 all but its\n"
                     "    last; P1 stores 1 (their work is gone); P2 loads 1; P1 runs its other %ld increments;\n"
                     "    P2 stores 2 (P1's work is gone).\n",
                st->increments - 1);
    fprintf(out, "How many are lost in a real run depends on how often two processes are inside `load ...\n"
                 "store` at once: with few increments, usually none; with many, on two CPUs, a lot.\n");
}

/* ---- the run: real processes, a Value without its lock ---- */

/* The shared memory: the counter, and a start line so that the processes
 * increment at the same time (a process started later would otherwise
 * often find the others done). */
typedef struct shared {
    long counter;
    _Alignas(64) atomic_int ready;
} shared;

typedef struct worker_arg {
    shared *sh;
    int procs;
    long increments;
} worker_arg;

/* The race, as lesson 09 has it: read, compute the new value (a few
 * steps of work, as a real program computes a new balance), write. */
static int add_unlocked(void *arg)
{
    worker_arg *w = arg;
    volatile long *counter = &w->sh->counter; /* read and written every time, as the race needs */
    atomic_fetch_add(&w->sh->ready, 1);
    while (atomic_load(&w->sh->ready) < w->procs)
        sched_yield(); /* at the start line until all are there */
    for (long i = 0; i < w->increments; i++) {
        long old = *counter;
        *counter = old + (mp_spin(8, (uint64_t)old) != 0); /* mp_spin is never 0: + 1 */
    }
    return 0;
}

int counter_run_real(const counter_state *st, long *value)
{
    mp_value v;
    int rc = mp_value_create(&v, sizeof(shared), 1, NULL, false); /* zeroed */
    if (rc < 0)
        return rc;
    worker_arg w = {mp_value_ptr(&v), st->procs, st->increments};
    mp_process p[4];
    int started = 0;
    for (int i = 0; i < st->procs && rc == 0; i++) {
        mp_process_init(&p[i], NULL, add_unlocked, &w);
        p[i].start = MP_START_FORK; /* the child uses the parent's mapping of the Value */
        rc = mp_process_start(&p[i]);
        started += rc == 0;
    }
    if (rc < 0) /* the others wait at the start line for one that never came */
        for (int i = 0; i < started; i++)
            mp_process_kill(&p[i]);
    for (int i = 0; i < started; i++) {
        mp_process_join(&p[i], -1);
        if (rc == 0 && p[i].exitcode != 0)
            rc = -ECHILD;
    }
    *value = w.sh->counter;
    mp_value_close(&v);
    return rc;
}

static int measure(const void *state, FILE *out)
{
    const counter_state *st = state;
    long value;
    int rc = counter_run_real(st, &value);
    if (rc < 0)
        return rc;
    fprintf(out, "%d processes (fork), a shared Value with lock=False (lib/value), %ld increment%s each:\n",
            st->procs, st->increments, st->increments == 1 ? "" : "s");
    fprintf(out, "  predicted: from %ld to %ld\n  measured:  %ld (%ld increments lost, %.1f%%)  %s\n", st->min,
            st->max, value, st->max - value, 100.0 * (double)(st->max - value) / (double)st->max,
            value >= st->min && value <= st->max ? "inside the range" : "OUTSIDE the range: please report it");
    fprintf(out, "Run it again: the value changes from run to run, the range does not. Lesson 09 fixes it\n"
                 "three ways: the Value's lock, an atomic add, and a count per process added up at the end.\n");
    return 0;
}

const puzzle puzzle_counter = {
    .lesson = 9,
    .name = "counter",
    .about = "the range of final values of a shared counter incremented without a lock",
    .answer_form = "MIN-MAX, like 5-20",
    .make = make,
    .problem = problem,
    .check = check,
    .answer = answer,
    .solve = solve,
    .measure = measure,
};
