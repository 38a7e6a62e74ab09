/* Lesson 13 run as a student runs it: included by tests/test_lessons.c.
 * Asserted: --quick really launches 2 ranks (each says hello once, with its
 * own PID), mpi.csv has exactly its columns and every row the run promises,
 * the counts and sums the ranks and the pool computed match the plain loop,
 * every ping-pong payload arrived intact; a hostfile of this machine's names
 * is run and its command printed; a bad --hostfile is refused with one line
 * and status 2; a rank that exits 3 makes the lesson stop with status 1 and
 * a clear message, and a Ctrl-C stops it -- each within a bounded time and
 * with nothing left running (mpiexec, MPICH's proxy, the ranks, the pool's
 * workers: every process that carries the test's tag in its environment,
 * which mpiexec hands on to the ranks). Never a rate or a time. */

#define L13_LIMIT_S 60.0 /* generous: a --quick run takes a few seconds */

/* Does the lesson's out.txt in dir hold text yet? */
static bool said(const char *dir, const char *text)
{
    char *out = read_output(dir, "out.txt");
    bool yes = out && strstr(out, text);
    free(out);
    return yes;
}

/* A rank runs: a grandchild of mpiexec, which is the lesson's child. */
static bool rank_runs(pid_t lesson)
{
    pid_t kids[64], grand[64], ranks[64];
    int nk = mp_proc_children_of(lesson, kids, 64, NULL);
    for (int i = 0; i < nk && i < 64; i++) {
        int ng = mp_proc_children_of(kids[i], grand, 64, NULL);
        for (int g = 0; g < ng && g < 64; g++)
            if (mp_proc_children_of(grand[g], ranks, 64, NULL) > 0)
                return true;
    }
    return false;
}

/* Run lesson 13 --quick --no-plot --out dir [words...] with tag (and
 * more, may be NULL) added to its environment; its exit code, or -1000 if
 * it did not end within L13_LIMIT_S. With sig, that signal is sent once
 * part 2's primes job has started and its ranks have had 0.3 s to get
 * going (a part 1 job's MPI_Init took about that), and the code is the
 * lesson's after it. */
static int run_lesson13(const char *dir, const char *tag, const char *more, int sig, char *const words[])
{
    char *argv[16] = {lesson_path("13"), "--quick", "--no-plot", "--out", (char *)dir};
    int n = 5;
    for (int i = 0; words && words[i] && n < 15; i++)
        argv[n++] = words[i];
    argv[n] = NULL;
    char *envp[512];
    int k = 0;
    for (char **e = environ; *e && k < 509; e++)
        envp[k++] = *e;
    envp[k++] = (char *)tag;
    if (more)
        envp[k++] = (char *)more;
    envp[k] = NULL;
    char out[4200], err[4200];
    snprintf(out, sizeof out, "%s/out.txt", dir);
    snprintf(err, sizeof err, "%s/err.txt", dir);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    fflush(NULL);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, envp), 0);
    posix_spawn_file_actions_destroy(&fa);
    uint64_t deadline = mp_now_ns() + (uint64_t)(L13_LIMIT_S * 1e9);
    bool signalled = sig == 0;
    int st;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (mp_now_ns() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1000;
        }
        if (!signalled && said(dir, "lesson13-ranks primes") && rank_runs(pid)) {
            mp_sleep_ns(300000000);
            kill(pid, sig);
            signalled = true;
        }
        mp_sleep_ns(signalled ? 5000000 : 1000000);
    }
    return mp_exitcode_from_status(st);
}

/* Processes (other than this one) whose environment holds tag. */
static int tagged_processes(const char *tag, pid_t *first)
{
    DIR *d = opendir("/proc");
    assert_non_null(d);
    int n = 0;
    size_t len = strlen(tag);
    static char env[1 << 16];
    for (struct dirent *e; (e = readdir(d));) {
        pid_t pid = (pid_t)atoi(e->d_name);
        if (pid <= 0 || pid == getpid())
            continue;
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t got = read(fd, env, sizeof env - 1);
        close(fd);
        for (ssize_t i = 0; got > 0 && i + (ssize_t)len <= got; i += (ssize_t)strlen(env + i) + 1)
            if (memcmp(env + i, tag, len) == 0 && env[i + len] == '\0' && mp_proc_state(pid) != 'Z') {
                if (n++ == 0 && first)
                    *first = pid;
                break;
            }
    }
    closedir(d);
    return n;
}

/* Nothing carrying tag runs, within a few seconds (MPICH's proxy kills
 * the ranks once mpiexec is gone; that takes a moment). */
