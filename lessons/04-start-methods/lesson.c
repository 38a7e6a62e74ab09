/* Lesson 04 -- start methods: fork, spawn and forkserver, costs and hazards.
 *
 * The question: Python starts a process in one of three ways. fork copies
 * the parent; spawn starts the program afresh (hence the
 * `if __name__ == '__main__'` guard); forkserver asks a clean, single-
 * threaded server to fork (the default on Linux since Python 3.14). What
 * does each cost, and what can go wrong with each?
 *   1. start+join of an empty child, with the bare system calls as the floor;
 *   2. the same against the parent's size: fork copies page tables, so it
 *      grows with the parent; spawn and forkserver do not;
 *   3. memory: what an idle child really uses (RSS vs PSS), and copy on
 *      write made visible when a forked child writes to inherited pages;
 *   4. fork in a program with threads: a lock held by another thread at the
 *      moment of fork stays locked forever in the child;
 *   5. the guard: what a spawned child runs if main() does not hand control
 *      to the dispatcher first.
 */
#define _GNU_SOURCE /* vfork(): not in POSIX 2008, used here as a floor to compare with */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp.h"

extern char **environ;

/* ===================================================================== */
/* 1 and 2. what a start costs                                            */
/* ===================================================================== */

static int empty(void *arg)
{
    (void)arg;
    return 0;
}

static void kit_start(int method)
{
    mp_process p;
    mp_process_init(&p, "empty", empty, NULL);
    p.start = method;
    CHECK(mp_process_start(&p));
    CHECK(mp_process_join(&p, MP_FOREVER));
}

static void kit_fork(void) { kit_start(MP_START_FORK); }
static void kit_spawn(void) { kit_start(MP_START_SPAWN); }
static void kit_forkserver(void) { kit_start(MP_START_FORKSERVER); }

static void raw_fork(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    CHECK(pid > 0 ? 0 : -errno);
    waitpid(pid, NULL, 0);
}

/* vfork: the child borrows the parent's memory (no copy, not even of page
 * tables) and the parent waits until it execs or exits. */
static void raw_vfork(void)
{
    pid_t pid = vfork();
    if (pid == 0)
        _exit(0);
    CHECK(pid > 0 ? 0 : -errno);
    waitpid(pid, NULL, 0);
}

static void raw_posix_spawn(void)
{
    char *argv[] = {(char *)mp_spawn_self(), "--exit-at-once", NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
    CHECK(-rc);
    waitpid(pid, NULL, 0);
}

typedef struct method {
    const char *name; /* as startup.csv names it */
    void (*start_join)(void);
    int calls;        /* per round, at parent size 0 */
} method;

static const method methods[] = {
    {"fork", kit_fork, 40},           {"spawn", kit_spawn, 10},          {"forkserver", kit_forkserver, 20},
    {"raw-fork", raw_fork, 40},       {"raw-vfork", raw_vfork, 40},      {"raw-posix_spawn", raw_posix_spawn, 10},
};
enum { M_FORK, M_SPAWN, M_FORKSERVER, M_RAW_FORK, M_RAW_VFORK, M_RAW_SPAWN, NMETHODS };

static char *big;      /* the parent's touched memory: inherited by forked children only */
static size_t big_len;

/* Grow the parent to `mib` MiB of touched memory (one write per page). */
static void grow_parent(size_t mib)
{
    size_t want = mib << 20;
    if (want <= big_len)
        return;
    char *p = realloc(big, want);
    if (!p) {
        mp_say("error: cannot allocate %zu MiB", mib);
        exit(1);
    }
    for (size_t i = big_len; i < want; i += 4096)
        p[i] = (char)i | 1;
    big = p;
    big_len = want;
}

/* Calls per round: fewer for a fork of a big parent (20 ms each at 1 GiB). */
static int calls_for(const mp_lesson *L, int m, size_t mib)
{
    if (mib >= 256 && (m == M_FORK || m == M_RAW_FORK))
        return 4;
    return methods[m].calls / (L->o.quick ? 4 : 1);
}

typedef struct startup_result { double median[NMETHODS][8]; int nsizes; size_t sizes[8]; } startup_result;

static void experiment_startup(mp_lesson *L, startup_result *R)
{
    static const size_t full[] = {0, 64, 256, 1024}, quick[] = {0, 64, 256};
    const size_t *sizes = L->o.quick ? quick : full;
    R->nsizes = L->o.quick ? 3 : 4;
    mp_section("1. start+join of an empty child, %d rounds, and the bare system calls beside it", L->o.repeat);
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "startup.csv", "method,parent_mib,median_us,min_us,max_us"));
    mp_series series[NMETHODS];
    for (int m = 0; m < NMETHODS; m++)
        series[m] = (mp_series){.label = methods[m].name};
    mp_table tab;
    for (int s = 0; s < R->nsizes; s++) {
        grow_parent(sizes[s]);
        R->sizes[s] = sizes[s];
        if (s == 1)
            mp_section("2. the same, with a parent of %zu to %zu MiB (touched)", sizes[1], sizes[R->nsizes - 1]);
        mp_say("parent: %zu MiB touched", sizes[s]);
        mp_table_header(&tab, "method            |parent MiB|median us|min us|max us");
        /* rounds interleave the methods, so a noisy moment hits them all alike */
        int per = L->o.quick ? 1 : 2, rounds = L->o.repeat;
        double *t[NMETHODS];
        int n[NMETHODS] = {0};
        for (int m = 0; m < NMETHODS; m++)
            t[m] = calloc((size_t)(calls_for(L, m, sizes[s]) * per * rounds) + 1, sizeof(double));
        for (int r = 0; r < rounds * per; r++)
            for (int m = 0; m < NMETHODS; m++) {
                int calls = calls_for(L, m, sizes[s]);
                for (int c = 0; c < calls; c++) {
                    uint64_t t0 = mp_now_ns();
                    methods[m].start_join();
                    t[m][n[m]++] = (double)(mp_now_ns() - t0) / 1e3;
                }
            }
        for (int m = 0; m < NMETHODS; m++) {
            mp_stats st;
            CHECK(mp_stats_of(t[m], (size_t)n[m], &st));
            R->median[m][s] = st.median;
            mp_table_row(&tab, "%s|%zu|%.0f|%.0f|%.0f", methods[m].name, sizes[s], st.median, st.min, st.max);
            CHECK(mp_csv_row(&csv, "%s,%zu,%.1f,%.1f,%.1f", methods[m].name, sizes[s], st.median, st.min, st.max));
            mp_series_point(&series[m], (double)sizes[s], st.median, st.min, st.max);
            free(t[m]);
        }
    }
    CHECK(mp_csv_close(&csv));
    mp_say("fork copies the parent's page tables: its cost grows with the parent; spawn starts a new program: "
           "flat; the fork server forks itself, a small process: flat");
    mp_lines_plot(L->o.out, "startup", "lesson 04: start+join of an empty child against the size of the parent", series,
                  NMETHODS, "touched memory of the parent (MiB)", "start+join (us, log scale)", true, L->o.no_plot);
}

