/* Lesson 05, part 6 -- thread pool against process pool; initializer and
 * maxtasksperchild.
 *
 * multiprocessing.pool.ThreadPool has Pool's API with threads for
 * workers. In CPython the choice is forced by the GIL (lesson 03): threads
 * for I/O-bound work (waiting releases the GIL), processes for CPU-bound
 * work. In C there is no GIL: a thread pool runs CPU-bound tasks in
 * parallel too, and it is cheaper (no copies, no other process). Here the
 * same two maps -- counting primes (CPU-bound) and sleeping (I/O-bound,
 * standing in for T4's page fetches) -- run serially, on a thread pool and
 * on process pools under fork, spawn and forkserver, --repeat times each
 * (pool.csv). Starting the pool is timed apart: it is paid once.
 *
 * Then two options of Pool():
 *  - initializer(*initargs) runs once in every worker before its first
 *    task (to open a connection, load a model -- T2 says a model must be
 *    created inside the process that uses it);
 *  - maxtasksperchild=2: a worker ends after 2 chunks and a fresh one
 *    replaces it (a leaky library's memory is given back): the PIDs that
 *    ran the tasks change, and each new worker runs the initializer. */
#include <stdlib.h>

#include "lesson05.h"

#define B_TASKS_MAX 256

static const char *const names[NBACKENDS] = {"serial", "thread", "process-fork", "process-spawn", "process-forkserver"};

typedef struct bench {
    mp_pool *pool; /* NULL: serial */
    int ntasks;
    range ranges[B_TASKS_MAX];
    uint64_t counts[B_TASKS_MAX];
    long ms[B_TASKS_MAX], slept[B_TASKS_MAX];
} bench;

static void cpu_run(void *arg)
{
    bench *b = arg;
    if (!b->pool)
        for (int i = 0; i < b->ntasks; i++)
            primes_task(&b->ranges[i], &b->counts[i]);
    else
        CHECK(mp_pool_map(b->pool, primes_task, b->ranges, (size_t)b->ntasks, sizeof(range), b->counts,
                          sizeof(uint64_t), NULL));
}

static void io_run(void *arg)
{
    bench *b = arg;
    if (!b->pool)
        for (int i = 0; i < b->ntasks; i++)
            io_task(&b->ms[i], &b->slept[i]);
    else
        CHECK(mp_pool_map(b->pool, io_task, b->ms, (size_t)b->ntasks, sizeof(long), b->slept, sizeof(long), NULL));
}

static void options(mp_lesson *L, backends_result *R)
{
    mp_section("6b. initializer and maxtasksperchild (process pool, %s)", mp_start_names[mp_get_start_method()]);
    int w = L->o.workers;
    mp_pool_opts o = mp_pool_defaults(MP_POOL_PROCESSES);
    o.initializer = greet_worker;
    o.initargs = "hello";
    o.initargs_len = 5;
    mp_pool *p = mp_lesson_pool(MP_POOL_PROCESSES, -1, w, &o);
    long n = 4L * w, ms[B_TASKS_MAX];
    whoami who[B_TASKS_MAX];
    mp_task_info info[B_TASKS_MAX];
    for (long i = 0; i < n; i++)
        ms[i] = 5;
    mp_call_opts co = {.chunksize = 1, .info = info};
    CHECK(mp_pool_map(p, whoami_task, ms, (size_t)n, sizeof(long), who, sizeof(whoami), &co));
    mp_lesson_pool_finish(p);
    pid_t pids[B_TASKS_MAX];
    int counts[B_TASKS_MAX];
    R->init_workers = tasks_per_worker(info, (size_t)n, pids, counts, B_TASKS_MAX);
    R->init_once = true;
    for (long i = 0; i < n; i++)
        R->init_once = R->init_once && who[i].inits == 1 && who[i].pid == (long)info[i].pid;
    mp_say("Pool(%d, initializer=greet, initargs=('hello',)): %ld tasks ran in %d workers; in each, the initializer "
           "had run %s", w, n, R->init_workers, R->init_once ? "exactly once" : "NOT exactly once");

    o.maxtasksperchild = 2;
    p = mp_lesson_pool(MP_POOL_PROCESSES, -1, w, &o);
    n = 6L * w;
    for (long i = 0; i < n; i++)
        ms[i] = 2;
    CHECK(mp_pool_map(p, whoami_task, ms, (size_t)n, sizeof(long), who, sizeof(whoami), &co));
    R->started = mp_pool_started(p);
    mp_lesson_pool_finish(p);
    R->maxtasks_tasks = n;
    R->maxtasks_pids = tasks_per_worker(info, (size_t)n, pids, counts, B_TASKS_MAX);
    R->maxtasks_most = 0;
    for (int k = 0; k < R->maxtasks_pids; k++)
        if (counts[k] > R->maxtasks_most)
            R->maxtasks_most = counts[k];
    for (long i = 0; i < n; i++)
        R->init_once = R->init_once && who[i].inits == 1;
    char line[1024] = "";
    for (long i = 0; i < n; i++) {
        size_t len = strlen(line);
        snprintf(line + len, sizeof line - len, " %d", (int)info[i].pid);
    }
    mp_say("maxtasksperchild=2, %ld tasks of chunksize 1: pids%s", n, line);
    mp_say("%d distinct workers ran them (at most %d tasks each); %d workers were started in all", R->maxtasks_pids,
           R->maxtasks_most, R->started);
}

/* backends.png: the speedup of each pool over the serial loop, CPU-bound
 * and I/O-bound side by side (plots/bars.gp; bars from the slowest to the
 * fastest run). */
