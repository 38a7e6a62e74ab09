/* Lesson 05 run as a student runs it: included by tests/test_lessons.c.
 * Only what no machine load can change is asserted: exit status, columns,
 * rows, one tasks.csv row per task of parts 1 and 2 with start <= end and a
 * worker PID of the pool's, T0's schedule (3 workers, one of them twice),
 * and the verdicts about behaviour (results, order, callbacks, the dead
 * worker's cost, initializer, maxtasksperchild, part 7's results in all
 * three ways). Never a time or a speedup: part 7's "in place beats copied"
 * is only checked to be there, never for its answer. */

/* The PIDs printed after `prefix` in out.txt ("pool pids 12 13"), up to max. */
static int pids_after(const char *out, const char *prefix, int *pids, int max)
{
    const char *p = strstr(out, prefix);
    if (!p)
        fail_msg("no line with '%s' in the output", prefix);
    p += strlen(prefix);
    int n = 0, used;
    while (n < max && sscanf(p, " %d%n", &pids[n], &used) == 1) {
        n++;
        p += used;
        if (*p == ',')
            p++;
    }
    return n;
}

static bool among(int pid, const int *pids, int n)
{
    for (int i = 0; i < n; i++)
        if (pids[i] == pid)
            return true;
    return false;
}

static void check_lesson05_run(const char *dir, const char *start)
{
    char *pool = csv(dir, "pool.csv");
    assert_header(pool, "experiment,backend,workers,tasks,chunksize,median_s,min_s,max_s");
    char row[96];
    const char *rows[] = {"\nfactorials,serial,1,100,0,", "\nfiles,serial,1,1000,0,", "\ncpu,serial,1,",
                          "\ncpu,thread,2,", "\ncpu,process-fork,2,", "\ncpu,process-spawn,2,",
                          "\ncpu,process-forkserver,2,", "\nio,serial,1,", "\nio,thread,2,", "\nio,process-fork,2,",
                          "\nio,process-spawn,2,", "\nio,process-forkserver,2,", "\nshare,thread,2,",
                          "\nshare-copied,process-fork,2,", "\nshare-in-place,process-fork,2,"};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (!strstr(pool, rows[i]))
            fail_msg("pool.csv: no row starting %s", rows[i] + 1);
    const char *apis[] = {"apply_async", "map_async", "map", "apply-loop"};
    for (int a = 0; a < 4; a++) {
        snprintf(row, sizeof row, "\nfactorials-%s,process-%s,2,100,", apis[a], start);
        if (!strstr(pool, row))
            fail_msg("pool.csv: no row starting %s", row + 1);
    }
    snprintf(row, sizeof row, "\nt0,process-%s,3,4,1,", start);
    assert_non_null(strstr(pool, row));
    snprintf(row, sizeof row, "\nfiles-imap,process-%s,2,1000,25,", start);
    assert_non_null(strstr(pool, row));
    free(pool);

    char *out = read_output(dir, "out.txt");
    int fpids[8], tpids[3];
    int nf = pids_after(out, "pool pids", fpids, 8);
    assert_int_equal(nf, 2);
    assert_int_equal(pids_after(out, "Pool(3): workers pid", tpids, 3), 3);

    /* tasks.csv: 100 rows per API of part 1, 4 for T0, each start <= end, run by the pool's workers */
    char *tasks = csv(dir, "tasks.csv");
    assert_header(tasks, "experiment,task,worker_pid,start_us,end_us");
    int count[5] = {0}, t0_on[3] = {0};
    for (const char *line = strchr(tasks, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        char exp[48];
        int task, pid;
        double s, e;
        if (sscanf(line + 1, "%47[^,],%d,%d,%lf,%lf", exp, &task, &pid, &s, &e) != 5)
            fail_msg("tasks.csv: bad row %.60s", line + 1);
        if (s > e)
            fail_msg("tasks.csv: %s task %d starts after it ends", exp, task);
        int k = -1;
        for (int a = 0; a < 4; a++)
            if (!strncmp(exp, "factorials-", 11) && !strcmp(exp + 11, apis[a]))
                k = a;
        if (!strcmp(exp, "t0"))
            k = 4;
        if (k < 0)
            fail_msg("tasks.csv: unknown experiment %s", exp);
        if (k < 4 && (task != count[k] || !among(pid, fpids, nf)))
            fail_msg("tasks.csv: %s task %d (row %d) ran in pid %d, not a worker of the pool", exp, task, count[k], pid);
        if (k == 4) {
            if (!among(pid, tpids, 3))
                fail_msg("tasks.csv: T0's task %d ran in pid %d, not one of its 3 workers", task, pid);
            for (int w = 0; w < 3; w++)
                t0_on[w] += tpids[w] == pid;
        }
        count[k]++;
    }
    for (int k = 0; k < 4; k++)
        assert_int_equal(count[k], 100);
    assert_int_equal(count[4], 4);
    /* two rounds: every worker ran a task, one of them two */
    for (int w = 0; w < 3; w++)
        assert_true(t0_on[w] >= 1 && t0_on[w] <= 2);
    free(tasks);

    assert_verdict_yes(out, "factorials: apply_async, map_async, map and apply in a loop all gave");
    assert_verdict_yes(out, "apply in a loop is serial: at most 1 task running at once");
    assert_verdict_yes(out, "T0's map: outputs [0, 0, 0, 0], 3 workers used, one of them twice");
    assert_verdict_yes(out, "map and starmap gave");
    assert_verdict_yes(out, "imap_unordered handed out every result once");
    assert_verdict_yes(out, "callbacks: 11 for 11 jobs");
    assert_verdict_yes(out, "get(timeout) expired with -ETIMEDOUT and the task went on");
    assert_verdict_yes(out, "T2's files: imap with a progress bar gathered all 1000 results");
    assert_verdict_yes(out, "the dead worker cost exactly its own tasks");
    assert_verdict_yes(out, "every pool counted the same primes; the initializer ran exactly once");
    assert_verdict_yes(out, "maxtasksperchild=2: 12 tasks ran in ");
    assert_verdict_yes(out, "copy or share: the thread pool, the process pool copying and the process pool in place "
                            "gave all 500000 results 2x + 1 in every run");
    assert_non_null(strstr(out, "in place beats copied: the copied map took "));
    free(out);
    /* the progress bar, off a terminal: one summary line on stderr */
    char *err = read_output(dir, "err.txt");
    assert_non_null(strstr(err, "files: 1000/1000 (100%)"));
    free(err);
}

static void test_lesson05(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(run_lesson("05", dir, "--workers", "2"), 0);
    check_lesson05_run(dir, "fork");
    rm_tree(dir);
}

/* Spawned workers find the tasks by name (MP_TASK): the same checks hold. */
static void test_lesson05_spawn(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *argv[] = {lesson_path("05"), "--quick", "--no-plot", "--workers", "2", "--start", "spawn", "--out", dir,
                    NULL};
    int rc = run_program(argv, dir, 120);
    if (rc != 0)
        fail_msg("lesson-05 --quick --start spawn exited with %d", rc);
    check_lesson05_run(dir, "spawn");
    rm_tree(dir);
}
