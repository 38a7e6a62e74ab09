/* make reference: a quick pass over two cheap lessons (01, 09) into a
 * scratch folder writes their CSV, PNG and plot data with the machine's
 * description; a lesson that fails leaves the previous reference as it was;
 * a bad LESSONS word is one line and status 2 (make's own status for a
 * failed recipe: a failed lesson is 2 through make too); Ctrl-C leaves the
 * reference, and no process or temporary folder behind. Nothing touches the
 * committed plots/reference/, and the temporary folder is gone afterwards. */
#include "helpers.h"

#include <dirent.h>

#ifndef BUILD_DIR
#define BUILD_DIR "build"
#endif

#define LIMIT_S 90 /* two --quick lessons take a few seconds; a hang must not pass */

static char *scratch; /* this test's folder: ref/ (the reference), tmp/ (TMPDIR) */

static int setup(void **state)
{
    (void)state;
    scratch = make_tmpdir();
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s/tmp", scratch);
    assert_int_equal(mkdir(tmp, 0755), 0);
    /* the folder scripts/reference.sh makes its temporary folder in, so
     * that the test sees it removed */
    setenv("TMPDIR", tmp, 1);
    /* make test's jobserver is not ours to use */
    unsetenv("MAKEFLAGS");
    unsetenv("MFLAGS");
    unsetenv("MAKELEVEL");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rm_tree(scratch);
    return 0;
}

/* make reference ARGS=... LESSONS=... REFERENCE_DIR=scratch/ref; its
 * output in scratch/out.txt and err.txt. */
static int make_reference(const char *args, const char *lessons)
{
    char a[256], l[256], r[600], b[256];
    snprintf(a, sizeof a, "ARGS=%s", args);
    snprintf(l, sizeof l, "LESSONS=%s", lessons);
    snprintf(r, sizeof r, "REFERENCE_DIR=%s/ref", scratch);
    snprintf(b, sizeof b, "BUILD=%s", BUILD_DIR);
    char *argv[] = {"/usr/bin/env", "make", "-s", "--no-print-directory", "-C", MP_ROOT, b, "reference", a, l, r,
                    NULL};
    int rc = run_program(argv, scratch, LIMIT_S);
    assert_int_not_equal(rc, -1000); /* it ended within the limit */
    return rc;
}

static bool exists(const char *rel)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", scratch, rel);
    return access(path, F_OK) == 0;
}

/* Entries of scratch/rel, "." and ".." aside; with `ext`, only those
 * whose names end in it. */
static int entries(const char *rel, const char *ext)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", scratch, rel);
    DIR *d = opendir(path);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name), el = ext ? strlen(ext) : 0;
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
            (!ext || (len > el && strcmp(e->d_name + len - el, ext) == 0)))
            n++;
    }
    closedir(d);
    return n;
}

static char *read_rel(const char *rel)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", scratch, rel);
    return read_file(path);
}

