/* Lesson 09's puzzle: the final value of an unlocked shared counter
 * (counter.c; the tests run it and check the range). */
#ifndef PUZZLE_COUNTER_H
#define PUZZLE_COUNTER_H

#include "puzzle.h"

typedef struct counter_state {
    int procs;        /* k */
    long increments;  /* m, each */
    long min, max;    /* the answer */
} counter_state;

/* k processes add m each to a shared Value without its lock; the final
 * value into *value. 0 or -errno. */
int counter_run_real(const counter_state *st, long *value);

#endif
