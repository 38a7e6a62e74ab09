/* Tests for exercise 13.2: the master and its workers, run for real as 2
 * ranks (one worker) and 3 ranks (two), for 0, 1, 5 and 40 tasks of about
 * a millisecond each (mpirun.h: the test binary runs itself as the ranks).
 * Asserted: every result is fn(task), computed by a worker (never rank 0),
 * each task exactly once (what each worker says it did matches what the
 * master recorded), and the job ends: a worker never told to stop would
 * wait for ever, and the test says so after its time limit. */
#include "helpers.h"

#include <time.h>

#include "ex2-master-worker.h"
#include "mpirun.h"

static const int counts[] = {0, 1, 5, 40};
#define NCOUNTS (int)(sizeof counts / sizeof counts[0])

static long task_of(int i)
{
    return 7l * i + 3;
}

/* The task: about a millisecond of waiting, then x * x + 1. */
static long slow_square(long x)
{
    nanosleep(&(struct timespec){0, 1000000}, NULL);
    return x * x + 1;
}

/* ---- in a rank: `--rank jobs` runs every count in turn ---- */
static int rank_main(int argc, char **argv)
{
    int rank, size, status = 0;
    rank_start(&argc, &argv, &rank, &size);
    for (int k = 0; k < NCOUNTS; k++) {
        int n = counts[k];
        MPI_Barrier(MPI_COMM_WORLD);
        if (rank == 0) {
            long tasks[64], results[64];
            int by[64];
            for (int i = 0; i < n; i++) {
                tasks[i] = task_of(i);
                results[i] = -1;
                by[i] = -1;
            }
            int rc = master(MPI_COMM_WORLD, tasks, n, results, by);
            printf("master %d %d\n", n, rc);
            for (int i = 0; rc == 0 && i < n; i++)
                printf("task %d %d %ld %d\n", n, i, results[i], by[i]);
            if (rc != 0)
                status = 3;
        } else {
            int did = worker(MPI_COMM_WORLD, slow_square);
            printf("worker %d %d %d\n", n, rank, did);
            if (did < 0)
                status = 3;
        }
        if (status) /* the others may wait for this rank: mpiexec stops them */
            break;
    }
    MPI_Finalize();
    return status;
}

/* ---- the tests ---- */
static void check_jobs(int ranks)
{
    static char out[1 << 16];
    const char *args[] = {"jobs", NULL};
    int rc = mpirun_self(ranks, args, out, sizeof out);
    if (rc == -1000)
        fail_msg("%d ranks did not end within %.0f s: does every worker get exactly one TAG_STOP (also when there "
                 "are fewer tasks than workers), and does the master wait only for the results still owed? They "
                 "printed:\n%s", ranks, MPIRUN_LIMIT_S, out);
    for (int k = 0; k < NCOUNTS; k++) {
        int n = counts[k], mrc = -1, did_by[8] = {0};
        char prefix[64];
        snprintf(prefix, sizeof prefix, "master %d ", n);
        const char *line = strstr(out, prefix);
        if (!line || sscanf(line + strlen(prefix), "%d", &mrc) != 1)
            fail_msg("%d ranks, %d tasks: the master printed nothing (exit %d). The ranks printed:\n%s", ranks, n, rc,
                     out);
        if (mrc != 0)
            fail_msg("%d ranks, %d tasks: master() returned %d (a TODO left?)", ranks, n, mrc);
        for (int i = 0; i < n; i++) {
            long result;
            int by;
            snprintf(prefix, sizeof prefix, "task %d %d ", n, i);
            line = strstr(out, prefix);
            if (!line || sscanf(line + strlen(prefix), "%ld %d", &result, &by) != 2)
                fail_msg("%d ranks, %d tasks: no result for task %d. The ranks printed:\n%s", ranks, n, i, out);
            if (result != task_of(i) * task_of(i) + 1)
                fail_msg("%d ranks, %d tasks: task %d (x = %ld) gave %ld, not %ld", ranks, n, i, task_of(i), result,
                         task_of(i) * task_of(i) + 1);
            if (by < 1 || by >= ranks)
                fail_msg("%d ranks, %d tasks: task %d was done by rank %d; the workers are ranks 1 to %d", ranks, n, i,
                         by, ranks - 1);
            did_by[by]++;
        }
        for (int w = 1; w < ranks; w++) {
            int did = -1;
            snprintf(prefix, sizeof prefix, "worker %d %d ", n, w);
            line = strstr(out, prefix);
            if (!line || sscanf(line + strlen(prefix), "%d", &did) != 1)
                fail_msg("%d ranks, %d tasks: worker %d printed nothing. The ranks printed:\n%s", ranks, n, w, out);
            if (did != did_by[w])
                fail_msg("%d ranks, %d tasks: worker %d says it did %d tasks; the master recorded %d from it (each "
                         "task exactly once?)", ranks, n, w, did, did_by[w]);
        }
    }
    if (rc != 0)
        fail_msg("%d ranks: mpiexec ended with %d. They printed:\n%s", ranks, rc, out);
}

static void test_one_worker(void **state)
{
    (void)state;
    check_jobs(2);
}

static void test_two_workers(void **state)
{
    (void)state;
    check_jobs(3);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--rank") == 0)
        return rank_main(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_one_worker, teardown_children),
        cmocka_unit_test_teardown(test_two_workers, teardown_children),
    };
    return cmocka_run_group_tests_name("exercise 13.2: a master handing out tasks", tests, NULL, NULL);
}