static void test_quick_reference(void **state)
{
    (void)state;
    int rc = make_reference("--quick", "1 9");
    if (rc != 0) {
        char *err = read_output(scratch, "err.txt"), *out = read_output(scratch, "out.txt");
        print_message("%s%s", out ? out : "", err ? err : "");
        free(err), free(out);
    }
    assert_int_equal(rc, 0);
    /* the machine, at the top and in each lesson's folder */
    char *m = read_rel("ref/machine.txt");
    assert_non_null(m);
    const char *fields[] = {"label: ", "date: ", "cpu: ", "cpus: ", "memory: ", "kernel: ", "compiler: ",
                            "gnuplot: ", "load average: ", "lessons: 01-hello 09-shared-memory\n", "args: --quick\n"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (!strstr(m, fields[i]))
            fail_msg("machine.txt has no '%s' line:\n%s", fields[i], m);
    assert_true(strncmp(m, "label: ", 7) == 0); /* the first line: the plots' key reads it */
    free(m);
    assert_true(exists("ref/01-hello/machine.txt") && exists("ref/09-shared-memory/machine.txt"));
    /* the data, and the file the overlay of copy-share.png reads */
    assert_true(exists("ref/01-hello/counter.csv") && exists("ref/01-hello/exitcodes.csv"));
    assert_true(exists("ref/09-shared-memory/copy-share.csv") && exists("ref/09-shared-memory/copy-share.dat"));
    if (mp_have_gnuplot())
        assert_true(exists("ref/09-shared-memory/copy-share.png") && exists("ref/01-hello/timeline.png"));
    /* no spans, no traces, no logs */
    assert_false(exists("ref/01-hello/timeline.dat"));
    assert_int_equal(entries("ref/01-hello", ".json") + entries("ref/09-shared-memory", ".json"), 0);
    assert_int_equal(entries("ref/01-hello", ".log"), 0);
    /* the two lessons asked for, machine.txt, nothing else (no staging folder) */
    assert_int_equal(entries("ref", NULL), 3);
    assert_int_equal(entries("tmp", NULL), 0); /* the temporary folder is gone */
}

static void test_failed_lesson_keeps_reference(void **state)
{
    (void)state;
    /* an earlier reference */
    char path[700];
    snprintf(path, sizeof path, "%s/ref", scratch);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/ref/01-hello", scratch);
    assert_int_equal(mkdir(path, 0755), 0);
    write_file_in(scratch, "ref/01-hello/counter.csv", "old\n");
    write_file_in(scratch, "ref/machine.txt", "label: old\n");
    /* lesson 01 takes 17 workers, lesson 09 at most 16: the second one fails */
    int rc = make_reference("--quick --workers 17", "1 9");
    assert_int_not_equal(rc, 0);
    char *err = read_output(scratch, "err.txt");
    assert_non_null(err);
    if (!strstr(err, "lesson 09") || !strstr(err, "unchanged"))
        fail_msg("the failed lesson is not named, or the reference not said unchanged:\n%s", err);
    free(err);
    /* lesson 01 succeeded, but its old reference is still there */
    char *old = read_rel("ref/01-hello/counter.csv");
    assert_non_null(old);
    assert_string_equal(old, "old\n");
    free(old);
    old = read_rel("ref/machine.txt");
    assert_non_null(old);
    assert_string_equal(old, "label: old\n");
    free(old);
    assert_int_equal(entries("ref", NULL), 2); /* 01-hello and machine.txt: no 09, no staging folder */
    assert_int_equal(entries("ref/01-hello", NULL), 1);
    assert_int_equal(entries("tmp", NULL), 0);
}

/* Ctrl-C while a lesson runs: the terminal signals the whole process group
 * (make, the script, the lesson). A stand-in lesson 01 that says it has
 * started and then waits makes the moment certain; the script is run
 * directly, so that make does not try to build the stand-in. */
static void test_ctrl_c_leaves_nothing(void **state)
{
    (void)state;
    char build[600], bin[700], started[700], ref[600], path[700];
    snprintf(build, sizeof build, "%s/build", scratch);
    assert_int_equal(mkdir(build, 0755), 0);
    snprintf(bin, sizeof bin, "%s/lesson-01", build);
    snprintf(started, sizeof started, "%s/started", scratch);
    FILE *f = fopen(bin, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\ntouch '%s'\nexec sleep 60\n", started);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(bin, 0755), 0);
    snprintf(ref, sizeof ref, "%s/ref", scratch);
    assert_int_equal(mkdir(ref, 0755), 0);
    write_file_in(scratch, "ref/machine.txt", "label: old\n");

    char script[600];
    snprintf(script, sizeof script, "%s/scripts/reference.sh", MP_ROOT);
    char *argv[] = {script, build, ref, "", "1", NULL};
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setpgroup(&at, 0); /* a process group of its own, as a shell's job */
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    snprintf(path, sizeof path, "%s/out.txt", scratch);
    posix_spawn_file_actions_addopen(&fa, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    snprintf(path, sizeof path, "%s/err.txt", scratch);
    posix_spawn_file_actions_addopen(&fa, 2, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, script, &fa, &at, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);

    uint64_t deadline = mp_now_ns() + (uint64_t)LIMIT_S * 1000000000u;
    while (access(started, F_OK) != 0 && mp_now_ns() < deadline)
        mp_sleep_ns(10000000);
    bool running = access(started, F_OK) == 0;
    kill(-pid, running ? SIGINT : SIGKILL);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(running);
    assert_int_not_equal(mp_exitcode_from_status(st), 0);
    /* nothing of the job is left: the stand-in lesson died with it */
    for (int i = 0; i < 500 && kill(-pid, 0) == 0; i++)
        mp_sleep_ns(10000000);
    bool left = kill(-pid, 0) == 0;
    if (left)
        kill(-pid, SIGKILL);
    assert_false(left);
    char *err = read_output(scratch, "err.txt");
    assert_non_null(err);
    if (!strstr(err, "interrupted"))
        fail_msg("no line saying it was interrupted:\n%s", err);
    free(err);
    char *m = read_rel("ref/machine.txt");
    assert_non_null(m);
    assert_string_equal(m, "label: old\n");
    free(m);
    assert_int_equal(entries("ref", NULL), 1);
    assert_int_equal(entries("tmp", NULL), 0);
}

static void test_bad_lessons(void **state)
{
    (void)state;
    const char *bad[][2] = {{"99", "no lesson 99"}, {"1 x", "'x' is not a lesson number"}};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(make_reference("--quick", bad[i][0]), 2);
        char *err = read_output(scratch, "err.txt");
        assert_non_null(err);
        /* the script's one line, then make's "*** [reference] Error 2" */
        char *nl = strchr(err, '\n');
        if (strncmp(err, "reference: LESSONS: ", 20) != 0 || !nl || !memmem(err, (size_t)(nl - err), bad[i][1],
                                                                             strlen(bad[i][1])) ||
            count_lines(err) > 2)
            fail_msg("LESSONS=%s: wanted one line saying \"%s\", got:\n%s", bad[i][0], bad[i][1], err);
        free(err);
    }
    assert_false(exists("ref"));
    assert_int_equal(entries("tmp", NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_quick_reference, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_lesson_keeps_reference, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ctrl_c_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_lessons, setup, teardown),
    };
    return cmocka_run_group_tests_name("reference", tests, NULL, NULL);
}
