/* The handout as a student gets it. make handout writes the archive; it is
 * unpacked in a temporary folder (no solutions/, no instructor-only test,
 * nothing built) and used there as the README says: make lesson-1, make
 * check-1 (untouched: it fails; solved: it passes, and says how many more
 * tests run at grading), make progress (untouched, failing, done, next),
 * make watch-1 (a save runs check-1 again; Ctrl-C ends it, nothing left
 * running). One tree for all of them, built once: the tests run in order,
 * each from where the one before left the tree.
 *
 * The archive is made from this tree, so its exercises must be as shipped
 * (make handout refuses otherwise). A student's edited copy here skips these
 * tests with a note; with CI=true it fails them, as test_unsolved does. */
#include "helpers.h"

#include <glob.h>
#include <sys/time.h>

#define STEP_LIMIT_S 100 /* one make command; scripts/run-tests.sh bounds the whole binary too */

static char *tmp;           /* the temporary folder: the archive, the logs, mpkit/ */
static char tree[256];      /* tmp/a class/mpkit: the unpacked handout (a space in its path, as in
                             * many a student's folder: every script must quote it) */
static char why_not[8192];  /* the handout could not be made: every test fails with this */
static bool skip_all;       /* this tree's exercises are edited (not in CI) */
static pid_t watch_group;   /* a running make watch-1, for the teardown to stop */

/* ---- running commands in the unpacked tree ---- */

/* Start `cd DIR && CMD` under /bin/sh, stdout and stderr to out_path, in a
 * process group of its own (the group a terminal's Ctrl-C would reach),
 * with the signals a terminal leaves at their defaults. */
static pid_t start(const char *dir, const char *cmd, const char *out_path)
{
    char *line = NULL;
    if (asprintf(&line, "cd '%s' && %s", dir, cmd) < 0)
        fail_msg("asprintf: %s", strerror(errno));
    char *argv[] = {"/bin/sh", "-c", line, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    sigset_t defaults, none;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGHUP);
    sigaddset(&defaults, SIGPIPE);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&at, &defaults);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    free(line);
    if (rc != 0)
        fail_msg("posix_spawn /bin/sh: %s", strerror(rc));
    return pid;
}

/* Wait for the group's leader up to timeout_s: its exit code, or -1000 if
 * it had to be killed. Whatever is left of its group is killed. */
static int finish(pid_t pid, double timeout_s)
{
    uint64_t deadline = mp_now_ns() + (uint64_t)(timeout_s * 1e9);
    int st, rc = -1000;
    for (;;) {
        pid_t got = waitpid(pid, &st, WNOHANG);
        if (got == pid) {
            rc = mp_exitcode_from_status(st);
            break;
        }
        if (got < 0 && errno != EINTR)
            fail_msg("waitpid: %s", strerror(errno));
        if (mp_now_ns() > deadline) {
            kill(-pid, SIGKILL);
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
            break;
        }
        mp_sleep_ns(10000000);
    }
    kill(-pid, SIGKILL);
    return rc;
}

/* Run CMD in the tree; *out gets what it printed (free it). */
static int run(const char *cmd, char **out)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/out.txt", tmp);
    int rc = finish(start(tree, cmd, path), STEP_LIMIT_S);
    *out = read_file(path);
    if (!*out)
        *out = strdup("");
    if (rc == -1000)
        fail_msg("`%s` did not end within %d s; it printed:\n%s", cmd, STEP_LIMIT_S, *out);
    return rc;
}

#define assert_lacks(text, what)                                                           \
    do {                                                                                   \
        if (strstr((text), (what)))                                                        \
            fail_msg("did not expect \"%s\" in this output:\n%s", (what), (text));         \
    } while (0)

