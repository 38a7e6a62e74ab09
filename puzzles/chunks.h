/* Lesson 05's puzzle: a pool's chunks, who runs them, and the makespan
 * (chunks.c; the tests check the schedule). */
#ifndef PUZZLE_CHUNKS_H
#define PUZZLE_CHUNKS_H

#include "puzzle.h"

#define CHUNKS_MAX_TASKS 12

typedef struct chunks_state {
    int ntasks, workers;
    int cost_ms[CHUNKS_MAX_TASKS];
    int chunksize_given;  /* 0: map's default, Python's formula */
    int chunksize;        /* the one used */
    /* the schedule: chunk c holds tasks [c * chunksize, ...) */
    int nchunks;
    int chunk_worker[CHUNKS_MAX_TASKS];   /* 0 .. workers-1 */
    int chunk_start[CHUNKS_MAX_TASKS], chunk_end[CHUNKS_MAX_TASKS]; /* ms */
    int makespan;
} chunks_state;

/* The greedy schedule of st's tasks: fills chunksize and the rest. */
void chunks_schedule(chunks_state *st);

#endif
