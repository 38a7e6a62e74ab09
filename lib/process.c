#define _GNU_SOURCE /* pidfd_open, PR_SET_PDEATHSIG: Linux-specific */
#include "process.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdio_ext.h> /* __fpending: glibc and musl */
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "forkserver.h"
#include "report.h"
#include "spawning.h"

const char *const mp_start_names[] = {"fork", "spawn", "forkserver", NULL};

/* ---- the registry of live children ----
 * A fixed array, because the signal handler must read it and may not call
 * malloc or take a lock. A slot holds a pid (0 = free), its MP_REG_ flags and,
 * for a forkserver's child, the descriptor its status arrives on. */
#define MAX_CHILDREN 1024
static struct {
    _Atomic pid_t pid;
    _Atomic int flags;
    _Atomic int status_fd;
} children[MAX_CHILDREN];
/* Slots at or above this were never used: every scan stops here. (A forked
 * child reading all 1024 slots would fault in pages it never needs.) */
static atomic_int children_top;

#define MAX_HOOKS 32
static void (*_Atomic hooks[MAX_HOOKS])(void);

static atomic_int process_counter; /* for "Process-N" names */
static int default_start = MP_START_FORK;

void mp_set_start_method(int method)
{
    if (method >= MP_START_FORK && method <= MP_START_FORKSERVER)
        default_start = method;
}

int mp_get_start_method(void) { return default_start; }
static atomic_bool installed;      /* atexit + signal handlers in place */
static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define NFATAL (sizeof fatal_signals / sizeof fatal_signals[0])

int mp_registry_add(pid_t pid, int flags, int status_fd)
{
    for (int i = 0; i < MAX_CHILDREN; i++) {
        pid_t expect = 0;
        if (atomic_compare_exchange_strong(&children[i].pid, &expect, -1)) {
            int top = atomic_load(&children_top);
            while (top < i + 1 && !atomic_compare_exchange_weak(&children_top, &top, i + 1))
                ;
            children[i].flags = flags;
            children[i].status_fd = status_fd;
            children[i].pid = pid;
            return 0;
        }
    }
    return -EAGAIN;
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

int mp_on_cleanup(void (*hook)(void))
{
    for (int i = 0; i < MAX_HOOKS; i++) {
        void (*expect)(void) = NULL;
        if (atomic_compare_exchange_strong(&hooks[i], &expect, hook))
            return 0;
    }
    return -ENOSPC;
}

static void run_hooks(void)
{
    for (int i = MAX_HOOKS - 1; i >= 0; i--) {
        void (*h)(void) = atomic_exchange(&hooks[i], NULL);
        if (h)
            h();
    }
}

static void reap_blocking(pid_t pid)
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
        pid_t pid = atomic_exchange(&children[i].pid, 0);
        if (pid <= 0)
            continue;
        if (children[i].flags & MP_REG_REMOTE)
            wait_remote(children[i].status_fd);
        else
            reap_blocking(pid);
    }
    run_hooks();
}

/* Ctrl-C and friends: nothing may be left behind. Only async-signal-safe
 * calls here (kill, waitpid, signal, raise, and the hooks). */
static void on_fatal_signal(int sig)
{
    int saved = errno;
    for (int i = 0, top = children_top; i < top; i++) {
        pid_t pid = children[i].pid;
        if (pid > 0)
            kill(pid, SIGKILL);
    }
    for (int i = 0, top = children_top; i < top; i++) {
        pid_t pid = atomic_exchange(&children[i].pid, 0);
        if (pid > 0 && !(children[i].flags & MP_REG_REMOTE)) /* the server reaps its own */
            reap_blocking(pid);
    }
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

/* In a freshly forked child: it is not the parent of its parent's children,
 * and it must not run its parent's cleanup hooks. With both lists empty, the
 * inherited signal handler and atexit handler do exactly what the default
 * would (die of the signal; exit), and serve the child's own children if it
 * starts some.
 * Write only where something is set: every page a new child writes to is
 * copied (copy on write), and each copy is a page fault that makes the kit's
 * fork slower than a bare fork (bench/bench_process). */
static void reset_in_child(void)
{
    for (int i = 0, top = children_top; i < top; i++)
        if (children[i].pid != 0)
            children[i].pid = 0;
    for (int i = 0; i < MAX_HOOKS; i++)
        if (hooks[i] != NULL)
            hooks[i] = NULL;
}

int mp_exitcode_from_status(int wstatus)
{
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus))
        return -WTERMSIG(wstatus);
    return 0;
}

