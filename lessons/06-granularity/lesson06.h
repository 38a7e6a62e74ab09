/* What the parts of lesson 06 share: the task (tasks.c), the ways of
 * running it (ways.c), the output files, and what each part found (for the
 * closing verdicts). */
#ifndef LESSON06_H
#define LESSON06_H

#include <stdio.h>
#include <string.h>

#include "mp.h"

/* ---- the tasks (tasks.c; registered with MP_TASK for spawn workers) ---- */

/* A task of a chosen cost: mp_spin(steps, seed). The steps are computed
 * once, in the parent (mp_spin_steps_for_ns), so every worker does the
 * same work whatever it would calibrate itself. */
typedef struct spin_arg { uint64_t steps, seed; } spin_arg;
int spin_task(const void *arg, void *result); /* -> uint64_t */

/* Part 4: the same work with a payload of `bytes` bytes going each way: the
 * task reads every byte of its argument (a checksum, folded into the spin's
 * seed) and writes a result of the same size. */
typedef struct data_head { uint64_t steps, seed, bytes; } data_head;
int data_task(const void *arg, void *result); /* data_head + bytes -> uint64_t + bytes */
/* The first 8 bytes of a data result: what the worker computed from its
 * argument, to check against the serial loop. */
uint64_t data_expected(const unsigned char *arg);

/* Part 5 (T4): factorial(x) exactly is lib/work.h's mp_factorial_task; and a wait. */
int wait_task(const void *arg, void *result);      /* long ms -> long pid */

/* ---- the ways of running n tasks (ways.c) ---- */
enum { W_THREAD, W_FORK, W_SPAWN, NWAYS };
extern const char *const way_names[NWAYS]; /* thread, process-fork, process-spawn */
/* The pool of way w (--workers workers). */
mp_pool *way_pool(int way, int workers);

/* A batch of n equal tasks: the arguments and where the results go. */
typedef struct batch {
    size_t n;
    spin_arg *args;
    uint64_t *results, *want; /* want: the serial loop's results */
    size_t chunksize;         /* for map: 0 = Python's default */
    int way, workers;
    mp_pool *pool;            /* NULL: each run starts its own pool (T4's with Pool() as p) */
} batch;
int batch_init(batch *b, size_t n, uint64_t steps);
void batch_free(batch *b);
void run_serial(void *batch);  /* for mp_measure: the plain loop */
void run_pool(void *batch);    /* create the pool (unless b->pool), map, close, join */
bool batch_right(const batch *b);

/* How many tasks of cost task_ns the sweep runs: enough for about
 * work_ns of serial work, between lo and hi tasks. */
size_t tasks_for(double task_ns, double work_ns, size_t lo, size_t hi);

/* ---- output files ---- */
/* granularity.csv: backend,task_ns,workers,chunksize,median_s,speedup,overhead_ns_per_task
 * model.csv:       backend,start_us,overhead_ns_per_task,predicted_breakeven_ns,measured_breakeven_ns
 * t4.csv:          experiment,backend,workers,median_s
 * chunks.csv:      backend,tasks,task_ns,chunksize,median_s,speedup,overhead_ns_per_task
 * data.csv:        bytes,task_ns,tasks,median_s,speedup,overhead_ns_per_task
 *                  (task_ns: a task's whole work, measured by the serial loop) */
extern mp_csv gran_csv, model_csv, t4_csv, chunks_csv, data_csv;
void outputs_open(const mp_lesson *L);
void outputs_close(void);

