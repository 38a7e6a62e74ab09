/* A sample submission for the grading test: a fork bomb. Every process
 * forks without end; at the process limit fork fails and they spin. The
 * sandbox must stop them all, every time, without harming the machine. */
#include <unistd.h>

int reap_all(void)
{
    for (;;)
        fork();
    return 0;
}
