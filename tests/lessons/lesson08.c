/* Lesson 08 run as a student runs it: included by tests/test_lessons.c.
 * Only what no machine load can change is asserted: exit status, columns,
 * rows, the checks the lesson makes on its own results (FIFO, exactly once,
 * files that match, every item accounted for after a kill, join after
 * task_done), depths within the queue's bound. Never a rate or a time. */

/* What every run of lesson 08 must show, whatever its start method. */
static void check_lesson08_run(const char *dir, int max_pc)
{
    char *q = csv(dir, "queue.csv");
    assert_header(q, "transport,producers,consumers,item_bytes,items_per_s,p50_us,p99_us");
    const long sizes[] = {64, 1024, 4096, 65536};
    const char *transports[] = {"queue", "pipe", "cpython-queue", "cpython-pipe"};
    int ntransports = mp_have_program("python3") ? 4 : 2;
    for (int t = 0; t < 4; t++)
        for (int s = 0; s < 4; s++) {
            char row[64];
            snprintf(row, sizeof row, "\n%s,1,1,%ld,", transports[t], sizes[s]);
            if ((t < ntransports) != (strstr(q, row) != NULL))
                fail_msg("queue.csv: row %s %s", row + 1, t < ntransports ? "missing" : "present without python3");
        }
    for (int p = 1; p <= max_pc; p++)
        for (int c = 1; c <= max_pc; c++) {
            char row[64];
            snprintf(row, sizeof row, "\nqueue,%d,%d,64,", p, c);
            assert_non_null(strstr(q, row));
        }
    free(q);

    char *d = csv(dir, "depth.csv");
    assert_header(d, "t_ms,depth");
    int rows = 0;
    for (const char *line = strchr(d, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        double t, depth;
        assert_int_equal(sscanf(line + 1, "%lf,%lf", &t, &depth), 2);
        assert_true(depth >= 0 && depth <= 8); /* the queue's maxsize in part 4 */
        rows++;
    }
    assert_true(rows > 0);
    free(d);

    char *out = read_output(dir, "out.txt");
    assert_verdict_yes(out, "FIFO held");
    assert_verdict_yes(out, "Full from put_nowait");
    assert_verdict_yes(out, "competing consumers: each of");
    assert_verdict_yes(out, "files match: ");
    assert_verdict_yes(out, "the killed consumer (exit code -9): the run ended");
    assert_verdict_yes(out, "JoinableQueue: join() returned");
    free(out);
}

static void test_lesson08(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(run_lesson("08", dir, NULL, NULL), 0);
    check_lesson08_run(dir, 2); /* --quick sweeps 1..2 producers x consumers */
    rm_tree(dir);
}

/* Spawned and forkserver children attach the queue from the descriptor
 * they were handed: the same checks hold. */
static void test_lesson08_start_methods(void **state)
{
    (void)state;
    const char *starts[] = {"spawn", "forkserver"};
    for (int i = 0; i < 2; i++) {
        char *dir = make_tmpdir();
        char *argv[] = {lesson_path("08"), "--quick", "--no-plot", "--max-workers", "1", "--start", (char *)starts[i],
                        "--out", dir, NULL};
        int rc = run_program(argv, dir, 120);
        if (rc != 0)
            fail_msg("lesson-08 --quick --start %s exited with %d", starts[i], rc);
        check_lesson08_run(dir, 1);
        rm_tree(dir);
    }
}
