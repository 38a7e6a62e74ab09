/* Lesson 04 -- start methods: fork, spawn and forkserver, costs and hazards.
 *
 * The question: Python starts a process in one of three ways. fork copies
 * the parent; spawn starts the program afresh (hence the
 * `if __name__ == '__main__'` guard); forkserver asks a clean, single-
 * threaded server to fork (the default on Linux since Python 3.14). What
 * does each cost, and what can go wrong with each?
 *   1. start+join of an empty child, with the bare system calls as the floor
 *      (startup.c);
 *   2. the same against the parent's size: fork copies page tables, so it
 *      grows with the parent; spawn and forkserver do not (startup.c);
 *   3. memory: what an idle child really uses (RSS vs PSS), and copy on
 *      write made visible when a forked child writes to inherited pages
 *      (memory.c);
 *   4. fork in a program with threads: a lock held by another thread at the
 *      moment of fork stays locked forever in the child (hazard.c);
 *   5. the guard: what a spawned child runs if main() does not hand control
 *      to the dispatcher first (guard.c).
 * The closing verdicts check each expectation against this run's numbers.
 */
#include <math.h>

#include "lesson04.h"

static const mp_entry entries[] = {MP_ENTRY(empty), MP_ENTRY(idle_child), MP_ENTRY(use_resource),
                                   MP_ENTRY(guarded_work), {0}};

/* "lo <= ratio <= hi": the spread that could flip it, at either bound */
static double within(double ratio, double lo, double hi, double spread)
{
    return mp_decisive2(spread, ratio, lo, ratio, hi);
}

static void startup_verdicts(mp_lesson *L, const startup_result *R)
{
    int last = R->nsizes - 1;
    double fork0 = R->us[M_FORK][0].median, forkN = R->us[M_FORK][last].median;
    double spawn0 = R->us[M_SPAWN][0].median, spawnN = R->us[M_SPAWN][last].median;
    double fs0 = R->us[M_FORKSERVER][0].median, fsN = R->us[M_FORKSERVER][last].median;
    mp_verdict(L, forkN >= 2 * fork0,
               mp_decisive(forkN / fork0, 2, fmax(R->spread[M_FORK][0], R->spread[M_FORK][last])), NULL,
               "fork grows with the parent: %.0f us small, %.0f us with %zu MiB (%.1fx; at least 2x)", fork0, forkN,
               R->sizes[last], forkN / fork0);
    mp_verdict(L, spawnN <= 1.5 * spawn0 && spawnN >= spawn0 / 1.5,
               within(spawnN / spawn0, 1 / 1.5, 1.5, fmax(R->spread[M_SPAWN][0], R->spread[M_SPAWN][last])), NULL,
               "spawn stays flat: %.0f us small, %.0f us large (%.2fx; within 1.5x)", spawn0, spawnN, spawnN / spawn0);
    mp_verdict(L, fsN <= 1.5 * fs0 && fsN >= fs0 / 1.5,
               within(fsN / fs0, 1 / 1.5, 1.5, fmax(R->spread[M_FORKSERVER][0], R->spread[M_FORKSERVER][last])),
               NULL,
               "the forkserver stays flat: %.0f us small, %.0f us large (%.2fx; within 1.5x)", fs0, fsN, fsN / fs0);
    double raw_fork = R->us[M_RAW_FORK][0].median, raw_spawn = R->us[M_RAW_SPAWN][0].median;
    mp_verdict(L, fork0 <= 1.3 * raw_fork,
               mp_decisive(fork0 / raw_fork, 1.3, fmax(R->spread[M_FORK][0], R->spread[M_RAW_FORK][0])), NULL,
               "the kit's fork costs %.2fx a bare fork/waitpid (within 1.3x)", fork0 / raw_fork);
    mp_verdict(L, spawn0 <= 1.3 * raw_spawn,
               mp_decisive(spawn0 / raw_spawn, 1.3, fmax(R->spread[M_SPAWN][0], R->spread[M_RAW_SPAWN][0])), NULL,
               "the kit's spawn costs %.2fx a bare posix_spawn (within 1.3x)", spawn0 / raw_spawn);
}

static void memory_verdicts(mp_lesson *L, const memory_result *M)
{
    double half = M->parent_rss / 2.0;
    mp_verdict(L, fabs(M->fork_idle_pss / half - 1) < 0.25, 0, NULL,
               "an idle forked child of a %ld MiB parent: PSS %ld MiB, %.2f of half the parent's RSS (near 1: its "
               "pages are shared by two)", M->parent_rss / 1024, M->fork_idle_pss / 1024, M->fork_idle_pss / half);
    mp_verdict(L, M->fork_written_pss - M->fork_idle_pss > M->parent_rss / 16, 0, NULL,
               "after writing a quarter of them, its PSS grew from %ld to %ld MiB: copies of its own",
               M->fork_idle_pss / 1024, M->fork_written_pss / 1024);
    mp_verdict(L, M->spawn_rss < 10 * 1024, 0, NULL, "a spawned child: RSS %.1f MiB (under 10 MiB: it inherited "
               "no pages)", M->spawn_rss / 1024.0);
}

int main(int argc, char **argv)
{
    if (guard_requested()) /* part 5 only: code that runs before the guard */
        unguarded_top_level();
    mp_spawn_main(argc, argv, entries); /* the guard: a spawned child never gets past this line */
    if (argc == 2 && strcmp(argv[1], "--exit-at-once") == 0)
        return 0; /* part 1's bare posix_spawn of this binary */

    static const mp_unused unused[] = {
        {"workers", "every part starts one child at a time"},
        {"max-workers", "every part starts one child at a time"},
        {"seed", "nothing in this lesson is random"},
        {"start", "the lesson compares all three start methods side by side"},
        {0}};
    static const mp_cli cli = {
        .prog = "lesson-04",
        .summary = "start methods: fork, spawn and forkserver, what each costs and what each risks",
        .default_out = "plots/out/04-start-methods",
        .unused = unused,
    };
    mp_lesson L;
    int status;
    if (!mp_lesson_begin(&L, &cli, argc, argv, &status))
        return status;
    /* start the fork server now, while this process is small and has no threads */
    mp_process p;
    mp_process_init(&p, "warm-up", empty, NULL);
    p.start = MP_START_FORKSERVER;
    CHECK(mp_process_start(&p));
    CHECK(mp_process_join(&p, MP_FOREVER));

    startup_result R = {0};
    memory_result M = {0};
    hazard_result H = {0};
    guard_result G = {0};
    experiment_startup(&L, &R);
    experiment_memory(&L, &M);
    experiment_hazard(&L, &H);
    experiment_guard(&L, &G);

    mp_lesson_verdicts(&L);
    startup_verdicts(&L, &R);
    memory_verdicts(&L, &M);
    mp_verdict(&L, H.fork_hung && H.spawn_finished && H.forkserver_finished, 0, NULL,
               "a lock held by another thread: the forked child %s, the spawned one %s, the forkserver's %s",
               H.fork_hung ? "hung" : "did not hang", H.spawn_finished ? "finished" : "did not finish",
               H.forkserver_finished ? "finished" : "did not finish");
    mp_verdict(&L, G.exitcode == GUARD_REFUSED_AND_RAN, 0, NULL,
               "without the guard, a spawned child's main() ran again and was refused a process (exit code %d)",
               G.exitcode);
    free(big);
    return mp_lesson_end(&L);
}
