/* procfs: what the kernel says about a process, read from /proc.
 *
 * Layer 1 (system helpers).
 *
 * No Python counterpart in multiprocessing (psutil has it): lessons use it to
 * show what the API hides -- a zombie (state Z) waiting to be reaped, a
 * parent PID, the memory a child really uses. Tests use it to prove that
 * nothing was left behind. Linux-specific.
 */
#ifndef MP_PROCFS_H
#define MP_PROCFS_H

#include <sys/types.h>

/* The state letter of /proc/PID/stat: R running, S sleeping, Z zombie, ...
 * '\0' if there is no such process (it was reaped). */
char mp_proc_state(pid_t pid);

/* Parent PID of pid, or -errno. */
pid_t mp_proc_ppid(pid_t pid);

/* The children of `parent` (PIDs into pids, at most max); returns how many
 * there are (which may exceed max), or -errno. zombies may be NULL. */
int mp_proc_children_of(pid_t parent, pid_t *pids, int max, int *zombies);

/* Resident and proportional memory of pid, in KiB, from
 * /proc/PID/smaps_rollup. RSS counts every page the process maps, shared or
 * not; PSS divides each shared page among the processes sharing it, so the
 * PSS of all processes adds up to the memory really used. 0 or -errno. */
int mp_proc_memory(pid_t pid, long *rss_kib, long *pss_kib);

/* Children of this process, and how many of them are zombies. */
int mp_proc_count_children(int *zombies);

#endif
