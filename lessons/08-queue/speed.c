/* Lesson 08, part 5 -- how fast does a queue move items, and a pipe?
 *
 * Producers put numbered items stamped with the time of the put; consumers
 * get them and note, for a sample of them, how long each took from put to
 * get. Throughput is items over the time from the start line to the last
 * get. Swept against producers x consumers (the queue is one object any
 * number of processes share) and against item size, with the kit's pipe
 * beside the queue at each size: one producer and one consumer only, since
 * a pipe's end is not for several writers (their messages could
 * interleave; Python's docs say the same of a Connection). Transports take
 * turns within each repeat, so a noisy moment hits them alike. */
#include <stdlib.h>

#include "lesson08.h"

const char *const transport_names[NTRANSPORTS] = {"queue", "pipe", "cpython-queue", "cpython-pipe"};
static const long sizes[SPEED_SIZES] = {64, 1024, 4096, 65536};
/* The queue's bound in this part: 64 KiB of items, what the pipe's kernel
 * buffer holds (a pipe(2) holds 64 KiB on Linux). A much smaller bound
 * would measure the bound: on a busy machine each wake-up of a consumer
 * can take milliseconds, and a queue of 64 moves at most 64 items per
 * wake-up, where the pipe holds some 800 small messages. */
static size_t ring_items(long size)
{
    long n = (64L << 10) / size;
    return (size_t)(n < 16 ? 16 : n); /* at least 16: a ring of 1 or 4 big items is a relay race */
}

typedef struct item_head { uint32_t producer, seq; uint64_t put_ns; } item_head;
static unsigned char buf[65536]; /* an item's bytes: the head, then padding */

static void note_latency(slot *me, const child_args *a, uint64_t got, const item_head *h)
{
    uint64_t now = mp_now_ns();
    me->end_ns = now;
    if (got % (uint64_t)a->stride == 0 && me->nlatency < BOARD_LATENCY)
        me->latency_us[me->nlatency++] = (float)((now - h->put_ns) / 1e3);
}

int speed_producer(void *arg)
{
    const child_args *a = arg;
    slot *me = child_slot(a);
    mp_queue q;
    child_queue(&q);
    child_wait_go();
    item_head *h = (item_head *)buf;
    h->producer = (uint32_t)a->producer;
    uint64_t stop = B->go_ns + (uint64_t)a->limit_ms * 1000000;
    long i;
    for (i = 0; i < a->count && ((i & 63) || mp_now_ns() < stop); i++) {
        h->seq = (uint32_t)i;
        h->put_ns = mp_now_ns();
        CHECK(mp_queue_put(&q, buf, (size_t)a->size, -1));
    }
    atomic_store(&me->got, (uint64_t)i); /* a producer's count: items put */
    mp_queue_detach(&q);
    return 0;
}

int speed_consumer(void *arg)
{
    const child_args *a = arg;
    slot *me = child_slot(a);
    mp_queue q;
    child_queue(&q);
    child_wait_go();
    size_t len;
    int rc;
    uint64_t got = 0;
    while ((rc = mp_queue_get(&q, buf, sizeof buf, &len, -1)) == 0)
        note_latency(me, a, got++, (const item_head *)buf);
    atomic_store(&me->got, got);
    mp_queue_detach(&q);
    return rc == MP_QUEUE_END ? 0 : 1;
}

int pipe_producer(void *arg)
{
    const child_args *a = arg;
    slot *me = child_slot(a);
    mp_conn c;
    child_conn(&c, MP_CONN_SEND);
    child_wait_go();
    item_head *h = (item_head *)buf;
    uint64_t stop = B->go_ns + (uint64_t)a->limit_ms * 1000000;
    long i;
    for (i = 0; i < a->count && ((i & 63) || mp_now_ns() < stop); i++) {
        h->seq = (uint32_t)i;
        h->put_ns = mp_now_ns();
        CHECK(mp_conn_send(&c, buf, (size_t)a->size));
    }
    atomic_store(&me->got, (uint64_t)i);
    mp_conn_close(&c); /* the consumer's EOF */
    return 0;
}

