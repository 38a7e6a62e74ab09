/* Part 4: many tasks of one cost, shared out two ways.
 *
 *     tasks REPEAT STEPS:N...
 *
 * N tasks, task j being mp_spin(STEPS, j + 1) (lib/work.h: STEPS rounds
 * of arithmetic, about a nanosecond each; the driver converts a cost in ns
 * to steps once, so every rank does the same work). The answer is the sum
 * of the N results, which the driver checks against its own loop.
 *
 * static: rank r takes the r-th contiguous block of the N tasks, no message
 *   per task; one MPI_Reduce adds the sums up. As cheap as it gets, and
 *   right when tasks cost the same and every rank has a CPU.
 * master: rank 0 hands out one task at a time to whichever rank sends a
 *   result back (tasks of unequal cost balance themselves). A worker is
 *   always sent its next task before it finishes the one in hand, so it
 *   never waits for the master's answer; the master works through tasks
 *   itself between answers. (A master that only hands out would be a rank
 *   that computes nothing, and MPI's waits spin: on a machine with as many
 *   CPUs as workers, its polling would take a CPU from them. Exercise 2
 *   writes that classic master, and the README shows what it costs.)
 *
 * Rank 0 times each, from a barrier to the last result, and prints
 *
 *     tasks MODE STEPS N REP SECONDS SUM DONE_BY_RANK_0,DONE_BY_RANK_1,...
 */
#include "ranks.h"

#include <stdlib.h>
#include <string.h>

enum { TAG_TASK = 1, TAG_RESULT = 2 };
#define STOP (-1L)

static void report(const char *mode, long steps, long n, long rep, double s, uint64_t sum, const long *done)
{
    char list[4096] = "";
    size_t used = 0;
    for (int r = 0; r < nranks && used < sizeof list - 24; r++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%ld", r ? "," : "", done[r]);
    say("tasks %s %ld %ld %ld %.9f %llu %s", mode, steps, n, rep, s, (unsigned long long)sum, list);
}

static void static_split(long steps, long n, long rep, long *done)
{
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    uint64_t lo, hi, sum = 0, total = 0;
    mp_split_range(0, (uint64_t)n, nranks, rank, &lo, &hi);
    for (uint64_t j = lo; j < hi; j++)
        sum += mp_spin((uint64_t)steps, j + 1);
    long mine = (long)(hi - lo);
    MPI_Reduce(&sum, &total, 1, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
    MPI_Gather(&mine, 1, MPI_LONG, done, 1, MPI_LONG, 0, MPI_COMM_WORLD);
    if (rank == 0)
        report("static", steps, n, rep, MPI_Wtime() - t0, total, done);
}

/* A worker: its first task arrives; while computing one task it has
 * already asked (MPI_Irecv) for the next, which the master sends when the
 * previous result arrives. STOP ends it. */
static void worker(long steps)
{
    long task;
    MPI_Recv(&task, 1, MPI_LONG, 0, TAG_TASK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    while (task != STOP) {
        long next;
        MPI_Request r;
        MPI_Irecv(&next, 1, MPI_LONG, 0, TAG_TASK, MPI_COMM_WORLD, &r);
        uint64_t result[2] = {(uint64_t)task, mp_spin((uint64_t)steps, (uint64_t)task + 1)};
        MPI_Send(result, 2, MPI_UINT64_T, 0, TAG_RESULT, MPI_COMM_WORLD);
        MPI_Wait(&r, MPI_STATUS_IGNORE);
        task = next;
    }
}

/* The master: two tasks to each worker to start with (the one it works on
 * and the next), then one more for each result that comes back, and STOP
 * once none is left; between results it computes tasks itself. Each worker
 * gets STOP exactly once, as its last message, so no message is left
 * unread. */
static uint64_t master(long steps, long n, long *done)
{
    long next = 0, finished = 0;
    uint64_t sum = 0;
    char *stopped = calloc((size_t)nranks, 1);
    if (!stopped) {
        say("error rank 0: out of memory");
        exit(1);
    }
    for (int round = 0; round < 2; round++)
        for (int w = 1; w < nranks; w++)
            if (!stopped[w]) {
                long task = next < n ? next++ : STOP;
                stopped[w] = task == STOP;
                MPI_Send(&task, 1, MPI_LONG, w, TAG_TASK, MPI_COMM_WORLD);
            }
    uint64_t result[2];
    MPI_Request r = MPI_REQUEST_NULL;
    while (finished < n) {
        if (r == MPI_REQUEST_NULL && nranks > 1)
            MPI_Irecv(result, 2, MPI_UINT64_T, MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &r);
        int arrived = 0;
        MPI_Status st;
        if (nranks > 1) {
            if (next < n) { /* work of our own to do: just look */
                MPI_Test(&r, &arrived, &st);
            } else {        /* nothing left to hand out or do: wait for the results */
                MPI_Wait(&r, &st);
                arrived = 1;
            }
        }
        if (arrived) {
            r = MPI_REQUEST_NULL;
            int w = st.MPI_SOURCE;
            sum += result[1];
            done[w]++;
            finished++;
            if (!stopped[w]) {
                long task = next < n ? next++ : STOP;
                stopped[w] = task == STOP;
                MPI_Send(&task, 1, MPI_LONG, w, TAG_TASK, MPI_COMM_WORLD);
            }
        } else if (next < n) {
            sum += mp_spin((uint64_t)steps, (uint64_t)next + 1);
            next++;
            done[0]++;
            finished++;
        }
    }
    /* every result is in: the last receive posted has nothing coming */
    if (r != MPI_REQUEST_NULL) {
        MPI_Cancel(&r);
        MPI_Wait(&r, MPI_STATUS_IGNORE);
    }
    free(stopped);
    return sum;
}

static void master_workers(long steps, long n, long rep, long *done)
{
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    if (rank == 0) {
        memset(done, 0, sizeof *done * (size_t)nranks);
        uint64_t sum = master(steps, n, done);
        report("master", steps, n, rep, MPI_Wtime() - t0, sum, done);
    } else
        worker(steps);
}

int tasks(int argc, char **argv)
{
    if (argc < 2) {
        say("error rank %d: tasks REPEAT STEPS:N...", rank);
        return 1;
    }
    long repeat = number(argv[0]);
    long *done = calloc((size_t)nranks, sizeof *done);
    if (!done) {
        say("error rank %d: out of memory", rank);
        return 1;
    }
    for (long rep = 0; rep < repeat; rep++)
        for (int j = 1; j < argc; j++) {
            long steps, n;
            number_pair(argv[j], &steps, &n);
            static_split(steps, n, rep, done);
            quiet_barrier();
            master_workers(steps, n, rep, done);
            quiet_barrier();
        }
    free(done);
    return 0;
}
