/* helpers.h: what several test files need: a scratch folder, running a
 * program with a timeout and reading what it printed, and the check that a
 * test left no child process behind. Header-only: each test is one file. */
#ifndef MP_TEST_HELPERS_H
#define MP_TEST_HELPERS_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "mp.h"

extern char **environ;

/* A new empty folder under /tmp; remove it with rm_tree. */
static inline char *make_tmpdir(void)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/mpkit-test-XXXXXX");
    char *p = mkdtemp(path);
    assert_non_null(p);
    return strdup(p);
}

static inline int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static inline void rm_tree(char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(path);
}

static inline char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = calloc(1, (size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* Run argv with stdout and stderr to files in dir ("out.txt", "err.txt").
 * Returns the exit code as mp_exitcode_from_status gives it, or -1000 if it
 * did not end within timeout_s (then it is killed). *pid_out may be NULL. */
static inline int run_program(char *const argv[], const char *dir, double timeout_s)
{
    char out[4200], err[4200];
    snprintf(out, sizeof out, "%s/out.txt", dir);
    snprintf(err, sizeof err, "%s/err.txt", dir);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        fail_msg("posix_spawn %s: %s", argv[0], strerror(rc));
    uint64_t deadline = mp_now_ns() + (uint64_t)(timeout_s * 1e9);
    int st;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (mp_now_ns() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1000;
        }
        mp_sleep_ns(5000000);
    }
    return mp_exitcode_from_status(st);
}

/* Count the lines of a string. */
static inline int count_lines(const char *s)
{
    int n = 0;
    for (; s && *s; s++)
        n += (*s == '\n');
    return n;
}

/* Nothing left behind: no child of this process, zombie or not. */
static inline void assert_no_children(void)
{
    int zombies = -1;
    int n = mp_proc_count_children(&zombies);
    assert_int_equal(zombies, 0);
    assert_int_equal(n, 0);
    assert_int_equal(mp_active_children(), 0);
}

/* A new-style simulated GIL, initialised and held by the calling thread. */
static inline void hold_new_gil(mp_gil *g, mp_gil_thread *me, uint64_t interval_us)
{
    assert_int_equal(mp_gil_init(g, MP_GIL_NEW, interval_us, 100), 0);
    mp_gil_thread_init(g, me);
    mp_gil_acquire(g, me);
}

/* How much parallelism the machine offers right now: the speedup of 2
 * threads over 1 on the same fixed work (about 2 on an idle 2-CPU machine,
 * about 1 when other programs keep the CPUs busy). Tests that assert a
 * parallel speedup first ask this, measured in the same test, and only
 * assert when the machine could show one. */
static inline void *spin_work(void *arg)
{
    volatile uint64_t x = 0;
    for (uint64_t i = 0; i < *(uint64_t *)arg; i++)
        x += i;
    return NULL;
}

static inline double parallel_capacity(void)
{
    if (mp_cpus_usable() < 2)
        return 1.0;
    uint64_t work = 50000000;
    uint64_t t0 = mp_now_ns();
    spin_work(&work);
    spin_work(&work);
    double one = (double)(mp_now_ns() - t0);
    pthread_t a, b;
    t0 = mp_now_ns();
    pthread_create(&a, NULL, spin_work, &work);
    pthread_create(&b, NULL, spin_work, &work);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    double speedup = one / (double)(mp_now_ns() - t0);
    print_message("parallel capacity of the machine right now: %.2fx\n", speedup);
    return speedup;
}

/* A timing check that may fail only on a quiet machine: when it does not
 * hold, the machine's parallel capacity is measured at once, and a busy
 * machine (other programs on our CPUs) turns the failure into a note. */
#define assert_when_quiet(cond)                                                            \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            double cap_ = parallel_capacity();                                             \
            if (cap_ >= 1.7 || mp_cpus_usable() < 2)                                       \
                fail_msg("%s (the machine was quiet: capacity %.2fx)", #cond, cap_);       \
            print_message("not checked, the machine is busy (capacity %.2fx): %s\n", cap_, #cond); \
        }                                                                                  \
    } while (0)

/* Wait up to timeout_s for a PID to disappear; true if it did. */
static inline bool pid_gone(pid_t pid, double timeout_s)
{
    uint64_t deadline = mp_now_ns() + (uint64_t)(timeout_s * 1e9);
    while (mp_now_ns() < deadline) {
        if (kill(pid, 0) != 0 && errno == ESRCH)
            return true;
        char s = mp_proc_state(pid);
        if (s == 0)
            return true;
        mp_sleep_ns(5000000);
    }
    return false;
}

#endif