void mp_process_init(mp_process *p, const char *name, mp_target target, void *arg)
{
    memset(p, 0, sizeof *p);
    if (name)
        snprintf(p->name, sizeof p->name, "%s", name);
    else
        snprintf(p->name, sizeof p->name, "Process-%d", atomic_fetch_add(&process_counter, 1) + 1);
    p->target = target;
    p->arg = arg;
    p->pidfd = -1;
    p->status_fd = -1;
    p->start = default_start;
    p->state = MP_PROC_NEW;
}

void mp_process_set_args(mp_process *p, const void *bytes, size_t len)
{
    p->args = bytes;
    p->args_len = bytes ? len : 0;
    p->arg = (void *)bytes; /* fork: the child's copy of the parent's memory has them */
}

int mp_process_pass_fd(mp_process *p, int fd)
{
    if (p->nfds >= MP_PROCESS_MAX_FDS)
        return -ENOSPC;
    p->fds[p->nfds] = fd;
    return p->nfds++;
}

static _Noreturn void run_child(mp_process *p, pid_t parent)
{
    reset_in_child();
    /* if the parent dies, so do we; it may already have died before prctl */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(128 + SIGKILL);
    mp_set_role(p->name);
    if (p->nfds > 0) /* same numbers: fork copied them all (no write when none: copy on write) */
        mp_set_child_fds(p->fds, p->nfds);
    mp_child_exit(p->target(p->arg));
}

_Noreturn void mp_child_exit(int code)
{
    /* _exit, not exit: the atexit handlers and stdio buffers a forked child
     * inherited belong to the parent. Flush only what this child printed,
     * and only if it printed anything: fflush() writes to the FILE (its
     * lock), a copy on write fault that a silent child need not pay. */
    if (__fpending(stdout))
        fflush(stdout);
    if (__fpending(stderr))
        fflush(stderr);
    _exit(code & 0xff);
}

static int start_fork(mp_process *p)
{
    /* A Ctrl-C that lands between fork() and the registry finds the new
     * child missing there; the child still dies with us, since it asked for
     * PR_SET_PDEATHSIG first thing. */
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        run_child(p, parent);
    if (pid < 0) {
        int e = errno;
        mp_syserr("fork", e);
        return -e;
    }
    p->pid = pid;
    if (mp_registry_add(pid, p->daemon ? MP_REG_DAEMON : MP_REG_OWN, -1) != 0) {
        kill(pid, SIGKILL);
        reap_blocking(pid);
        return -EAGAIN;
    }
    return 0;
}

/* Why a spawn or forkserver child cannot take this target, or 0. */
static int check_spawnable(const mp_process *p)
{
    if (!mp_spawn_name_of(p->target)) {
        mp_error("%s: %s needs the target in mp_spawn_main()'s table (MP_ENTRY), and main() must call "
               "mp_spawn_main() first", p->name, mp_start_names[p->start]);
        return -ENOENT;
    }
    if (p->arg && !p->args) {
        mp_error("%s: a pointer means nothing in another process: give %s the argument as bytes "
               "(mp_process_set_args)", p->name, mp_start_names[p->start]);
        return -EINVAL;
    }
    return 0;
}

static const char *start_error(int rc)
{
    switch (rc) {
    case -ENOENT: return "the child does not know the target's name (is it in mp_spawn_main's table?)";
    case -EPROTO: return "the arguments did not reach the child whole";
    case -ECHILD: return "the child ended before it reached mp_spawn_main()";
    case -ETIMEDOUT: return "the child did not answer within 30 s";
    default: return strerror(-rc);
    }
}

int mp_process_start(mp_process *p)
{
    if (p->state != MP_PROC_NEW)
        return -EALREADY; /* Python: "cannot start a process twice" */
    if (mp_spawn_bootstrapping()) {
        mp_error("an attempt has been made to start a new process before this spawned process has "
               "finished its bootstrapping phase: main() must call mp_spawn_main() first thing (the C form "
               "of `if __name__ == '__main__':`)");
        return -EDEADLK;
    }
    if (p->start < MP_START_FORK || p->start > MP_START_FORKSERVER)
        return -EINVAL;
    int rc = p->start == MP_START_FORK ? 0 : check_spawnable(p);
    if (rc != 0)
        return rc;
    install_handlers();
    /* Anything still in stdio's buffer would be printed twice: once by the
     * parent and once by a forked child, which gets a copy of the buffer. */
    fflush(NULL);

    if (p->start == MP_START_FORK) {
        rc = start_fork(p);
    } else if (p->start == MP_START_SPAWN) {
        rc = mp_spawn_launch(p);
        if (p->pid > 0 && rc != 0) { /* it will not run the target: clean it up */
            kill(p->pid, SIGKILL);
            reap_blocking(p->pid);
        } else if (rc == 0 && mp_registry_add(p->pid, p->daemon ? MP_REG_DAEMON : MP_REG_OWN, -1) != 0) {
            kill(p->pid, SIGKILL);
            reap_blocking(p->pid);
            rc = -EAGAIN;
        }
    } else {
        rc = mp_forkserver_start_child(p);
        if (rc == 0 && mp_registry_add(p->pid, MP_REG_REMOTE | (p->daemon ? MP_REG_DAEMON : 0), p->status_fd) != 0) {
            kill(p->pid, SIGKILL);
            rc = -EAGAIN;
        }
    }
    if (rc != 0) {
        if (p->start != MP_START_FORK)
            mp_error("%s: %s start failed: %s", p->name, mp_start_names[p->start], start_error(rc));
        p->pid = 0;
        return rc;
    }
    if (p->start != MP_START_FORKSERVER)
        p->pidfd = pidfd_open(p->pid, 0); /* -1 on kernels before 5.3: join polls */
    p->state = MP_PROC_RUNNING;
    return 0;
}

