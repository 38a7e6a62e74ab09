/* Framing over a raw stream (exercise 07.1): the interface the tests, the
 * exercise and the solution share, so it lives with the tests.
 *
 * The frame: a 4-byte length, little-endian (byte 0 is the lowest), then
 * that many bytes of message. A length of 0 is a message too. */
#ifndef EX1_FRAMING_H
#define EX1_FRAMING_H

#include <stddef.h>
#include <stdint.h>

#define MSG_HEADER 4          /* bytes of the length prefix */
#define MSG_MAX UINT32_MAX    /* the longest message a 4-byte length can say */

/* recv_msg's status when the stream ended cleanly, between two frames: no
 * more messages (not an error: the sender is done). Positive, so that it
 * is never mistaken for a -errno. */
#define MSG_EOF 1

/* Send len bytes of buf as one frame, whole.
 * 0, -EMSGSIZE if len > MSG_MAX (nothing is written), or the failed
 * write's -errno (-EPIPE when the reader is gone). */
int send_msg(int fd, const void *buf, size_t len);

/* Receive one frame: its message into buf (at most cap bytes), its length
 * into *len.
 *   0          a whole message arrived
 *   MSG_EOF    the stream ended at a frame boundary (before any header byte)
 *   -EBADMSG   the stream ended inside a frame (a truncated header or message)
 *   -EMSGSIZE  the message is longer than cap: nothing of it is stored
 *   -errno     the failed read's error */
int recv_msg(int fd, void *buf, size_t cap, size_t *len);

#endif
