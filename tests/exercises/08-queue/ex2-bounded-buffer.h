/* Exercise 08.2: a bounded buffer between threads. The interface the tests,
 * the exercise and the solution share. */
#ifndef EX2_BOUNDED_BUFFER_H
#define EX2_BOUNDED_BUFFER_H

#include <pthread.h>
#include <stddef.h>

typedef struct bbuf {
    pthread_mutex_t lock;      /* guards everything below */
    pthread_cond_t not_full;   /* signalled when a get makes room */
    pthread_cond_t not_empty;  /* signalled when a put adds an item */
    int *items;                /* a ring of cap items */
    size_t cap, head, count;   /* the oldest item is items[head]; count items in all */
} bbuf;

int bbuf_init(bbuf *b, size_t cap); /* 0, or -1 (cap 0, no memory) */
void bbuf_destroy(bbuf *b);
void bbuf_put(bbuf *b, int item);   /* waits while the buffer is full */
int bbuf_get(bbuf *b);              /* waits while it is empty; the oldest item */

#endif
