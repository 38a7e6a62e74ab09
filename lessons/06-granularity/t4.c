/* Lesson 06, part 5 -- T4 redone: tiny tasks lose, waits win.
 *
 * T4's two experiments, on this machine:
 *  - factorial(1..100): 594 us as a list comprehension, 130-166 ms through
 *    a new Pool. Here: the serial loop, and `with Pool() as p:
 *    p.map(factorial, range(1, 101))` on each kind of pool, start included.
 *  - ten page fetches of ~0.83 s each (the first fetched alone, to learn how
 *    many there are): serial 10.2 s; 4 workers 7.64 s; 10 workers 7.64 s;
 *    1 worker 10.3 s; 100 workers 8.24 s; apply in a loop 9-9.9 s. Here a
 *    wait of --wait-ms stands in for a fetch, on process pools of 1, 4, 10
 *    and 100 workers (apply_async), and apply in a loop on 4 workers.
 * Waiting uses no CPU -- T4's point -- so the five runs go side by side,
 * each in a thread of its own with its own pool, and in the background
 * while part 6 computes: part_t4 starts them, part_t4_waits collects them.
 * The part takes one slow run's time, and hardly slows part 6 down. */
#include <math.h>

#include "lesson06.h"

#define N_FACT 100
#define N_PAGES 10

static long fact_args[N_FACT];
static mp_digits fact_res[N_FACT];

typedef struct fact_run { int way, workers; } fact_run;

static void fact_serial(void *arg)
{
    (void)arg;
    for (int i = 0; i < N_FACT; i++)
        fact_res[i] = mp_factorial_digits((unsigned)fact_args[i]);
}

static void fact_pool(void *arg)
{
    fact_run *f = arg;
    memset(fact_res, 0, sizeof fact_res);
    mp_pool *p = way_pool(f->way, f->workers);
    CHECK(mp_pool_map(p, mp_factorial_task, fact_args, N_FACT, sizeof(long), fact_res, sizeof(mp_digits), NULL));
    mp_lesson_pool_finish(p);
}

typedef struct wait_run {
    mp_pool *pool;
    bool loop;           /* apply in a loop, instead of apply_async */
    long ms;
    double took_s;
    long pids[N_PAGES];
} wait_run;

/* T4's fetch: the first page alone, then the other nine. */
static void *fetch_pages(void *arg)
{
    wait_run *r = arg;
    uint64_t t0 = mp_now_ns();
    CHECK(mp_pool_apply(r->pool, wait_task, &r->ms, sizeof r->ms, &r->pids[0], sizeof(long)));
    mp_async *h[N_PAGES];
    for (int i = 1; i < N_PAGES; i++) {
        CHECK(mp_pool_apply_async(r->pool, wait_task, &r->ms, sizeof r->ms, sizeof(long), NULL, &h[i]));
        if (r->loop) { /* apply: apply_async(...).get() */
            CHECK(mp_async_get(h[i], -1, &r->pids[i]));
            mp_async_free(h[i]);
        }
    }
    for (int i = 1; i < N_PAGES && !r->loop; i++) {
        CHECK(mp_async_get(h[i], -1, &r->pids[i]));
        mp_async_free(h[i]);
    }
    r->took_s = mp_ns_to_s(mp_now_ns() - t0);
    return NULL;
}

static int distinct(const long *v, int n)
{
    int d = 0;
    for (int i = 0; i < n; i++) {
        bool seen = false;
        for (int k = 0; k < i && !seen; k++)
            seen = v[k] == v[i];
        d += !seen;
    }
    return d;
}

