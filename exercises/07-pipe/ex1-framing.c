/* Exercise 07.1 -- framing: whole messages over a stream of bytes.
 *
 * A pipe or a socket carries bytes, not messages. One write() may arrive
 * as several read()s (the reader woke up after the first bytes), several
 * writes may arrive as one read, a write may move only part of its bytes
 * (a signal arrived half-way), and a signal may interrupt either call
 * before it moved anything (-1 with errno EINTR). This is what lesson 07's
 * mp_conn does under mp_conn_send and mp_conn_recv (lessons/07-pipe/, the
 * part on framing; lib/pipe.c): here you write it yourself.
 *
 * The frame (tests/exercises/07-pipe/ex1-framing.h): a 4-byte length,
 * little-endian, then that many bytes. The version below makes one write()
 * per part and one read() per part: it works on a quiet machine with small
 * messages, and the tests show when it does not. Make it right:
 *  - send_msg: write every byte, however many write() calls it takes;
 *    retry after EINTR; a message longer than MSG_MAX is -EMSGSIZE.
 *  - recv_msg: read exactly 4 header bytes, then exactly the length's
 *    bytes, never more (the next frame's bytes belong to the next call);
 *    retry after EINTR; tell apart the end of the stream *between* frames
 *    (MSG_EOF: the sender is done) from an end *inside* a frame (-EBADMSG:
 *    the message is cut); a message longer than cap is -EMSGSIZE and
 *    nothing is written into buf (never a silently shortened message).
 * Use read() and write() and write the loops yourself (not mp_read_full:
 * the point is to see what it does).
 * Test: make check-7 EX=1   (the tests write frames a byte at a time and
 * interrupt your reads and writes with signals)
 */
#include <errno.h>
#include <unistd.h>

#include "ex1-framing.h"

int send_msg(int fd, const void *buf, size_t len)
{
    /* TODO: a message longer than MSG_MAX cannot be framed: -EMSGSIZE */
    unsigned char header[MSG_HEADER];
    for (int i = 0; i < MSG_HEADER; i++)
        header[i] = (unsigned char)(len >> (8 * i)); /* little-endian */
    /* TODO: one write() may write fewer bytes than asked, or fail with EINTR */
    if (write(fd, header, sizeof header) < 0)
        return -errno;
    if (len > 0 && write(fd, buf, len) < 0)
        return -errno;
    return 0;
}

int recv_msg(int fd, void *buf, size_t cap, size_t *len)
{
    unsigned char header[MSG_HEADER];
    /* TODO: one read() may return fewer bytes than asked (1, 2, 3 of the 4),
     * 0 at the end of the stream, or -1 with EINTR */
    ssize_t r = read(fd, header, sizeof header);
    if (r < 0)
        return -errno;
    if (r == 0)
        return MSG_EOF;
    size_t n = 0;
    for (int i = 0; i < MSG_HEADER; i++)
        n |= (size_t)header[i] << (8 * i);
    /* TODO: a message longer than cap must not be cut to fit */
    if (n > cap)
        n = cap;
    /* TODO: the same for the message's bytes; and an end of the stream
     * here means the frame was cut (-EBADMSG) */
    r = read(fd, buf, n);
    if (r < 0)
        return -errno;
    *len = (size_t)r;
    return 0;
}
