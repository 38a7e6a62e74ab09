/* Exercise 01.2 -- how many CPUs may this process use?
 *
 * sysconf(_SC_NPROCESSORS_ONLN) counts the CPUs the machine has online: what
 * Python's os.cpu_count() says. But a process may be allowed on fewer:
 * `taskset -c 0 ./prog`, a container's cpuset, a batch scheduler. The CPUs
 * it may run on are its affinity mask (sched_getaffinity), which Python 3.13
 * reports as os.process_cpu_count() and uses to size Pool().
 *
 * Why it matters: a pool sized by the first number on a machine that gives
 * you one CPU starts N workers that fight over that one CPU.
 *
 * Return the number of CPUs in this process's affinity mask, or -1 if
 * sched_getaffinity fails. Test: make check-1
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT: Linux */
#include <sched.h>

int usable_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) /* 0: the calling process */
        return -1;
    return CPU_COUNT(&set);
}
