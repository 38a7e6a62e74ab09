/* Exercise 10.1 -- transfers without deadlock (solution).
 *
 * Lower id first: two transfers in opposite directions then ask for the
 * same lock first, and the second waits while holding nothing. The order of
 * the unlocks does not matter: giving a lock back never waits. */
#include "ex1-lock-order.h"

int transfer(account *from, account *to, long amount)
{
    account *first = from->id < to->id ? from : to, *second = first == from ? to : from;
    int rc = lock_account(first);
    if (rc != 0)
        return rc;
    rc = lock_account(second);
    if (rc != 0) {
        unlock_account(first);
        return rc;
    }
    from->balance -= amount;
    to->balance += amount;
    unlock_account(second);
    unlock_account(first);
    return 0;
}
