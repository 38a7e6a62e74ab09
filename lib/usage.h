/* usage: what the kernel counted for a process: CPU time spent in user mode
 * and in the kernel, and context switches.
 *
 * Mirrors Python's resource.getrusage(resource.RUSAGE_SELF) and
 * getrusage(resource.RUSAGE_CHILDREN): ru_utime, ru_stime, ru_nvcsw,
 * ru_nivcsw. Wall time says how long you waited; these say what the machine
 * did meanwhile:
 *  - user time is your code running, system time the kernel working for it
 *    (page faults, starting processes, sleeping and waking);
 *  - a voluntary context switch is a thread giving its CPU up because it
 *    waits (a sleep, a join, a lock); an involuntary one is the scheduler
 *    taking the CPU away because another thread's turn came. More busy
 *    threads than CPUs make the involuntary ones climb.
 * SELF covers every thread of this process, ended threads included.
 * CHILDREN covers only the children this process has reaped (and what they
 * reaped): never a child still running, nor a child of another process --
 * the workers a forkserver starts are its children, so they count there.
 */
#ifndef MP_USAGE_H
#define MP_USAGE_H

typedef struct mp_usage {
    double user_s, sys_s;     /* CPU seconds in user mode, in the kernel */
    long voluntary;           /* context switches: gave the CPU up to wait */
    long involuntary;         /* context switches: the scheduler took the CPU */
} mp_usage;

typedef enum { MP_USAGE_SELF, MP_USAGE_CHILDREN, MP_USAGE_BOTH } mp_usage_who;

/* The totals so far for this process, its reaped children, or both added.
 * Returns 0 or -errno (*u is zeroed then). */
int mp_usage_get(mp_usage_who who, mp_usage *u);

/* What happened between two snapshots: after - before, field by field. */
mp_usage mp_usage_since(const mp_usage *before, const mp_usage *after);

/* user_s + sys_s */
static inline double mp_usage_cpu_s(const mp_usage *u) { return u->user_s + u->sys_s; }

#endif
