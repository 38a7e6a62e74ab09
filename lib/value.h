/* value: a typed value or array in shared memory, with its lock
 * (multiprocessing.Value and multiprocessing.Array).
 *
 * Layer 4 (the Python-shaped primitives): memory from shm.h, the lock from
 * sync.h. Python's Value('i', 0) is an int in shared memory plus an RLock;
 * Value('i', 0, lock=False) the bare int; Array('d', 10) ten doubles. In
 * C the type is the element's size (sizeof(int), sizeof(struct point)) and
 * the data is reached through a pointer of the right type:
 *
 *     mp_value n;  mp_value_create(&n, sizeof(int), 1, &seven, true);
 *     int *np = mp_value_ptr(&n);                 // n.value
 *     mp_lock_acquire(mp_value_lock(&n), -1);     // with n.get_lock():
 *     *np += 1;                                   //     n.value += 1
 *     mp_lock_release(mp_value_lock(&n));
 *
 * mp_value_get and mp_value_set copy element i in or out under the lock
 * (Python's v.value and a[i] do the same); a read-modify-write needs the
 * lock around all of it, as above -- that is lesson 09's lost update.
 *
 * The segment is a memfd (shm.h): a forked child uses the parent's mapping
 * as it is; a spawned or forkserver child is handed the descriptor
 * (mp_process_pass_fd(&p, mp_value_fd(&v))) and attaches it
 * (mp_value_attach), which checks that it is a value and learns its
 * element size and count.
 */
#ifndef MP_VALUE_H
#define MP_VALUE_H

#include <stdbool.h>
#include <stddef.h>

#include "shm.h"
#include "sync.h"

typedef struct mp_value {
    mp_shm seg;
    void *data;      /* n elements of size bytes, 64-byte aligned */
    size_t size, n;
    mp_lock *lock;   /* NULL: created with lock=false */
} mp_value;

/* n elements of `size` bytes (Value: n = 1), copied from init (NULL:
 * zeroed); with a lock (an RLock, as Python's) if `lock`. 0 or -errno. */
int mp_value_create(mp_value *v, size_t size, size_t n, const void *init, bool lock);
/* In a child: map the value behind fd (mp_child_fd(i)); takes fd.
 * -EINVAL if fd is not a value. */
int mp_value_attach(mp_value *v, int fd);
int mp_value_fd(const mp_value *v);
void *mp_value_ptr(mp_value *v);      /* the elements (get_obj(): no lock taken) */
mp_lock *mp_value_lock(mp_value *v);  /* get_lock(); NULL without one */
size_t mp_value_len(const mp_value *v);
/* Element i, copied out or in under the lock (if there is one): whole,
 * never half old and half new. -ERANGE for i >= n. */
int mp_value_get(mp_value *v, size_t i, void *out);
int mp_value_set(mp_value *v, size_t i, const void *in);
void mp_value_close(mp_value *v);

#endif
