#define _GNU_SOURCE /* pidfd_open: Linux-specific */
#include "process.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "fd.h"
#include "forkserver.h"
#include "guard.h"
#include "report.h"
#include "spawn.h"
#include "trace.h"

const char *const mp_start_names[] = {"fork", "spawn", "forkserver", NULL};

static atomic_int process_counter; /* for "Process-N" names */
static int default_start = MP_START_FORK;

void mp_set_start_method(int method)
{
    if (method >= MP_START_FORK && method <= MP_START_FORKSERVER)
        default_start = method;
}

int mp_get_start_method(void) { return default_start; }

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
    if (mp_fd_check(fd) != 0)
        return -EBADF;
    if (p->nfds >= MP_MAX_FDS)
        return -ENOSPC;
    p->fds[p->nfds] = fd;
    return p->nfds++;
}

/* ---- the three transports, as one table ---- */

/* The fork transport: the child is a copy of us; it becomes the child with
 * the request it finds in its copy of memory. */
static int fork_start(const mp_request *r, int slot, pid_t *pid, int *status_fd)
{
    (void)status_fd;
    pid_t parent = getpid();
    /* Until the child has forgotten our children, a SIGTERM to it would run
     * the clean-up on *our* registry: kill our other children and our
     * forkserver. So the fatal signals wait, blocked, across the fork; the
     * child takes any that came once it has forgotten. */
    sigset_t fatal, old;
    sigemptyset(&fatal);
    sigaddset(&fatal, SIGINT);
    sigaddset(&fatal, SIGTERM);
    sigaddset(&fatal, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &fatal, &old);
    *pid = fork();
    if (*pid != 0)
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (*pid == 0) {
        mp_children_forget(); /* our parent's children and hooks are not ours */
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (!r->keep_all_fds) {
            int keep[MP_MAX_FDS + 1], n = 0;
            for (int i = 0; i < r->nfds; i++)
                keep[n++] = r->fds[i];
            if (mp_trace_fd() >= 0) /* ours to hand on, if this child starts children */
                keep[n++] = mp_trace_fd();
            mp_fd_keep_only(keep, n);
        }
        mp_child_become(parent, r->role, r->fds, r->nfds);
        mp_child_run(r->fn, r->arg);
    }
    if (*pid < 0) {
        int e = errno;
        *pid = 0;
        mp_syserr("fork", e);
        return -e;
    }
    /* A Ctrl-C that lands between fork() and this line finds the child
     * missing from the registry; it still dies with us, since it asked for
     * PR_SET_PDEATHSIG first thing. */
    mp_registry_publish(slot, *pid, -1);
    return 0;
}

static int spawn_start(const mp_request *r, int slot, pid_t *pid, int *status_fd)
{
    (void)status_fd;
    return mp_spawn_start(r, slot, pid);
}

typedef struct transport {
    int (*start)(const mp_request *r, int slot, pid_t *pid, int *status_fd);
    bool by_name;  /* the child runs a registered name, with bytes: spawn rules */
    int reg_flags; /* how the registry knows its children (children.h) */
} transport;

static const transport transports[] = {
    [MP_START_FORK] = {fork_start, false, MP_REG_OWN},
    [MP_START_SPAWN] = {spawn_start, true, MP_REG_OWN},
    [MP_START_FORKSERVER] = {mp_forkserver_start, true, MP_REG_REMOTE},
};

/* Why a spawn or forkserver child cannot take this target, or 0. */
static int check_by_name(const mp_process *p)
{
    const char *how = mp_start_names[p->start];
    if (!mp_entry_name(p->target)) {
        mp_error("%s: %s needs the target in mp_spawn_main()'s table (MP_ENTRY), and main() must call "
                 "mp_spawn_main() first", p->name, how);
        return -ENOENT;
    }
    if (p->arg && !p->args) {
        mp_error("%s: a pointer means nothing in another process: give %s the argument as bytes "
                 "(mp_process_set_args)", p->name, how);
        return -EINVAL;
    }
    if (p->args_len > MP_MAX_ARGS_BYTES) {
        mp_error("%s: %zu bytes of arguments: %s sends at most %zu (MP_MAX_ARGS_BYTES); share big data through "
                 "shared memory instead", p->name, p->args_len, how, MP_MAX_ARGS_BYTES);
        return -E2BIG;
    }
    return 0;
}

static const char *start_error(int rc)
{
    switch (rc) {
    case -ENOENT: return "the child does not know the target's name (is it in mp_spawn_main's table?)";
    case -EPROTO: return "the arguments did not reach the child whole";
    case -ECHILD: return "the child ended before it reached mp_spawn_main()";
    case -ETIMEDOUT: return "the child did not take its request or answer in time (30 s, or $MPKIT_START_TIMEOUT_MS)";
    case -EPIPE: return "the fork server died";
    default: return strerror(-rc);
    }
}

int mp_process_start(mp_process *p)
{
    if (p->state != MP_PROC_NEW)
        return -EALREADY; /* Python: "cannot start a process twice" */
    if (mp_spawn_bootstrapping()) {
        mp_error("an attempt has been made to start a new process before this spawned process has finished its "
                 "bootstrapping phase: main() must call mp_spawn_main() first thing (the C form of "
                 "`if __name__ == '__main__':`)");
        return -EDEADLK;
    }
    if (p->start < MP_START_FORK || p->start > MP_START_FORKSERVER)
        return -EINVAL;
    const transport *t = &transports[p->start];
    int rc = t->by_name ? check_by_name(p) : 0;
    if (rc != 0)
        return rc;
    /* The registry first, before anything can block: a Ctrl-C from here on
     * finds the child as soon as it exists. */
    int slot = mp_registry_reserve(t->reg_flags | (p->daemon ? MP_REG_DAEMON : 0));
    if (slot < 0) {
        mp_error("%s: cannot start another process: %d children are running or not yet joined (the kit's "
                 "limit, MP_MAX_CHILDREN): join some first", p->name, MP_MAX_CHILDREN);
        return slot;
    }
    /* Anything still in stdio's buffer would be printed twice: once by the
     * parent and once by a forked child, which gets a copy of the buffer. */
    fflush(NULL);
    mp_request r = {
        .fn = p->target, .arg = p->arg,
        .entry = t->by_name ? mp_entry_name(p->target) : NULL, .args = p->args, .args_len = p->args_len,
        .role = p->name, .fds = p->fds, .nfds = p->nfds, .keep_all_fds = p->inherit_fds,
    };
    pid_t pid = 0;
    int status_fd = -1;
    rc = t->start(&r, slot, &pid, &status_fd);
    if (rc != 0) {
        if (pid > 0 && p->start != MP_START_FORKSERVER) { /* it exists, but will not run the target */
            kill(pid, SIGKILL);
            mp_reap(pid);
        }
        if (status_fd >= 0)
            close(status_fd);
        mp_registry_release(slot);
        if (p->start != MP_START_FORK)
            mp_error("%s: %s start failed: %s", p->name, mp_start_names[p->start], start_error(rc));
        else if (rc == -EAGAIN)
            mp_error("%s: fork: the system's limit on processes was reached (ulimit -u)", p->name);
        return rc;
    }
    p->pid = pid;
    p->status_fd = status_fd;
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
