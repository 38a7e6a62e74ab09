#define _GNU_SOURCE /* /proc/self/exe: Linux */
#include "spawn.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "children.h"
#include "clock.h"
#include "fd.h"
#include "report.h"
#include "trace.h"

extern char **environ;

#define SPAWN_ENV "MPKIT_SPAWNED=1"
enum { FD_SOCK = 3, FD_FIRST_HANDED = 4 };

int mp_start_timeout_ms(void)
{
    const char *e = getenv("MPKIT_START_TIMEOUT_MS");
    int ms = e ? atoi(e) : 0;
    return ms > 0 ? ms : 30000;
}

const char *mp_spawn_exe(void)
{
    static char path[PATH_MAX];
    if (!path[0]) {
        ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
        if (n <= 0)
            return NULL;
        path[n] = '\0';
    }
    return path;
}

/* A copy of our environment plus MPKIT_SPAWNED=1, so the child can tell it
 * is bootstrapping until its main() reaches mp_spawn_main(). */
char **mp_spawn_environ(void)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = malloc((n + 2) * sizeof *env);
    if (!env)
        return NULL;
    memcpy(env, environ, n * sizeof *env);
    env[n] = SPAWN_ENV;
    env[n + 1] = NULL;
    return env;
}

int mp_spawn_self(const char *mode, const int *fds, int nfds, pid_t *pid)
{
    const char *exe = mp_spawn_exe();
    if (!exe)
        return -ENOENT;
    if (nfds < 0 || nfds > MP_MAX_FDS + 2)
        return -EINVAL;
    /* Every source is first copied above the last target (3 + nfds - 1), so
     * that placing one at 3, 4, ... can never overwrite another source. */
    int high[MP_MAX_FDS + 2], rc = 0, made = 0;
    for (; made < nfds; made++) {
        high[made] = mp_fd_copy_above(fds[made], 3 + nfds);
        if (high[made] < 0) {
            rc = high[made];
            mp_syserr("fcntl(F_DUPFD_CLOEXEC) for a child's descriptor", rc);
            break;
        }
    }
    char parent[16];
    snprintf(parent, sizeof parent, "%d", (int)getpid());
    char *argv[] = {(char *)exe, (char *)mode, parent, NULL};
    char **env = rc == 0 ? mp_spawn_environ() : NULL;
    if (rc == 0 && !env)
        rc = -ENOMEM;
    if (rc == 0) {
        pid_t child = mp_exec_child(exe, argv, env, high, nfds);
        if (child < 0)
            rc = (int)child; /* reported */
        else
            *pid = child;
    }
    free(env);
    for (int i = 0; i < made; i++)
        close(high[i]);
    return rc;
}

/* Milliseconds left until deadline (mp_now_ns clock), at least 0. */
static int left_ms(uint64_t deadline)
{
    uint64_t now = mp_now_ns();
    return now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
}

int mp_spawn_start(const mp_request *r, int slot, pid_t *pid)
{
    *pid = 0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        int e = errno;
        mp_syserr("socketpair for a spawned child", e);
        return -e;
    }
    /* the child's descriptors: the socket, the handed ones, the trace log */
    int fds[MP_MAX_FDS + 2] = {sv[1]}, n = 1, trace_fd = -1;
    for (int i = 0; i < r->nfds; i++)
        fds[n++] = r->fds[i];
    if (mp_trace_fd() >= 0) {
        trace_fd = n - 1; /* numbered among the handed ones */
        fds[n++] = mp_trace_fd();
    }
    int rc = mp_spawn_self("--mp-spawn", fds, n, pid);
    close(sv[1]);
    if (rc != 0) {
        close(sv[0]);
        return rc;
    }
    /* It exists: from now on a Ctrl-C or an exit stops it, even while we
     * block below. It dies with us too: it asks for that before it reads. */
    mp_registry_publish(slot, *pid, -1);
    mp_request_header h = mp_request_header_for(r, n - 1, trace_fd);
    h.trace = trace_fd < 0 ? -1 : mp_trace_enabled();
    /* one time limit for the whole start: writing the request and the answer */
    uint64_t deadline = mp_now_ns() + (uint64_t)mp_start_timeout_ms() * 1000000u;
    rc = mp_write_full_within(sv[0], &h, sizeof h, mp_start_timeout_ms());
    if (rc == 0)
        rc = mp_request_write_body(sv[0], r, left_ms(deadline));
    if (rc == -ETIMEDOUT) { /* it never read its request */
        close(sv[0]);
        return rc;
    }
    /* The child's word: it has read the request and is about to run the
     * entry, or why not. A child that dies first (its main() crashed before
     * calling mp_spawn_main) closes the socket: EOF, not a hang. */
    mp_reply reply = {-EPROTO, 0};
    int got = mp_fd_wait_readable(sv[0], left_ms(deadline));
    if (got == 0)
        got = mp_read_full(sv[0], &reply, sizeof reply);
    close(sv[0]);
    if (got == -ETIMEDOUT)
        return -ETIMEDOUT;
    if (got != 0)
        return -ECHILD; /* it ended without a word */
    if (reply.status == 0 && rc != 0)
        return rc;
    return reply.status;
}

_Noreturn void mp_spawn_child(int argc, char **argv)
{
    pid_t parent = argc >= 3 ? (pid_t)atoi(argv[2]) : getppid();
    /* first, before anything can block: die with the parent */
    mp_child_die_with(parent);
    mp_job job = {0};
    int32_t status;
    if (mp_read_full(FD_SOCK, &job.h, sizeof job.h) != 0)
        status = -EPROTO;
    else
        status = mp_request_read_body(FD_SOCK, &job);
    int handed[MP_MAX_FDS + 1], nhanded = 0;
    for (uint32_t i = 0; status == 0 && i < job.h.nfds; i++)
        handed[nhanded++] = FD_FIRST_HANDED + (int)i;
    if (status == 0 && job.h.trace_fd >= 0 && job.h.trace_fd < nhanded) {
        if (mp_trace_attach(handed[job.h.trace_fd], job.h.trace == 1) != 0)
            close(handed[job.h.trace_fd]); /* not a log after all: not ours to keep */
        nhanded = job.h.trace_fd; /* the log comes last: not one of the target's descriptors */
    }
    /* tell the parent whether we are about to run, before running */
    mp_reply reply = {status, (int32_t)getpid()};
    int rc = mp_write_full(FD_SOCK, &reply, sizeof reply);
    close(FD_SOCK);
    if (status != 0 || rc != 0)
        _exit(2);
    mp_child_become(parent, job.role, handed, nhanded);
    mp_child_run(job.fn, job.args);
}
