/* Lesson 04, parts 1 and 2: what a start costs, against the parent's size.
 *
 * Each method starts and joins an empty child, many times; the bare system
 * calls run beside the kit's, in the same rounds, so a noisy moment hits
 * them all alike. fork copies the parent's page tables, so its cost grows
 * with the parent; spawn and the forkserver copy nothing of it. */
#define _GNU_SOURCE /* vfork(): not in POSIX 2008, used here as a floor to compare with */
#include <errno.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lesson04.h"

extern char **environ;

char *big;
size_t big_len;

int empty(void *arg)
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

/* This binary started with --exit-at-once: main() returns at once. */
static void raw_posix_spawn(void)
{
    char *argv[] = {(char *)mp_spawn_exe(), "--exit-at-once", NULL};
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

static const method methods[NMETHODS] = {
    [M_FORK] = {"fork", kit_fork, 40},
    [M_SPAWN] = {"spawn", kit_spawn, 10},
    [M_FORKSERVER] = {"forkserver", kit_forkserver, 20},
    [M_RAW_FORK] = {"raw-fork", raw_fork, 40},
    [M_RAW_VFORK] = {"raw-vfork", raw_vfork, 40},
    [M_RAW_SPAWN] = {"raw-posix_spawn", raw_posix_spawn, 10},
};

/* Grow the parent to `mib` MiB of touched memory (one write per page). */
static void grow_parent(size_t mib)
{
    size_t want = mib << 20;
    if (want <= big_len)
        return;
    char *p = realloc(big, want);
    CHECK(p ? 0 : -ENOMEM);
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

/* One parent size: rounds of every method, interleaved. */
static void measure_size(mp_lesson *L, startup_result *R, int s, mp_csv *csv, mp_series *series)
{
    size_t mib = R->sizes[s];
    int rounds = L->o.repeat * (L->o.quick ? 1 : 2);
    double *t[NMETHODS], *round_median[NMETHODS];
    int n[NMETHODS] = {0};
    for (int m = 0; m < NMETHODS; m++) {
        t[m] = calloc((size_t)(calls_for(L, m, mib) * rounds), sizeof(double));
        round_median[m] = calloc((size_t)rounds, sizeof(double));
        CHECK(t[m] && round_median[m] ? 0 : -ENOMEM);
    }
    for (int r = 0; r < rounds; r++)
        for (int m = 0; m < NMETHODS; m++) {
            int calls = calls_for(L, m, mib), first = n[m];
            for (int c = 0; c < calls; c++) {
                uint64_t t0 = mp_now_ns();
                methods[m].start_join();
                t[m][n[m]++] = (double)(mp_now_ns() - t0) / 1e3;
            }
            mp_stats one;
            CHECK(mp_stats_of(t[m] + first, (size_t)calls, &one));
            round_median[m][r] = one.median;
        }
    mp_table tab;
    mp_table_header(&tab, "method            |parent MiB|median us|min us|max us|rounds spread");
    for (int m = 0; m < NMETHODS; m++) {
        mp_stats st, rounds_st;
        CHECK(mp_stats_of(t[m], (size_t)n[m], &st));
        CHECK(mp_stats_of(round_median[m], (size_t)rounds, &rounds_st));
        R->us[m][s] = st;
        R->spread[m][s] = mp_spread(&rounds_st);
        mp_table_row(&tab, "%s|%zu|%.0f|%.0f|%.0f|%.0f%%", methods[m].name, mib, st.median, st.min, st.max,
                     100 * R->spread[m][s]);
        CHECK(mp_csv_row(csv, "%s,%zu,%.1f,%.1f,%.1f", methods[m].name, mib, st.median, st.min, st.max));
        mp_series_point(&series[m], (double)mib, st.median, st.min, st.max);
        free(t[m]);
        free(round_median[m]);
    }
}

void experiment_startup(mp_lesson *L, startup_result *R)
{
    static const size_t full[] = {0, 64, 256, 1024}, quick[] = {0, 64, 256};
    const size_t *sizes = L->o.quick ? quick : full;
    R->nsizes = L->o.quick ? 3 : 4;
    mp_lesson_part(L, "1. start+join of an empty child, %d rounds, and the bare system calls beside it",
                   L->o.repeat * (L->o.quick ? 1 : 2));
    mp_say("rounds spread: how far apart the rounds' medians were, (max - min) / median");
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "startup.csv", "method,parent_mib,median_us,min_us,max_us"));
    mp_series series[NMETHODS];
    for (int m = 0; m < NMETHODS; m++)
        series[m] = (mp_series){.label = methods[m].name};
    for (int s = 0; s < R->nsizes; s++) {
        R->sizes[s] = sizes[s];
        grow_parent(sizes[s]);
        if (s == 1)
            mp_lesson_part(L, "2. the same, with a parent of %zu to %zu MiB (touched)", sizes[1],
                           sizes[R->nsizes - 1]);
        mp_say("parent: %zu MiB touched", sizes[s]);
        measure_size(L, R, s, &csv, series);
    }
    CHECK(mp_csv_close(&csv));
    mp_say("fork copies the parent's page tables: its cost grows with the parent; spawn starts a new program: "
           "flat; the fork server forks itself, a small process: flat");
    mp_lines_plot(L->o.out, "startup", "lesson 04: start+join of an empty child against the size of the parent",
                  series, NMETHODS, "touched memory of the parent (MiB)", "start+join (us, log scale)",
                  MP_PLOT_LOGY | MP_PLOT_XCAT, L->o.no_plot);
}
