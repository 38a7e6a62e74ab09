/* pipe: a connection that carries whole messages between two processes.
 *
 * Mirrors multiprocessing.Pipe(duplex) and its Connection objects:
 * send_bytes (mp_conn_send), recv_bytes(maxlength) (mp_conn_recv_alloc),
 * recv_bytes_into (mp_conn_recv), poll(timeout) (mp_conn_poll) and close
 * (mp_conn_close). Bytes only: there is no pickle in C, a caller sends a
 * struct or a string as bytes. Layer 4 (the Python-shaped primitives), on
 * clock (layer 1: poll's deadline), report and trace (layer 2: each send and
 * receive is a "send" / "recv" span when tracing is on, so a timeline shows
 * who waited for whom).
 *
 * The two kinds, close-on-exec, as in Python:
 *  - duplex: a Unix stream socketpair; both ends send and receive. A write
 *    asks for no SIGPIPE (MSG_NOSIGNAL): a reader that is gone is -EPIPE.
 *  - one-way (Python's order): a only receives, b only sends. A pipe(2),
 *    as Python's os.pipe(): a round trip on two pipes costs less than on a
 *    socketpair (about 20 us against 28 us on a small VM: a socket's
 *    wake-up path is longer), and two pipes are what a bare ping-pong uses.
 *    Each end knows its direction: the wrong use is -EBADF at once, never
 *    a hang (mp_conn_from_fd drops a direction the descriptor was not
 *    opened for).
 * SIGPIPE and the one-way kind: a pipe cannot ask for no SIGPIPE, so the
 * first send on a pipe blocks SIGPIPE in the calling thread's signal mask
 * (once per thread: a system call per message would cost more than the
 * goal allows), and a send that meets a reader gone takes back the SIGPIPE
 * its write raised (sigtimedwait, zero timeout) and returns -EPIPE: the
 * process neither dies nor keeps a pending SIGPIPE. The side effects, for
 * a program that cares: that thread keeps SIGPIPE blocked afterwards (its
 * other writes to a broken pipe or socket are -EPIPE too, as in Python,
 * which ignores SIGPIPE), and a SIGPIPE of its own already pending on that
 * thread at that moment merges with ours and is taken too. Threads it
 * starts inherit the mask. A forked child is a copy of the thread, mask
 * included; every program the kit execs (spawn, forkserver, mp_exec_child)
 * starts with SIGPIPE unblocked, as from a shell.
 *
 * The frame: a 16-byte header, then the message's bytes.
 *     bytes 0..3    magic "MPc1" (0x4d 0x50 0x63 0x31)
 *     bytes 4..11   the message's length, 64-bit little-endian
 *     bytes 12..15  check: the length's low and high 32-bit halves xored,
 *                   complemented, xored with 0x5a5a5a5a, little-endian
 * A length goes from 0 to MP_CONN_MSG_MAX. A header with the wrong magic,
 * a check that does not match its length, or a length over MP_CONN_MSG_MAX
 * cannot come from mp_conn_send: that is a corrupted stream (-EBADMSG), as
 * is a stream that ends inside a frame. Any change to one byte of a header
 * is caught; the message's own bytes carry no checksum (the kernel does not
 * corrupt them; a second writer interleaving frames on one end does, as in
 * Python, and is caught only when it breaks a header).
 *
 * Statuses: 0, or a negative errno:
 *   MP_CONN_EOF (-EPIPE)  recv: the stream ended at a frame boundary and
 *                         every copy of the sending end is closed, also
 *                         those children inherited (Python's EOFError). The
 *                         connection stays open; recv says EOF again.
 *   -EPIPE                send: every copy of the receiving end is closed
 *                         (never a SIGPIPE death).
 *   -EMSGSIZE             recv: the message is longer than the receiver's
 *                         limit (Python's "bad message length"); send: over
 *                         MP_CONN_MSG_MAX. After a recv's -EMSGSIZE the
 *                         connection is closed, as Python closes it: the
 *                         rest of the stream is unread and unreadable.
 *   -EBADMSG              recv: a corrupted stream (above). The connection
 *                         is closed; nothing of the bad frame is returned.
 *   -EBADF                the end is closed, or used the wrong way (recv or
 *                         poll on a send-only end, send on a receive-only one).
 * Interrupted calls (EINTR), partial reads and writes, and EAGAIN on a
 * non-blocking descriptor are handled inside.
 *
 * A receiving end reads ahead into a small buffer of its own (so small
 * messages cost one read each, or less); hand an end to a child before
 * receiving on it, not after. An end that several processes receive on (T0
 * gives one end to two processes) must not read ahead, or one of them could
 * take a message meant for the next reader into its buffer and the others
 * would wait for it forever: mark it MP_CONN_SHARED (mp_conn_from_fd's
 * flags, or mp_conn_set_shared) and each receive reads exactly one message,
 * header then body, as Python's recv_bytes does. Two receives at the same
 * instant can still split a message between them (caught as -EBADMSG when a
 * header breaks), as in Python: shared ends suit messages that come one at
 * a time; a queue is made for many readers. One reader and one writer per end at a time,
 * as in Python: two threads sending on one end at once interleave frames.
 *
 * Handing an end to a child (any start method): mp_process_pass_fd(&p,
 * conn.fd); the child wraps mp_child_fd(i) with mp_conn_from_fd(&c, fd,
 * MP_CONN_SEND or MP_CONN_RECV or both). Close the parent's copy of an end
 * the child now owns, or the other side never sees EOF.
 */
