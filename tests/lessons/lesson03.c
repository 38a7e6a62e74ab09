/* Lesson 03 run as a student runs it: included by tests/test_lessons.c.
 * Only what the algorithms decide is asserted -- rows, columns, counters a
 * lock that never waits must leave at zero, the new lock's ceiling of one
 * hand-over per interval -- never a time or a speed ratio: those belong to
 * the lesson's closing verdicts. */
#include <sys/prctl.h> /* PR_SET_CHILD_SUBREAPER: Linux-specific */

/* How many rows (lines after the header) a CSV text has. */
static int csv_rows(const char *text) { return count_lines(text) - 1; }

static void test_lesson03(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(run_lesson("03", dir, NULL, NULL), 0);

    char *g = csv(dir, "gil.csv");
    assert_header(g, "mode,workers,pinned,median_s,min_s,max_s,cpu_s,ratio,handoffs,failed_wakeups,wakeups");
    assert_int_equal(csv_rows(g), 6);
    assert_non_null(strstr(g, "\nsequential,1,0,"));
    assert_non_null(strstr(g, "\nnew,2,0,"));
    assert_non_null(strstr(g, "\nold,2,0,"));
    assert_non_null(strstr(g, "\nold,2,1,"));
    assert_non_null(strstr(g, "\nnone,2,0,"));
    assert_non_null(strstr(g, "\nprocess,2,0,"));
    assert_true(csv_value(g, "\nsequential,", 7) == 1.0); /* the baseline's ratio, by definition */
    /* one thread alone never waits; no lock, nothing to wait for */
    for (int col = 8; col <= 10; col++) {
        assert_true(csv_value(g, "\nsequential,", col) == 0);
        assert_true(csv_value(g, "\nnone,", col) == 0);
    }
    /* a failed wake-up is a wake-up: never more of them than wake-ups */
    assert_true(csv_value(g, "\nnew,", 9) <= csv_value(g, "\nnew,", 10));
    assert_true(csv_value(g, "\nold,2,0,", 9) <= csv_value(g, "\nold,2,0,", 10));
    assert_true(csv_value(g, "\nold,2,1,", 9) <= csv_value(g, "\nold,2,1,", 10));
    free(g);

    char *c = csv(dir, "convoy.csv");
    assert_header(c, "setup,interval_us,cpu_threads,median_us,p99_us,requests");
    assert_int_equal(csv_rows(c), 6);
    assert_non_null(strstr(c, "\nalone,5000,0,"));
    assert_non_null(strstr(c, "\nthreads,5000,1,"));
    assert_non_null(strstr(c, "\nthreads,1000,1,"));
    assert_non_null(strstr(c, "\nthreads,100,1,"));
    assert_non_null(strstr(c, "\nthreads,5000,2,"));
    assert_non_null(strstr(c, "\nprocess,5000,1,"));
    assert_true(csv_value(c, "\nthreads,5000,2,", 5) >= 3);
    free(c);

    /* the new lock changes hands at most once per whole interval, plus once
     * per thread finishing: a waiter asks for the lock only after waiting a
     * full interval with no switch (a slow machine only raises the ceiling) */
    char *s = csv(dir, "sweep.csv");
    assert_header(s, "interval_us,median_s,handoffs,handoffs_per_s,min_s,max_s");
    assert_int_equal(csv_rows(s), 4);
    const char *rows[] = {"\n100,", "\n1000,", "\n5000,", "\n50000,"};
    for (int i = 0; i < 4; i++) {
        double interval_s = csv_value(s, rows[i], 0) / 1e6;
        assert_true(csv_value(s, rows[i], 2) <= csv_value(s, rows[i], 1) / interval_s + 2);
    }
    free(s);

    char *io = csv(dir, "io.csv");
    assert_header(io, "setup,threads,median_s,speedup");
    assert_non_null(strstr(io, "\nsequential,1,"));
    assert_non_null(strstr(io, "\nreleased,4,"));
    assert_non_null(strstr(io, "\nheld,4,"));
    free(io);

    if (mp_have_program("python3")) {
        char *py = csv(dir, "cpython.csv");
        assert_header(py, "experiment,setup,median,unit,min,max");
        assert_non_null(strstr(py, "\ncountdown,sequential,"));
        assert_non_null(strstr(py, "\ncountdown,threads,"));
        assert_non_null(strstr(py, "\ncountdown,processes,"));
        assert_non_null(strstr(py, "\nconvoy,alone,"));
        assert_non_null(strstr(py, "\nconvoy,threads-5000,"));
        assert_non_null(strstr(py, "\nconvoy,process,"));
        free(py);
    }
    rm_tree(dir);
}

