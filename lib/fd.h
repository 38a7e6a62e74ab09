/* fd: descriptors, read and written whole, and handed to another process.
 *
 * Layer 1 (system helpers). No Python counterpart: Connection.send_bytes
 * and the resource sharer do this underneath. A read or write on a pipe or
 * socket may move fewer bytes than asked; these loop until all of them
 * moved (retrying after signals), so a message never arrives cut in two.
 * A descriptor is handed to an unrelated process over a Unix socket with
 * SCM_RIGHTS: the receiver gets its own descriptor for the same open file.
 *
 * Policy: every descriptor the library opens is close-on-exec, so no
 * program the kit execs (a spawned child, gnuplot, python3) inherits one it
 * was not handed on purpose.
 */
#ifndef MP_FD_H
#define MP_FD_H

#include <stddef.h>

/* Read/write exactly n bytes. 0; -EPROTO when the other end closed first
 * (EOF); -ETIMEDOUT (write_within); or the failed call's -errno. Writes to a
 * socket never raise SIGPIPE: a dead peer is -EPIPE. */
int mp_read_full(int fd, void *buf, size_t n);
int mp_write_full(int fd, const void *buf, size_t n);
/* The same to a socket, giving up after timeout_ms (a peer that never reads
 * cannot block us for good). */
int mp_write_full_within(int sock, const void *buf, size_t n, int timeout_ms);

/* Send len bytes with nfds descriptors riding on the first of them
 * (SCM_RIGHTS); receive them (received descriptors are close-on-exec).
 * recv: 0, -EPIPE if the other end closed before sending anything, -EPROTO
 * if it closed half-way. At most MP_FD_PASS_MAX descriptors. */
#define MP_FD_PASS_MAX 16
int mp_send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds);
int mp_recv_fds(int sock, void *buf, size_t len, int *fds, int max, int *nfds);

/* Wait until fd is readable (data or EOF): 0, -ETIMEDOUT after timeout_ms
 * (< 0: no limit), or the failed poll's -errno. A signal that interrupts
 * the wait is not an answer: it waits on. */
int mp_fd_wait_readable(int fd, int timeout_ms);

/* 0 if fd is an open descriptor, else -EBADF. */
int mp_fd_check(int fd);

/* A close-on-exec copy of fd numbered at least `min`: the new descriptor, or
 * -errno (EMFILE/EINVAL when the descriptor limit is too low). */
int mp_fd_copy_above(int fd, int min);

/* In a new child: close every descriptor but 0, 1, 2 and the `n` in keep. */
void mp_fd_keep_only(const int *keep, int n);

#endif
