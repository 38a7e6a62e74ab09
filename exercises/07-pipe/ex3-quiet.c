/* Exercise 07.3 -- a receiver that does not wait for ever.
 *
 * A worker sends results, then may go quiet without closing its end: it is
 * waiting for more work, or it is stuck. A receiver that only stops at EOF
 * (as below) then waits for ever. Python's Connection.poll(timeout) answers
 * "did anything arrive within timeout?": the kit's mp_conn_poll (lib/pipe.h;
 * lesson 07, lessons/07-pipe/, the part on poll and EOF).
 *
 * Make collect_until_quiet() stop when nothing arrived for quiet_s seconds
 * since the last message (returning what it has, *ended = false), and
 * still stop at EOF (*ended = true). The contract is in
 * tests/exercises/07-pipe/ex3-quiet.h.
 * Test: make check-7 EX=3
 */
#include "ex3-quiet.h"

int collect_until_quiet(mp_conn *c, double quiet_s, int64_t *out, int cap, bool *ended)
{
    int count = 0;
    *ended = false;
    for (;;) {
        /* TODO: before each recv, ask whether anything arrives within quiet_s */
        int64_t v;
        size_t len;
        int rc = mp_conn_recv(c, &v, sizeof v, &len); /* waits as long as it takes */
        if (rc == MP_CONN_EOF) {
            *ended = true;
            return count;
        }
        if (rc != 0)
            return rc;
        if (len != sizeof v)
            return -EBADMSG;
        if (count < cap)
            out[count] = v;
        count++;
    }
}
