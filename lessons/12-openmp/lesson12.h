/* What the parts of lesson 12 share: the tasks (tasks.c), the ways of
 * running n of them -- four OpenMP schedules and the kit's two pools
 * (ways.c) --, the output files, and what each part found (for the closing
 * verdicts). Built with -fopenmp (lesson.c says so to the Makefile). */
#ifndef LESSON12_H
#define LESSON12_H

#include <omp.h>
#include <stdio.h>
#include <string.h>

#include "mp.h"

/* ---- the tasks (tasks.c), registered by name: --start spawn workers find them ---- */
typedef struct spin_arg { uint64_t steps, seed; } spin_arg;
int spin_task(const void *arg, void *result);   /* -> uint64_t mp_spin(steps, seed) */
typedef struct block_arg { uint64_t lo, hi; } block_arg;
int primes_task(const void *arg, void *result); /* -> uint64_t: the primes in [lo, hi) */

/* ---- the ways of running n tasks (ways.c) ---- */
enum { W_STATIC, W_DYNAMIC1, W_DYNAMIC16, W_GUIDED, W_THREAD, W_PROCESS, NWAYS };
#define OPENMP_WAYS 4 /* W_STATIC .. W_GUIDED */
typedef struct way {
    const char *name;     /* tables and plot keys: "OpenMP dynamic,1", "kit thread pool" */
    const char *method;   /* the CSV's method: openmp, thread, process-fork (...-spawn under --start spawn) */
    const char *schedule; /* static, dynamic, guided; the pools' map hands chunks to whoever is free: dynamic */
    int chunk;            /* 0: the schedule's own (static: n / threads each; guided: shrinking) */
} way;
extern way ways[NWAYS];
void ways_init(const mp_lesson *L); /* the process pool's method name from --start */

/* n tasks: fn(args[i], results[i]), the same function in every way. */
typedef struct job {
    mp_task_fn fn;
    const void *args;
    size_t arg_size;
    void *results;
    size_t result_size;
    long n;
    int threads;              /* the OpenMP team; the pools have as many workers */
    mp_pool *thread, *process; /* the kit's pools of `threads` workers, made once (not timed) */
} job;
void run_serial(const job *j);        /* a plain loop: the baseline */
void run_way(int way, const job *j);  /* one of the ways */
/* Time a way (or the plain loop, way -1) `repeat` times, as mp_measure does. */
void measure_way(int repeat, int way, const job *j, mp_stats *s);
/* The plain loop and every way, side by side, `repeat` rounds; false if a
 * run's results differed from the plain loop's. after (may be NULL) is
 * called with each way's results of the first round (way -1: the loop's). */
bool measure_all(int repeat, const job *j, mp_stats *serial, mp_stats time[NWAYS],
                 void (*after)(int way, const job *j, void *ctx), void *ctx);
/* After a parallel region OpenMP's idle threads spin for a while before
 * they sleep (part 1 measures it): wait until they do, so that they take
 * no CPU from the kit's pools timed next. */
void let_openmp_sleep(void);

/* ---- output files (lesson.c) ----
 * openmp.csv:    method,schedule,chunk,threads,task_ns,median_s,speedup  (part 1's sweep; serial rows too)
 * primes.csv:    method,schedule,chunk,threads,task_ns,median_s,speedup,primes
 * overhead.csv:  method,schedule,chunk,threads,call_us,overhead_ns_per_task,breakeven_ns,model_breakeven_ns
 * imbalance.csv: work,schedule,chunk,threads,task_ns,median_s,speedup,imbalance
 * totals.csv:    way,threads,adds,total,expected,median_s,ns_per_add
 * threads.csv:   setting,omp_num_threads,taskset,omp_max_threads,omp_num_procs,usable_cpus */
extern mp_csv openmp_csv, primes_csv, overhead_csv, imbalance_csv, totals_csv, threads_csv;

