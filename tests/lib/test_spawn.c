/* spawn and forkserver: registered functions with byte arguments, the same
 * exit codes, timeouts and clean-up as fork; clean errors for unregistered
 * names and truncated arguments; the forkserver survives a crashing child;
 * nothing is left behind, also after SIGINT. This binary's main() calls
 * mp_spawn_main() first, as every program that spawns must. */
#include "helpers.h"

typedef struct pair { int a, b; } pair;

static int add(void *arg)
{
    const pair *p = arg;
    return p ? p->a + p->b : 100;
}
static int write_to_passed_fd(void *arg)
{
    const char *msg = arg;
    return write(mp_child_fd(0), msg, strlen(msg)) == (ssize_t)strlen(msg) ? 0 : 1;
}
static int record_trace(void *arg)
{
    (void)arg;
    mp_trace_begin("spawned work");
    mp_trace_end("spawned work");
    return 0;
}
static int not_registered(void *arg) { (void)arg; return 0; }

static const mp_entry entries[] = {MP_ENTRY(add), MP_ENTRY(child_die_by), MP_ENTRY(child_sleep_forever),
                                   MP_ENTRY(write_to_passed_fd), MP_ENTRY(record_trace), {0}};

static const int methods[] = {MP_START_SPAWN, MP_START_FORKSERVER, MP_START_FORK};

static void start_with(mp_process *p, int method, mp_target fn, const void *args, size_t len)
{
    mp_process_init(p, NULL, fn, NULL);
    p->start = method;
    mp_process_set_args(p, args, len);
    int rc = mp_process_start(p);
    if (rc != 0)
        fail_msg("%s start: %s", mp_start_names[method], strerror(-rc));
}

static void test_runs_registered_function_with_args(void **state)
{
    (void)state;
    for (int m = 0; m < 3; m++) {
        pair args = {20, 22 + m};
        mp_process p;
        start_with(&p, methods[m], add, &args, sizeof args);
        assert_int_equal(mp_process_join(&p, 20.0), 0);
        assert_int_equal(p.exitcode, 42 + m);
        start_with(&p, methods[m], add, NULL, 0); /* no argument: NULL in the child */
        assert_int_equal(mp_process_join(&p, 20.0), 0);
        assert_int_equal(p.exitcode, 100);
    }
    assert_int_equal(mp_active_children(), 0);
}

static void test_signals_and_timeouts(void **state)
{
    (void)state;
    for (int m = 0; m < 3; m++) {
        int sig = SIGSEGV;
        mp_process p, q;
        start_with(&p, methods[m], child_die_by, &sig, sizeof sig);
        assert_int_equal(mp_process_join(&p, 20.0), 0);
        assert_int_equal(p.exitcode, -SIGSEGV);

        start_with(&q, methods[m], child_sleep_forever, NULL, 0);
        assert_int_equal(mp_process_join(&q, 0.1), -ETIMEDOUT);
        assert_true(mp_process_is_alive(&q));
        assert_int_equal(mp_process_terminate(&q), 0);
        assert_int_equal(mp_process_join(&q, 20.0), 0);
        assert_int_equal(q.exitcode, -SIGTERM);

        start_with(&q, methods[m], child_sleep_forever, NULL, 0);
        assert_int_equal(mp_process_kill(&q), 0);
        assert_int_equal(mp_process_join(&q, MP_FOREVER), 0);
        assert_int_equal(q.exitcode, -SIGKILL);
    }
    assert_int_equal(mp_active_children(), 0);
}

static void test_clean_errors(void **state)
{
    (void)state;
    mp_report_quiet(1);
    for (int m = 0; m < 2; m++) {
        mp_process p;
        mp_process_init(&p, NULL, not_registered, NULL);
        p.start = methods[m];
        assert_int_equal(mp_process_start(&p), -ENOENT);
        int x = 5;
        mp_process_init(&p, NULL, add, &x); /* a pointer, not bytes */
        p.start = methods[m];
        assert_int_equal(mp_process_start(&p), -EINVAL);
        assert_int_equal(p.state, MP_PROC_NEW);
    }
    mp_report_quiet(0);
    assert_int_equal(mp_active_children(), 0);
}

/* What a spawned child does with a request that is cut short or names an
 * unknown function: it answers with an error and exits; nobody hangs. The
 * request is written by hand here, in the documented wire format
 * (request.h), on the socket a spawned child finds at descriptor 3. */
