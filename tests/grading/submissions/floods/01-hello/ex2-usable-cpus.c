/* A sample submission for the grading test: prints without end. The
 * output limit must stop it. */
#include <stdio.h>

int usable_cpus(void)
{
    for (;;)
        puts("still counting CPUs...");
    return 1;
}
