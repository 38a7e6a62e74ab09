/* Every lesson, run as a student runs it (--quick): it exits 0, writes its
 * CSV files with exactly the promised columns, refuses bad flags with one
 * line and status 2, and leaves no process behind, also after Ctrl-C. */
#include "helpers.h"
#include <ctype.h>
#include <dirent.h>

#ifndef BUILD_DIR
#define BUILD_DIR "build"
#endif

static char *lesson_path(const char *num)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s/lesson-%s", MP_ROOT, BUILD_DIR, num);
    if (BUILD_DIR[0] == '/')
        snprintf(path, sizeof path, "%s/lesson-%s", BUILD_DIR, num);
    return path;
}

/* Run a lesson with --quick --no-plot --out DIR plus extra words. */
static int run_lesson(const char *num, const char *dir, const char *extra1, const char *extra2)
{
    char *argv[] = {lesson_path(num), "--quick", "--no-plot", "--out", (char *)dir, (char *)extra1,
                    (char *)extra2, NULL};
    uint64_t t0 = mp_now_ns();
    int rc = run_program(argv, dir, 120);
    if (rc == 0 && (!extra1 || strcmp(extra1, "--help") != 0)) /* a --quick run should take under 5 s */
        print_message("lesson-%s --quick took %.1f s\n", num, mp_ns_to_s(mp_now_ns() - t0));
    return rc;
}

static char *csv(const char *dir, const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = read_file(path);
    if (!text)
        fail_msg("%s was not written", path);
    return text;
}

static void assert_header(const char *text, const char *header)
{
    size_t n = strlen(header);
    if (strncmp(text, header, n) != 0 || text[n] != '\n')
        fail_msg("header is not %s: %.*s", header, (int)strcspn(text, "\n"), text);
}

/* The number in column `col` (0-based) of the first row that starts with
 * `prefix` (which begins with the newline before the row). */
static double csv_value(const char *text, const char *prefix, int col)
{
    const char *line = strstr(text, prefix);
    if (!line)
        fail_msg("no row starting %s", prefix);
    for (int i = 0; i < col; i++)
        line = strchr(line, ',') + 1;
    return atof(line);
}

/* One file per lesson, each with its own test functions (listed in main). */
/* The verdict line that starts with `claim` must end "-- yes". */
static void assert_verdict_yes(const char *out, const char *claim)
{
    const char *line = strstr(out, claim);
    if (!line)
        fail_msg("no verdict line '%s' in the output", claim);
    size_t len = strcspn(line, "\n");
    if (len < 6 || strncmp(line + len - 6, "-- yes", 6) != 0)
        fail_msg("verdict not held: %.*s", (int)len, line);
}

#include "lessons/lesson01.c"
#include "lessons/lesson02.c"
#include "lessons/lesson03.c"
#include "lessons/lesson04.c"
#include "lessons/lesson05.c"
#include "lessons/lesson07.c"
#include "lessons/lesson08.c"
/* Lessons added later: a file tests/lessons/lessonNN.c that exists is
 * included, and lists its tests in LESSONNN_TESTS (see main). */
#if __has_include("lessons/lesson06.c")
#include "lessons/lesson06.c"
#endif
#if __has_include("lessons/lesson09.c")
#include "lessons/lesson09.c"
#endif
#if __has_include("lessons/lesson10.c")
#include "lessons/lesson10.c"
#endif
#if __has_include("lessons/lesson11.c")
#include "lessons/lesson11.c"
#endif
#if __has_include("lessons/lesson12.c")
#include "lessons/lesson12.c"
#endif
#if __has_include("lessons/lesson13.c")
#include "lessons/lesson13.c"
#endif