static int hand_made_request(const char *name, uint64_t declared, uint64_t sent, mp_reply *reply)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    pid_t pid;
    assert_int_equal(mp_spawn_self("--mp-spawn", &sv[1], 1, &pid), 0);
    close(sv[1]);
    mp_request_header h = {.magic = MP_REQUEST_MAGIC, .name_len = (uint32_t)strlen(name), .role_len = 4,
                           .args_len = declared, .parent = (int32_t)getpid(), .trace = -1, .trace_fd = -1};
    char payload[256] = {0};
    assert_int_equal(mp_write_full(sv[0], &h, sizeof h), 0);
    assert_int_equal(mp_write_full(sv[0], name, strlen(name)), 0);
    assert_int_equal(mp_write_full(sv[0], "test", 4), 0);
    assert_int_equal(mp_write_full(sv[0], payload, sent), 0);
    shutdown(sv[0], SHUT_WR); /* the rest never comes */
    assert_int_equal(mp_read_full(sv[0], reply, sizeof *reply), 0);
    close(sv[0]);
    int wst;
    assert_int_equal(waitpid(pid, &wst, 0), pid);
    return mp_exitcode_from_status(wst);
}

static void test_truncated_and_unknown_requests(void **state)
{
    (void)state;
    mp_reply reply;
    assert_int_equal(hand_made_request("add", 100, 10, &reply), 2);
    assert_int_equal(reply.status, -EPROTO);
    assert_int_equal(hand_made_request("no_such_function", 8, 8, &reply), 2);
    assert_int_equal(reply.status, -ENOENT);
    assert_int_equal(hand_made_request("add", sizeof(pair), sizeof(pair), &reply), 0); /* whole: runs */
    assert_int_equal(reply.status, 0);
}

static void test_passed_descriptors(void **state)
{
    (void)state;
    for (int m = 0; m < 3; m++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        mp_process p;
        const char *msg = "through a passed pipe";
        mp_process_init(&p, NULL, write_to_passed_fd, NULL);
        p.start = methods[m];
        mp_process_set_args(&p, msg, strlen(msg) + 1);
        assert_int_equal(mp_process_pass_fd(&p, fds[1]), 0);
        assert_int_equal(mp_process_start(&p), 0);
        close(fds[1]);
        char buf[64] = {0};
        assert_int_equal(mp_read_full(fds[0], buf, strlen(msg)), 0);
        assert_string_equal(buf, msg);
        assert_int_equal(mp_process_join(&p, 20.0), 0);
        assert_int_equal(p.exitcode, 0);
        close(fds[0]);
    }
}

static void test_forkserver_survives_a_crash(void **state)
{
    (void)state;
    int sig = SIGSEGV;
    mp_process p;
    start_with(&p, MP_START_FORKSERVER, child_die_by, &sig, sizeof sig);
    pid_t server = mp_forkserver_pid();
    assert_true(server > 0);
    assert_int_equal(mp_process_join(&p, 20.0), 0);
    assert_int_equal(p.exitcode, -SIGSEGV);
    pair args = {1, 2};
    start_with(&p, MP_START_FORKSERVER, add, &args, sizeof args);
    assert_int_equal(mp_process_join(&p, 20.0), 0);
    assert_int_equal(p.exitcode, 3);
    assert_int_equal(mp_forkserver_pid(), server); /* the same server */
    assert_int_equal(mp_proc_ppid(p.pid) == server || mp_proc_state(p.pid) == 0, 1);
}

static void test_trace_from_spawned_children(void **state)
{
    (void)state;
    mp_forkserver_stop(); /* a new server maps the new trace log */
    mp_trace_close();
    assert_int_equal(mp_trace_init(16, 64), 0);
    mp_trace_enable(true);
    pid_t pids[2];
    for (int m = 0; m < 2; m++) {
        mp_process p;
        start_with(&p, methods[m], record_trace, NULL, 0);
        pids[m] = p.pid;
        assert_int_equal(mp_process_join(&p, 20.0), 0);
    }
    mp_trace_lane lanes[16];
    int n = mp_trace_lanes(lanes, 16), found = 0;
    for (int i = 0; i < n; i++)
        for (int m = 0; m < 2; m++)
            if (lanes[i].pid == pids[m] && lanes[i].count == 2)
                found++;
    assert_int_equal(found, 2);
    mp_trace_close();
    mp_forkserver_stop();
}

/* ---- the program ending: run this binary as a helper ---- */

static pid_t helper(const char *mode, pid_t *pids, int n, int *out_fd)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    char fdarg[16];
    snprintf(fdarg, sizeof fdarg, "%d", fds[1]);
    char *argv[] = {(char *)mp_spawn_exe(), (char *)mode, fdarg, NULL};
    pid_t h;
    assert_int_equal(posix_spawn(&h, argv[0], NULL, NULL, argv, environ), 0);
    read_reported_pids(fds, pids, n, out_fd);
    return h;
}

/* helper: a forkserver child, a spawned child, and the server; then wait. */
static int helper_main(int fd, bool wait_for_signal)
{
    mp_report_quiet(1);
    mp_process a, b;
    mp_process_init(&a, NULL, child_sleep_forever, NULL);
    a.start = MP_START_FORKSERVER;
    mp_process_init(&b, NULL, child_sleep_forever, NULL);
    b.start = MP_START_SPAWN;
    if (!wait_for_signal) /* normal exit: daemons are terminated, not waited for */
        a.daemon = b.daemon = true;
    if (mp_process_start(&a) != 0 || mp_process_start(&b) != 0)
        return 3;
    pid_t server = mp_forkserver_pid();
    pid_t pids[3] = {a.pid, b.pid, server};
    if (write(fd, pids, sizeof pids) != sizeof pids)
        return 4;
    if (wait_for_signal)
        for (;;)
            pause();
    return 0;
}

