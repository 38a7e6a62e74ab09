#define _GNU_SOURCE /* signalfd, pipe2: Linux-specific */
#include "forkserver.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "children.h"
#include "fd.h"
#include "report.h"
#include "spawn.h"
#include "trace.h"

enum { SERVER_SOCK = 3, SERVER_TRACE = 4, MAX_SERVED = MP_MAX_CHILDREN };

/* ===================== the client: this program ===================== */

static pthread_mutex_t client_lock = PTHREAD_MUTEX_INITIALIZER; /* one request at a time */
static int sock = -1;
static pid_t server_pid;

pid_t mp_forkserver_pid(void) { return server_pid; }

/* At exit and on a fatal signal (async-signal-safe): closing the socket is
 * the server's cue to kill its children and leave; then reap it. Returns
 * its wait status (-1: none). */
static int stop_server_now(void)
{
    int st = -1;
    if (sock >= 0)
        close(sock);
    sock = -1;
    if (server_pid > 0) {
        while (waitpid(server_pid, &st, 0) < 0 && errno == EINTR)
            ;
        mp_registry_remove(server_pid);
    }
    server_pid = 0;
    return st;
}

static void stop_server(void *ctx)
{
    (void)ctx;
    stop_server_now();
}

void mp_forkserver_stop(void)
{
    pthread_mutex_lock(&client_lock);
    stop_server_now();
    pthread_mutex_unlock(&client_lock);
}

/* A forked child does not own its parent's server: forget it (a request on
 * the shared socket would mix with the parent's). */
static void forget_in_child(void)
{
    if (sock >= 0)
        close(sock);
    sock = -1;
    server_pid = 0;
    /* another thread may have held the lock at the fork: a fresh one */
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    client_lock = fresh;
}

static int start_server(void)
{
    static bool hooks;
    if (!hooks) {
        pthread_atfork(NULL, NULL, forget_in_child);
        mp_on_cleanup(stop_server, NULL);
        hooks = true;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        int e = errno;
        mp_syserr("socketpair for the fork server", e);
        return -e;
    }
    int fds[2] = {sv[1], mp_trace_fd()}; /* the trace log, if any, at 4 */
    pid_t pid;
    int slot = mp_registry_reserve(MP_REG_SERVER);
    int rc = slot < 0 ? slot : mp_spawn_self("--mp-forkserver", fds, fds[1] >= 0 ? 2 : 1, &pid);
    close(sv[1]);
    if (rc != 0) {
        if (slot >= 0)
            mp_registry_release(slot);
        close(sv[0]);
        return rc;
    }
    mp_registry_publish(slot, pid, -1);
    /* its hello says it reached its loop; EOF means its main() never called
     * mp_spawn_main() */
    mp_reply hello;
    if (mp_fd_wait_readable(sv[0], mp_start_timeout_ms()) != 0 || mp_read_full(sv[0], &hello, sizeof hello) != 0) {
        close(sv[0]);
        kill(pid, SIGKILL);
        mp_reap(pid);
        mp_registry_remove(pid);
        return -ECHILD;
    }
    sock = sv[0];
    server_pid = pid;
    return 0;
}

