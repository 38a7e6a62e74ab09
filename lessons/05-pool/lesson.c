/* Lesson 05 -- Pool: a fixed set of workers that run many small tasks.
 *
 * The question: multiprocessing.Pool hands tasks to worker processes for
 * you (T0, T1, T2, T4). How are tasks spread over the workers, what does
 * each call (map, starmap, imap, imap_unordered, apply, apply_async,
 * map_async) promise, when does a pool pay off -- and what happens when a
 * worker dies?
 *   1. T4's tiny tasks: factorial(1..100) through apply_async, map_async,
 *      map and apply in a loop; who ran what; why apply in a loop runs one
 *      task at a time (tiny.c);
 *   2. T0's example: 4 one-second tasks on 3 workers take two rounds
 *      (rounds.c);
 *   3. T1's tour of the API: map, starmap, imap, imap_unordered, map_async,
 *      apply_async with callbacks, get(timeout) expiring (tour.c);
 *   4. T2's scenario 1: 1000 "files" through imap with a progress bar
 *      (files.c);
 *   5. a worker killed in the middle of a map: only its own tasks fail
 *      (killed.c);
 *   6. thread pool against process pool (fork, spawn, forkserver) on
 *      CPU-bound and I/O-bound tasks; initializer and maxtasksperchild
 *      (backends.c);
 *   7. copy or share: the same map of tiny tasks on a thread pool and on a
 *      process pool, its arrays copied or in the pool's shared buffer
 *      (share.c).
 * The tasks are in tasks.c, the shared schedule arithmetic in schedule.c.
 * The closing verdicts check each claim against this run's numbers.
 */
#include <math.h>

#include "lesson05.h"

/* Pool workers run the library's own worker loop (registered by the
 * library) and the tasks registered with MP_TASK: the lesson starts no
 * other child, so its own table is empty. */
static const mp_entry entries[] = {{0}};

static void tiny_verdicts(mp_lesson *L, const tiny_result *t)
{
    mp_verdict(L, t->all_right, 0, NULL,
               "factorials: apply_async, map_async, map and apply in a loop all gave the serial loop's 100 results");
    mp_verdict(L, t->overlap[API_APPLY_LOOP] == 1, 0, NULL,
               "apply in a loop is serial: at most %d task running at once (%d worker%s used; map_async: at most %d "
               "at once)", t->overlap[API_APPLY_LOOP], t->spread[API_APPLY_LOOP], t->spread[API_APPLY_LOOP] == 1 ? "" : "s",
               t->overlap[API_MAP_ASYNC]);
    double best = fmin(fmin(t->api[API_MAP].median, t->api[API_MAP_ASYNC].median), t->api[API_APPLY_ASYNC].median);
    double r = best / t->serial.median;
    double sp = fmax(mp_spread(&t->serial), fmax(mp_spread(&t->api[API_MAP]), mp_spread(&t->api[API_MAP_ASYNC])));
    mp_verdict(L, r > 1, mp_decisive(r, 1, sp), NULL,
               "T4: for tasks this small the pool costs more than it saves: the fastest pool call took %.1fx the "
               "serial loop (%.0f us against %.1f us)", r, best * 1e6, t->serial.median * 1e6);
}

static void rounds_verdicts(mp_lesson *L, const rounds_result *r)
{
    mp_verdict(L, r->outputs_right && r->workers_used == 3 && r->most_on_one == 2, 0, NULL,
               "T0's map: outputs [%ld, %ld, %ld, %ld], 3 workers used, one of them twice: two rounds", r->out[0],
               r->out[1], r->out[2], r->out[3]);
    mp_verdict(L, r->ratio >= 1.8 && r->ratio <= 2.5, 0, NULL,
               "T0's ~2 s: 4 tasks of %.1f s on 3 workers took %.2f s = %.2f tasks' time (two rounds: between 1.8 "
               "and 2.5)", r->task_s, r->total_s, r->ratio);
}

static void tour_verdicts(mp_lesson *L, const tour_result *t, int workers)
{
    mp_verdict(L, t->map_right && t->starmap_right && t->imap_in_order, 0, NULL,
               "map and starmap gave f(x) and f(a, b) for every argument; imap handed results out in argument order");
    mp_verdict(L, t->unordered_permutation && t->unordered_differs, 0,
               workers < 2 ? "with 1 worker the tasks run one after another, in argument order" : NULL,
               "imap_unordered handed out every result once, in completion order (the longest task, item 0, not "
               "first)");
    mp_verdict(L, t->callbacks == t->callback_jobs && t->error_callbacks == 1, 0, NULL,
               "callbacks: %d for %d jobs, each once, before get() returned; the failing job called error_callback "
               "%d time", t->callbacks, t->callback_jobs, t->error_callbacks);
    mp_verdict(L, t->timed_out && t->finished_after, 0, NULL,
               "get(timeout) expired with -ETIMEDOUT and the task went on: it ended %.0f ms later and a second get() "
               "had its result", t->after_ms);
}

