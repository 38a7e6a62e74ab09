/* Tests for make grade: one grading run over a class of sample submissions
 * (tests/grading/submissions/, plus ones made here from solutions/), then
 * what it wrote and what it left behind.
 *
 * The class: alice (the solutions, a folder), archived (a solution in a
 * .tar.gz, in mpkit/exercises/, beside what macOS adds to an archive:
 * __MACOSX/, .DS_Store), wrong (fails its tests), no-compile, loops
 * (forever), fork-bomb, crashes (a stack overflow: SIGSEGV), floods
 * (prints without end), linked (its file is a symbolic link: not followed,
 * so missing), sneaky (an archive with a "../" path: rejected), chatty (a
 * solution that prints with no newline, so cmocka's lines start mid-line),
 * dotted.tgz (a folder, whatever its name says) and tarred (a .tgz that is
 * a plain tar: read all the same). Every
 * status asserted is what the sandbox makes certain, load or not: a loop is
 * stopped by the time limit, a fork bomb at the process limit (reached in
 * milliseconds; the time limit is seconds), a flood at the output limit. */
#include "helpers.h"

#include <pwd.h>

static char *tmp;          /* the class and the grades */
static int grade_rc;       /* what make grade exited with */
static long grade_uid;     /* the uid the students' code ran as (as root) */
static double grade_wall;  /* seconds the whole run took */

/* make, as if typed: nothing of the make test that runs this test (its
 * MAKEFLAGS, a jobserver) nor any GRADE_ variable of the caller's. */
/* (its scratch folder in $t/scratch, $t being tmp: seen to be removed) */
#define MAKE_AS_TYPED "env -i PATH=\"$PATH\" HOME=\"$HOME\" TMPDIR=\"$t/scratch\" make --no-print-directory -s"

/* Run a shell command line (from the kit's root) with output to tmp; its
 * exit code, or -1000 if it ran over timeout_s. It runs under timeout(1),
 * which ends the whole process group at timeout_s (make, grade.sh, which
 * then removes its scratch folder): a grading over its bound must not go on
 * as an orphan while the tests remove tmp under it. */
static int sh(const char *cmd, int timeout_s)
{
    char bound[16];
    snprintf(bound, sizeof bound, "%d", timeout_s);
    char *argv[] = {"/usr/bin/timeout", "-k", "5", bound, "/bin/sh", "-c", (char *)cmd, NULL};
    int rc = run_program(argv, tmp, timeout_s + 10);
    return rc == 124 || rc == 137 ? -1000 : rc; /* timeout's codes: it was ended */
}

static char *path_in_tmp(const char *rel)
{
    char *p;
    assert_true(asprintf(&p, "%s/%s", tmp, rel) > 0);
    return p;
}

static char *file_in_tmp(const char *rel)
{
    char *p = path_in_tmp(rel);
    char *text = read_file(p);
    if (!text)
        fail_msg("%s: %s", p, strerror(errno));
    free(p);
    return text;
}

