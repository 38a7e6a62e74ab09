/* Lesson 08, part 1 -- T0's queue: Queue(maxsize=4), put, qsize, get.
 *
 * A queue is one object that any process holding it can put to and get
 * from; items come out in the order they went in (FIFO). Bounded: a fifth
 * put on a queue of 4 does not fit. Python raises queue.Full (put_nowait,
 * or put with a timeout) and queue.Empty (get with a timeout); here they
 * are two statuses, MP_QUEUE_FULL and MP_QUEUE_EMPTY. */
#include "lesson08.h"

#define WAIT_S 0.2 /* the timeouts tried below */

static const char *const things[] = {"True", "[1, 2, 3]", "'hello'", "3.14"}; /* what T0 puts, as text */

/* The second process given the queue: get everything, note the order. */
int basics_child(void *arg)
{
    const child_args *a = arg;
    slot *me = child_slot(a);
    mp_queue q;
    child_queue(&q);
    char buf[64];
    size_t len;
    for (long i = 0; i < a->count; i++) {
        CHECK(mp_queue_get(&q, buf, sizeof buf, &len, 5.0));
        buf[len < sizeof buf ? len : sizeof buf - 1] = '\0';
        mp_say("get() -> %s", buf);
        for (uint32_t k = 0; k < 4; k++)
            if (!strcmp(buf, things[k]))
                me->order[me->norder++] = k;
    }
    mp_queue_detach(&q);
    return 0;
}

void part_basics(mp_lesson *L, basics_result *R)
{
    mp_lesson_part(L, "1. T0's queue: maxsize 4, FIFO, qsize, Full and Empty");
    board_clear();
    mp_queue q;
    CHECK(mp_queue_create(&q, 4, 64, false));
    for (int i = 0; i < 4; i++) {
        CHECK(mp_queue_put(&q, things[i], strlen(things[i]), -1));
        mp_say("put(%s): qsize() = %zu, full() = %s", things[i], mp_queue_qsize(&q), mp_queue_full(&q) ? "True" : "False");
    }
    int rc = mp_queue_put(&q, "None", 4, 0);
    R->full_nowait = rc == MP_QUEUE_FULL;
    mp_say("put_nowait(None) on a full queue: %s", rc == MP_QUEUE_FULL ? "Full (MP_QUEUE_FULL), at once" : strerror(-rc));
    uint64_t t0 = mp_now_ns();
    rc = mp_queue_put(&q, "None", 4, WAIT_S);
    R->full_timeout = rc == MP_QUEUE_FULL && mp_ns_to_s(mp_now_ns() - t0) >= WAIT_S;
    mp_say("put(None, timeout=%.1f): Full after %.3f s", WAIT_S, mp_ns_to_s(mp_now_ns() - t0));

    /* a second process, given the queue, takes the four items out */
    mp_process p;
    child_args a = {.slot = 0, .count = 4};
    start_child(&p, "getter", basics_child, &a, mp_queue_fd(&q));
    mp_say("started pid %d (%s) to get the 4 items", p.pid, mp_start_names[p.start]);
    CHECK(mp_lesson_join(&p, 30));
    R->fifo = B->s[0].norder == 4;
    for (uint32_t k = 0; k < B->s[0].norder; k++)
        R->fifo = R->fifo && B->s[0].order[k] == k;
    mp_say("pid %d got them in the order they were put: %s; qsize() is now %zu", p.pid, R->fifo ? "yes" : "NO",
           mp_queue_qsize(&q));

    char buf[64];
    size_t len;
    t0 = mp_now_ns();
    rc = mp_queue_get(&q, buf, sizeof buf, &len, WAIT_S);
    R->waited_s = mp_ns_to_s(mp_now_ns() - t0);
    R->empty_timeout = rc == MP_QUEUE_EMPTY && R->waited_s >= WAIT_S;
    mp_say("get(timeout=%.1f) on the empty queue: %s after %.3f s", WAIT_S,
           rc == MP_QUEUE_EMPTY ? "Empty (MP_QUEUE_EMPTY)" : strerror(-rc), R->waited_s);
    mp_queue_detach(&q);
}
