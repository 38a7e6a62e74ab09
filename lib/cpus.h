/* cpus: how many processors there are, and how many this process may use.
 *
 * Layer 1 (system helpers).
 *
 * Mirrors os.cpu_count() (CPUs online) and os.process_cpu_count() /
 * len(os.sched_getaffinity(0)) (CPUs this process is allowed to run on).
 * They differ under `taskset -c 0`, in containers and in batch jobs; a pool
 * sized by the first number oversubscribes the CPUs it actually has.
 */
#ifndef MP_CPUS_H
#define MP_CPUS_H

int mp_cpus_online(void); /* sysconf(_SC_NPROCESSORS_ONLN) */
int mp_cpus_usable(void); /* CPUs in this process's affinity mask; at least 1 */

/* Pin the calling thread to one CPU (its index in the affinity mask is cpu).
 * Returns 0 or -errno. */
int mp_pin_to_cpu(int cpu);

#endif