int pipe_consumer(void *arg)
{
    const child_args *a = arg;
    slot *me = child_slot(a);
    mp_conn c;
    child_conn(&c, MP_CONN_RECV);
    child_wait_go();
    size_t len;
    int rc;
    uint64_t got = 0;
    while ((rc = mp_conn_recv(&c, buf, sizeof buf, &len)) == 0)
        note_latency(me, a, got++, (const item_head *)buf);
    atomic_store(&me->got, got);
    mp_conn_close(&c);
    return rc == MP_CONN_EOF ? 0 : 1;
}

static long count_for(const mp_lesson *L, long size)
{
    long n = (32L << 20) / size; /* 32 MiB, at most 40 000 items */
    if (n > 40000)
        n = 40000;
    return L->o.quick ? n / 5 : n;
}

/* A run's time limit: a loaded machine moves fewer items, not for longer. */
static long limit_ms(const mp_lesson *L) { return L->o.quick ? 30 : 150; }

typedef struct run_result { double per_s, p50_us, p99_us; long items; } run_result;

/* Gather what the consumers left on the board (slots 0..consumers-1), and
 * check it against what the producers put (the slots after them). */
static run_result gather(int consumers, int producers)
{
    long expected = 0;
    for (int k = 0; k < producers; k++)
        expected += (long)atomic_load(&B->s[consumers + k].got);
    static double lat[BOARD_SLOTS * BOARD_LATENCY];
    size_t n = 0;
    uint64_t end = 0;
    run_result r = {0};
    for (int c = 0; c < consumers; c++) {
        const slot *s = &B->s[c];
        r.items += (long)atomic_load(&s->got);
        if (s->end_ns > end)
            end = s->end_ns;
        for (uint32_t k = 0; k < s->nlatency; k++)
            lat[n++] = s->latency_us[k];
    }
    if (r.items != expected) {
        mp_error("%ld items arrived of %ld put", r.items, expected);
        mp_lesson_abort();
    }
    r.per_s = end > B->go_ns ? r.items / mp_ns_to_s(end - B->go_ns) : 0;
    r.p50_us = mp_quantile(lat, n, 0.5);
    r.p99_us = mp_quantile(lat, n, 0.99);
    return r;
}

static run_result run_queue(const mp_lesson *L, int producers, int consumers, long size)
{
    board_clear();
    long each = count_for(L, size) / producers, total = each * producers;
    mp_queue q;
    CHECK(mp_queue_create(&q, ring_items(size), (size_t)size, false));
    mp_process p[2 * SPEED_MAX_PC];
    for (int c = 0; c < consumers; c++) {
        long stride = total / consumers / BOARD_LATENCY + 1;
        child_args a = {.slot = c, .stride = stride};
        start_child(&p[c], "consumer", speed_consumer, &a, mp_queue_fd(&q));
    }
    for (int k = 0; k < producers; k++) {
        child_args a = {.slot = consumers + k, .producer = k, .count = each, .size = size, .limit_ms = limit_ms(L)};
        start_child(&p[consumers + k], "producer", speed_producer, &a, mp_queue_fd(&q));
    }
    release_children(producers + consumers);
    static bool told;
    if (!told) { /* once: the rest of the runs are the same, with other PIDs */
        mp_say("first run: producer pid %d, consumer pid %d, %ld-byte items (every run starts its own processes)",
               p[consumers].pid, p[0].pid, size);
        told = true;
    }
    for (int k = 0; k < producers; k++)
        CHECK(mp_lesson_join(&p[consumers + k], 120));
    mp_queue_close(&q); /* every item is in: the consumers drain, then stop */
    for (int c = 0; c < consumers; c++)
        CHECK(mp_lesson_join(&p[c], 120));
    mp_queue_detach(&q);
    return gather(consumers, producers);
}