#ifndef MP_PIPE_H
#define MP_PIPE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MP_CONN_RECV 1 /* this end may receive (and poll) */
#define MP_CONN_SEND 2 /* this end may send */
#define MP_CONN_SHARED 4 /* other processes receive on this end too: no read-ahead */

#define MP_CONN_EOF (-EPIPE)
#define MP_CONN_MSG_MAX ((uint64_t)1 << 40) /* 1 TiB: any longer length is corruption */
#define MP_CONN_HEADER 16
#define MP_CONN_MAGIC "MPc1"
#define MP_CONN_RBUF 4096 /* read-ahead of a receiving end */

typedef struct mp_conn {
    int fd;             /* -1 once closed */
    int flags;          /* MP_CONN_RECV | MP_CONN_SEND */
    bool is_socket;     /* sendmsg(MSG_NOSIGNAL); otherwise writev, SIGPIPE blocked */
    uint32_t rpos, rlen; /* read-ahead: rbuf[rpos..rlen) not yet consumed */
    unsigned char rbuf[MP_CONN_RBUF];
} mp_conn;

/* A new connection: duplex, both ends both ways; otherwise a only receives
 * and b only sends (Python's (reader, writer) order). 0 or -errno (the
 * failed call is reported); on failure both ends are closed (fd -1). */
int mp_pipe(mp_conn *a, mp_conn *b, bool duplex);

/* Wrap a descriptor (a child's mp_child_fd(i)); the connection owns it and
 * mp_conn_close closes it. flags: MP_CONN_RECV, MP_CONN_SEND or both, and
 * MP_CONN_SHARED if other processes receive on the same end.
 * 0, -EBADF (fd not open) or -EINVAL (flags); on failure c->fd is -1 and fd
 * is left open. A direction fd was not opened for (a pipe's read end
 * wrapped to send) is dropped: using it is -EBADF. */
int mp_conn_from_fd(mp_conn *c, int fd, int flags);

/* Send len bytes (0 is a message too; buf may then be NULL) as one frame,
 * whole. -EINVAL for a NULL buf with len > 0. */
int mp_conn_send(mp_conn *c, const void *buf, size_t len);

/* Receive one message into buf (cap bytes: also the limit) and set *len.
 * Python's recv_bytes_into, with recv_bytes(maxlength)'s rule: a longer
 * message is -EMSGSIZE and closes the connection. */
int mp_conn_recv(mp_conn *c, void *buf, size_t cap, size_t *len);

/* Receive one message of at most max bytes into a buffer the kit allocates
 * (*buf, free() it; never NULL on success, even for 0 bytes). Python's
 * recv_bytes(maxlength). -ENOMEM if it cannot be allocated (the connection
 * is closed then: the message cannot be skipped). */
int mp_conn_recv_alloc(mp_conn *c, size_t max, void **buf, size_t *len);

/* Is something waiting? timeout_s: 0 looks and returns, > 0 waits at most
 * that long, < 0 waits as long as it takes. 1: a message (or at least its
 * first bytes) or EOF is waiting, so recv will not wait for the sender's
 * next send; 0: nothing came in time; -EBADF on a send-only or closed end,
 * or the failed poll's -errno. */
int mp_conn_poll(mp_conn *c, double timeout_s);

/* Bytes of the peer's messages already read from the descriptor into this
 * end's read-ahead and not yet received: poll(2) on the descriptor cannot
 * see them (a caller polling many ends checks this first, as mp_conn_poll
 * does). */
bool mp_conn_buffered(const mp_conn *c);

/* Mark an end shared (or not): see MP_CONN_SHARED above. */
void mp_conn_set_shared(mp_conn *c, bool shared);

/* Close the end (its descriptor); safe to call twice. */
void mp_conn_close(mp_conn *c);

#endif
