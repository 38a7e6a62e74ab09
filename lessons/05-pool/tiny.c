/* Lesson 05, part 1 -- T4's tiny tasks: factorials 1..100 four ways.
 *
 * T4 computes factorial(1) .. factorial(100) in a Pool through apply_async,
 * map_async, map and apply in a loop, each task printing the PID that ran
 * it: the PIDs spread over the workers, and the pool takes 130-166 ms
 * where the serial loop takes 594 us. Here the same four calls run on one
 * process pool (--workers, --start), each repeated --repeat times; every
 * task's mp_task_info says which worker ran it and from when to when
 * (tasks.csv). Two things to see:
 *  - the spread: map and map_async cut the 100 items into chunks (Python's
 *    default chunksize, 13 for 2 workers) and hand them round; apply_async
 *    sends 100 separate tasks;
 *  - apply in a loop is serial: Python's apply is apply_async(...).get(),
 *    so each task is sent only after the previous one came back. The PIDs
 *    rotate, but at most one task ever runs: the overlap computed from the
 *    start and end times is 1.
 * And T4's verdict, on this machine: for tasks this small a pool costs more
 * than it saves. */
#include "lesson05.h"

#define N_FACT 100

const char *const api_names[NAPIS] = {"apply_async", "map_async", "map", "apply-loop"};

typedef struct tiny_run {
    mp_pool *pool;
    int api;
    long args[N_FACT];
    mp_digits res[N_FACT];
    mp_task_info info[N_FACT];
} tiny_run;

static void serial_loop(void *arg)
{
    tiny_run *t = arg;
    for (int i = 0; i < N_FACT; i++)
        t->res[i] = mp_factorial_digits((unsigned)t->args[i]);
}

static void pool_run(void *arg)
{
    tiny_run *t = arg;
    memset(t->res, 0, sizeof t->res);
    memset(t->info, 0, sizeof t->info);
    if (t->api == API_APPLY_ASYNC) {
        /* T4: [pool.apply_async(factorial, (x,)) for x in ...], then get each */
        mp_async *h[N_FACT];
        for (int i = 0; i < N_FACT; i++) {
            mp_call_opts o = {.info = &t->info[i]};
            CHECK(mp_pool_apply_async(t->pool, mp_factorial_task, &t->args[i], sizeof(long), sizeof(mp_digits), &o,
                                      &h[i]));
        }
        for (int i = 0; i < N_FACT; i++) {
            CHECK(mp_async_get(h[i], -1, &t->res[i]));
            mp_async_free(h[i]);
        }
    } else if (t->api == API_MAP_ASYNC) {
        mp_call_opts o = {.info = t->info};
        mp_async *h;
        CHECK(mp_pool_map_async(t->pool, mp_factorial_task, t->args, N_FACT, sizeof(long), sizeof(mp_digits), &o, &h));
        CHECK(mp_async_get(h, -1, t->res));
        mp_async_free(h);
    } else if (t->api == API_MAP) {
        mp_call_opts o = {.info = t->info};
        CHECK(mp_pool_map(t->pool, mp_factorial_task, t->args, N_FACT, sizeof(long), t->res, sizeof(mp_digits), &o));
    } else {
        /* apply in a loop. Python's apply(f, args) is apply_async(f, args).get();
         * mp_pool_apply is the same call without options, so the loop spells
         * it out to ask who ran each task. */
        for (int i = 0; i < N_FACT; i++) {
            mp_call_opts o = {.info = &t->info[i]};
            mp_async *h;
            CHECK(mp_pool_apply_async(t->pool, mp_factorial_task, &t->args[i], sizeof(long), sizeof(mp_digits), &o,
                                      &h));
            CHECK(mp_async_get(h, -1, &t->res[i]));
            mp_async_free(h);
        }
    }
}

/* T4's other cost: a new Pool each time (its times include starting it). */
static void new_pool_map(void *arg)
{
    tiny_run *t = arg;
    mp_pool *p = mp_lesson_pool(MP_POOL_PROCESSES, -1, t->api, NULL); /* api holds the worker count here */
    CHECK(mp_pool_map(p, mp_factorial_task, t->args, N_FACT, sizeof(long), t->res, sizeof(mp_digits), NULL));
    mp_lesson_pool_finish(p);
}

static void pids_of_first(const char *what, const mp_task_info *info)
{
    char line[512] = "";
    for (int i = 0; i < 12; i++) {
        size_t len = strlen(line);
        snprintf(line + len, sizeof line - len, " %d", (int)info[i].pid);
    }
    mp_say("%-12s factorial(1..12) ran in pids%s ...", what, line);
}

