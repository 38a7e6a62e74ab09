/* The MPI program of lesson 13: what every rank runs.
 *
 * Built with MPICH's compiler wrapper (mk/mpi.mk: mpicc.mpich) into
 * BUILD/mpi/lesson13-ranks, and started by the lesson (lesson-13, the
 * driver) as
 *
 *     mpiexec.mpich -n RANKS BUILD/mpi/lesson13-ranks EXPERIMENT ARGS...
 *
 * mpiexec starts RANKS copies of this program (on this machine, or on the
 * machines of a hostfile); MPI_Init connects them; each learns its rank, 0
 * to RANKS-1, and they talk only through MPI calls. Nothing is shared but
 * the messages: a rank is a process, as a pool's worker is, and could as
 * well be on another machine.
 *
 * The driver reads what rank 0 (in "hello", every rank) prints: one line
 * per result, words separated by spaces, the first word saying what the
 * line is; then "done EXPERIMENT". A rank that finds something wrong says
 * "error ..." and exits with a non-zero status: mpiexec then stops the
 * other ranks and exits with that status, and the driver reports it.
 *
 * The work itself is the kit's (lib/work.h: mp_count_primes_share,
 * mp_spin), linked from libmp.a, so a rank does exactly what the driver's
 * process pool does with the same numbers. */
#ifndef LESSON13_RANKS_H
#define LESSON13_RANKS_H

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>

#include "work.h"

/* Each experiment: the arguments after its name; returns 0, or 1 after an
 * "error" line. */
int hello(int argc, char **argv);
int primes(int argc, char **argv);
int pingpong(int argc, char **argv);
int tasks(int argc, char **argv);

/* This rank and how many there are (in MPI_COMM_WORLD). */
extern int rank, nranks;

/* A line to the driver, written whole in one write(2), so that lines of
 * different ranks never mix (mpiexec forwards each rank's output). */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A barrier of every rank that waits without spinning. MPI's own waits
 * poll: a rank blocked in MPI_Barrier keeps its CPU busy, to answer within
 * a microsecond. A rank with nothing to do while the others measure must
 * not take a CPU from them, so it tests the barrier now and then and
 * sleeps in between. */
void quiet_barrier(void);

/* "123" -> 123, or an error line and exit: the driver wrote these words. */
long number(const char *s);
/* "64:1000" -> 64 and 1000 */
void number_pair(const char *s, long *a, long *b);

#endif
