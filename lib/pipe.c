#define _GNU_SOURCE /* ppoll, pipe2, SOCK_CLOEXEC, MSG_NOSIGNAL */
#include "pipe.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "report.h"
#include "trace.h"

#define CHECK_XOR 0x5a5a5a5au

static uint32_t check_of(uint64_t len) { return ~((uint32_t)len ^ (uint32_t)(len >> 32)) ^ CHECK_XOR; }

static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void conn_init(mp_conn *c, int fd, int flags, bool is_socket)
{
    c->fd = fd;
    c->flags = flags;
    c->is_socket = is_socket;
    c->rpos = c->rlen = 0;
}

int mp_pipe(mp_conn *a, mp_conn *b, bool duplex)
{
    a->fd = b->fd = -1;
    int sv[2];
    if (duplex ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) : pipe2(sv, O_CLOEXEC)) {
        int e = errno;
        mp_syserr(duplex ? "socketpair" : "pipe2", e);
        return -e;
    }
    conn_init(a, sv[0], duplex ? MP_CONN_RECV | MP_CONN_SEND : MP_CONN_RECV, duplex);
    conn_init(b, sv[1], duplex ? MP_CONN_RECV | MP_CONN_SEND : MP_CONN_SEND, duplex);
    return 0;
}

int mp_conn_from_fd(mp_conn *c, int fd, int flags)
{
    c->fd = -1;
    if (!(flags & (MP_CONN_RECV | MP_CONN_SEND)) || (flags & ~(MP_CONN_RECV | MP_CONN_SEND | MP_CONN_SHARED)))
        return -EINVAL;
    struct stat st;
    int mode = fd < 0 ? -1 : fcntl(fd, F_GETFL);
    if (mode < 0 || fstat(fd, &st) != 0)
        return -EBADF;
    /* A direction the descriptor was not opened for is dropped here, so
     * that using it is -EBADF at once: a poll for input on a pipe's write
     * end would otherwise wait for nothing. */
    if ((mode & O_ACCMODE) == O_WRONLY)
        flags &= ~MP_CONN_RECV;
    if ((mode & O_ACCMODE) == O_RDONLY)
        flags &= ~MP_CONN_SEND;
    conn_init(c, fd, flags, S_ISSOCK(st.st_mode));
    return 0;
}

void mp_conn_close(mp_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->rpos = c->rlen = 0;
}

void mp_conn_set_shared(mp_conn *c, bool shared)
{
    if (shared)
        c->flags |= MP_CONN_SHARED;
    else
        c->flags &= ~MP_CONN_SHARED;
}

static bool usable(const mp_conn *c, int way) { return c->fd >= 0 && (c->flags & way); }

/* Wait until fd is ready for `events`; deadline_ns 0: forever. 1 ready, 0
 * timed out, -errno. */
static int wait_ready(int fd, short events, uint64_t deadline_ns)
{
    for (;;) {
        struct timespec ts, *tp = NULL;
        if (deadline_ns) {
            uint64_t now = mp_now_ns();
            uint64_t left = now >= deadline_ns ? 0 : deadline_ns - now;
            ts.tv_sec = (time_t)(left / 1000000000u);
            ts.tv_nsec = (long)(left % 1000000000u);
            tp = &ts;
        }
        struct pollfd p = {.fd = fd, .events = events};
        int n = ppoll(&p, 1, tp, NULL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n > 0)
            return 1;
        if (deadline_ns && mp_now_ns() >= deadline_ns)
            return 0;
        /* woke early (a coarse clock): wait the rest */
    }
}

/* ---- SIGPIPE, for the one-way kind (a pipe) ----
 *
 * A write to a pipe whose every reader is gone raises SIGPIPE in the
 * writing thread, which kills the process by default; a pipe has no
 * MSG_NOSIGNAL. So a thread that sends on a pipe blocks SIGPIPE in its own
 * mask, once (a system call costs a microsecond here, too much to pay on
 * every message). The signal then stays pending instead of killing, and on
 * the rare -EPIPE we take it back (sigtimedwait, zero timeout): the send
 * ends as if no signal had been raised. */

