/* Exercise 13.1's interface: the exercise, its solution and its tests
 * include it. */
#ifndef EX13_SCATTER_SUM_H
#define EX13_SCATTER_SUM_H

#include <mpi.h>

/* Add up n numbers that only rank 0 holds (data; NULL on every other rank)
 * on every rank of comm: rank 0 scatters them in shares that differ by at
 * most one number (MPI_Scatterv), each rank adds up its share, and
 * MPI_Reduce adds the partial sums up at rank 0. Every rank calls it, with
 * the same n. On rank 0, *total is the sum (elsewhere it is left alone);
 * on every rank, *mine is how many numbers that rank added up. Returns 0,
 * or -1 if it could not (out of memory, an MPI call failed). */
int scatter_sum(const long *data, int n, MPI_Comm comm, long long *total, int *mine);

#endif
