/* children: what every child gets and nothing more (descriptors), the
 * registry's limit, clean-up hooks with a context, the library's own
 * entries, the thread that starts a child, and starts that cannot block the
 * parent for good. This binary's main() calls mp_spawn_main() first. */
#include "helpers.h"

#include <dirent.h>
#include <sys/resource.h>
#include <sys/time.h>

static const int methods[] = {MP_START_FORK, MP_START_SPAWN, MP_START_FORKSERVER};

/* The child: send the parent the list of its open descriptors. */
static int list_fds(void *arg)
{
    (void)arg;
    int fds[64], n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 3;
    for (struct dirent *e; (e = readdir(d)) && n < 64;)
        if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
            fds[n++] = atoi(e->d_name);
    closedir(d);
    return mp_write_full(mp_child_fd(0), &n, sizeof n) == 0 && mp_write_full(mp_child_fd(0), fds, sizeof fds) == 0
               ? 0 : 4;
}

static int exit_with(void *arg) { return arg ? *(const int *)arg : 0; }
/* Say "running" on the handed pipe (the death signal is set by then), then wait. */
static int running_then_sleep(void *arg)
{
    (void)arg;
    char c = 'r';
    if (write(mp_child_fd(0), &c, 1) != 1)
        return 3;
    for (;;)
        pause();
    return 0;
}

/* Not in the program's table below: the library's own, as a pool's worker
 * loop would be. */
static int library_work(void *arg) { (void)arg; return 77; }
MP_LIBRARY_ENTRY(library_work)

/* Exit 0 if SIGHUP is still ignored here (the parent ignored it, as nohup does). */
static int hup_ignored(void *arg)
{
    (void)arg;
    struct sigaction sa;
    return sigaction(SIGHUP, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN ? 0 : 1;
}

/* Sleep half a second, then exit 5: a worker that outlives a few starts. */
static int work_a_while(void *arg)
{
    (void)arg;
    mp_sleep_ns(500000000);
    return 5;
}

static const mp_entry entries[] = {MP_ENTRY(list_fds), MP_ENTRY(exit_with), MP_ENTRY(child_sleep_forever),
                                   MP_ENTRY(hup_ignored), MP_ENTRY(work_a_while), {0}};

/* Every child holds 0, 1, 2 and what it was handed; nothing else, even a
 * descriptor the parent opened without close-on-exec. */
static void test_children_get_only_what_they_are_given(void **state)
{
    (void)state;
    int stray = open("/dev/null", O_RDONLY); /* not close-on-exec, on purpose */
    assert_true(stray >= 0);
    mp_trace_close(); /* no trace log: it would be one more descriptor */
    for (int m = 0; m < 3; m++) {
        int back[2];
        assert_int_equal(pipe2(back, O_CLOEXEC), 0);
        mp_process p;
        mp_process_init(&p, NULL, list_fds, NULL);
        p.start = methods[m];
        assert_int_equal(mp_process_pass_fd(&p, back[1]), 0);
        assert_int_equal(mp_process_start(&p), 0);
        close(back[1]);
        int n, fds[64];
        assert_int_equal(mp_read_full(back[0], &n, sizeof n), 0);
        assert_int_equal(mp_read_full(back[0], fds, sizeof fds), 0);
        assert_int_equal(mp_process_join(&p, 30.0), 0);
        assert_int_equal(p.exitcode, 0);
        close(back[0]);
        if (n != 4)
            fail_msg("%s child has %d descriptors open, not 0, 1, 2 and the one it was given",
                     mp_start_names[methods[m]], n);
        for (int i = 0; i < n; i++)
            assert_true(fds[i] != stray || (methods[m] != MP_START_FORK && fds[i] == 3));
    }
    close(stray);
}

static void test_bad_descriptor_is_an_error(void **state)
{
    (void)state;
    mp_process p;
    mp_process_init(&p, NULL, exit_with, NULL);
    assert_int_equal(mp_process_pass_fd(&p, 999), -EBADF);
    assert_int_equal(mp_process_pass_fd(&p, -1), -EBADF);
    assert_int_equal(p.nfds, 0);
}

static int count_open_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - (pid == getpid()); /* our own count includes the directory's descriptor */
}