/* The class, graded once for all the tests below. */
static int grade_the_class(void **state)
{
    (void)state;
    if (chdir(MP_ROOT) != 0)
        return -1;
    tmp = make_tmpdir();
    chmod(tmp, 0755); /* the students' uid must reach the copies in it */
    /* unique among runs on this machine at the same time: the sandbox
     * refuses a uid that has processes */
    grade_uid = 200000 + (long)getpid();
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "set -e; t='%s'; mkdir -p $t/subs $t/pack/exercises/01-hello $t/evil/in $t/scratch; "
             "cp -r tests/grading/submissions/* $t/subs/; "
             "mkdir -p $t/subs/alice && cp -r solutions/01-hello $t/subs/alice/; "
             "mkdir -p $t/subs/untouched && cp -r exercises/01-hello $t/subs/untouched/; "
             "cp solutions/01-hello/ex1-exitcode.c $t/pack/exercises/01-hello/; "
             "mkdir -p $t/mac/mpkit $t/mac/__MACOSX/mpkit && cp -r $t/pack/exercises $t/mac/mpkit/ && "
             "touch $t/mac/.DS_Store $t/mac/__MACOSX/mpkit/._exercises; "
             "tar -C $t/mac -czf $t/subs/archived.tar.gz mpkit __MACOSX .DS_Store; "
             "mkdir -p $t/subs/linked/01-hello; "
             "ln -s \"$(pwd)/solutions/01-hello/ex1-exitcode.c\" $t/subs/linked/01-hello/ex1-exitcode.c; "
             "echo 'int x;' >$t/evil/outside.c; (cd $t/evil/in && tar -czPf $t/subs/sneaky.tgz ../outside.c); "
             "rm $t/evil/outside.c; "
             "mkdir -p $t/subs/dotted.tgz && cp -r $t/pack/exercises/01-hello $t/subs/dotted.tgz/; "
             "tar -C $t/pack -cf $t/subs/tarred.tgz exercises; "
             /* the scratch folders of a grading killed with SIGKILL, and of one that still runs (this test) */
             "mkdir -p $t/scratch/mpkit-grade-killed/kit $t/scratch/mpkit-grade-running; "
             "echo 999999999 >$t/scratch/mpkit-grade-killed/grading.pid; "
             "echo %ld >$t/scratch/mpkit-grade-running/grading.pid",
             tmp, (long)getpid());
    if (sh(cmd, 60) != 0) {
        print_error("could not make the sample class in %s\n", tmp);
        return -1;
    }
    snprintf(cmd, sizeof cmd, "t='%s'; "
             MAKE_AS_TYPED " grade BUILD='%s' SUBMISSIONS='%s/subs' GRADE_OUT='%s/out' LESSONS=1 "
             "GRADE_TIME=5 GRADE_PROCS=24 GRADE_OUTPUT=65536 GRADE_UID=%ld",
             tmp, BUILD_DIR, tmp, tmp, grade_uid);
    uint64_t t0 = mp_now_ns();
    grade_rc = sh(cmd, 150); /* the bound on the whole run */
    grade_wall = mp_ns_to_s(mp_now_ns() - t0);
    return 0;
}

static int remove_the_class(void **state)
{
    (void)state;
    rm_tree(tmp);
    return 0;
}

static void assert_says(const char *text, const char *part, const char *where)
{
    if (!strstr(text, part))
        fail_msg("%s does not say '%s'; it holds:\n%s", where, part, text);
}

static void test_the_run_ends_well_within_its_bound(void **state)
{
    (void)state;
    char *err = read_output(tmp, "err.txt"); /* the grading's, read before any other command */
    if (grade_rc != 0)
        fail_msg("make grade ended with %d after %.1f s (-1000: over 150 s); it said: %s", grade_rc, grade_wall,
                 err ? err : "");
    /* the class's folder is readable by all here: the grading says so once */
    char *warning;
    if (geteuid() == 0)
        assert_true(asprintf(&warning, "grade: warning: uid %ld can read %s/subs: a submission can #include",
                             grade_uid, tmp) > 0);
    else
        warning = strdup("grade: warning: not root, so the students' code runs as you");
    assert_non_null(err);
    assert_says(err, warning, "make grade's stderr");
    free(warning);
    free(err);
}

/* grades.csv: the expected rows, in order, the seconds column left out
 * (it is checked to be a number, never compared). */
