/* Exercise 09.1 -- fix the lost update.
 *
 * Lesson 09 part 2: two processes each add 1 to a shared counter a few
 * million times, and almost half the increments are lost. `*c += 1` is a
 * load, an add and a store; another process can load the same old value in
 * between, and one of the two stores is wasted.
 *
 * Python's answer (T0, T3):
 *
 *     with counter.get_lock():
 *         counter.value += 1
 *
 * add_many(): the same with the kit. The value's lock is
 * mp_value_lock(counter); mp_lock_acquire(lock, -1) waits as long as it
 * takes, mp_lock_release(lock) gives it back. Both return 0 or -errno.
 *
 * Predict before you run the tests: must the lock be taken once for all n
 * increments, or once per increment? What does each choice do to the other
 * process?
 * Test: make check-9 EX=1
 */
#include "ex1-lost-update.h"

int add_many(mp_value *counter, long n)
{
    volatile long *c = mp_value_ptr(counter);
    for (long i = 0; i < n; i++) {
        /* TODO: this is the race -- make it one step no other process can cut in */
        *c = *c + 1;
    }
    return 0;
}
