/* Exercise 11.2 -- the ordered shutdown.
 *
 * Lesson 11 ends its pipeline from the front: the source closes its queue;
 * each stage drains its input, closes its output, exits; the next stage
 * sees its input end, and so on down to the results. No sentinels, nothing
 * lost. But a stage with two workers has two writers on its output: the
 * first worker to see the end must not close the output while the other
 * still has items to put (they would be refused: MP_QUEUE_CLOSED) -- the
 * LAST worker closes it.
 *
 * worker_done(): count this worker as done (e->done, an atomic counter)
 * and close `out` (mp_queue_close) only if it was the last of e->workers.
 * atomic_fetch_add returns the value before the add.
 *
 * Predict before you run the tests: with two workers and a plain `done++`
 * (not atomic), what can go wrong, and how often?
 * Test: make check-11 EX=2
 */
#include "ex2-shutdown.h"

void worker_done(stage_end *e, mp_queue *out)
{
    /* TODO: only the last worker closes the output */
    (void)e;
    mp_queue_close(out);
}
