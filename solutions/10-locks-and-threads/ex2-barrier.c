/* Exercise 10.2 -- a barrier from a lock and a condition (solution). */
#include "ex2-barrier.h"

int my_barrier_init(my_barrier *b, int parties)
{
    if (parties < 1)
        return -EINVAL;
    b->parties = parties;
    b->count = 0;
    b->round = 0;
    int rc = mp_lock_init(&b->lock, MP_LOCK, NULL);
    return rc ? rc : mp_cond_init(&b->cond, &b->lock, NULL);
}

int my_barrier_wait(my_barrier *b)
{
    int rc = mp_lock_acquire(&b->lock, -1);
    if (rc != 0)
        return rc;
    int index = b->count++;
    if (b->count == b->parties) { /* the last: a new round, and everyone goes */
        b->count = 0;
        b->round++;
        mp_cond_notify_all(&b->cond);
    } else {
        unsigned long mine = b->round;
        while (b->round == mine) /* a wake-up is only a hint: check the round again */
            mp_cond_wait(&b->cond, -1);
    }
    mp_lock_release(&b->lock);
    return index;
}