static int by_name(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The lessons are tested in parts, one binary each (make test builds
 * test_lessons_1, _2, _3 with -DPART=1..3), so that each has its own time
 * limit and two run side by side; without PART, every lesson. */
#ifndef PART
#define PART 0
#endif
static bool in_part(const char *num)
{
    int n = atoi(num);
    return PART == 0 || (PART == 1 && n <= 4) || (PART == 2 && n >= 5 && n <= 8) || (PART == 3 && n >= 9);
}

/* Every lesson folder's number ("01", ...) in this part: the shared flags
 * are checked in each, so a new lesson is covered without being listed. At
 * most `max`. */
static int all_lessons(char nums[][3], int max)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/lessons", MP_ROOT);
    DIR *d = opendir(path);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < max;)
        if (isdigit((unsigned char)e->d_name[0]) && isdigit((unsigned char)e->d_name[1]) && e->d_name[2] == '-') {
            snprintf(nums[n], 3, "%.2s", e->d_name);
            n += in_part(nums[n]);
        }
    closedir(d);
    qsort(nums, (size_t)n, 3, by_name);
    return n;
}

/* Lessons 01 and 02 under the other start methods. */
static void test_start_methods_in_lessons(void **state)
{
    (void)state;
    const char *starts[] = {"spawn", "forkserver"};
    for (int i = 0; i < 2; i++) {
        char *dir = make_tmpdir();
        assert_int_equal(run_lesson("01", dir, "--start", starts[i]), 0);
        char *c = csv(dir, "counter.csv");
        int workers, saw, parent;
        const char *row = strstr(c, "\nprocess,");
        assert_non_null(row);
        assert_int_equal(sscanf(row, "\nprocess,%d,%d,%d", &workers, &saw, &parent), 3);
        assert_int_equal(saw, 1);    /* every child saw its own copy: 1 */
        assert_int_equal(parent, 0); /* the parent's stayed 0 */
        free(c);
        c = csv(dir, "exitcodes.csv");
        assert_non_null(strstr(c, "terminate (SIGTERM),-15,-15\n"));
        free(c);
        assert_int_equal(run_lesson("02", dir, "--start", starts[i]), 0);
        c = csv(dir, "speedup.csv");
        assert_non_null(strstr(c, "\nprocess,cpu,2,"));
        free(c);
        rm_tree(dir);
    }
}

static void expect_refused(const char *num, const char *flag, const char *value)
{
    char *dir = make_tmpdir();
    assert_int_equal(run_lesson(num, dir, flag, value), 2);
    char *err = read_output(dir, "err.txt");
    assert_int_equal(count_lines(err), 1);
    assert_non_null(strstr(err, flag));
    free(err);
    rm_tree(dir);
}

static void test_bad_flags(void **state)
{
    (void)state;
    char lessons[32][3];
    int n = all_lessons(lessons, 32);
    assert_true(n >= 1);
    for (int i = 0; i < n; i++) {
        expect_refused(lessons[i], "--workers", "0");
        expect_refused(lessons[i], "--workers", "lots");
        expect_refused(lessons[i], "--repeat", "-3");
        expect_refused(lessons[i], "--max-workers", "5000");
        expect_refused(lessons[i], "--bogus", NULL);
        expect_refused(lessons[i], "--start", "teleport");
    }
    expect_refused("03", "--switch-interval", "0");
    expect_refused("03", "--switch-interval", "-5");
    expect_refused("03", "--switch-interval", "5ms");
    expect_refused("03", "--check-interval", "0");
    expect_refused("03", "--mode", "fastest");
}

/* Distinct threads (pid, tid pairs) with at least one span in a trace JSON. */
static int threads_in_trace(const char *json)
{
    int pids[512], tids[512], n = 0;
    for (const char *p = json; (p = strstr(p, "\"ph\":\"X\"")); p++) {
        int pid, tid;
        const char *q = strstr(p, "\"pid\":");
        if (!q || sscanf(q, "\"pid\":%d,\"tid\":%d", &pid, &tid) != 2)
            fail_msg("a span without pid and tid in the trace");
        bool seen = false;
        for (int i = 0; i < n && !seen; i++)
            seen = pids[i] == pid && tids[i] == tid;
        if (!seen && n < 512) {
            pids[n] = pid;
            tids[n++] = tid;
        }
    }
    return n;
}