void part_tiny(mp_lesson *L, tiny_result *R)
{
    int w = L->o.workers, start = mp_get_start_method();
    mp_lesson_part(L, "1. T4's tiny tasks: factorial(1..100) through apply_async, map_async, map and apply in a loop");
    *R = (tiny_result){.workers = w, .all_right = true};
    static tiny_run t; /* (static: 100 results and infos, not on the stack) */
    for (int i = 0; i < N_FACT; i++)
        t.args[i] = i + 1;
    mp_digits want[N_FACT];
    /* These runs take microseconds to milliseconds, and one preemption can
     * double one: five times --repeat of them, so the medians mean something. */
    int repeat = 5 * L->o.repeat;
    CHECK(mp_measure(repeat, serial_loop, &t, &R->serial, NULL));
    memcpy(want, t.res, sizeof want);
    mp_say("serial loop: 100 factorials in %.0f us (100! has %d digits, digit sum %d; T4: 594 us in CPython)",
           R->serial.median * 1e6, want[99].digits, want[99].digit_sum);
    pool_row("factorials", "serial", 1, N_FACT, 0, &R->serial);

    uint64_t c0 = mp_now_ns();
    t.pool = mp_lesson_pool(MP_POOL_PROCESSES, start, w, NULL);
    pid_t pids[MP_POOL_WORKERS_MAX];
    int n = mp_pool_workers(t.pool, pids, MP_POOL_WORKERS_MAX);
    char list[512] = "";
    for (int k = 0; k < n; k++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, " %d", (int)pids[k]);
    }
    mp_say("a process pool of %d workers (%s) started in %.1f ms: pool pids%s", n, mp_start_names[start],
           mp_ns_to_s(mp_now_ns() - c0) * 1e3, list);
    const char *backend = mp_pool_backend_name(MP_POOL_PROCESSES, start);
    for (int a = 0; a < NAPIS; a++) {
        t.api = a;
        CHECK(mp_measure(repeat, pool_run, &t, &R->api[a], NULL));
        bool right = memcmp(t.res, want, sizeof want) == 0;
        R->all_right = R->all_right && right;
        R->overlap[a] = max_overlap(t.info, N_FACT);
        pid_t who[MP_POOL_WORKERS_MAX];
        int counts[MP_POOL_WORKERS_MAX];
        R->spread[a] = tasks_per_worker(t.info, N_FACT, who, counts, MP_POOL_WORKERS_MAX);
        char experiment[48];
        snprintf(experiment, sizeof experiment, "factorials-%s", api_names[a]);
        size_t cs = a == API_MAP || a == API_MAP_ASYNC ? mp_pool_chunksize(N_FACT, w) : 1;
        pool_row(experiment, backend, w, N_FACT, cs, &R->api[a]);
        task_rows(experiment, t.info, N_FACT, 0);
        pids_of_first(api_names[a], t.info);
        if (a == API_APPLY_LOOP || a == API_MAP_ASYNC) { /* the two extremes, drawn from the last run */
            char stem[48], title[128];
            snprintf(stem, sizeof stem, "factorials-%s", a == API_MAP_ASYNC ? "map-async" : "apply-loop");
            if (a == API_MAP_ASYNC)
                snprintf(title, sizeof title, "lesson 05: factorial(1..100) by map_async (chunks of %zu, on every "
                         "worker)", cs);
            else
                snprintf(title, sizeof title, "lesson 05: factorial(1..100) by apply in a loop (one task at a time)");
            task_gantt(L, stem, title, t.info, N_FACT, 0, false);
        }
        say_spread(api_names[a], t.info, N_FACT);
        mp_say("%-12s %.0f us (min %.0f, max %.0f), %s", api_names[a], R->api[a].median * 1e6, R->api[a].min * 1e6,
               R->api[a].max * 1e6, right ? "results equal the serial loop's" : "RESULTS DIFFER from the serial loop's");
    }

    mp_lesson_pool_finish(t.pool);

    mp_stats fresh;
    t.api = w;
    CHECK(mp_measure(L->o.repeat, new_pool_map, &t, &fresh, NULL));
    pool_row("factorials-new-pool-map", backend, w, N_FACT, mp_pool_chunksize(N_FACT, w), &fresh);
    mp_say("T4 starts a new Pool each time: start %d workers, map, close, join = %.1f ms (T4: 130-166 ms)", w,
           fresh.median * 1e3);
    mp_table tab;
    mp_table_header(&tab, "API|median us|min|max|x serial|workers used|most at once");
    for (int a = 0; a < NAPIS; a++)
        mp_table_row(&tab, "%s|%.0f|%.0f|%.0f|%.1f|%d|%d", api_names[a], R->api[a].median * 1e6, R->api[a].min * 1e6,
                     R->api[a].max * 1e6, R->api[a].median / R->serial.median, R->spread[a], R->overlap[a]);
}