/* ---- 1: sweep.c, speedup against task cost ---- */
#define SWEEP_MAX 16
enum { CS_ONE, CS_DEFAULT, NCS };
typedef struct curve {
    const char *name;          /* "process-fork, chunksize 1" */
    const char *backend;       /* granularity.csv's backend */
    int points;
    double cost_ns[SWEEP_MAX];
    size_t tasks[SWEEP_MAX], chunksize[SWEEP_MAX];
    mp_stats time[SWEEP_MAX];  /* seconds for the whole batch, pool start included */
    double speedup[SWEEP_MAX], spread[SWEEP_MAX];
    double breakeven_ns;       /* mp_breakeven: INFINITY if it never paid off */
} curve;
typedef struct sweep_result {
    int workers, usable;       /* the pool's workers; of them, how many can run at once */
    double work_ns;            /* serial work per point (about) */
    size_t lo_tasks, hi_tasks;
    int points;
    double cost_ns[SWEEP_MAX];
    mp_stats serial[SWEEP_MAX];
    curve c[NWAYS][NCS];
    double start_ns[NWAYS];    /* start + close + join of an idle pool: the model's start */
    mp_stats start[NWAYS];
    bool all_right;            /* every batch gave the serial loop's results */
} sweep_result;
void part_sweep(mp_lesson *L, sweep_result *R);

/* ---- 2: model.c, the start + overhead model against the measurement ---- */
typedef struct model_result {
    mp_cost_model m[NWAYS];       /* fitted to chunksize 1 */
    double predicted_ns[NWAYS], measured_ns[NWAYS];
} model_result;
void part_model(mp_lesson *L, const sweep_result *S, model_result *R);

/* ---- 3: chunks.c, chunksize on tiny tasks ---- */
#define CHUNKS_MAX 16
typedef struct chunks_result {
    size_t tasks;
    double task_ns;
    int points;
    size_t chunksize[CHUNKS_MAX];
    size_t python_default;
    mp_stats serial, fork[CHUNKS_MAX], thread[CHUNKS_MAX];
    double overhead_fork[CHUNKS_MAX], overhead_thread[CHUNKS_MAX];
    int best;                      /* index of the fastest fork chunksize */
    bool all_right;
} chunks_result;
void part_chunks(mp_lesson *L, chunks_result *R);

/* ---- 4: data.c, bytes shipped per task ---- */
#define DATA_SIZES 2
#define DATA_POINTS 6
typedef struct data_result {
    size_t bytes[DATA_SIZES];
    int points;
    double cost_ns[DATA_POINTS];                  /* the spin's */
    double compute_ns[DATA_SIZES][DATA_POINTS];   /* a task's whole work, its pass over the bytes included */
    double speedup[DATA_SIZES][DATA_POINTS], spread[DATA_SIZES][DATA_POINTS];
    double overhead_ns[DATA_SIZES][DATA_POINTS];
    double breakeven_ns[DATA_SIZES];              /* by compute per task */
    double crossing_spread;                       /* of the points either side of each crossing */
    bool all_right;
} data_result;
void part_data(mp_lesson *L, data_result *R);

/* ---- 5: t4.c, T4's two experiments redone ---- */
#define T4_WAIT_RUNS 5 /* 1, 4, 10, 100 workers, and apply in a loop */
typedef struct t4_result {
    mp_stats fact_serial, fact_pool[NWAYS];
    bool fact_right;
    long wait_ms;
    int wait_workers[T4_WAIT_RUNS];  /* 0: apply in a loop (4 workers) */
    double wait_s[T4_WAIT_RUNS];
    int wait_pids[T4_WAIT_RUNS];     /* distinct workers that waited */
} t4_result;
void part_t4(mp_lesson *L, t4_result *R);       /* factorials, then starts the waits */
void part_t4_waits(mp_lesson *L, t4_result *R); /* collects the waits */

/* ---- 6: cpython.c, the sweep in CPython (cpython_granularity.py) ---- */
enum { PY_PROCESS, PY_THREAD, NPY };
typedef struct py_result {
    const char *missing;           /* why CPython was not run, or NULL */
    char version[32];
    int points;
    double cost_ns[SWEEP_MAX];
    double speedup[NPY][SWEEP_MAX], spread[NPY][SWEEP_MAX];
    double breakeven_ns[NPY];
    double start_ns;               /* Pool() + close + join, idle */
} py_result;
void part_cpython(mp_lesson *L, const sweep_result *S, py_result *R);

/* The speedup plots: lib/costplot.h (mp_cost_plot, mp_ns_text). */

#endif
