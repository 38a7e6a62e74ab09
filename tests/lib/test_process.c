/* process: exit codes as Python reports them, join timeouts, terminate and
 * kill, and nothing left behind: no zombie, no orphan, also after Ctrl-C.
 *
 * Waits for something to happen (a child to end, to become a zombie) are
 * bounded by WAIT_S, generous enough for a loaded machine or TSan: they are
 * there so that a bug fails instead of hanging, never to judge speed. Every
 * test has a teardown that kills and reaps what it left, so a failure does
 * not cascade into the next test. */
#include "helpers.h"

#define WAIT_S 30.0

static int ret_arg(void *arg) { return (int)(intptr_t)arg; }
static int call_exit(void *arg) { exit((int)(intptr_t)arg); }
static int die_by(void *arg) /* the signal as the pointer's value: fork only */
{
    int sig = (int)(intptr_t)arg;
    return child_die_by(&sig);
}
static int sleep_ms(void *arg) { mp_sleep_ns((uint64_t)(intptr_t)arg * 1000000u); return 0; }

static int run_to_end(mp_target fn, intptr_t arg)
{
    mp_process p;
    mp_process_init(&p, NULL, fn, (void *)arg);
    assert_int_equal(mp_process_start(&p), 0);
    assert_true(p.pid > 0);
    assert_int_equal(mp_process_join(&p, MP_FOREVER), 0);
    assert_int_equal(p.state, MP_PROC_DONE);
    return p.exitcode;
}

static void test_exit_codes(void **state)
{
    (void)state;
    assert_int_equal(run_to_end(ret_arg, 0), 0);
    assert_int_equal(run_to_end(ret_arg, 3), 3);
    assert_int_equal(run_to_end(call_exit, 5), 5);
    assert_int_equal(run_to_end(die_by, SIGSEGV), -SIGSEGV);
    assert_int_equal(run_to_end(die_by, SIGABRT), -SIGABRT);
    assert_no_children();
}

static void test_terminate_and_kill(void **state)
{
    (void)state;
    mp_process p, q;
    mp_process_init(&p, "t", child_sleep_forever, NULL);
    mp_process_init(&q, "k", child_sleep_forever, NULL);
    assert_int_equal(mp_process_start(&p), 0);
    assert_int_equal(mp_process_start(&q), 0);
    assert_true(mp_process_is_alive(&p));
    assert_int_equal(mp_process_terminate(&p), 0);
    assert_int_equal(mp_process_kill(&q), 0);
    assert_int_equal(mp_process_join(&p, MP_FOREVER), 0);
    assert_int_equal(mp_process_join(&q, MP_FOREVER), 0);
    assert_int_equal(p.exitcode, -15);
    assert_int_equal(q.exitcode, -9);
    assert_false(mp_process_is_alive(&p));
    assert_int_equal(mp_process_terminate(&p), 0); /* already ended: nothing to do */
    assert_no_children();
}

/* join(timeout) on a child that outlives it: -ETIMEDOUT, not before the
 * timeout, and the child still runs. The upper bound only catches a join
 * that ignores its timeout: a minute, which no loaded machine reaches. */
static void test_join_timeout(void **state)
{
    (void)state;
    mp_process p;
    mp_process_init(&p, NULL, child_sleep_forever, NULL);
    assert_int_equal(mp_process_start(&p), 0);
    uint64_t t0 = mp_now_ns();
    assert_int_equal(mp_process_join(&p, 0.1), -ETIMEDOUT);
    double waited = mp_ns_to_s(mp_now_ns() - t0);
    assert_true(waited >= 0.09);
    assert_true(waited < 60.0);
    assert_true(mp_process_is_alive(&p));
    assert_int_equal(mp_process_join(&p, 0), -ETIMEDOUT); /* zero: just look */
    mp_process_kill(&p);
    assert_int_equal(mp_process_join(&p, WAIT_S), 0);
    assert_int_equal(p.exitcode, -9);

    /* a child that ends within the timeout: joined without waiting it all
     * (a join that waited the whole 90 s would fail the bound of 60 s) */
    mp_process q;
    mp_process_init(&q, NULL, sleep_ms, (void *)(intptr_t)20);
    assert_int_equal(mp_process_start(&q), 0);
    t0 = mp_now_ns();
    assert_int_equal(mp_process_join(&q, 90.0), 0);
    assert_true(mp_ns_to_s(mp_now_ns() - t0) < 60.0);
    assert_int_equal(q.exitcode, 0);
    assert_no_children();
}

