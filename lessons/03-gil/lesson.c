/* Lesson 03 -- gil: why don't Python threads use two cores?
 *
 * The question: CPython's threads cannot run Python code in parallel,
 * because of the global interpreter lock. What exactly does the lock do,
 * what does it cost, and who pays? This lesson runs a simulated GIL
 * (lib/gil.c, faithful to CPython's two designs) under C threads:
 *   1. countdown.c  the countdown `while n > 0: n -= 1` in 1 thread, then
 *                   split over 2 threads under the new lock, the old lock,
 *                   the old lock pinned to one CPU, no lock, and over 2
 *                   processes (each has its own lock): Beazley's experiment;
 *   2. sweep.c      the switch interval, swept: how often the lock changes
 *                   hands, and what switching more often costs;
 *   3. convoy.c     the convoy effect: a thread doing request/response I/O
 *                   beside CPU-bound threads waits about one switch
 *                   interval per request;
 *   4. io.c         I/O-bound threads still speed up: they release the lock
 *                   while they wait;
 *   5. timelines.c  who held the lock when, under each lock;
 *   6. cpython.c    the same countdown and convoy in real CPython (if
 *                   python3 is here, cpython_gil.py), beside the simulation.
 * Then the closing verdicts, below, each computed from this run's numbers.
 */
#include <errno.h>
#include <stdio.h>

#include <math.h>

#include "lesson03.h"

static long mode_flag = 3; /* all */
static long interval_flag = MP_GIL_DEFAULT_INTERVAL_US;
static long check_flag = MP_GIL_DEFAULT_CHECK;
static const char *const mode_choices[] = {"none", "old", "new", "all", NULL};

FILE *bars_create(const char *dir, const char *name, char *path, size_t len, const char *header)
{
    if (mp_out_path(path, len, dir, name) != 0) {
        mp_output_error("cannot create", name, ENAMETOOLONG);
        return NULL;
    }
    FILE *f = mp_file_create(path);
    if (f)
        fprintf(f, "%s\n", header);
    return f;
}

/* ---- the closing verdicts ---- */


/* The CPUs a claim about parallel runs counts on: the usable ones, or 2
 * when only 1 is (the claim is then not shown, but still stated). */
static int cpus_for_claims(void) { return mp_cpus_usable() < 2 ? 2 : mp_cpus_usable(); }

