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
 * Layer 4 (the Python-shaped primitives), on top of the three transports
 * (layer 3) that it picks from a table:
 *  - MP_START_FORK: the child is a copy of the parent (fork). It can run any
 *    function with any argument pointer, since it has a copy of everything.
 *  - MP_START_SPAWN: the child is a fresh run of this program (spawn.h). It
 *    has none of the parent's memory: the target must be registered by name
 *    (entry.h, mp_spawn_main's table) and its argument given as bytes
 *    (mp_process_set_args), as Python pickles them.
 *  - MP_START_FORKSERVER: a clean single-threaded server forks the child
 *    (forkserver.h); same rules as spawn.
 * Descriptors the child needs go with mp_process_pass_fd(); the child finds
 * them with mp_child_fd(i), whatever the start method. A child gets those
 * and 0, 1, 2, nothing else: a spawned or forkserver child because only
 * they are sent, a forked child because it closes the rest first thing
 * (p->inherit_fds = true keeps everything a fork copied), so no child holds
 * an end of a pipe it does not know about (and a reader's EOF never waits
 * for it).
 *
 * What the library guarantees, so that no lesson leaves anything behind
 * (children.h does the bookkeeping):
 *  - A child that is never joined is still reaped when the program exits
 *    (non-daemon children are joined, daemon children are terminated first,
 *    as Python's atexit handler does). Until then an exited child is a
 *    zombie: lesson 01 shows one in /proc.
 *  - SIGINT, SIGTERM or SIGHUP to the parent kills its children (and the
 *    forkserver, whose children die with it), reaps them, runs the cleanup
 *    hooks, then the parent dies of the same signal, as it would have.
 *  - If the parent dies anyway (SIGKILL), the kernel kills its children
 *    (PR_SET_PDEATHSIG, Linux): no orphan keeps running.
 *
 * Which thread starts a child matters: the kernel sends that death signal
 * when the *thread* that started the child exits, not only when the whole
 * process does. A child started from a short-lived thread is killed when
 * that thread returns. So start processes from a thread that outlives them:
 * the main thread, or -- for a pool that replaces dead workers from a helper
 * thread -- a helper thread that lives as long as the pool and joins every
 * worker it started before it returns (tests/lib/test_children.c shows both
 * sides). A forked child asks for its death signal as its first act; a
 * starting thread that may end soon after a start should first hear from
 * the child (a byte on a pipe) so that the request has been made.
 * (Linux-specific: pidfd_open, prctl.)
 */
#ifndef MP_PROCESS_H
#define MP_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "children.h"
#include "entry.h"
#include "request.h"

#define MP_FOREVER (-1.0) /* join timeout: wait as long as it takes */

/* Start methods, as --start names them. */
enum { MP_START_FORK = 0, MP_START_SPAWN = 1, MP_START_FORKSERVER = 2 };
extern const char *const mp_start_names[]; /* "fork", "spawn", "forkserver", NULL */

typedef enum { MP_PROC_NEW, MP_PROC_RUNNING, MP_PROC_DONE } mp_process_state;

typedef struct mp_process {
    char name[32];      /* "Process-3" unless given; the child's report role */
    mp_target target;
    void *arg;          /* fork: any pointer; spawn/forkserver: set with mp_process_set_args */
    const void *args;   /* the argument as bytes (copied into the child) */
    size_t args_len;
    bool daemon;        /* set before start: terminated when the parent exits */
    int start;          /* MP_START_FORK (default), MP_START_SPAWN, MP_START_FORKSERVER */
    int fds[MP_MAX_FDS]; /* descriptors handed to the child */
    int nfds;
    bool inherit_fds;   /* fork only: keep every descriptor fork copied (default: only fds) */
    pid_t pid;          /* 0 before start */
    int pidfd;          /* readable when our own child exits (fork, spawn) */
    int status_fd;      /* forkserver: the server writes the wait status here */
    int exitcode;       /* valid once state == MP_PROC_DONE */
    mp_process_state state;
} mp_process;

/* The start method new processes get (multiprocessing.set_start_method);
 * fork unless changed. Lessons set it from --start. */
void mp_set_start_method(int method);
int mp_get_start_method(void);

/* name may be NULL ("Process-N"). p->start is the default start method. */
void mp_process_init(mp_process *p, const char *name, mp_target target, void *arg);

/* The argument as `len` bytes at `bytes` (kept by the caller until start):
 * the child's target receives a pointer to its own copy. Required for spawn
 * and forkserver whenever the target takes an argument. */
void mp_process_set_args(mp_process *p, const void *bytes, size_t len);

/* Hand descriptor fd to the child, as number i = 0, 1, ... in the order of
 * these calls; the child finds it with mp_child_fd(i). Returns i, -EBADF
 * (fd is not open) or -ENOSPC (more than MP_MAX_FDS). */
int mp_process_pass_fd(mp_process *p, int fd);

/* 0, or a negative errno with one line on stderr saying what went wrong:
 * -EALREADY (started twice), -EAGAIN (MP_MAX_CHILDREN children not yet
 * joined, or the system's process limit), -EINVAL (spawn or forkserver with
 * a pointer argument, not bytes), -E2BIG (arguments over MP_MAX_ARGS_BYTES),
 * -ENOENT (spawn or forkserver with a target that mp_spawn_main's table
 * does not name), -EDEADLK (a spawned child starting processes before its
 * main() reached mp_spawn_main: the missing `__main__` guard), -EPROTO (the
 * arguments did not reach the child whole), -ECHILD (a spawned child ended
 * before it reached mp_spawn_main), -EPIPE (the forkserver died), or the
 * failed system call's -errno. */
int mp_process_start(mp_process *p);

/* Wait for the child to end; timeout_s < 0 waits forever. Returns 0 once the
 * child has ended (p->exitcode is set), -ETIMEDOUT if it is still running,
 * -ECHILD if it was never started. Like Python, a timeout is not an error to
 * the child: it keeps running until you terminate it. */
int mp_process_join(mp_process *p, double timeout_s);

bool mp_process_is_alive(mp_process *p); /* reaps the child if it has ended */
int mp_process_terminate(mp_process *p); /* SIGTERM; 0 if already ended */
int mp_process_kill(mp_process *p);      /* SIGKILL; 0 if already ended */

#endif
