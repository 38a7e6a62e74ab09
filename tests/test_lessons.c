/* Every lesson, run as a student runs it (--quick): it exits 0, writes its
 * CSV files with exactly the promised columns, refuses bad flags with one
 * line and status 2, and leaves no process behind, also after Ctrl-C. */
#include "helpers.h"

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

static void test_lesson01(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(run_lesson("01", dir, NULL, NULL), 0);
    char *c = csv(dir, "counter.csv");
    assert_header(c, "kind,workers,largest_value_a_worker_saw,parent_sees");
    assert_non_null(strstr(c, "process,4,1,0\n")); /* each child saw 1, the parent 0 */
    assert_non_null(strstr(c, "thread,4,4,4\n"));  /* one shared variable */
    free(c);
    c = csv(dir, "exitcodes.csv");
    assert_header(c, "case,exitcode,expected");
    assert_non_null(strstr(c, "exit(5),5,5\n"));
    assert_non_null(strstr(c, "terminate (SIGTERM),-15,-15\n"));
    assert_non_null(strstr(c, "kill (SIGKILL),-9,-9\n"));
    free(c);
    c = csv(dir, "zombie.csv");
    assert_header(c, "phase,state,zombie_children");
    assert_non_null(strstr(c, "before-join,Z,1\n"));
    assert_non_null(strstr(c, "after-join,-,0\n"));
    free(c);
    rm_tree(dir);
}