static void assert_nothing_tagged(const char *tag)
{
    pid_t first = 0;
    int n = 0;
    for (int i = 0; i < 1000 && (n = tagged_processes(tag, &first)) > 0; i++)
        mp_sleep_ns(10000000);
    if (n > 0)
        fail_msg("%d process(es) of the lesson still running after 10 s, pid %d first", n, (int)first);
}

static void make_tag(char *tag, size_t len)
{
    static int count;
    snprintf(tag, len, "MPKIT_LESSON13_TEST=%d-%d", (int)getpid(), ++count);
}

static void test_lesson13(void **state)
{
    (void)state;
    char *dir = make_tmpdir(), tag[64], hosts[4200];
    make_tag(tag, sizeof tag);
    /* part 5 with a hostfile of this machine's names: run, and its command printed */
    snprintf(hosts, sizeof hosts, "%s/hosts.txt", dir);
    FILE *f = fopen(hosts, "w");
    assert_non_null(f);
    fprintf(f, "# this machine, twice\nlocalhost:1\n127.0.0.1:2\n");
    fclose(f);
    char *words[] = {"--workers", "2", "--hostfile", hosts, NULL};
    int rc = run_lesson13(dir, tag, NULL, 0, words);
    if (rc != 0) {
        char *err = read_output(dir, "err.txt");
        fail_msg("lesson-13 --quick exited with %d: %s", rc, err ? err : "");
    }
    assert_nothing_tagged(tag);

    char *c = csv(dir, "mpi.csv");
    assert_header(c, "experiment,ranks,msg_bytes,task_ns,median_s,speedup_or_gbps");
    int rows = 0, mpi_primes = 0, pool_primes = 0, pings[3] = {0}, tasks[5] = {0}, breakevens = 0;
    bool launch = false, start = false;
    for (const char *line = strchr(c, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        char exp[48];
        int ranks;
        long bytes;
        double task_ns, median, value;
        if (sscanf(line + 1, "%47[^,],%d,%ld,%lf,%lf,%lf", exp, &ranks, &bytes, &task_ns, &median, &value) != 6)
            fail_msg("mpi.csv: a row without 6 fields: %.*s", (int)strcspn(line + 1, "\n"), line + 1);
        rows++;
        if (strncmp(exp, "breakeven-", 10) == 0) {
            breakevens++;
            assert_true(task_ns > 0); /* a cost, or inf: it never paid off */
            continue;
        }
        if (median <= 0 || (value <= 0 && strcmp(exp, "launch") != 0 && strcmp(exp, "start-pool") != 0))
            fail_msg("mpi.csv: %s with %d ranks: a time of %g, a speedup or rate of %g", exp, ranks, median, value);
        if (strcmp(exp, "launch") == 0)
            launch = ranks == 2;
        else if (strcmp(exp, "start-pool") == 0)
            start = ranks == 2;
        else if (strcmp(exp, "primes-mpi") == 0)
            mpi_primes += ranks == 1 || ranks == 2;
        else if (strcmp(exp, "primes-pool") == 0)
            pool_primes += ranks == 1 || ranks == 2;
        else if (strncmp(exp, "pingpong-", 9) == 0) {
            assert_int_equal(ranks, 2);
            assert_true(bytes >= 64);
            pings[strcmp(exp + 9, "mpi") == 0 ? 0 : strcmp(exp + 9, "pipe") == 0 ? 1 : 2]++;
        } else if (strncmp(exp, "tasks-", 6) == 0) {
            const char *ways[] = {"serial", "mpi-static", "mpi-master", "pool-static", "pool-chunk1"};
            for (int w = 0; w < 5; w++)
                if (strcmp(exp + 6, ways[w]) == 0) {
                    tasks[w]++;
                    assert_int_equal(ranks, w == 0 ? 1 : 2);
                }
        }
    }
    free(c);
    assert_true(launch && start);
    assert_int_equal(mpi_primes, 6);  /* 3 jobs on 1 and 2 ranks */
    assert_int_equal(pool_primes, 6); /* on 1 and 2 workers */
    for (int i = 0; i < 3; i++)
        assert_int_equal(pings[i], 4); /* --quick: 4 sizes through MPI, the pipe, the queue */
    for (int w = 0; w < 5; w++)
        assert_int_equal(tasks[w], 5); /* --quick: 5 task costs, every way */
    assert_int_equal(breakevens, 4);   /* one per way */

    char *out = read_output(dir, "out.txt");
    for (int r = 0; r < 2; r++) { /* both ranks spoke, in part 1 and again in part 5 */
        char hello[32];
        snprintf(hello, sizeof hello, "a rank printed: hello %d 2 ", r);
        assert_non_null(strstr(out, hello));
        snprintf(hello, sizeof hello, "a rank printed: hello %d 3 ", r);
        assert_non_null(strstr(out, hello));
    }
    assert_verdict_yes(out, "each of the 2 ranks said hello once, each a process of its own");
    assert_verdict_yes(out, "every rank count and every pool count matched the plain loop's");
    assert_verdict_yes(out, "every checked ping-pong payload arrived intact");
    assert_verdict_yes(out, "every way's sum of ");
    assert_verdict_yes(out, "the hostfile's job: each of its 3 ranks said hello once");
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "mpiexec.mpich -f %s -n 3 ", hosts);
    if (!strstr(out, cmd))
        fail_msg("part 5 did not print the command for the hostfile (%s...)", cmd);
    free(out);
    rm_tree(dir);
}