static void countdown_verdicts(mp_lesson *L, const countdown_result *R, const char *one_cpu, const char *one_thread)
{
    int n = R->threads;
    const mp_stats *w = R->wall;
    double cpu_wall = R->cpu[R_NEW].median / w[R_NEW].median;
    mp_verdict(L, R->ratio[R_NEW] >= 0.85 && cpu_wall < 1.3,
               mp_decisive2(fmax(mp_spread(&w[R_SEQ]), mp_spread(&w[R_NEW])), R->ratio[R_NEW], 0.85, cpu_wall, 1.3),
               one_thread, "%d threads under the new lock took %.2fx the time of 1 thread, with CPU time %.2fx wall "
               "time: no faster (0.85x or more), one CPU busy at a time (under 1.3x)", n, R->ratio[R_NEW], cpu_wall);
    double ideal = 1.0 / (n < cpus_for_claims() ? n : cpus_for_claims());
    mp_verdict(L, R->ratio[R_PROC] <= 1.3 * ideal && R->ratio[R_NONE] <= 1.3 * ideal,
               mp_decisive2(fmax(mp_spread(&w[R_SEQ]), fmax(mp_spread(&w[R_PROC]), mp_spread(&w[R_NONE]))),
                       R->ratio[R_PROC], 1.3 * ideal, R->ratio[R_NONE], 1.3 * ideal),
               one_thread ? one_thread : one_cpu,
               "%d processes (a lock each) took %.2fx the time of 1 thread, %d threads with no lock %.2fx: both ran "
               "in parallel (%.2fx or less)", n, R->ratio[R_PROC], n, R->ratio[R_NONE], 1.3 * ideal);
    /* the battle needs a second CPU for the woken thread: on a busy
     * machine the run may not have had one, as the lock-free run shows */
    static char busy[160];
    const char *no_battle = one_thread ? one_thread : one_cpu;
    if (!no_battle && R->ratio[R_NONE] > 0.75) {
        snprintf(busy, sizeof busy, "this run had no second CPU to spare: %d threads with no lock took %.2fx the time "
                 "of 1, not about half", n, R->ratio[R_NONE]);
        no_battle = busy;
    }
    mp_verdict(L, R->ratio[R_OLD] >= 1.1 && R->ratio[R_OLD] >= 1.1 * R->ratio[R_NEW],
               mp_decisive2(fmax(mp_spread(&w[R_SEQ]), fmax(mp_spread(&w[R_OLD]), mp_spread(&w[R_NEW]))),
                       R->ratio[R_OLD], 1.1, R->ratio[R_OLD] / R->ratio[R_NEW], 1.1), no_battle,
               "%d threads under the old lock took %.2fx the time of 1 thread, the new lock %.2fx: the old lock is "
               "slower than both (by 10%% or more)", n, R->ratio[R_OLD], R->ratio[R_NEW]);
    const mp_gil_counters *k = &R->k[R_OLD];
    double failed_per_handoff = (double)k->failed_wakeups / (double)(k->handoffs ? k->handoffs : 1);
    mp_verdict(L, k->failed_wakeups > 0 && k->failed_wakeups >= 2 * k->handoffs,
               mp_decisive(failed_per_handoff ? failed_per_handoff : 1e-9, 2, mp_spread(&w[R_OLD])), no_battle,
               "the GIL battle: under the old lock the waiting threads were woken %llu times, %llu of them to find "
               "the lock taken again, against %llu hand-overs: failed wake-ups far above hand-overs (2x or more)",
               (unsigned long long)k->wakeups, (unsigned long long)k->failed_wakeups,
               (unsigned long long)k->handoffs);
    mp_verdict(L, R->ratio[R_OLD_PINNED] < R->ratio[R_OLD],
               mp_decisive(R->ratio[R_OLD] / R->ratio[R_OLD_PINNED], 1,
                           fmax(mp_spread(&w[R_OLD]), mp_spread(&w[R_OLD_PINNED]))), no_battle,
               "pinned to 1 CPU the old lock took %.2fx, free to use %d CPU%s %.2fx: the battle needs a second CPU for "
               "the woken thread (faster pinned)", R->ratio[R_OLD_PINNED], mp_cpus_usable(),
               mp_cpus_usable() > 1 ? "s" : "", R->ratio[R_OLD]);
}

static void convoy_verdicts(mp_lesson *L, const settings *s, const convoy_result *V)
{
    const convoy_row *alone = &V->row[V->alone], *one = &V->row[V->one];
    double extra = one->median_us - alone->median_us, iv = (double)s->interval_us;
    double spread = fmax(mp_spread(&alone->batches), mp_spread(&one->batches));
    mp_verdict(L, extra >= 0.5 * iv && extra <= 2 * iv, mp_decisive2(spread, extra / iv, 0.5, extra / iv, 2), NULL,
               "beside 1 CPU-bound thread a request took %.0f us, alone %.0f us: %.0f us more, about one switch "
               "interval of %ld us (half to twice)", one->median_us, alone->median_us, extra, s->interval_us);
    const convoy_row *sh = &V->row[V->shortest];
    mp_verdict(L, sh->median_us < one->median_us,
               mp_decisive(one->median_us / sh->median_us, 1, fmax(mp_spread(&sh->batches), mp_spread(&one->batches))),
               V->shortest == V->one ? "no interval shorter than --switch-interval was measured" : NULL,
               "a shorter interval shrinks the convoy: %.0f us at %ld us, %.0f us at %ld us", sh->median_us,
               sh->interval_us, one->median_us, one->interval_us);
    if (V->nthreads >= 2) {
        char list[160] = "";
        bool grows = true;
        double widest = 0; /* the widest spread of a step that the noise could flip */
        for (int i = 0; i < V->nthreads; i++) {
            const convoy_row *r = &V->row[V->by_threads[i]];
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len, "%s%d: %.0f us", i ? ", " : "", r->cpu_threads, r->median_us);
            if (i == 0)
                continue;
            const convoy_row *before = &V->row[V->by_threads[i - 1]];
            if (r->median_us <= before->median_us)
                grows = false;
            widest = fmax(widest, mp_decisive(r->median_us / before->median_us, 1,
                                               fmax(mp_spread(&r->batches), mp_spread(&before->batches))));
        }
        mp_verdict(L, grows, widest, NULL, "more CPU-bound threads, a longer convoy (CPU threads %s): it grows", list);
    } else {
        mp_verdict(L, false, 0, "--max-workers 1 measured only 1 CPU-bound thread",
                   "more CPU-bound threads, a longer convoy");
    }
    const convoy_row *pr = &V->row[V->process];
    mp_verdict(L, pr->median_us < 2 * alone->median_us,
               mp_decisive(pr->median_us / alone->median_us, 2,
                           fmax(mp_spread(&pr->batches), mp_spread(&alone->batches))),
               NULL, "with the CPU work in a process of its own a request took %.0f us, alone %.0f us: no convoy "
               "(under 2x alone)", pr->median_us, alone->median_us);
}

