#define _GNU_SOURCE /* pipe2, vfork, close_range, PR_SET_PDEATHSIG: Linux */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "children.h"

extern char **environ;

/* A slot holds a pid (0 = free, -1 = reserved, not yet started), its MP_REG_
 * flags and, for a forkserver's child, the descriptor its status arrives on. */
static struct {
    _Atomic pid_t pid;
    _Atomic int flags;
    _Atomic int status_fd;
} children[MP_MAX_CHILDREN];
/* Slots at or above this were never used: every scan stops here. (A forked
 * child reading all the slots would fault in pages it never needs.) */
static atomic_int children_top;

#define MAX_HOOKS 32
static struct {
    atomic_bool used;          /* claimed first, so that ctx is set before fn */
    void (*_Atomic fn)(void *);
    void *_Atomic ctx;
} hooks[MAX_HOOKS];

static atomic_bool installed; /* atexit + signal handlers in place */
/* The process the registry belongs to. A child made by a plain fork() (not
 * by the kit, which makes its children forget) carries a copy of the
 * registry and of the exit handler: it must not stop its parent's
 * children when it exits or is stopped. */
static _Atomic pid_t registry_owner;
static bool registry_mine(void) { return atomic_load(&registry_owner) == getpid(); }
static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define NFATAL (sizeof fatal_signals / sizeof fatal_signals[0])

static void install_handlers(void);

int mp_registry_reserve(int flags)
{
    install_handlers();
    if (!registry_mine()) /* first child of a plain fork() of ours: a registry of its own */
        mp_children_forget();
    for (int i = 0; i < MP_MAX_CHILDREN; i++) {
        pid_t expect = 0;
        if (atomic_compare_exchange_strong(&children[i].pid, &expect, -1)) {
            int top = atomic_load(&children_top);
            while (top < i + 1 && !atomic_compare_exchange_weak(&children_top, &top, i + 1))
                ;
            children[i].flags = flags;
            children[i].status_fd = -1;
            return i;
        }
    }
    return -EAGAIN;
}

void mp_registry_publish(int slot, pid_t pid, int status_fd)
{
    children[slot].status_fd = status_fd;
    children[slot].pid = pid;
}

void mp_registry_release(int slot) { children[slot].pid = 0; }

int mp_registry_add(pid_t pid, int flags, int status_fd)
{
    int slot = mp_registry_reserve(flags);
    if (slot < 0)
        return slot;
    mp_registry_publish(slot, pid, status_fd);
    return 0;
}

void mp_registry_remove(pid_t pid)
{
    for (int i = 0, top = children_top; i < top; i++) {
        pid_t expect = pid;
        if (atomic_compare_exchange_strong(&children[i].pid, &expect, 0))
            return;
    }
}

int mp_active_children(void)
{
    int n = 0;
    for (int i = 0, top = children_top; i < top; i++)
        n += children[i].pid > 0 && !(children[i].flags & MP_REG_SERVER);
    return n;
}

int mp_on_cleanup(void (*hook)(void *), void *ctx)
{
    /* a hook must run even in a program that never starts a child */
    install_handlers();
    if (!registry_mine()) /* a plain fork() of ours: the hooks it inherited are not its own */
        mp_children_forget();
    for (int i = 0; i < MAX_HOOKS; i++) {
        bool expect = false;
        if (atomic_compare_exchange_strong(&hooks[i].used, &expect, true)) {
            hooks[i].ctx = ctx;
            hooks[i].fn = hook;
            return i;
        }
    }
    return -ENOSPC;
}

void mp_cleanup_remove(int id)
{
    if (id >= 0 && id < MAX_HOOKS) {
        hooks[id].fn = NULL;
        hooks[id].used = false;
    }
}

static void run_hooks(void)
{
    for (int i = MAX_HOOKS - 1; i >= 0; i--) {
        void (*h)(void *) = atomic_exchange(&hooks[i].fn, NULL);
        if (h)
            h(hooks[i].ctx);
    }
}

