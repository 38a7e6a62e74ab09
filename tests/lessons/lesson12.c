/* Lesson 12 run as a student runs it: included by tests/test_lessons.c.
 * Asserted: exit status, every file's columns and rows, and what no load can
 * change -- every way counted exactly the primes below 200000 (17984) and
 * gave the serial loop's results, the protected totals are exact, static
 * schedules split the iterations as OpenMP defines them (so the busiest
 * thread's share of growing work is known in advance), each schedule's
 * timeline has spans from both threads of the team, and libgomp's thread
 * counts under OMP_NUM_THREADS and taskset. Never a time or a rate. */

static int threads_in_trace(const char *json); /* test_lessons.c */

/* The rows of a CSV (after the header) that start with `prefix` (no newline). */
static int rows_starting(const char *text, const char *prefix)
{
    int n = 0;
    char want[128];
    snprintf(want, sizeof want, "\n%s", prefix);
    for (const char *p = text; (p = strstr(p, want)); p++)
        n++;
    return n;
}

/* Column `col` (0-based) of every data row, as a number, into v (at most max). */
static int column(const char *text, int col, double *v, int max)
{
    int n = 0;
    for (const char *line = strchr(text, '\n'); line && line[1] && n < max; line = strchr(line + 1, '\n')) {
        const char *f = line + 1;
        for (int i = 0; i < col && f; i++) {
            f = strchr(f, ',');
            f = f ? f + 1 : NULL;
        }
        assert_non_null(f);
        v[n++] = atof(f);
    }
    return n;
}

static void check_openmp_csv(const char *dir)
{
    char *c = csv(dir, "openmp.csv");
    assert_header(c, "method,schedule,chunk,threads,task_ns,median_s,speedup");
    const char *ways[] = {"serial,none,0,1,",     "openmp,static,0,2,",     "openmp,dynamic,1,2,",
                          "openmp,dynamic,16,2,", "openmp,guided,0,2,",     "thread,dynamic,1,2,",
                          "process-fork,dynamic,1,2,"};
    for (size_t i = 0; i < sizeof ways / sizeof ways[0]; i++)
        if (rows_starting(c, ways[i]) != 4) /* --quick: 4 task costs, 100 ns to 1 ms */
            fail_msg("openmp.csv: %d rows start %s, not 4", rows_starting(c, ways[i]), ways[i]);
    assert_true(rows_starting(c, "serial,none,0,1,100,") == 1 && rows_starting(c, "serial,none,0,1,1000000,") == 1);
    free(c);
    c = csv(dir, "overhead.csv");
    assert_header(c, "method,schedule,chunk,threads,call_us,overhead_ns_per_task,breakeven_ns,model_breakeven_ns");
    double v[16];
    assert_int_equal(column(c, 5, v, 16), 6); /* one row per way */
    for (int i = 0; i < 6; i++)
        assert_true(v[i] >= 0);
    free(c);
}

/* The primes job from 1 to 2 threads (--max-workers defaults to --workers). */
static void check_primes_csv(const char *dir)
{
    char *c = csv(dir, "primes.csv");
    assert_header(c, "method,schedule,chunk,threads,task_ns,median_s,speedup,primes");
    double primes[32];
    int n = column(c, 7, primes, 32);
    assert_int_equal(n, 1 + 6 * 2);
    for (int i = 0; i < n; i++)
        if (primes[i] != 17984) /* pi(200000) */
            fail_msg("primes.csv row %d counted %.0f primes, not 17984", i + 1, primes[i]);
    assert_int_equal(rows_starting(c, "openmp,dynamic,1,1,"), 1);
    assert_int_equal(rows_starting(c, "process-fork,dynamic,1,2,"), 1);
    free(c);
}

/* Static schedules are decided before the loop runs: with iteration i
 * costing i + 1 units over 200 iterations, static gives thread 1 the
 * iterations 100..199 (15050 of 20100 units: 1.4975x the fair 10050) and
 * static,1 the even ones (10100: 1.005x). */
