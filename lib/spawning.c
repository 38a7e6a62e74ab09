#define _GNU_SOURCE /* PR_SET_PDEATHSIG, pipe2, /proc/self/exe: Linux-specific */
#include "spawning.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "forkserver.h"
#include "report.h"
#include "trace.h"

extern char **environ;

static const mp_entry *table;     /* what mp_spawn_main was given */
static bool dispatched;           /* mp_spawn_main has run */
static int child_fds[MP_MAX_PASS_FDS];
static int child_nfds;

/* A spawned child finds these descriptors at these numbers. */
enum { FD_REQUEST = 3, FD_STATUS = 4, FD_TRACE = MP_SPAWN_FD_TRACE, FD_FIRST_PASSED = 10 };
#define SPAWN_ENV "MPKIT_SPAWNED=1"

const char *mp_spawn_name_of(mp_target fn)
{
    for (const mp_entry *e = table; e && e->name; e++)
        if (e->fn == fn)
            return e->name;
    return NULL;
}

mp_target mp_spawn_lookup(const char *name)
{
    for (const mp_entry *e = table; e && e->name; e++)
        if (strcmp(e->name, name) == 0)
            return e->fn;
    return NULL;
}

bool mp_spawn_bootstrapping(void)
{
    return !dispatched && getenv("MPKIT_SPAWNED") != NULL;
}

void mp_set_child_fds(const int *fds, int n)
{
    for (int i = 0; i < n && i < MP_MAX_PASS_FDS; i++)
        child_fds[i] = fds[i];
    child_nfds = n;
}

int mp_child_fd(int i)
{
    return i >= 0 && i < child_nfds ? child_fds[i] : -1;
}

const char *mp_spawn_self(void)
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

