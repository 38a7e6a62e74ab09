/* The MPI program's main: start MPI, run one experiment, end MPI.
 *
 * For the tests, MPKIT_LESSON13_FAIL=R makes rank R exit with status 3 at
 * the start of every experiment but "hello": a rank that dies mid-job, as
 * a crash would. mpiexec then stops the other ranks and ends with status 3,
 * and the lesson must say so and stop, never wait. */
#include "ranks.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h> /* PR_SET_PDEATHSIG: Linux */
#include <time.h>
#include <unistd.h>

int rank, nranks;

void say(const char *fmt, ...)
{
    char line[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (n > (int)sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    /* one write for the whole line: a pipe never splits a write of up to
     * PIPE_BUF bytes, so mpiexec forwards it whole */
    for (ssize_t off = 0, k; off < n; off += k)
        if ((k = write(STDOUT_FILENO, line + off, (size_t)(n - off))) <= 0)
            return;
}

void quiet_barrier(void)
{
    MPI_Request r;
    MPI_Ibarrier(MPI_COMM_WORLD, &r);
    for (int done = 0;;) {
        MPI_Test(&r, &done, MPI_STATUS_IGNORE);
        if (done)
            return;
        nanosleep(&(struct timespec){0, 200000}, NULL); /* 0.2 ms */
    }
}

long number(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end) {
        say("error rank %d: '%s' is not a number", rank, s);
        exit(2);
    }
    return v;
}

void number_pair(const char *s, long *a, long *b)
{
    char first[32];
    const char *colon = strchr(s, ':');
    if (!colon || colon - s >= (long)sizeof first) {
        say("error rank %d: '%s' is not NUMBER:NUMBER", rank, s);
        exit(2);
    }
    snprintf(first, sizeof first, "%.*s", (int)(colon - s), s);
    *a = number(first);
    *b = number(colon + 1);
}

static const struct { const char *name; int (*run)(int argc, char **argv); } experiments[] = {
    {"hello", hello}, {"primes", primes}, {"pingpong", pingpong}, {"tasks", tasks},
};

int main(int argc, char **argv)
{
    /* This rank's parent is MPICH's proxy (hydra_pmi_proxy), which mpiexec
     * started. If it dies, so do we: no rank is ever left running alone. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        return 1; /* the proxy was already gone */
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    int (*run)(int, char **) = NULL;
    for (size_t i = 0; argc > 1 && i < sizeof experiments / sizeof experiments[0]; i++)
        if (strcmp(argv[1], experiments[i].name) == 0)
            run = experiments[i].run;
    if (!run) {
        if (rank == 0)
            say("error rank 0: no experiment '%s' (hello, primes, pingpong, tasks)", argc > 1 ? argv[1] : "");
        MPI_Finalize();
        return 2;
    }
    const char *fail = getenv("MPKIT_LESSON13_FAIL");
    if (fail && *fail && strcmp(argv[1], "hello") != 0 && atoi(fail) == rank) {
        say("error rank %d (pid %d): exiting with status 3, as MPKIT_LESSON13_FAIL asks", rank, (int)getpid());
        exit(3);
    }
    int rc = run(argc - 2, argv + 2);
    if (rc == 0 && rank == 0)
        say("done %s", argv[1]);
    MPI_Finalize();
    return rc;
}