/* Part 3's server killed while the lesson uses it: the lesson must say
 * which server ended and how, stop the CPU work it started and exit 1 in
 * bounded time -- never hang joining a CPU-bound child, never die silently
 * of SIGPIPE. Twice: killed as soon as it is seen (the "alone" round
 * trips), and killed while a CPU-bound process runs beside it (the
 * "process" setup). The test is a child subreaper meanwhile, so anything
 * the lesson left behind would become its child and be seen. */
static void kill_the_server(bool during_cpu_process)
{
    char *dir = make_tmpdir();
    char out[PATH_MAX], err[PATH_MAX];
    snprintf(out, sizeof out, "%s/out.txt", dir);
    snprintf(err, sizeof err, "%s/err.txt", dir);
    char *argv[] = {lesson_path("03"), "--quick", "--no-plot", "--out", dir, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    pid_t pid;
    fflush(NULL);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);

    /* the lesson prints its server's PID: "the server: pid N" */
    pid_t server = 0;
    bool killed = false;
    uint64_t deadline = mp_now_ns() + 60000000000u;
    while (!killed && mp_now_ns() < deadline && waitpid(pid, NULL, WNOHANG) == 0) {
        mp_sleep_ns(1000000);
        char *text = read_file(out);
        const char *at = text ? strstr(text, "the server: pid ") : NULL;
        if (at && !server)
            server = (pid_t)atoi(at + strlen("the server: pid "));
        free(text);
        if (!server)
            continue;
        pid_t kids[16];
        int n = mp_proc_children_of(pid, kids, 16, NULL), others = 0;
        bool is_child = false;
        for (int i = 0; i < n && i < 16; i++) {
            if (kids[i] == server)
                is_child = true;
            else if (mp_proc_state(kids[i]) != 'Z')
                others++;
        }
        if (!is_child) {
            kill(pid, SIGKILL);
            fail_msg("pid %d, printed as the server, is not a child of the lesson", (int)server);
        }
        if (!during_cpu_process || others > 0)
            killed = kill(server, SIGKILL) == 0;
    }
    if (!killed) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("the lesson's server was never found to kill");
    }
    /* it must stop by itself, soon */
    int st = 0;
    deadline = mp_now_ns() + 30000000000u;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (mp_now_ns() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            fail_msg("the lesson did not end within 30 s of its server's death");
        }
        mp_sleep_ns(5000000);
    }
    assert_int_equal(mp_exitcode_from_status(st), 1);
    char *text = read_file(err);
    char expect[64];
    snprintf(expect, sizeof expect, "the server (pid %d) ended", (int)server);
    if (!text || !strstr(text, expect))
        fail_msg("stderr does not say \"%s\": %s", expect, text ? text : "(nothing)");
    assert_non_null(strstr(text, "signal 9"));
    free(text);
    /* nothing left: no orphan was handed to us, the subreaper */
    for (int tries = 0; tries < 600; tries++) {
        while (waitpid(-1, NULL, WNOHANG) > 0) /* orphans that already ended */
            ;
        if (mp_proc_count_children(NULL) == 0)
            break;
        mp_sleep_ns(5000000);
    }
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
    assert_int_equal(mp_proc_count_children(NULL), 0);
    rm_tree(dir);
}

static void test_lesson03_server_killed(void **state)
{
    (void)state;
    kill_the_server(false);
    kill_the_server(true);
}