static void test_registry_limit(void **state)
{
    (void)state;
    mp_process warm; /* the forkserver running before the count */
    mp_process_init(&warm, NULL, exit_with, NULL);
    warm.start = MP_START_FORKSERVER;
    assert_int_equal(mp_process_start(&warm), 0);
    assert_int_equal(mp_process_join(&warm, 30.0), 0);
    int fds_before = count_open_fds(getpid());
    int slots[MP_MAX_CHILDREN], n = 0;
    while (n < MP_MAX_CHILDREN && (slots[n] = mp_registry_reserve(MP_REG_OWN)) >= 0)
        n++;
    assert_true(n > 0 && n <= MP_MAX_CHILDREN);
    assert_int_equal(mp_registry_reserve(MP_REG_OWN), -EAGAIN);
    mp_process p;
    mp_report_quiet(1);
    for (int m = 0; m < 3; m++) { /* full: refused, in words, whatever the method */
        mp_process_init(&p, NULL, exit_with, NULL);
        p.start = methods[m];
        assert_int_equal(mp_process_start(&p), -EAGAIN);
        assert_int_equal(p.state, MP_PROC_NEW);
    }
    mp_report_quiet(0);
    assert_int_equal(count_open_fds(getpid()), fds_before); /* no descriptor leaked on the way */
    for (int i = 0; i < n; i++)
        mp_registry_release(slots[i]);
    assert_int_equal(mp_process_start(&p), 0);
    assert_int_equal(mp_process_join(&p, 30.0), 0);
}

/* A start the forkserver cannot serve (arguments over MP_MAX_ARGS_BYTES)
 * is refused by name, and the server and its other children carry on. */
static void test_forkserver_survives_a_refused_start(void **state)
{
    (void)state;
    mp_process sleeper, big;
    mp_process_init(&sleeper, NULL, child_sleep_forever, NULL);
    sleeper.start = MP_START_FORKSERVER;
    assert_int_equal(mp_process_start(&sleeper), 0);
    pid_t server = mp_forkserver_pid();
    int x = 0;
    mp_process_init(&big, NULL, exit_with, NULL);
    big.start = MP_START_FORKSERVER;
    mp_process_set_args(&big, &x, MP_MAX_ARGS_BYTES + 1); /* refused before a byte is read */
    mp_report_quiet(1);
    assert_int_equal(mp_process_start(&big), -E2BIG);
    mp_report_quiet(0);
    assert_true(mp_process_is_alive(&sleeper));
    assert_int_equal(mp_forkserver_pid(), server);
    /* the server keeps only its own descriptors: 0-2, its socket, the
     * trace log if any, its signalfd and one status pipe per child */
    assert_true(count_open_fds(server) <= 7);
    assert_int_equal(mp_process_kill(&sleeper), 0);
    assert_int_equal(mp_process_join(&sleeper, 30.0), 0);
}

static void test_library_entries(void **state)
{
    (void)state;
    for (int m = 1; m < 3; m++) { /* by name: spawn and forkserver */
        mp_process p;
        mp_process_init(&p, NULL, library_work, NULL);
        p.start = methods[m];
        assert_int_equal(mp_process_start(&p), 0);
        assert_int_equal(mp_process_join(&p, 30.0), 0);
        assert_int_equal(p.exitcode, 77);
    }
    assert_string_equal(mp_entry_name(library_work), "library_work");
    assert_true(mp_entry_find("exit_with") == exit_with); /* the program's table first */
}

/* What the parent ignores, every child ignores too (exec keeps SIG_IGN),
 * whatever the start method: a program under nohup has children under nohup.
 * (A fork server's children have the server's: it is started afresh here,
 * after the parent began to ignore the signal.) */
static void test_ignored_signals_stay_ignored(void **state)
{
    (void)state;
    mp_forkserver_stop();
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigemptyset(&ign.sa_mask);
    assert_int_equal(sigaction(SIGHUP, &ign, &old), 0);
    for (int m = 0; m < 3; m++) {
        mp_process p;
        mp_process_init(&p, NULL, hup_ignored, NULL);
        p.start = methods[m];
        assert_int_equal(mp_process_start(&p), 0);
        assert_int_equal(mp_process_join(&p, 30.0), 0);
        if (p.exitcode != 0)
            fail_msg("%s child: SIGHUP is no longer ignored", mp_start_names[methods[m]]);
    }
    mp_forkserver_stop(); /* the next test gets a server with SIGHUP as it was */
    sigaction(SIGHUP, &old, NULL);
}