static void check_imbalance(const char *dir)
{
    char *c = csv(dir, "imbalance.csv");
    assert_header(c, "work,schedule,chunk,threads,task_ns,median_s,speedup,imbalance");
    const char *rows[] = {"growing,none,0,1,",   "growing,static,0,2,",  "growing,static,1,2,",
                          "growing,dynamic,1,2,", "growing,guided,0,2,", "random,none,0,1,",
                          "random,static,0,2,",  "random,static,1,2,",   "random,dynamic,1,2,",
                          "random,guided,0,2,"};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows_starting(c, rows[i]) != 1)
            fail_msg("imbalance.csv: no row %s", rows[i]);
    double im[16];
    assert_int_equal(column(c, 7, im, 16), 10);
    if (fabs(im[1] - 1.4975) > 0.002 || fabs(im[2] - 1.005) > 0.002)
        fail_msg("static's split of growing work: busiest thread %.3f (want 1.498), static,1 %.3f (want 1.005)", im[1],
                 im[2]);
    for (int i = 0; i < 10; i++)
        assert_true(im[i] >= 1 && im[i] <= 2); /* never more than all of it on one of 2 threads */
    free(c);
    /* each schedule's run drawn: spans from both threads of the team (static gives each 100 iterations) */
    const char *timelines[] = {"schedules-growing.json", "schedules-random.json"};
    for (int i = 0; i < 2; i++) {
        char *json = csv(dir, timelines[i]);
        if (threads_in_trace(json) != 2)
            fail_msg("%s: spans from %d threads, not the team's 2", timelines[i], threads_in_trace(json));
        assert_non_null(strstr(json, "\"name\":\"omp-1\""));
        free(json);
    }
}

static void check_totals(const char *dir)
{
    char *c = csv(dir, "totals.csv");
    assert_header(c, "way,threads,adds,total,expected,median_s,ns_per_add");
    const char *exact[] = {"serial", "reduction", "critical", "atomic", "kit-lock"};
    for (int i = 0; i < 5; i++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "\n%s,", exact[i]);
        const char *row = strstr(c, prefix);
        if (!row)
            fail_msg("totals.csv: no row %s", exact[i]);
        long threads, adds, total, expected;
        assert_int_equal(sscanf(strchr(row + 1, ',') + 1, "%ld,%ld,%ld,%ld", &threads, &adds, &total, &expected), 4);
        assert_int_equal(adds, 300000);
        if (total != expected)
            fail_msg("totals.csv: %s gave %ld, not %ld", exact[i], total, expected);
    }
    assert_non_null(strstr(c, "\nnone,2,300000,")); /* the race: its total is whatever it was */
    free(c);
}

static void check_threads(const char *dir)
{
    char *c = csv(dir, "threads.csv");
    assert_header(c, "setting,omp_num_threads,taskset,omp_max_threads,omp_num_procs,usable_cpus");
    int max_threads, procs, usable;
    const char *row = strstr(c, "\nplain,unset,none,");
    assert_non_null(row);
    assert_int_equal(sscanf(row, "\nplain,unset,none,%d,%d,%d", &max_threads, &procs, &usable), 3);
    assert_int_equal(max_threads, usable); /* one thread per usable CPU */
    assert_int_equal(usable, mp_cpus_usable());
    assert_non_null(strstr(c, "\nomp3,3,none,3,"));
    if (mp_have_program("taskset")) {
        row = strstr(c, "\npinned,unset,");
        assert_non_null(row);
        assert_int_equal(sscanf(row, "\npinned,unset,%*[^,],%d,%d,%d", &max_threads, &procs, &usable), 3);
        assert_int_equal(max_threads, 1);
        assert_int_equal(usable, 1);
        assert_non_null(strstr(c, "\npinned-omp3,3,"));
    }
    free(c);
}

static void test_lesson12(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(run_lesson("12", dir, "--workers", "2"), 0);
    check_openmp_csv(dir);
    check_primes_csv(dir);
    check_imbalance(dir);
    check_totals(dir);
    check_threads(dir);
    char *out = read_output(dir, "out.txt");
    assert_verdict_yes(out, "every way counted exactly the 17984 primes below 200000");
    assert_verdict_yes(out, "a reduction, critical, atomic and the kit's lock all give the exact total");
    assert_verdict_yes(out, "by default OpenMP starts one thread per usable CPU");
    assert_verdict_yes(out, "OMP_NUM_THREADS=3 gives 3 threads whatever the CPUs");
    free(out);
    rm_tree(dir);
}

#define LESSON12_TESTS cmocka_unit_test(test_lesson12)
