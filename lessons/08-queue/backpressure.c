/* Lesson 08, part 4 -- backpressure: a fast producer, a slow consumer.
 *
 * An unbounded queue would let a fast producer run ahead forever, and the
 * items pile up in memory. A bounded one pushes back: once it is full,
 * each put waits until a get has made room, so the producer slows to the
 * consumer's pace. Here the producer puts as fast as it can for a while,
 * then slows down below the consumer's pace: the queue's depth, sampled
 * every half millisecond, shows it full, then empty. With tracing on, each
 * put that waited is a "put-wait" span on the timeline. */
#include <stdlib.h>

#include "lesson08.h"

#define MAXSIZE 8
#define SAMPLE_NS 500000 /* half a millisecond */
#define MAX_SAMPLES 40000

int eager_producer(void *arg)
{
    const child_args *a = arg;
    slot *me = child_slot(a);
    mp_queue q;
    child_queue(&q);
    child_wait_go();
    uint64_t start = mp_now_ns();
    for (uint32_t i = 0; i < (uint32_t)a->count; i++) {
        if (i >= (uint32_t)a->slow_from)
            mp_sleep_ns((uint64_t)a->slow_us * 1000); /* the slow phase: time spent making the item */
        uint64_t t0 = mp_now_ns();
        CHECK(mp_queue_put(&q, &i, sizeof i, -1));
        uint64_t t1 = mp_now_ns();
        me->blocked_ns += t1 - t0;
        if (i < (uint32_t)a->slow_from) {
            me->fast_blocked_ns += t1 - t0;
            me->fast_ns = t1 - start;
        }
    }
    mp_queue_close(&q);
    mp_queue_detach(&q);
    return 0;
}

int slow_consumer(void *arg)
{
    const child_args *a = arg;
    slot *me = child_slot(a);
    mp_queue q;
    child_queue(&q);
    child_wait_go();
    uint32_t i;
    size_t len;
    int rc;
    while ((rc = mp_queue_get(&q, &i, sizeof i, &len, -1)) == 0) {
        mp_trace_begin("work");
        mp_sleep_ns((uint64_t)a->work_us * 1000);
        mp_trace_end("work");
        atomic_fetch_add(&me->got, 1);
    }
    mp_queue_detach(&q);
    return rc == MP_QUEUE_END ? 0 : 1;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(double *v, size_t n)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, by_value);
    return v[n / 2];
}

void part_backpressure(mp_lesson *L, backpressure_result *R)
{
    long fast = L->o.quick ? 200 : 600, slow = L->o.quick ? 80 : 250, work_us = 300, slow_us = 700;
    uint64_t from = mp_lesson_part(L, "4. backpressure: a fast producer, a slow consumer, a queue of %d", MAXSIZE);
    board_clear();
    R->maxsize = MAXSIZE;
    mp_queue q;
    CHECK(mp_queue_create(&q, MAXSIZE, sizeof(uint32_t), false));
    mp_trace_enable(true); /* always drawn: the put-wait spans are the point */
    child_args pa = {.slot = 0, .count = fast + slow, .slow_from = fast, .slow_us = slow_us};
    child_args ca = {.slot = 1, .work_us = work_us};
    mp_process prod, cons;
    start_child(&prod, "producer", eager_producer, &pa, mp_queue_fd(&q));
    start_child(&cons, "consumer", slow_consumer, &ca, mp_queue_fd(&q));
    mp_say("producer pid %d: %ld items as fast as it can, then %ld items %ld us apart; consumer pid %d: %ld us per "
           "item", prod.pid, fast, slow, slow_us, cons.pid, work_us);
    static double t_ms[MAX_SAMPLES], depth[MAX_SAMPLES];
    size_t n = 0;
    release_children(2);
    uint64_t t0 = B->go_ns;
    while ((mp_process_is_alive(&prod) || mp_process_is_alive(&cons)) && n < MAX_SAMPLES) {
        t_ms[n] = (mp_now_ns() - t0) / 1e6;
        depth[n++] = (double)mp_queue_qsize(&q);
        mp_sleep_ns(SAMPLE_NS);
    }
    CHECK(mp_lesson_join(&prod, 60));
    CHECK(mp_lesson_join(&cons, 60));
    mp_trace_enable(L->o.trace);
    uint64_t to = mp_now_ns();

    const slot *p = &B->s[0];
    double slow_ms = (double)p->fast_ns / 1e6;
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "depth.csv", "t_ms,depth"));
    R->depth_in_range = true;
    static double in_fast[MAX_SAMPLES], in_slow[MAX_SAMPLES];
    size_t nf = 0, ns = 0;
    for (size_t k = 0; k < n; k++) {
        CHECK(mp_csv_row(&csv, "%.3f,%.0f", t_ms[k], depth[k]));
        R->depth_in_range = R->depth_in_range && depth[k] >= 0 && depth[k] <= MAXSIZE;
        /* leave out the first and last few samples of each phase: filling up, emptying */
        if (t_ms[k] > 2 && t_ms[k] < slow_ms - 2)
            in_fast[nf++] = depth[k];
        else if (t_ms[k] > slow_ms + 5)
            in_slow[ns++] = depth[k];
    }
    CHECK(mp_csv_close(&csv));
    R->fast_depth = median_of(in_fast, nf);
    R->slow_depth = median_of(in_slow, ns);
    R->blocked_fraction = p->fast_ns ? (double)p->fast_blocked_ns / (double)p->fast_ns : 0;
    mp_say("fast phase, %.0f ms: the producer spent %.0f ms (%.0f%%) blocked in put, median depth %.0f of %d",
           slow_ms, p->fast_blocked_ns / 1e6, 100 * R->blocked_fraction, R->fast_depth, MAXSIZE);
    mp_say("slow phase: median depth %.0f; %zu depth samples in depth.csv, %lu items consumed", R->slow_depth, n,
           (unsigned long)atomic_load(&B->s[1].got));
    char vars[96];
    snprintf(vars, sizeof vars, "maxsize=%d; slow_ms=%.1f", MAXSIZE, slow_ms);
    char data[PATH_MAX];
    CHECK(mp_out_path(data, sizeof data, L->o.out, "depth.csv"));
    mp_plot("depth.gp", data, L->o.out, "depth", "lesson 08: the queue's depth, fast producer then slow", vars,
            L->o.no_plot);
    mp_trace_write_window(L->o.out, "backpressure", "lesson 08: backpressure (put-wait: the producer waits for room)",
                          from, to, L->o.no_plot);
    mp_queue_detach(&q);
}
