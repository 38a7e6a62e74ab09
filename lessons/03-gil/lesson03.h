/* lesson03.h: what the parts of lesson 03 share -- its settings, the one
 * experiment several parts run (CPU-bound threads under one lock), each
 * part's results for the closing verdicts, and the functions child
 * processes run (registered by name in lesson.c, for --start spawn). */
#ifndef LESSON03_H
#define LESSON03_H

#include <stdbool.h>
#include <stdint.h>

#include "mp.h"

#define MAX_THREADS 8 /* --workers and --max-workers stop here (the time budget) */

/* The lesson's settings, from its flags. */
typedef struct settings {
    long interval_us;  /* --switch-interval: the new lock's (sys.setswitchinterval) */
    long check;        /* --check-interval: the old lock's (sys.setcheckinterval) */
    long mode;         /* --mode: which locks part 5 draws; an mp_gil_mode, or 3 for all */
    int threads;       /* --workers: CPU-bound threads in parts 1, 2 and 5 (2 unless given) */
    int cpu_threads;   /* --max-workers: most CPU-bound threads beside the convoy's I/O (2 unless given) */
} settings;

/* ---- CPU-bound "Python" threads under one lock (countdown.c) ----
 * A job travels as bytes to a child process (spawn has none of our memory). */
typedef struct lock_job {
    mp_gil_mode mode;
    int threads;
    uint64_t ticks;       /* each thread's share of the countdown */
    long interval_us, check;
} lock_job;

typedef struct lock_result {
    mp_gil_counters k;    /* the lock's counters */
    uint64_t waited_ns;   /* all threads' time spent waiting for the lock */
    double wall_s;
} lock_result;

void threads_under_lock(const lock_job *j, lock_result *out);
/* A run of the sweep, the timeline or part 1: job from the settings. */
lock_job job_for(const settings *s, mp_gil_mode mode, int threads, uint64_t ticks);

/* ---- part 1: the countdown (countdown.c) ---- */
enum { R_SEQ, R_NEW, R_OLD, R_OLD_PINNED, R_NONE, R_PROC, R_COUNT };
typedef struct countdown_result {
    int threads;
    mp_stats wall[R_COUNT], cpu[R_COUNT];
    double ratio[R_COUNT];         /* median / sequential median */
    mp_gil_counters k[R_COUNT];    /* added up over the repeats */
} countdown_result;
void part_countdown(mp_lesson *L, const settings *s, countdown_result *R);

/* ---- part 2: the switch interval (sweep.c) ---- */
typedef struct sweep_result {
    int points;
    long lo_us, hi_us;             /* the intervals swept */
    bool under_ceiling;            /* every run: hand-overs <= its time / interval + threads */
    long worst_interval;           /* the run closest to (or over) its ceiling */
    double worst_share;            /* its hand-overs / ceiling */
    double fastest_s, slowest_s;   /* medians: the fastest and slowest interval */
    long fastest_us, slowest_us;
    double spread;                 /* the widest spread of any point */
} sweep_result;
void part_sweep(mp_lesson *L, const settings *s, sweep_result *R);

/* ---- part 3: the convoy effect (convoy.c) ---- */
#define CONVOY_MAX_ROWS 12
typedef struct convoy_row {
    char setup[16];                /* alone, threads, process (convoy.csv) */
    long interval_us;
    int cpu_threads;
    int requests;
    double median_us, p99_us;
    mp_stats batches;              /* the median of each batch of requests (one per --repeat) */
} convoy_row;
typedef struct convoy_result {
    convoy_row row[CONVOY_MAX_ROWS];
    int n;
    int alone, one, process;       /* rows: alone, 1 CPU thread at the switch interval, CPU process */
    int shortest;                  /* 1 CPU thread at the shortest interval (== one: only one interval) */
    int by_threads[4], nthreads;   /* rows at the switch interval with 1, 2, 4, 8 CPU threads */
} convoy_result;
void part_convoy(mp_lesson *L, const settings *s, convoy_result *R);

/* ---- part 4: I/O-bound threads (io.c) ---- */
typedef struct io_result {
    int threads;
    mp_stats wall[3];              /* 1 thread; N releasing the lock; N holding it */
    double released, held;         /* speedups over 1 thread */
} io_result;
void part_io(mp_lesson *L, const settings *s, io_result *R);

/* ---- part 5: timelines (timelines.c) ---- */
void part_timelines(mp_lesson *L, const settings *s);

/* ---- part 6: real CPython (cpython.c) ---- */
typedef struct py_value { double median, min, max; bool have; } py_value;
typedef struct cpython_result {
    const char *missing;           /* NULL when it ran; else why there is no comparison */
    char version[32];
    py_value seq, threads, procs;  /* countdown, seconds */
    py_value alone, process;       /* convoy, microseconds */
    py_value beside[CONVOY_MAX_ROWS]; /* convoy beside 1 CPU thread, per interval of convoy_result */
    long beside_us[CONVOY_MAX_ROWS];
    int nbeside;
} cpython_result;
void part_cpython(mp_lesson *L, const countdown_result *C, const convoy_result *V, cpython_result *P);

/* ---- what child processes run (registered in lesson.c) ---- */
int pinned_child(void *arg);      /* countdown.c: threads pinned to one CPU */
int countdown_process(void *arg); /* countdown.c: a process with a lock of its own */
int server_main(void *arg);       /* convoy.c: the "network" */
int spin_process(void *arg);      /* convoy.c: CPU work in a process of its own */

/* A bar chart's data file (plots/bars.gp): a header, then per row a label
 * and, per series, the value with its min and max. */
FILE *bars_create(const char *dir, const char *name, char *path, size_t len, const char *header);

#endif
