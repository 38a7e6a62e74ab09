/* Exercise 13.1 -- scatter, compute, reduce: a sum over ranks. Solved.
 *
 * Every rank works out every share from n and size alone (no message
 * needed); rank 0 sends each rank its share with one MPI_Scatterv; each
 * adds up its own; MPI_Reduce adds the partial sums at rank 0.
 * Test: make check-13 EX=1 SOLUTIONS=1
 */
#include <stdlib.h>

#include "ex1-scatter-sum.h"

int scatter_sum(const long *data, int n, MPI_Comm comm, long long *total, int *mine)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    int *counts = malloc(sizeof *counts * (size_t)size), *displs = malloc(sizeof *displs * (size_t)size);
    if (!counts || !displs) {
        free(counts);
        free(displs);
        return -1;
    }
    for (int r = 0, at = 0; r < size; r++) {
        counts[r] = n / size + (r < n % size ? 1 : 0);
        displs[r] = at;
        at += counts[r];
    }
    int count = counts[rank];
    long *share = malloc(sizeof *share * (size_t)(count > 0 ? count : 1));
    int rc = share ? MPI_Scatterv(data, counts, displs, MPI_LONG, share, count, MPI_LONG, 0, comm) : MPI_ERR_NO_MEM;
    long long sum = 0;
    for (int i = 0; rc == MPI_SUCCESS && i < count; i++)
        sum += share[i];
    if (rc == MPI_SUCCESS)
        rc = MPI_Reduce(&sum, total, 1, MPI_LONG_LONG, MPI_SUM, 0, comm);
    *mine = count;
    free(share);
    free(counts);
    free(displs);
    return rc == MPI_SUCCESS ? 0 : -1;
}
