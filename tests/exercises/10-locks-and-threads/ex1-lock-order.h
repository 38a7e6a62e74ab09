/* Exercise 10.1: transfers without deadlock. The interface the tests, the
 * exercise and the solution share. */
#ifndef EX1_LOCK_ORDER_H
#define EX1_LOCK_ORDER_H

#include "mp.h"

typedef struct account {
    int id;        /* every account has its own: 1, 2, 3, ... */
    long balance;
    mp_lock lock;
} account;

/* Given by the test: take and give back an account's lock (they record
 * the order in which each thread takes them). 0 or -errno. */
int lock_account(account *a);
int unlock_account(account *a);

/* Move amount from one account to the other, holding both locks while
 * both balances change. 0 or -errno. */
int transfer(account *from, account *to, long amount);

#endif
