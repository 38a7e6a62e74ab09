/* Exercise 05.1: Python's default chunksize. The interface the tests, the
 * exercise and the solution share. */
#ifndef EX1_CHUNKSIZE_H
#define EX1_CHUNKSIZE_H

#include <stddef.h>

/* Pool.map's default chunksize for n tasks on `workers` workers (>= 1):
 * about four chunks per worker, rounded up; 0 tasks: 0. */
size_t default_chunksize(size_t n, int workers);

/* How many chunks map cuts n tasks into with this chunksize (>= 1): the
 * last chunk may be shorter. 0 tasks: 0 chunks. */
size_t chunk_count(size_t n, size_t chunksize);

#endif
