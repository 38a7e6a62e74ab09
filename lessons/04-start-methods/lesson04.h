/* What the parts of lesson 04 share: the parent's big memory, the entries a
 * spawned child may run, and what each part found (for the verdicts). */
#ifndef LESSON04_H
#define LESSON04_H

#include "mp.h"

/* The parent's touched memory: inherited by forked children only. Parts 1-2
 * grow it; part 3's idle child writes to its copy. */
extern char *big;
extern size_t big_len;

/* ---- 1 and 2: startup.c ---- */
enum { M_FORK, M_SPAWN, M_FORKSERVER, M_RAW_FORK, M_RAW_VFORK, M_RAW_SPAWN, NMETHODS };
#define MAX_SIZES 4
typedef struct startup_result {
    int nsizes;
    size_t sizes[MAX_SIZES];           /* parent MiB */
    mp_stats us[NMETHODS][MAX_SIZES];  /* per start+join: median of all calls, min, max */
    double spread[NMETHODS][MAX_SIZES]; /* of the per-round medians */
} startup_result;
int empty(void *arg);
void experiment_startup(mp_lesson *L, startup_result *R);

/* ---- 3: memory.c ---- */
typedef struct memory_result { long parent_rss, fork_idle_pss, fork_written_pss, spawn_rss; } memory_result;
int idle_child(void *arg);
void experiment_memory(mp_lesson *L, memory_result *M);

/* ---- 4: hazard.c ---- */
typedef struct hazard_result { bool fork_hung, spawn_finished, forkserver_finished; } hazard_result;
int use_resource(void *arg);
void experiment_hazard(mp_lesson *L, hazard_result *H);

/* ---- 5: guard.c ---- */
typedef struct guard_result { int exitcode; } guard_result;
#define GUARD_REFUSED_AND_RAN 7 /* the exit code that says: top level re-ran, was refused, then the work ran */
int guarded_work(void *arg);
bool guard_requested(void);
void unguarded_top_level(void);
void experiment_guard(mp_lesson *L, guard_result *G);

#endif
