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
 * Three start methods, as in Python (set p->start before starting):
 *  - MP_START_FORK: the child is a copy of the parent (fork). It can run any
 *    function with any argument pointer, since it has a copy of everything.
 *  - MP_START_SPAWN: the child is a fresh run of this program (spawn.h). It
 *    has none of the parent's memory: the target must be registered by name
 *    in mp_spawn_main()'s table and its argument given as bytes
 *    (mp_process_set_args), as Python pickles them.
 *  - MP_START_FORKSERVER: a clean single-threaded server forks the child
 *    (forkserver.h); same rules as spawn.
 * Descriptors the child needs go with mp_process_pass_fd(); the child finds
 * them with mp_child_fd(i), whatever the start method.
 *
 * What the library guarantees, so that no lesson leaves anything behind:
 *  - A child that is never joined is still reaped when the program exits
 *    (non-daemon children are joined, daemon children are terminated first,
 *    as Python's atexit handler does). Until then an exited child is a
 *    zombie: lesson 01 shows one in /proc.
 *  - SIGINT, SIGTERM or SIGHUP to the parent kills its children (and the
 *    forkserver, whose children die with it), reaps them, runs the cleanup
 *    hooks (mp_on_cleanup), then the parent dies of the same signal, as it
 *    would have without us.
 *  - If the parent dies anyway (SIGKILL), the kernel kills its children
 *    (PR_SET_PDEATHSIG, Linux): no orphan keeps running. The kernel sends it
 *    when the *thread* that started the child exits, so start processes from
 *    a thread that outlives them (the main thread, normally).
 * (Linux-specific: pidfd_open, prctl.)
 */
#ifndef MP_PROCESS_H
#define MP_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define MP_FOREVER (-1.0) /* join timeout: wait as long as it takes */

/* Start methods, as --start names them. */
enum { MP_START_FORK = 0, MP_START_SPAWN = 1, MP_START_FORKSERVER = 2 };
extern const char *const mp_start_names[]; /* "fork", "spawn", "forkserver", NULL */

typedef int (*mp_target)(void *arg); /* its return value is the exit code */

typedef enum { MP_PROC_NEW, MP_PROC_RUNNING, MP_PROC_DONE } mp_process_state;

#define MP_PROCESS_MAX_FDS 8

typedef struct mp_process {
    char name[32];      /* "Process-3" unless given; the child's report role */
    mp_target target;
    void *arg;          /* fork: any pointer; spawn/forkserver: set with mp_process_set_args */
    const void *args;   /* the argument as bytes (copied into the child) */
    size_t args_len;
    bool daemon;        /* set before start: terminated when the parent exits */
    int start;          /* MP_START_FORK (default), MP_START_SPAWN, MP_START_FORKSERVER */
    int fds[MP_PROCESS_MAX_FDS]; /* descriptors handed to the child */
    int nfds;
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
 * these calls; the child finds it with mp_child_fd(i). Returns i or -ENOSPC. */
int mp_process_pass_fd(mp_process *p, int fd);

/* 0, or a negative errno with one line saying what went wrong:
 * -EALREADY (started twice), -EAGAIN (too many children), -EINVAL (spawn or
 * forkserver with a pointer argument, not bytes), -ENOENT (spawn or
 * forkserver with a target that mp_spawn_main's table does not name),
 * -EDEADLK (a spawned child starting processes before its main() reached
 * mp_spawn_main: the missing `__main__` guard), -EPROTO (the arguments did
 * not reach the child whole), or the failed system call's -errno. */
int mp_process_start(mp_process *p);

/* Wait for the child to end; timeout_s < 0 waits forever. Returns 0 once the
 * child has ended (p->exitcode is set), -ETIMEDOUT if it is still running,
 * -ECHILD if it was never started. Like Python, a timeout is not an error to
 * the child: it keeps running until you terminate it. */
int mp_process_join(mp_process *p, double timeout_s);

bool mp_process_is_alive(mp_process *p); /* reaps the child if it has ended */
int mp_process_terminate(mp_process *p); /* SIGTERM; 0 if already ended */
int mp_process_kill(mp_process *p);      /* SIGKILL; 0 if already ended */

/* How a child ends after its target returns: flush what it printed, then
 * _exit(code) (never exit(): the parent's atexit handlers are not its own). */
_Noreturn void mp_child_exit(int code);

/* Exit code from a waitpid() status: WEXITSTATUS, or -signal. */
int mp_exitcode_from_status(int wstatus);

/* Number of children started and not yet reaped by this process. */
int mp_active_children(void);

/* A hook run on normal exit and on SIGINT/SIGTERM/SIGHUP in the process that
 * registered it (never in its children). It must be async-signal-safe:
 * unlink(), close(), kill(), waitpid(), write(). Returns 0 or -ENOSPC. */
int mp_on_cleanup(void (*hook)(void));

/* The registry of live children, for spawn.c and forkserver.c: our own
 * children (waitpid), a forkserver's children (their status arrives on
 * status_fd) and the forkserver itself (stopped last, by its cleanup hook). */
enum { MP_REG_OWN = 0, MP_REG_DAEMON = 1, MP_REG_REMOTE = 2, MP_REG_SERVER = 4 };
int mp_registry_add(pid_t pid, int flags, int status_fd);
void mp_registry_remove(pid_t pid);

#endif
