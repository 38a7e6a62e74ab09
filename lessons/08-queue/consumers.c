/* Lesson 08, part 2 -- one producer, two competing consumers (T2).
 *
 * T2's example: a producer process puts, two consumer processes get, and
 * the output interleaves. Each item goes to exactly one consumer, whichever
 * asked first. Each consumer sees its items in the order they were put (a
 * queue is FIFO), but the two consumers work side by side, so across them
 * items finish in no particular order. */
#include "lesson08.h"

/* Put count numbered items, then close: no more items, for anyone. */
int numbered_producer(void *arg)
{
    const child_args *a = arg;
    child_slot(a);
    mp_queue q;
    child_queue(&q);
    for (uint32_t i = 0; i < (uint32_t)a->count; i++)
        CHECK(mp_queue_put(&q, &i, sizeof i, -1));
    mp_say("put %ld items, then close(): the consumers drain the queue, then see its end", a->count);
    mp_queue_close(&q);
    mp_queue_detach(&q);
    return 0;
}

/* Get until the end of the stream; each item takes a little time, which
 * varies (as real work does). */
int competing_consumer(void *arg)
{
    const child_args *a = arg;
    slot *me = child_slot(a);
    mp_queue q;
    child_queue(&q);
    uint32_t i;
    size_t len;
    int rc;
    while ((rc = mp_queue_get(&q, &i, sizeof i, &len, -1)) == 0) {
        me->order[me->norder++ % BOARD_ORDER] = i;
        mp_sleep_ns((uint64_t)(a->work_us * 1000 * (1 + (i * 7919u) % 3))); /* 1, 2 or 3 times work_us */
        B->finished[atomic_fetch_add(&B->nfinished, 1) % BOARD_ORDER] = i;
        atomic_fetch_add(&me->got, 1);
    }
    if (rc != MP_QUEUE_END)
        CHECK(rc);
    mp_say("got %u items, then the end of the stream", me->norder);
    mp_queue_detach(&q);
    return 0;
}

void part_consumers(mp_lesson *L, consumers_result *R)
{
    long n = L->o.quick ? 100 : 400;
    mp_lesson_part(L, "2. one producer, two competing consumers: who gets what");
    board_clear();
    mp_queue q;
    CHECK(mp_queue_create(&q, 16, sizeof(uint32_t), false));
    mp_process cons[2], prod;
    start_children(cons, 2, "consumer", competing_consumer, 100, mp_queue_fd(&q));
    child_args a = {.slot = 2, .count = n};
    start_child(&prod, "producer", numbered_producer, &a, mp_queue_fd(&q));
    mp_say("producer pid %d puts items 0..%ld; consumers pid %d and pid %d get until the end", prod.pid, n - 1,
           cons[0].pid, cons[1].pid);
    uint64_t t0 = mp_now_ns();
    CHECK(mp_lesson_join(&prod, 60));
    for (int c = 0; c < 2; c++)
        CHECK(mp_lesson_join(&cons[c], 60));
    mp_say("all three ended %.3f s after the producer started", mp_ns_to_s(mp_now_ns() - t0));

    /* who got which item; each exactly once; each consumer's in order */
    int owner[BOARD_ORDER];
    for (long i = 0; i < n; i++)
        owner[i] = -1;
    R->items = n;
    R->exactly_once = true;
    R->each_in_order = true;
    for (int c = 0; c < 2; c++) {
        const slot *s = &B->s[c];
        R->got[c] = s->norder;
        for (uint32_t k = 0; k < s->norder; k++) {
            uint32_t i = s->order[k];
            if (i >= n || owner[i] != -1)
                R->exactly_once = false;
            else
                owner[i] = c;
            if (k > 0 && s->order[k] <= s->order[k - 1])
                R->each_in_order = false;
        }
    }
    for (long i = 0; i < n; i++)
        R->exactly_once = R->exactly_once && owner[i] != -1;
    char line[256] = "";
    for (long i = 0; i < 12 && i < n; i++) {
        size_t len = strlen(line);
        snprintf(line + len, sizeof line - len, "%s%ld->%d", i ? " " : "", i, owner[i] < 0 ? 0 : cons[owner[i]].pid);
    }
    mp_say("the first items went to (item->pid): %s ...", line);
    /* across consumers: how often an item finished before one put earlier */
    R->inversions = 0;
    for (long k = 1; k < n; k++)
        R->inversions += B->finished[k] < B->finished[k - 1];
    mp_say("pid %d got %ld items, pid %d got %ld: each exactly once: %s; each consumer's items in put order: %s",
           cons[0].pid, R->got[0], cons[1].pid, R->got[1], R->exactly_once ? "yes" : "NO",
           R->each_in_order ? "yes" : "NO");
    mp_say("across the two consumers, %ld times an item finished before an item put earlier: the order holds per "
           "consumer, not across them", R->inversions);
    mp_queue_detach(&q);
}
