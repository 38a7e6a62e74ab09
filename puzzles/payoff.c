/* Lesson 06's puzzle: n tasks of a given cost on a pool of w workers.
 * Does going parallel pay off here, with this machine's costs?
 *
 * Lesson 06's model (lib/granularity.h): on w workers the run takes
 *
 *     T = start + n * (c / w + overhead)      against  n * c  serially
 *
 * with w the workers that can run at once (the pool's size, at most the
 * CPUs this process may use), start the cost of creating and ending the
 * pool, overhead what each task costs on top of its work. It pays off
 * when n c / T > 1. The problem (backend, size, cost, count) comes from
 * the seed; start and overhead are this machine's: from lesson 06's last
 * run (plots/out/06-granularity/model.csv) if there is one, otherwise
 * measured now, quickly (idle pools, empty tasks). --solve also runs the
 * tasks, serially and on the pool, and shows the measured speedup. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mp.h"
#include "payoff.h"

static const char *const backend_names[] = {"thread", "process-fork"};

double payoff_speedup(const payoff_state *st) { return mp_model_speedup(&st->model, st->task_ns, st->ntasks); }

static void make(void *state, unsigned long seed)
{
    static const double costs_ns[] = {1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6, 3e6};
    payoff_state *st = state;
    puzzle_rng r = puzzle_rng_seeded(seed, "granularity");
    memset(st, 0, sizeof *st);
    st->backend = puzzle_rng_range(&r, 0, 1);
    st->pool_workers = puzzle_rng_range(&r, 0, 1) ? 4 : 2;
    st->task_ns = costs_ns[puzzle_rng_range(&r, 0, 7)];
    /* about 40 ms of work in all, 20 to 20000 tasks */
    double n = 40e6 / st->task_ns;
    st->ntasks = n < 20 ? 20 : n > 20000 ? 20000 : (size_t)n;
}

static mp_pool_opts pool_opts(const payoff_state *st)
{
    mp_pool_opts po = mp_pool_defaults(st->backend ? MP_POOL_PROCESSES : MP_POOL_THREADS);
    po.workers = st->pool_workers;
    if (st->backend)
        po.start = MP_START_FORK;
    return po;
}

static int empty_task(const void *arg, void *result)
{
    (void)arg;
    (void)result;
    return 0;
}

int payoff_measure_model(payoff_state *st)
{
    mp_pool_opts po = pool_opts(st);
    double best_start = INFINITY, best_over = INFINITY;
    size_t n = st->backend ? 400 : 4000;
    for (int rep = 0; rep < 3; rep++) { /* the fastest of 3: interruptions only ever add time */
        mp_pool *pool;
        uint64_t t0 = mp_now_ns();
        int rc = mp_pool_create(&pool, &po);
        if (rc < 0)
            return rc;
        uint64_t t1 = mp_now_ns();
        mp_call_opts co = {.chunksize = 1};
        rc = mp_pool_map(pool, empty_task, NULL, n, 0, NULL, 0, &co);
        uint64_t t2 = mp_now_ns();
        mp_pool_close(pool);
        mp_pool_join(pool);
        mp_pool_free(pool);
        uint64_t t3 = mp_now_ns();
        if (rc < 0)
            return rc;
        double start = (double)(t1 - t0 + t3 - t2);
        double over = mp_overhead_per_task((double)(t2 - t1), 0, 0, n, st->model.workers);
        best_start = fmin(best_start, start);
        best_over = fmin(best_over, over);
    }
    st->model.start_ns = best_start;
    st->model.overhead_ns = best_over;
    snprintf(st->model_from, sizeof st->model_from, "measured now: idle pools and %zu empty tasks, the best of 3", n);
    return 0;
}

/* Lesson 06's last model for this backend, if its model.csv has a row for it. */
static bool read_lesson_model(payoff_state *st)
{
    static const char path[] = MP_ROOT "/plots/out/06-granularity/model.csv";
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[256], name[64];
    double start_us, over_ns;
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        if (sscanf(line, "%63[^,],%lf,%lf", name, &start_us, &over_ns) == 3 &&
            !strcmp(name, backend_names[st->backend]) && start_us >= 0 && over_ns >= 0) {
            st->model.start_ns = start_us * 1e3;
            st->model.overhead_ns = over_ns;
            snprintf(st->model_from, sizeof st->model_from, "lesson 06's last run, plots/out/06-granularity/model.csv");
            found = true;
        }
    fclose(f);
    return found;
}

static int prepare(void *state, FILE *out)
{
    payoff_state *st = state;
    int cpus = mp_cpus_usable();
    st->model.workers = st->pool_workers < cpus ? st->pool_workers : cpus;
    if (read_lesson_model(st))
        return 0;
    fprintf(out, "(measuring this machine's pool costs, a moment...)\n\n");
    fflush(out);
    int rc = payoff_measure_model(st);
    if (rc < 0)
        fprintf(stderr, "puzzle: measuring the pool's costs failed: %s\n", strerror(-rc));
    return rc;
}