/* ---- 1a: primes.c, the primes job against 1 .. --max-workers threads ---- */
#define MAX_THREAD_COUNTS 64
typedef struct primes_result {
    uint64_t bound, primes;        /* the primes below bound: the serial loop's count */
    int counts;                    /* thread counts measured: 1 .. --max-workers */
    mp_stats serial, time[NWAYS][MAX_THREAD_COUNTS];
    double speedup[NWAYS][MAX_THREAD_COUNTS];
    bool right;                    /* every way counted exactly the serial loop's primes */
} primes_result;
void part_primes(mp_lesson *L, primes_result *R);

/* ---- 1b: sweep.c, the task-cost sweep, the cost per call and per task ---- */
#define SWEEP_MAX 8
typedef struct sweep_result {
    int threads, usable;           /* the team / pool size; of them, how many can run at once */
    int points;
    double cost_ns[SWEEP_MAX];
    long tasks[SWEEP_MAX];
    mp_stats serial[SWEEP_MAX], time[NWAYS][SWEEP_MAX];
    double speedup[NWAYS][SWEEP_MAX], spread[NWAYS][SWEEP_MAX];
    mp_stats call[NWAYS];          /* one empty task per thread: the fixed cost of a loop or a map */
    mp_stats many[NWAYS];          /* per_task_n empty tasks: the cost per task */
    long per_task_n[NWAYS];
    double idle_spin_ms;           /* CPU OpenMP's idle threads burned after a region, before sleeping */
    mp_cost_model model[NWAYS];    /* from the two: start = a call, overhead = per task */
    double breakeven_ns[NWAYS], model_breakeven_ns[NWAYS];
    bool right;                    /* every way gave the serial loop's results */
} sweep_result;
void part_sweep(mp_lesson *L, sweep_result *R);
/* A break-even in words: "under 100 ns" when it paid off at the smallest cost. */
const char *breakeven_text(const sweep_result *R, double ns, char *buf, size_t len);

/* ---- 2: imbalance.c, uneven work under static, static,1, dynamic,1, guided ---- */
enum { S_STATIC, S_STATIC1, S_DYNAMIC1, S_GUIDED, NSCHED };
enum { K_GROWING, K_RANDOM, NKINDS };
typedef struct imbalance_result {
    int threads;
    mp_stats serial[NKINDS], time[NKINDS][NSCHED];
    double imbalance[NKINDS][NSCHED]; /* the busiest thread's work over the fair share (first run) */
    double cpus_had[NKINDS];          /* CPU time / wall time of the dynamic,1 runs (median) */
    bool right;                       /* every run's results were the serial loop's */
} imbalance_result;
extern const char *const sched_names[NSCHED];
void part_imbalance(mp_lesson *L, imbalance_result *R);

/* ---- 3: reduce.c, one total from many threads ---- */
enum { T_REDUCTION, T_CRITICAL, T_ATOMIC, T_KIT_LOCK, NPROTECTED, T_NONE = NPROTECTED, NTOTALS };
extern const char *const total_names[NTOTALS];
typedef struct reduce_result {
    int threads;
    long adds;
    long expected, got[NTOTALS];
    mp_stats time[NTOTALS];
    int tries;                        /* unprotected runs until one lost updates (at most 10) */
    double cpus_had;                  /* CPU time / wall time of the atomic runs (median) */
} reduce_result;
void part_reduce(mp_lesson *L, reduce_result *R);

/* ---- 4: env.c, how many threads: OMP_NUM_THREADS, the usable CPUs, taskset ---- */
enum { E_PLAIN, E_THREE, E_PINNED, E_PINNED_THREE, NSETTINGS };
typedef struct env_setting { bool ran; int max_threads, num_procs, usable; } env_setting;
typedef struct env_result {
    bool have_taskset;
    env_setting s[NSETTINGS];
} env_result;
void part_env(mp_lesson *L, env_result *R);
/* --omp-info: print what OpenMP and the kit see here, one line; part 4 runs
 * the lesson itself this way. */
int print_omp_info(void);

#endif
