/* Lesson 06 -- Granularity: when does parallelism pay off?
 *
 * The question the whole kit exists to answer. T4 found that factorials of
 * 1..100 take 594 us in a loop and 130-166 ms through a Pool, while ten
 * page fetches got faster with more workers; T0's rules say to send little
 * data and to communicate rarely. Here that becomes a measured map: for
 * each way of running work in parallel, how big must a task be before it
 * pays, and why.
 *   1. the task-cost sweep: tasks of ~100 ns to ~10 ms through a thread
 *      pool, a forked and a spawned process pool, chunksize 1 and Python's
 *      default; each curve's break-even (sweep.c);
 *   2. a model, start + n (task / workers + overhead), fitted to this run
 *      and set beside it (model.c);
 *   3. chunksize on tiny tasks (chunks.c);
 *   4. bytes shipped per task move the break-even (data.c);
 *   5. T4 redone: factorials and waits (t4.c);
 *   6. CPython's Pool and ThreadPool on the same sweep (cpython.c).
 * The tasks are in tasks.c, the ways of running them in ways.c, the plot in
 * plot.c. The closing verdicts check each claim against this run's numbers
 * and end with a rule of thumb for this machine.
 */
#include <math.h>

#include "lesson06.h"

/* Pool workers run the library's worker loop and the tasks registered with
 * MP_TASK: the lesson starts no child of its own. */
static const mp_entry entries[] = {{0}};

/* ---- verdicts ---- */

static const char *one_cpu_reason(const mp_lesson *L)
{
    return mp_cpus_usable() < 2 ? "only 1 CPU is usable: no pool can beat the loop at computing"
           : L->o.workers < 2   ? "--workers 1: nothing runs side by side"
                                : NULL;
}

/* "230x sooner", or why there is no number */
static const char *ratio_text(double r)
{
    static char buf[48];
    if (isinf(r))
        snprintf(buf, sizeof buf, "CPython's never paid off here");
    else if (isnan(r) || r <= 0)
        snprintf(buf, sizeof buf, "no ratio");
    else
        snprintf(buf, sizeof buf, "%.0fx sooner", r);
    return buf;
}

static void sweep_verdicts(mp_lesson *L, const sweep_result *S, const py_result *P)
{
    const char *one = one_cpu_reason(L);
    int top = S->points - 1;
    double worst = INFINITY, spread = 0;
    const char *worst_name = "";
    for (int w = 0; w < NWAYS; w++)
        for (int k = 0; k < NCS; k++)
            if (S->c[w][k].speedup[top] < worst) {
                worst = S->c[w][k].speedup[top];
                worst_name = S->c[w][k].name;
                spread = S->c[w][k].spread[top];
            }
    char c[32], a[32], b[32];
    mp_verdict(L, worst >= 1.7, mp_decisive(worst, 1.7, spread), one,
               "big tasks pay off: at %s per task every pool is at least 1.7x the loop (the least: %s, %.2fx)",
               mp_ns_text(S->cost_ns[top], c, sizeof c), worst_name, worst);
    const curve *f1 = &S->c[W_FORK][CS_ONE], *t1 = &S->c[W_THREAD][CS_ONE];
    mp_verdict(L, f1->speedup[0] < 1, mp_decisive(f1->speedup[0], 1, f1->spread[0]), NULL,
               "tiny tasks do not: at %s per task the process pool with chunksize 1 is slower than the loop (%.3fx)",
               mp_ns_text(S->cost_ns[0], c, sizeof c), f1->speedup[0]);
    /* Break-evens are where curves cross 1: a curve's noise moves its
     * crossing, so the claim is judged on the points near the crossings. */
    double sp = 0;
    for (int i = 0; i < S->points; i++)
        sp = fmax(sp, fmax(f1->spread[i], t1->spread[i]));
    mp_verdict(L, t1->breakeven_ns < f1->breakeven_ns, mp_decisive(f1->breakeven_ns / t1->breakeven_ns, 1, sp), one,
               "a thread pool pays off sooner than a process pool: break-even %s against %s (chunksize 1)",
               mp_ns_text(t1->breakeven_ns, a, sizeof a), mp_ns_text(f1->breakeven_ns, b, sizeof b));
    const curve *fd = &S->c[W_FORK][CS_DEFAULT];
    if (P->missing)
        mp_verdict(L, false, 0, P->missing, "the kit's process pool pays off sooner than CPython's Pool");
    else {
        double r = P->breakeven_ns[PY_PROCESS] / fd->breakeven_ns;
        mp_verdict(L, fd->breakeven_ns < P->breakeven_ns[PY_PROCESS], isinf(r) ? 0 : mp_decisive(r, 1, sp), one,
                   "the kit's process pool pays off sooner than CPython's Pool: break-even %s against %s (%s; "
                   "default chunksize, pool start included)", mp_ns_text(fd->breakeven_ns, a, sizeof a),
                   mp_ns_text(P->breakeven_ns[PY_PROCESS], b, sizeof b), ratio_text(r));
    }
    mp_verdict(L, S->all_right, 0, NULL, "every batch of every way gave the serial loop's results");
}