static void killed_verdicts(mp_lesson *L, const killed_result *k)
{
    mp_verdict(L, k->ended && k->failed_elsewhere == 0 && k->wrong == 0 && k->right + k->failed == k->tasks &&
                      (k->failed == 0 || k->exitcode == -9) && k->replaced && k->replacement_ran,
               0, NULL,
               "the dead worker cost exactly its own tasks: %ld of %ld failed, all of them in pid %d (killed by "
               "signal 9), %ld right; replacement pid %d ran the next map", k->failed, k->tasks, (int)k->victim,
               k->right, (int)k->replacement);
}

static void backends_verdicts(mp_lesson *L, const backends_result *b)
{
    const char *one = mp_cpus_usable() < 2 ? "only 1 CPU is usable"
                      : b->workers < 2     ? "--workers 1: nothing runs side by side"
                                           : NULL;
    double fs = b->cpu[B_SERIAL].median / b->cpu[B_FORK].median;
    double sp = fmax(mp_spread(&b->cpu[B_SERIAL]), mp_spread(&b->cpu[B_FORK]));
    mp_verdict(L, fs >= 1.3, mp_decisive(fs, 1.3, sp), one,
               "processes speed up CPU-bound work: %d fork workers %.2fx the serial loop (at least 1.3)", b->workers,
               fs);
    double ts = b->cpu[B_SERIAL].median / b->cpu[B_THREAD].median;
    sp = fmax(mp_spread(&b->cpu[B_SERIAL]), mp_spread(&b->cpu[B_THREAD]));
    mp_verdict(L, ts >= 1.3, mp_decisive(ts, 1.3, sp), one,
               "in C, threads do too (no GIL): the thread pool %.2fx the serial loop (CPython's ThreadPool: about "
               "1x, lesson 03)", ts);
    double r = b->io[B_THREAD].median / b->io[B_FORK].median;
    sp = fmax(mp_spread(&b->io[B_THREAD]), mp_spread(&b->io[B_FORK]));
    mp_verdict(L, r >= 0.8 && r <= 1.25, mp_decisive2(sp, r, 0.8, r, 1.25), NULL,
               "threads are as good as processes for I/O-bound work: thread pool / fork pool = %.2f (0.8-1.25), "
               "%.1fx faster than serial", r, b->io[B_SERIAL].median / b->io[B_THREAD].median);
    mp_verdict(L, b->cpu_right && b->init_once, 0, NULL,
               "every pool counted the same primes; the initializer ran exactly once in each worker, replacements "
               "included");
    mp_verdict(L, b->maxtasks_most <= 2 && b->maxtasks_pids >= (int)(b->maxtasks_tasks / 2) &&
                      b->started >= b->maxtasks_pids,
               0, NULL,
               "maxtasksperchild=2: %ld tasks ran in %d different worker PIDs, none more than 2 tasks (%d workers "
               "started)", b->maxtasks_tasks, b->maxtasks_pids, b->started);
}

static void share_verdicts(mp_lesson *L, const share_result *s)
{
    mp_verdict(L, s->all_right, 0, NULL,
               "copy or share: the thread pool, the process pool copying and the process pool in place gave all %ld "
               "results 2x + 1 in every run", s->tasks);
    /* Copies cost CPU time on any machine, one CPU included: no not_here. */
    double r = s->run[SH_COPIED].median / s->run[SH_IN_PLACE].median;
    double sp = fmax(mp_spread(&s->run[SH_COPIED]), mp_spread(&s->run[SH_IN_PLACE]));
    mp_verdict(L, r > 1, mp_decisive(r, 1, sp), NULL,
               "in place beats copied: the copied map took %.2fx the in-place map (%.1f against %.1f ns per task)", r,
               s->run[SH_COPIED].median * 1e9 / (double)s->tasks, s->run[SH_IN_PLACE].median * 1e9 / (double)s->tasks);
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries); /* the guard: a spawned worker never gets past this line */
    static const mp_unused unused[] = {
        {"max-workers", "every pool here has --workers workers (T0's example: 3)"}, {0}};
    static const mp_cli cli = {
        .prog = "lesson-05",
        .summary = "Pool: who runs which task, map/imap/apply and friends, two rounds, a dead worker, threads vs "
                   "processes, copy or share",
        .default_out = "plots/out/05-pool",
        .unused = unused,
        .workers_limit = 64,
    };
    mp_lesson L;
    int status;
    if (!mp_lesson_begin(&L, &cli, argc, argv, &status))
        return status;
    outputs_open(&L);

    tiny_result tiny;
    rounds_result rounds;
    tour_result tour;
    files_result files;
    killed_result killed;
    backends_result back;
    share_result share;
    part_tiny(&L, &tiny);
    part_rounds(&L, &rounds);
    part_tour(&L, &tour);
    part_files(&L, &files);
    part_killed(&L, &killed);
    part_backends(&L, &back);
    part_share(&L, &share);
    outputs_close();

    mp_lesson_verdicts(&L);
    tiny_verdicts(&L, &tiny);
    rounds_verdicts(&L, &rounds);
    tour_verdicts(&L, &tour, L.o.workers);
    mp_verdict(&L, files.all_right, 0, NULL,
               "T2's files: imap with a progress bar gathered all %ld results in file order, equal to the serial "
               "loop's (chunksize 1 and 25)", files.files);
    killed_verdicts(&L, &killed);
    backends_verdicts(&L, &back);
    share_verdicts(&L, &share);
    return mp_lesson_end(&L);
}
