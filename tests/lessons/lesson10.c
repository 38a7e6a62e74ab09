/* Lesson 10 run as a student runs it: included by tests/test_lessons.c.
 * Asserted: exit status, columns and rows, and the results no load can
 * change -- the locked balance is 0, the deadlock is caught and the lock
 * order fixes it, thread-local data and results from threads are right,
 * the Event/Condition/Semaphore/Barrier scenes between spawned processes
 * are exact, every contention total is exact. Never a time or a rate. */

static void test_lesson10(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    /* spawn: part 6's children must find their functions by name */
    assert_int_equal(run_lesson("10", dir, "--start", "spawn"), 0);
    char *b = csv(dir, "background.csv");
    assert_header(b, "mode,epochs,save_mib,median_s");
    /* four rows: inline and background at one model size (4 MiB, less on a
     * slow disk), then at twice that size */
    const char *modes[] = {"inline", "background"};
    int rows = 0;
    double mib[2][2] = {{0}};
    for (const char *line = strchr(b, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        char mode[16];
        int epochs;
        double size, secs;
        if (sscanf(line + 1, "%15[a-z],%d,%lf,%lf", mode, &epochs, &size, &secs) != 4)
            fail_msg("background.csv: a row that does not parse: %.40s", line + 1);
        int m = strcmp(mode, "background") == 0;
        if (strcmp(mode, modes[m]) != 0 || m != rows % 2 || epochs != 4 || rows >= 4 || !(secs > 0))
            fail_msg("background.csv: unexpected row %.40s", line + 1);
        mib[m][rows / 2] = size;
        rows++;
    }
    assert_int_equal(rows, 4);
    assert_true(mib[0][0] >= 1 && mib[0][0] <= 4 && mib[1][0] == mib[0][0]);
    assert_true(mib[0][1] == 2 * mib[0][0] && mib[1][1] == mib[0][1]);
    free(b);
    char *c = csv(dir, "contention.csv");
    assert_header(c, "method,threads,ops_per_s");
    const char *kinds[] = {"one-lock", "sharded", "atomic"};
    for (int k = 0; k < 3; k++)
        for (int n = 1; n <= 4; n++) {
            char row[48];
            snprintf(row, sizeof row, "\n%s,%d,", kinds[k], n);
            if (!strstr(c, row))
                fail_msg("contention.csv: no row %s", row + 1);
            assert_true(csv_value(c, row, 2) > 0);
        }
    free(c);
    char *out = read_output(dir, "out.txt");
    assert_verdict_yes(out, "with the lock it is 0");
    assert_verdict_yes(out, "opposite lock orders deadlocked");
    assert_verdict_yes(out, "threading.local: Alice's thread saw Alice");
    assert_verdict_yes(out, "results from threads:");
    assert_verdict_yes(out, "Event woke 3 of 3; Condition: 50 of 50 items taken");
    assert_non_null(strstr(out, "between processes (--start spawn)"));
    assert_non_null(strstr(out, "every total came out exact"));
    free(out);
    rm_tree(dir);
}

#define LESSON10_TESTS cmocka_unit_test(test_lesson10)
