/* The kit's pool against OpenMP and CPython, per task, side by side.
 *  - Thread pool: mp_pool_map of empty tasks with chunksize 1, against
 *    OpenMP's `#pragma omp parallel for schedule(dynamic,1)` (libgomp)
 *    calling the same task, the same number of workers. Both hand out one
 *    task at a time from a shared counter. Target: at most 1.5x OpenMP's
 *    cost per task.
 *  - Process pool (fork), chunksize 1: per task against CPython's
 *    Pool.map(f, range(n), chunksize=1) (fork, same workers), when python3
 *    is here. Target: at least 20x faster per task.
 *  - Process pool with the default chunksize against the thread pool with
 *    its default chunksize, same map. Target: at most 2x the thread pool's
 *    cost per task. Twice: with the arrays in the caller's own memory (the
 *    manager copies every argument in and every result out), and with them
 *    in the pool's shared buffer (mp_pool_shared: the workers read and
 *    write them in place, as a Python program would hand its Pool a
 *    SharedMemory buffer instead of pickled data).
 * OpenMP's threads wait passively between regions (main says why). Kit
 * and baseline are interleaved and the medians compared (bench.h). The
 * pools are created once: a pool's start is not a per-task cost.
 *
 * Beside the last ratio, the CPU time per task of each pool (this
 * process's threads, and the process pool's workers): with as many workers
 * as CPUs the wall ratio cannot go below the CPU ratio, which depends less
 * on what else the machine runs than the wall ratio does. */
/* mpkit-cflags: -fopenmp */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static int empty(const void *arg, void *result)
{
    *(long *)result = *(const long *)arg;
    return 0;
}

#define N_THREADS_MAP 200000
#define N_PROC_MAP 50000
#define N_DEFAULT 1000000
#define MAPS_A_TIME 20 /* maps timed together, at the default chunksize */

static long *args, *res;
static long *shared_args, *shared_res; /* in the process pool's shared buffer (mp_pool_shared) */
static mp_pool *threads, *procs;
static int workers;
static int (*volatile task)(const void *, void *) = empty; /* volatile: OpenMP may not inline it */

static void die(const char *what)
{
    fprintf(stderr, "bench_pool: %s failed\n", what);
    exit(1);
}

static void map(mp_pool *p, size_t n, size_t chunksize)
{
    mp_call_opts o = {.chunksize = chunksize};
    if (mp_pool_map(p, empty, args, n, sizeof(long), res, sizeof(long), &o) != 0 || res[n - 1] != args[n - 1])
        die("mp_pool_map");
}

static void kit_threads_1(void *arg) { (void)arg; map(threads, N_THREADS_MAP, 1); }
static void omp_dynamic_1(void *arg)
{
    (void)arg;
#pragma omp parallel for schedule(dynamic, 1) num_threads(workers)
    for (long i = 0; i < N_THREADS_MAP; i++)
        task(&args[i], &res[i]);
}

static void kit_procs_default(void *arg) { (void)arg; map(procs, N_DEFAULT, 0); }
/* the same map with its arrays in the pool's shared buffer: nothing copied */
static void kit_procs_shared(void *arg)
{
    (void)arg;
    if (mp_pool_map(procs, empty, shared_args, N_DEFAULT, sizeof(long), shared_res, sizeof(long), NULL) != 0 ||
        shared_res[N_DEFAULT - 1] != shared_args[N_DEFAULT - 1])
        die("mp_pool_map (shared)");
}
static void kit_threads_default(void *arg) { (void)arg; map(threads, N_DEFAULT, 0); }

/* CPU time so far of this process (every thread) and of the pool's worker
 * processes (their CPU clocks: clock_getcpuclockid). */
