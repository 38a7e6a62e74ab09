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

