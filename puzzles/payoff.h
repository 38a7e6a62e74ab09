/* Lesson 06's puzzle: does a task of this size pay off on a pool, on this
 * machine? (payoff.c; the tests give it a model and check the answer) */
#ifndef PUZZLE_PAYOFF_H
#define PUZZLE_PAYOFF_H

#include <stddef.h>

#include "granularity.h"
#include "puzzle.h"

typedef struct payoff_state {
    int backend;          /* 0 a thread pool, 1 a process pool (fork) */
    int pool_workers;     /* the pool's size */
    double task_ns;       /* each task's work */
    size_t ntasks;
    /* this machine's model (prepare fills it) */
    mp_cost_model model;
    char model_from[160]; /* where the numbers came from, in words */
} payoff_state;

/* The model's speedup for st's tasks: > 1 pays off. */
double payoff_speedup(const payoff_state *st);
/* This machine's start and overhead for st's backend, measured now with a
 * few idle pools and empty tasks. 0 or -errno. */
int payoff_measure_model(payoff_state *st);

#endif
