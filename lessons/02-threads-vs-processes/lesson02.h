/* lesson02.h: what the parts of lesson 02 share.
 *
 *   workers.c    one job run serially, by N threads or by N processes
 *   sweep.c      measuring a point (wall time, CPU time, context switches),
 *                its table row and CSV row; the CPU-bound and I/O-bound sweeps
 *   bandwidth.c  the memory-bound sweep (STREAM's triad)
 *   balance.c    contiguous halves against round-robin blocks
 *   lesson.c     the story: the parts in order, the timeline, the verdicts
 */
#ifndef LESSON02_H
#define LESSON02_H

#include <stdbool.h>
#include <stdint.h>

#include "mp.h"
#include "usage.h"

/* The most --workers / --max-workers this lesson honours: a sweep to 256
 * starts 511 processes per repeat and stays within a minute; much beyond,
 * the runtime's table of live children and this process's descriptors run
 * out. */
#define L02_MAX_WORKERS 256
#define L02_MAX_POINTS 16

/* "s" after a count that is not 1: "1 CPU", "2 CPUs" */
static inline const char *plural(long n) { return n == 1 ? "" : "s"; }

/* ---- workers.c ---- */
typedef enum { CPU, IO } workload;
typedef enum { SERIAL, THREAD, PROCESS } kind;
extern const char *const kind_names[]; /* "serial", "thread", "process" */

typedef struct job {
    workload load;
    kind how;
    int workers;
    uint64_t bound;     /* CPU: count the primes below this */
    int waits, wait_ms; /* I/O: this many waits of this long */
    uint64_t result;    /* out: primes counted (CPU) or waits done (I/O) */
} job;

/* Run the job once (the shape mp_measure wants: arg is a job *). */
void run_job(void *arg);
/* What a spawned child may run: mp_spawn_main's table. */
extern const mp_entry lesson02_entries[];

/* ---- sweep.c ---- */
/* One measured configuration: --repeat runs of it. */
typedef struct point {
    kind how;
    int workers;
    mp_stats wall;    /* seconds per run */
    double cpu_wall;  /* CPU seconds per wall second (medians): how many CPUs were busy */
    mp_usage use;     /* per run, the median of each field */
    double speedup;   /* the serial median over this median */
    uint64_t result;  /* what the run computed: the same in every row of a sweep */
} point;

/* A sweep: serial, then threads and processes at each worker count. */
typedef struct sweep {
    const char *load;                   /* "cpu", "io", "mem" */
    int n, workers[L02_MAX_POINTS];     /* the worker counts */
    point serial;
    point thread[L02_MAX_POINTS];
    point process[L02_MAX_POINTS];      /* unused for "mem" */
    double gb;                          /* mem: gigabytes moved per run (else 0) */
    mp_table table;
} sweep;

/* The worker counts of a sweep up to `max`: 1, 2, ... up to the usable
 * CPUs one by one (by doubling beyond 8 CPUs), then doubling, and `max`.
 * Returns how many (at most L02_MAX_POINTS). */
int sweep_points(int cpus, int max, int *out);
/* Name the sweep, choose its points, print its table's header. gb > 0
 * adds a GB/s column (gigabytes moved per run). */
void sweep_begin(sweep *s, const char *load, int cpus, int max, double gb);
/* Measure run(arg) --repeat times: wall time, CPU time, context switches;
 * store the point in s, print its row. result(arg) is what the run
 * computed, read after each run: every run of every point must agree with
 * the serial run (the self-check), or the lesson stops. */
const point *measure_point(mp_lesson *L, sweep *s, kind how, int workers, void (*run)(void *), void *arg,
                           uint64_t (*result)(void *));
/* After the table: explain any efficiency over 100%. */
void note_superlinear(const sweep *s);
/* The point of `how` at `workers`, or NULL if not measured. */
const point *point_at(const sweep *s, kind how, int workers);
/* Write every row of the sweeps to DIR/name (with a gb_per_s column if gb). */
void write_sweeps_csv(mp_lesson *L, const char *name, const sweep *const *sweeps, int n, bool gb);
/* A speedup series of a sweep's threads or processes. */
mp_series sweep_series(const sweep *s, kind how, const char *label);

typedef struct results results;
void part_cpu(mp_lesson *L, results *R);
void part_io(mp_lesson *L, results *R);

/* ---- bandwidth.c ---- */
void part_memory(mp_lesson *L, results *R);

/* ---- balance.c ---- */
typedef struct balance {
    int workers;
    mp_stats wall[2];      /* [0] contiguous halves, [1] round-robin blocks */
    mp_stats imbalance[2]; /* slowest worker's CPU time over the mean, per run */
    double cpu_wall[2];    /* CPUs busy on average (medians) */
} balance;
void part_balance(mp_lesson *L, results *R);

/* ---- what the verdicts read ---- */
struct results {
    int cpus;        /* usable by this process */
    bool children_counted; /* false with --start forkserver: the workers are its children */
    int max_workers; /* the top of the sweeps */
    int workers;     /* the timeline's and the load balance's */
    job cpu_job;     /* the CPU-bound job, sized for this machine */
    sweep cpu, io, mem;
    double fit[2];   /* Amdahl serial fraction: threads, processes (-1: no fit) */
    double io_ideal; /* the I/O speedup the waits allow at the top of the sweep */
    balance bal;
};

#endif
