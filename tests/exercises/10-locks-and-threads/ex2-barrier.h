/* Exercise 10.2: a barrier from a lock and a condition. The interface the
 * tests, the exercise and the solution share. */
#ifndef EX2_BARRIER_H
#define EX2_BARRIER_H

#include "mp.h"

typedef struct my_barrier {
    mp_lock lock;
    mp_cond cond;     /* over lock */
    int parties;
    int count;        /* arrived in this round */
    unsigned long round;
} my_barrier;

/* parties >= 1. 0 or -errno. */
int my_barrier_init(my_barrier *b, int parties);
/* Wait until `parties` threads have called it; returns this thread's
 * arrival index in the round, 0 for the first, parties - 1 for the last
 * (who wakes the others). Usable round after round. */
int my_barrier_wait(my_barrier *b);

#endif