static run_result run_pipe(const mp_lesson *L, long size)
{
    board_clear();
    long n = count_for(L, size);
    mp_conn r, w;
    CHECK(mp_pipe(&r, &w, false));
    mp_process cons, prod;
    child_args ca = {.slot = 0, .stride = n / BOARD_LATENCY + 1};
    child_args pa = {.slot = 1, .count = n, .size = size, .limit_ms = limit_ms(L)};
    start_child(&cons, "consumer", pipe_consumer, &ca, r.fd);
    start_child(&prod, "producer", pipe_producer, &pa, w.fd);
    mp_conn_close(&r); /* the children own the ends now: without this, no EOF */
    mp_conn_close(&w);
    release_children(2);
    CHECK(mp_lesson_join(&prod, 120));
    CHECK(mp_lesson_join(&cons, 120));
    return gather(1, 1);
}

/* The repeats of one setup: items/s as stats, latencies as medians over the repeats. */
typedef struct runs { int n; double per_s[MP_MAX_REPEAT], p50[MP_MAX_REPEAT], p99[MP_MAX_REPEAT]; } runs;

static void add_run(runs *s, run_result r)
{
    s->per_s[s->n] = r.per_s;
    s->p50[s->n] = r.p50_us;
    s->p99[s->n++] = r.p99_us;
}

static rate rate_of(const runs *s)
{
    rate out = {.have = s->n > 0};
    mp_stats st;
    mp_stats_of(s->per_s, (size_t)s->n, &out.per_s);
    mp_stats_of(s->p50, (size_t)s->n, &st);
    out.p50_us = st.median;
    mp_stats_of(s->p99, (size_t)s->n, &st);
    out.p99_us = st.median;
    return out;
}

void part_speed(mp_lesson *L, speed_result *R)
{
    R->max_pc = L->o.max_workers < SPEED_MAX_PC ? L->o.max_workers : SPEED_MAX_PC;
    if (L->o.quick && R->max_pc > 2)
        R->max_pc = 2;
    for (int s = 0; s < SPEED_SIZES; s++)
        R->sizes[s] = sizes[s];
    mp_lesson_part(L, "5. throughput: producers x consumers 1..%d, items of 64 B to 64 KiB, the pipe beside the queue",
                   R->max_pc);
    mp_say("%ld items of 64 B per run, 32 MiB of larger ones, or what the producers put in %ld ms; a queue of 64 "
           "KiB of items (%zu of 64 B); %d repeat(s), transports taking turns", count_for(L, 64), limit_ms(L),
           ring_items(64), L->o.repeat);
    bool traced = mp_trace_enabled();
    mp_trace_enable(false); /* a span per waiting put or get would slow down what is measured */
    static runs by_size[2][SPEED_SIZES], by_workers[SPEED_MAX_PC + 1][SPEED_MAX_PC + 1];
    memset(by_size, 0, sizeof by_size);
    memset(by_workers, 0, sizeof by_workers);
    for (int rep = 0; rep < L->o.repeat; rep++) {
        for (int s = 0; s < SPEED_SIZES; s++) {
            add_run(&by_size[T_QUEUE][s], run_queue(L, 1, 1, sizes[s]));
            add_run(&by_size[T_PIPE][s], run_pipe(L, sizes[s]));
        }
        for (int p = 1; p <= R->max_pc; p++)
            for (int c = 1; c <= R->max_pc; c++)
                if (p > 1 || c > 1)
                    add_run(&by_workers[p][c], run_queue(L, p, c, 64));
    }
    mp_trace_enable(traced);
    for (int t = 0; t < 2; t++)
        for (int s = 0; s < SPEED_SIZES; s++)
            R->by_size[t][s] = rate_of(&by_size[t][s]);
    R->by_workers[1][1] = R->by_size[T_QUEUE][0];
    for (int p = 1; p <= R->max_pc; p++)
        for (int c = 1; c <= R->max_pc; c++)
            if (p > 1 || c > 1)
                R->by_workers[p][c] = rate_of(&by_workers[p][c]);
    mp_table t;
    mp_table_header(&t, "transport|producers|consumers|item bytes|items/s|MB/s|min|max|p50 us|p99 us");
    for (int tr = 0; tr < 2; tr++)
        for (int s = 0; s < SPEED_SIZES; s++) {
            const rate *r = &R->by_size[tr][s];
            mp_table_row(&t, "%s|1|1|%ld|%.0f|%.0f|%.0f|%.0f|%.1f|%.1f", transport_names[tr], sizes[s], r->per_s.median,
                         r->per_s.median * sizes[s] / 1e6, r->per_s.min, r->per_s.max, r->p50_us, r->p99_us);
        }
    for (int p = 1; p <= R->max_pc; p++)
        for (int c = 1; c <= R->max_pc; c++) {
            const rate *r = &R->by_workers[p][c];
            mp_table_row(&t, "queue|%d|%d|64|%.0f|%.0f|%.0f|%.0f|%.1f|%.1f", p, c, r->per_s.median,
                         r->per_s.median * 64 / 1e6, r->per_s.min, r->per_s.max, r->p50_us, r->p99_us);
        }
    mp_say("latency is from put to get: with the queue kept full, mostly the time an item waits behind the others");
}

