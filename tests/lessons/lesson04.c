/* Lesson 04 run as a student runs it: included by tests/test_lessons.c. */

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
    char *out = read_output(dir, "out.txt");
    assert_non_null(strstr(out, "main() is running again, from the top"));
    free(out);
    char *err = read_output(dir, "err.txt");
    assert_non_null(strstr(err, "bootstrapping phase")); /* an error: on stderr */
    free(err);
    rm_tree(dir);
}

