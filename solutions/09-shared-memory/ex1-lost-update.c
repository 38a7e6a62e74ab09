/* Exercise 09.1 -- fix the lost update (solution).
 *
 * The lock around each read-modify-write, as Python's `with
 * counter.get_lock(): counter.value += 1`. Taking it once around the whole
 * loop would be exact too, but the other process would wait for all n
 * increments: the work would run one process after the other. */
#include "ex1-lost-update.h"

int add_many(mp_value *counter, long n)
{
    volatile long *c = mp_value_ptr(counter);
    mp_lock *lock = mp_value_lock(counter);
    for (long i = 0; i < n; i++) {
        int rc = mp_lock_acquire(lock, -1);
        if (rc != 0 && rc != -EOWNERDEAD)
            return rc;
        *c = *c + 1;
        rc = mp_lock_release(lock);
        if (rc != 0)
            return rc;
    }
    return 0;
}