/* A rank that exits with status 3 (MPKIT_LESSON13_FAIL=1: rank 1, from
 * part 2 on) stops the lesson: status 1, the job named with mpiexec's exit
 * code and what the rank said, nothing left running. */
static void test_lesson13_rank_fails(void **state)
{
    (void)state;
    char *dir = make_tmpdir(), tag[64];
    make_tag(tag, sizeof tag);
    int rc = run_lesson13(dir, tag, "MPKIT_LESSON13_FAIL=1", 0, NULL);
    assert_int_not_equal(rc, -1000); /* it did not hang */
    assert_int_equal(rc, 1);
    char *err = read_output(dir, "err.txt");
    /* mpiexec's own status is the failed rank's 3, or 9 when it reports a
     * rank it SIGKILLed while stopping the others (seen under load): either
     * way the rank's own words name the failure */
    if ((!strstr(err, "part 2's primes job failed: mpiexec.mpich ended with exit code 3") &&
         !strstr(err, "part 2's primes job failed: mpiexec.mpich ended with exit code 9")) ||
        !strstr(err, "rank 1 (pid ") || !strstr(err, "exiting with status 3"))
        fail_msg("no clear report of the failed rank: %s", err);
    free(err);
    char *out = read_output(dir, "out.txt");
    assert_null(strstr(out, "done in")); /* never "done" */
    free(out);
    assert_nothing_tagged(tag);
    rm_tree(dir);
}

/* Ctrl-C while part 2's ranks run: the lesson dies of SIGINT, and
 * mpiexec, its proxy, the ranks and the pool's workers go too. */
static void test_lesson13_interrupted(void **state)
{
    (void)state;
    char *dir = make_tmpdir(), tag[64];
    make_tag(tag, sizeof tag);
    int rc = run_lesson13(dir, tag, NULL, SIGINT, NULL);
    assert_int_equal(rc, -SIGINT);
    assert_nothing_tagged(tag);
    assert_no_children();
    rm_tree(dir);
}

/* --hostfile: a missing file, a folder, an empty file, a bad line, no value:
 * one line naming --hostfile, status 2, before anything runs. */
static void test_lesson13_bad_hostfile(void **state)
{
    (void)state;
    char *dir = make_tmpdir(), empty[4200], bad[4200], missing[4200];
    snprintf(empty, sizeof empty, "%s/empty.txt", dir);
    snprintf(bad, sizeof bad, "%s/bad.txt", dir);
    snprintf(missing, sizeof missing, "%s/no-such-file", dir);
    FILE *f = fopen(empty, "w");
    assert_non_null(f);
    fprintf(f, "# only a comment\n\n");
    fclose(f);
    f = fopen(bad, "w");
    assert_non_null(f);
    fprintf(f, "localhost:two\n");
    fclose(f);
    const char *values[] = {missing, dir, empty, bad, NULL};
    const char *why[] = {"No such file", "Is a directory", "no host in it", "line 1", "needs a value"};
    for (int i = 0; i < 5; i++) {
        int rc = run_lesson("13", dir, "--hostfile", values[i]);
        char *err = read_output(dir, "err.txt");
        if (rc != 2 || count_lines(err) != 1 || !strstr(err, "--hostfile") || !strstr(err, why[i]))
            fail_msg("--hostfile %s: status %d, said: %s", values[i] ? values[i] : "(no value)", rc, err);
        free(err);
    }
    rm_tree(dir);
}

#define LESSON13_TESTS                                                                                   \
    cmocka_unit_test(test_lesson13), cmocka_unit_test(test_lesson13_rank_fails),                         \
        cmocka_unit_test(test_lesson13_interrupted), cmocka_unit_test(test_lesson13_bad_hostfile)
