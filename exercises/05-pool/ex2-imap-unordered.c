/* Exercise 05.2 -- hand out results as imap and imap_unordered do.
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
    /* TODO: note the completion: in arrived[] (its order), and per item */
    (void)c;
    (void)item;
    (void)err;
    (void)value;
}

int next_unordered(collector *c, long *value, size_t *item)
{
    /* TODO: the end, nothing new yet, or the oldest completion not handed out */
    (void)c;
    (void)value;
    (void)item;
    return -ENOSYS;
}

int next_ordered(collector *c, long *value, size_t *item)
{
    /* TODO: the end, item c->next not come yet, or item c->next */
    (void)c;
    (void)value;
    (void)item;
    return -ENOSYS;
}