static void test_misuse(void **state)
{
    (void)state;
    mp_process p;
    mp_process_init(&p, NULL, ret_arg, NULL);
    assert_int_equal(mp_process_join(&p, MP_FOREVER), -ECHILD); /* never started */
    assert_false(mp_process_is_alive(&p));
    assert_int_equal(mp_process_start(&p), 0);
    assert_int_equal(mp_process_start(&p), -EALREADY); /* "cannot start a process twice" */
    assert_int_equal(mp_process_join(&p, MP_FOREVER), 0);
    assert_int_equal(mp_process_join(&p, MP_FOREVER), 0); /* joining again is harmless */
    assert_no_children();
}

static void test_names(void **state)
{
    (void)state;
    mp_process a, b;
    mp_process_init(&a, NULL, ret_arg, NULL);
    mp_process_init(&b, "mine", ret_arg, NULL);
    assert_memory_equal(a.name, "Process-", 8);
    assert_string_equal(b.name, "mine");
}

static void test_exitcode_from_status(void **state)
{
    (void)state;
    assert_int_equal(mp_exitcode_from_status(0), 0);
    assert_int_equal(mp_exitcode_from_status(7 << 8), 7);
    assert_int_equal(mp_exitcode_from_status(SIGKILL), -SIGKILL);
}

/* ---- what happens when the parent ends: run in a helper process ---- */

/* The helper starts children, tells us their PIDs through a pipe, then does
 * `then`: 'x' returns from main-like code (exit), 'p' pauses forever. */
typedef struct helper_plan {
    int nchildren;
    bool daemon;
    mp_target child_fn;
    intptr_t child_arg;
    char then;
} helper_plan;

static pid_t start_helper(helper_plan plan, pid_t *kids, int *done_fd)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t h = fork();
    assert_true(h >= 0);
    if (h == 0) {
        close(fds[0]);
        mp_report_quiet(1);
        static mp_process p[8];
        for (int i = 0; i < plan.nchildren; i++) {
            mp_process_init(&p[i], NULL, plan.child_fn, (void *)plan.child_arg);
            p[i].daemon = plan.daemon;
            if (mp_process_start(&p[i]) != 0)
                _exit(99);
            if (write(fds[1], &p[i].pid, sizeof p[i].pid) != sizeof p[i].pid)
                _exit(98);
        }
        if (plan.then == 'x')
            exit(0); /* runs the library's atexit handler, as returning from main does */
        for (;;)
            pause();
    }
    read_reported_pids(fds, kids, plan.nchildren, done_fd);
    return h;
}

static int wait_helper(pid_t h)
{
    int st;
    assert_int_equal(waitpid(h, &st, 0), h);
    return mp_exitcode_from_status(st);
}

/* Non-daemon children are joined at exit (Python's atexit handler): the
 * helper cannot have exited before its 200 ms child did. */
static void test_exit_joins_children(void **state)
{
    (void)state;
    pid_t kids[2];
    uint64_t t0 = mp_now_ns();
    pid_t h = start_helper((helper_plan){2, false, sleep_ms, 200, 'x'}, kids, NULL);
    assert_int_equal(wait_helper(h), 0);
    assert_true(mp_ns_to_s(mp_now_ns() - t0) >= 0.19);
    assert_true(pid_gone(kids[0], WAIT_S));
    assert_true(pid_gone(kids[1], WAIT_S));
    assert_no_children();
}

/* Daemon children are terminated at exit: the helper exits at once. */
static void test_exit_terminates_daemons(void **state)
{
    (void)state;
    pid_t kids[2];
    pid_t h = start_helper((helper_plan){2, true, child_sleep_forever, 0, 'x'}, kids, NULL);
    assert_int_equal(wait_helper(h), 0);
    assert_true(pid_gone(kids[0], WAIT_S));
    assert_true(pid_gone(kids[1], WAIT_S));
}

