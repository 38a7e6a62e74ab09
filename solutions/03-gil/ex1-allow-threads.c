/* Exercise 03.1 -- give the lock away while you wait.
 *
 * CPython releases the GIL around every blocking call: os.read, time.sleep,
 * socket.recv all run between Py_BEGIN_ALLOW_THREADS (release the lock,
 * without waiting for anyone to take it) and Py_END_ALLOW_THREADS (take it
 * back, waiting if another thread holds it). That is why I/O-bound threads
 * speed up in Python despite the GIL (lesson 03, part 4).
 *
 * Write gil_read(): read(2) from fd into buf, up to n bytes, with the
 * simulated lock released for the duration of the read. The calling thread
 * holds the lock on entry and must hold it again on return. Return what
 * read() returned; if it failed, make sure errno is still the read's errno
 * when you return.
 *
 * Use mp_gil_begin_blocking() and mp_gil_end_blocking() (lib/gil.h).
 * Test: make check-3
 */
#include <errno.h>
#include <unistd.h>

#include "gil.h"

ssize_t gil_read(mp_gil *g, mp_gil_thread *t, int fd, void *buf, size_t n)
{
    mp_gil_begin_blocking(g, t); /* Py_BEGIN_ALLOW_THREADS: others may run */
    ssize_t got = read(fd, buf, n);
    int saved = errno;           /* taking the lock back may change errno */
    mp_gil_end_blocking(g, t);   /* Py_END_ALLOW_THREADS: may wait an interval */
    errno = saved;
    return got;
}