/* --trace records every experiment: each lesson's trace-all has spans from
 * more than one thread or process, and says how many it wrote. */
static void test_trace_in_every_lesson(void **state)
{
    (void)state;
    char lessons[32][3];
    int n = all_lessons(lessons, 32);
    for (int i = 0; i < n; i++) {
        char *dir = make_tmpdir();
        int rc = run_lesson(lessons[i], dir, "--trace", NULL);
        if (rc != 0)
            fail_msg("lesson-%s --quick --trace exited with %d", lessons[i], rc);
        char *json = csv(dir, "trace-all.json");
        int threads = threads_in_trace(json);
        if (threads < 2)
            fail_msg("lesson-%s: trace-all.json has spans from %d thread(s)", lessons[i], threads);
        free(json);
        char *out = read_output(dir, "out.txt");
        assert_non_null(strstr(out, "timeline trace-all: "));
        free(out);
        rm_tree(dir);
    }
}

/* --out that names a file is refused before anything runs. */
static void test_out_must_be_a_folder(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char file[PATH_MAX];
    snprintf(file, sizeof file, "%s/a-file", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    char *argv[] = {lesson_path("01"), "--quick", "--out", file, NULL};
    assert_int_equal(run_program(argv, dir, 60), 2);
    char *err = read_output(dir, "err.txt");
    assert_int_equal(count_lines(err), 1);
    assert_non_null(strstr(err, "--out"));
    free(err);
    rm_tree(dir);
}

/* A full disk: every failed write is reported with its path, and the lesson
 * ends with a non-zero status instead of "done". Needs root to mount a
 * small tmpfs; elsewhere it says so and checks nothing. */
static void test_full_disk_is_an_error(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char mnt[PATH_MAX], filler[PATH_MAX + 16];
    snprintf(mnt, sizeof mnt, "%s/full", dir);
    assert_int_equal(mkdir(mnt, 0700), 0);
    char *mount_argv[] = {"/bin/mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt, NULL};
    if (geteuid() != 0 || run_program(mount_argv, dir, 30) != 0) {
        print_message("not checked: mounting a small tmpfs needs root\n");
        rm_tree(dir);
        return;
    }
    /* fill it up: every later write fails with ENOSPC */
    snprintf(filler, sizeof filler, "%s/filler", mnt);
    FILE *f = fopen(filler, "w");
    assert_non_null(f);
    char block[4096] = {0};
    while (fwrite(block, 1, sizeof block, f) == sizeof block && fflush(f) == 0)
        ;
    fclose(f);
    char *argv[] = {lesson_path("01"), "--quick", "--no-plot", "--out", mnt, NULL};
    int rc = run_program(argv, dir, 60);
    char *err = read_output(dir, "err.txt");
    char *out = read_output(dir, "out.txt");
    char *umount_argv[] = {"/bin/umount", mnt, NULL}; /* (its output replaces out.txt and err.txt) */
    assert_int_equal(run_program(umount_argv, dir, 30), 0);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(err, "No space left on device"));
    assert_non_null(strstr(err, "counter.csv")); /* the path is named */
    free(err);
    assert_null(strstr(out, "done in")); /* never "done" after losing data */
    free(out);
    rm_tree(dir);
}

static void test_help(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(run_lesson("02", dir, "--help", NULL), 0);
    char *out = read_output(dir, "out.txt");
    assert_non_null(strstr(out, "--workers"));
    assert_non_null(strstr(out, "--start"));
    free(out);
    rm_tree(dir);
}

/* Ctrl-C in the middle of lesson 02: it dies of SIGINT, and so do the
 * worker processes it had started. */
static void test_sigint_leaves_nothing(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *argv[] = {lesson_path("02"), "--no-plot", "--repeat", "1", "--out", dir, NULL};
    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    fflush(NULL);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    /* wait until it has worker processes (the process runs of part 1) */
    pid_t kids[64];
    int nkids = 0;
    for (int tries = 0; tries < 2000 && nkids == 0; tries++) {
        mp_sleep_ns(2000000);
        nkids = mp_proc_children_of(pid, kids, 64, NULL);
        if (nkids > 64)
            nkids = 64;
    }
    if (nkids == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("lesson-02 never started a worker process");
    }
    assert_int_equal(kill(pid, SIGINT), 0);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_int_equal(mp_exitcode_from_status(st), -SIGINT);
    for (int i = 0; i < nkids; i++)
        assert_true(pid_gone(kids[i], 3.0));
    assert_no_children();
    rm_tree(dir);
}

/* The tests of one lesson, listed with its number. */
typedef struct lesson_tests { const char *num; const struct CMUnitTest *tests; size_t n; } lesson_tests;
#define LESSON(num, ...)                                                                                   \
    {num, (const struct CMUnitTest[]){__VA_ARGS__},                                                        \
     sizeof((const struct CMUnitTest[]){__VA_ARGS__}) / sizeof(struct CMUnitTest)}

int main(void)
{
    mp_report_quiet(1);
    if (getenv("TEST")) /* TEST=test_lesson02 runs only the tests it matches (* and ? allowed) */
        cmocka_set_test_filter(getenv("TEST"));
    const lesson_tests lessons[] = {
        LESSON("01", cmocka_unit_test(test_lesson01), cmocka_unit_test(test_lesson01_trace_off),
               cmocka_unit_test(test_start_methods_in_lessons), cmocka_unit_test(test_out_must_be_a_folder),
               cmocka_unit_test(test_full_disk_is_an_error)),
        LESSON("02", cmocka_unit_test(test_lesson02), cmocka_unit_test(test_lesson02_flags), cmocka_unit_test(test_help),
               cmocka_unit_test(test_sigint_leaves_nothing)),
        LESSON("03", cmocka_unit_test(test_lesson03), cmocka_unit_test(test_lesson03_server_killed)),
        LESSON("04", cmocka_unit_test(test_lesson04)),
        LESSON("05", cmocka_unit_test(test_lesson05), cmocka_unit_test(test_lesson05_spawn)),
#ifdef LESSON06_TESTS
        LESSON("06", LESSON06_TESTS),
#endif
        LESSON("07", cmocka_unit_test(test_lesson07), cmocka_unit_test(test_lesson07_start_methods)),
        LESSON("08", cmocka_unit_test(test_lesson08), cmocka_unit_test(test_lesson08_start_methods)),
#ifdef LESSON09_TESTS
        LESSON("09", LESSON09_TESTS),
#endif
#ifdef LESSON10_TESTS
        LESSON("10", LESSON10_TESTS),
#endif
#ifdef LESSON11_TESTS
        LESSON("11", LESSON11_TESTS),
#endif
#ifdef LESSON12_TESTS
        LESSON("12", LESSON12_TESTS),
#endif
#ifdef LESSON13_TESTS
        LESSON("13", LESSON13_TESTS),
#endif
    };
    struct CMUnitTest tests[128];
    size_t n = 0;
    for (size_t l = 0; l < sizeof lessons / sizeof lessons[0]; l++)
        for (size_t k = 0; in_part(lessons[l].num) && k < lessons[l].n && n < 126; k++)
            tests[n++] = lessons[l].tests[k];
    /* the shared flags and --trace, in every lesson of this part */
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_bad_flags);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_trace_in_every_lesson);
    char name[32];
    if (PART)
        snprintf(name, sizeof name, "lessons, part %d", PART);
    else
        snprintf(name, sizeof name, "lessons");
    return _cmocka_run_group_tests(name, tests, n, NULL, NULL);
}
