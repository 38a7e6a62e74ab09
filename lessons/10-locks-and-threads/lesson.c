/* Lesson 10 -- Locks and threads: T3's examples, deadlock, contention.
 *
 * The question: threads share everything, so they need locks -- and locks
 * cost parallelism and can deadlock (T3). What goes wrong without them,
 * what they cost, how a program avoids waiting for them, and what else
 * threads can wait on?
 *   1. T3's balance, without and with a lock (balance.c);
 *   2. deadlock: two locks in opposite orders, caught by timeouts, fixed by
 *      a lock order, on a timeline (deadlock.c);
 *   3. thread-local data (T3's Alice and Bob) and three ways to get results
 *      back from threads (local.c);
 *   4. T3's main example: saving the model in a background thread while
 *      training goes on (background.c);
 *   5. contention: one lock, a lock per shard, atomics, against threads
 *      (contention.c);
 *   6. Event, Condition, Semaphore and Barrier, a scene each, between
 *      processes of --start's method (scenes.c).
 * The locks are lib/sync.h. The closing verdicts check each claim against
 * this run's numbers.
 */
#include <math.h>

#include "lesson10.h"

/* part 6's children: registered by name, so a spawned child finds them */
static const mp_entry entries[] = {MP_ENTRY(scene_runner), MP_ENTRY(scene_producer), MP_ENTRY(scene_visitor),
                                   MP_ENTRY(scene_party), {0}};

mp_csv background_csv, contention_csv;

static const char *one_cpu(void) { return mp_cpus_usable() < 2 ? "only 1 CPU is usable" : NULL; }

static void lock_verdicts(mp_lesson *L, const balance_result *B, const deadlock_result *D)
{
    /* a race that did not strike is not a race that is not there: say so */
    char missed[160];
    snprintf(missed, sizeof missed, "the threads never overlapped inside the window in %d runs (the race is still "
             "there: run it again)", B->unlocked_runs);
    mp_verdict(L, B->unlocked != 0, 0, B->unlocked != 0 ? NULL : missed,
               "without a lock T3's balance goes wrong: %ld instead of 0 (a deliberate race)", B->unlocked);
    mp_verdict(L, B->locked == 0, 0, NULL, "with the lock it is 0, at %.1f ns per change_it instead of %.1f",
               B->locked_ns, B->unlocked_ns);
    mp_verdict(L, D->timed_out >= 1 && D->finished_fixed == 2, 0, NULL,
               "opposite lock orders deadlocked (%d of 2 threads gave up after their timeout); one order let both "
               "finish", D->timed_out);
}

static void background_verdicts(mp_lesson *L, const background_result *B)
{
    double r = B->total[INLINE].median / B->total[BACKGROUND].median;
    double sp = fmax(mp_spread(&B->total[INLINE]), mp_spread(&B->total[BACKGROUND]));
    mp_verdict(L, r > 1.1, mp_decisive(r, 1.1, sp), one_cpu(),
               "T3: saving in a background thread beats saving inline when a save takes about an epoch: %.2fx "
               "faster (%.2f s against %.2f s for %d epochs)", r, B->total[BACKGROUND].median, B->total[INLINE].median,
               B->epochs);
    double rs = B->slow[INLINE].median / B->slow[BACKGROUND].median;
    mp_say("with saves twice an epoch long: %.2fx (the background hides at most an epoch of each save)", rs);
}

static void contention_verdicts(mp_lesson *L, const contention_result *C)
{
    int top = C->points - 1;
    double rs = C->ops[K_SHARDED][top].median / C->ops[K_ONE_LOCK][top].median;
    double ra = C->ops[K_ATOMIC][top].median / C->ops[K_ONE_LOCK][top].median;
    double sp = fmax(mp_spread(&C->ops[K_ONE_LOCK][top]),
                     fmax(mp_spread(&C->ops[K_SHARDED][top]), mp_spread(&C->ops[K_ATOMIC][top])));
    /* one lock is a bottleneck only where the threads could have run side
     * by side: a busy machine may give them one CPU between them */
    char one[96];
    snprintf(one, sizeof one, "the threads had %.1f CPUs between them (under 1.5)", C->cpus[top]);
    mp_verdict(L, rs > 1 && ra > 1 && C->exact, mp_decisive2(sp, rs, 1, ra, 1),
               one_cpu() ? one_cpu() : C->cpus[top] < 1.5 ? one : NULL,
               "at %d threads one lock is the bottleneck: a lock per shard does %.1fx its additions per second, "
               "atomics %.1fx (every total exact)", C->threads[top], rs, ra);
}

static void scene_verdicts(mp_lesson *L, const local_result *T, const scenes_result *S)
{
    mp_verdict(L, T->own_names, 0, NULL, "threading.local: Alice's thread saw Alice, Bob's saw Bob");
    mp_verdict(L, T->stored && T->queued && T->pooled, 0, NULL,
               "results from threads: stored in the thread, through a queue and by a ThreadPool's map all gave the "
               "right sums");
    mp_verdict(L, S->woken == 3 && S->consumed == S->produced && S->most_inside <= 2 && S->actions == 2 &&
                      S->indices_ok,
               0, NULL,
               "Event woke %d of 3; Condition: %ld of %ld items taken; Semaphore(2): at most %d inside; Barrier: the "
               "action ran %d times, indices 0-2 each round", S->woken, S->consumed, S->produced, S->most_inside,
               S->actions);
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries); /* the guard */
    static const mp_unused unused[] = {{"workers", "part 1 is T3's two threads; part 5 sweeps 1 to --max-workers"},
                                       {"seed", "nothing in this lesson is random"},
                                       {0}};
    static const mp_cli cli = {
        .prog = "lesson-10",
        .summary = "Locks and threads: T3's balance, deadlock, thread-local data, saving in the background, "
                   "contention, Event/Condition/Semaphore/Barrier",
        .default_out = "plots/out/10-locks-and-threads",
        .unused = unused,
        .workers_limit = 16,
        .max_workers_per_cpu = 4,
    };
    mp_lesson L;
    int status;
    if (!mp_lesson_begin(&L, &cli, argc, argv, &status))
        return status;
    CHECK(mp_csv_open(&background_csv, L.o.out, "background.csv", "mode,epochs,save_mib,median_s"));
    CHECK(mp_csv_open(&contention_csv, L.o.out, "contention.csv", "method,threads,ops_per_s"));

    balance_result balance;
    deadlock_result deadlock;
    local_result local;
    background_result background;
    contention_result contention;
    scenes_result scenes;
    part_balance(&L, &balance);
    part_deadlock(&L, &deadlock);
    part_local(&L, &local);
    part_background(&L, &background);
    part_contention(&L, &contention);
    part_scenes(&L, &scenes);
    CHECK(mp_csv_close(&background_csv));
    CHECK(mp_csv_close(&contention_csv));

    mp_lesson_verdicts(&L);
    lock_verdicts(&L, &balance, &deadlock);
    scene_verdicts(&L, &local, &scenes);
    background_verdicts(&L, &background);
    contention_verdicts(&L, &contention);
    return mp_lesson_end(&L);
}
