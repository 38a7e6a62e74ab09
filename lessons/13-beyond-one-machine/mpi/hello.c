/* Part 1: every rank says who it is -- its rank, its process ID, the
 * machine it runs on and its parent (MPICH's proxy on that machine). */
#include "ranks.h"

#include <unistd.h>

int hello(int argc, char **argv)
{
    (void)argc, (void)argv;
    char host[256] = "?";
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    say("hello %d %d %d %d %s", rank, nranks, (int)getpid(), (int)getppid(), host);
    /* rank 0 says "done" only after every rank has spoken */
    MPI_Barrier(MPI_COMM_WORLD);
    return 0;
}