static int occurrences(const char *text, const char *what)
{
    int n = 0;
    for (const char *p = strstr(text, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

/* The run count of the last cmocka summary: "[==========] N test(s) run." */
static int tests_run(const char *out)
{
    int n = -1;
    for (const char *p = strstr(out, "[==========] "); p; p = strstr(p + 1, "[==========] ")) {
        int k;
        if (sscanf(p, "[==========] %d test(s) run.", &k) == 1)
            n = k;
    }
    if (n < 0)
        fail_msg("no cmocka summary in this output:\n%s", out);
    return n;
}

static void write_text(const char *path, const char *text, const char *mode)
{
    FILE *f = fopen(path, mode);
    if (!f)
        fail_msg("fopen %s: %s", path, strerror(errno));
    fputs(text, f);
    if (fclose(f) != 0)
        fail_msg("fclose %s: %s", path, strerror(errno));
}

/* Copy ROOT/solutions/REL (or another file of this tree) over TREE/REL2. */
static void copy_in(const char *from_rel, const char *to_rel)
{
    char from[4200], to[4200];
    snprintf(from, sizeof from, "%s/%s", MP_ROOT, from_rel);
    snprintf(to, sizeof to, "%s/%s", tree, to_rel);
    char *text = read_file(from);
    if (!text)
        fail_msg("cannot read %s", from);
    write_text(to, text, "w");
    free(text);
}

static void solve(const char *name) /* "01-hello/ex1-exitcode.c" */
{
    char from[300], to[300];
    snprintf(from, sizeof from, "solutions/%s", name);
    snprintf(to, sizeof to, "exercises/%s", name);
    copy_in(from, to);
}

/* How many tests TREE/tests/exercises/WITHHELD says an exercise lost
 * ("01-hello/ex3-reap"), or a lesson's exercises ("01-hello/"). */
static int withheld(const char *prefix)
{
    char path[4200], line[512], name[400];
    snprintf(path, sizeof path, "%s/tests/exercises/WITHHELD", tree);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("the handout has no tests/exercises/WITHHELD");
    int sum = 0, n;
    while (fgets(line, sizeof line, f))
        if (line[0] != '#' && sscanf(line, "%399s %d", name, &n) == 2 &&
            (prefix[strlen(prefix) - 1] == '/' ? strncmp(name, prefix, strlen(prefix)) == 0
                                                : strcmp(name, prefix) == 0))
            sum += n;
    fclose(f);
    return sum;
}

/* ---- the tree: made once ---- */

static int make_the_handout(void **state)
{
    (void)state;
    /* Only what a student would type reaches make: nothing of the make
     * running these tests (its flags, its BUILD, its EX or SOLUTIONS). */
    const char *outer[] = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "BUILD", "EX", "SOLUTIONS", "ALL",
                           "RESET", "ARGS", "V", "HANDOUT", "HANDOUT_ARCHIVE"};
    for (size_t i = 0; i < sizeof outer / sizeof outer[0]; i++)
        unsetenv(outer[i]);
    tmp = make_tmpdir();
    snprintf(tree, sizeof tree, "%s/a class/mpkit", tmp);
    char *cmd = NULL, path[4200];
    snprintf(path, sizeof path, "%s/handout.txt", tmp);
    if (asprintf(&cmd, "make -C '%s' --no-print-directory handout HANDOUT_ARCHIVE='%s/mpkit-handout.tar.gz' && "
                       "mkdir '%s/a class' && tar -xzf '%s/mpkit-handout.tar.gz' -C '%s/a class'",
                 MP_ROOT, tmp, tmp, tmp, tmp) < 0)
        return -1;
    int rc = finish(start(tmp, cmd, path), STEP_LIMIT_S);
    free(cmd);
    char *out = read_file(path);
    if (rc != 0) {
        const char *ci = getenv("CI");
        if (out && strstr(out, "exercises do not match") && !(ci && strcmp(ci, "true") == 0)) {
            skip_all = true;
            print_message("note: this tree's exercises are not as shipped, so make handout refuses it; "
                          "the handout's tests are skipped (with CI=true they fail):\n%s", out);
        } else {
            snprintf(why_not, sizeof why_not, "make handout or unpacking it failed (status %d):\n%s", rc,
                     out ? out : "");
        }
    }
    free(out);
    return 0;
}

static int remove_the_tree(void **state)
{
    (void)state;
    if (watch_group > 0) {
        kill(-watch_group, SIGKILL);
        waitpid(watch_group, NULL, 0);
    }
    rm_tree(tmp);
    return 0;
}

static void ready(void)
{
    if (skip_all)
        skip();
    if (why_not[0])
        fail_msg("%s", why_not);
}

/* ---- the tests, in order ---- */

static int no_answers_seen; /* files in the tree that must not be there */
static char first_answer[4200];

static int look_for_answers(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag;
    const char *name = path + ftw->base;
    size_t n = strlen(name);
    bool bad = strcmp(name, "solutions") == 0 || strcmp(name, ".git") == 0 || strcmp(name, "build") == 0 ||
               (n > 13 && strcmp(name + n - 13, ".instructor.c") == 0);
    if (bad && no_answers_seen++ == 0)
        snprintf(first_answer, sizeof first_answer, "%s", path);
    return 0;
}

static void test_archive_holds_what_a_student_needs_and_no_answers(void **state)
{
    (void)state;
    ready();
    const char *needed[] = {"Makefile", "README.md", "lib/mp.h", "lib/README.md", "lessons/01-hello/lesson.c",
                            "exercises/01-hello/ex1-exitcode.c", "exercises/01-hello/HINTS.md",
                            "tests/helpers.h", "tests/instructor.h", "tests/test_lessons.c",
                            "tests/exercises/01-hello/ex1-exitcode.c", "tests/exercises/SHIPPED.sha256",
                            "tests/exercises/WITHHELD", "scripts/run-tests.sh", "scripts/hint.sh",
                            "scripts/progress.sh", "scripts/watch.sh", "scripts/install-deps.sh", "mk/mpi.mk",
                            "plots/speedup.gp", "plots/reference/02-speedup-cpu.png", "bench/bench_pipe.c"};
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", tree, needed[i]);
        if (access(path, R_OK) != 0)
            fail_msg("the handout has no %s", needed[i]);
    }
    no_answers_seen = 0;
    nftw(tree, look_for_answers, 16, FTW_PHYS);
    if (no_answers_seen)
        fail_msg("the handout holds %d thing(s) it must not, %s first", no_answers_seen, first_answer);

    /* no file holds a solution word for word, whatever its name */
    char *out, cmd[9000];
    snprintf(cmd, sizeof cmd,
             "find '%s/solutions' -type f -exec sha256sum {} + >../solutions.sums && "
             "find . -type f -exec sha256sum {} + | awk 'NR == FNR { s[$1] = 1; next } s[$1] { print $2 }' "
             "../solutions.sums -", MP_ROOT);
    assert_int_equal(run(cmd, &out), 0);
    if (out[0])
        fail_msg("these files of the handout hold a solution:\n%s", out);
    free(out);

    /* every instructor-only file of this tree is counted in WITHHELD */
    glob_t g;
    char pattern[4200];
    snprintf(pattern, sizeof pattern, "%s/tests/exercises/*/ex*.instructor.c", MP_ROOT);
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            char name[400];
            const char *rel = g.gl_pathv[i] + strlen(MP_ROOT) + strlen("/tests/exercises/");
            snprintf(name, sizeof name, "%.*s", (int)(strlen(rel) - strlen(".instructor.c")), rel);
            if (withheld(name) < 1)
                fail_msg("tests/exercises/WITHHELD does not count the tests of %s", rel);
        }
        globfree(&g);
    }
}

