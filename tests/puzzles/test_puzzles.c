/* The puzzles (puzzles/, build/puzzle): every puzzle over many seeds.
 *  - the same seed gives the same problem, different seeds different ones;
 *  - each puzzle's answer is accepted by its own check, a wrong one is not;
 *  - the answers are right: the fork puzzle's simulation against a real run
 *    of the same program (200 seeds, nothing left running) and against its
 *    C text compiled and run (40 seeds); the pool's
 *    schedule against the bounds any schedule obeys; the GIL model's
 *    timeline against the work each thread had; Amdahl's formula; the
 *    counter's range against real runs; the payoff against the model;
 *  - build/puzzle's flags: bad ones exit 2 with one line, --answer right
 *    exits 0 and wrong 1, no waiting when stdin is not a terminal. */
#include "helpers.h"

#include "amdahl.h"
#include "chunks.h"
#include "counter.h"
#include "fork.h"
#include "payoff.h"
#include "puzzle.h"
#include "switching.h"

#define SEEDS 200

static void *new_state(void)
{
    void *st = calloc(1, PUZZLE_STATE_MAX);
    assert_non_null(st);
    return st;
}

/* The problem's text for this seed (free() it). A fixed cost model stands
 * in for the granularity puzzle's measured one. */
static char *problem_text(const puzzle *p, unsigned long seed)
{
    void *st = new_state();
    p->make(st, seed);
    if (p == &puzzle_granularity) {
        payoff_state *ps = st;
        ps->model = (mp_cost_model){1e6, 1e4, 2};
        snprintf(ps->model_from, sizeof ps->model_from, "a test's numbers");
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    p->problem(st, f);
    fclose(f);
    free(st);
    return text;
}

static void test_same_seed_same_problem_other_seeds_others(void **state)
{
    (void)state;
    for (int i = 0; puzzles[i]; i++) {
        char *texts[50];
        int distinct = 0;
        for (int s = 0; s < 50; s++) {
            texts[s] = problem_text(puzzles[i], (unsigned long)s);
            char *again = problem_text(puzzles[i], (unsigned long)s);
            assert_string_equal(texts[s], again);
            free(again);
            bool seen = false;
            for (int k = 0; k < s && !seen; k++)
                seen = !strcmp(texts[k], texts[s]);
            distinct += !seen;
        }
        if (distinct < 15)
            fail_msg("puzzle %s: only %d different problems in 50 seeds", puzzles[i]->name, distinct);
        for (int s = 0; s < 50; s++)
            free(texts[s]);
    }
}

/* Each puzzle's own answer passes its check; nonsense is not an answer. */
static void test_answers_pass_their_check(void **state)
{
    (void)state;
    void *st = new_state();
    for (int i = 0; puzzles[i]; i++)
        for (unsigned long s = 0; s < SEEDS; s++) {
            memset(st, 0, PUZZLE_STATE_MAX);
            puzzles[i]->make(st, s);
            if (puzzles[i] == &puzzle_granularity)
                ((payoff_state *)st)->model = (mp_cost_model){1e6, 1e4, 2};
            char want[128];
            puzzles[i]->answer(st, want, sizeof want);
            if (puzzles[i]->check(st, want) != 1)
                fail_msg("puzzle %s seed %lu: its own answer '%s' fails its check", puzzles[i]->name, s, want);
            assert_int_equal(puzzles[i]->check(st, "what?"), -1);
            assert_int_equal(puzzles[i]->check(st, ""), -1);
        }
    free(st);
}

/* ---- lesson 01: the simulation against a real run ---- */

static void test_fork_simulated_equals_real(void **state)
{
    (void)state;
    fork_state *st = new_state();
    for (unsigned long s = 0; s < SEEDS; s++) {
        puzzle_fork.make(st, s);
        fork_outcome real;
        int rc = fork_run_real(st, &real);
        if (rc != 0)
            fail_msg("seed %lu: the real run failed: %s", s, strerror(-rc));
        assert_int_equal(real.nprocs, st->model.nprocs);
        assert_int_equal(real.nlines, st->model.nlines);
        for (int p = 0; p < real.nprocs; p++)
            assert_string_equal(real.procs[p], st->model.procs[p]);
        for (int l = 0; l < real.nlines; l++)
            assert_string_equal(real.lines[l], st->model.lines[l]);
        assert_true(real.real_tree_ok); /* each process's parent PID was its parent's */
        assert_true(st->model.nprocs >= 2 && st->model.nprocs <= FORK_MAX_PROCS);
        char wrong[16];
        snprintf(wrong, sizeof wrong, "%d", st->model.nlines + 1);
        assert_int_equal(puzzle_fork.check(st, wrong), 0);
    }
    free(st);
    assert_no_children();
}

/* The program as the student reads it, compiled by the C compiler and run:
 * it prints the letters the simulation says (each line a letter; the order
 * is the scheduler's, so they are compared sorted). This checks the text
 * against the instructions the simulation and the real run execute. The
 * seeds' programs go into one file, one function each, so that the
 * compiler runs once. Each run is its own subreaper: it waits for every
 * process the program made, orphans included, before it ends. */
#define COMPILED_SEEDS 40
static int letters_cmp(const void *a, const void *b) { return *(const char *)a - *(const char *)b; }

static void test_fork_text_compiled_prints_the_answer(void **state)
{
    (void)state;
    char cc[4096];
    if (mp_find_program(getenv("CC") && *getenv("CC") ? getenv("CC") : "cc", cc, sizeof cc) < 0 &&
        mp_find_program("gcc", cc, sizeof cc) < 0)
        fail_msg("no C compiler on PATH (cc, gcc): the test needs the one that built it");
    char *dir = make_tmpdir(), src[4200], bin[4200];
    snprintf(src, sizeof src, "%s/programs.c", dir);
    snprintf(bin, sizeof bin, "%s/programs", dir);
    FILE *f = fopen(src, "w");
    assert_non_null(f);
    fprintf(f, "#define _GNU_SOURCE\n#include <stdio.h>\n#include <stdlib.h>\n#include <sys/prctl.h>\n"
               "#include <sys/wait.h>\n#include <unistd.h>\n");
    fork_state *st = new_state();
    for (int k = 0; k < COMPILED_SEEDS; k++) {
        puzzle_fork.make(st, (unsigned long)(1000 + k));
        const char *body = strstr(st->text, "{");
        assert_non_null(body);
        fprintf(f, "static int prog_%d(void)\n%s\n", k, body);
    }
    fprintf(f, "typedef int (*prog)(void);\nstatic const prog progs[] = {");
    for (int k = 0; k < COMPILED_SEEDS; k++)
        fprintf(f, "prog_%d, ", k);
    fprintf(f, "};\nint main(int argc, char **argv)\n{\n    (void)argc;\n"
               "    prctl(PR_SET_CHILD_SUBREAPER, 1);\n    setvbuf(stdout, NULL, _IOLBF, 0); /* as on a terminal */\n"
               "    progs[atoi(argv[1])]();\n    fflush(stdout);\n    while (wait(NULL) > 0)\n        ;\n"
               "    _exit(0);\n}\n");
    fclose(f);
    char *cargv[] = {cc, "-std=c17", "-w", "-o", bin, src, NULL};
    assert_int_equal(run_program(cargv, dir, 120), 0);
    for (int k = 0; k < COMPILED_SEEDS; k++) {
        puzzle_fork.make(st, (unsigned long)(1000 + k));
        char arg[16];
        snprintf(arg, sizeof arg, "%d", k);
        char *pargv[] = {bin, arg, NULL};
        assert_int_equal(run_program(pargv, dir, 30), 0);
        char *out = read_output(dir, "out.txt");
        assert_non_null(out);
        char got[FORK_MAX_LINES + 1] = "", want[FORK_MAX_LINES + 1] = "";
        int n = 0;
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
            if (n < FORK_MAX_LINES)
                got[n++] = line[0];
        got[n] = 0;
        for (int l = 0; l < st->model.nlines; l++)
            want[l] = st->model.lines[l][strlen(st->model.lines[l]) - 1];
        want[st->model.nlines] = 0;
        qsort(got, strlen(got), 1, letters_cmp);
        qsort(want, strlen(want), 1, letters_cmp);
        if (strcmp(got, want))
            fail_msg("seed %d: the compiled program printed %s, the answer says %s:\n%s", 1000 + k, got, want,
                     st->text);
        free(out);
    }
    free(st);
    rm_tree(dir);
    assert_no_children();
}

/* ---- lesson 02: Amdahl's formula ---- */

static void test_amdahl_formula(void **state)
{
    (void)state;
    amdahl_state st;
    for (unsigned long s = 0; s < SEEDS; s++) {
        puzzle_amdahl.make(&st, s);
        double f = st.serial_pct / 100.0, want = 1 / (f + (1 - f) / st.workers);
        char got[64];
        puzzle_amdahl.answer(&st, got, sizeof got);
        assert_true(fabs(atof(got) - want) < 0.006);
        assert_true(want <= st.workers && want < 1 / f);
        snprintf(got, sizeof got, "%.3f", want * 1.05); /* 5% off: wrong */
        assert_int_equal(puzzle_amdahl.check(&st, got), 0);
    }
    st = (amdahl_state){10, 4}; /* 1 / (0.1 + 0.9 / 4) = 3.0769 */
    assert_int_equal(puzzle_amdahl.check(&st, "3.08"), 1);
    assert_int_equal(puzzle_amdahl.check(&st, "4"), 0);
}

/* ---- lesson 05: the pool's schedule ---- */

static void test_pool_schedule(void **state)
{
    (void)state;
    chunks_state st;
    for (unsigned long s = 0; s < 5 * SEEDS; s++) {
        puzzle_pool.make(&st, s);
        if (!st.chunksize_given)
            assert_int_equal(st.chunksize, (int)mp_pool_chunksize((size_t)st.ntasks, st.workers));
        assert_int_equal(st.nchunks, (st.ntasks + st.chunksize - 1) / st.chunksize);
        int total = 0, longest = 0, end = 0, free_at[4] = {0};
        for (int t = 0; t < st.ntasks; t++)
            total += st.cost_ms[t];
        for (int c = 0; c < st.nchunks; c++) {
            int cost = 0, w = st.chunk_worker[c];
            for (int t = c * st.chunksize; t < st.ntasks && t < (c + 1) * st.chunksize; t++)
                cost += st.cost_ms[t]; /* every task in exactly one chunk, in order */
            assert_true(w >= 0 && w < st.workers);
            assert_int_equal(st.chunk_end[c] - st.chunk_start[c], cost);
            /* a worker runs one chunk at a time, and takes the next one when it is free */
            assert_int_equal(st.chunk_start[c], free_at[w]);
            for (int k = 0; k < st.workers; k++) /* greedy: nobody was free earlier */
                assert_true(free_at[k] >= free_at[w] && (free_at[k] > free_at[w] || k >= w));
            free_at[w] = st.chunk_end[c];
            longest = cost > longest ? cost : longest;
            end = st.chunk_end[c] > end ? st.chunk_end[c] : end;
        }
        assert_int_equal(st.makespan, end);
        assert_true(st.makespan * st.workers >= total && st.makespan >= longest);
    }
    /* by hand: 10 20 30 40 ms, 2 workers, chunksize 1 -> 1: 0-10, 10-40; 2: 0-20, 20-60 */
    st = (chunks_state){.ntasks = 4, .workers = 2, .cost_ms = {10, 20, 30, 40}, .chunksize_given = 1};
    chunks_schedule(&st);
    assert_int_equal(st.makespan, 60);
    assert_int_equal(st.chunk_worker[2], 0);
    assert_int_equal(st.chunk_worker[3], 1);
    assert_int_equal(puzzle_pool.check(&st, "60"), 1);
    assert_int_equal(puzzle_pool.check(&st, "50"), 0);
    /* the default chunksize: 9 tasks on 2 workers -> divmod(9, 8) = (1, 1) -> 2 */
    st = (chunks_state){.ntasks = 9, .workers = 2, .cost_ms = {10, 10, 10, 10, 10, 10, 10, 10, 10}};
    chunks_schedule(&st);
    assert_int_equal(st.chunksize, 2);
    assert_int_equal(st.nchunks, 5);
}

/* ---- lesson 03: the GIL model ---- */

static void test_gil_model_keeps_the_work(void **state)
{
    (void)state;
    sw_state *st = new_state();
    for (unsigned long s = 0; s < SEEDS; s++) {
        puzzle_gil.make(st, s);
        int cpu_total = 0;
        assert_true(st->end_ms < SW_MAX_MS);
        for (int i = 0; i < st->threads; i++) {
            int cpu = 0, held = 0;
            for (int k = 0; k < st->nsegs[i]; k++)
                cpu += st->segs[i][k].kind == 'C' ? st->segs[i][k].ms : 0;
            for (int t = 0; t < st->end_ms; t++)
                held += st->holder[t] == i + 1;
            assert_int_equal(held, cpu); /* it held the lock exactly as long as it computed */
            cpu_total += cpu;
        }
        assert_true(st->end_ms >= cpu_total); /* one lock: the computing never overlaps */
        assert_true(st->ask_ms >= 0 && st->ask_ms < st->end_ms);
        assert_int_equal(st->holder[0], 1); /* thread 1 first */
        char wrong[8];
        snprintf(wrong, sizeof wrong, "%d", st->holder[st->ask_ms] == 1 ? 2 : 1);
        assert_int_equal(puzzle_gil.check(st, wrong), 0);
    }
    /* by hand: two threads computing 10 ms each, interval 5: they swap every 5 ms */
    memset(st, 0, sizeof *st);
    *st = (sw_state){.threads = 2, .interval_ms = 5, .nsegs = {1, 1}, .segs = {{{'C', 10}}, {{'C', 10}}}};
    sw_simulate(st);
    static const int want[] = {1, 2, 1, 2};
    for (int t = 0; t < 20; t++)
        assert_int_equal(st->holder[t], want[t / 5]);
    assert_int_equal(st->end_ms, 20);
    assert_int_equal(st->handoffs, 3);
    /* an I/O wait hands the lock over at once, with no drop request */
    *st = (sw_state){.threads = 2, .interval_ms = 5, .nsegs = {3, 1},
                     .segs = {{{'C', 2}, {'I', 3}, {'C', 2}}, {{'C', 4}}}};
    sw_simulate(st);
    assert_int_equal(st->holder[1], 1);
    assert_int_equal(st->holder[2], 2); /* thread 1 in I/O from 2 ms: thread 2 runs */
    assert_int_equal(st->holder[5], 2); /* thread 1 is back at 5 ms and waits: no interval has passed */
    assert_int_equal(st->holder[6], 1); /* thread 2 done at 6 ms */
    assert_int_equal(st->drop_requests, 0);
    free(st);
}

/* ---- lesson 09: the counter's range, and real runs inside it ---- */

static void test_counter_range_holds_real_runs(void **state)
{
    (void)state;
    counter_state st;
    int runs = 0;
    for (unsigned long s = 0; s < SEEDS; s++) {
        puzzle_counter.make(&st, s);
        assert_int_equal(st.max, st.procs * st.increments);
        assert_int_equal(st.min, st.increments == 1 ? 1 : 2);
        if (s < 24) { /* a real run: the value lies in the range */
            long v = -1;
            assert_int_equal(counter_run_real(&st, &v), 0);
            if (v < st.min || v > st.max)
                fail_msg("seed %lu: %d processes x %ld increments gave %ld, outside %ld-%ld", s, st.procs,
                         st.increments, v, st.min, st.max);
            runs++;
        }
    }
    assert_int_equal(runs, 24);
    st = (counter_state){.procs = 3, .increments = 5, .min = 2, .max = 15};
    assert_int_equal(puzzle_counter.check(&st, "2-15"), 1);
    assert_int_equal(puzzle_counter.check(&st, "2..15"), 1);
    assert_int_equal(puzzle_counter.check(&st, " 2 15 "), 1);
    assert_int_equal(puzzle_counter.check(&st, "5-15"), 0);
    assert_int_equal(puzzle_counter.check(&st, "2-15-3"), -1);
    assert_no_children();
}

/* ---- lesson 06: the payoff, from the model ---- */

static void test_payoff_follows_the_model(void **state)
{
    (void)state;
    payoff_state *st = new_state();
    for (unsigned long s = 0; s < SEEDS; s++) {
        puzzle_granularity.make(st, s);
        st->model = (mp_cost_model){2e6, 2e4, st->pool_workers};
        double n = (double)st->ntasks, c = st->task_ns;
        double sp = n * c / (2e6 + n * (c / st->pool_workers + 2e4));
        assert_true(fabs(payoff_speedup(st) - sp) < 1e-9 * sp);
        assert_int_equal(puzzle_granularity.check(st, "yes"), sp > 1);
        assert_int_equal(puzzle_granularity.check(st, "no"), sp <= 1);
    }
    /* both verdicts occur over the seeds with these costs */
    int yes = 0, no = 0;
    for (unsigned long s = 0; s < SEEDS; s++) {
        puzzle_granularity.make(st, s);
        st->model = (mp_cost_model){2e6, 2e4, 2};
        payoff_speedup(st) > 1 ? yes++ : no++;
    }
    assert_true(yes > 0 && no > 0);
    free(st);
}

/* ---- build/puzzle ---- */

static const char *tmp;

static int run(const char *const *args, char **out, char **err)
{
    char *argv[12];
    int n = 0;
    argv[n++] = BUILD_DIR "/puzzle";
    for (; args[n - 1]; n++)
        argv[n] = (char *)args[n - 1];
    argv[n] = NULL;
    int rc = run_program(argv, tmp, 60);
    *out = read_output(tmp, "out.txt");
    *err = read_output(tmp, "err.txt");
    return rc;
}

static void expect_bad(const char *const *args, const char *says)
{
    char *out, *err;
    assert_int_equal(run(args, &out, &err), 2);
    assert_int_equal(count_lines(err), 1);
    if (!strstr(err, says))
        fail_msg("'%s' said '%s', not '%s'", args[0], err, says);
    free(out);
    free(err);
}

static void test_program_flags(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    tmp = dir;
    expect_bad((const char *[]){"4", NULL}, "no puzzle for lesson '4'");
    expect_bad((const char *[]){"x", NULL}, "no puzzle for lesson 'x'");
    expect_bad((const char *[]){NULL}, "which lesson?");
    expect_bad((const char *[]){"1", "2", NULL}, "one lesson at a time");
    expect_bad((const char *[]){"1", "--seed", "x", NULL}, "--seed takes a whole number");
    expect_bad((const char *[]){"1", "--seed", "-3", NULL}, "--seed takes a whole number");
    expect_bad((const char *[]){"1", "--bogus", NULL}, "unknown flag --bogus");
    expect_bad((const char *[]){"1", "--answer", NULL}, "a value is missing after --answer");
    expect_bad((const char *[]){"9", "--answer", "lots", NULL}, "not an answer here");

    /* stdin is not a terminal: the problem, and no waiting */
    char *out, *err, *again, *err2;
    assert_int_equal(run((const char *[]){"01", "--seed", "5", NULL}, &out, &err), 0);
    assert_non_null(strstr(out, "puzzle 01 (fork), seed 5"));
    assert_non_null(strstr(out, "predict, then"));
    assert_int_equal(run((const char *[]){"1", "--seed", "5", NULL}, &again, &err2), 0);
    assert_string_equal(out, again); /* the same seed, the same problem */
    free(out), free(err), free(again), free(err2);

    /* --answer: right exits 0, wrong 1 */
    counter_state st;
    puzzle_counter.make(&st, 3);
    char right[64], wrong[64];
    puzzle_counter.answer(&st, right, sizeof right);
    snprintf(wrong, sizeof wrong, "%ld-%ld", st.min + 1, st.max);
    assert_int_equal(run((const char *[]){"9", "--seed", "3", "--answer", right, "--no-run", NULL}, &out, &err), 0);
    assert_non_null(strstr(out, ": right"));
    assert_null(strstr(out, "on this machine"));
    free(out), free(err);
    assert_int_equal(run((const char *[]){"9", "--seed", "3", "--answer", wrong, "--no-run", NULL}, &out, &err), 1);
    assert_non_null(strstr(out, "wrong, the answer is"));
    free(out), free(err);

    /* --solve runs the fork program for real, and leaves nothing behind */
    assert_int_equal(run((const char *[]){"1", "--seed", "11", "--solve", NULL}, &out, &err), 0);
    assert_non_null(strstr(out, "the same processes printed the same letters"));
    free(out), free(err);

    assert_int_equal(run((const char *[]){"--list", NULL}, &out, &err), 0);
    assert_int_equal(count_lines(out), 6);
    free(out), free(err);
    assert_no_children();
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_problem_other_seeds_others),
        cmocka_unit_test(test_answers_pass_their_check),
        cmocka_unit_test_teardown(test_fork_simulated_equals_real, teardown_children),
        cmocka_unit_test_teardown(test_fork_text_compiled_prints_the_answer, teardown_children),
        cmocka_unit_test(test_amdahl_formula),
        cmocka_unit_test(test_pool_schedule),
        cmocka_unit_test(test_gil_model_keeps_the_work),
        cmocka_unit_test_teardown(test_counter_range_holds_real_runs, teardown_children),
        cmocka_unit_test(test_payoff_follows_the_model),
        cmocka_unit_test_teardown(test_program_flags, teardown_children),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