/* queue.csv and the two plots, once CPython's rows are in too. */
void speed_report(mp_lesson *L, const speed_result *R)
{
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "queue.csv", "transport,producers,consumers,item_bytes,items_per_s,p50_us,p99_us"));
    mp_series by_size[NTRANSPORTS];
    int nseries = 0;
    for (int tr = 0; tr < NTRANSPORTS; tr++) {
        mp_series *se = &by_size[nseries];
        *se = (mp_series){.label = transport_names[tr]};
        for (int s = 0; s < SPEED_SIZES; s++) {
            const rate *r = &R->by_size[tr][s];
            if (!r->have)
                continue;
            CHECK(mp_csv_row(&csv, "%s,1,1,%ld,%.0f,%.2f,%.2f", transport_names[tr], R->sizes[s], r->per_s.median,
                             r->p50_us, r->p99_us));
            mp_series_point(se, (double)R->sizes[s], r->per_s.median, r->per_s.min, r->per_s.max);
        }
        nseries += se->n > 0;
    }
    static char labels[SPEED_MAX_PC][32];
    mp_series by_workers[SPEED_MAX_PC];
    for (int p = 1; p <= R->max_pc; p++) {
        snprintf(labels[p - 1], sizeof labels[p - 1], "%d-producer%s", p, p > 1 ? "s" : "");
        by_workers[p - 1] = (mp_series){.label = labels[p - 1]};
        for (int c = 1; c <= R->max_pc; c++) {
            const rate *r = &R->by_workers[p][c];
            if (p > 1 || c > 1)
                CHECK(mp_csv_row(&csv, "queue,%d,%d,64,%.0f,%.2f,%.2f", p, c, r->per_s.median, r->p50_us, r->p99_us));
            mp_series_point(&by_workers[p - 1], c, r->per_s.median, r->per_s.min, r->per_s.max);
        }
    }
    CHECK(mp_csv_close(&csv));
    mp_lines_plot(L->o.out, "speed-size", "lesson 08: items per second against item size (1 producer, 1 consumer)",
                  by_size, nseries, "item size (bytes)", "items/s (log scale; bars: min to max)",
                  MP_PLOT_LOGY | MP_PLOT_XCAT, L->o.no_plot);
    mp_lines_plot(L->o.out, "speed-workers", "lesson 08: the kit's queue, 64 B items, against producers x consumers",
                  by_workers, R->max_pc, "consumers", "items/s (bars: min to max)", 0, L->o.no_plot);
}
