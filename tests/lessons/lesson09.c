/* Lesson 09 run as a student runs it: included by tests/test_lessons.c.
 * Asserted: exit status, the columns and rows of both files, exact totals
 * for every synchronised method (none may be anything up to the expected),
 * checksums matched, the named-segment verdicts (which no load changes),
 * and nothing left in /dev/shm. Never a time. */

static void check_lesson09_run(const char *dir)
{
    char *c = csv(dir, "counter.csv");
    assert_header(c, "method,workers,increments,final_value,expected,median_s");
    const char *methods[] = {"none", "lock", "atomic", "partial", "partial-padded"};
    for (int m = 0; m < 5; m++) {
        char row[48];
        snprintf(row, sizeof row, "\n%s,", methods[m]);
        const char *line = strstr(c, row);
        if (!line)
            fail_msg("counter.csv: no row for %s", methods[m]);
        char name[32];
        long workers, inc, final, expected;
        double s;
        assert_int_equal(sscanf(line + 1, "%31[^,],%ld,%ld,%ld,%ld,%lf", name, &workers, &inc, &final, &expected, &s),
                         6);
        assert_true(workers >= 2 && inc > 0 && expected == workers * inc && s > 0);
        if (m == 0)
            assert_true(final > 0 && final <= expected); /* the race loses, never adds */
        else if (final != expected)
            fail_msg("counter.csv: %s ended at %ld, want exactly %ld", methods[m], final, expected);
    }
    free(c);

    char *x = csv(dir, "copy-share.csv");
    assert_header(x, "method,bytes,median_s,gb_per_s");
    const char *ways[] = {"pipe", "queue", "shared"};
    const long sizes[] = {1024, 65536, 4194304}; /* --quick */
    for (int w = 0; w < 3; w++)
        for (int k = 0; k < 3; k++) {
            char row[64];
            snprintf(row, sizeof row, "\n%s,%ld,", ways[w], sizes[k]);
            if (!strstr(x, row))
                fail_msg("copy-share.csv: no row %s", row + 1);
            assert_true(csv_value(x, row, 2) > 0 && csv_value(x, row, 3) > 0);
        }
    free(x);

    char *out = read_output(dir, "out.txt");
    assert_non_null(strstr(out, "every checksum matched: yes"));
    assert_verdict_yes(out, "T0's example: the child's changes are the parent's");
    assert_verdict_yes(out, "with a lock, an atomic add or partial sums the total is exact");
    assert_verdict_yes(out, "a spawned reader attached by name");
    assert_verdict_yes(out, "the creator's exit unlinked its segment");
    /* the lesson's two names (its PID in them) are gone from /dev/shm */
    const char *made = strstr(out, "created /dev/shm/mpkit_lesson09_");
    assert_non_null(made);
    int pid = atoi(made + strlen("created /dev/shm/mpkit_lesson09_"));
    assert_true(pid > 0);
    char path[128];
    snprintf(path, sizeof path, "/dev/shm/mpkit_lesson09_%d", pid);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof path, "/dev/shm/mpkit_lesson09_%d_early", pid);
    assert_int_equal(access(path, F_OK), -1);
    free(out);
}

static void test_lesson09(void **state)
{
    (void)state;
    for (int m = 0; m < 3; m++) {
        static const char *const starts[] = {"fork", "spawn", "forkserver"};
        char *dir = make_tmpdir();
        assert_int_equal(run_lesson("09", dir, "--start", starts[m]), 0);
        check_lesson09_run(dir);
        rm_tree(dir);
    }
}

#define LESSON09_TESTS cmocka_unit_test(test_lesson09)