static void factorials(mp_lesson *L, t4_result *R)
{
    for (int i = 0; i < N_FACT; i++)
        fact_args[i] = i + 1;
    int repeat = 3 * L->o.repeat; /* sub-millisecond runs: more of them */
    CHECK(mp_measure(repeat, fact_serial, NULL, &R->fact_serial, NULL));
    mp_digits want[N_FACT];
    memcpy(want, fact_res, sizeof want);
    CHECK(mp_csv_row(&t4_csv, "factorials,serial,1,%.6f", R->fact_serial.median));
    mp_say("factorial(1..100), the serial loop: %.1f us (T4, CPython: 594 us); 100! has %d digits", 
           R->fact_serial.median * 1e6, want[N_FACT - 1].digits);
    R->fact_right = true;
    for (int w = 0; w < NWAYS; w++) {
        fact_run f = {w, L->o.workers};
        CHECK(mp_measure(L->o.repeat, fact_pool, &f, &R->fact_pool[w], NULL));
        R->fact_right = R->fact_right && memcmp(fact_res, want, sizeof want) == 0;
        CHECK(mp_csv_row(&t4_csv, "factorials,%s,%d,%.6f", way_names[w], L->o.workers, R->fact_pool[w].median));
        mp_say("with a new %s pool of %d: %.2f ms = %.0fx the loop (T4: 130-166 ms, 220-280x)", way_names[w],
               L->o.workers, R->fact_pool[w].median * 1e3, R->fact_pool[w].median / R->fact_serial.median);
    }
}

static const int workers[T4_WAIT_RUNS] = {1, 4, 10, 100, 4};
static wait_run runs[T4_WAIT_RUNS];
static mp_thread th[T4_WAIT_RUNS];

static void waits_start(mp_lesson *L, t4_result *R)
{
    R->wait_ms = L->o.quick ? 50 : 800;
    for (int k = 0; k < T4_WAIT_RUNS; k++) {
        runs[k] = (wait_run){.pool = way_pool(W_FORK, workers[k]), .loop = k == T4_WAIT_RUNS - 1, .ms = R->wait_ms};
        R->wait_workers[k] = runs[k].loop ? 0 : workers[k];
    }
    mp_say("ten waits of %ld ms (T4: page fetches of ~0.83 s), the first alone; five runs side by side, in the "
           "background while part 6 runs", R->wait_ms);
    for (int k = 0; k < T4_WAIT_RUNS; k++) {
        mp_thread_init(&th[k], "fetcher", fetch_pages, &runs[k]);
        CHECK(mp_thread_start(&th[k]));
    }
}

void part_t4_waits(mp_lesson *L, t4_result *R)
{
    mp_lesson_part(L, "5 (continued). T4's waits, which ran in the background");
    for (int k = 0; k < T4_WAIT_RUNS; k++)
        CHECK(mp_thread_join(&th[k], NULL));
    static const char *const t4_said[T4_WAIT_RUNS] = {"10.3 s", "7.64 s", "7.64 s", "8.24 s", "9-9.9 s"};
    mp_table t;
    mp_table_header(&t, "run|seconds|x one wait|distinct workers|T4");
    for (int k = 0; k < T4_WAIT_RUNS; k++) {
        mp_lesson_pool_finish(runs[k].pool);
        R->wait_s[k] = runs[k].took_s;
        R->wait_pids[k] = distinct(runs[k].pids, N_PAGES);
        char name[48];
        if (runs[k].loop)
            snprintf(name, sizeof name, "apply in a loop, 4 workers");
        else
            snprintf(name, sizeof name, "apply_async, %d worker%s", workers[k], workers[k] == 1 ? "" : "s");
        mp_table_row(&t, "%s|%.2f|%.1f|%d|%s", name, R->wait_s[k], R->wait_s[k] / (R->wait_ms / 1e3),
                     R->wait_pids[k], t4_said[k]);
        CHECK(mp_csv_row(&t4_csv, "waits,%s,%d,%.6f", runs[k].loop ? "process-fork-apply-loop" : "process-fork",
                         workers[k], R->wait_s[k]));
    }
    mp_say("the ideal: one wait, then ceil(9 / workers) rounds: 10, 4, 2 and 2 waits; apply in a loop: 10");
}

void part_t4(mp_lesson *L, t4_result *R)
{
    mp_lesson_part(L, "5. T4 redone: factorials through a pool (it loses), and waits (more workers win)");
    *R = (t4_result){0};
    factorials(L, R);
    waits_start(L, R);
}