static void cpython_verdicts(mp_lesson *L, const countdown_result *C, const convoy_result *V, const cpython_result *P,
                             const char *one_cpu, const char *one_thread)
{
    const char *no = P->missing;
    double pseq = no ? 1 : P->seq.median;
    double spy = no ? 0 : (P->seq.max - P->seq.min) / pseq;
    double py_t = no ? 0 : P->threads.median / pseq, py_p = no ? 0 : P->procs.median / pseq;
    double spy_t = no ? 0 : (P->threads.max - P->threads.min) / P->threads.median;
    double spy_p = no ? 0 : (P->procs.max - P->procs.min) / P->procs.median;
    mp_verdict(L, py_t >= 0.85 && C->ratio[R_NEW] >= 0.85,
               mp_decisive2(fmax(fmax(spy, spy_t), fmax(mp_spread(&C->wall[R_SEQ]), mp_spread(&C->wall[R_NEW]))),
                       py_t, 0.85, C->ratio[R_NEW], 0.85),
               no ? no : one_thread,
               "CPython's %d threads took %.2fx the time of 1 thread, the simulation's %.2fx: neither is faster "
               "(0.85x or more)", C->threads, py_t, C->ratio[R_NEW]);
    double ideal = 1.0 / (C->threads < cpus_for_claims() ? C->threads : cpus_for_claims());
    mp_verdict(L, py_p <= 1.3 * ideal && C->ratio[R_PROC] <= 1.3 * ideal,
               mp_decisive2(fmax(fmax(spy, spy_p), fmax(mp_spread(&C->wall[R_SEQ]), mp_spread(&C->wall[R_PROC]))),
                       py_p, 1.3 * ideal, C->ratio[R_PROC], 1.3 * ideal),
               no ? no : one_thread ? one_thread : one_cpu,
               "CPython's %d processes took %.2fx, the simulation's %.2fx: both in parallel (%.2fx or less)",
               C->threads, py_p, C->ratio[R_PROC], 1.3 * ideal);
    const convoy_row *alone = &V->row[V->alone], *one = &V->row[V->one];
    double iv = (double)one->interval_us;
    double py_extra = no ? 0 : P->beside[0].median - P->alone.median, extra = one->median_us - alone->median_us;
    double spc = no ? 0 : fmax((P->beside[0].max - P->beside[0].min) / P->beside[0].median,
                                (P->alone.max - P->alone.min) / P->alone.median);
    double spc_all = fmax(spc, fmax(mp_spread(&one->batches), mp_spread(&alone->batches)));
    mp_verdict(L, py_extra >= 0.5 * iv && py_extra <= 2 * iv && extra >= 0.5 * iv && extra <= 2 * iv,
               fmax(mp_decisive2(spc_all, py_extra / iv, 0.5, py_extra / iv, 2),
                     mp_decisive2(spc_all, extra / iv, 0.5, extra / iv, 2)),
               no,
               "beside 1 CPU-bound thread at %ld us, a CPython request took %.0f us more than alone, the "
               "simulation's %.0f us more: both about one interval (half to twice)", one->interval_us, py_extra,
               extra);
}

