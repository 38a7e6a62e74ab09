/* Exercise 05.2: the collection loops of imap and imap_unordered. The
 * interface the tests, the exercise and the solution share. */
#ifndef EX2_IMAP_UNORDERED_H
#define EX2_IMAP_UNORDERED_H

#include <stdbool.h>
#include <stddef.h>

#include "mp.h" /* MP_POOL_END */

/* What the pool's result handler knows about one job of n tasks, and what
 * the caller's next() has taken so far. Python keeps the same in
 * IMapIterator (_items, _index, _unsorted) and IMapUnorderedIterator. */
typedef struct collector {
    size_t n;          /* tasks in the job */
    size_t handed;     /* results handed out so far (either order) */
    /* every completion, in the order they came: item numbers */
    size_t *arrived;
    size_t narrived;
    /* per item: has it come, its status and its value */
    bool *done;
    int *err;
    long *value;
    size_t next;       /* imap: the item to hand out next */
} collector;

/* Given (in the exercise): arrays for n tasks, all empty. 0 or -ENOMEM. */
int collector_init(collector *c, size_t n);
void collector_free(collector *c);

/* The result handler: task `item` finished with status err (0: value is
 * its result). Each item arrives once. */
void collector_arrived(collector *c, size_t item, int err, long value);

/* imap_unordered's next(): the oldest completion not handed out yet.
 * 0 with *value and *item; that task's error (non-zero) with *item set and
 * *value untouched; -EAGAIN if every completion so far was handed out;
 * MP_POOL_END once all n were handed out. */
int next_unordered(collector *c, long *value, size_t *item);

/* imap's next(): item c->next, once it has come (results in argument
 * order, whatever order they complete in). Same statuses: -EAGAIN while
 * that item has not come yet, even if later ones have. */
int next_ordered(collector *c, long *value, size_t *item);

#endif
