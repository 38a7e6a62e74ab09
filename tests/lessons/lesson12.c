/* Lesson 12 run as a student runs it: included by tests/test_lessons.c.
 * Asserted: exit status, openmp.csv's columns and rows, and the results no
 * load can change -- every way computed the serial results, the protected
 * totals are exact, OMP_NUM_THREADS=3 gives 3 threads. Never a time. */

static void test_lesson12(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(run_lesson("12", dir, "--workers", "2"), 0);
    char *c = csv(dir, "openmp.csv");
    assert_header(c, "method,schedule,chunk,threads,task_ns,median_s,speedup");
    const char *rows[] = {"\nopenmp,static,0,2,", "\nopenmp,dynamic,1,2,", "\nopenmp,dynamic,16,2,",
                          "\nopenmp,guided,0,2,", "\nkit-thread,-,1,2,", "\nkit-process,-,1,2,",
                          "\nreduction,static,0,", "\ncritical,static,0,", "\natomic,static,0,", "\nkit-lock,static,0,"};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (!strstr(c, rows[i]))
            fail_msg("openmp.csv: no row %s", rows[i] + 1);
    free(c);
    char *out = read_output(dir, "out.txt");
    assert_verdict_yes(out, "every schedule and every pool computed the serial loop's results");
    assert_verdict_yes(out, "a reduction, critical, atomic and the kit's lock all give the exact total");
    assert_non_null(strstr(out, "OMP_NUM_THREADS=3: 3 threads"));
    free(out);
    rm_tree(dir);
}

#define LESSON12_TESTS cmocka_unit_test(test_lesson12)
