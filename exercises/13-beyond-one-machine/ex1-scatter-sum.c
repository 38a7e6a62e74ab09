/* Exercise 13.1 -- scatter, compute, reduce: a sum over ranks.
 *
 * Lesson 13's part 2 counts primes this way (mpi/primes.c): rank 0 hands
 * each rank its share of the job, every rank works on its own share, and a
 * reduction adds the partial results up at rank 0. Here the job is a sum of
 * n numbers that only rank 0 has: the other ranks get data == NULL, so the
 * only way for them to help is to be sent their share. That is MPI's whole
 * model: no memory is shared, a rank knows only what it was sent.
 *
 * scatter_sum() (ex1-scatter-sum.h says what it must do):
 *   1. counts[r] and displs[r] for every rank r: n / size numbers each, one
 *      more for the first n % size ranks; displs[r] is where rank r's share
 *      starts in data. Every rank can work these out alone: they depend on
 *      n and size only.
 *   2. MPI_Scatterv(data, counts, displs, MPI_LONG, share, counts[rank],
 *      MPI_LONG, 0, comm): rank 0 sends, every rank (rank 0 too) receives
 *      its share into a buffer of its own.
 *   3. Add up the share; *mine = counts[rank].
 *   4. MPI_Reduce(&sum, total, 1, MPI_LONG_LONG, MPI_SUM, 0, comm).
 * Free what you allocated. With n < size, some shares are empty: allocate
 * at least one element (malloc(0) may return NULL).
 *
 * Predict before you run the tests: on 3 ranks and 7 numbers, how many
 * does each rank add up? What would MPI_Scatter (no v) need instead?
 * Test: make check-13 EX=1 (it runs this file as 2 and as 3 ranks)
 */
#include <stdlib.h>

#include "ex1-scatter-sum.h"

int scatter_sum(const long *data, int n, MPI_Comm comm, long long *total, int *mine)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    /* TODO: counts and displs for every rank */
    /* TODO: scatter the shares from rank 0 (MPI_Scatterv) */
    /* TODO: add up this rank's share; *mine = its count */
    /* TODO: reduce the sums to rank 0 (MPI_Reduce, MPI_SUM) into *total */
    (void)data, (void)n, (void)total;
    *mine = 0;
    return -1;
}
