/* Exercise 07.1 -- framing: whole messages over a stream of bytes.
 *
 * (Solution.) A pipe or a socket carries bytes, not messages: one write()
 * may arrive as several read()s, several writes may arrive as one read, a
 * write may move only part of its bytes, and a signal may interrupt either
 * call (EINTR). A length prefix says where a message ends; a loop that
 * reads and writes until every byte moved does the rest.
 * The frame and the statuses: tests/exercises/07-pipe/ex1-framing.h.
 * Test: make check-7 EX=1
 */
#include <errno.h>
#include <unistd.h>

#include "ex1-framing.h"

/* Write all n bytes: write() may move fewer (a signal arrived after some
 * were written), or none (EINTR: a signal arrived first). */
static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read exactly n bytes. 0; 1 if the stream ended before the first byte;
 * -EBADMSG if it ended after some but not all; or the failed read's -errno. */
static int read_all(int fd, unsigned char *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0) /* end of the stream */
            return got == 0 ? 1 : -EBADMSG;
        got += (size_t)r;
    }
    return 0;
}

int send_msg(int fd, const void *buf, size_t len)
{
    if (len > MSG_MAX)
        return -EMSGSIZE;
    unsigned char header[MSG_HEADER];
    for (int i = 0; i < MSG_HEADER; i++)
        header[i] = (unsigned char)(len >> (8 * i)); /* little-endian */
    int rc = write_all(fd, header, sizeof header);
    if (rc == 0)
        rc = write_all(fd, buf, len);
    return rc;
}

int recv_msg(int fd, void *buf, size_t cap, size_t *len)
{
    unsigned char header[MSG_HEADER];
    int rc = read_all(fd, header, sizeof header);
    if (rc == 1)
        return MSG_EOF; /* nothing of a new frame: a clean end */
    if (rc != 0)
        return rc;
    size_t n = 0;
    for (int i = 0; i < MSG_HEADER; i++)
        n |= (size_t)header[i] << (8 * i);
    if (n > cap)
        return -EMSGSIZE; /* before reading: never write past buf */
    rc = read_all(fd, buf, n);
    if (rc == 1)
        return -EBADMSG; /* a header and then nothing: still a cut frame */
    if (rc != 0)
        return rc;
    *len = n;
    return 0;
}