static void test_instructor_commands_say_it_is_a_handout(void **state)
{
    (void)state;
    ready();
    char *out;
    assert_int_equal(run("make check-1 SOLUTIONS=1", &out), 2);
    assert_contains(out, "this handout has no solutions/");
    free(out);
    assert_int_equal(run("make handout", &out), 2);
    assert_contains(out, "this tree is a handout already");
    free(out);
    /* the README in the handout tells of make grade: it must say whose it
     * is, not make's "No rule to make target" */
    assert_int_equal(run("make grade SUBMISSIONS=exercises", &out), 2);
    assert_contains(out, "make grade is the instructor's");
    free(out);
    assert_int_equal(run("make watch-99", &out), 2);
    assert_contains(out, "no exercises for lesson 99");
    free(out);
    /* make test checks the kit: the runtime and the lessons, not the
     * solutions' tests or the proof that shipped exercises fail */
    assert_int_equal(run("make -n test", &out), 0);
    assert_contains(out, "test_lessons_1");
    assert_contains(out, "tests/lib/test_process");
    assert_lacks(out, "test_unsolved");
    assert_lacks(out, "tests/solutions/");
    free(out);
}

static void test_lesson_1_runs(void **state)
{
    (void)state;
    ready();
    char *out;
    int rc = run("make -j2 lesson-1 ARGS='--quick --no-plot'", &out);
    if (rc != 0)
        fail_msg("make lesson-1 in the handout ended with status %d:\n%s", rc, out);
    assert_contains(out, "verdicts:");
    free(out);
}

static void grading_line(const char *out, const char *prefix)
{
    int later = withheld(prefix);
    if (later > 0) {
        char line[200];
        snprintf(line, sizeof line, "%d more test%s at grading (instructor-only, not in this handout)", later,
                 later == 1 ? " runs" : "s run");
        assert_contains(out, line);
    } else {
        assert_lacks(out, "at grading");
    }
}