/* ===================================================================== */
/* 3. memory                                                              */
/* ===================================================================== */

/* A child that waits for orders on a passed pipe: 'w' writes a quarter of
 * the pages it inherited (none, unless forked), 'q' quits. It answers each
 * order on a second pipe. */
static int idle_child(void *arg)
{
    (void)arg;
    int orders = mp_child_fd(0), answers = mp_child_fd(1);
    char c;
    while (read(orders, &c, 1) == 1 && c != 'q') {
        if (c == 'w')
            for (size_t i = 0; i < big_len / 4; i += 4096)
                big[i] ^= 2; /* each write copies a page: copy on write */
        if (write(answers, &c, 1) != 1)
            return 1;
    }
    return 0;
}

typedef struct memory_result { long parent_rss, fork_idle_pss, fork_written_pss, spawn_rss; } memory_result;

static void order(int fd_out, int fd_in, char c)
{
    CHECK(write(fd_out, &c, 1) == 1 ? 0 : -EIO);
    CHECK(mp_read_full(fd_in, &c, 1));
}

static void experiment_memory(mp_lesson *L, memory_result *M)
{
    size_t mib = big_len >> 20;
    mp_section("3. memory of an idle child of a %zu MiB parent, from /proc/PID/smaps_rollup", mib);
    long rss, pss;
    CHECK(mp_proc_memory(getpid(), &rss, &pss));
    M->parent_rss = rss;
    mp_say("the parent: RSS %ld MiB", rss / 1024);
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "memory.csv", "method,parent_mib,phase,child_rss_kib,child_pss_kib"));
    mp_table tab;
    mp_table_header(&tab, "method    |phase      |child RSS MiB|child PSS MiB");
    for (int m = MP_START_FORK; m <= MP_START_FORKSERVER; m++) {
        int to_child[2], from_child[2];
        CHECK(pipe(to_child) == 0 ? 0 : -errno);
        CHECK(pipe(from_child) == 0 ? 0 : -errno);
        mp_process p;
        mp_process_init(&p, "idle", idle_child, NULL);
        p.start = m;
        mp_process_pass_fd(&p, to_child[0]);
        mp_process_pass_fd(&p, from_child[1]);
        CHECK(mp_process_start(&p));
        close(to_child[0]);
        close(from_child[1]);
        order(to_child[1], from_child[0], 'i'); /* it is up and idle */
        for (int phase = 0; phase < (m == MP_START_FORK ? 2 : 1); phase++) {
            if (phase == 1)
                order(to_child[1], from_child[0], 'w');
            CHECK(mp_proc_memory(p.pid, &rss, &pss));
            const char *ph = phase ? "after-write" : "idle";
            mp_table_row(&tab, "%s|%s|%.1f|%.1f", mp_start_names[m], ph, rss / 1024.0, pss / 1024.0);
            CHECK(mp_csv_row(&csv, "%s,%zu,%s,%ld,%ld", mp_start_names[m], mib, ph, rss, pss));
            if (m == MP_START_FORK && phase == 0)
                M->fork_idle_pss = pss;
            if (m == MP_START_FORK && phase == 1)
                M->fork_written_pss = pss;
            if (m == MP_START_SPAWN)
                M->spawn_rss = rss;
        }
        char q = 'q';
        CHECK(write(to_child[1], &q, 1) == 1 ? 0 : -EIO);
        close(to_child[1]);
        close(from_child[0]);
        CHECK(mp_process_join(&p, 10.0));
    }
    CHECK(mp_csv_close(&csv));
    mp_say("RSS counts every page mapped, shared or not; PSS splits a shared page among its sharers. An idle "
           "forked child shares all of the parent's pages (copy on write): big RSS, PSS about half of it. Each "
           "page it writes becomes its own copy.");
}

