#define _GNU_SOURCE /* signalfd, PR_SET_PDEATHSIG, pipe2: Linux-specific */
#include "forkserver.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"
#include "spawning.h"
#include "trace.h"

enum { SERVER_SOCK = 3, SERVER_TRACE = MP_SPAWN_FD_TRACE, MAX_SERVED = 1024 };

/* ===================== the client: this program ===================== */

static pthread_mutex_t client_lock = PTHREAD_MUTEX_INITIALIZER; /* one request at a time */
static int sock = -1;
static pid_t server_pid;

pid_t mp_forkserver_pid(void) { return server_pid; }

/* At exit and on a fatal signal (async-signal-safe): closing the socket is
 * the server's cue to kill its children and leave; then reap it. */
static void stop_server(void)
{
    if (sock >= 0)
        close(sock);
    sock = -1;
    if (server_pid > 0) {
        while (waitpid(server_pid, NULL, 0) < 0 && errno == EINTR)
            ;
        mp_registry_remove(server_pid);
    }
    server_pid = 0;
}

void mp_forkserver_stop(void)
{
    pthread_mutex_lock(&client_lock);
    stop_server();
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
}

static int start_server(void)
{
    static bool hooks;
    if (!hooks) {
        pthread_atfork(NULL, NULL, forget_in_child);
        mp_on_cleanup(stop_server);
        hooks = true;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return -errno;
    int at = SERVER_SOCK;
    pid_t pid;
    int rc = mp_spawn_self_with("--mp-forkserver", &sv[1], &at, 1, &pid);
    close(sv[1]);
    if (rc != 0) {
        close(sv[0]);
        return rc;
    }
    /* its hello says it reached its loop; EOF means its main() never called
     * mp_spawn_main() */
    mp_spawn_reply hello;
    if (mp_read_full(sv[0], &hello, sizeof hello) != 0) {
        close(sv[0]);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -ECHILD;
    }
    sock = sv[0];
    server_pid = pid;
    mp_registry_add(pid, MP_REG_SERVER, -1);
    return 0;
}

/* The header goes with the descriptors (SCM_RIGHTS): the status pipe's
 * write end first, then those passed with mp_process_pass_fd. */
static int send_header(const mp_spawn_request *r, const int *fds, int nfds)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * (MP_MAX_PASS_FDS + 1))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct iovec iov = {.iov_base = (void *)r, .iov_len = sizeof *r};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                         .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    ssize_t n;
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    /* the rest of the header, if the socket took only part of it */
    return n < (ssize_t)sizeof *r ? mp_write_full(sock, (const char *)r + n, sizeof *r - (size_t)n) : 0;
}

int mp_forkserver_start_child(mp_process *p)
{
    const char *name = mp_spawn_name_of(p->target);
    pthread_mutex_lock(&client_lock);
    int rc = sock < 0 ? start_server() : 0;
    int st[2] = {-1, -1};
    if (rc == 0 && pipe2(st, O_CLOEXEC) != 0)
        rc = -errno;
    mp_spawn_reply reply = {-EPROTO, 0};
    if (rc == 0) {
        int fds[MP_MAX_PASS_FDS + 1] = {st[1]};
        for (int i = 0; i < p->nfds; i++)
            fds[i + 1] = p->fds[i];
        mp_spawn_request r = mp_spawn_header(p, name, mp_trace_fd() < 0 ? -1 : mp_trace_enabled());
        rc = send_header(&r, fds, p->nfds + 1);
        if (rc == 0)
            rc = mp_spawn_write_body(sock, p, name);
        close(st[1]);
        if (rc == 0 && mp_read_full(sock, &reply, sizeof reply) != 0)
            rc = -EPIPE; /* the server is gone */
        if (rc == 0)
            rc = reply.status;
    }
    if (rc == -EPIPE || rc == -ECONNRESET)
        stop_server(); /* it died: the next request starts a new one */
    pthread_mutex_unlock(&client_lock);
    if (rc != 0) {
        if (st[0] >= 0)
            close(st[0]);
        return rc;
    }
    p->pid = reply.pid;
    p->status_fd = st[0];
    return 0;
}

/* ===================== the server ===================== */

typedef struct served { pid_t pid; int status_fd; } served;
static served kids[MAX_SERVED];

static int recv_header(mp_spawn_request *r, int *fds, int *nfds)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * (MP_MAX_PASS_FDS + 1))];
        struct cmsghdr align;
    } u;
    struct iovec iov = {.iov_base = r, .iov_len = sizeof *r};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    ssize_t n;
    do
        n = recvmsg(SERVER_SOCK, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return -EPIPE; /* EOF: the program is done with us */
    *nfds = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            *nfds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)*nfds);
        }
    if (n < (ssize_t)sizeof *r && mp_read_full(SERVER_SOCK, (char *)r + n, sizeof *r - (size_t)n) != 0)
        return -EPROTO;
    return 0;
}

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

static void serve_one(int sfd)
{
    mp_spawn_job job;
    memset(&job, 0, sizeof job);
    int fds[MP_MAX_PASS_FDS + 1], nfds = 0;
    int rc = recv_header(&job.req, fds, &nfds);
    if (rc == -EPIPE)
        shut_down(0);
    if (rc == 0)
        rc = mp_spawn_read_body(SERVER_SOCK, &job);
    if (rc == 0 && (nfds < 1 || (uint32_t)nfds != job.req.nfds + 1))
        rc = -EPROTO;
    int slot = -1;
    for (int i = 0; rc == 0 && i < MAX_SERVED && slot < 0; i++)
        if (kids[i].pid == 0)
            slot = i;
    if (rc == 0 && slot < 0)
        rc = -EAGAIN;
    mp_spawn_reply reply = {rc, 0};
    if (rc == 0) {
        pid_t server = getpid();
        pid_t pid = fork();
        if (pid == 0) {
            /* the child: none of the server's business is ours */
            close(SERVER_SOCK);
            close(sfd);
            for (int i = 0; i < MAX_SERVED; i++)
                if (kids[i].pid > 0)
                    close(kids[i].status_fd);
            close(fds[0]);
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            mp_trace_enable(job.req.trace == 1);
            mp_spawn_run(&job, fds + 1, nfds - 1, server);
        }
        if (pid < 0) {
            reply.status = -errno;
            close(fds[0]); /* the others are closed below */
        } else {
            kids[slot] = (served){pid, fds[0]};
            reply.pid = pid;
        }
    } else if (nfds > 0) {
        close(fds[0]);
    }
    for (int i = 1; i < nfds; i++) /* the child has its copies */
        close(fds[i]);
    mp_spawn_job_free(&job);
    if (mp_write_full(SERVER_SOCK, &reply, sizeof reply) != 0 || rc == -EPROTO)
        shut_down(rc == -EPROTO ? 2 : 0); /* a broken request leaves the stream out of step */
}

_Noreturn void mp_forkserver_serve(void)
{
    pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* the program died: so do we (and, in turn, our children) */
    if (getppid() != parent)
        _exit(1);
    mp_set_role("forkserver");
    if (fcntl(SERVER_TRACE, F_GETFD) >= 0)
        mp_trace_attach(SERVER_TRACE, false);
    /* SIGCHLD as a readable descriptor, so one poll() waits for both a
     * request and a child's end */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC);
    if (sfd < 0)
        _exit(1);
    mp_spawn_reply hello = {0, (int32_t)getpid()};
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
