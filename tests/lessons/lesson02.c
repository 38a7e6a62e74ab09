/* Lesson 02 run as a student runs it: included by tests/test_lessons.c.
 * Behaviour only: which rows and files exist, their columns, that every run
 * computed the same answer, who did the work. Never a time or a speedup. */

#define L02_COLUMNS "kind,workload,workers,median_s,min_s,max_s,speedup,result,cpu_per_wall,user_s,sys_s,voluntary_cs,involuntary_cs"

typedef struct l02_row {
    char kind[16], load[8];
    int workers;
    double med, min, max, speedup, cpu_wall, user, sys, gbs;
    unsigned long long result;
    long vol, invol;
} l02_row;

/* Parse every row of a sweep CSV (with a gb_per_s column if gb); returns how many. */
static int l02_rows(const char *text, l02_row *rows, int max, bool gb)
{
    int n = 0;
    for (const char *line = strchr(text, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        l02_row r = {0};
        int k = sscanf(line, "%15[^,],%7[^,],%d,%lf,%lf,%lf,%lf,%llu,%lf,%lf,%lf,%ld,%ld,%lf", r.kind, r.load,
                       &r.workers, &r.med, &r.min, &r.max, &r.speedup, &r.result, &r.cpu_wall, &r.user, &r.sys,
                       &r.vol, &r.invol, &r.gbs);
        if (k != (gb ? 14 : 13))
            fail_msg("bad row: %.*s", (int)strcspn(line, "\n"), line);
        if (!(r.min <= r.med && r.med <= r.max && r.med > 0))
            fail_msg("not min <= median <= max: %.*s", (int)strcspn(line, "\n"), line);
        if (r.cpu_wall < 0 || r.user < 0 || r.sys < 0 || r.vol < 0 || r.invol < 0 || (gb && r.gbs <= 0))
            fail_msg("a negative count: %.*s", (int)strcspn(line, "\n"), line);
        if (strcmp(r.kind, "serial") == 0 && (fabs(r.speedup - 1.0) > 1e-9 || r.workers != 1))
            fail_msg("a serial row with speedup %g and %d workers", r.speedup, r.workers);
        if (n < max)
            rows[n] = r;
        n++;
    }
    return n;
}

/* The rows of one workload: serial first, then thread and process at each
 * of `workers`, all with the serial run's result. Returns how many. */
static int l02_check_sweep(const l02_row *rows, int n, const char *load, const int *workers, int nw, bool processes)
{
    int first = -1, count = 0;
    for (int i = 0; i < n; i++)
        if (strcmp(rows[i].load, load) == 0) {
            if (first < 0)
                first = i;
            count++;
        }
    assert_true(first >= 0);
    assert_string_equal(rows[first].kind, "serial");
    assert_true(rows[first].result > 0);
    int k = first + 1;
    for (int w = 0; w < nw; w++)
        for (int how = 0; how < (processes ? 2 : 1); how++, k++) {
            assert_true(k < n);
            assert_string_equal(rows[k].load, load);
            assert_string_equal(rows[k].kind, how ? "process" : "thread");
            assert_int_equal(rows[k].workers, workers[w]);
            if (rows[k].result != rows[first].result) /* parallel must not change the answer */
                fail_msg("%s %s x%d computed %llu, serial %llu", load, rows[k].kind, rows[k].workers, rows[k].result,
                         rows[first].result);
        }
    return count;
}

static void test_lesson02(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(run_lesson("02", dir, "--max-workers", "2"), 0);
    l02_row rows[64];
    const int w12[] = {1, 2};

    char *c = csv(dir, "speedup.csv");
    assert_header(c, L02_COLUMNS);
    int n = l02_rows(c, rows, 64, false);
    assert_int_equal(n, 10);
    assert_int_equal(l02_check_sweep(rows, n, "cpu", w12, 2, true), 5); /* serial + {1,2} x {thread,process} */
    assert_int_equal(l02_check_sweep(rows, n, "io", w12, 2, true), 5);
    unsigned long long primes = rows[0].result;
    free(c);

    c = csv(dir, "bandwidth.csv");
    assert_header(c, L02_COLUMNS ",gb_per_s");
    n = l02_rows(c, rows, 64, true);
    assert_int_equal(n, 3);
    assert_int_equal(l02_check_sweep(rows, n, "mem", w12, 2, false), 3); /* serial + threads 1, 2 */
    free(c);

    /* load balance: each layout's workers count the same primes in all */
    c = csv(dir, "balance.csv");
    assert_header(c, "layout,run,worker,numbers,primes,busy_s,end_s");
    unsigned long long sum[2] = {0}, numbers[2] = {0}, smallest = ~0ull, largest = 0;
    int workers[2] = {0};
    for (const char *line = strchr(c, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        char layout[16];
        int run, worker;
        unsigned long long nums, p;
        double busy, end;
        assert_int_equal(sscanf(line, "%15[^,],%d,%d,%llu,%llu,%lf,%lf", layout, &run, &worker, &nums, &p, &busy, &end),
                         7);
        int l = strcmp(layout, "contiguous") == 0 ? 0 : 1;
        if (l == 1)
            assert_string_equal(layout, "round-robin");
        assert_int_equal(run, 1); /* --quick: one run */
        assert_true(busy >= 0 && end > 0);
        sum[l] += p;
        numbers[l] += nums;
        workers[l]++;
        if (l == 0) { /* contiguous pieces differ by one number at most */
            smallest = nums < smallest ? nums : smallest;
            largest = nums > largest ? nums : largest;
        }
    }
    assert_true(workers[0] >= 1 && workers[0] == workers[1]);
    assert_true(sum[0] == primes && sum[1] == primes);
    assert_true(numbers[0] == numbers[1]);
    assert_true(largest - smallest <= 1);
    free(c);

    /* who did the work: the timeline has the threads and the processes, the
     * load-balance timeline both layouts' threads */
    c = csv(dir, "timeline.json");
    assert_non_null(strstr(c, "\"name\":\"thread-1\""));
    assert_non_null(strstr(c, "\"name\":\"process-1\""));
    free(c);
    c = csv(dir, "balance.json");
    assert_non_null(strstr(c, "\"name\":\"piece-1\""));
    assert_non_null(strstr(c, "\"name\":\"blocks-1\""));
    free(c);
    rm_tree(dir);
}

/* The sweep goes past the CPUs by default, in a bounded set of points; a
 * --max-workers it cannot honour is refused at once with one line; the
 * shared flag it has no use for says so. */
static void test_lesson02_flags(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(run_lesson("02", dir, "--max-workers", "257"), 2);
    char *err = read_output(dir, "err.txt");
    assert_int_equal(count_lines(err), 1);
    assert_non_null(strstr(err, "--max-workers"));
    free(err);

    assert_int_equal(run_lesson("02", dir, "--seed", "7"), 0);
    char *out = read_output(dir, "out.txt");
    assert_non_null(strstr(out, "--seed changes nothing in this lesson"));
    free(out);
    /* by default: 1..CPUs one by one (by doubling past 8), then doubling to
     * twice the CPUs (256 at most) */
    int cpus = mp_cpus_usable(), top = 2 * cpus < 256 ? 2 * cpus : 256, expect[32], n = 0;
    int upto = cpus < top ? cpus : top;
    for (int w = 1; w <= upto; w = cpus <= 8 ? w + 1 : w * 2)
        expect[n++] = w;
    if (expect[n - 1] != upto)
        expect[n++] = upto;
    for (int w = 2 * cpus; w < top; w *= 2)
        expect[n++] = w;
    if (expect[n - 1] != top)
        expect[n++] = top;
    l02_row rows[64];
    char *c = csv(dir, "speedup.csv");
    int rows_n = l02_rows(c, rows, 64, false);
    assert_int_equal(l02_check_sweep(rows, rows_n, "cpu", expect, n, true), 1 + 2 * n);
    free(c);
    rm_tree(dir);
}
