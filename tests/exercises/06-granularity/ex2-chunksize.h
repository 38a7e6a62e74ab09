/* Exercise 06.2: a chunksize that makes tiny tasks pay off. The interface
 * the tests, the exercise and the solution share. */
#ifndef EX2_CHUNKSIZE_H
#define EX2_CHUNKSIZE_H

#include <stddef.h>

/* The chunksize for map-ing n tiny tasks (well under a microsecond each)
 * on a process pool of `workers` workers: between 1 and n. */
size_t choose_chunksize(size_t n, int workers);

#endif