/* A signal the program handles, arriving while a start waits for the fork
 * server's answer, is not the server's death: starts go on, and a worker
 * already running is left alone. */
static void on_alarm(int sig) { (void)sig; }

static void test_signals_during_forkserver_starts(void **state)
{
    (void)state;
    struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART}, old;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
    mp_process worker;
    mp_process_init(&worker, NULL, work_a_while, NULL);
    worker.start = MP_START_FORKSERVER;
    assert_int_equal(mp_process_start(&worker), 0);
    struct itimerval every = {{0, 200}, {0, 200}}, off = {{0, 0}, {0, 0}};
    assert_int_equal(setitimer(ITIMER_REAL, &every, NULL), 0);
    for (int i = 0; i < 20; i++) {
        int code = i;
        mp_process p;
        mp_process_init(&p, NULL, exit_with, NULL);
        p.start = MP_START_FORKSERVER;
        mp_process_set_args(&p, &code, sizeof code);
        assert_int_equal(mp_process_start(&p), 0);
        assert_int_equal(mp_process_join(&p, 30.0), 0);
        assert_int_equal(p.exitcode, i);
    }
    setitimer(ITIMER_REAL, &off, NULL);
    sigaction(SIGALRM, &old, NULL);
    assert_int_equal(mp_process_join(&worker, 30.0), 0);
    assert_int_equal(worker.exitcode, 5);
}

/* ---- helpers run as separate processes of this binary ---- */

static int run_helper(const char *mode, double timeout_s)
{
    char *dir = make_tmpdir();
    char *argv[] = {(char *)mp_spawn_exe(), (char *)mode, NULL};
    int rc = run_program(argv, dir, timeout_s);
    rm_tree(dir);
    return rc;
}

static void note(void *ctx) { (void)!write(1, ctx, strlen(ctx)); }

/* hooks: registered with a context, one removed; at exit the other runs */
static int helper_hooks(void)
{
    mp_on_cleanup(note, "first hook ran\n");
    int id = mp_on_cleanup(note, "removed hook ran\n");
    mp_cleanup_remove(id);
    mp_process p; /* any start installs the exit handler */
    mp_process_init(&p, NULL, exit_with, NULL);
    return mp_process_start(&p) == 0 && mp_process_join(&p, 30.0) == 0 ? 0 : 1;
}

static void test_cleanup_hooks(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *argv[] = {(char *)mp_spawn_exe(), "--helper-hooks", NULL};
    assert_int_equal(run_program(argv, dir, 60), 0);
    char *out = read_output(dir, "out.txt");
    assert_non_null(strstr(out, "first hook ran"));
    assert_null(strstr(out, "removed hook ran"));
    free(out);
    rm_tree(dir);
}

/* Under a descriptor limit of 32, spawn and forkserver starts still work. */
static int helper_fd_limit(void)
{
    struct rlimit rl = {32, 32};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 10;
    for (int m = 0; m < 3; m++) {
        int code = 40 + m;
        mp_process p;
        mp_process_init(&p, NULL, exit_with, NULL);
        p.start = methods[m];
        mp_process_set_args(&p, &code, sizeof code);
        if (mp_process_start(&p) != 0 || mp_process_join(&p, 30.0) != 0 || p.exitcode != code)
            return 20 + m;
    }
    return 0;
}

static void test_low_descriptor_limit(void **state)
{
    (void)state;
    assert_int_equal(run_helper("--helper-fd-limit", 60), 0);
}

/* A start whose child never reads its request (its main() is stuck before
 * mp_spawn_main) fails within the start timeout, and leaves no child. */
static int helper_stalled_child(void)
{
    setenv("TEST_CHILDREN_STALL", "1", 1); /* read by the spawned child's main() */
    setenv("MPKIT_START_TIMEOUT_MS", "500", 1);
    size_t len = 8 << 20; /* far more than a socket buffer holds */
    char *blob = calloc(1, len);
    mp_process p;
    mp_process_init(&p, NULL, exit_with, NULL);
    p.start = MP_START_SPAWN;
    mp_process_set_args(&p, blob, len);
    mp_report_quiet(1);
    int rc = mp_process_start(&p);
    free(blob);
    if (rc != -ETIMEDOUT)
        return 1;
    int zombies = 0;
    return mp_proc_count_children(&zombies) == 0 ? 0 : 2;
}