static _Thread_local bool sigpipe_blocked;

static int block_sigpipe(void)
{
    if (sigpipe_blocked)
        return 0;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    int e = pthread_sigmask(SIG_BLOCK, &s, NULL);
    if (e != 0) {
        mp_syserr("pthread_sigmask", e);
        return -e;
    }
    sigpipe_blocked = true;
    return 0;
}

/* The SIGPIPE our failed write raised is pending on this thread: take it
 * (thread-directed signals are taken before any sent to the process). */
static void take_sigpipe(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    const struct timespec zero = {0, 0};
    while (sigtimedwait(&s, NULL, &zero) < 0 && errno == EINTR)
        ;
}

/* ---- send: header and message in one call, finished after a partial write ---- */

/* One sendmsg (a socket: MSG_NOSIGNAL) or writev (anything else). */
static ssize_t put_some(mp_conn *c, struct iovec *v, int nv)
{
    if (c->is_socket) {
        struct msghdr m = {.msg_iov = v, .msg_iovlen = (size_t)nv};
        return sendmsg(c->fd, &m, MSG_NOSIGNAL);
    }
    ssize_t put = writev(c->fd, v, nv);
    if (put < 0 && errno == EPIPE) {
        take_sigpipe();
        errno = EPIPE;
    }
    return put;
}

static int send_frame(mp_conn *c, const void *buf, size_t len)
{
    if (!c->is_socket) {
        int r = block_sigpipe();
        if (r < 0)
            return r;
    }
    unsigned char h[MP_CONN_HEADER];
    memcpy(h, MP_CONN_MAGIC, 4);
    put_le(h + 4, len, 8);
    put_le(h + 12, check_of(len), 4);
    struct iovec iov[2] = {{.iov_base = h, .iov_len = sizeof h}, {.iov_base = (void *)buf, .iov_len = len}};
    struct iovec *v = iov;
    int nv = len ? 2 : 1;
    while (nv > 0) {
        ssize_t put = put_some(c, v, nv);
        if (put < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) { /* a non-blocking descriptor */
                int r = wait_ready(c->fd, POLLOUT, 0);
                if (r < 0)
                    return r;
                continue;
            }
            return -errno;
        }
        size_t done = (size_t)put;
        while (nv > 0 && done >= v->iov_len) {
            done -= v->iov_len;
            v++, nv--;
        }
        if (nv > 0) {
            v->iov_base = (char *)v->iov_base + done;
            v->iov_len -= done;
        }
    }
    return 0;
}

int mp_conn_send(mp_conn *c, const void *buf, size_t len)
{
    if (!usable(c, MP_CONN_SEND))
        return -EBADF;
    if ((uint64_t)len > MP_CONN_MSG_MAX || (len > 0 && !buf))
        return len > 0 && !buf ? -EINVAL : -EMSGSIZE;
    mp_trace_begin("send");
    int r = send_frame(c, buf, len);
    mp_trace_end("send");
    return r;
}

/* ---- receive: through the read-ahead buffer ---- */

/* One read: into the buffer, or (iov2) straight into the caller's memory
 * with what follows into the buffer. Bytes read, 0 at EOF, -errno. */
static ssize_t read_some(mp_conn *c, void *dst, size_t n)
{
    for (;;) {
        struct iovec iov[2];
        int nv = 0;
        if (n > 0)
            iov[nv++] = (struct iovec){.iov_base = dst, .iov_len = n};
        if (!(c->flags & MP_CONN_SHARED)) /* shared: not a byte past this message */
            iov[nv++] = (struct iovec){.iov_base = c->rbuf, .iov_len = sizeof c->rbuf};
        ssize_t got = readv(c->fd, iov, nv);
        if (got >= 0)
            return got;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int r = wait_ready(c->fd, POLLIN, 0);
            if (r < 0)
                return r;
            continue;
        }
        return -errno;
    }
}