static const mp_entry entries[] = {MP_ENTRY(pinned_child), MP_ENTRY(countdown_process), MP_ENTRY(server_main),
                                   MP_ENTRY(spin_process), {0}};

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries); /* the `if __name__ == '__main__'` guard: see lesson 04 */
    static const mp_flag flags[] = {
        {"mode", MP_FLAG_CHOICE, "MODE", "which lock(s) the timeline (part 5) shows: none, old, new or all",
         0, 0, mode_choices, &mode_flag},
        {"switch-interval", MP_FLAG_INT, "US", "the new lock's switch interval in microseconds (default 5000, "
         "at most 100000)", 1, 100000, NULL, &interval_flag},
        {"check-interval", MP_FLAG_INT, "TICKS", "the old lock's check interval in ticks (default 100)",
         1, 100000000, NULL, &check_flag},
    };
    static const mp_unused unused[] = {{"seed", "nothing in this lesson is random"}, {0}};
    static const mp_cli cli = {
        .prog = "lesson-03",
        .summary = "gil: a simulated interpreter lock, and why CPU-bound threads do not speed up under it",
        .default_out = "plots/out/03-gil",
        .flags = flags,
        .nflags = 3,
        .unused = unused,
        .workers_limit = MAX_THREADS,
    };
    mp_lesson L;
    int status;
    if (!mp_lesson_begin(&L, &cli, argc, argv, &status))
        return status;
    /* Beazley's experiment has 2 threads, and so do the parts that redo it,
     * whatever the number of CPUs, unless --workers says otherwise */
    settings s = {interval_flag, check_flag, mode_flag,
                  L.o.given & (1u << MP_OPT_WORKERS) ? L.o.workers : 2,
                  L.o.given & (1u << MP_OPT_MAX_WORKERS) ? L.o.max_workers : 2};
    mp_say("switch interval %ld us, check interval %ld ticks; %d CPU-bound threads in parts 1, 2 and 5 (--workers), "
           "up to %d beside the convoy (--max-workers)", s.interval_us, s.check, s.threads, s.cpu_threads);

    countdown_result C;
    sweep_result W;
    convoy_result V;
    io_result I;
    cpython_result P;
    part_countdown(&L, &s, &C);
    part_sweep(&L, &s, &W);
    part_convoy(&L, &s, &V);
    part_io(&L, &s, &I);
    part_timelines(&L, &s);
    part_cpython(&L, &C, &V, &P);

    mp_lesson_verdicts(&L);
    const char *one_cpu = mp_cpus_usable() < 2 ? "only 1 CPU is usable" : NULL;
    const char *one_thread = s.threads < 2 ? "--workers 1 leaves no second thread" : NULL;
    countdown_verdicts(&L, &C, one_cpu, one_thread);
    mp_verdict(&L, W.under_ceiling, 0, NULL,
               "at every interval from %ld to %ld us the lock changed hands at most once per interval (plus once per "
               "thread finishing): the closest run reached %.0f%% of its ceiling, at %ld us", W.lo_us, W.hi_us,
               100 * W.worst_share, W.worst_interval);
    mp_verdict(&L, W.slowest_s <= 1.25 * W.fastest_s, mp_decisive(W.slowest_s / W.fastest_s, 1.25, W.spread), NULL,
               "switching more often costs little: the slowest interval (%ld us) took %.3f s, the fastest (%ld us) "
               "%.3f s (within 25%%)", W.slowest_us, W.slowest_s, W.fastest_us, W.fastest_s);
    convoy_verdicts(&L, &s, &V);
    mp_verdict(&L, I.released >= 2 && I.held < 1.3,
               mp_decisive2(fmax(mp_spread(&I.wall[0]), fmax(mp_spread(&I.wall[1]), mp_spread(&I.wall[2]))),
                       I.released, 2, I.held, 1.3), NULL,
               "%d I/O-bound threads that release the lock while they wait were %.2fx faster than 1 (2x or more); "
               "holding it while waiting, %.2fx (under 1.3x)", I.threads, I.released, I.held);
    cpython_verdicts(&L, &C, &V, &P, one_cpu, one_thread);
    return mp_lesson_end(&L);
}