int mp_read_full(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n > 0) {
        ssize_t got = read(fd, p, n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return got == 0 ? -EPROTO : -errno;
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

int mp_write_full(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    bool socket = true; /* until send() says otherwise */
    while (n > 0) {
        /* send() with MSG_NOSIGNAL on a socket: a child that died early gives
         * EPIPE, not a SIGPIPE that would kill the parent */
        ssize_t put = socket ? send(fd, p, n, MSG_NOSIGNAL) : write(fd, p, n);
        if (put < 0 && errno == ENOTSOCK) {
            socket = false;
            continue;
        }
        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0)
            return -errno;
        p += put;
        n -= (size_t)put;
    }
    return 0;
}

/* ---- the request ---- */

mp_spawn_request mp_spawn_header(const mp_process *p, const char *name, int trace)
{
    return (mp_spawn_request){
        .magic = MP_SPAWN_MAGIC,
        .name_len = (uint32_t)strlen(name),
        .role_len = (uint32_t)strlen(p->name),
        .nfds = (uint32_t)p->nfds,
        .args_len = p->args_len,
        .parent = (int32_t)getpid(),
        .trace = trace,
    };
}

int mp_spawn_write_body(int fd, const mp_process *p, const char *name)
{
    int rc = mp_write_full(fd, name, strlen(name));
    if (!rc) rc = mp_write_full(fd, p->name, strlen(p->name));
    if (!rc && p->args_len) rc = mp_write_full(fd, p->args, p->args_len);
    return rc;
}

int mp_spawn_write_request(int fd, const mp_process *p, const char *name, int trace)
{
    mp_spawn_request r = mp_spawn_header(p, name, trace);
    int rc = mp_write_full(fd, &r, sizeof r);
    return rc ? rc : mp_spawn_write_body(fd, p, name);
}

void mp_spawn_job_free(mp_spawn_job *job)
{
    free(job->name);
    free(job->role);
    free(job->args);
    job->name = job->role = NULL;
    job->args = NULL;
}

#define MAX_ARGS_BYTES (1u << 30)

int mp_spawn_read_body(int fd, mp_spawn_job *job)
{
    if (job->req.magic != MP_SPAWN_MAGIC || job->req.name_len > 4096 || job->req.role_len > 4096 ||
        job->req.nfds > MP_MAX_PASS_FDS || job->req.args_len > MAX_ARGS_BYTES)
        return -EPROTO;
    job->name = calloc(1, job->req.name_len + 1);
    job->role = calloc(1, job->req.role_len + 1);
    job->args = job->req.args_len ? malloc(job->req.args_len) : NULL;
    if (!job->name || !job->role || (job->req.args_len && !job->args))
        return -ENOMEM;
    if (mp_read_full(fd, job->name, job->req.name_len) != 0 || mp_read_full(fd, job->role, job->req.role_len) != 0 ||
        (job->req.args_len && mp_read_full(fd, job->args, job->req.args_len) != 0))
        return -EPROTO; /* the arguments did not arrive whole */
    job->fn = mp_spawn_lookup(job->name);
    return job->fn ? 0 : -ENOENT;
}

int mp_spawn_read_request(int fd, mp_spawn_job *job)
{
    memset(job, 0, sizeof *job);
    if (mp_read_full(fd, &job->req, sizeof job->req) != 0)
        return -EPROTO;
    return mp_spawn_read_body(fd, job);
}

_Noreturn void mp_spawn_run(mp_spawn_job *job, const int *fds, int nfds, pid_t parent)
{
    /* like a forked child: die with our parent; it may be gone already */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(128 + SIGKILL);
    mp_set_child_fds(fds, nfds);
    mp_set_role(job->role);
    mp_child_exit(job->fn(job->args));
}

/* ---- the child's side of spawn ---- */

static _Noreturn void run_spawned(void)
{
    unsetenv("MPKIT_SPAWNED");
    dispatched = true;
    mp_spawn_job job;
    int32_t status = mp_spawn_read_request(FD_REQUEST, &job);
    close(FD_REQUEST);
    if (status == 0 && job.req.trace >= 0 && fcntl(FD_TRACE, F_GETFD) >= 0)
        mp_trace_attach(FD_TRACE, job.req.trace == 1);
    /* tell the parent whether we are about to run, before running */
    mp_spawn_reply reply = {status, (int32_t)getpid()};
    int rc = mp_write_full(FD_STATUS, &reply, sizeof reply);
    close(FD_STATUS);
    if (status != 0 || rc != 0)
        _exit(2);
    int fds[MP_MAX_PASS_FDS];
    for (uint32_t i = 0; i < job.req.nfds; i++)
        fds[i] = FD_FIRST_PASSED + (int)i;
    mp_spawn_run(&job, fds, (int)job.req.nfds, (pid_t)job.req.parent);
}

void mp_spawn_main(int argc, char **argv, const mp_entry *entries)
{
    table = entries;
    if (argc >= 2 && strcmp(argv[1], "--mp-spawn") == 0)
        run_spawned();
    if (argc >= 2 && strcmp(argv[1], "--mp-forkserver") == 0) {
        unsetenv("MPKIT_SPAWNED");
        dispatched = true;
        mp_forkserver_serve();
    }
    dispatched = true;
}

/* ---- the parent's side of spawn ---- */

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

int mp_spawn_self_with(const char *mode, const int *from, const int *at, int n, pid_t *pid)
{
    const char *exe = mp_spawn_self();
    if (!exe)
        return -ENOENT;
    /* Every source is first copied above 64, so that placing one at 3, 4, 5
     * or 10+ in the child can never overwrite another source. */
    int high[MP_MAX_PASS_FDS + 3], tfd = -1;
    if (n > MP_MAX_PASS_FDS + 2)
        return -EINVAL;
    for (int i = 0; i < n; i++)
        high[i] = fcntl(from[i], F_DUPFD_CLOEXEC, 64);
    if (mp_trace_fd() >= 0)
        tfd = fcntl(mp_trace_fd(), F_DUPFD_CLOEXEC, 64);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    for (int i = 0; i < n; i++)
        if (high[i] >= 0)
            posix_spawn_file_actions_adddup2(&fa, high[i], at[i]); /* dup2 clears close-on-exec */
    if (tfd >= 0)
        posix_spawn_file_actions_adddup2(&fa, tfd, MP_SPAWN_FD_TRACE);
    char *argv[] = {(char *)exe, (char *)mode, NULL};
    char **env = mp_spawn_environ();
    int rc = env ? posix_spawn(pid, exe, &fa, NULL, argv, env) : ENOMEM;
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    for (int i = 0; i < n; i++)
        if (high[i] >= 0)
            close(high[i]);
    if (tfd >= 0)
        close(tfd);
    if (rc != 0)
        mp_syserr("posix_spawn", rc);
    return -rc;
}

int mp_spawn_launch(mp_process *p)
{
    const char *name = mp_spawn_name_of(p->target);
    int req[2], st[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, req) != 0)
        return -errno;
    if (pipe2(st, O_CLOEXEC) != 0) {
        int e = -errno;
        close(req[0]);
        close(req[1]);
        return e;
    }
    int from[MP_MAX_PASS_FDS + 2] = {req[0], st[1]}, at[MP_MAX_PASS_FDS + 2] = {FD_REQUEST, FD_STATUS};
    for (int i = 0; i < p->nfds; i++) {
        from[2 + i] = p->fds[i];
        at[2 + i] = FD_FIRST_PASSED + i;
    }
    pid_t pid = -1;
    int rc = mp_spawn_self_with("--mp-spawn", from, at, 2 + p->nfds, &pid);
    close(req[0]);
    close(st[1]);
    if (rc != 0) {
        close(req[1]);
        close(st[0]);
        return rc;
    }
    p->pid = pid;
    rc = mp_spawn_write_request(req[1], p, name, mp_trace_fd() < 0 ? -1 : mp_trace_enabled());
    close(req[1]);
    /* Wait for the child's word: it has read the request and is about to run
     * the entry, or it tells us why not. A child that dies first (its main()
     * crashed before calling mp_spawn_main) closes the pipe: EOF, not a hang. */
    mp_spawn_reply reply = {-EPROTO, 0};
    struct pollfd pfd = {.fd = st[0], .events = POLLIN};
    int ready = poll(&pfd, 1, 30000);
    int got = ready == 1 ? mp_read_full(st[0], &reply, sizeof reply) : -ETIMEDOUT;
    close(st[0]);
    if (got == -ETIMEDOUT)
        reply.status = -ETIMEDOUT;
    else if (got != 0)
        reply.status = -ECHILD; /* it ended without a word */
    else if (rc != 0 && reply.status == 0)
        reply.status = rc;
    return reply.status;
}
