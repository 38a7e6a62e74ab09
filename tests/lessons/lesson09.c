/* Lesson 09 run as a student runs it: included by tests/test_lessons.c.
 * Asserted: exit status, the columns and rows of both files, exact totals
 * for every synchronised method (none may be anything up to the expected),
 * checksums matched, the named-segment verdicts (which no load changes),
 * and nothing left in /dev/shm. Never a time. */

static void check_lesson09_run(const char *dir)
{
    char *c = csv(dir, "counter.csv");
    assert_header(c, "method,workers,increments,final_value,expected,median_s");
    const char *methods[] = {"none", "lock", "atomic", "partial", "partial-padded"};
    for (int m = 0; m < 5; m++) {
        char row[48];
        snprintf(row, sizeof row, "\n%s,", methods[m]);
        const char *line = strstr(c, row);
        if (!line)
            fail_msg("counter.csv: no row for %s", methods[m]);
        char name[32];
        long workers, inc, final, expected;
        double s;
        assert_int_equal(sscanf(line + 1, "%31[^,],%ld,%ld,%ld,%ld,%lf", name, &workers, &inc, &final, &expected, &s),
                         6);
        assert_true(workers >= 2 && inc > 0 && expected == workers * inc && s > 0);
        if (m == 0)
            assert_true(final > 0 && final <= expected); /* the race loses, never adds */
        else if (final != expected)
            fail_msg("counter.csv: %s ended at %ld, want exactly %ld", methods[m], final, expected);
    }
    free(c);

    char *x = csv(dir, "copy-share.csv");
    assert_header(x, "method,bytes,median_s,gb_per_s");
    const char *ways[] = {"pipe", "queue", "shared"};
    const long sizes[] = {1024, 65536, 4194304}; /* --quick */
    for (int w = 0; w < 3; w++)
        for (int k = 0; k < 3; k++) {
            char row[64];
            snprintf(row, sizeof row, "\n%s,%ld,", ways[w], sizes[k]);
            if (!strstr(x, row))
                fail_msg("copy-share.csv: no row %s", row + 1);
            assert_true(csv_value(x, row, 2) > 0 && csv_value(x, row, 3) > 0);
        }
    free(x);

    char *out = read_output(dir, "out.txt");
    assert_non_null(strstr(out, "every checksum matched: yes"));
    assert_verdict_yes(out, "T0's example: the child's changes are the parent's");
    assert_verdict_yes(out, "with a lock, an atomic add or partial sums the total is exact");
    assert_verdict_yes(out, "a spawned reader attached by name");
    assert_verdict_yes(out, "the creator's exit unlinked its segment");
    /* the lesson's two names (its PID in them) are gone from /dev/shm */
    const char *made = strstr(out, "created /dev/shm/mpkit_lesson09_");
    assert_non_null(made);
    int pid = atoi(made + strlen("created /dev/shm/mpkit_lesson09_"));
    assert_true(pid > 0);
    char path[128];
    snprintf(path, sizeof path, "/dev/shm/mpkit_lesson09_%d", pid);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof path, "/dev/shm/mpkit_lesson09_%d_early", pid);
    assert_int_equal(access(path, F_OK), -1);
    free(out);
}

static void test_lesson09(void **state)
{
    (void)state;
    for (int m = 0; m < 3; m++) {
        static const char *const starts[] = {"fork", "spawn", "forkserver"};
        char *dir = make_tmpdir();
        assert_int_equal(run_lesson("09", dir, "--start", starts[m]), 0);
        check_lesson09_run(dir);
        rm_tree(dir);
    }
}

/* Ctrl-C while part 4's spawned creator holds its segment (the moment the
 * name appears in /dev/shm, told by inotify): the lesson dies of SIGINT,
 * its children with it, and no name of the lesson's is left -- not its
 * own, and not the creator's, which the kit stops with SIGKILL (the
 * lesson's own hook removes that one). If the lesson got past part 4
 * before the test could act (a busy machine), it exits 0 and the same is
 * asserted. */
#include <poll.h>
#include <sys/inotify.h>

/* Read inotify events until one creates `name`: true; false once the
 * process pid has exited (not reaped) or after 60 s. */
static bool created_while_alive(int in, const char *name, pid_t pid)
{
    _Alignas(struct inotify_event) char buf[4096];
    uint64_t t0 = mp_now_ns();
    while (mp_now_ns() - t0 < 60000000000ull) {
        siginfo_t info = {0}; /* si_pid stays 0 while it runs (WNOWAIT: not reaped here) */
        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid != 0)
            return false;
        struct pollfd pfd = {.fd = in, .events = POLLIN};
        if (poll(&pfd, 1, 20) <= 0)
            continue;
        ssize_t n = read(in, buf, sizeof buf);
        for (ssize_t off = 0; off < n;) {
            const struct inotify_event *e = (const struct inotify_event *)(buf + off);
            if (e->len && strcmp(e->name, name) == 0)
                return true;
            off += (ssize_t)(sizeof *e + e->len);
        }
    }
    return false;
}

static void test_lesson09_sigint(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    int in = inotify_init1(IN_CLOEXEC);
    assert_true(in >= 0);
    assert_true(inotify_add_watch(in, "/dev/shm", IN_CREATE) >= 0); /* before the lesson starts: no event missed */
    char *argv[] = {lesson_path("09"), "--quick", "--no-plot", "--out", dir, NULL};
    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    fflush(NULL);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    char early[64], prefix[48];
    snprintf(early, sizeof early, "mpkit_lesson09_%d_early", (int)pid);
    snprintf(prefix, sizeof prefix, "mpkit_lesson09_%d", (int)pid);
    bool seen = created_while_alive(in, early, pid);
    close(in);
    pid_t kids[64];
    int nkids = mp_proc_children_of(pid, kids, 64, NULL);
    nkids = nkids < 0 ? 0 : nkids > 64 ? 64 : nkids;
    if (seen)
        assert_int_equal(kill(pid, SIGINT), 0);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    int code = mp_exitcode_from_status(st);
    if (code != -SIGINT && code != 0)
        fail_msg("lesson-09 ended with %d after Ctrl-C", code);
    print_message("lesson-09: Ctrl-C %s part 4's creator ran (%d children)\n", seen && code ? "while" : "after",
                  nkids);
    for (int i = 0; i < nkids; i++)
        assert_true(pid_gone(kids[i], 3.0));
    DIR *d = opendir("/dev/shm");
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
            char left[300];
            snprintf(left, sizeof left, "/dev/shm/%s", e->d_name);
            unlink(left);
            closedir(d);
            fail_msg("Ctrl-C left %s", left);
        }
    closedir(d);
    assert_no_children();
    rm_tree(dir);
}

#define LESSON09_TESTS cmocka_unit_test(test_lesson09), cmocka_unit_test(test_lesson09_sigint)
