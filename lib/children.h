/* children: the registry of live children, and the clean-up that makes sure
 * none is left behind.
 *
 * Layer 1 (system helpers): it needs nothing but the C library, and every
 * layer above starts children through it -- the transports (layer 3) and
 * the outside programs a lesson runs (gnuplot from plot.c, python3).
 * Mirrors multiprocessing's bookkeeping of active
 * children (multiprocessing.active_children) and the atexit handler that
 * joins them. Every start method records its child here before it can block,
 * so that whatever happens next, the child is found:
 *  - at normal exit, daemon children are terminated and the others joined
 *    (as Python's atexit handler does), then the clean-up hooks run;
 *  - on SIGINT, SIGTERM or SIGHUP every child is killed and reaped, the hooks
 *    run, and the program dies of the same signal, as it would have;
 *  - mp_stop_children() does the same on demand: a program about to exit
 *    with an error calls it, so that exiting never waits for a child that
 *    will not end on its own.
 * A fixed table (MP_MAX_CHILDREN), because a signal handler must read it and
 * may not call malloc or take a lock.
 */
#ifndef MP_CHILDREN_H
#define MP_CHILDREN_H

#include <sys/types.h>

#define MP_MAX_CHILDREN 1024

/* What a registered child is: our own (reaped with waitpid), a forkserver's
 * (its status arrives on a descriptor), the forkserver itself (stopped last,
 * by its hook). */
enum { MP_REG_OWN = 0, MP_REG_DAEMON = 1, MP_REG_REMOTE = 2, MP_REG_SERVER = 4 };

/* Reserve a slot before starting a child: its index, or -EAGAIN when the
 * table is full (MP_MAX_CHILDREN children not yet joined). Installs the exit
 * and signal handlers on first use. */
int mp_registry_reserve(int flags);
/* The child exists (as soon as its PID is known): from now on it is stopped
 * at exit or on a signal. status_fd: a forkserver child's status descriptor. */
void mp_registry_publish(int slot, pid_t pid, int status_fd);
/* Give the slot back (a start that failed). */
void mp_registry_release(int slot);
/* reserve + publish in one step: 0 or -EAGAIN. */
int mp_registry_add(pid_t pid, int flags, int status_fd);
/* The child was reaped: forget it. */
void mp_registry_remove(pid_t pid);

/* Children started and not yet reaped (the forkserver not counted). */
int mp_active_children(void);

/* Kill every registered child and reap it (a forkserver's children die with
 * their server); then nothing is left for the exit handler to wait for. */
void mp_stop_children(void);

/* A hook run once, on normal exit or on SIGINT/SIGTERM/SIGHUP, in the process
 * that registered it (never in its children), newest first. It must be
 * async-signal-safe: unlink(), close(), kill(), waitpid(), write(). Returns
 * an id for mp_cleanup_remove, or -ENOSPC. */
int mp_on_cleanup(void (*hook)(void *ctx), void *ctx);
void mp_cleanup_remove(int id);

/* What a process of the kit does when it ends normally (atexit, and a
 * child's mp_child_exit, which skips atexit): terminate its daemon
 * children, join the others, run its clean-up hooks. Nothing in a process
 * whose registry is its parent's. */
void mp_children_at_exit(void);

/* In a freshly forked child: its parent's children and hooks are not its
 * own. (Writes only where something is set: copy on write.) */
void mp_children_forget(void);

/* Exit code from a waitpid() status, as Python reports it: the status given
 * to exit(), or -SIG when killed by signal SIG. */
int mp_exitcode_from_status(int wstatus);

/* waitpid(pid), retrying after signals. */
void mp_reap(pid_t pid);

/* Start the program at path as a child that dies with us: vfork and execve,
 * as posix_spawn does, plus PR_SET_PDEATHSIG asked for before execve (it
 * survives exec), so that even a program stuck before its main() runs dies
 * with its parent. fds[i] becomes descriptor 3 + i in it; nothing else is
 * open but 0, 1, 2. Handled signals go back to their default, ignored ones
 * stay ignored (as exec does). The PID, or -errno (reported). */
pid_t mp_exec_child(const char *path, char *const argv[], char *const env[], const int *fds, int nfds);

/* Where the program `name` is: name itself if it has a '/', else the first
 * executable match on $PATH, into path (len bytes). 0 or -ENOENT. */
int mp_find_program(const char *name, char *path, size_t len);

/* An outside program (gnuplot, python3), started as a registered child so
 * that a Ctrl-C or a SIGTERM stops it with the rest, and that dies with us
 * (mp_exec_child): argv[0] is looked up on the PATH. stdout_fd: NULL to
 * share our standard output, or where to put the read end of a pipe from
 * its standard output (close-on-exec). 0 or -errno (reported). Every
 * descriptor but 0, 1, 2 is closed in it. */
int mp_program_start(char *const argv[], pid_t *pid, int *stdout_fd);
/* Wait for it: its exit code (as mp_exitcode_from_status), or -errno. */
int mp_program_wait(pid_t pid);

#endif
