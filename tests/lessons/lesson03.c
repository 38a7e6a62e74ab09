/* Lesson 03 run as a student runs it: included by tests/test_lessons.c. */

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
    free(g);
    char *c = csv(dir, "convoy.csv");
    assert_header(c, "setup,interval_us,cpu_threads,median_us,p99_us");
    assert_non_null(strstr(c, "\nalone,"));
    assert_non_null(strstr(c, "\nthreads,5000,1,"));
    assert_non_null(strstr(c, "\nprocess,"));
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