void mp_reap(pid_t pid)
{
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

/* A forkserver's child has ended once its status (or EOF) can be read. */
static void wait_remote(int status_fd)
{
    int st;
    while (read(status_fd, &st, sizeof st) < 0 && errno == EINTR)
        ;
    close(status_fd);
}

/* Kill every child (the forkserver too: its children die with it, by their
 * death signal), then reap our own. Async-signal-safe: the signal handler's
 * path. The forkserver is reaped by its own hook. */
static void kill_and_reap_all(void)
{
    if (!registry_mine())
        return;
    for (int i = 0, top = children_top; i < top; i++) {
        pid_t pid = children[i].pid;
        /* not a forkserver's child: the server may have reaped it already,
         * and its PID may be someone else's by now; it dies with its server */
        if (pid > 0 && !(children[i].flags & MP_REG_REMOTE))
            kill(pid, SIGKILL);
    }
    for (int i = 0, top = children_top; i < top; i++) {
        if (children[i].flags & MP_REG_SERVER)
            continue;
        pid_t pid = children[i].pid;
        if (pid <= 0 || !atomic_compare_exchange_strong(&children[i].pid, &pid, 0))
            continue;
        if (!(children[i].flags & MP_REG_REMOTE)) /* the server's die with the server */
            mp_reap(pid);
    }
}

void mp_stop_children(void) { kill_and_reap_all(); }

/* A forkserver's child whose status is waiting has ended, and the server
 * reaped it: its PID may already be another process's. (poll: signal-safe) */
static bool remote_ended(int status_fd)
{
    struct pollfd pfd = {.fd = status_fd, .events = POLLIN};
    return poll(&pfd, 1, 0) != 0;
}

/* Normal exit, like multiprocessing's atexit handler: terminate the daemon
 * children, join all the others, then clean up (which stops the forkserver). */
static void at_exit(void) { mp_children_at_exit(); }

void mp_children_at_exit(void)
{
    if (!registry_mine())
        return; /* a plain fork() of a program of the kit: its parent's children are not its own */
    for (int i = 0, top = children_top; i < top; i++) {
        pid_t pid = children[i].pid;
        int f = children[i].flags;
        if (pid > 0 && (f & MP_REG_DAEMON) && !(f & MP_REG_SERVER) &&
            !((f & MP_REG_REMOTE) && remote_ended(children[i].status_fd)))
            kill(pid, SIGTERM);
    }
    for (int i = 0, top = children_top; i < top; i++) {
        if (children[i].flags & MP_REG_SERVER)
            continue; /* stopped last, by its cleanup hook */
        pid_t pid = children[i].pid;
        if (pid <= 0 || !atomic_compare_exchange_strong(&children[i].pid, &pid, 0))
            continue;
        if (children[i].flags & MP_REG_REMOTE)
            wait_remote(children[i].status_fd);
        else
            mp_reap(pid);
    }
    run_hooks();
}

/* Ctrl-C and friends: nothing may be left behind. Only async-signal-safe
 * calls here (kill, waitpid, signal, raise, and the hooks). */
static void on_fatal_signal(int sig)
{
    int saved = errno;
    kill_and_reap_all();
    if (registry_mine()) /* a plain fork() of ours: the hooks it inherited are not its own */
        run_hooks();
    /* die of the same signal, so our parent (the shell, make) sees why */
    signal(sig, SIG_DFL);
    raise(sig);
    errno = saved;
}

static void install_handlers(void)
{
    if (atomic_exchange(&installed, true))
        return;
    atomic_store(&registry_owner, getpid());
    atexit(at_exit);
    for (size_t i = 0; i < NFATAL; i++) {
        struct sigaction old, sa = {.sa_handler = on_fatal_signal};
        sigemptyset(&sa.sa_mask);
        for (size_t k = 0; k < NFATAL; k++) /* a second Ctrl-C waits for the first clean-up */
            sigaddset(&sa.sa_mask, fatal_signals[k]);
        /* respect a handler the program installed itself, and SIG_IGN
         * (nohup): only take over the default action */
        if (sigaction(fatal_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
            sigaction(fatal_signals[i], &sa, NULL);
    }
}

void mp_children_forget(void)
{
    atomic_store(&registry_owner, getpid());
    for (int i = 0, top = children_top; i < top; i++)
        if (children[i].pid != 0)
            children[i].pid = 0;
    for (int i = 0; i < MAX_HOOKS; i++)
        if (hooks[i].used) {
            hooks[i].fn = NULL;
            hooks[i].used = false;
        }
}

int mp_exitcode_from_status(int wstatus)
{
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus))
        return -WTERMSIG(wstatus);
    return 0;
}

/* The new child, between vfork and exec: it shares our memory until exec,
 * so it only makes system calls. */
static _Noreturn void exec_in_child(pid_t parent, const char *path, char *const argv[], char *const env[],
                                    const int *fds, int nfds, int out, const sigset_t *mask)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    if (out >= 0 && dup2(out, STDOUT_FILENO) < 0)
        _exit(127);
    for (int i = 0; i < nfds; i++)
        if (dup2(fds[i], 3 + i) < 0) /* dup2 clears close-on-exec */
            _exit(127);
    close_range(3 + (unsigned)nfds, ~0u, 0); /* nothing else reaches the child */
    /* our handlers are not the child's: defaults; what is ignored stays so */
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_IGN &&
            sa.sa_handler != SIG_DFL)
            signal(sig, SIG_DFL);
    }
    sigprocmask(SIG_SETMASK, mask, NULL);
    execve(path, argv, env);
    _exit(127);
}

