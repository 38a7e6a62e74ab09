/* Part 2: the primes job as scatter, compute, reduce.
 *
 *     primes REPEAT HI...
 *
 * For each bound HI (counting the primes below it) and each k from 1 to
 * the number of ranks, the first k ranks count together: rank 0 scatters
 * one share of the job to each (MPI_Scatter), each counts its share
 * (mp_count_primes_share: blocks of numbers dealt round robin, as the
 * driver's process pool does), and MPI_Reduce adds the counts up at rank
 * 0. Rank 0 times it, from a barrier of the k ranks to the total, and
 * prints
 *
 *     primes HI K REP SECONDS COUNT
 *
 * The other ranks wait quietly (quiet_barrier) so that they take no CPU
 * from the k that count. Every k runs inside the same launch, so the
 * launcher's start-up is not in these times: the driver measures it apart. */
#include "ranks.h"

#include <stdlib.h>

typedef struct share {
    uint64_t lo, hi;
    int32_t parts, index;
} share;

int primes(int argc, char **argv)
{
    if (argc < 2) {
        say("error rank %d: primes REPEAT HI...", rank);
        return 1;
    }
    long repeat = number(argv[0]);
    /* comms[k]: the first k ranks (MPI_COMM_NULL on the others) */
    MPI_Comm *comms = calloc((size_t)nranks + 1, sizeof *comms);
    share *shares = calloc((size_t)nranks, sizeof *shares);
    if (!comms || !shares) {
        say("error rank %d: out of memory", rank);
        return 1;
    }
    for (int k = 1; k <= nranks; k++)
        MPI_Comm_split(MPI_COMM_WORLD, rank < k ? 0 : MPI_UNDEFINED, rank, &comms[k]);
    for (long rep = 0; rep < repeat; rep++)
        for (int j = 1; j < argc; j++) {
            uint64_t hi = (uint64_t)number(argv[j]);
            for (int k = 1; k <= nranks; k++) {
                if (rank < k) {
                    MPI_Barrier(comms[k]);
                    double t0 = MPI_Wtime();
                    if (rank == 0)
                        for (int i = 0; i < k; i++)
                            shares[i] = (share){0, hi, k, i};
                    share mine;
                    MPI_Scatter(shares, sizeof mine, MPI_BYTE, &mine, sizeof mine, MPI_BYTE, 0, comms[k]);
                    uint64_t count = mp_count_primes_share(mine.lo, mine.hi, mine.parts, mine.index), total = 0;
                    MPI_Reduce(&count, &total, 1, MPI_UINT64_T, MPI_SUM, 0, comms[k]);
                    if (rank == 0)
                        say("primes %llu %d %ld %.9f %llu", (unsigned long long)hi, k, rep, MPI_Wtime() - t0,
                            (unsigned long long)total);
                }
                quiet_barrier();
            }
        }
    for (int k = 1; k <= nranks; k++)
        if (comms[k] != MPI_COMM_NULL)
            MPI_Comm_free(&comms[k]);
    free(comms);
    free(shares);
    return 0;
}
