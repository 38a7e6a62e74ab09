/* Exercise 09.3 -- share a message by name.
 *
 * Python:
 *     shm = shared_memory.SharedMemory(name=name, create=True, size=bytes)
 *     shm.buf[:len(data)] = data                          # publish
 *
 *     shm = shared_memory.SharedMemory(name=name)         # elsewhere
 *     data = bytes(shm.buf[:n]); shm.close()              # read, and only close
 *
 * The kit's named segments are lib/segment.h: mp_segment_create(&s, name,
 * bytes), mp_segment_attach(&s, name, 0) (0: whatever size it has), its
 * memory at s.p (s.bytes long), mp_segment_close(&s). Each returns 0 or
 * -errno: pass the errors on.
 *
 * The trap of lesson 09 part 4 (CPython's gh-82300): a reader that unlinks
 * -- or whose resource tracker unlinks for it -- destroys the publisher's
 * segment. The test checks the name is still there after your reader ran.
 *
 * Predict before you run the tests: after read_message's process exits, is
 * the name still in /dev/shm? After the publisher's? Why?
 * Test: make check-9 EX=3
 */
#include "ex3-by-name.h"

int publish(mp_segment *s, const char *name, size_t bytes, const char *msg)
{
    /* TODO: create, then copy msg (and its 0) to s->p */
    (void)s;
    (void)name;
    (void)bytes;
    (void)msg;
    return -ENOSYS;
}

int read_message(const char *name, char *buf, size_t cap)
{
    /* TODO: attach by name, copy the string out (0-terminated, at most cap), close -- never unlink */
    (void)name;
    (void)buf;
    (void)cap;
    return -ENOSYS;
}
