/* mpkit-cflags: -fopenmp */
/* Lesson 12 -- OpenMP: what a C programmer would use instead of a pool.
 *
 * The question: the kit mirrors Python's pools so that you can see them
 * work. On one machine a C programmer would more likely write
 * `#pragma omp parallel for` (gcc's libgomp, built with -fopenmp). What does
 * a task cost there against the kit's pools, how do its schedules cope with
 * uneven work, how do threads combine one result, and how many threads does
 * it start?
 *   1a. the primes job as parallel for under four schedules, beside the
 *       kit's thread and process pools, from 1 thread to --max-workers
 *       (primes.c);
 *   1b. the task-cost sweep of lesson 06 (100 ns to 1 ms): speedup, the cost
 *       of a call and of a task, break-evens (sweep.c; the ways in ways.c);
 *   2.  uneven work, growing and random: static against static,1, dynamic,1
 *       and guided, on a timeline (imbalance.c);
 *   3.  one total from many threads: reduction, critical, atomic, the kit's
 *       lock, and none -- lesson 10's lost update (reduce.c);
 *   4.  OMP_NUM_THREADS, the usable CPUs and taskset (env.c).
 * The closing verdicts check each claim against this run's numbers and end
 * with when to pick which.
 */
#include <math.h>

#include "lesson12.h"

/* The kit's process pool runs tasks registered with MP_TASK (tasks.c): the
 * lesson starts no child of its own but part 4's. */
static const mp_entry entries[] = {{0}};

mp_csv openmp_csv, primes_csv, overhead_csv, imbalance_csv, totals_csv, threads_csv;

static void outputs_open(const mp_lesson *L)
{
    CHECK(mp_csv_open(&openmp_csv, L->o.out, "openmp.csv", "method,schedule,chunk,threads,task_ns,median_s,speedup"));
    CHECK(mp_csv_open(&primes_csv, L->o.out, "primes.csv",
                      "method,schedule,chunk,threads,task_ns,median_s,speedup,primes"));
    CHECK(mp_csv_open(&overhead_csv, L->o.out, "overhead.csv",
                      "method,schedule,chunk,threads,call_us,overhead_ns_per_task,breakeven_ns,model_breakeven_ns"));
    CHECK(mp_csv_open(&imbalance_csv, L->o.out, "imbalance.csv",
                      "work,schedule,chunk,threads,task_ns,median_s,speedup,imbalance"));
    CHECK(mp_csv_open(&totals_csv, L->o.out, "totals.csv", "way,threads,adds,total,expected,median_s,ns_per_add"));
    CHECK(mp_csv_open(&threads_csv, L->o.out, "threads.csv",
                      "setting,omp_num_threads,taskset,omp_max_threads,omp_num_procs,usable_cpus"));
}

static void outputs_close(void)
{
    mp_csv *all[] = {&openmp_csv, &primes_csv, &overhead_csv, &imbalance_csv, &totals_csv, &threads_csv};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        CHECK(mp_csv_close(all[i]));
}

/* ---- verdicts ---- */

static void sweep_verdicts(mp_lesson *L, const primes_result *P, const sweep_result *S)
{
    mp_verdict(L, P->right && S->right, 0, NULL,
               "every way counted exactly the %llu primes below %llu, and gave the serial loop's results in the sweep",
               (unsigned long long)P->primes, (unsigned long long)P->bound);
    double o = S->model[W_DYNAMIC1].overhead_ns, k = S->model[W_PROCESS].overhead_ns;
    double r = k / fmax(o, 1.0), sp = fmax(mp_spread(&S->many[W_DYNAMIC1]), mp_spread(&S->many[W_PROCESS]));
    char a[32], b[32];
    mp_verdict(L, o < k, mp_decisive(r, 1, sp), NULL,
               "OpenMP dynamic,1 costs less per task than the kit's process pool: %s against %s (empty tasks; no "
               "task objects, no messages: a shared counter, and a barrier at the end)",
               mp_ns_text(o, a, sizeof a), mp_ns_text(k, b, sizeof b));
}

static const char *nothing_to_balance(const imbalance_result *I)
{
    return I->threads < 2         ? "one thread (--workers 1): nothing to balance"
           : mp_cpus_usable() < 2 ? "only 1 CPU is usable: the threads take turns on it, so there is nothing to "
                                    "balance"
                                  : NULL;
}

