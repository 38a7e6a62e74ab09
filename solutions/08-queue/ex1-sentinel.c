/* Exercise 08.1 -- a producer and consumers that know when to stop.
 *
 * T2's writer process gets items from a queue "forever": how does it learn
 * that there will be no more? The producer says so with a sentinel, an
 * item that cannot be real data (T2 uses an empty list; here, an item of 0
 * bytes). Each consumer that gets it stops. With several consumers, each
 * one needs its own sentinel: a consumer that takes the only sentinel stops,
 * and the others wait forever -- the classic bug.
 *
 * produce(): put the numbers 0..n-1 as uint32_t items (4 bytes each), in
 * order, then `consumers` sentinels. Use mp_queue_put(q, &x, sizeof x, -1)
 * (a timeout < 0 waits for room as long as it takes).
 *
 * consume(): get items until a sentinel (an item whose length is 0); add
 * each value to *sum, return how many items you got. A get that fails
 * (a negative status) is returned as it is.
 *
 * The tests run one producer and one or three consumers as processes.
 * (The kit's queue also has mp_queue_close(), which ends the stream for
 * every consumer at once; lesson 08 part 3 shows both ways.)
 * Test: make check-8
 */
#include "ex1-sentinel.h"

int produce(mp_queue *q, uint32_t n, int consumers)
{
    for (uint32_t i = 0; i < n; i++) {
        int rc = mp_queue_put(q, &i, sizeof i, -1);
        if (rc != 0)
            return rc;
    }
    for (int c = 0; c < consumers; c++) { /* one each: a consumer stops at the first it gets */
        int rc = mp_queue_put(q, "", 0, -1);
        if (rc != 0)
            return rc;
    }
    return 0;
}

long consume(mp_queue *q, uint64_t *sum)
{
    long count = 0;
    for (;;) {
        uint32_t x;
        size_t len;
        int rc = mp_queue_get(q, &x, sizeof x, &len, -1);
        if (rc != 0)
            return rc;
        if (len == 0) /* the sentinel */
            return count;
        *sum += x;
        count++;
    }
}
