/* What the parts of lesson 10 share: the output files and what each part
 * found (for the closing verdicts). Parts 1-5 run threads of this one
 * process; part 6's scenes run processes started with --start. */
#ifndef LESSON10_H
#define LESSON10_H

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mp.h"

/* background.csv: mode,epochs,save_mib,median_s
 * contention.csv: method,threads,ops_per_s */
extern mp_csv background_csv, contention_csv;

/* ---- 1: balance.c, T3's balance ---- */
typedef struct balance_result {
    long iterations;               /* per thread */
    long unlocked, locked;         /* the final balances (0 is right) */
    int unlocked_runs;             /* unlocked runs made: until one went wrong, at most 10 */
    double unlocked_ns, locked_ns; /* per iteration, both threads together */
} balance_result;
void part_balance(mp_lesson *L, balance_result *R);

/* ---- 2: deadlock.c, two locks in opposite order ---- */
typedef struct deadlock_result {
    int timed_out;       /* threads whose second acquire timed out (opposite order) */
    int finished_fixed;  /* threads that finished with the lock order (of 2) */
} deadlock_result;
void part_deadlock(mp_lesson *L, deadlock_result *R);

/* ---- 3: local.c, thread-local data and results from threads ---- */
typedef struct local_result {
    bool own_names;      /* Alice's thread saw Alice, Bob's Bob */
    bool stored, queued, pooled; /* the three ways of getting results back all gave the right sums */
} local_result;
void part_local(mp_lesson *L, local_result *R);

/* ---- 4: background.c, T3's training loop ---- */
enum { INLINE, BACKGROUND, NMODES };
typedef struct background_result {
    int epochs;
    double save_mib, save_s, epoch_s;  /* one save measured alone; the compute of an epoch, set to match it */
    mp_stats total[NMODES];            /* save about as long as an epoch */
    mp_stats slow[NMODES];             /* save twice as long as an epoch */
    int renewed;                       /* "Best Model Renewed" lines */
} background_result;
void part_background(mp_lesson *L, background_result *R);

/* ---- 5: contention.c, one lock against shards against atomics ---- */
enum { K_ONE_LOCK, K_SHARDED, K_ATOMIC, NKINDS };
extern const char *const contention_kinds[NKINDS];
#define CONTENTION_MAX 16
typedef struct contention_result {
    int points;
    int threads[CONTENTION_MAX];
    mp_stats ops[NKINDS][CONTENTION_MAX]; /* operations per second */
    double cpus[CONTENTION_MAX];          /* CPUs the sharded threads had between them (median) */
    bool exact;                           /* every total came out exact */
} contention_result;
void part_contention(mp_lesson *L, contention_result *R);

/* ---- 6: scenes.c, Event, Condition, Semaphore, Barrier ---- */
typedef struct scenes_result {
    int woken;          /* Event: waiting processes that went on after set() (of 3) */
    long consumed;      /* Condition: items the main process took (of produced) */
    long produced;
    int most_inside;    /* Semaphore(2): the most threads inside at once */
    int actions;        /* Barrier(3) with an action, two rounds: how many times it ran */
    bool indices_ok;    /* each round gave indices 0, 1, 2 */
} scenes_result;
void part_scenes(mp_lesson *L, scenes_result *R);
/* its children (registered by name in lesson.c: a spawned child runs them) */
int scene_runner(void *arg);
int scene_producer(void *arg);
int scene_visitor(void *arg);
int scene_party(void *arg);

#endif
