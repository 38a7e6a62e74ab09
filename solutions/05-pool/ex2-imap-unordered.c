/* Exercise 05.2 -- hand out results as imap and imap_unordered do. (solved)
 *
 * A pool's result handler learns that tasks finished in whatever order the
 * workers finish them. The caller's next() hands them out:
 *  - imap_unordered: in completion order -- the oldest completion not yet
 *    handed out. Nothing waits for a slow task: a caller that can use any
 *    result first (T2's files, written as they come) gets them sooner;
 *  - imap: in argument order -- item 0, then 1, ... A result that came
 *    early is kept until its turn, so one slow task holds back every later
 *    result (and a buffer of them grows).
 * Lesson 05 part 3 shows both on a real pool (the first task sleeps
 * longest: imap_unordered hands it out last, imap first).
 *
 * The state is in struct collector (see the header): collector_arrived()
 * is called once per finished task, by the "result handler"; next_*() by
 * the caller. Write the three. A failed task is handed out like the others:
 * its status returned, its value not written (Python raises its exception
 * from next() and the following next() goes on). No locks here: the tests
 * call everything from one thread, in a scripted order, so the order you
 * hand out is checked exactly.
 * Test: make check-5 EX=2
 */

#include <errno.h>
#include <stdlib.h>

#include "ex2-imap-unordered.h"

int collector_init(collector *c, size_t n)
{
    *c = (collector){.n = n};
    size_t k = n ? n : 1;
    c->arrived = calloc(k, sizeof *c->arrived);
    c->done = calloc(k, sizeof *c->done);
    c->err = calloc(k, sizeof *c->err);
    c->value = calloc(k, sizeof *c->value);
    if (!c->arrived || !c->done || !c->err || !c->value) {
        collector_free(c);
        return -ENOMEM;
    }
    return 0;
}

void collector_free(collector *c)
{
    free(c->arrived);
    free(c->done);
    free(c->err);
    free(c->value);
    *c = (collector){0};
}

void collector_arrived(collector *c, size_t item, int err, long value)
{
    if (item >= c->n || c->done[item])
        return; /* each item arrives once */
    c->done[item] = true;
    c->err[item] = err;
    c->value[item] = value;
    c->arrived[c->narrived++] = item;
}

/* Hand out item i: its status, and its value if it succeeded. */
static int hand_out(collector *c, size_t i, long *value, size_t *item)
{
    c->handed++;
    *item = i;
    if (c->err[i] != 0)
        return c->err[i];
    *value = c->value[i];
    return 0;
}

int next_unordered(collector *c, long *value, size_t *item)
{
    if (c->handed == c->n)
        return MP_POOL_END;
    if (c->handed == c->narrived)
        return -EAGAIN; /* the real pool waits here, up to the timeout */
    /* completions are handed out in the order they came: the handed-th */
    return hand_out(c, c->arrived[c->handed], value, item);
}

int next_ordered(collector *c, long *value, size_t *item)
{
    if (c->next == c->n)
        return MP_POOL_END;
    if (!c->done[c->next])
        return -EAGAIN; /* later items may have come: they wait their turn */
    return hand_out(c, c->next++, value, item);
}