static void test_lesson02(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(run_lesson("02", dir, "--max-workers", "2"), 0);
    char *c = csv(dir, "speedup.csv");
    assert_header(c, "kind,workload,workers,median_s,min_s,max_s,speedup");
    int rows = 0, kinds[3] = {0}, loads[2] = {0};
    char *line = strchr(c, '\n') + 1;
    while (*line) {
        char kind[16], load[8];
        int workers;
        double med, min, max, speedup;
        if (sscanf(line, "%15[^,],%7[^,],%d,%lf,%lf,%lf,%lf", kind, load, &workers, &med, &min, &max, &speedup) != 7)
            fail_msg("bad row: %.*s", (int)strcspn(line, "\n"), line);
        assert_true(min <= med && med <= max && med > 0);
        kinds[strcmp(kind, "serial") == 0 ? 0 : strcmp(kind, "thread") == 0 ? 1 : 2]++;
        loads[strcmp(load, "cpu") == 0 ? 0 : 1]++;
        if (strcmp(kind, "serial") == 0)
            assert_true(fabs(speedup - 1.0) < 1e-9 && workers == 1);
        rows++;
        line = strchr(line, '\n') + 1;
    }
    /* cpu: serial + 2 workers x 2 kinds; io: serial + {1,2,4,8} x 2 kinds */
    assert_int_equal(rows, 5 + 9);
    assert_int_equal(kinds[0], 2);
    assert_int_equal(kinds[1], 6);
    assert_int_equal(kinds[2], 6);
    assert_int_equal(loads[0], 5);
    free(c);
    rm_tree(dir);
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

static void test_lesson03(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(run_lesson("03", dir, NULL, NULL), 0);
    char *g = csv(dir, "gil.csv");
    assert_header(g, "mode,workers,pinned,median_s,min_s,max_s,cpu_s,ratio,handoffs,failed_wakeups");
    assert_non_null(strstr(g, "\nsequential,1,0,"));
    assert_non_null(strstr(g, "\nnew,2,0,"));
    assert_non_null(strstr(g, "\nold,2,0,"));
    assert_non_null(strstr(g, "\nold,2,1,"));
    assert_non_null(strstr(g, "\nnone,2,0,"));
    assert_non_null(strstr(g, "\nprocess,2,0,"));
    /* behaviour, with wide margins: the lock serialises, processes and no
     * lock do not (when there are 2 CPUs), the old lock battles */
    /* timing: checked unless other programs were keeping the CPUs busy */
    assert_when_quiet(csv_value(g, "\nnew,2,0,", 7) > 0.8); /* the lock serialises the threads */
    if (mp_cpus_usable() >= 2) {
        assert_when_quiet(csv_value(g, "\nprocess,2,0,", 7) < 0.85);
        assert_when_quiet(csv_value(g, "\nnone,2,0,", 7) < 0.85);
        assert_when_quiet(csv_value(g, "\nold,2,0,", 9) > csv_value(g, "\nold,2,0,", 8)); /* failed > handoffs */
    }
    free(g);
    char *c = csv(dir, "convoy.csv");
    assert_header(c, "setup,interval_us,cpu_threads,median_us,p99_us");
    double alone = csv_value(c, "\nalone,", 3);
    double beside = csv_value(c, "\nthreads,5000,1,", 3);
    double in_process = csv_value(c, "\nprocess,", 3);
    assert_when_quiet(beside > 3 * alone);  /* about one interval more */
    assert_when_quiet(in_process < beside); /* the CPU work in a process: no convoy */
    free(c);
    if (mp_have_program("python3")) {
        char *py = csv(dir, "cpython.csv");
        assert_header(py, "experiment,setup,median,unit");
        assert_non_null(strstr(py, "\ncountdown,threads,"));
        assert_non_null(strstr(py, "\nconvoy,alone,"));
        free(py);
    }
    rm_tree(dir);
}

static void test_lesson04(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(run_lesson("04", dir, NULL, NULL), 0);
    char *s = csv(dir, "startup.csv");
    assert_header(s, "method,parent_mib,median_us,min_us,max_us");
    const char *methods[] = {"fork", "spawn", "forkserver", "raw-fork", "raw-vfork", "raw-posix_spawn"};
    for (int i = 0; i < 6; i++) {
        char row[64];
        snprintf(row, sizeof row, "\n%s,0,", methods[i]);
        assert_non_null(strstr(s, row));
        snprintf(row, sizeof row, "\n%s,256,", methods[i]);
        assert_non_null(strstr(s, row));
    }
    /* fork copies page tables: a 256 MiB parent costs it far more than vfork */
    assert_true(csv_value(s, "\nfork,256,", 2) > 3 * csv_value(s, "\nfork,0,", 2));
    assert_true(csv_value(s, "\nfork,256,", 2) > 5 * csv_value(s, "\nraw-vfork,256,", 2));
    free(s);
    char *m = csv(dir, "memory.csv");
    assert_header(m, "method,parent_mib,phase,child_rss_kib,child_pss_kib");
    double idle_rss = csv_value(m, "\nfork,256,idle,", 3), idle_pss = csv_value(m, "\nfork,256,idle,", 4);
    double written_pss = csv_value(m, "\nfork,256,after-write,", 4);
    assert_true(idle_rss > 200 * 1024);          /* it maps the parent's pages... */
    assert_true(idle_pss < 0.7 * idle_rss);      /* ...shared, so its share is about half */
    /* writing a quarter (64 MiB) made private copies: +64 private, -32 of shared share */
    assert_true(written_pss > idle_pss + 20 * 1024);
    assert_true(csv_value(m, "\nspawn,256,idle,", 3) < 10 * 1024);
    free(m);
    char *h = csv(dir, "hazard.csv");
    assert_header(h, "method,outcome,exitcode,waited_s");
    assert_non_null(strstr(h, "\nfork,hung,-9,"));
    assert_non_null(strstr(h, "\nspawn,finished,0,"));
    assert_non_null(strstr(h, "\nforkserver,finished,0,"));
    free(h);
    char path[4200];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    char *out = read_file(path);
    assert_non_null(strstr(out, "main() is running again, from the top"));
    assert_non_null(strstr(out, "bootstrapping phase"));
    free(out);
    rm_tree(dir);
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
        assert_non_null(strstr(c, "process,4,1,0\n"));
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
    char path[4200];
    snprintf(path, sizeof path, "%s/err.txt", dir);
    char *err = read_file(path);
    assert_int_equal(count_lines(err), 1);
    assert_non_null(strstr(err, flag));
    free(err);
    rm_tree(dir);
}

static void test_bad_flags(void **state)
{
    (void)state;
    const char *lessons[] = {"01", "02", "03", "04"};
    for (int i = 0; i < 4; i++) {
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

static void test_help(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(run_lesson("02", dir, "--help", NULL), 0);
    char path[4200];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    char *out = read_file(path);
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

int main(void)
{
    mp_report_quiet(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lesson01), cmocka_unit_test(test_lesson02), cmocka_unit_test(test_lesson03),
        cmocka_unit_test(test_lesson04), cmocka_unit_test(test_start_methods_in_lessons),
        cmocka_unit_test(test_bad_flags), cmocka_unit_test(test_help),
        cmocka_unit_test(test_sigint_leaves_nothing),
    };
    return cmocka_run_group_tests_name("lessons", tests, NULL, NULL);
}
