/* Lesson 12, part 3 -- one total from many threads (lesson 10's lost update,
 * OpenMP style).
 *
 *   none       total += 1 in every thread: a deliberate race, wrong;
 *   reduction  reduction(+:total): each thread adds into its own copy, the
 *              copies are added at the end -- the partial sums of lesson 09,
 *              written for you;
 *   critical   #pragma omp critical around the add: one thread at a time;
 *   atomic     #pragma omp atomic: one locked instruction;
 *   kit-lock   the kit's mp_lock around the add. */
#include "lesson12.h"

const char *const total_names[NTOTALS] = {"none", "reduction", "critical", "atomic", "kit-lock"};

typedef struct adder { int kind, threads; long n, total; mp_lock lock; } adder;

/* The race on purpose: the sanitizer runs never build this lesson. */
static void add_unprotected(volatile long *total, long n, int threads)
{
#pragma omp parallel for num_threads(threads)
    for (long i = 0; i < n; i++)
        *total = *total + 1;
}

static void run(void *arg)
{
    adder *a = arg;
    long total = 0, n = a->n;
    switch (a->kind) {
    case T_NONE:
        add_unprotected(&a->total, n, a->threads);
        return;
    case T_REDUCTION:
#pragma omp parallel for reduction(+ : total) num_threads(a->threads)
        for (long i = 0; i < n; i++)
            total += 1;
        break;
    case T_CRITICAL:
#pragma omp parallel for num_threads(a->threads)
        for (long i = 0; i < n; i++) {
#pragma omp critical
            total += 1;
        }
        break;
    case T_ATOMIC:
#pragma omp parallel for num_threads(a->threads)
        for (long i = 0; i < n; i++) {
#pragma omp atomic
            total += 1;
        }
        break;
    default:
#pragma omp parallel for num_threads(a->threads)
        for (long i = 0; i < n; i++) {
            CHECK(mp_lock_acquire(&a->lock, -1));
            total += 1;
            CHECK(mp_lock_release(&a->lock));
        }
    }
    a->total = total;
}

static void run_none(void *arg)
{
    adder *a = arg;
    a->total = 0;
    run(a);
}

void part_reduce(mp_lesson *L, reduce_result *R)
{
    mp_lesson_part(L, "3. One total from many threads: none, reduction, critical, atomic, the kit's lock");
    adder a = {.threads = L->o.workers < 2 ? 2 : L->o.workers};
    CHECK(mp_lock_init(&a.lock, MP_LOCK, NULL));
    R->n = L->o.quick ? 2000000 : 10000000;
    R->expected = R->n;
    mp_table t;
    mp_table_header(&t, "way|total|expected|median ms|ns per add");
    for (int k = 0; k < NTOTALS; k++) {
        a.kind = k;
        a.n = k >= T_CRITICAL ? R->n / 10 : R->n; /* the locked ways are slow: a tenth of the adds */
        CHECK(mp_measure(L->o.repeat, k == T_NONE ? run_none : run, &a, &R->time[k], NULL));
        R->got[k] = a.total;
        long want = a.n;
        mp_table_row(&t, "%s|%ld|%ld|%.1f|%.2f", total_names[k], a.total, want, R->time[k].median * 1e3,
                     R->time[k].median * 1e9 / (double)a.n);
        openmp_row(k == T_KIT_LOCK ? "kit-lock" : total_names[k], "static", 0, a.threads, 0, &R->time[k], 0);
    }
    mp_say("(none is a race on purpose; %d threads; the critical, atomic and kit-lock ways add a tenth as many)",
           a.threads);
    mp_lock_destroy(&a.lock);
}
