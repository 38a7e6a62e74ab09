/* Instructor-only tests for exercise 01.3 (tests/instructor.h): not in the
 * student's handout, run at grading.
 *
 * A signal that arrives while waitpid() waits interrupts it with EINTR
 * (when its handler was installed without SA_RESTART, as Python's are). The
 * exercise's comment says to try again; a reap_all that takes any failure
 * for ECHILD returns with a child still running. */
#include "helpers.h"

int reap_all(void);

static atomic_int signals_seen;

static void count_signal(int sig)
{
    (void)sig;
    atomic_fetch_add(&signals_seen, 1);
}

typedef struct interrupter {
    pthread_t target; /* the thread that calls reap_all */
    int release_fd;   /* closing it lets the child end */
} interrupter;

/* Signal the reaping thread every millisecond until 20 signals have
 * arrived and at least 100 ms have passed, then let the child end. While
 * the child runs, reap_all can only be in waitpid (or about to call it), so
 * some signal lands there; a correct reap_all counts the child whatever the
 * timing, a wrong one returns 0 unless every signal missed waitpid. */
static void *interrupt_then_release(void *arg)
{
    interrupter *in = arg;
    uint64_t start = mp_now_ns(), give_up = start + 30 * 1000000000ull;
    while ((atomic_load(&signals_seen) < 20 || mp_now_ns() - start < 100000000) && mp_now_ns() < give_up) {
        pthread_kill(in->target, SIGUSR1);
        mp_sleep_ns(1000000);
    }
    close(in->release_fd);
    return NULL;
}

static void test_retries_after_eintr(void **state)
{
    (void)state;
    struct sigaction sa = {0}, old;
    sa.sa_handler = count_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: waitpid fails with EINTR */
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
    atomic_store(&signals_seen, 0);

    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) { /* runs until the pipe's write end is closed */
        close(fds[1]);
        char c;
        while (read(fds[0], &c, 1) < 0 && errno == EINTR)
            ;
        _exit(0);
    }
    close(fds[0]);
    interrupter in = {pthread_self(), fds[1]};
    pthread_t helper;
    assert_int_equal(pthread_create(&helper, NULL, interrupt_then_release, &in), 0);
    int n = reap_all();
    int seen = atomic_load(&signals_seen);
    pthread_join(helper, NULL);
    sigaction(SIGUSR1, &old, NULL);
    if (n != 1)
        fail_msg("reap_all() returned %d with one child, after %d signals interrupted it: "
                 "does it try again when waitpid fails with EINTR?", n, seen);
    assert_no_children();
}

MP_INSTRUCTOR_TESTS(cmocka_unit_test_teardown(test_retries_after_eintr, teardown_children));
