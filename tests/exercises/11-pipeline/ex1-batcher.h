/* Exercise 11.1: the batcher. The interface the tests, the exercise and
 * the solution share. */
#ifndef EX1_BATCHER_H
#define EX1_BATCHER_H

#include <stdint.h>

#include "mp.h"

/* Given by the test (a scripted stream on a clock of its own):
 * take: the next item's id into *id and 0; MP_QUEUE_EMPTY if none came
 * within timeout_s (< 0: wait as long as it takes); MP_QUEUE_END once the
 * stream has ended. now_s: the clock, in seconds. */
int take(double timeout_s, uint64_t *id);
double now_s(void);

/* The next batch: up to max ids into ids, ending when it holds max ids or
 * max_wait_s after its first id came, whichever is first, or when the
 * stream ends. Returns how many (at least 1), or 0 once the stream has
 * ended and nothing is left. */
int next_batch(uint64_t *ids, int max, double max_wait_s);

#endif
