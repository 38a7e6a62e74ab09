/* Lesson 01 run as a student runs it: included by tests/test_lessons.c. */

static void test_lesson01(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(run_lesson("01", dir, "--workers", "4"), 0);
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


/* When the trace log cannot be mapped (an address-space limit below its
 * size), the lesson says tracing is off and why, runs on, and never writes
 * an empty timeline as if it were complete. */
static void test_lesson01_trace_off(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char cmd[PATH_MAX * 2 + 128];
    snprintf(cmd, sizeof cmd, "ulimit -v 400000 && exec '%s' --quick --trace --no-plot --out '%s'",
             lesson_path("01"), dir);
    char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    assert_int_equal(run_program(argv, dir, 60), 0);
    char path[PATH_MAX];
    char *out = read_output(dir, "out.txt");
    assert_non_null(strstr(out, "tracing is off"));
    assert_non_null(strstr(out, "no trace-all timeline: tracing is off"));
    free(out);
    snprintf(path, sizeof path, "%s/trace-all.json", dir);
    assert_int_equal(access(path, F_OK), -1);
    rm_tree(dir);
}
