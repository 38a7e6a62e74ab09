/* Receiving until the sender goes quiet (exercise 07.3): the interface the
 * tests, the exercise and the solution share, so it lives with the tests. */
#ifndef EX3_QUIET_H
#define EX3_QUIET_H

#include <stdbool.h>
#include <stdint.h>

#include "mp.h"

/* Receive 8-byte messages (int64_t) on c into out[] (at most cap of them)
 * until nothing arrives for quiet_s seconds, or the sender closes its end.
 * *ended: true if it was the end (EOF), false if it was a quiet period.
 * Returns how many arrived, or a -errno (mp_conn_recv's or mp_conn_poll's). */
int collect_until_quiet(mp_conn *c, double quiet_s, int64_t *out, int cap, bool *ended);

#endif