static void imbalance_verdicts(mp_lesson *L, const imbalance_result *I, unsigned long seed)
{
    for (int kind = 0; kind < NKINDS; kind++) {
        const mp_stats *t = I->time[kind];
        int best = t[S_DYNAMIC1].median <= t[S_GUIDED].median ? S_DYNAMIC1 : S_GUIDED;
        double r = t[S_STATIC].median / t[best].median;
        double sp = fmax(mp_spread(&t[S_STATIC]), mp_spread(&t[best]));
        /* "beats": by more than a tenth (growing work with 2 threads: static should take 1.5x) */
        bool clear = r > 1.1 && (sp <= MP_SPREAD_LIMIT || mp_decisive(r, 1.1, sp) == 0);
        const char *why = nothing_to_balance(I);
        char because[200];
        if (!why && I->imbalance[kind][S_STATIC] < 1.1) {
            snprintf(because, sizeof because, "this draw (--seed %lu) split evenly under static (its busiest thread "
                     "%.2fx the fair share): nothing to win; try another seed", seed, I->imbalance[kind][S_STATIC]);
            why = because;
        } else if (!why && !clear && I->cpus_had[kind] < 1.5) {
            /* a busy machine: the team got little more than one CPU, so no schedule could do better */
            snprintf(because, sizeof because, "the team had %.2f CPUs between them (a busy machine): too little to "
                     "balance", I->cpus_had[kind]);
            why = because;
        }
        mp_verdict(L, r > 1.1, mp_decisive(r, 1.1, sp), why,
                   "on %s work dynamic or guided beats static: static took %.2fx the time of %s (static gave its "
                   "busiest thread %.2fx the fair share of the work)",
                   kind == K_GROWING ? "growing" : "random", r, ways[best == S_DYNAMIC1 ? W_DYNAMIC1 : W_GUIDED].name,
                   I->imbalance[kind][S_STATIC]);
    }
}

static void reduce_verdicts(mp_lesson *L, const reduce_result *T)
{
    bool exact = true;
    for (int w = 0; w < NPROTECTED; w++)
        exact = exact && T->got[w] == T->expected;
    mp_verdict(L, exact, 0, NULL, "a reduction, critical, atomic and the kit's lock all give the exact total (%ld)",
               T->expected);
    bool lost = T->got[T_NONE] != T->expected;
    mp_verdict(L, lost, 0, lost ? NULL : "ten unprotected runs all came out exact: the threads never met between a "
                                         "read and its write (run it again)",
               "without protection updates are lost (a deliberate race): %ld instead of %ld, on run %d",
               T->got[T_NONE], T->expected, T->tries);
    int next = T_CRITICAL;
    for (int w = T_ATOMIC; w < NPROTECTED; w++)
        if (T->time[w].median < T->time[next].median)
            next = w;
    double r = T->time[next].median / T->time[T_REDUCTION].median;
    double sp = fmax(mp_spread(&T->time[T_REDUCTION]), mp_spread(&T->time[next]));
    double per = 1e9 / (double)T->adds;
    bool clear = r > 1 && (sp <= MP_SPREAD_LIMIT || mp_decisive(r, 1, sp) == 0);
    char because[160];
    const char *why = NULL;
    if (mp_cpus_usable() < 2)
        why = "only 1 CPU is usable: the threads take turns, so no lock is ever contended and the atomic's cache "
              "line never moves; the four cost about the same";
    else if (!clear && T->cpus_had < 1.5) {
        snprintf(because, sizeof because, "the threads had %.2f CPUs between them (a busy machine): they seldom "
                 "contended", T->cpus_had);
        why = because;
    }
    mp_verdict(L, r > 1, mp_decisive(r, 1, sp), why,
               "the reduction is the cheapest: %.1f ns per add against %s's %.1f (critical %.1f, atomic %.1f, the "
               "kit's lock %.1f): one add per thread at the end instead of a lock or a locked instruction per add",
               T->time[T_REDUCTION].median * per, total_names[next], T->time[next].median * per,
               T->time[T_CRITICAL].median * per, T->time[T_ATOMIC].median * per, T->time[T_KIT_LOCK].median * per);
}

