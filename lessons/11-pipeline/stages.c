/* Lesson 11: the stages of T2's inference system, each a process.
 *
 *   source --requests--> preprocess x2 --preprocessed--> receiver
 *          --received--> batcher (T2's cache) --batches--> predictor
 *          --results--> source
 *
 * Every stage is stage_main: it maps the board (fd 0), takes from its input
 * queue (fd 1) and puts on its output queue (fd 2) until its input ends,
 * then closes its output, so that ending the source ends every stage in
 * order (the two preprocess workers share an output: the last to finish
 * closes it). Each stage counts its items and the time it spent waiting for
 * input against the time it spent working, on the board. With cfg.trace,
 * each hand-off is a flow on the trace: one request can be followed end to
 * end in Perfetto. */
#include <stdlib.h>

#include "lesson11.h"

const char *const stage_names[NSTAGES] = {"source", "preprocess-1", "preprocess-2", "receiver", "batcher",
                                          "predictor"};

/* A flow id per request and hop: hop 0 leaves the source, 4 the predictor. */
static uint64_t flow_id(uint64_t req, int hop) { return req * 8 + (uint64_t)hop; }

typedef struct stage {
    const pipe_cfg *c;
    board *b;
    stage_stats *st;
    mp_queue in, out;
    unsigned char *buf;
    size_t cap;
} stage;

/* Take the next item: MP_QUEUE_END once the input is closed and drained. */
static int take(stage *s, size_t *len, double timeout_s)
{
    uint64_t t0 = mp_now_ns();
    int rc = mp_queue_get(&s->in, s->buf, s->cap, len, timeout_s);
    atomic_fetch_add(&s->st->wait_ns, (long long)(mp_now_ns() - t0));
    return rc;
}

static void give(stage *s, const void *item, size_t len)
{
    CHECK(mp_queue_put(&s->out, item, len, -1));
}

static void busy_since(stage *s, uint64_t t0) { atomic_fetch_add(&s->st->busy_ns, (long long)(mp_now_ns() - t0)); }

static void preprocess(stage *s, int hop)
{
    size_t len;
    uint64_t steps = s->c->pre_steps;
    while (take(s, &len, -1) == 0) {
        uint64_t t0 = mp_now_ns();
        request r;
        memcpy(&r, s->buf, sizeof r);
        if (s->c->trace) {
            mp_trace_begin("preprocess");
            mp_trace_flow(MP_EV_FLOW_END, flow_id(r.id, hop - 1));
        }
        volatile uint64_t sink = mp_spin(steps, r.id); /* the CPU work: parse, decode, normalise */
        (void)sink;
        if (s->c->trace)
            mp_trace_flow(MP_EV_FLOW_START, flow_id(r.id, hop));
        /* preprocess early: only the small result goes on, unless told to forward the payload */
        give(s, s->buf, s->c->forward_payload ? len : sizeof r);
        if (s->c->trace)
            mp_trace_end("preprocess");
        atomic_fetch_add(&s->st->items, 1);
        busy_since(s, t0);
    }
    if (atomic_fetch_add(&s->b->pre_done, 1) + 1 == 2)
        mp_queue_close(&s->out); /* the last of the two closes what they share */
}

static void receive(stage *s)
{
    size_t len;
    while (take(s, &len, -1) == 0) {
        uint64_t t0 = mp_now_ns();
        request r;
        memcpy(&r, s->buf, sizeof r);
        if (s->c->trace) {
            mp_trace_begin("receive");
            mp_trace_flow(MP_EV_FLOW_END, flow_id(r.id, 1));
            mp_trace_flow(MP_EV_FLOW_START, flow_id(r.id, 2));
        }
        give(s, s->buf, len); /* T2's receivers route each item on to the cache */
        if (s->c->trace)
            mp_trace_end("receive");
        atomic_fetch_add(&s->st->items, 1);
        busy_since(s, t0);
    }
    mp_queue_close(&s->out);
}

static void emit(stage *s, batch *b)
{
    if (b->n == 0)
        return;
    uint64_t t0 = mp_now_ns();
    if (s->c->trace) {
        mp_trace_begin("batch");
        for (uint32_t i = 0; i < b->n; i++)
            mp_trace_flow(MP_EV_FLOW_START, flow_id(b->r[i].id, 3));
    }
    give(s, b, offsetof(batch, r) + b->n * sizeof(request));
    if (s->c->trace)
        mp_trace_end("batch");
    b->n = 0;
    busy_since(s, t0);
}

/* T2's cache: a batch goes out when it holds `batch` items or max_wait
 * after its first item, whichever comes first. */