static void finish(mp_process *p, int wstatus)
{
    p->exitcode = mp_exitcode_from_status(wstatus);
    p->state = MP_PROC_DONE;
    mp_registry_remove(p->pid);
    if (p->pidfd >= 0)
        close(p->pidfd);
    if (p->status_fd >= 0)
        close(p->status_fd);
    p->pidfd = p->status_fd = -1;
}

/* A forkserver's child: its status, once the server has reaped it. */
static int try_remote(mp_process *p, int timeout_ms)
{
    struct pollfd pfd = {.fd = p->status_fd, .events = POLLIN};
    int r = poll(&pfd, 1, timeout_ms);
    if (r < 0)
        return errno == EINTR ? 0 : -errno;
    if (r == 0)
        return 0;
    int st;
    if (mp_read_full(p->status_fd, &st, sizeof st) != 0)
        st = SIGKILL; /* EOF: the server is gone, and took its children with it */
    finish(p, st);
    return 1;
}

/* 1 if reaped now, 0 if still running, -errno on error. */
static int try_reap(mp_process *p)
{
    if (p->status_fd >= 0)
        return try_remote(p, 0);
    int st;
    pid_t r;
    do
        r = waitpid(p->pid, &st, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == p->pid) {
        finish(p, st);
        return 1;
    }
    if (r < 0) {
        int e = errno;
        if (e == ECHILD) { /* reaped behind our back (e.g. SIGCHLD set to SIG_IGN) */
            p->state = MP_PROC_DONE;
            mp_registry_remove(p->pid);
        }
        return -e;
    }
    return 0;
}

int mp_process_join(mp_process *p, double timeout_s)
{
    if (p->state == MP_PROC_NEW)
        return -ECHILD;
    if (p->state == MP_PROC_DONE)
        return 0;
    if (timeout_s < 0 && p->status_fd < 0) {
        int st;
        pid_t r;
        do
            r = waitpid(p->pid, &st, 0);
        while (r < 0 && errno == EINTR);
        if (r < 0)
            return -errno;
        finish(p, st);
        return 0;
    }
    uint64_t deadline = timeout_s < 0 ? UINT64_MAX : mp_now_ns() + (uint64_t)(timeout_s * 1e9);
    for (;;) {
        int rc = try_reap(p);
        if (rc != 0)
            return rc > 0 ? 0 : rc;
        uint64_t now = mp_now_ns();
        if (now >= deadline)
            return -ETIMEDOUT;
        int ms = deadline == UINT64_MAX ? -1 : (int)((deadline - now + 999999) / 1000000);
        int fd = p->status_fd >= 0 ? p->status_fd : p->pidfd;
        if (fd >= 0) {
            /* both become readable when the child has ended: sleep until then */
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
                return -errno;
        } else {
            mp_sleep_ns(1000000); /* no pidfd: look every millisecond */
        }
    }
}

bool mp_process_is_alive(mp_process *p)
{
    if (p->state != MP_PROC_RUNNING)
        return false;
    return try_reap(p) == 0;
}

static int send_signal(mp_process *p, int sig)
{
    if (p->state == MP_PROC_NEW)
        return -ECHILD;
    if (p->state == MP_PROC_DONE || (p->status_fd >= 0 && try_reap(p) == 1))
        return 0;
    /* Our own child cannot be reaped behind our back, so its PID is still
     * its own. A forkserver's child is reaped by the server: we looked at its
     * status just now, which leaves a tiny window (as in Python). */
    if (kill(p->pid, sig) != 0) {
        int e = errno;
        if (e == ESRCH)
            return 0;
        mp_syserr("kill", e);
        return -e;
    }
    return 0;
}

int mp_process_terminate(mp_process *p) { return send_signal(p, SIGTERM); }
int mp_process_kill(mp_process *p) { return send_signal(p, SIGKILL); }