static void problem(const void *state, FILE *out)
{
    const payoff_state *st = state;
    char c[32], o[32], s[32];
    fprintf(out, "%zu tasks of %s of work each (%.0f ms in all, serially) go to a %s pool of %d workers,\n"
                 "created for them and closed after. This machine's costs (%s):\n\n",
            st->ntasks, mp_ns_text(st->task_ns, c, sizeof c), st->ntasks * st->task_ns / 1e6,
            backend_names[st->backend], st->pool_workers, st->model_from);
    fprintf(out, "  start (create, close, join the pool):  %s\n  overhead per task (beyond its work):   %s\n"
                 "  workers that can run at once:          %d (the pool's %d, at most the %d usable CPUs)\n\n",
            mp_ns_text(st->model.start_ns, s, sizeof s), mp_ns_text(st->model.overhead_ns, o, sizeof o),
            st->model.workers, st->pool_workers, mp_cpus_usable());
    fprintf(out, "Lesson 06's model: T = start + n x (task / workers + overhead). Is the pool faster than\n"
                 "running the tasks one after another (speedup above 1)? (yes or no)\n");
}

static int check(const void *state, const char *answer)
{
    bool pays = payoff_speedup(state) > 1;
    if (!strcmp(answer, "yes") || !strcmp(answer, "y"))
        return pays;
    if (!strcmp(answer, "no") || !strcmp(answer, "n"))
        return !pays;
    return -1;
}

static void answer(const void *state, char *buf, size_t len)
{
    snprintf(buf, len, "%s", payoff_speedup(state) > 1 ? "yes" : "no");
}

static void solve(const void *state, FILE *out)
{
    const payoff_state *st = state;
    const mp_cost_model *m = &st->model;
    double n = (double)st->ntasks, sp = payoff_speedup(st);
    double t = mp_model_time_ns(m, st->task_ns, st->ntasks);
    char b[32];
    fprintf(out, "%s: the model's speedup is %.2fx.\n\n", sp > 1 ? "Yes" : "No", sp);
    fprintf(out, "  serially:   n x task = %.0f x %.0f ns = %.2f ms\n", n, st->task_ns, n * st->task_ns / 1e6);
    fprintf(out, "  on the pool: start + n x (task / %d + overhead) = %.2f ms + %.0f x (%.0f + %.0f) ns = %.2f ms\n",
            m->workers, m->start_ns / 1e6, n, st->task_ns / m->workers, m->overhead_ns, t / 1e6);
    double be = mp_model_breakeven(m, st->ntasks);
    if (isinf(be))
        fprintf(out, "With one worker that can run, a pool never pays off: it only adds its costs.\n");
    else
        fprintf(out, "It pays off from tasks of about %s up (the break-even for %zu tasks: (overhead +\n"
                     "start / n) / (1 - 1 / workers)); at best, with huge tasks, %dx.\n",
                mp_ns_text(be, b, sizeof b), st->ntasks, m->workers);
}

/* ---- the run: the same tasks, serially and on the pool ---- */

static int spin_task(const void *arg, void *result)
{
    *(uint64_t *)result = mp_spin(*(const uint64_t *)arg, 1);
    return 0;
}

static int measure(const void *state, FILE *out)
{
    const payoff_state *st = state;
    uint64_t steps = mp_spin_steps_for_ns(st->task_ns);
    uint64_t *args = malloc(st->ntasks * sizeof *args), *results = malloc(st->ntasks * sizeof *results);
    if (!args || !results) {
        free(args);
        free(results);
        return -ENOMEM;
    }
    for (size_t i = 0; i < st->ntasks; i++)
        args[i] = steps;
    uint64_t t0 = mp_now_ns();
    for (size_t i = 0; i < st->ntasks; i++)
        spin_task(&args[i], &results[i]);
    uint64_t t1 = mp_now_ns();
    mp_pool_opts po = pool_opts(st);
    mp_pool *pool;
    int rc = mp_pool_create(&pool, &po);
    if (rc == 0) {
        mp_call_opts co = {.chunksize = 1}; /* as the model: every task handed out on its own */
        rc = mp_pool_map(pool, spin_task, args, st->ntasks, sizeof *args, results, sizeof *results, &co);
        mp_pool_close(pool);
        mp_pool_join(pool);
        mp_pool_free(pool);
    }
    uint64_t t2 = mp_now_ns();
    free(args);
    free(results);
    if (rc < 0)
        return rc;
    double serial = (double)(t1 - t0), parallel = (double)(t2 - t1), sp = serial / parallel;
    fprintf(out, "The same %zu tasks (lib/work's mp_spin), serially and on a %s pool of %d, chunksize 1:\n",
            st->ntasks, backend_names[st->backend], st->pool_workers);
    fprintf(out, "  serially %.2f ms, on the pool %.2f ms (start included)\n", serial / 1e6, parallel / 1e6);
    fprintf(out, "  speedup: predicted %.2fx, measured %.2fx: %s\n", payoff_speedup(st), sp,
            (sp > 1) == (payoff_speedup(st) > 1) ? "the same verdict" : "a different verdict");
    fprintf(out, "Near a speedup of 1 the verdict is a coin toss on a busy machine; far from it, the model\n"
                 "and the run agree. Lesson 06 draws the whole curve.\n");
    return 0;
}

const puzzle puzzle_granularity = {
    .lesson = 6,
    .name = "granularity",
    .about = "whether a task size pays off on a pool, with this machine's measured cost model",
    .answer_form = "yes or no",
    .make = make,
    .prepare = prepare,
    .problem = problem,
    .check = check,
    .answer = answer,
    .solve = solve,
    .measure = measure,
};