static void batcher(stage *s)
{
    batch *b = calloc(1, sizeof *b);
    if (!b)
        mp_lesson_abort();
    uint64_t first_ns = 0, wait_ns = (uint64_t)(s->c->max_wait_ms * 1e6);
    for (;;) {
        double timeout = -1;
        if (b->n > 0) {
            uint64_t now = mp_now_ns(), due = first_ns + wait_ns;
            timeout = now >= due ? 0 : (double)(due - now) / 1e9;
        }
        size_t len;
        int rc = b->n > 0 && timeout == 0 ? MP_QUEUE_EMPTY : take(s, &len, timeout);
        if (rc == MP_QUEUE_END)
            break;
        if (rc == MP_QUEUE_EMPTY) { /* the batch's time is up */
            emit(s, b);
            continue;
        }
        CHECK(rc);
        memcpy(&b->r[b->n], s->buf, sizeof(request));
        if (s->c->trace) {
            mp_trace_begin("collect");
            mp_trace_flow(MP_EV_FLOW_END, flow_id(b->r[b->n].id, 2));
            mp_trace_end("collect");
        }
        if (b->n++ == 0)
            first_ns = mp_now_ns();
        atomic_fetch_add(&s->st->items, 1);
        if (b->n == (uint32_t)s->c->batch)
            emit(s, b);
    }
    emit(s, b); /* the last, partial batch */
    free(b);
    mp_queue_close(&s->out);
}

/* T2: the predictor must create its model inside its own process (a model
 * object cannot be pickled across). Here: memory built and touched in the
 * predictor, after it started. Then per batch: a fixed cost and a cost
 * per item. */
static void predictor(stage *s)
{
    uint64_t t0 = mp_now_ns();
    size_t model_bytes = 4 << 20;
    unsigned char *model = malloc(model_bytes);
    if (!model)
        mp_lesson_abort();
    for (size_t i = 0; i < model_bytes; i++)
        model[i] = (unsigned char)(i * 2654435761u >> 24);
    if (s->c->trace) /* (said once, in part 1) */
        mp_say("predictor (pid %d): built its model (%zu MiB) in its own process in %.1f ms", (int)getpid(),
               model_bytes >> 20, mp_ns_to_s(mp_now_ns() - t0) * 1e3);
    atomic_fetch_add(&s->b->ready, 1);
    uint64_t fixed = s->c->fixed_steps, per = s->c->item_steps;
    size_t len;
    while (take(s, &len, -1) == 0) {
        uint64_t t1 = mp_now_ns();
        batch *b = (batch *)s->buf;
        if (s->c->trace) {
            mp_trace_begin("predict");
            for (uint32_t i = 0; i < b->n; i++)
                mp_trace_flow(MP_EV_FLOW_END, flow_id(b->r[i].id, 3));
        }
        volatile uint64_t sink = mp_spin(fixed + per * b->n, model[b->n]);
        (void)sink;
        if (s->c->trace)
            for (uint32_t i = 0; i < b->n; i++)
                mp_trace_flow(MP_EV_FLOW_START, flow_id(b->r[i].id, 4));
        give(s, b, len);
        if (s->c->trace)
            mp_trace_end("predict");
        atomic_fetch_add(&s->st->items, (long)b->n);
        busy_since(s, t1);
    }
    free(model);
    mp_queue_close(&s->out);
}

int stage_main(void *arg)
{
    const pipe_cfg *c = arg;
    stage s = {.c = c};
    mp_shm board_shm;
    CHECK(mp_shm_attach(&board_shm, mp_child_fd(0)));
    s.b = board_shm.p;
    s.st = &s.b->s[c->stage];
    atomic_store(&s.st->pid, (int)getpid());
    CHECK(mp_queue_attach(&s.in, mp_child_fd(1)));
    CHECK(mp_queue_attach(&s.out, mp_child_fd(2)));
    s.cap = mp_queue_item_max(&s.in);
    s.buf = malloc(s.cap);
    if (!s.buf)
        return 3;
    if (c->stage != S_PREDICTOR) /* the predictor is ready once its model is built */
        atomic_fetch_add(&s.b->ready, 1);
    switch (c->stage) {
    case S_PRE1: preprocess(&s, 1); break;
    case S_PRE2: preprocess(&s, 1); break;
    case S_RECEIVER: receive(&s); break;
    case S_BATCHER: batcher(&s); break;
    default: predictor(&s); break;
    }
    free(s.buf);
    mp_queue_detach(&s.in);
    mp_queue_detach(&s.out);
    return 0;
}