static void test_nothing_left_after_exit(void **state)
{
    (void)state;
    pid_t pids[3];
    pid_t h = helper("--helper-exit", pids, 3, NULL);
    int st;
    assert_int_equal(waitpid(h, &st, 0), h);
    assert_int_equal(mp_exitcode_from_status(st), 0);
    for (int i = 0; i < 3; i++)
        assert_true(pid_gone(pids[i], 5.0));
}

static void test_nothing_left_after_sigint(void **state)
{
    (void)state;
    pid_t pids[3];
    pid_t h = helper("--helper-sigint", pids, 3, NULL);
    assert_int_equal(kill(h, SIGINT), 0);
    int st;
    assert_int_equal(waitpid(h, &st, 0), h);
    assert_int_equal(mp_exitcode_from_status(st), -SIGINT);
    for (int i = 0; i < 3; i++)
        assert_true(pid_gone(pids[i], 5.0));
}

/* A spawned child whose main() starts a process before reaching
 * mp_spawn_main (no guard): a clean error, as Python's RuntimeError. */
static void test_missing_guard(void **state)
{
    (void)state;
    char *argv[] = {(char *)mp_spawn_exe(), "--helper-unguarded", NULL};
    char **env = mp_spawn_environ(); /* as a spawned child would have it */
    pid_t h;
    assert_int_equal(posix_spawn(&h, argv[0], NULL, NULL, argv, env), 0);
    free(env);
    int st;
    assert_int_equal(waitpid(h, &st, 0), h);
    assert_int_equal(mp_exitcode_from_status(st), 42);
}

/* A forked child terminated the moment it starts must not run the clean-up
 * on the parent's registry, which it carries until it has forgotten it:
 * that would kill the parent's other children and its forkserver. */
static void test_child_terminated_at_once_spares_siblings(void **state)
{
    (void)state;
    mp_process sibling, served;
    start_with(&sibling, MP_START_FORK, child_sleep_forever, NULL, 0);
    pair args = {3, 4};
    start_with(&served, MP_START_FORKSERVER, add, &args, sizeof args); /* the server runs from here on */
    assert_int_equal(mp_process_join(&served, 30), 0);
    pid_t server = mp_forkserver_pid();
    assert_true(server > 0);
    for (int i = 0; i < 100; i++) {
        mp_process p;
        start_with(&p, MP_START_FORK, child_sleep_forever, NULL, 0);
        assert_int_equal(mp_process_terminate(&p), 0); /* at once: maybe before it forgot */
        assert_int_equal(mp_process_join(&p, 30), 0);
        assert_int_equal(p.exitcode, -SIGTERM);
    }
    assert_true(mp_process_is_alive(&sibling));
    assert_int_equal(kill(server, 0), 0);
    start_with(&served, MP_START_FORKSERVER, add, &args, sizeof args); /* the same server still answers */
    assert_int_equal(mp_process_join(&served, 30), 0);
    assert_int_equal(served.exitcode, 7);
    assert_int_equal(mp_forkserver_pid(), server);
    assert_int_equal(mp_process_kill(&sibling), 0);
    assert_int_equal(mp_process_join(&sibling, 30), 0);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--helper-unguarded") == 0) {
        /* "top-level code" before the guard */
        mp_report_quiet(1);
        mp_process p;
        mp_process_init(&p, NULL, add, NULL);
        return mp_process_start(&p) == -EDEADLK ? 42 : 1;
    }
    mp_spawn_main(argc, argv, entries); /* the guard: spawned children stop here */
    if (argc == 3 && strcmp(argv[1], "--helper-exit") == 0)
        return helper_main(atoi(argv[2]), false);
    if (argc == 3 && strcmp(argv[1], "--helper-sigint") == 0)
        return helper_main(atoi(argv[2]), true);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_registered_function_with_args),
        cmocka_unit_test(test_signals_and_timeouts),
        cmocka_unit_test(test_clean_errors),
        cmocka_unit_test(test_truncated_and_unknown_requests),
        cmocka_unit_test(test_passed_descriptors),
        cmocka_unit_test(test_forkserver_survives_a_crash),
        cmocka_unit_test(test_trace_from_spawned_children),
        cmocka_unit_test(test_nothing_left_after_exit),
        cmocka_unit_test(test_nothing_left_after_sigint),
        cmocka_unit_test(test_missing_guard),
        cmocka_unit_test_teardown(test_child_terminated_at_once_spares_siblings, teardown_children),
    };
    int rc = cmocka_run_group_tests_name("spawn and forkserver", tests, NULL, NULL);
    mp_forkserver_stop();
    return rc;
}