static void speedup_bars(mp_lesson *L, const backends_result *R)
{
    char dat[PATH_MAX];
    FILE *f = bars_open(L, "backends", dat, "backend \"CPU-bound (primes)\" min max \"I/O-bound (sleeps)\" min max");
    if (!f)
        return;
    for (int k = B_THREAD; k < NBACKENDS; k++)
        fprintf(f, "\"%s\" %.3f %.3f %.3f %.3f %.3f %.3f\n", names[k], R->cpu[B_SERIAL].median / R->cpu[k].median,
                R->cpu[B_SERIAL].median / R->cpu[k].max, R->cpu[B_SERIAL].median / R->cpu[k].min,
                R->io[B_SERIAL].median / R->io[k].median, R->io[B_SERIAL].median / R->io[k].max,
                R->io[B_SERIAL].median / R->io[k].min);
    char vars[128];
    snprintf(vars, sizeof vars, "ylabel='speedup over the serial loop, %d workers'; nseries=2; ref=1", R->workers);
    bars_draw(L, f, dat, "backends", "lesson 05: thread pool against process pools", vars);
}

void part_backends(mp_lesson *L, backends_result *R)
{
    int w = L->o.workers;
    mp_lesson_part(L, "6. thread pool against process pools (fork, spawn, forkserver): CPU-bound and I/O-bound tasks");
    *R = (backends_result){.workers = w, .cpu_right = true};
    static bench b;
    b.ntasks = 4 * w > B_TASKS_MAX ? B_TASKS_MAX : 4 * w;
    uint64_t hi = mp_primes_bound_for(L->o.quick ? 0.05 : 0.2);
    long ms = L->o.quick ? 10 : 40;
    for (int i = 0; i < b.ntasks; i++) {
        mp_split_range(0, hi, b.ntasks, i, &b.ranges[i].lo, &b.ranges[i].hi);
        b.ms[i] = ms;
    }
    mp_say("CPU-bound: count the primes below %llu in %d ranges; I/O-bound: %d sleeps of %ld ms; %d workers",
           (unsigned long long)hi, b.ntasks, b.ntasks, ms, w);
    uint64_t want[B_TASKS_MAX];
    mp_table t;
    mp_table_header(&t, "backend           |pool start ms|CPU-bound ms|min|max|speedup|I/O-bound ms|min|max|speedup");
    /* All pools first (their start timed), then the runs taken in turns --
     * serial, thread, fork, spawn, forkserver, again -- so that a burst of
     * load from other programs hits every backend alike. */
    mp_pool *pools[NBACKENDS] = {NULL};
    for (int k = B_THREAD; k < NBACKENDS; k++) {
        uint64_t t0 = mp_now_ns();
        pools[k] = k == B_THREAD ? mp_lesson_pool(MP_POOL_THREADS, -1, w, NULL)
                                 : mp_lesson_pool(MP_POOL_PROCESSES, k - B_FORK, w, NULL);
        R->startup_s[k] = mp_ns_to_s(mp_now_ns() - t0);
    }
    int rep = L->o.repeat;
    double *cpu_s = calloc((size_t)(NBACKENDS * rep), sizeof *cpu_s), *io_s = calloc((size_t)(NBACKENDS * rep), sizeof *io_s);
    if (!cpu_s || !io_s)
        mp_lesson_abort();
    for (int r = 0; r < rep; r++)
        for (int k = 0; k < NBACKENDS; k++) {
            b.pool = pools[k];
            memset(b.counts, 0, sizeof b.counts);
            uint64_t t0 = mp_now_ns();
            cpu_run(&b);
            cpu_s[k * rep + r] = mp_ns_to_s(mp_now_ns() - t0);
            if (k == B_SERIAL)
                memcpy(want, b.counts, sizeof want);
            else
                R->cpu_right = R->cpu_right && memcmp(want, b.counts, sizeof want) == 0;
        }
    for (int r = 0; r < rep; r++)
        for (int k = 0; k < NBACKENDS; k++) {
            b.pool = pools[k];
            uint64_t t0 = mp_now_ns();
            io_run(&b);
            io_s[k * rep + r] = mp_ns_to_s(mp_now_ns() - t0);
        }
    for (int k = 0; k < NBACKENDS; k++) {
        if (pools[k])
            mp_lesson_pool_finish(pools[k]);
        CHECK(mp_stats_of(&cpu_s[k * rep], (size_t)rep, &R->cpu[k]));
        CHECK(mp_stats_of(&io_s[k * rep], (size_t)rep, &R->io[k]));
    }
    free(cpu_s);
    free(io_s);
    for (int k = 0; k < NBACKENDS; k++) {
        int workers = k == B_SERIAL ? 1 : w;
        size_t cs = k == B_SERIAL ? 0 : mp_pool_chunksize((size_t)b.ntasks, w);
        pool_row("cpu", names[k], workers, (size_t)b.ntasks, cs, &R->cpu[k]);
        pool_row("io", names[k], workers, (size_t)b.ntasks, cs, &R->io[k]);
        mp_table_row(&t, "%s|%.1f|%.1f|%.1f|%.1f|%.2f|%.1f|%.1f|%.1f|%.2f", names[k], R->startup_s[k] * 1e3,
                     R->cpu[k].median * 1e3, R->cpu[k].min * 1e3, R->cpu[k].max * 1e3,
                     R->cpu[B_SERIAL].median / R->cpu[k].median, R->io[k].median * 1e3, R->io[k].min * 1e3,
                     R->io[k].max * 1e3, R->io[B_SERIAL].median / R->io[k].median);
    }
    uint64_t total = 0;
    for (int i = 0; i < b.ntasks; i++)
        total += want[i];
    mp_say("%llu primes below %llu, the same count from every pool: %s", (unsigned long long)total,
           (unsigned long long)hi, R->cpu_right ? "yes" : "NO");
    speedup_bars(L, R);
    options(L, R);
}
