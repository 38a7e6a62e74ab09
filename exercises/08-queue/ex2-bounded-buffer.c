/* Exercise 08.2 -- a bounded buffer from a lock and two conditions.
 *
 * Under every queue there is some form of this: a ring of slots, a lock so
 * that one thread at a time changes it, and two condition variables so
 * that a thread with nothing to do sleeps instead of spinning: a putter
 * waits on `not_full` while the ring is full, a getter on `not_empty` while
 * it is empty, and each wakes the other side when it changes the ring.
 * (Python's queue.Queue is exactly this, with threading.Condition.)
 *
 * bbuf_init / bbuf_destroy are done. Write bbuf_put and bbuf_get:
 *   - take b->lock around every look at or change of the ring;
 *   - wait in a `while` loop, never an `if`: pthread_cond_wait may return
 *     without a signal (a spurious wake-up), and another thread may have
 *     taken the room or the item first;
 *   - after a put, signal not_empty; after a get, signal not_full.
 * The ring: the oldest item is items[head]; a put writes at
 * (head + count) % cap; a get reads at head, then head = (head + 1) % cap.
 * Test: make check-8 (many producer and consumer threads at once: every
 * item exactly once, each producer's items in order, and a put on a full
 * buffer that does not return until a get has made room).
 */
#include <stdlib.h>

#include "ex2-bounded-buffer.h"

int bbuf_init(bbuf *b, size_t cap)
{
    if (cap == 0 || !(b->items = calloc(cap, sizeof *b->items)))
        return -1;
    b->cap = cap;
    b->head = b->count = 0;
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->not_full, NULL);
    pthread_cond_init(&b->not_empty, NULL);
    return 0;
}

void bbuf_destroy(bbuf *b)
{
    pthread_cond_destroy(&b->not_empty);
    pthread_cond_destroy(&b->not_full);
    pthread_mutex_destroy(&b->lock);
    free(b->items);
}

void bbuf_put(bbuf *b, int item)
{
    /* TODO: no lock, and a full buffer loses the item: wait for room instead */
    if (b->count == b->cap)
        return;
    b->items[(b->head + b->count) % b->cap] = item;
    b->count++;
}

int bbuf_get(bbuf *b)
{
    /* TODO: no lock, and an empty buffer gives -1: wait for an item instead */
    if (b->count == 0)
        return -1;
    int item = b->items[b->head];
    b->head = (b->head + 1) % b->cap;
    b->count--;
    return item;
}
