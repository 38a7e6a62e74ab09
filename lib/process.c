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
#include "report.h"

const char *const mp_start_names[] = {"fork", NULL};

/* ---- the registry of live children ----
 * A fixed array, because the signal handler must read it and may not call
 * malloc or take a lock. A slot holds a pid (0 = free) and the daemon flag. */
#define MAX_CHILDREN 1024
static struct {
    _Atomic pid_t pid;
    _Atomic bool daemon;
} children[MAX_CHILDREN];

#define MAX_HOOKS 32
static void (*_Atomic hooks[MAX_HOOKS])(void);

static atomic_int process_counter; /* for "Process-N" names */
static atomic_bool installed;      /* atexit + signal handlers in place */
static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define NFATAL (sizeof fatal_signals / sizeof fatal_signals[0])

static bool registry_add(pid_t pid, bool daemon)
{
    for (int i = 0; i < MAX_CHILDREN; i++) {
        pid_t expect = 0;
        if (atomic_compare_exchange_strong(&children[i].pid, &expect, -1)) {
            children[i].daemon = daemon;
            children[i].pid = pid;
            return true;
        }
    }
    return false;
}

static void registry_remove(pid_t pid)
{
    for (int i = 0; i < MAX_CHILDREN; i++) {
        pid_t expect = pid;
        if (atomic_compare_exchange_strong(&children[i].pid, &expect, 0))
            return;
    }
}

int mp_active_children(void)
{
    int n = 0;
    for (int i = 0; i < MAX_CHILDREN; i++)
        n += children[i].pid > 0;
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

/* Normal exit, like multiprocessing's atexit handler: terminate the daemon
 * children, join all the others, then clean up. */
static void at_exit(void)
{
    for (int i = 0; i < MAX_CHILDREN; i++) {
        pid_t pid = children[i].pid;
        if (pid > 0 && children[i].daemon)
            kill(pid, SIGTERM);
    }
    for (int i = 0; i < MAX_CHILDREN; i++) {
        pid_t pid = atomic_exchange(&children[i].pid, 0);
        if (pid > 0)
            reap_blocking(pid);
    }
    run_hooks();
}

/* Ctrl-C and friends: nothing may be left behind. Only async-signal-safe
 * calls here (kill, waitpid, signal, raise, and the hooks). */
static void on_fatal_signal(int sig)
{
    int saved = errno;
    for (int i = 0; i < MAX_CHILDREN; i++) {
        pid_t pid = children[i].pid;
        if (pid > 0)
            kill(pid, SIGKILL);
    }
    for (int i = 0; i < MAX_CHILDREN; i++) {
        pid_t pid = atomic_exchange(&children[i].pid, 0);
        if (pid > 0)
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
    for (int i = 0; i < MAX_CHILDREN; i++)
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
    p->state = MP_PROC_NEW;
}

static _Noreturn void run_child(mp_process *p, pid_t parent)
{
    reset_in_child();
    /* if the parent dies, so do we; it may already have died before prctl */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(128 + SIGKILL);
    mp_set_role(p->name);
    int code = p->target(p->arg);
    /* _exit, not exit: the atexit handlers and stdio buffers we inherited
     * belong to the parent. Flush only what this child printed, and only if
     * it printed anything: fflush() writes to the FILE (its lock), a copy on
     * write fault that a silent child need not pay. */
    if (__fpending(stdout))
        fflush(stdout);
    if (__fpending(stderr))
        fflush(stderr);
    _exit(code & 0xff);
}

int mp_process_start(mp_process *p)
{
    if (p->state != MP_PROC_NEW)
        return -EALREADY; /* Python: "cannot start a process twice" */
    install_handlers();
    /* Anything still in stdio's buffer would be printed twice: once by the
     * parent and once by the child, which gets a copy of the buffer. */
    fflush(NULL);

    /* A Ctrl-C that lands between fork() and registry_add() finds the new
     * child missing from the registry; the child still dies with us, since
     * it asked for PR_SET_PDEATHSIG first thing. */
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        run_child(p, parent);
    int rc = 0;
    if (pid < 0) {
        rc = -errno;
        mp_syserr("fork", rc);
    } else if (!registry_add(pid, p->daemon)) {
        kill(pid, SIGKILL);
        reap_blocking(pid);
        rc = -EAGAIN;
    } else {
        p->pid = pid;
        p->pidfd = pidfd_open(pid, 0); /* -1 on kernels before 5.3: join polls */
        p->state = MP_PROC_RUNNING;
    }
    return rc;
}

static void finish(mp_process *p, int wstatus)
{
    p->exitcode = mp_exitcode_from_status(wstatus);
    p->state = MP_PROC_DONE;
    registry_remove(p->pid);
    if (p->pidfd >= 0)
        close(p->pidfd);
    p->pidfd = -1;
}

/* 1 if reaped now, 0 if still running, -errno on error. */
static int try_reap(mp_process *p)
{
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
            registry_remove(p->pid);
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
    if (timeout_s < 0) {
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
    uint64_t deadline = mp_now_ns() + (uint64_t)(timeout_s * 1e9);
    for (;;) {
        int rc = try_reap(p);
        if (rc != 0)
            return rc > 0 ? 0 : rc;
        uint64_t now = mp_now_ns();
        if (now >= deadline)
            return -ETIMEDOUT;
        if (p->pidfd >= 0) {
            /* the pidfd becomes readable when the child exits: sleep until then */
            struct pollfd pfd = {.fd = p->pidfd, .events = POLLIN};
            int ms = (int)((deadline - now + 999999) / 1000000);
            if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
                return -errno;
        } else {
            mp_sleep_ns(1000000); /* no pidfd: poll every millisecond */
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
    if (p->state == MP_PROC_DONE)
        return 0;
    /* safe against PID reuse: the child is ours and not yet reaped, so its
     * PID cannot have been given to another process */
    if (kill(p->pid, sig) != 0) {
        int e = errno;
        mp_syserr("kill", e);
        return -e;
    }
    return 0;
}

int mp_process_terminate(mp_process *p) { return send_signal(p, SIGTERM); }
int mp_process_kill(mp_process *p) { return send_signal(p, SIGKILL); }
