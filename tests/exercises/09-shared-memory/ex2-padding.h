/* Exercise 09.2: a counter per worker, a cache line each. The interface
 * the tests, the exercise and the solution share. */
#ifndef EX2_PADDING_H
#define EX2_PADDING_H

#include <stdatomic.h>
#include <stddef.h>

/* The size of one slot (sizeof(struct slot)) and its alignment
 * (_Alignof(struct slot)): an array of n slots takes n * slot_size()
 * bytes at an address that is a multiple of slot_align(). */
size_t slot_size(void);
size_t slot_align(void);
/* The counter of slot i of the array at base. */
atomic_long *slot_counter(void *base, int i);

#endif
