/* Exercise 07.3 -- a receiver that does not wait for ever.
 *
 * (Solution.) mp_conn_poll(c, quiet_s) waits at most quiet_s for the next
 * message; 0 means nothing came: the sender went quiet. It is asked again
 * before each message, so the quiet period counts from the last one.
 * Test: make check-7 EX=3
 */
#include "ex3-quiet.h"

int collect_until_quiet(mp_conn *c, double quiet_s, int64_t *out, int cap, bool *ended)
{
    int count = 0;
    *ended = false;
    for (;;) {
        int ready = mp_conn_poll(c, quiet_s);
        if (ready < 0)
            return ready;
        if (ready == 0)
            return count; /* quiet for quiet_s: done for now */
        int64_t v;
        size_t len;
        int rc = mp_conn_recv(c, &v, sizeof v, &len);
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