/* ===================================================================== */
/* 4. fork in a program with threads                                      */
/* ===================================================================== */

/* Think of it as malloc's arena lock, a logging lock, a connection pool's. */
static pthread_mutex_t resource = PTHREAD_MUTEX_INITIALIZER;
static atomic_int holding;

static void *holder(void *arg)
{
    double seconds = *(double *)arg;
    pthread_mutex_lock(&resource);
    atomic_store(&holding, 1);
    mp_sleep_ns((uint64_t)(seconds * 1e9));
    pthread_mutex_unlock(&resource);
    return NULL;
}

static int use_resource(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&resource); /* forked: the copy is locked, and its owner does not exist here */
    pthread_mutex_unlock(&resource);
    return 0;
}

static void experiment_hazard(mp_lesson *L)
{
    double hold = L->o.quick ? 1.0 : 2.0, patience = L->o.quick ? 0.5 : 1.0;
    mp_section("4. fork while another thread holds a lock: the child takes the lock");
    mp_thread t;
    mp_thread_init(&t, "lock-holder", holder, &hold);
    CHECK(mp_thread_start(&t));
    while (!atomic_load(&holding))
        mp_sleep_ns(1000000);
    mp_say("a helper thread holds a mutex for %.1f s; now each start method starts a child that locks it", hold);
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "hazard.csv", "method,outcome,exitcode,waited_s"));
    for (int m = MP_START_FORK; m <= MP_START_FORKSERVER; m++) {
        mp_process p;
        mp_process_init(&p, "locker", use_resource, NULL);
        p.start = m;
        uint64_t t0 = mp_now_ns();
        CHECK(mp_process_start(&p));
        int rc = mp_process_join(&p, patience);
        const char *outcome = "finished";
        if (rc == -ETIMEDOUT) {
            outcome = "hung";
            CHECK(mp_process_kill(&p));
            CHECK(mp_process_join(&p, MP_FOREVER));
        }
        double waited = mp_ns_to_s(mp_now_ns() - t0);
        mp_say("%-10s child %s (exit code %d after %.2f s)%s", mp_start_names[m], outcome, p.exitcode, waited,
               rc == -ETIMEDOUT ? ": the lock was copied locked, and the thread that would unlock it was not "
                                  "copied; killed after the timeout" : "");
        CHECK(mp_csv_row(&csv, "%s,%s,%d,%.3f", mp_start_names[m], outcome, p.exitcode, waited));
    }
    CHECK(mp_csv_close(&csv));
    CHECK(mp_thread_join(&t, NULL));
    mp_say("fork copies memory, locks included, but only the calling thread: a lock another thread held stays "
           "locked forever in the child. Python 3.12 warns \"This process is multi-threaded, use of fork() may "
           "lead to deadlocks in the child\", and 3.14 made forkserver the default on Linux.");
}

/* ===================================================================== */
/* 5. the guard                                                           */
/* ===================================================================== */

/* What a spawned child runs when main() does not call mp_spawn_main first:
 * main() from the top, like Python re-running a module's top-level code. */
static void unguarded_top_level(void)
{
    mp_set_role("unguarded-child");
    mp_say("main() is running again, from the top, in the spawned child (pid %d): without the guard, "
           "this is where the whole lesson would start over", (int)getpid());
    mp_process p;
    mp_process_init(&p, NULL, empty, NULL);
    int rc = mp_process_start(&p); /* the top-level code starting a process of its own */
    mp_say("so its attempt to start a process was refused (%s) -- Python raises RuntimeError here",
           rc == -EDEADLK ? "EDEADLK" : strerror(-rc));
    unsetenv("LESSON04_UNGUARDED");
}