/* vfork and exec, in a function of its own: the child borrows this stack
 * frame until exec, so the caller's variables stay out of its reach. */
static pid_t vfork_exec(const char *path, char *const argv[], char *const env[], const int *fds, int nfds, int out)
{
    /* no signal handler may run in the child before exec: block them all */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    /* the program starts with SIGPIPE unblocked, as from a shell: a thread
     * that sent on a one-way mp_pipe keeps it blocked (pipe.h) */
    sigset_t child_mask = old;
    sigdelset(&child_mask, SIGPIPE);
    pid_t me = getpid();
    pid_t child = vfork();
    if (child == 0)
        exec_in_child(me, path, argv, env, fds, nfds, out, &child_mask);
    int e = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return child;
}

static pid_t exec_reported(const char *path, char *const argv[], char *const env[], const int *fds, int nfds,
                           int out)
{
    pid_t pid = vfork_exec(path, argv, env, fds, nfds, out);
    if (pid < 0) {
        int e = errno;
        fprintf(stderr, "error: vfork for %s: %s\n", argv[0], strerror(e));
        return -e;
    }
    return pid;
}

pid_t mp_exec_child(const char *path, char *const argv[], char *const env[], const int *fds, int nfds)
{
    return exec_reported(path, argv, env, fds, nfds, -1);
}

int mp_find_program(const char *name, char *path, size_t len)
{
    if (strchr(name, '/'))
        return snprintf(path, len, "%s", name) < (int)len ? 0 : -ENAMETOOLONG;
    const char *dirs = getenv("PATH");
    for (const char *d = dirs ? dirs : "/usr/bin:/bin"; *d;) {
        size_t n = strcspn(d, ":");
        if (snprintf(path, len, "%.*s/%s", (int)n, d, name) < (int)len && access(path, X_OK) == 0)
            return 0;
        d += n + (d[n] == ':');
    }
    return -ENOENT;
}

int mp_program_start(char *const argv[], pid_t *pid, int *stdout_fd)
{
    char path[4096];
    int rc = mp_find_program(argv[0], path, sizeof path); /* here, not in the child: it may not allocate */
    if (rc != 0) {
        fprintf(stderr, "error: %s: %s\n", argv[0], strerror(-rc));
        return rc;
    }
    int out[2] = {-1, -1};
    if (stdout_fd && pipe2(out, O_CLOEXEC) != 0) {
        rc = -errno;
        fprintf(stderr, "error: pipe2 for %s: %s\n", argv[0], strerror(-rc));
        return rc;
    }
    int slot = mp_registry_reserve(MP_REG_OWN);
    if (slot < 0) {
        fprintf(stderr, "error: %s: %d children are running or not yet joined (MP_MAX_CHILDREN)\n", argv[0],
                MP_MAX_CHILDREN);
        rc = slot;
    } else {
        fflush(NULL);
        pid_t child = exec_reported(path, argv, environ, NULL, 0, out[1]);
        if (child < 0)
            rc = (int)child;
        else
            mp_registry_publish(slot, *pid = child, -1);
    }
    if (out[1] >= 0)
        close(out[1]);
    if (rc != 0) {
        if (slot >= 0)
            mp_registry_release(slot);
        if (out[0] >= 0)
            close(out[0]);
        return rc;
    }
    if (stdout_fd)
        *stdout_fd = out[0];
    return 0;
}

int mp_program_wait(pid_t pid)
{
    int st;
    pid_t r;
    do
        r = waitpid(pid, &st, 0);
    while (r < 0 && errno == EINTR);
    int e = errno;
    mp_registry_remove(pid);
    return r < 0 ? -e : mp_exitcode_from_status(st);
}
