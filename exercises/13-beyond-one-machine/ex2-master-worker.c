/* Exercise 13.2 -- a master handing out tasks, in MPI.
 *
 * A static split (lesson 13, part 4: mpi-static) gives each rank its block
 * of tasks up front: no message per task, but when tasks cost unequal
 * amounts a rank with the dear ones finishes last while the others wait.
 * The classic cure is a master: rank 0 hands out one task at a time, and a
 * worker that finishes gets the next, so the work balances itself -- the
 * kit's pool with chunksize 1 does the same through a pipe. It costs a
 * message each way per task, and the master, a rank that computes nothing.
 *
 * The messages are yours to design; this one works (ex2-master-worker.h
 * says what the functions must do):
 *   a task:   long[2] {i, tasks[i]}, tag TAG_TASK, from the master to a worker
 *   a result: long[2] {i, fn(x)},    tag TAG_RESULT, from a worker to the master
 *   stop:     a message of 0 longs,  tag TAG_STOP
 * master():
 *   1. give each worker w (1 .. size-1) one task to start with, or TAG_STOP
 *      if none is left for it;
 *   2. while results are owed: MPI_Recv a result from MPI_ANY_SOURCE with
 *      tag TAG_RESULT; status.MPI_SOURCE says which worker sent it: store
 *      results[i] and done_by[i], then send that worker the next task, or
 *      TAG_STOP when none is left.
 *   Each worker must get exactly one TAG_STOP: count the results owed,
 *   not the tasks sent.
 * worker():
 *   loop: MPI_Recv from rank 0 with MPI_ANY_TAG; TAG_STOP ends the loop
 *   (status.MPI_TAG says which); otherwise send back {i, fn(x)}.
 *
 * Predict before you run the tests: with 2 ranks (one worker) the job takes
 * as long as doing it in a loop, plus a message each way per task. Why
 * does the lesson's own master (mpi/tasks.c) compute tasks itself, and send
 * each worker its next task before the last one is done?
 * Test: make check-13 EX=2 (it runs this file as 2 and as 3 ranks)
 */
#include <stddef.h> /* NULL */

#include "ex2-master-worker.h"

enum { TAG_TASK = 1, TAG_RESULT = 2, TAG_STOP = 3 };

int master(MPI_Comm comm, const long *tasks, int n, long *results, int *done_by)
{
    int size;
    MPI_Comm_size(comm, &size);
    /* TODO: a first task (or TAG_STOP) for each worker 1 .. size-1 */
    /* TODO: while results are owed: receive one, store it, send that worker its next task or TAG_STOP */
    (void)tasks, (void)n, (void)results, (void)done_by;
    return -1;
}

int worker(MPI_Comm comm, task_fn fn)
{
    /* TODO: receive from rank 0 until TAG_STOP; send back {i, fn(x)} for each task; count them */
    (void)comm, (void)fn;
    return -1;
}
