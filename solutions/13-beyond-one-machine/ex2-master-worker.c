/* Exercise 13.2 -- a master handing out tasks, in MPI. Solved.
 *
 * The master starts each worker with one task (or stops it at once), then
 * answers each result with the next task or, once none is left, with
 * TAG_STOP: so each worker gets exactly one stop, after its last result.
 * A worker receives with MPI_ANY_TAG and looks at the tag.
 * Test: make check-13 EX=2 SOLUTIONS=1
 */
#include <stddef.h> /* NULL */

#include "ex2-master-worker.h"

enum { TAG_TASK = 1, TAG_RESULT = 2, TAG_STOP = 3 };

int master(MPI_Comm comm, const long *tasks, int n, long *results, int *done_by)
{
    int size;
    MPI_Comm_size(comm, &size);
    if (size < 2)
        return -1;
    int next = 0, owed = 0, rc = MPI_SUCCESS;
    for (int w = 1; w < size && rc == MPI_SUCCESS; w++) {
        if (next < n) {
            long task[2] = {next, tasks[next]};
            next++;
            owed++;
            rc = MPI_Send(task, 2, MPI_LONG, w, TAG_TASK, comm);
        } else
            rc = MPI_Send(NULL, 0, MPI_LONG, w, TAG_STOP, comm);
    }
    while (owed > 0 && rc == MPI_SUCCESS) {
        long result[2];
        MPI_Status st;
        rc = MPI_Recv(result, 2, MPI_LONG, MPI_ANY_SOURCE, TAG_RESULT, comm, &st);
        if (rc != MPI_SUCCESS)
            break;
        owed--;
        results[result[0]] = result[1];
        done_by[result[0]] = st.MPI_SOURCE;
        if (next < n) {
            long task[2] = {next, tasks[next]};
            next++;
            owed++;
            rc = MPI_Send(task, 2, MPI_LONG, st.MPI_SOURCE, TAG_TASK, comm);
        } else
            rc = MPI_Send(NULL, 0, MPI_LONG, st.MPI_SOURCE, TAG_STOP, comm);
    }
    return rc == MPI_SUCCESS ? 0 : -1;
}

int worker(MPI_Comm comm, task_fn fn)
{
    int done = 0;
    for (;;) {
        long task[2];
        MPI_Status st;
        if (MPI_Recv(task, 2, MPI_LONG, 0, MPI_ANY_TAG, comm, &st) != MPI_SUCCESS)
            return -1;
        if (st.MPI_TAG == TAG_STOP)
            return done;
        long result[2] = {task[0], fn(task[1])};
        if (MPI_Send(result, 2, MPI_LONG, 0, TAG_RESULT, comm) != MPI_SUCCESS)
            return -1;
        done++;
    }
}
