/* Exercise 08.1: the producer and the consumer the tests run in processes.
 * The interface the tests, the exercise and the solution share. */
#ifndef EX1_SENTINEL_H
#define EX1_SENTINEL_H

#include <stdint.h>

#include "mp.h"

/* The tests' queues carry items of at most 4 bytes (item_max 4).
 *
 * Put the items 0, 1, ..., n-1 on q, each as 4 bytes (a uint32_t), in that
 * order; then one sentinel -- an empty item, 0 bytes -- per consumer, so
 * that every consumer gets one. Returns 0, or the failed put's status. */
int produce(mp_queue *q, uint32_t n, int consumers);

/* Get items from q until the sentinel: add each item's value to *sum and
 * count it. Returns the number of items got (the sentinel not counted), or
 * the failed get's status (negative). Stops at the first sentinel and takes
 * nothing after it. */
long consume(mp_queue *q, uint64_t *sum);

#endif
