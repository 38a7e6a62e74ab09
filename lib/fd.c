#define _GNU_SOURCE /* close_range: Linux 5.9, glibc 2.34 */
#include "fd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"

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

/* timeout_ms < 0: wait as long as it takes. */
static int write_loop(int fd, const void *buf, size_t n, int timeout_ms)
{
    const char *p = buf;
    bool socket = true; /* until send() says otherwise */
    uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : mp_now_ns() + (uint64_t)timeout_ms * 1000000u;
    while (n > 0) {
        /* send() with MSG_NOSIGNAL on a socket: a peer that died gives
         * EPIPE, not a SIGPIPE that would kill the caller */
        int flags = MSG_NOSIGNAL | (timeout_ms >= 0 ? MSG_DONTWAIT : 0);
        ssize_t put = socket ? send(fd, p, n, flags) : write(fd, p, n);
        if (put < 0 && errno == ENOTSOCK && socket) {
            if (timeout_ms >= 0)
                return -ENOTSOCK; /* a bounded write needs a socket */
            socket = false;
            continue;
        }
        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && timeout_ms >= 0) {
            uint64_t now = mp_now_ns();
            if (now >= deadline)
                return -ETIMEDOUT;
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            if (poll(&pfd, 1, (int)((deadline - now + 999999) / 1000000)) < 0 && errno != EINTR)
                return -errno;
            continue;
        }
        if (put < 0)
            return -errno;
        p += put;
        n -= (size_t)put;
    }
    return 0;
}

int mp_write_full(int fd, const void *buf, size_t n) { return write_loop(fd, buf, n, -1); }

int mp_write_full_within(int sock, const void *buf, size_t n, int timeout_ms)
{
    return write_loop(sock, buf, n, timeout_ms < 0 ? 0 : timeout_ms);
}

int mp_send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds)
{
    if (nfds < 0 || nfds > MP_FD_PASS_MAX || len == 0)
        return -EINVAL;
    union {
        char buf[CMSG_SPACE(sizeof(int) * MP_FD_PASS_MAX)];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds > 0) {
        msg.msg_control = u.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    ssize_t n;
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    /* the descriptors went with the first bytes; the rest, if the socket
     * took only part */
    return (size_t)n < len ? mp_write_full(sock, (const char *)buf + n, len - (size_t)n) : 0;
}

int mp_recv_fds(int sock, void *buf, size_t len, int *fds, int max, int *nfds)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * MP_FD_PASS_MAX)];
        struct cmsghdr align;
    } u;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    ssize_t n;
    do
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if (n == 0)
        return -EPIPE; /* closed before sending anything */
    *nfds = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int got = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            int *in = (int *)CMSG_DATA(c);
            for (int i = 0; i < got; i++) {
                if (*nfds < max)
                    fds[(*nfds)++] = in[i];
                else
                    close(in[i]); /* more than asked for: not ours to keep */
            }
        }
    if ((size_t)n < len)
        return mp_read_full(sock, (char *)buf + n, len - (size_t)n);
    return 0;
}

int mp_fd_wait_readable(int fd, int timeout_ms)
{
    uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : mp_now_ns() + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        int ms = -1;
        if (deadline != UINT64_MAX) {
            uint64_t now = mp_now_ns();
            ms = now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
        }
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int ready = poll(&pfd, 1, ms);
        if (ready > 0)
            return 0;
        if (ready == 0)
            return -ETIMEDOUT;
        if (errno != EINTR)
            return -errno;
    }
}

int mp_fd_check(int fd) { return fd >= 0 && fcntl(fd, F_GETFD) >= 0 ? 0 : -EBADF; }

int mp_fd_copy_above(int fd, int min)
{
    int c = fcntl(fd, F_DUPFD_CLOEXEC, min);
    return c < 0 ? -errno : c;
}

void mp_fd_keep_only(const int *keep, int n)
{
    /* close the gaps between the kept descriptors, lowest first */
    unsigned from = 3;
    for (;;) {
        unsigned next = ~0u;
        for (int i = 0; i < n; i++)
            if (keep[i] >= (int)from && (unsigned)keep[i] < next)
                next = (unsigned)keep[i];
        if (next > from && close_range(from, next == ~0u ? ~0u : next - 1, 0) != 0) {
            /* a kernel before 5.9: one by one, up to the descriptor limit */
            long top = next == ~0u ? sysconf(_SC_OPEN_MAX) : (long)next;
            for (long fd = from; fd < top && fd < 65536; fd++)
                close((int)fd);
        }
        if (next == ~0u)
            return;
        from = next + 1;
    }
}
