/* Lesson 07 run as a student runs it: included by tests/test_lessons.c.
 * Only what no machine load can change is asserted: exit status, columns,
 * rows, and the lesson's own checks on behaviour (every message received
 * once, wrong-way use refused, no EOF while a copy of the write end is open
 * and EOF at once when none is, the fixes of part 3 delivering every
 * message whole, the deadlock stuck and its fix finished). Never a rate. */

/* What every run of lesson 07 must show, whatever its start method. */
static void check_lesson07_run(const char *dir)
{
    const long sizes[] = {64, 4096, 65536, 1 << 20, 4 << 20}; /* round trips: the first three */
    const char *transports[] = {"raw-pipe", "raw-socketpair", "pipe", "pipe-duplex", "cpython-pipe"};
    int ntransports = mp_have_program("python3") ? 5 : 4;
    char *p = csv(dir, "pipe.csv");
    assert_header(p, "transport,msg_bytes,msgs_per_s,mb_per_s");
    char *l = csv(dir, "latency.csv");
    assert_header(l, "transport,msg_bytes,median_us,p99_us");
    for (int t = 0; t < 5; t++) {
        for (int s = 0; s < 5; s++) {
            char row[64];
            snprintf(row, sizeof row, "\n%s,%ld,", transports[t], sizes[s]);
            if ((t < ntransports) != (strstr(p, row) != NULL))
                fail_msg("pipe.csv: row %s %s", row + 1, t < ntransports ? "missing" : "present without python3");
            if (s < 3 && (t < ntransports) != (strstr(l, row) != NULL))
                fail_msg("latency.csv: row %s %s", row + 1, t < ntransports ? "missing" : "present without python3");
        }
    }
    free(p);
    free(l);

    char *out = read_output(dir, "out.txt");
    assert_verdict_yes(out, "T0's three processes: 5 messages sent, 5 received");
    assert_verdict_yes(out, "a one-way end used the wrong way is refused at once");
    assert_verdict_yes(out, "the forgotten end: no EOF");
    assert_verdict_yes(out, "the fixes: every message whole");
    assert_verdict_yes(out, "both sides sending first: both still stuck");
    /* two writers: corruption is likely, not certain; whatever was seen was
     * caught (a mixed message is counted, never taken as whole) */
    const char *w = strstr(out, "two writers on one end: messages broken in");
    assert_non_null(w);
    size_t len = strcspn(w, "\n");
    if (!strstr(w, "-- yes") && !strstr(w, "-- not shown here"))
        fail_msg("two writers: %.*s", (int)len, w);
    free(out);
}

static void test_lesson07(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(run_lesson("07", dir, NULL, NULL), 0);
    check_lesson07_run(dir);
    rm_tree(dir);
}

/* Spawned and forkserver children are handed their ends by descriptor: the
 * same checks hold. */
static void test_lesson07_start_methods(void **state)
{
    (void)state;
    const char *starts[] = {"spawn", "forkserver"};
    for (int i = 0; i < 2; i++) {
        char *dir = make_tmpdir();
        char *argv[] = {lesson_path("07"), "--quick", "--no-plot", "--start", (char *)starts[i], "--out", dir, NULL};
        int rc = run_program(argv, dir, 120);
        if (rc != 0)
            fail_msg("lesson-07 --quick --start %s exited with %d", starts[i], rc);
        check_lesson07_run(dir);
        rm_tree(dir);
    }
}
