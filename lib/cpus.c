#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT: Linux-specific */
#include "cpus.h"

#include <errno.h>
#include <sched.h>
#include <unistd.h>

int mp_cpus_online(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

int mp_cpus_usable(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return mp_cpus_online();
    int n = CPU_COUNT(&set);
    return n < 1 ? 1 : n;
}

int mp_pin_to_cpu(int cpu)
{
    cpu_set_t set, one;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return -errno;
    CPU_ZERO(&one);
    for (int i = 0, seen = 0; i < CPU_SETSIZE; i++) {
        if (CPU_ISSET(i, &set) && seen++ == cpu) {
            CPU_SET(i, &one);
            return sched_setaffinity(0, sizeof one, &one) == 0 ? 0 : -errno;
        }
    }
    return -EINVAL;
}
