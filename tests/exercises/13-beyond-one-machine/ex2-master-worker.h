/* Exercise 13.2's interface: the exercise, its solution and its tests
 * include it. */
#ifndef EX13_MASTER_WORKER_H
#define EX13_MASTER_WORKER_H

#include <mpi.h>

/* A task: a number in, a number out (the tests' takes a millisecond). */
typedef long (*task_fn)(long x);

/* Rank 0, the master: hand tasks[0..n) out to the workers (ranks 1 ..
 * size-1) one at a time -- a worker gets its next task when it sends back
 * the result of the last -- until every result is in; then tell every
 * worker to stop. results[i] = fn(tasks[i]) as a worker computed it and
 * done_by[i] = the rank of that worker. The master computes nothing
 * itself. Returns 0, or -1 if an MPI call failed (or there is no worker). */
int master(MPI_Comm comm, const long *tasks, int n, long *results, int *done_by);

/* Every other rank, a worker: receive a task, send back fn(task), again,
 * until the master says stop. Returns how many tasks it did, or -1 if an
 * MPI call failed. */
int worker(MPI_Comm comm, task_fn fn);

#endif