/* Fill dst with exactly n bytes: first what the buffer holds, then read
 * (the caller's memory first, read-ahead into the buffer). 0, 1 at EOF
 * before any byte came, 2 at EOF after some, -errno. */
static int take(mp_conn *c, void *dst, size_t n)
{
    unsigned char *d = dst;
    size_t have = c->rlen - c->rpos, first = have < n ? have : n;
    bool any = first > 0;
    if (first) {
        memcpy(d, c->rbuf + c->rpos, first);
        c->rpos += (uint32_t)first;
        d += first;
        n -= first;
    }
    while (n > 0) {
        /* the buffer is empty here */
        c->rpos = c->rlen = 0;
        ssize_t got = read_some(c, d, n);
        if (got < 0)
            return (int)got;
        if (got == 0)
            return any ? 2 : 1;
        any = true;
        if ((size_t)got <= n) {
            d += got;
            n -= (size_t)got;
        } else {
            c->rlen = (uint32_t)((size_t)got - n);
            n = 0;
        }
    }
    return 0;
}

/* Read and check a header: 0 and *len, or a status (the connection closed
 * where the rules say so). */
static int recv_header(mp_conn *c, size_t limit, uint64_t *len)
{
    if (!usable(c, MP_CONN_RECV))
        return -EBADF;
    unsigned char h[MP_CONN_HEADER];
    int r = take(c, h, sizeof h);
    if (r == 1)
        return MP_CONN_EOF;
    if (r == 2)
        r = -EBADMSG; /* ended inside a header */
    if (r == 0) {
        uint64_t n = get_le(h + 4, 8);
        if (memcmp(h, MP_CONN_MAGIC, 4) != 0 || (uint32_t)get_le(h + 12, 4) != check_of(n) || n > MP_CONN_MSG_MAX)
            r = -EBADMSG;
        else if (n > limit)
            r = -EMSGSIZE;
        else
            *len = n;
    }
    if (r == -EBADMSG || r == -EMSGSIZE)
        mp_conn_close(c);
    return r;
}

static int recv_body(mp_conn *c, void *dst, size_t n)
{
    int r = take(c, dst, n);
    if (r == 1 || r == 2)
        r = -EBADMSG; /* ended inside a message */
    if (r == -EBADMSG)
        mp_conn_close(c);
    return r;
}

int mp_conn_recv(mp_conn *c, void *buf, size_t cap, size_t *len)
{
    if (!usable(c, MP_CONN_RECV))
        return -EBADF;
    mp_trace_begin("recv");
    uint64_t n = 0;
    int r = recv_header(c, cap, &n);
    if (r == 0)
        r = recv_body(c, buf, (size_t)n);
    if (r == 0)
        *len = (size_t)n;
    mp_trace_end("recv");
    return r;
}

int mp_conn_recv_alloc(mp_conn *c, size_t max, void **buf, size_t *len)
{
    if (!usable(c, MP_CONN_RECV))
        return -EBADF;
    mp_trace_begin("recv");
    uint64_t n = 0;
    int r = recv_header(c, max, &n);
    void *p = NULL;
    if (r == 0 && !(p = malloc(n ? (size_t)n : 1))) {
        mp_conn_close(c);
        r = -ENOMEM;
    }
    if (r == 0)
        r = recv_body(c, p, (size_t)n);
    if (r == 0) {
        *buf = p;
        *len = (size_t)n;
    } else {
        free(p);
    }
    mp_trace_end("recv");
    return r;
}

bool mp_conn_buffered(const mp_conn *c) { return c->rpos < c->rlen; }

int mp_conn_poll(mp_conn *c, double timeout_s)
{
    if (!usable(c, MP_CONN_RECV))
        return -EBADF;
    if (mp_conn_buffered(c))
        return 1;
    uint64_t deadline = 0;
    if (timeout_s >= 0) {
        if (timeout_s > 1e9)
            timeout_s = 1e9;
        deadline = mp_now_ns() + (uint64_t)(timeout_s * 1e9);
        if (deadline == 0)
            deadline = 1;
    }
    return wait_ready(c->fd, POLLIN, deadline);
}
