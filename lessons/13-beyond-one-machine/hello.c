/* Lesson 13, part 1 -- hello from every rank.
 *
 * mpiexec starts N copies of one program (the ranks); MPI_Init connects
 * them and gives each its number, its rank, 0 to N-1. Each prints its rank,
 * its PID, its parent's PID and the machine it runs on. Their lines arrive
 * in whatever order the ranks got there: they are separate processes, as a
 * pool's workers are, and nothing orders them but messages.
 *
 * The job does nothing else, so its whole time -- start the proxy and the
 * ranks, MPI_Init (the ranks find each other), a barrier, MPI_Finalize,
 * exit -- is the launcher's start-up: what any MPI job pays before its
 * first useful instruction. Launched --repeat times for a median. */
#include <unistd.h>

#include "lesson13.h"

#define TIMEOUT_S 30.0

/* One launch; the first is shown line by line, and its ranks recorded. */
static void launch_once(const mp_lesson *L, hello_result *R, int k, double *launch_s, double *first_s)
{
    (void)L;
    int n = R->ranks;
    mpi_job j;
    char *args[] = {"hello", NULL};
    mpi_start(&j, "part 1's hello job", n, NULL, args, TIMEOUT_S, k > 0);
    int seen[HELLO_MAX] = {0}, lines = 0;
    bool done = false, right = true;
    for (const char *line; (line = mpi_line(&j));) {
        int rank, size;
        pid_t pid, ppid;
        char host[64];
        if (parse_hello(line, &rank, &size, &pid, &ppid, host, sizeof host)) {
            if (k == 0)
                mp_say("  a rank printed: %s", line);
            if (rank < 0 || rank >= n || size != n) {
                right = false;
                continue;
            }
            seen[rank]++;
            lines++;
            if (k == 0) {
                R->pid[rank] = pid;
                R->proxy[rank] = ppid;
                snprintf(R->host, sizeof R->host, "%s", host);
            }
        } else if (strcmp(line, "done hello") == 0)
            done = true;
        else if (strncmp(line, "error ", 6) != 0)
            mp_say("  (mpiexec printed: %s)", line);
    }
    if (k == 0)
        R->mpiexec = j.pid;
    *launch_s = mpi_finish(&j);
    *first_s = j.first_line ? mp_ns_to_s(j.first_line - j.t0) : *launch_s;
    for (int r = 0; r < n; r++)
        right = right && seen[r] == 1;
    if (!done || !right)
        mpi_fail(&j, "%d hello lines from %d ranks (each rank must say hello once)%s", lines, n,
                 done ? "" : ", and no 'done'");
}

void part_hello(mp_lesson *L, hello_result *R)
{
    memset(R, 0, sizeof *R);
    R->ranks = L->o.workers < HELLO_MAX ? L->o.workers : HELLO_MAX;
    mp_lesson_part(L, "1. Hello from every rank: mpiexec starts %d copies of one program", R->ranks);
    mp_say("each rank prints its rank, PID, parent PID and host; the lines come in the order the ranks got there");
    int reps = L->o.repeat;
    double launch[MP_MAX_REPEAT], first[MP_MAX_REPEAT];
    for (int k = 0; k < reps; k++)
        launch_once(L, R, k, &launch[k], &first[k]);
    mp_stats_of(launch, (size_t)reps, &R->launch);
    mp_stats_of(first, (size_t)reps, &R->first_line);

    /* every rank once, each a process of its own */
    R->all_once = true;
    for (int r = 0; r < R->ranks; r++)
        for (int q = 0; q < r; q++)
            R->all_once = R->all_once && R->pid[q] != R->pid[r];
    mp_table t;
    mp_table_header(&t, "rank|pid|parent pid|host");
    for (int r = 0; r < R->ranks; r++)
        mp_table_row(&t, "%d|%d|%d|%s", r, (int)R->pid[r], (int)R->proxy[r], R->host);
    mp_say("the family: this lesson (pid %d) started %s (pid %d), which started MPICH's proxy (hydra_pmi_proxy, "
           "pid %d), which started the ranks: on each machine of a job, one proxy starts that machine's ranks",
           (int)getpid(), MPIEXEC, (int)R->mpiexec, (int)R->proxy[0]);
    mp_say("the launcher's start-up: an empty job of %d ranks took %.0f ms from start to exit (min %.0f, max %.0f, "
           "%d launch%s); the first rank had spoken after %.0f ms", R->ranks, R->launch.median * 1e3,
           R->launch.min * 1e3, R->launch.max * 1e3, reps, reps == 1 ? "" : "es", R->first_line.median * 1e3);
    CHECK(mp_csv_row(&mpi_csv, "launch,%d,0,0,%.9f,0", R->ranks, R->launch.median));
}