static void test_every_status_is_the_expected_one(void **state)
{
    (void)state;
    static const char *want[] = {
        "student,lesson,exercise,status,passed,total",
        "alice,01-hello,ex1-exitcode,passed,2,2",
        "alice,01-hello,ex2-usable-cpus,passed,2,2",
        "alice,01-hello,ex3-reap,passed,3,3",
        "archived,01-hello,ex1-exitcode,passed,2,2",
        "archived,01-hello,ex2-usable-cpus,missing,0,0",
        "archived,01-hello,ex3-reap,missing,0,0",
        "chatty,01-hello,ex1-exitcode,passed,2,2",
        "chatty,01-hello,ex2-usable-cpus,missing,0,0",
        "chatty,01-hello,ex3-reap,missing,0,0",
        "crashes,01-hello,ex1-exitcode,crashed,0,2",
        "crashes,01-hello,ex2-usable-cpus,missing,0,0",
        "crashes,01-hello,ex3-reap,missing,0,0",
        "dotted.tgz,01-hello,ex1-exitcode,passed,2,2",
        "dotted.tgz,01-hello,ex2-usable-cpus,missing,0,0",
        "dotted.tgz,01-hello,ex3-reap,missing,0,0",
        "floods,01-hello,ex1-exitcode,missing,0,0",
        "floods,01-hello,ex2-usable-cpus,crashed,0,2",
        "floods,01-hello,ex3-reap,missing,0,0",
        "fork-bomb,01-hello,ex1-exitcode,missing,0,0",
        "fork-bomb,01-hello,ex2-usable-cpus,missing,0,0",
        "fork-bomb,01-hello,ex3-reap,crashed,0,3",
        "linked,01-hello,ex1-exitcode,missing,0,0",
        "linked,01-hello,ex2-usable-cpus,missing,0,0",
        "linked,01-hello,ex3-reap,missing,0,0",
        "loops,01-hello,ex1-exitcode,missing,0,0",
        "loops,01-hello,ex2-usable-cpus,missing,0,0",
        "loops,01-hello,ex3-reap,timeout,0,3",
        "no-compile,01-hello,ex1-exitcode,compile-error,0,0",
        "no-compile,01-hello,ex2-usable-cpus,missing,0,0",
        "no-compile,01-hello,ex3-reap,missing,0,0",
        "sneaky,01-hello,ex1-exitcode,missing,0,0",
        "sneaky,01-hello,ex2-usable-cpus,missing,0,0",
        "sneaky,01-hello,ex3-reap,missing,0,0",
        "tarred,01-hello,ex1-exitcode,passed,2,2",
        "tarred,01-hello,ex2-usable-cpus,missing,0,0",
        "tarred,01-hello,ex3-reap,missing,0,0",
        "untouched,01-hello,ex1-exitcode,untouched,0,0",
        "untouched,01-hello,ex2-usable-cpus,untouched,0,0",
        "untouched,01-hello,ex3-reap,untouched,0,0",
        "wrong,01-hello,ex1-exitcode,failed,0,2",
        "wrong,01-hello,ex2-usable-cpus,missing,0,0",
        "wrong,01-hello,ex3-reap,missing,0,0",
    };
    int n = (int)(sizeof want / sizeof want[0]);
    char *csv = file_in_tmp("out/grades.csv");
    assert_int_equal(count_lines(csv), n);
    char *save = NULL, *line = strtok_r(csv, "\n", &save);
    for (int i = 0; i < n; i++, line = strtok_r(NULL, "\n", &save)) {
        assert_non_null(line);
        char *last = strrchr(line, ',');
        assert_non_null(last);
        *last = '\0';
        if (strcmp(line, want[i]) != 0)
            fail_msg("grades.csv line %d: got '%s', expected '%s'", i + 1, line, want[i]);
        if (i > 0) {
            char *end;
            double s = strtod(last + 1, &end);
            if (*end || end == last + 1 || s < 0)
                fail_msg("grades.csv line %d: seconds '%s' is not a number", i + 1, last + 1);
        } else {
            assert_string_equal(last + 1, "seconds");
        }
    }
    free(csv);
}

static void test_each_student_has_a_page(void **state)
{
    (void)state;
    /* every student, and what some pages must say */
    static const struct { const char *student, *says; } pages[] = {
        {"alice", NULL},
        {"archived", NULL},
        {"chatty", NULL},
        {"crashes", "killed by SIGSEGV"},
        {"dotted.tgz", NULL},
        {"floods", "printed more than 65536 bytes"},
        {"fork-bomb", "reached 24 processes and threads"},
        {"linked", NULL},
        {"loops", NULL},
        {"no-compile", "ex1-exitcode.c:8:5: error:"},
        {"sneaky", "archive sneaky.tgz rejected: a path in it is absolute or has '..'"},
        {"tarred", NULL},
        {"wrong", "- 01-hello/ex1-exitcode: test_normal_exits test_signals_are_negative"},
    };
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "out/students/%s.md", pages[i].student);
        char *md = file_in_tmp(rel);
        assert_says(md, "| lesson | exercise | status | tests passed | seconds | note |", rel);
        assert_says(md, "## First compiler error", rel);
        assert_says(md, "## Failing tests", rel);
        if (pages[i].says)
            assert_says(md, pages[i].says, rel);
        free(md);
    }
}

