/* helpers.h: what several test files need: a scratch folder, running a
 * program with a timeout and reading what it printed, the check that a test
 * left no child process behind (and a teardown that cleans up after a test
 * that failed), and integer assertions that print decimal. Every test file
 * includes it. Header-only: each test is one file. */
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

#include "instructor.h" /* an exercise's instructor-only tests, appended to its group */
#include "mp.h"

extern char **environ;

/* cmocka 1.1.5 prints a failed assert_int_equal in hex (0xfffffffffffffff1
 * for -15). These print decimal and the expressions' text:
 *     p.exitcode == -15 failed: got 3, expected -15 (test.c:42)
 * and fail the test the way cmocka's own do. As cmocka does, both sides are
 * compared as uintmax_t; each is printed signed unless its type is unsigned. */
#undef assert_int_equal
#undef assert_int_not_equal
#define mp_is_unsigned_(x)                                                                 \
    _Generic((x), _Bool: 1, unsigned char: 1, unsigned short: 1, unsigned int: 1,          \
             unsigned long: 1, unsigned long long: 1, default: 0)
#define assert_int_equal(a, b)                                                             \
    mp_assert_int_((uintmax_t)(a), mp_is_unsigned_(a), (uintmax_t)(b), mp_is_unsigned_(b), \
                   true, #a, #b, __FILE__, __LINE__)
#define assert_int_not_equal(a, b)                                                         \
    mp_assert_int_((uintmax_t)(a), mp_is_unsigned_(a), (uintmax_t)(b), mp_is_unsigned_(b), \
                   false, #a, #b, __FILE__, __LINE__)

static inline void mp_int_text_(char *buf, size_t cap, uintmax_t v, int is_unsigned)
{
    if (is_unsigned)
        snprintf(buf, cap, "%ju", v);
    else
        snprintf(buf, cap, "%jd", (intmax_t)v);
}

static inline void mp_assert_int_(uintmax_t a, int a_unsigned, uintmax_t b, int b_unsigned, bool equal,
                                  const char *a_text, const char *b_text, const char *file, int line)
{
    if ((a == b) == equal)
        return;
    char va[32], vb[32], msg[1024];
    mp_int_text_(va, sizeof va, a, a_unsigned);
    mp_int_text_(vb, sizeof vb, b, b_unsigned);
    if (equal)
        snprintf(msg, sizeof msg, "%s == %s failed: got %s, expected %s (%s:%d)", a_text, b_text, va, vb, file, line);
    else
        snprintf(msg, sizeof msg, "%s != %s failed: both are %s (%s:%d)", a_text, b_text, va, file, line);
    _assert_true(0, msg, file, line); /* cmocka's own failure path: prints msg, then fails the test */
}

/* fail_msg as cmocka's other failures print: "[  ERROR   ] --- message"
 * (cmocka 1.1.5's own prints "ERROR: message" and a garbled line after it). */
#undef fail_msg
#define fail_msg(...) mp_fail_msg_(__FILE__, __LINE__, __VA_ARGS__)
__attribute__((format(printf, 3, 4))) static inline void mp_fail_msg_(const char *file, int line,
                                                                      const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    _assert_true(0, msg ? msg : fmt, file, line); /* never returns */
    free(msg);
}

/* Line by line, also into a pipe or a file: what a test prints shows up as
 * it happens (scripts/run-tests.sh streams it), in order with stderr, and a
 * forked child never inherits half a buffer. */
__attribute__((constructor)) static void mp_test_stdout_by_line_(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
}

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

/* Write text to dir/name (the test fails if it cannot). */
static inline void write_file_in(const char *dir, const char *name, const char *text)
{
    char path[4200];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        fail_msg("path too long: %s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* The test fails, showing text, unless text holds what. */
#define assert_contains(text, what)                                                        \
    do {                                                                                   \
        if (!strstr((text), (what)))                                                       \
            fail_msg("expected \"%s\" in this output:\n%s", (what), (text));               \
    } while (0)

/* What a program run by run_program left in dir: "out.txt" or "err.txt"
 * (free() it; NULL if there is no such file). */
static inline char *read_output(const char *dir, const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return read_file(path);
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

/* The trace has one lane, and it holds these n spans, in order: each one a
 * begin, then its end. */
static inline void assert_one_lane_of_spans(const char *const *names, int n)
{
    mp_trace_lane lanes[4];
    assert_int_equal(mp_trace_lanes(lanes, 4), 1);
    assert_int_equal(lanes[0].count, 2 * n);
    for (int i = 0; i < 2 * n; i++) {
        assert_string_equal(lanes[0].events[i].name, names[i / 2]);
        assert_int_equal(lanes[0].events[i].kind, i % 2 ? MP_EV_END : MP_EV_BEGIN);
    }
}

/* A new-style simulated GIL, initialised and held by the calling thread. */
static inline void hold_new_gil(mp_gil *g, mp_gil_thread *me, uint64_t interval_us)
{
    assert_int_equal(mp_gil_init(g, MP_GIL_NEW, interval_us, 100), 0);
    mp_gil_thread_init(g, me);
    mp_gil_acquire(g, me);
}

/* ---- children the tests start (fork, spawn or forkserver alike) ---- */

/* Sleep until killed. */
static inline int child_sleep_forever(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return 0;
}

/* Die of the signal *(const int *)arg (bytes: a spawned child gets them
 * too). cmocka catches SIGSEGV and SIGABRT in the test process, and a forked
 * child inherits its handlers: put the default action back first. */
static inline int child_die_by(void *arg)
{
    int sig = *(const int *)arg;
    signal(sig, SIG_DFL);
    raise(sig);
    return 0;
}

/* A helper process (this test binary run again, or a fork of the test)
 * reports the PIDs of the children it started on a pipe: close our copy of
 * the write end (so a helper that died is a failed read, not a hang), read
 * n PIDs, then keep the read end in *keep_fd (to see the helper end) or
 * close it (keep_fd NULL). */
static inline void read_reported_pids(int fds[2], pid_t *pids, int n, int *keep_fd)
{
    close(fds[1]);
    for (int i = 0; i < n; i++)
        assert_int_equal(mp_read_full(fds[0], &pids[i], sizeof pids[i]), 0);
    if (keep_fd)
        *keep_fd = fds[0];
    else
        close(fds[0]);
}

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

/* Wait up to timeout_s for pid to reach state (a letter of /proc/PID/stat,
 * 'Z' for a zombie); returns the state it was last seen in. A wait for
 * behaviour, bounded but generous: never a judgement on speed. */
static inline char wait_for_state(pid_t pid, char state, double timeout_s)
{
    uint64_t deadline = mp_now_ns() + (uint64_t)(timeout_s * 1e9);
    char s = mp_proc_state(pid);
    while (s != state && mp_now_ns() < deadline) {
        mp_sleep_ns(2000000);
        s = mp_proc_state(pid);
    }
    return s;
}

/* After a test, kill and reap every child this process still has, so that a
 * test that failed half-way does not fail the next ones too. Returns how
 * many there were. */
static inline int kill_leftover_children(void)
{
    pid_t kids[256];
    int n = mp_proc_children_of(getpid(), kids, 256, NULL);
    if (n > 256)
        n = 256;
    for (int i = 0; i < n; i++) {
        kill(kids[i], SIGKILL);
        while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR)
            ;
        mp_registry_remove(kids[i]);
    }
    return n < 0 ? 0 : n;
}

/* A cmocka teardown: cmocka_unit_test_teardown(test_x, teardown_children). */
static inline int teardown_children(void **state)
{
    (void)state;
    int n = kill_leftover_children();
    if (n > 0)
        print_message("teardown: killed and reaped %d child process(es) the test left behind\n", n);
    return 0;
}

#endif
