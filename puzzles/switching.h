/* Lesson 03's puzzle: who holds the simulated GIL when (switching.c; the
 * tests check the model's timeline). */
#ifndef PUZZLE_SWITCHING_H
#define PUZZLE_SWITCHING_H

#include "puzzle.h"

#define SW_MAX_THREADS 3
#define SW_MAX_SEGS 3
#define SW_MAX_MS 200
#define SW_MAX_NOTES 48

typedef struct sw_seg {
    char kind; /* 'C' computing (needs the lock), 'I' waiting for I/O (without it) */
    int ms;
} sw_seg;

typedef struct sw_state {
    int threads, interval_ms, ask_ms;
    int nsegs[SW_MAX_THREADS];
    sw_seg segs[SW_MAX_THREADS][SW_MAX_SEGS];
    /* the model's answer */
    int end_ms;                  /* when the last thread is done */
    signed char holder[SW_MAX_MS]; /* who holds the lock in [t, t+1) ms: 1.., 0 nobody */
    int handoffs, drop_requests;
    int nnotes;
    char notes[SW_MAX_NOTES][96]; /* what happened, in order: "t=5 ms: ..." */
} sw_state;

/* Run the model of the new GIL over st's threads: fills the answer. */
void sw_simulate(sw_state *st);

#endif