/* JSON's syntax, enough to catch a bad escape or a missing bracket:
 * strings with valid escapes and no raw control characters, brackets that
 * match. (python3's json module checks it all, when it is installed.) */
static void assert_json_syntax(const char *s, const char *where)
{
    char stack[64];
    int depth = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '"') {
            for (p++; *p != '"'; p++) {
                if (!*p || (unsigned char)*p < 0x20)
                    fail_msg("%s: a string is not closed, or holds a control character", where);
                if (*p == '\\' && !strchr("\"\\/bfnrtu", *++p))
                    fail_msg("%s: a bad escape \\%c", where, *p);
            }
        } else if (*p == '{' || *p == '[') {
            assert_true(depth < 64);
            stack[depth++] = *p == '{' ? '}' : ']';
        } else if (*p == '}' || *p == ']') {
            if (depth == 0 || stack[--depth] != *p)
                fail_msg("%s: '%c' does not match", where, *p);
        }
    }
    if (depth != 0)
        fail_msg("%s: %d brackets left open", where, depth);
}

static void test_the_json_is_gradescopes(void **state)
{
    (void)state;
    char *json = file_in_tmp("out/results/alice.json");
    assert_json_syntax(json, "alice.json");
    assert_says(json, "\"score\": 3,", "alice.json");
    assert_says(json, "{\"name\": \"01-hello/ex3-reap\", \"score\": 1, \"max_score\": 1, \"status\": \"passed\"",
                    "alice.json");
    free(json);
    json = file_in_tmp("out/results/no-compile.json");
    assert_json_syntax(json, "no-compile.json"); /* the compiler's quotes, escaped */
    assert_says(json, "\"score\": 0,", "no-compile.json");
    assert_says(json, "\"status\": \"failed\"", "no-compile.json");
    free(json);
    if (mp_have_program("python3")) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd,
                 "python3 -c 'import json, sys\nfor f in sys.argv[1:]:\n  r = json.load(open(f))\n"
                 "  assert len(r[\"tests\"]) == 3, f\n  assert all(t[\"max_score\"] == 1 for t in r[\"tests\"])' "
                 "%s/out/results/*.json",
                 tmp);
        if (sh(cmd, 60) != 0) {
            char *err = read_output(tmp, "err.txt");
            fail_msg("python3's json module rejects a results file: %s", err ? err : "");
        }
    }
}

/* Nothing of the students' is left: no process of the uid, no file of it
 * in the temp folders, no scratch folder (nor the one of a grading that
 * was killed; the one of a grading that runs stays), and the archive's
 * "../" file nowhere. */
static void test_nothing_is_left_behind(void **state)
{
    (void)state;
    if (geteuid() == 0) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "ps -o pid= -u %ld; find /tmp /var/tmp /dev/shm -maxdepth 1 -uid %ld", grade_uid,
                 grade_uid);
        sh(cmd, 30);
        char *out = read_output(tmp, "out.txt");
        assert_non_null(out);
        if (*out)
            fail_msg("uid %ld left behind: %s", grade_uid, out);
        free(out);
    }
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "ls -A '%s/scratch'", tmp); /* the copies and the kit's copy are gone */
    assert_int_equal(sh(cmd, 30), 0);
    char *out = read_output(tmp, "out.txt");
    assert_non_null(out);
    if (strcmp(out, "mpkit-grade-running\n") != 0)
        fail_msg("the scratch folder holds, not only mpkit-grade-running:\n%s", out);
    free(out);
    struct stat st;
    char *p = path_in_tmp("outside.c");
    assert_int_not_equal(stat(p, &st), 0);
    free(p);
    p = path_in_tmp("out/logs/alice/01-hello_ex1-exitcode.txt"); /* the logs stay */
    assert_int_equal(stat(p, &st), 0);
    free(p);
}

/* A grading stopped in the middle (a student whose tests loop, the grading
 * waiting for them): it fails, says in GRADE_OUT/INCOMPLETE that no student
 * was graded, and leaves no process of its uid and no scratch copy. The
 * signal is SIGTERM to its process group, which takes the path Ctrl-C
 * takes (the same trap): a shell starts a background job with SIGINT
 * ignored, so SIGINT could not be sent from here. It is sent once the
 * student's logs folder exists (the grading is under way, whatever the
 * load), and the file is waited for, up to 20 s, since make may end before
 * grade.sh has written it. */
