/* Exercise 09.1: the lost update. The interface the tests, the exercise and
 * the solution share. */
#ifndef EX1_LOST_UPDATE_H
#define EX1_LOST_UPDATE_H

#include "mp.h"

/* Add 1 to the long in `counter` (a Value with its lock), n times, so that
 * no increment is lost when several processes do it at once. 0 or -errno. */
int add_many(mp_value *counter, long n);

#endif