static void env_verdicts(mp_lesson *L, const env_result *E)
{
    const env_setting *p = &E->s[E_PLAIN], *three = &E->s[E_THREE], *pin = &E->s[E_PINNED],
                      *pin3 = &E->s[E_PINNED_THREE];
    mp_verdict(L, p->max_threads == p->usable, 0, NULL,
               "by default OpenMP starts one thread per usable CPU: %d thread%s, %d CPU%s usable (%d online)",
               p->max_threads, p->max_threads == 1 ? "" : "s", p->usable, p->usable == 1 ? "" : "s",
               mp_cpus_online());
    const char *no_taskset = E->have_taskset ? NULL : "taskset is not installed";
    mp_verdict(L, pin->max_threads == 1 && pin->usable == 1, 0, no_taskset,
               "under taskset with one CPU it starts 1 thread (%d; the kit sees %d usable)", pin->max_threads,
               pin->usable);
    mp_verdict(L, three->max_threads == 3 && (!E->have_taskset || pin3->max_threads == 3), 0, NULL,
               "OMP_NUM_THREADS=3 gives 3 threads whatever the CPUs (%d; under taskset with one CPU, %s: they take "
               "turns)", three->max_threads, E->have_taskset ? (pin3->max_threads == 3 ? "3" : "NOT 3") : "not run");
}

static void rule_of_thumb(const sweep_result *S)
{
    char a[40], b[40], c[40];
    if (S->usable < 2)
        mp_say("no rule of thumb here: with one thread or one CPU no way can pay off (any crossing above is noise)");
    else
        mp_say("rule of thumb for this machine (%d threads, team and pools made once): a task pays off in parallel "
               "from about %s with OpenMP dynamic,1, %s with the kit's thread pool, %s with its process pool",
               S->threads, breakeven_text(S, S->breakeven_ns[W_DYNAMIC1], a, sizeof a),
               breakeven_text(S, S->breakeven_ns[W_THREAD], b, sizeof b),
               breakeven_text(S, S->breakeven_ns[W_PROCESS], c, sizeof c));
    mp_say("when to pick which: a loop over data in one C program -- OpenMP (a pragma, no copies, the cheapest per "
           "task; static for even work, dynamic or guided for uneven); work that must survive a crashed worker, "
           "stay isolated, or run in Python -- processes (a pool, lessons 05-06); more than one machine -- MPI "
           "(lesson 13)");
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--omp-info") == 0) /* part 4 runs the lesson again this way */
        return print_omp_info();
    mp_spawn_main(argc, argv, entries); /* the guard: a spawned pool worker never gets past this line */
    static long omp_info;
    static const mp_flag flags[] = {{"omp-info", MP_FLAG_BOOL, NULL,
                                     "print what OpenMP sees here (threads, CPUs) in one line and exit; part 4 runs "
                                     "the lesson this way", 0, 1, NULL, &omp_info}};
    static const mp_cli cli = {
        .prog = "lesson-12",
        .summary = "OpenMP: parallel for and its schedules beside the kit's pools, uneven work, one total from many "
                   "threads, thread counts",
        .default_out = "plots/out/12-openmp",
        .flags = flags,
        .nflags = 1,
        .workers_limit = MAX_THREAD_COUNTS,
    };
    mp_lesson L;
    int status;
    if (!mp_lesson_begin(&L, &cli, argc, argv, &status))
        return status;
    if (omp_info)
        return print_omp_info();
    ways_init(&L);
    outputs_open(&L);

    static primes_result primes;
    static sweep_result sweep;
    static imbalance_result imbalance;
    static reduce_result totals;
    static env_result env;
    part_primes(&L, &primes);
    part_sweep(&L, &sweep);
    part_imbalance(&L, &imbalance);
    part_reduce(&L, &totals);
    part_env(&L, &env);
    outputs_close();

    mp_lesson_verdicts(&L);
    sweep_verdicts(&L, &primes, &sweep);
    imbalance_verdicts(&L, &imbalance, L.o.seed);
    reduce_verdicts(&L, &totals);
    env_verdicts(&L, &env);
    rule_of_thumb(&sweep);
    return mp_lesson_end(&L);
}