static void test_stopped_says_the_grades_are_incomplete(void **state)
{
    (void)state;
    long uid = grade_uid + 1; /* the main grading's uid is checked on its own */
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "t='%s'; rm -rf $t/cut && mkdir -p $t/cut/subs && cp -r tests/grading/submissions/loops $t/cut/subs/; "
             "setsid " MAKE_AS_TYPED " grade BUILD='%s' SUBMISSIONS=$t/cut/subs GRADE_OUT=$t/cut/out LESSONS=1 "
             "GRADE_TIME=60 GRADE_UID=%ld >$t/cut/grade.txt 2>&1 & pid=$!; "
             "i=0; while [ ! -d $t/cut/out/logs/loops ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; "
             "kill -TERM -$pid; wait $pid; echo $? >$t/cut/rc; "
             "i=0; while [ ! -f $t/cut/out/INCOMPLETE ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; "
             "i=0; while ps -o pid= -u %ld >/dev/null 2>&1 && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done",
             tmp, BUILD_DIR, uid, uid);
    assert_int_equal(sh(cmd, 120), 0);
    char *rc = file_in_tmp("cut/rc");
    assert_int_not_equal(atoi(rc), 0); /* stopped: not a success */
    free(rc);
    char *inc = file_in_tmp("cut/out/INCOMPLETE");
    assert_says(inc, "grading stopped by SIGTERM after 0 submission(s)", "INCOMPLETE");
    free(inc);
    if (geteuid() == 0) {
        snprintf(cmd, sizeof cmd, "ps -o pid= -u %ld", uid);
        sh(cmd, 30);
        char *left = read_output(tmp, "out.txt");
        assert_non_null(left);
        if (*left)
            fail_msg("uid %ld left running: %s", uid, left);
        free(left);
    }
    snprintf(cmd, sizeof cmd, "ls -A '%s/scratch'", tmp);
    assert_int_equal(sh(cmd, 30), 0);
    char *out = read_output(tmp, "out.txt");
    assert_non_null(out);
    if (strcmp(out, "mpkit-grade-running\n") != 0)
        fail_msg("the scratch folder holds, not only mpkit-grade-running:\n%s", out);
    free(out);
}

/* Bad input: one line, status 2. */
static void test_bad_input_is_one_line_and_status_2(void **state)
{
    (void)state;
    static const struct { const char *args, *says; } bad[] = {
        {"", "SUBMISSIONS=DIR"},
        {"SUBMISSIONS=/nonexistent/class", "is not a folder"},
        {"SUBMISSIONS=. GRADE_TIME=soon", "GRADE_TIME must be a whole number"},
        {"SUBMISSIONS=. LESSONS=99", "no exercises for lesson 99"},
        {"SUBMISSIONS=$t/subs GRADE_OUT=$t/subs/grades LESSONS=1", "is inside SUBMISSIONS="},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "t='%s'; " MAKE_AS_TYPED " grade BUILD='%s' GRADE_OUT='%s/bad' %s",
                 tmp, BUILD_DIR, tmp, bad[i].args);
        assert_int_equal(sh(cmd, 60), 2);
        char *err = read_output(tmp, "err.txt");
        assert_non_null(err);
        assert_says(err, bad[i].says, cmd);
        if (count_lines(err) != 1)
            fail_msg("%s: said %d lines, not one:\n%s", cmd, count_lines(err), err);
        free(err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_run_ends_well_within_its_bound),
        cmocka_unit_test(test_every_status_is_the_expected_one),
        cmocka_unit_test(test_each_student_has_a_page),
        cmocka_unit_test(test_the_json_is_gradescopes),
        cmocka_unit_test(test_nothing_is_left_behind),
        cmocka_unit_test(test_bad_input_is_one_line_and_status_2),
        cmocka_unit_test(test_stopped_says_the_grades_are_incomplete),
    };
    return cmocka_run_group_tests_name("make grade", tests, grade_the_class, remove_the_class);
}
