/* Exercise 10.1 -- transfers without deadlock.
 *
 * A transfer holds both accounts' locks while it changes both balances, so
 * that nobody sees the money in neither account or in both. Thread 1
 * transfers from a to b while thread 2 transfers from b to a: thread 1
 * holds a and waits for b, thread 2 holds b and waits for a -- forever.
 * Lesson 10 part 2 shows it.
 *
 * The fix every large program uses: one order for all locks. Here, the
 * lower account id is always locked first, whichever way the money goes.
 * Lock with lock_account(), unlock with unlock_account() (the test gives
 * them: they record the order you take the locks in).
 *
 * Predict before you run the tests: does the order of the two unlocks
 * matter?
 * Test: make check-10 EX=1
 */
#include "ex1-lock-order.h"

int transfer(account *from, account *to, long amount)
{
    /* TODO: take the lower id's lock first, whichever way the money goes */
    int rc = lock_account(from);
    if (rc != 0)
        return rc;
    rc = lock_account(to);
    if (rc != 0) {
        unlock_account(from);
        return rc;
    }
    from->balance -= amount;
    to->balance += amount;
    unlock_account(to);
    unlock_account(from);
    return 0;
}
