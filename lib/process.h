/* process: a function running in a child process.
 *
 * Mirrors multiprocessing.Process: init (Process(target, args, name)),
 * start, join with an optional timeout, is_alive, terminate, kill, daemon,
 * and exitcode exactly as Python reports it:
 *     0          the target returned 0
 *     N          the target returned N, or called exit(N)
 *     -SIG       the child was killed by signal SIG: -15 after terminate(),
 *                -9 after kill(), -11 after a segfault
 *
 * What the library guarantees, so that no lesson leaves anything behind:
 *  - A child that is never joined is still reaped when the program exits
 *    (non-daemon children are joined, daemon children are terminated first,
 *    as Python's atexit handler does). Until then an exited child is a
 *    zombie: lesson 01 shows one in /proc.
 *  - SIGINT, SIGTERM or SIGHUP to the parent kills and reaps its children,
 *    runs the cleanup hooks (mp_on_cleanup), then the parent dies of the same
 *    signal, as it would have without us.
 *  - If the parent dies anyway (SIGKILL), the kernel kills its children
 *    (PR_SET_PDEATHSIG, Linux): no orphan keeps running. The kernel sends it
 *    when the *thread* that forked exits, so start processes from a thread
 *    that outlives them (the main thread, normally).
 *
 * Only fork is here so far: the child is a copy of the parent, so it can run
 * any function with any argument pointer. (Linux-specific: pidfd_open, prctl.)
 */
#ifndef MP_PROCESS_H
#define MP_PROCESS_H

#include <stdbool.h>
#include <sys/types.h>

#define MP_FOREVER (-1.0) /* join timeout: wait as long as it takes */

/* Start methods, as --start names them. Index 0 is the default. */
enum { MP_START_FORK = 0 };
extern const char *const mp_start_names[]; /* NULL-ended */

typedef int (*mp_target)(void *arg); /* its return value is the exit code */

typedef enum { MP_PROC_NEW, MP_PROC_RUNNING, MP_PROC_DONE } mp_process_state;

typedef struct mp_process {
    char name[32];      /* "Process-3" unless given; the child's report role */
    mp_target target;
    void *arg;
    bool daemon;        /* set before start: terminated when the parent exits */
    pid_t pid;          /* 0 before start */
    int pidfd;          /* a descriptor that becomes readable when the child exits */
    int exitcode;       /* valid once state == MP_PROC_DONE */
    mp_process_state state;
} mp_process;

/* name may be NULL ("Process-N"). */
void mp_process_init(mp_process *p, const char *name, mp_target target, void *arg);

/* 0, -EALREADY (started twice), -EAGAIN (too many children), or -errno of a
 * failed fork (reported with the call's name). */
int mp_process_start(mp_process *p);

/* Wait for the child to end; timeout_s < 0 waits forever. Returns 0 once the
 * child has ended (p->exitcode is set), -ETIMEDOUT if it is still running,
 * -ECHILD if it was never started. Like Python, a timeout is not an error to
 * the child: it keeps running until you terminate it. */
int mp_process_join(mp_process *p, double timeout_s);

bool mp_process_is_alive(mp_process *p); /* reaps the child if it has ended */
int mp_process_terminate(mp_process *p); /* SIGTERM; 0 if already ended */
int mp_process_kill(mp_process *p);      /* SIGKILL; 0 if already ended */

/* Exit code from a waitpid() status: WEXITSTATUS, or -signal. */
int mp_exitcode_from_status(int wstatus);

/* Number of children started and not yet reaped by this process. */
int mp_active_children(void);

/* A hook run on normal exit and on SIGINT/SIGTERM/SIGHUP in the process that
 * registered it (never in its children). It must be async-signal-safe:
 * unlink(), close(), kill(), write(). Returns 0 or -ENOSPC. */
int mp_on_cleanup(void (*hook)(void));

#endif