static void test_start_never_blocks_for_good(void **state)
{
    (void)state;
    assert_int_equal(run_helper("--helper-stalled-child", 60), 0);
}

/* A parent killed outright while it waits for a child that never reads its
 * request leaves no orphan: the child asked for its death signal first. */
static int helper_killed_while_starting(void)
{
    setenv("TEST_CHILDREN_STALL", "1", 1);
    size_t len = 8 << 20;
    char *blob = calloc(1, len);
    mp_process p;
    mp_process_init(&p, NULL, exit_with, NULL);
    p.start = MP_START_SPAWN;
    mp_process_set_args(&p, blob, len);
    mp_process_start(&p); /* blocks until the test kills us */
    return 1;
}

static void test_no_orphan_when_killed_while_starting(void **state)
{
    (void)state;
    char *argv[] = {(char *)mp_spawn_exe(), "--helper-killed-while-starting", NULL};
    pid_t h, kid = 0;
    assert_int_equal(posix_spawn(&h, argv[0], NULL, NULL, argv, environ), 0);
    for (int i = 0; i < 3000 && kid == 0; i++) { /* wait (up to 30 s) for its child */
        mp_sleep_ns(10000000);
        if (mp_proc_children_of(h, &kid, 1, NULL) < 1)
            kid = 0;
    }
    assert_true(kid > 0);
    mp_sleep_ns(100000000); /* let it block in the start */
    assert_int_equal(kill(h, SIGKILL), 0);
    assert_int_equal(waitpid(h, NULL, 0), h);
    assert_true(pid_gone(kid, 30.0));
}

/* An outside program a lesson runs (gnuplot, python3) is stopped with the
 * rest when the lesson is terminated. */
static int helper_program(void)
{
    char *argv[] = {"sleep", "1000", NULL};
    pid_t pid;
    if (mp_program_start(argv, &pid, NULL) != 0)
        return 1;
    if (write(STDOUT_FILENO, &pid, sizeof pid) != sizeof pid)
        return 2;
    mp_program_wait(pid); /* until the test terminates us */
    return 3;
}