static void test_check_1_untouched_fails(void **state)
{
    (void)state;
    ready();
    char *out;
    int rc = run("make -j2 check-1", &out);
    if (rc == 0)
        fail_msg("make check-1 passed on untouched exercises:\n%s", out);
    assert_contains(out, "[  FAILED  ]");
    assert_lacks(out, "did not compile");
    assert_lacks(out, "timed out");
    grading_line(out, "01-hello/");
    free(out);
}

static void test_progress_untouched_failing_done(void **state)
{
    (void)state;
    ready();
    char *out, path[4200];
    assert_int_equal(run("make progress", &out), 0);
    assert_contains(out, "untouched  ex1-exitcode.c\n");
    assert_contains(out, "untouched  ex2-usable-cpus.c\n");
    assert_contains(out, "next: exercises/01-hello/ex1-exitcode.c (untouched)");
    assert_contains(out, "make check-1 EX=1");
    assert_contains(out, "make hint-1 EX=1");
    assert_lacks(out, "testing what changed"); /* untouched: known to fail, not run */
    free(out);

    solve("01-hello/ex1-exitcode.c");
    snprintf(path, sizeof path, "%s/exercises/01-hello/ex2-usable-cpus.c", tree);
    write_text(path, "/* a student's first try: still not solved */\n", "a");
    assert_int_equal(run("make progress", &out), 0);
    assert_contains(out, "testing what changed since its last check: 01-hello/ex1-exitcode.c "
                         "01-hello/ex2-usable-cpus.c\n");
    assert_contains(out, "done       ex1-exitcode.c\n");
    assert_contains(out, "failing    ex2-usable-cpus.c");
    assert_contains(out, "untouched  ex3-reap.c\n");
    assert_contains(out, "next: exercises/01-hello/ex2-usable-cpus.c (failing: ");
    assert_contains(out, "make hint-1 EX=2");
    free(out);

    /* the results are up to date now: nothing is tested again */
    assert_int_equal(run("make progress", &out), 0);
    assert_lacks(out, "testing what changed");
    assert_contains(out, "done       ex1-exitcode.c\n");
    assert_contains(out, "failing    ex2-usable-cpus.c");
    free(out);
}

static void test_check_1_solved_passes(void **state)
{
    (void)state;
    ready();
    solve("01-hello/ex1-exitcode.c");
    solve("01-hello/ex2-usable-cpus.c");
    solve("01-hello/ex3-reap.c");
    char *out;
    int rc = run("make -j2 check-1", &out);
    if (rc != 0)
        fail_msg("make check-1 with the solutions copied in ended with status %d:\n%s", rc, out);
    assert_contains(out, "[  PASSED  ]");
    assert_lacks(out, "[  FAILED  ]");
    grading_line(out, "01-hello/");
    free(out);

    assert_int_equal(run("make progress", &out), 0);
    assert_lacks(out, "testing what changed"); /* check-1 just tested them all */
    assert_contains(out, "done       ex1-exitcode.c");
    assert_contains(out, "done       ex2-usable-cpus.c");
    assert_contains(out, "done       ex3-reap.c");
    assert_contains(out, "next: exercises/02-");
    free(out);
}

/* Put an instructor-only file back beside its public tests: check-N runs
 * them in the same binary, as many more as WITHHELD said. */
static void test_instructor_file_joins_the_binary(void **state)
{
    (void)state;
    ready();
    glob_t g;
    char pattern[4200];
    snprintf(pattern, sizeof pattern, "%s/tests/exercises/01-hello/ex*.instructor.c", MP_ROOT);
    if (glob(pattern, 0, NULL, &g) != 0) {
        print_message("note: lesson 1 has no instructor-only tests here: nothing to put back\n");
        skip();
    }
    const char *rel = g.gl_pathv[0] + strlen(MP_ROOT) + 1; /* tests/exercises/01-hello/exK-what.instructor.c */
    char name[400], cmd[200];
    snprintf(name, sizeof name, "%.*s", (int)(strlen(rel) - strlen("tests/exercises/") - strlen(".instructor.c")),
             rel + strlen("tests/exercises/"));
    int k = atoi(strrchr(rel, '/') + 3), more = withheld(name);
    snprintf(cmd, sizeof cmd, "make check-1 EX=%d", k);

    char *out;
    assert_int_equal(run(cmd, &out), 0);
    int public = tests_run(out);
    free(out);
    copy_in(rel, rel);
    globfree(&g);
    assert_int_equal(run(cmd, &out), 0);
    assert_int_equal(tests_run(out), public + more);
    assert_contains(out, "instructor-only (make handout leaves them out)");
    free(out);
}

