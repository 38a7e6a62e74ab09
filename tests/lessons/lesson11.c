/* Lesson 11 run as a student runs it: included by tests/test_lessons.c.
 * Asserted: the three files, their columns, and the accounting no load can
 * change -- requests in = results out in every run, every stage handled
 * every request; then a stage SIGKILLed mid-run makes the lesson stop with
 * a report, status 1, nothing left running, well within its time limit;
 * and Ctrl-C says how many requests were in flight. Never a rate. */

static void check_lesson11_run(const char *dir)
{
    char *p = csv(dir, "pipeline.csv");
    assert_header(p, "batch_size,max_wait_ms,requests,throughput_rps,p50_ms,p99_ms");
    int rows = 0;
    for (const char *line = strchr(p, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        int batch;
        double wait, rps, p50, p99;
        long requests;
        assert_int_equal(sscanf(line + 1, "%d,%lf,%ld,%lf,%lf,%lf", &batch, &wait, &requests, &rps, &p50, &p99), 6);
        /* --quick: every request of a run answered -- 200 per run of the batch sweep, 40 of the max-wait one */
        if (requests != 200 && requests != 40)
            fail_msg("pipeline.csv: %ld results in a run (200 or 40 were sent)", requests);
        assert_true(batch >= 1 && batch <= 256 && rps > 0 && p50 > 0 && p99 >= p50);
        rows++;
    }
    assert_int_equal(rows, 6); /* 3 batch sizes, 3 max waits */
    free(p);
    char *s = csv(dir, "stages.csv");
    assert_header(s, "stage,workers,items,busy_s,wait_s");
    const char *stages[] = {"source", "preprocess", "receiver", "batcher", "predictor"};
    for (int i = 0; i < 5; i++) {
        char row[48];
        snprintf(row, sizeof row, "\n%s,", stages[i]);
        if (csv_value(s, row, 2) != 200)
            fail_msg("stages.csv: %s handled %g requests, not 200", stages[i], csv_value(s, row, 2));
    }
    assert_true(csv_value(s, "\npreprocess,", 1) == 2);
    free(s);
    char *r = csv(dir, "rules.csv");
    assert_header(r, "rule,variant,throughput_rps,p50_ms");
    const char *rules[] = {"send-little-data", "communicate-rarely", "keep-main-light", "never-wait-idle"};
    for (int i = 0; i < 4; i++) {
        char row[48];
        snprintf(row, sizeof row, "\n%s,", rules[i]);
        const char *first = strstr(r, row);
        assert_non_null(first);
        assert_non_null(strstr(first + 1, row)); /* two variants */
    }
    free(r);
    char *out = read_output(dir, "out.txt");
    assert_verdict_yes(out, "every request got exactly one result, in every run");
    free(out);
}

static void test_lesson11(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(run_lesson("11", dir, NULL, NULL), 0);
    check_lesson11_run(dir);
    rm_tree(dir);
}

/* Start lesson-11 --quick with `env` set; wait until its five stages run;
 * then `sig` it (0: let it be). Returns its exit code; *kids its stages. */
static int run_lesson11_with(char *env, int sig, pid_t *kids, int *nkids, const char *dir)
{
    char *argv[] = {lesson_path("11"), "--quick", "--no-plot", "--out", (char *)dir, NULL};
    char *envp[] = {env, NULL};
    char err[4200];
    snprintf(err, sizeof err, "%s/err.txt", dir);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    fflush(NULL);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, env ? envp : environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    *nkids = 0;
    for (int tries = 0; tries < 5000 && *nkids < 5; tries++) {
        mp_sleep_ns(1000000);
        int n = mp_proc_children_of(pid, kids, 16, NULL);
        if (n > *nkids)
            *nkids = n > 16 ? 16 : n;
    }
    if (sig)
        kill(pid, sig);
    int st = 0;
    for (int i = 0; i < 30000 && waitpid(pid, &st, WNOHANG) == 0; i++)
        mp_sleep_ns(1000000);
    if (waitpid(pid, &st, WNOHANG) == 0 && kill(pid, 0) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        fail_msg("lesson-11 did not end within 30 s: a hang");
    }
    return mp_exitcode_from_status(st);
}

static void test_lesson11_stage_killed(void **state)
{
    (void)state;
    const char *victims[] = {"MPKIT_LESSON11_KILL=predictor", "MPKIT_LESSON11_KILL=preprocess-1"};
    for (int v = 0; v < 2; v++) {
        char *dir = make_tmpdir();
        pid_t kids[16];
        int nkids;
        int rc = run_lesson11_with((char *)victims[v], 0, kids, &nkids, dir);
        assert_int_equal(rc, 1);
        char *err = read_output(dir, "err.txt");
        if (!strstr(err, "ended with exit code -9 mid-run") || !strstr(err, "requests were in flight"))
            fail_msg("%s: no report of the dead stage: %s", victims[v], err);
        free(err);
        assert_true(nkids >= 5);
        for (int i = 0; i < nkids; i++)
            assert_true(pid_gone(kids[i], 5.0));
        rm_tree(dir);
    }
}

static void test_lesson11_interrupted(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    pid_t kids[16];
    int nkids;
    int rc = run_lesson11_with(NULL, SIGINT, kids, &nkids, dir);
    assert_int_equal(rc, -SIGINT);
    char *err = read_output(dir, "err.txt");
    if (!strstr(err, "requests were in flight"))
        fail_msg("Ctrl-C mid-run: no word of the requests in flight: %s", err);
    free(err);
    for (int i = 0; i < nkids; i++)
        assert_true(pid_gone(kids[i], 5.0));
    rm_tree(dir);
}

#define LESSON11_TESTS                                                                                   \
    cmocka_unit_test(test_lesson11), cmocka_unit_test(test_lesson11_stage_killed),                       \
        cmocka_unit_test(test_lesson11_interrupted)