static void outside_program_stopped_by(int sig)
{
    int out[2];
    assert_int_equal(pipe(out), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    char *argv[] = {(char *)mp_spawn_exe(), "--helper-program", NULL};
    pid_t h, prog;
    assert_int_equal(posix_spawn(&h, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    assert_int_equal(mp_read_full(out[0], &prog, sizeof prog), 0);
    close(out[0]);
    assert_int_equal(kill(h, sig), 0);
    int st;
    assert_int_equal(waitpid(h, &st, 0), h);
    assert_int_equal(mp_exitcode_from_status(st), -sig);
    assert_true(pid_gone(prog, 30.0));
}

/* ...by the clean-up on SIGTERM, and by its death signal on SIGKILL */
static void test_outside_programs_are_stopped(void **state)
{
    (void)state;
    outside_program_stopped_by(SIGTERM);
    outside_program_stopped_by(SIGKILL);
}

/* A fork server whose start stalls (its main() stuck before the guard) is
 * an error within the start time limit, not a start that never returns. */
static int helper_stalled_server(void)
{
    setenv("TEST_CHILDREN_STALL", "1", 1); /* the server is a spawned copy too */
    setenv("MPKIT_START_TIMEOUT_MS", "500", 1);
    mp_process p;
    mp_process_init(&p, NULL, exit_with, NULL);
    p.start = MP_START_FORKSERVER;
    mp_report_quiet(1);
    return mp_process_start(&p) != 0 ? 0 : 1;
}

static void test_stalled_forkserver_is_an_error(void **state)
{
    (void)state;
    assert_int_equal(run_helper("--helper-stalled-server", 60), 0);
}

/* PR_SET_PDEATHSIG fires when the thread that started a child exits: a
 * child started from a short-lived thread dies with that thread; one
 * started from a thread that outlives it (the main thread) does not. The
 * thread waits for the child's "running" first: from then on the child has
 * asked for its death signal (before that, a thread that ends at once could
 * beat it to it, and the child would live on). */
static int child_running_fd; /* where the starting thread hears "running" */

static void *start_from_thread(void *arg)
{
    mp_process *p = arg;
    assert_int_equal(mp_process_start(p), 0);
    char c;
    assert_int_equal(mp_read_full(child_running_fd, &c, 1), 0);
    return NULL; /* the thread ends here */
}

static void test_the_starting_thread_matters(void **state)
{
    (void)state;
    mp_process p, q;
    int ready[2];
    assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
    mp_process_init(&p, "from-a-thread", running_then_sleep, NULL);
    p.start = MP_START_FORK;
    mp_process_pass_fd(&p, ready[1]);
    child_running_fd = ready[0];
    mp_thread t;
    mp_thread_init(&t, NULL, start_from_thread, &p);
    assert_int_equal(mp_thread_start(&t), 0);
    assert_int_equal(mp_thread_join(&t, NULL), 0);
    assert_int_equal(mp_process_join(&p, 30.0), 0); /* it died with its thread... */
    assert_int_equal(p.exitcode, -SIGKILL);         /* ...of the death signal */
    close(ready[0]);
    close(ready[1]);

    mp_process_init(&q, "from-main", child_sleep_forever, NULL);
    q.start = MP_START_FORK;
    assert_int_equal(mp_process_start(&q), 0);
    assert_int_equal(mp_process_join(&q, 0.2), -ETIMEDOUT); /* still running */
    assert_int_equal(mp_process_kill(&q), 0);
    assert_int_equal(mp_process_join(&q, 30.0), 0);
}

/* A plain fork() of a program that has children (not a child the kit
 * made) carries a copy of the registry and of the exit handler. Its exit
 * must not terminate or wait for its parent's children, and its own
 * children are its own. */
static void test_plain_fork_leaves_parents_children_alone(void **state)
{
    (void)state;
    mp_process daemon_child;
    mp_process_init(&daemon_child, "daemon", child_sleep_forever, NULL);
    daemon_child.daemon = true; /* the exit handler would SIGTERM it */
    assert_int_equal(mp_process_start(&daemon_child), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        mp_process own;
        mp_process_init(&own, "own", child_sleep_forever, NULL);
        own.daemon = true;
        if (mp_process_start(&own) != 0)
            _exit(3);
        exit(0); /* the exit handler: stops its own daemon, not its parent's */
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_true(mp_process_is_alive(&daemon_child));
    assert_int_equal(mp_process_kill(&daemon_child), 0);
    assert_int_equal(mp_process_join(&daemon_child, 30), 0);
    assert_int_equal(daemon_child.exitcode, -SIGKILL);
}

int main(int argc, char **argv)
{
    if (getenv("TEST_CHILDREN_STALL") && getenv("MPKIT_SPAWNED"))
        pause(); /* a spawned child stuck before its guard: it never reads its request */
    mp_spawn_main(argc, argv, entries);
    if (argc == 2 && strcmp(argv[1], "--helper-hooks") == 0)
        return helper_hooks();
    if (argc == 2 && strcmp(argv[1], "--helper-fd-limit") == 0)
        return helper_fd_limit();
    if (argc == 2 && strcmp(argv[1], "--helper-stalled-child") == 0)
        return helper_stalled_child();
    if (argc == 2 && strcmp(argv[1], "--helper-killed-while-starting") == 0)
        return helper_killed_while_starting();
    if (argc == 2 && strcmp(argv[1], "--helper-program") == 0)
        return helper_program();
    if (argc == 2 && strcmp(argv[1], "--helper-stalled-server") == 0)
        return helper_stalled_server();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_children_get_only_what_they_are_given),
        cmocka_unit_test(test_bad_descriptor_is_an_error),
        cmocka_unit_test(test_registry_limit),
        cmocka_unit_test(test_library_entries),
        cmocka_unit_test(test_cleanup_hooks),
        cmocka_unit_test(test_low_descriptor_limit),
        cmocka_unit_test(test_start_never_blocks_for_good),
        cmocka_unit_test(test_the_starting_thread_matters),
        cmocka_unit_test(test_forkserver_survives_a_refused_start),
        cmocka_unit_test(test_no_orphan_when_killed_while_starting),
        cmocka_unit_test(test_outside_programs_are_stopped),
        cmocka_unit_test(test_ignored_signals_stay_ignored),
        cmocka_unit_test(test_signals_during_forkserver_starts),
        cmocka_unit_test(test_stalled_forkserver_is_an_error),
        cmocka_unit_test(test_plain_fork_leaves_parents_children_alone),
    };
    int rc = cmocka_run_group_tests_name("children", tests, NULL, NULL);
    mp_forkserver_stop();
    return rc;
}