/* make watch-1's output once it has ended n checks ("watching" n times),
 * or NULL if it has not by deadline. */
static char *wait_for_checks(const char *out_path, int n, uint64_t deadline)
{
    for (;;) {
        char *out = read_file(out_path);
        if (out && occurrences(out, "==== watch-1: watching") >= n)
            return out;
        free(out);
        if (mp_now_ns() >= deadline)
            return NULL;
        mp_sleep_ns(50000000);
    }
}

static void test_watch_1_checks_again_at_each_save(void **state)
{
    (void)state;
    ready();
    char out_path[4200], file[4200];
    snprintf(out_path, sizeof out_path, "%s/watch.txt", tmp);
    snprintf(file, sizeof file, "%s/exercises/01-hello/ex1-exitcode.c", tree);
    watch_group = start(tree, "make watch-1 EX=1", out_path);

    /* wait (bounded) for the first check to end: "watching" */
    uint64_t deadline = mp_now_ns() + (uint64_t)STEP_LIMIT_S * 1000000000u;
    char *out = wait_for_checks(out_path, 1, deadline);
    if (!out)
        fail_msg("make watch-1 did not finish its first check:\n%s", read_file(out_path));
    assert_int_equal(occurrences(out, "==== watch-1: run "), 1);

    /* save the file: a new modification time, as an editor's save gives */
    assert_int_equal(utimes(file, NULL), 0);
    free(out);
    out = wait_for_checks(out_path, 2, deadline);
    if (!out)
        fail_msg("make watch-1 did not check again after a save:\n%s", read_file(out_path));
    assert_contains(out, "==== watch-1: run 2");
    assert_int_equal(occurrences(out, "==== all test binaries together"), 2); /* two whole checks */

    /* Ctrl-C: the terminal signals the whole group */
    assert_int_equal(kill(-watch_group, SIGINT), 0);
    int st;
    uint64_t stop_by = mp_now_ns() + 20 * 1000000000ull;
    pid_t got;
    while ((got = waitpid(watch_group, &st, WNOHANG)) == 0 && mp_now_ns() < stop_by)
        mp_sleep_ns(10000000);
    if (got != watch_group)
        fail_msg("make watch-1 did not end within 20 s of SIGINT");
    pid_t group = watch_group;
    watch_group = 0;
    mp_sleep_ns(100000000);
    bool left = kill(-group, 0) == 0;
    kill(-group, SIGKILL);
    free(out);
    out = read_file(out_path);
    assert_contains(out, "==== watch-1: stopped");
    if (left)
        fail_msg("make watch-1 left processes of its group running after Ctrl-C:\n%s", out);
    free(out);
}

/* A student deletes an exercise, or a lesson's whole folder: make progress
 * lists them as missing (not left out unseen), and make check-N of the
 * emptied lesson says so in one line, status 2, rather than pass 0 tests. */
static void test_deleted_exercises_are_missing(void **state)
{
    (void)state;
    ready();
    char *out;
    assert_int_equal(run("rm exercises/01-hello/ex2-usable-cpus.c && rm -r exercises/03-gil", &out), 0);
    free(out);
    assert_int_equal(run("make progress", &out), 0);
    assert_contains(out, "missing    ex2-usable-cpus.c        deleted? the handout archive has it: "
                         "mpkit/exercises/01-hello/ex2-usable-cpus.c\n");
    assert_contains(out, "03-gil (make check-3)\n  missing    ex1-");
    assert_contains(out, " missing\n");
    free(out);
    assert_int_equal(run("make check-3", &out), 2);
    assert_contains(out, "exercises/03-gil/ holds no exercise file");
    assert_int_equal(count_lines(out), 1);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_archive_holds_what_a_student_needs_and_no_answers),
        cmocka_unit_test(test_instructor_commands_say_it_is_a_handout),
        cmocka_unit_test(test_lesson_1_runs),
        cmocka_unit_test(test_check_1_untouched_fails),
        cmocka_unit_test(test_progress_untouched_failing_done),
        cmocka_unit_test(test_check_1_solved_passes),
        cmocka_unit_test(test_instructor_file_joins_the_binary),
        cmocka_unit_test(test_watch_1_checks_again_at_each_save),
        cmocka_unit_test(test_deleted_exercises_are_missing),
    };
    return cmocka_run_group_tests_name("the handout, as a student uses it", tests, make_the_handout,
                                       remove_the_tree);
}
