/* Lesson 06 run as a student runs it: included by tests/test_lessons.c.
 * Only what no load can change is asserted: exit status, the columns and
 * rows of every file, values that are numbers in range (times > 0, the
 * model's break-evens positive), and the lesson's own exactness checks
 * (every batch gave the serial loop's results). Never a speedup's size. */

/* Rows of `text` whose first column is `backend`. */
static int rows_of(const char *text, const char *backend)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "\n%s,", backend);
    int n = 0;
    for (const char *p = text; (p = strstr(p, prefix)); p++)
        n++;
    return n;
}

static void check_lesson06_run(const char *dir)
{
    char *g = csv(dir, "granularity.csv");
    assert_header(g, "backend,task_ns,workers,chunksize,median_s,speedup,overhead_ns_per_task");
    /* --quick: 5 costs, serial and three ways with chunksize 1 and default */
    assert_int_equal(rows_of(g, "serial"), 5);
    assert_int_equal(rows_of(g, "thread"), 10);
    assert_int_equal(rows_of(g, "process-fork"), 10);
    assert_int_equal(rows_of(g, "process-spawn"), 10);
    int py = mp_have_program("python3");
    assert_true(py ? rows_of(g, "cpython-process") >= 1 : rows_of(g, "cpython-process") == 0);
    assert_int_equal(rows_of(g, "cpython-process"), rows_of(g, "cpython-thread"));
    for (const char *line = strchr(g, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        char backend[32];
        double task_ns, median, speedup, over;
        int workers;
        long cs;
        if (sscanf(line + 1, "%31[^,],%lf,%d,%ld,%lf,%lf,%lf", backend, &task_ns, &workers, &cs, &median, &speedup,
                   &over) != 7)
            fail_msg("granularity.csv: bad row %.*s", (int)strcspn(line + 1, "\n"), line + 1);
        assert_true(task_ns >= 100 && task_ns <= 1e6);
        assert_true(median > 0 && speedup > 0 && over >= 0);
        assert_true(strcmp(backend, "serial") == 0 ? cs == 0 && workers == 1 : cs >= 1 && workers >= 1);
    }
    free(g);

    char *m = csv(dir, "model.csv");
    assert_header(m, "backend,start_us,overhead_ns_per_task,predicted_breakeven_ns,measured_breakeven_ns");
    const char *ways[] = {"thread", "process-fork", "process-spawn"};
    for (int w = 0; w < 3; w++) {
        char row[48];
        snprintf(row, sizeof row, "\n%s,", ways[w]);
        assert_int_equal(rows_of(m, ways[w]), 1);
        assert_true(csv_value(m, row, 1) > 0);  /* a pool's start takes time */
        assert_true(csv_value(m, row, 3) > 0);  /* and so the model's break-even is above 0 */
    }
    free(m);

    char *t = csv(dir, "t4.csv");
    assert_header(t, "experiment,backend,workers,median_s");
    assert_int_equal(rows_of(t, "factorials"), 4); /* serial and three pools */
    assert_int_equal(rows_of(t, "waits"), 5);      /* 1, 4, 10, 100 workers and apply in a loop */
    assert_non_null(strstr(t, "\nwaits,process-fork,100,"));
    /* ten waits of 50 ms one after another cannot take less than 0.5 s */
    assert_true(csv_value(t, "\nwaits,process-fork,1,", 3) >= 0.5);
    free(t);

    char *c = csv(dir, "chunks.csv");
    assert_header(c, "backend,tasks,task_ns,chunksize,median_s,speedup,overhead_ns_per_task");
    assert_true(rows_of(c, "process-fork") >= 3 && rows_of(c, "process-fork") == rows_of(c, "thread"));
    assert_non_null(strstr(c, "\nprocess-fork,4000,500,500,")); /* Python's default for 2 workers is a row */
    free(c);

    char *d = csv(dir, "data.csv");
    assert_header(d, "bytes,task_ns,tasks,median_s,speedup,overhead_ns_per_task");
    assert_int_equal(rows_of(d, "16"), 4);
    assert_int_equal(rows_of(d, "65536"), 4);
    free(d);

    char *out = read_output(dir, "out.txt");
    assert_verdict_yes(out, "every batch of every way gave the serial loop's results");
    assert_non_null(strstr(out, "rule of thumb for this machine"));
    free(out);
}

static void test_lesson06(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(run_lesson("06", dir, "--workers", "2"), 0);
    check_lesson06_run(dir);
    rm_tree(dir);
}

#define LESSON06_TESTS cmocka_unit_test(test_lesson06)