static double cpu_ns_with_workers(mp_pool *p)
{
    double ns = (double)mp_process_cpu_ns();
    pid_t pids[MP_POOL_WORKERS_MAX];
    int n = p ? mp_pool_workers(p, pids, MP_POOL_WORKERS_MAX) : 0;
    for (int i = 0; i < n; i++) {
        clockid_t c;
        struct timespec t;
        if (clock_getcpuclockid(pids[i], &c) == 0 && clock_gettime(c, &t) == 0)
            ns += (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
    }
    return ns;
}

/* CPU ns per task of a map of N_DEFAULT tasks at the default chunksize,
 * the median of BENCH_REPEATS maps; with_workers: count p's worker
 * processes too (not for a thread pool: its workers are this process). */
static double cpu_per_task(mp_pool *p, bool with_workers)
{
    double v[BENCH_REPEATS];
    for (int i = 0; i < BENCH_REPEATS; i++) {
        double c0 = cpu_ns_with_workers(with_workers ? p : NULL);
        map(p, N_DEFAULT, 0);
        v[i] = (cpu_ns_with_workers(with_workers ? p : NULL) - c0) / N_DEFAULT;
    }
    mp_stats st;
    mp_stats_of(v, BENCH_REPEATS, &st);
    return st.median;
}

/* ns per task of CPython's Pool.map(chunksize=1) (the median of 3), or 0
 * when python3 is not here or failed (within 120 s) */
static double python_ns_per_task(int n)
{
    char script[1024];
    snprintf(script, sizeof script,
             "import multiprocessing as mp, time, statistics\n"
             "def f(x): return x\n"
             "if __name__ == '__main__':\n"
             "    with mp.get_context('fork').Pool(%d) as p:\n"
             "        p.map(f, range(1000), chunksize=1)\n"
             "        ts = []\n"
             "        for _ in range(3):\n"
             "            t = time.perf_counter(); p.map(f, range(%d), chunksize=1)\n"
             "            ts.append(time.perf_counter() - t)\n"
             "    print(statistics.median(ts) / %d * 1e9)\n",
             workers, n, n);
    return bench_python_number(script);
}

/* kit and baseline interleaved, BENCH_REPEATS times each, each time
 * `calls` calls in a row: ns per task of each (medians) and their ratio,
 * against target (kit / baseline <= target). */
static void compare_per_task(const char *what, void (*kit)(void *), void (*base)(void *), int ntasks, int calls,
                             double target)
{
    double k[BENCH_REPEATS], b[BENCH_REPEATS];
    kit(NULL), base(NULL); /* warm up */
    for (int i = 0; i < BENCH_REPEATS; i++) {
        k[i] = bench_ns_per_call(kit, NULL, calls) / ntasks;
        b[i] = bench_ns_per_call(base, NULL, calls) / ntasks;
    }
    mp_stats ks, bs;
    mp_stats_of(k, BENCH_REPEATS, &ks);
    mp_stats_of(b, BENCH_REPEATS, &bs);
    double ratio = ks.median / bs.median;
    printf("%-38s kit %8.1f ns/task  baseline %8.1f ns/task  ratio %.2f  (target <= %.1f: %s)\n", what, ks.median,
           bs.median, ratio, target, ratio <= target ? "met" : "MISSED");
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, NULL);
    /* libgomp's idle threads spin for a while after each parallel region
     * (OMP_WAIT_POLICY active), on the CPUs the kit's next map needs: its
     * workers then share them and the kit's time doubles. Waiting passively
     * changes nothing inside a region, where the baseline is measured.
     * libgomp reads the variable when it loads, so run again with it set. */
    if (!getenv("OMP_WAIT_POLICY")) {
        setenv("OMP_WAIT_POLICY", "passive", 1);
        execv("/proc/self/exe", argv);
        perror("bench_pool: execv /proc/self/exe"); /* and go on as we are */
    }
    workers = mp_cpus_usable();
    args = malloc(N_DEFAULT * sizeof *args);
    res = malloc(N_DEFAULT * sizeof *res);
    if (!args || !res)
        die("malloc");
    for (long i = 0; i < N_DEFAULT; i++)
        args[i] = i;
    mp_pool_opts o = mp_pool_defaults(MP_POOL_THREADS);
    if (mp_pool_create(&threads, &o) != 0)
        die("thread pool");
    o = mp_pool_defaults(MP_POOL_PROCESSES);
    o.start = MP_START_FORK;
    o.shared_bytes = 2 * N_DEFAULT * sizeof(long);
    if (mp_pool_create(&procs, &o) != 0)
        die("process pool");
    shared_args = mp_pool_shared(procs, NULL);
    shared_res = shared_args + N_DEFAULT;
    memcpy(shared_args, args, N_DEFAULT * sizeof *args);
    printf("pool: %d workers; per task, medians of %d interleaved runs\n", workers, BENCH_REPEATS);

    /* threads, chunksize 1, against OpenMP dynamic,1 */
    compare_per_task("thread map cs=1 / omp dynamic,1", kit_threads_1, omp_dynamic_1, N_THREADS_MAP, 1, 1.5);

    /* processes, chunksize 1, against CPython */
    map(procs, 2000, 1); /* warm up */
    double kit_proc;
    {
        double v[BENCH_REPEATS];
        for (int i = 0; i < BENCH_REPEATS; i++) {
            uint64_t t0 = mp_now_ns();
            map(procs, N_PROC_MAP, 1);
            v[i] = (double)(mp_now_ns() - t0) / N_PROC_MAP;
        }
        mp_stats st;
        mp_stats_of(v, BENCH_REPEATS, &st);
        kit_proc = st.median;
    }
    printf("%-38s kit %8.1f ns/task\n", "process map (fork) cs=1", kit_proc);
    double py = python_ns_per_task(20000);
    if (py > 0) {
        double x = py / kit_proc;
        printf("%-38s CPython Pool.map %8.1f ns/task  %.1fx faster  (target >= 20: %s)\n", "process map cs=1 vs CPython", py,
               x, x >= 20 ? "met" : "MISSED");
    } else {
        printf("CPython Pool.map: not measured (no python3, or it failed)\n");
    }

    /* default chunksize: processes against threads */
    printf("default chunksize: %d tasks per map, chunksize %zu, %d maps a time\n", N_DEFAULT,
           mp_pool_chunksize(N_DEFAULT, workers), MAPS_A_TIME);
    /* A map of N_DEFAULT tasks takes 1-3 ms, as long as a scheduler's
     * hiccup: each time is MAPS_A_TIME maps in a row. */
    compare_per_task("process map / thread map, default cs", kit_procs_default, kit_threads_default, N_DEFAULT,
                     MAPS_A_TIME, 2.0);
    compare_per_task("  the same, arrays in mp_pool_shared", kit_procs_shared, kit_threads_default, N_DEFAULT,
                     MAPS_A_TIME, 2.0);
    double cpu_procs = cpu_per_task(procs, true), cpu_threads = cpu_per_task(threads, false);
    printf("%-38s kit %8.1f ns/task  baseline %8.1f ns/task  ratio %.2f  (the floor of the ratio above)\n",
           "  CPU time, all threads and workers", cpu_procs, cpu_threads, cpu_procs / cpu_threads);

    mp_pool_close(threads);
    mp_pool_join(threads);
    mp_pool_free(threads);
    mp_pool_close(procs);
    mp_pool_join(procs);
    mp_pool_free(procs);
    free(args);
    free(res);
    return 0; /* a missed target is reported, never a failure: speed lives in benchmarks */
}
