/* Exercise 11.1 -- the batcher (solution). */
#include "ex1-batcher.h"

int next_batch(uint64_t *ids, int max, double max_wait_s)
{
    if (take(-1, &ids[0]) != 0)
        return 0; /* the end: nothing left */
    double deadline = now_s() + max_wait_s;
    int n = 1;
    while (n < max) {
        double left = deadline - now_s();
        if (left <= 0)
            break; /* time is up: send what there is */
        int rc = take(left, &ids[n]);
        if (rc != 0)
            break; /* MP_QUEUE_EMPTY: the deadline came first; MP_QUEUE_END: no more will come */
        n++;
    }
    return n;
}