static int guarded_work(void *arg)
{
    (void)arg;
    mp_say("...and then the dispatcher ran the child's real work, as it should");
    return 7;
}

static void experiment_guard(mp_lesson *L)
{
    (void)L;
    mp_section("5. the guard: a spawned child whose main() does something before mp_spawn_main()");
    setenv("LESSON04_UNGUARDED", "1", 1); /* only the child acts on it: see main() */
    mp_process p;
    mp_process_init(&p, "spawned", guarded_work, NULL);
    p.start = MP_START_SPAWN;
    int rc = mp_process_start(&p);
    unsetenv("LESSON04_UNGUARDED");
    CHECK(rc);
    CHECK(mp_process_join(&p, 10.0));
    mp_say("the child exited with %d. In Python the same thing happens to a script without "
           "`if __name__ == '__main__':` started with spawn: the child re-imports it and runs its top level.",
           p.exitcode);
}

/* ===================================================================== */

static const mp_entry entries[] = {MP_ENTRY(empty), MP_ENTRY(idle_child), MP_ENTRY(use_resource),
                                   MP_ENTRY(guarded_work), {0}};

static const char *yes(bool ok) { return ok ? "yes" : "NO"; }

int main(int argc, char **argv)
{
    if (getenv("LESSON04_UNGUARDED")) /* part 5 only: code that runs before the guard */
        unguarded_top_level();
    mp_spawn_main(argc, argv, entries); /* the guard: a spawned child never gets past this line */
    if (argc == 2 && strcmp(argv[1], "--exit-at-once") == 0)
        return 0; /* part 1's bare posix_spawn of this binary */

    static const mp_cli cli = {
        .prog = "lesson-04",
        .summary = "start methods: fork, spawn and forkserver, what each costs and what each risks",
        .default_out = "plots/out/04-start-methods",
    };
    mp_lesson L;
    int status;
    if (!mp_lesson_begin(&L, &cli, argc, argv, &status))
        return status;
    kit_forkserver(); /* start the server now, while this process is small and has no threads */

    startup_result R = {0};
    experiment_startup(&L, &R);
    memory_result M = {0};
    experiment_memory(&L, &M);
    experiment_hazard(&L);
    experiment_guard(&L);

    mp_section("what this machine shows");
    int last = R.nsizes - 1;
    double fork_growth = R.median[M_FORK][last] / R.median[M_FORK][0];
    double spawn_growth = R.median[M_SPAWN][last] / R.median[M_SPAWN][0];
    mp_say("fork: %.0f us with a small parent, %.0f us with %zu MiB (%.1fx; at least 5x at 1024 MiB: %s)",
           R.median[M_FORK][0], R.median[M_FORK][last], R.sizes[last], fork_growth,
           R.sizes[last] >= 1024 ? yes(fork_growth >= 5) : "not measured (--quick)");
    mp_say("spawn: %.0f us small, %.0f us large (%.2fx, within 1.5x: %s)", R.median[M_SPAWN][0],
           R.median[M_SPAWN][last], spawn_growth, yes(spawn_growth <= 1.5 && spawn_growth >= 1 / 1.5));
    mp_say("the kit against the bare calls: fork %.2fx raw fork (within 1.3x: %s), spawn %.2fx raw posix_spawn "
           "(within 1.3x: %s), forkserver %.0f us",
           R.median[M_FORK][0] / R.median[M_RAW_FORK][0], yes(R.median[M_FORK][0] <= 1.3 * R.median[M_RAW_FORK][0]),
           R.median[M_SPAWN][0] / R.median[M_RAW_SPAWN][0],
           yes(R.median[M_SPAWN][0] <= 1.3 * R.median[M_RAW_SPAWN][0]), R.median[M_FORKSERVER][0]);
    mp_say("an idle forked child of a %ld MiB parent: PSS %ld MiB, %.2f of half the parent's RSS (near 1: %s); "
           "after writing a quarter: %ld MiB",
           M.parent_rss / 1024, M.fork_idle_pss / 1024, (double)M.fork_idle_pss / (M.parent_rss / 2.0),
           yes(fabs((double)M.fork_idle_pss / (M.parent_rss / 2.0) - 1) < 0.25), M.fork_written_pss / 1024);
    mp_say("a spawned child: RSS %.1f MiB (under 10 MiB: %s)", M.spawn_rss / 1024.0, yes(M.spawn_rss < 10 * 1024));
    free(big);
    return mp_lesson_end(&L);
}
