/* What the parts of lesson 05 share: the task functions the pools run
 * (tasks.c, registered with MP_TASK so that spawn and forkserver workers
 * find them by name), the two output files every part writes rows to, the
 * schedule arithmetic on mp_task_info, and what each part found (for the
 * closing verdicts). */
#ifndef LESSON05_H
#define LESSON05_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mp.h"

/* ---- the tasks (tasks.c) ---- */

/* T4's factorial(x), exactly: lib/work.h's mp_factorial_task (long x -> mp_digits). */

/* T0's func2((x, y)): sleep, return x - y. The tuple is a struct. */
typedef struct t0_args { long x, y, sleep_ms; } t0_args;
int t0_task(const void *arg, void *result); /* result: long */

/* Part 3: square a number; multiply a pair (starmap); sleep then say who. */
typedef struct pair { long a, b; } pair;
int square_task(const void *arg, void *result);   /* long -> long */
int multiply_task(const void *arg, void *result); /* pair -> long */
int nap_task(const void *arg, void *result);      /* long ms -> long ms (fails with -EDOM if ms < 0) */

/* Part 4: T2's "clean a file": a file of `rows` rows, each row's numbers
 * made from (seed, file, row); a row is kept if it passes a filter. */
typedef struct file_args { unsigned long seed; long file, rows; } file_args;
typedef struct file_result { long kept; uint64_t checksum; } file_result;
int clean_file_task(const void *arg, void *result);

/* Part 5: sleep a little, return 3x + 1 (easy to check). */
typedef struct slow_args { long x, ms; } slow_args;
int slow_task(const void *arg, void *result); /* -> long */

/* Part 6: CPU-bound (count primes in a range), I/O-bound (sleep), and who
 * am I: the worker's PID and how many times the initializer ran in it. */
typedef struct range { uint64_t lo, hi; } range;
int primes_task(const void *arg, void *result); /* range -> uint64_t */
int io_task(const void *arg, void *result);     /* long ms -> long */
typedef struct whoami { long pid, inits, tasks; } whoami;
int whoami_task(const void *arg, void *result);
void greet_worker(const void *initargs, size_t len); /* the initializer */

/* Part 7: 2x + 1, the whole task. */
int twice_plus_one_task(const void *arg, void *result); /* long -> long */

/* ---- output files ---- */
/* pool.csv: experiment,backend,workers,tasks,chunksize,median_s,min_s,max_s
 * tasks.csv: experiment,task,worker_pid,start_us,end_us (parts 1 and 2) */
extern mp_csv pool_csv, tasks_csv;
void outputs_open(const mp_lesson *L);
void outputs_close(void);
void pool_row(const char *experiment, const char *backend, int workers, size_t tasks, size_t chunksize,
              const mp_stats *s);
/* Every task of one run: start and end in us since t0_ns (0: since the first task's start). */
void task_rows(const char *experiment, const mp_task_info *info, size_t n, uint64_t t0_ns);
/* A bar chart (plots/bars.gp) of parts 6 and 7: bars_open creates OUT/STEM.dat
 * (its path in dat, PATH_MAX) with the header line, or returns NULL (said);
 * bars_draw closes it and draws STEM.png (vars: bars.gp's variables). */
FILE *bars_open(const mp_lesson *L, const char *stem, char *dat, const char *header);
void bars_draw(const mp_lesson *L, FILE *f, const char *dat, const char *stem, const char *title, const char *vars);

/* ---- the schedule, from mp_task_info ---- */
/* The most tasks running at one instant. */
int max_overlap(const mp_task_info *info, size_t n);
/* Distinct worker PIDs, written to pids (at most max), and how many tasks
 * each ran (counts). Returns how many distinct. */
int tasks_per_worker(const mp_task_info *info, size_t n, pid_t *pids, int *counts, int max);
/* STEM.dat and STEM.png (plots/tasks.gp): a lane per worker, a bar per
 * task (numbered if labels), times in ms since t0_ns. */
void task_gantt(const mp_lesson *L, const char *stem, const char *title, const mp_task_info *info, size_t n,
                uint64_t t0_ns, bool labels);
/* "4242: 26, 4243: 25, ..." */
void say_spread(const char *what, const mp_task_info *info, size_t n);

/* ---- 1: tiny.c, T4's factorials through four APIs ---- */
enum { API_APPLY_ASYNC, API_MAP_ASYNC, API_MAP, API_APPLY_LOOP, NAPIS };
extern const char *const api_names[NAPIS];
typedef struct tiny_result {
    int workers;
    bool all_right;                /* every API gave the serial loop's results */
    mp_stats serial, api[NAPIS];   /* seconds for the 100 factorials */
    int overlap[NAPIS];            /* the most tasks running at once */
    int spread[NAPIS];             /* how many workers ran at least one task */
} tiny_result;
void part_tiny(mp_lesson *L, tiny_result *R);

/* ---- 2: rounds.c, T0's example ---- */
typedef struct rounds_result {
    double task_s, total_s, ratio; /* ratio = total / task: the rounds */
    int workers_used, most_on_one; /* distinct workers; most tasks on one worker */
    long out[4];
    bool outputs_right;
} rounds_result;
void part_rounds(mp_lesson *L, rounds_result *R);

/* ---- 3: tour.c, T1's API tour ---- */
typedef struct tour_result {
    bool map_right, starmap_right, imap_in_order, unordered_permutation, unordered_differs, unordered_by_end;
    int callbacks, callback_jobs, error_callbacks;
    bool timed_out, finished_after;
    double after_ms; /* how long after the timeout the task ended */
} tour_result;
void part_tour(mp_lesson *L, tour_result *R);

/* ---- 4: files.c, T2's scenario 1 ---- */
typedef struct files_result {
    long files, rows, kept;
    bool all_right;
    mp_stats serial, pool1, pool25;
} files_result;
void part_files(mp_lesson *L, files_result *R);

/* ---- 5: killed.c, a worker killed in the middle of a map ---- */
typedef struct killed_result {
    long tasks, failed, right, wrong, failed_elsewhere;
    pid_t victim, replacement;
    int exitcode, map_rc;
    bool replaced, replacement_ran, ended;
    double took_s;
    char first_error[160];
} killed_result;
void part_killed(mp_lesson *L, killed_result *R);

/* ---- 6: backends.c, thread pool against process pool ---- */
enum { B_SERIAL, B_THREAD, B_FORK, B_SPAWN, B_FORKSERVER, NBACKENDS };
typedef struct backends_result {
    int workers;
    mp_stats cpu[NBACKENDS], io[NBACKENDS];
    double startup_s[NBACKENDS]; /* creating the pool */
    bool cpu_right;
    bool init_once;        /* every task's worker ran the initializer exactly once */
    int init_workers;      /* distinct workers that ran the tasks (initializer part) */
    int maxtasks_pids;     /* distinct PIDs under maxtasksperchild=2 */
    int maxtasks_most;     /* the most tasks one PID ran */
    long maxtasks_tasks;
    int started;           /* mp_pool_started: replacements included */
} backends_result;
void part_backends(mp_lesson *L, backends_result *R);

/* ---- 7: share.c, copy or share a pool's arguments and results ---- */
enum { SH_THREAD, SH_COPIED, SH_IN_PLACE, NSHARE };
typedef struct share_result {
    int workers;
    long tasks;
    size_t chunksize;
    bool all_right;       /* every result of every map was 2x + 1 */
    mp_stats run[NSHARE]; /* seconds per map */
} share_result;
void part_share(mp_lesson *L, share_result *R);

#endif
