/* mpkit-cflags: -fopenmp */
/* Lesson 12 -- OpenMP: what a C programmer would use instead of a pool.
 *
 * The question: the kit mirrors Python's pools so that you can see them
 * work. On one machine a C programmer would write `#pragma omp parallel
 * for` (gcc's libgomp). What does it cost per task against the kit's pools,
 * how do its schedules cope with uneven work, how does it combine results,
 * and how many threads does it start?
 *   1. the primes job and lesson 06's task-cost sweep as parallel for, with
 *      schedule static, dynamic,1, dynamic,16 and guided, beside the kit's
 *      thread and process pools (sweep.c);
 *   2. imbalanced work: static against dynamic and guided, on a timeline
 *      (imbalance.c);
 *   3. one total from many threads: a reduction, critical, atomic, the kit's
 *      lock, and none (reduce.c);
 *   4. OMP_NUM_THREADS and the usable CPUs (env.c).
 * The closing verdicts check each claim against this run's numbers and end
 * with when to pick which.
 */
#include <math.h>
#include <stdlib.h>

#include "lesson12.h"

static const mp_entry entries[] = {{0}}; /* the kit's process pool runs registered tasks */

mp_csv openmp_csv;

void openmp_row(const char *method, const char *schedule, int chunk, int threads, double task_ns, const mp_stats *s,
                double speedup)
{
    CHECK(mp_csv_row(&openmp_csv, "%s,%s,%d,%d,%.0f,%.7f,%.4f", method, schedule, chunk, threads, task_ns, s->median,
                     speedup));
}

static const char *one_cpu(void) { return mp_cpus_usable() < 2 ? "only 1 CPU is usable" : NULL; }

static void verdicts(mp_lesson *L, const sweep_result *S, const imbalance_result *I, const reduce_result *T,
                     const env_result *E)
{
    mp_verdict(L, S->primes_right && S->sweep_right && I->right, 0, NULL,
               "every schedule and every pool computed the serial loop's results (primes, the sweep, skewed work)");
    double o = S->overhead_ns[W_DYN1][0], k = S->overhead_ns[W_KIT_PROCESS][0];
    mp_verdict(L, o < k, 0, NULL,
               "OpenMP dynamic,1 costs less per task than the kit's process pool: %.0f ns against %.0f ns (%.0f ns "
               "tasks: no task objects, no messages, a shared counter and a barrier)", o, k, S->cost_ns[0]);
    for (int kind = 0; kind < 2; kind++) {
        const mp_stats *st = I->time[kind];
        double best = fmin(st[S_DYNAMIC].median, st[S_GUIDED].median), r = st[S_STATIC].median / best;
        double sp = fmax(mp_spread(&st[S_STATIC]), fmax(mp_spread(&st[S_DYNAMIC]), mp_spread(&st[S_GUIDED])));
        mp_verdict(L, r > 1.1, mp_decisive(r, 1.1, sp), one_cpu(),
                   "on %s work dynamic or guided beats static: static took %.2fx the better of them",
                   kind == 0 ? "growing" : "random", r);
    }
    bool exact = true;
    for (int t = T_REDUCTION; t < NTOTALS; t++)
        exact = exact && T->got[t] == (t >= T_CRITICAL ? T->n / 10 : T->n);
    mp_verdict(L, exact, 0, NULL, "a reduction, critical, atomic and the kit's lock all give the exact total");
    mp_verdict(L, T->got[T_NONE] != T->n, 0, T->got[T_NONE] != T->n ? NULL : one_cpu(),
               "without any of them the total is wrong: %ld of %ld (a deliberate race)", T->got[T_NONE], T->n);
    double red = T->time[T_REDUCTION].median / (double)T->n,
           crit = T->time[T_CRITICAL].median / (double)(T->n / 10);
    mp_say("per add: reduction %.2f ns, critical %.1f ns, atomic %.1f ns, the kit's lock %.1f ns", red * 1e9,
           crit * 1e9, T->time[T_ATOMIC].median * 1e9 / (double)(T->n / 10),
           T->time[T_KIT_LOCK].median * 1e9 / (double)(T->n / 10));
    mp_verdict(L, E->plain_threads == E->plain_cpus && E->three_threads == 3 &&
                      (!E->have_taskset || (E->pinned_threads == 1 && E->pinned_cpus == 1)),
               0, NULL,
               "OpenMP starts one thread per usable CPU (%d of %d), OMP_NUM_THREADS=3 makes it 3 (%d)%s",
               E->plain_threads, E->plain_cpus, E->three_threads,
               !E->have_taskset ? "" : E->pinned_threads == 1 ? ", and under taskset -c 0, 1" : ", but NOT 1 under taskset -c 0");
    mp_say("when to pick which: a loop over an array in one program -- OpenMP (cheapest per task, no data copied); "
           "work that must survive a crash, run other programs' code, or stay isolated -- processes (a pool, "
           "lesson 05); more than one machine -- MPI (lesson 13)");
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--omp-info") == 0) /* part 4 runs the lesson itself this way */
        return print_omp_info();
    mp_spawn_main(argc, argv, entries); /* the guard: a spawned pool worker never gets past this line */
    static long omp_info;
    static const mp_flag flags[] = {{"omp-info", MP_FLAG_BOOL, NULL,
                                     "print what OpenMP sees (threads, usable CPUs) and exit; part 4 runs this", 0, 1,
                                     NULL, &omp_info}};
    static const mp_unused unused[] = {{"max-workers", "every team and pool here has --workers threads"}, {0}};
    static const mp_cli cli = {
        .prog = "lesson-12",
        .summary = "OpenMP: parallel for with its schedules beside the kit's pools, imbalance, reductions, thread "
                   "counts",
        .default_out = "plots/out/12-openmp",
        .flags = flags,
        .nflags = 1,
        .unused = unused,
        .workers_limit = 64,
    };
    mp_lesson L;
    int status;
    if (!mp_lesson_begin(&L, &cli, argc, argv, &status))
        return status;
    if (omp_info)
        return print_omp_info();
    CHECK(mp_csv_open(&openmp_csv, L.o.out, "openmp.csv", "method,schedule,chunk,threads,task_ns,median_s,speedup"));
    sweep_result sweep;
    imbalance_result imb;
    reduce_result red;
    env_result env;
    part_sweep(&L, &sweep);
    part_imbalance(&L, &imb);
    part_reduce(&L, &red);
    part_env(&L, &env);
    CHECK(mp_csv_close(&openmp_csv));
    mp_lesson_verdicts(&L);
    verdicts(&L, &sweep, &imb, &red, &env);
    return mp_lesson_end(&L);
}