/* The server stopped answering: say what became of it, and forget it. */
static void server_lost(int rc)
{
    pid_t pid = server_pid;
    kill(pid, SIGKILL); /* if it is only stuck */
    int st = stop_server_now();
    if (st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
        mp_error("the fork server (pid %d) is gone: killed by signal %d (%s); a new one starts with the next "
                 "child", (int)pid, WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        mp_error("the fork server (pid %d) stopped answering (%s); a new one starts with the next child", (int)pid,
                 strerror(-rc));
}

int mp_forkserver_start(const mp_request *r, int slot, pid_t *pid, int *status_fd)
{
    *pid = 0;
    *status_fd = -1;
    pthread_mutex_lock(&client_lock);
    int rc = sock < 0 ? start_server() : 0;
    int st[2] = {-1, -1};
    if (rc == 0 && pipe2(st, O_CLOEXEC) != 0) {
        rc = -errno;
        mp_syserr("pipe2 for a forkserver child's status", rc);
    }
    mp_reply reply = {-EPROTO, 0};
    if (rc == 0) {
        /* the status pipe's write end first, then the handed descriptors */
        int fds[MP_MAX_FDS + 1] = {st[1]};
        for (int i = 0; i < r->nfds; i++)
            fds[i + 1] = r->fds[i];
        mp_request_header h = mp_request_header_for(r, r->nfds, -1);
        h.trace = mp_trace_fd() < 0 ? -1 : mp_trace_enabled();
        rc = mp_send_fds(sock, &h, sizeof h, fds, r->nfds + 1);
        if (rc == 0)
            rc = mp_request_write_body(sock, r, mp_start_timeout_ms());
        close(st[1]);
        if (rc == 0) {
            int ready = mp_fd_wait_readable(sock, mp_start_timeout_ms());
            if (ready < 0)
                rc = ready;
            else if (mp_read_full(sock, &reply, sizeof reply) != 0)
                rc = -EPIPE; /* it closed the socket: gone */
        }
        if (rc == 0)
            rc = reply.status;
    }
    if (rc == -EPIPE || rc == -ECONNRESET || rc == -ETIMEDOUT)
        server_lost(rc);
    pthread_mutex_unlock(&client_lock);
    if (rc != 0) {
        if (st[0] >= 0)
            close(st[0]);
        return rc;
    }
    *pid = reply.pid;
    *status_fd = st[0];
    mp_registry_publish(slot, *pid, *status_fd);
    return 0;
}

/* ===================== the server ===================== */

typedef struct served { pid_t pid; int status_fd; } served;
static served kids[MAX_SERVED];

/* Reap every child that has ended and tell its parent how. */
static void reap(void)
{
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
        for (int i = 0; i < MAX_SERVED; i++)
            if (kids[i].pid == pid) {
                /* if nobody listens any more, that is fine: the parent is gone */
                int unused = mp_write_full(kids[i].status_fd, &st, sizeof st);
                (void)unused;
                close(kids[i].status_fd);
                kids[i].pid = 0;
                break;
            }
}

static _Noreturn void shut_down(int code)
{
    for (int i = 0; i < MAX_SERVED; i++)
        if (kids[i].pid > 0)
            kill(kids[i].pid, SIGKILL);
    while (wait(NULL) > 0 || errno == EINTR)
        ;
    _exit(code);
}

/* In the new child: none of the server's business is ours. */
static _Noreturn void run_child(mp_job *job, int *fds, int nfds, int sfd, pid_t server)
{
    close(SERVER_SOCK);
    close(sfd);
    for (int i = 0; i < MAX_SERVED; i++)
        if (kids[i].pid > 0)
            close(kids[i].status_fd);
    close(fds[0]);
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    mp_trace_enable(job->h.trace == 1);
    mp_child_become(server, job->role, fds + 1, nfds - 1);
    mp_child_run(job->fn, job->args);
}

static void serve_one(int sfd)
{
    mp_job job;
    memset(&job, 0, sizeof job);
    int fds[MP_MAX_FDS + 1], nfds = 0;
    int rc = mp_recv_fds(SERVER_SOCK, &job.h, sizeof job.h, fds, MP_MAX_FDS + 1, &nfds);
    if (rc == -EPIPE)
        shut_down(0); /* EOF: the program is done with us */
    if (rc == 0)
        rc = mp_request_read_body(SERVER_SOCK, &job);
    if (rc == 0 && (nfds < 1 || (uint32_t)nfds != job.h.nfds + 1))
        rc = -EPROTO;
    int slot = -1;
    for (int i = 0; rc == 0 && i < MAX_SERVED && slot < 0; i++)
        if (kids[i].pid == 0)
            slot = i;
    if (rc == 0 && slot < 0)
        rc = -EAGAIN;
    mp_reply reply = {rc, 0};
    if (rc == 0) {
        pid_t server = getpid();
        pid_t pid = fork();
        if (pid == 0)
            run_child(&job, fds, nfds, sfd, server);
        if (pid < 0) {
            reply.status = -errno;
            close(fds[0]);
        } else {
            kids[slot] = (served){pid, fds[0]};
            reply.pid = pid;
        }
    } else if (nfds > 0) {
        close(fds[0]);
    }
    for (int i = 1; i < nfds; i++) /* the child has its copies */
        close(fds[i]);
    mp_job_free(&job);
    /* a request we could not read whole leaves the stream out of step: the
     * only way on is to stop; any other refusal leaves it in step */
    if (mp_write_full(SERVER_SOCK, &reply, sizeof reply) != 0 || rc == -EPROTO)
        shut_down(rc == -EPROTO ? 2 : 0);
}

_Noreturn void mp_forkserver_serve(int argc, char **argv)
{
    pid_t parent = argc >= 3 ? (pid_t)atoi(argv[2]) : getppid();
    mp_child_die_with(parent); /* the program died: so do we (and, in turn, our children) */
    mp_set_role("forkserver");
    /* a parent that closed a status pipe early must not kill the server:
     * the write fails with EPIPE instead (its children get the default back) */
    signal(SIGPIPE, SIG_IGN);
    if (mp_fd_check(SERVER_TRACE) == 0 && mp_trace_attach(SERVER_TRACE, false) != 0)
        close(SERVER_TRACE);
    /* SIGCHLD as a readable descriptor, so one poll() waits for both a
     * request and a child's end */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC);
    if (sfd < 0)
        _exit(1);
    mp_reply hello = {0, (int32_t)getpid()};
    if (mp_write_full(SERVER_SOCK, &hello, sizeof hello) != 0)
        _exit(1);
    for (;;) {
        struct pollfd pfd[2] = {{.fd = SERVER_SOCK, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            shut_down(1);
        }
        if (pfd[1].revents & POLLIN) {
            struct signalfd_siginfo si; /* drained only: reap() asks waitpid who ended */
            ssize_t unused = read(sfd, &si, sizeof si);
            (void)unused;
            reap();
        }
        if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
            serve_one(sfd);
    }
}