/* Ctrl-C: the helper's children are killed and reaped, and the helper dies
 * of SIGINT itself, as it would have without the library. */
static void test_sigint_stops_children(void **state)
{
    (void)state;
    pid_t kids[3];
    pid_t h = start_helper((helper_plan){3, false, child_sleep_forever, 0, 'p'}, kids, NULL);
    assert_int_equal(kill(h, SIGINT), 0);
    assert_int_equal(wait_helper(h), -SIGINT);
    for (int i = 0; i < 3; i++)
        assert_true(pid_gone(kids[i], WAIT_S));
}

/* SIGKILL leaves the helper no chance to clean up: the kernel kills its
 * children (PR_SET_PDEATHSIG), so none is left orphaned. */
static void test_sigkill_leaves_no_orphan(void **state)
{
    (void)state;
    pid_t kids[2];
    pid_t h = start_helper((helper_plan){2, false, child_sleep_forever, 0, 'p'}, kids, NULL);
    assert_int_equal(kill(h, SIGKILL), 0);
    assert_int_equal(wait_helper(h), -SIGKILL);
    assert_true(pid_gone(kids[0], WAIT_S));
    assert_true(pid_gone(kids[1], WAIT_S));
}

/* Wait up to timeout_s until pid has ended and can be reaped, without
 * reaping it (WNOWAIT). /proc may say 'Z' a little before that: the main
 * thread has exited while others (TSan's, say) are still on their way out. */
static bool ended_unreaped(pid_t pid, double timeout_s)
{
    uint64_t deadline = mp_now_ns() + (uint64_t)(timeout_s * 1e9);
    do {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
            return true;
        mp_sleep_ns(2000000);
    } while (mp_now_ns() < deadline);
    return false;
}

/* A child that is never joined becomes a zombie until it is reaped. (Under
 * TSan a child can take seconds to exit: hence the generous wait.) */
static void test_unjoined_child_is_zombie_until_reaped(void **state)
{
    (void)state;
    mp_process p;
    mp_process_init(&p, NULL, ret_arg, NULL);
    assert_int_equal(mp_process_start(&p), 0);
    assert_true(ended_unreaped(p.pid, WAIT_S));
    assert_int_equal(mp_proc_state(p.pid), 'Z');
    assert_int_equal(mp_active_children(), 1);
    assert_false(mp_process_is_alive(&p)); /* reaps it */
    assert_int_equal(mp_proc_state(p.pid), 0);
    assert_no_children();
}

/* Many children at once: all reaped, all exit codes right. */
static void test_many_children(void **state)
{
    (void)state;
    enum { N = 50 };
    mp_process p[N];
    for (int i = 0; i < N; i++) {
        mp_process_init(&p[i], NULL, ret_arg, (void *)(intptr_t)(i % 100));
        assert_int_equal(mp_process_start(&p[i]), 0);
    }
    for (int i = N - 1; i >= 0; i--) {
        assert_int_equal(mp_process_join(&p[i], WAIT_S), 0);
        assert_int_equal(p[i].exitcode, i % 100);
    }
    assert_no_children();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_exit_codes, teardown_children),
        cmocka_unit_test_teardown(test_terminate_and_kill, teardown_children),
        cmocka_unit_test_teardown(test_join_timeout, teardown_children),
        cmocka_unit_test_teardown(test_misuse, teardown_children),
        cmocka_unit_test_teardown(test_names, teardown_children),
        cmocka_unit_test_teardown(test_exitcode_from_status, teardown_children),
        cmocka_unit_test_teardown(test_exit_joins_children, teardown_children),
        cmocka_unit_test_teardown(test_exit_terminates_daemons, teardown_children),
        cmocka_unit_test_teardown(test_sigint_stops_children, teardown_children),
        cmocka_unit_test_teardown(test_sigkill_leaves_no_orphan, teardown_children),
        cmocka_unit_test_teardown(test_unjoined_child_is_zombie_until_reaped, teardown_children),
        cmocka_unit_test_teardown(test_many_children, teardown_children),
    };
    return cmocka_run_group_tests_name("process", tests, NULL, NULL);
}
