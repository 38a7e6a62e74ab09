/* What the parts of lesson 12 share: the output file and what each part
 * found (for the closing verdicts). Built with -fopenmp (lesson.c says so
 * to the Makefile). */
#ifndef LESSON12_H
#define LESSON12_H

#include <omp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mp.h"

/* openmp.csv: method,schedule,chunk,threads,task_ns,median_s,speedup */
extern mp_csv openmp_csv;
void openmp_row(const char *method, const char *schedule, int chunk, int threads, double task_ns, const mp_stats *s,
                double speedup);

/* ---- 1: sweep.c, the primes job and the task-cost sweep ---- */
enum { W_STATIC, W_DYN1, W_DYN16, W_GUIDED, W_KIT_THREAD, W_KIT_PROCESS, NWAYS };
extern const char *const way_names[NWAYS];
#define SWEEP_POINTS 6
typedef struct sweep_result {
    int threads, points;
    double cost_ns[SWEEP_POINTS];
    double speedup[NWAYS][SWEEP_POINTS], overhead_ns[NWAYS][SWEEP_POINTS], spread[NWAYS][SWEEP_POINTS];
    double breakeven_ns[NWAYS];
    bool primes_right, sweep_right;
    double primes_speedup[NWAYS];
} sweep_result;
void part_sweep(mp_lesson *L, sweep_result *R);

/* ---- 2: imbalance.c, skewed work: static, dynamic, guided ---- */
enum { S_STATIC, S_DYNAMIC, S_GUIDED, NSCHED };
typedef struct imbalance_result {
    mp_stats time[2][NSCHED]; /* [growing, random][schedule] */
    bool right;
} imbalance_result;
void part_imbalance(mp_lesson *L, imbalance_result *R);

/* ---- 3: reduce.c, one total from many threads ---- */
enum { T_NONE, T_REDUCTION, T_CRITICAL, T_ATOMIC, T_KIT_LOCK, NTOTALS };
extern const char *const total_names[NTOTALS];
typedef struct reduce_result {
    long n, expected;
    long got[NTOTALS];
    mp_stats time[NTOTALS];
} reduce_result;
void part_reduce(mp_lesson *L, reduce_result *R);

/* ---- 4: env.c, OMP_NUM_THREADS and the usable CPUs ---- */
typedef struct env_result {
    int plain_threads, plain_cpus;      /* this process: omp_get_max_threads, usable CPUs */
    int three_threads;                  /* with OMP_NUM_THREADS=3 */
    int pinned_threads, pinned_cpus;    /* under taskset -c 0; -1 if taskset is missing */
    bool have_taskset;
} env_result;
void part_env(mp_lesson *L, env_result *R);
int print_omp_info(void); /* --omp-info: "omp_threads N cpus M", then exit */

#endif