static void model_verdicts(mp_lesson *L, const model_result *M)
{
    for (int w = 0; w < NWAYS; w++) {
        char p[32], m[32];
        double r = M->measured_ns[w] / M->predicted_ns[w];
        bool finite = isfinite(M->measured_ns[w]) && isfinite(M->predicted_ns[w]);
        mp_verdict(L, finite && r >= 1.0 / 3 && r <= 3, 0, one_cpu_reason(L),
                   "the model's break-even for the %s pool is within 3x of the measured one: %s predicted, %s measured",
                   way_names[w], mp_ns_text(M->predicted_ns[w], p, sizeof p), mp_ns_text(M->measured_ns[w], m, sizeof m));
    }
}

static void chunk_verdicts(mp_lesson *L, const chunks_result *C)
{
    double one = C->serial.median / C->fork[0].median, best = C->serial.median / C->fork[C->best].median;
    double sp = fmax(mp_spread(&C->fork[0]), mp_spread(&C->fork[C->best]));
    mp_verdict(L, best > one * 2 && C->all_right, mp_decisive(best / one, 2, sp), NULL,
               "chunks rescue tiny tasks: %zu tasks of %.0f ns, chunksize %zu %.2fx the loop against chunksize 1's "
               "%.3fx", C->tasks, C->task_ns, C->chunksize[C->best], best, one);
}

static void data_verdicts(mp_lesson *L, const data_result *D)
{
    char a[32], b[32];
    double r = D->breakeven_ns[1] / D->breakeven_ns[0];
    mp_verdict(L, D->breakeven_ns[1] > D->breakeven_ns[0] && D->all_right,
               isinf(r) ? 0 : mp_decisive(r, 1, D->crossing_spread),
               one_cpu_reason(L),
               "T0's 'send as little data as possible': 64 KiB each way moves the break-even from %s to %s",
               mp_ns_text(D->breakeven_ns[0], a, sizeof a), mp_ns_text(D->breakeven_ns[1], b, sizeof b));
}

static void t4_verdicts(mp_lesson *L, const t4_result *T)
{
    double least = INFINITY;
    for (int w = 0; w < NWAYS; w++)
        least = fmin(least, T->fact_pool[w].median / T->fact_serial.median);
    mp_verdict(L, least > 1 && T->fact_right, 0, NULL,
               "T4: for factorial(1..100) every new pool costs more than it saves: the fastest took %.0fx the loop",
               least);
    const double *s = T->wait_s;
    double r4 = s[1] / s[0], r10 = s[2] / s[1], r100 = s[3] / s[2], loop = s[4] / s[0];
    mp_verdict(L, r4 < 0.6 && r10 < 0.8, 0, NULL,
               "T4's waits get faster with workers: 4 workers %.2fx the time of 1, 10 workers %.2fx the time of 4",
               r4, r10);
    mp_verdict(L, r100 > 0.8 && r100 < 1.25 && loop > 0.8 && loop < 1.25, 0, NULL,
               "but not past the work there is: 100 workers %.2fx the time of 10 (nine pages: both take two rounds); "
               "apply in a loop %.2fx one worker's", r100, loop);
}

/* The rule of thumb, from this run's break-evens. */
static void rule_of_thumb(const sweep_result *S, const py_result *P)
{
    char p[32], t[32], c[32];
    mp_say("rule of thumb for this machine (%d workers, default chunksize, a new pool per job): a process pool pays "
           "off for tasks above ~%s; a thread pool above ~%s; CPython's Pool above ~%s",
           S->workers, mp_ns_text(S->c[W_FORK][CS_DEFAULT].breakeven_ns, p, sizeof p),
           mp_ns_text(S->c[W_THREAD][CS_DEFAULT].breakeven_ns, t, sizeof t),
           P->missing ? "(not measured)" : mp_ns_text(P->breakeven_ns[PY_PROCESS], c, sizeof c));
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries); /* the guard: a spawned worker never gets past this line */
    static const mp_unused unused[] = {
        {"max-workers", "every pool here has --workers workers (part 5's waits use T4's 1, 4, 10 and 100)"},
        {"start", "part 1 runs both a forked and a spawned pool; --start is passed to CPython's script"},
        {"seed", "nothing in this lesson is random"},
        {0}};
    static const mp_cli cli = {
        .prog = "lesson-06",
        .summary = "Granularity: from what task size on does a pool pay off? Break-even measured, modelled and "
                   "compared with CPython",
        .default_out = "plots/out/06-granularity",
        .unused = unused,
        .workers_limit = 64,
    };
    mp_lesson L;
    int status;
    if (!mp_lesson_begin(&L, &cli, argc, argv, &status))
        return status;
    outputs_open(&L);

    static sweep_result sweep;
    model_result model;
    chunks_result chunks;
    data_result data;
    t4_result t4;
    py_result py;
    part_sweep(&L, &sweep);
    part_model(&L, &sweep, &model);
    part_chunks(&L, &chunks);
    part_data(&L, &data);
    part_t4(&L, &t4);
    part_cpython(&L, &sweep, &py);
    part_t4_waits(&L, &t4);
    outputs_close();

    mp_lesson_verdicts(&L);
    sweep_verdicts(&L, &sweep, &py);
    model_verdicts(&L, &model);
    chunk_verdicts(&L, &chunks);
    data_verdicts(&L, &data);
    t4_verdicts(&L, &t4);
    rule_of_thumb(&sweep, &py);
    return mp_lesson_end(&L);
}
