#define _GNU_SOURCE /* pipe2, posix_spawn_file_actions_addclosefrom_np */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
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
static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define NFATAL (sizeof fatal_signals / sizeof fatal_signals[0])

static void install_handlers(void);

int mp_registry_reserve(int flags)
{
    install_handlers();
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
    for (int i = 0, top = children_top; i < top; i++) {
        pid_t pid = children[i].pid;
        if (pid > 0)
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

/* Normal exit, like multiprocessing's atexit handler: terminate the daemon
 * children, join all the others, then clean up (which stops the forkserver). */
static void at_exit(void)
{
    for (int i = 0, top = children_top; i < top; i++) {
        pid_t pid = children[i].pid;
        int f = children[i].flags;
        if (pid > 0 && (f & MP_REG_DAEMON) && !(f & MP_REG_SERVER))
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
    atexit(at_exit);
    for (size_t i = 0; i < NFATAL; i++) {
        struct sigaction old, sa = {.sa_handler = on_fatal_signal};
        sigemptyset(&sa.sa_mask);
        /* respect a handler the program installed itself, and SIG_IGN
         * (nohup): only take over the default action */
        if (sigaction(fatal_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
            sigaction(fatal_signals[i], &sa, NULL);
    }
}

void mp_children_forget(void)
{
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

int mp_program_start(char *const argv[], pid_t *pid, int *stdout_fd)
{
    int out[2] = {-1, -1};
    if (stdout_fd && pipe2(out, O_CLOEXEC) != 0)
        return -errno;
    int slot = mp_registry_reserve(MP_REG_OWN);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (stdout_fd)
        posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    fflush(NULL);
    int rc = slot < 0 ? -slot : posix_spawnp(pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (out[1] >= 0)
        close(out[1]);
    if (rc != 0) {
        if (slot >= 0)
            mp_registry_release(slot);
        if (out[0] >= 0)
            close(out[0]);
        fprintf(stderr, "error: posix_spawnp %s: %s\n", argv[0], strerror(rc));
        return -rc;
    }
    mp_registry_publish(slot, *pid, -1);
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
