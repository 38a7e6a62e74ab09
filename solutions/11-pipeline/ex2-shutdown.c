/* Exercise 11.2 -- the ordered shutdown (solution). atomic_fetch_add gives
 * each worker a different "before" value, so exactly one sees workers - 1:
 * the last, whatever the order. */
#include "ex2-shutdown.h"

void worker_done(stage_end *e, mp_queue *out)
{
    if (atomic_fetch_add(&e->done, 1) + 1 == e->workers)
        mp_queue_close(out);
}
