/* Lesson 11: one run of the pipeline, from the source's side.
 *
 * The lesson's main process is T2's network module (the source): a sender
 * thread puts requests on the first queue at the configured pace, and the
 * main thread collects the results and times each request from its send
 * to its result. It starts the five stage processes, and ends the run by
 * closing the request queue: each stage drains its input, closes its
 * output and exits (stages.c), so the last result is followed by the end
 * of the results queue. Every request must come back exactly once.
 *
 * A stage that dies mid-run (killed, crashed) is noticed within 0.2 s: the
 * collector's wait for results is cut into slices, and after each it looks
 * at its children. The lesson then says which stage ended how and how many
 * requests were in flight, and stops (nothing is left running). Ctrl-C
 * during a run: the kit stops every stage, and a clean-up hook says how
 * many requests were in flight. (For the tests: MPKIT_LESSON11_KILL=STAGE
 * SIGKILLs that stage half-way through part 1.) */
#include <math.h>
#include <signal.h>
#include <stdlib.h>

#include "lesson11.h"

enum { Q_REQUESTS, Q_PRE, Q_RECEIVED, Q_BATCHES, Q_RESULTS, NQUEUES };

/* ---- Ctrl-C: how many requests were in flight ---- */
static atomic_long *volatile live_in_flight; /* the running pipeline's counter, or NULL */

/* A clean-up hook, run on SIGINT/SIGTERM/SIGHUP (and at exit): only
 * write(2) and arithmetic, as in a signal handler. */
static void say_in_flight(void *ctx)
{
    (void)ctx;
    atomic_long *f = live_in_flight;
    if (!f)
        return;
    char msg[96] = "lesson-11 stopped mid-run: ", num[24];
    long n = atomic_load(f);
    int k = 0;
    do
        num[k++] = (char)('0' + n % 10);
    while ((n /= 10) > 0 && k < 20);
    size_t len = strlen(msg);
    while (k > 0)
        msg[len++] = num[--k];
    const char *tail = " requests were in flight; every stage was stopped\n";
    for (size_t i = 0; tail[i] && len < sizeof msg - 1; i++)
        msg[len++] = tail[i];
    (void)!write(STDERR_FILENO, msg, len);
}

typedef struct running {
    const pipe_cfg *c;
    mp_queue q[NQUEUES];
    board *b;
    atomic_long received;       /* results collected (lockstep: the sender waits for them) */
    atomic_bool done;
    double blocked_s;           /* the sender's time inside put */
    pipe_run *R;
    uint64_t t0;
} running;

static void *sender(void *arg)
{
    running *r = arg;
    const pipe_cfg *c = r->c;
    size_t len = sizeof(request) + c->payload;
    unsigned char *item = calloc(1, len);
    if (!item)
        mp_lesson_abort();
    uint64_t blocked = 0;
    for (long i = 0; i < c->requests; i++) {
        if (c->interval_us > 0) { /* the pace: request i leaves at t0 + i * interval */
            uint64_t due = r->t0 + (uint64_t)((double)i * c->interval_us * 1e3), now = mp_now_ns();
            if (due > now)
                mp_sleep_ns(due - now);
        }
        request q = {(uint64_t)i, mp_now_ns()};
        memcpy(item, &q, sizeof q);
        if (c->trace) {
            mp_trace_begin("send");
            mp_trace_flow(MP_EV_FLOW_START, (uint64_t)i * 8);
        }
        uint64_t a = mp_now_ns();
        atomic_fetch_add(&r->b->in_flight, 1);
        CHECK(mp_queue_put(&r->q[Q_REQUESTS], item, len, -1));
        blocked += mp_now_ns() - a;
        if (c->trace)
            mp_trace_end("send");
        while (c->lockstep && atomic_load(&r->received) <= i && !atomic_load(&r->done))
            mp_sleep_ns(20000); /* one at a time: wait for this request's result */
    }
    mp_queue_close(&r->q[Q_REQUESTS]); /* the end of the stream: every stage drains and ends */
    r->blocked_s = mp_ns_to_s(blocked);
    free(item);
    return NULL;
}

static void *sampler(void *arg)
{
    running *r = arg;
    pipe_run *R = r->R;
    while (!atomic_load(&r->done) && R->depths < DEPTH_MAX) {
        int k = R->depths;
        R->depth_t_ms[k] = (float)((mp_now_ns() - r->t0) / 1e6);
        for (int q = 0; q < 4; q++)
            R->depth[k][q] = (uint16_t)fmin(65535, (double)mp_queue_qsize(&r->q[q]));
        R->depths++;
        mp_sleep_ns(2000000);
    }
    return NULL;
}

/* Has a stage ended badly? Say which, how, and stop the lesson. */
static void check_stages(mp_process *p, int n, const running *r)
{
    for (int i = 0; i < n; i++) {
        if (p[i].pid <= 0 || mp_process_join(&p[i], 0) != 0)
            continue; /* still running */
        if (p[i].exitcode != 0) {
            live_in_flight = NULL; /* said here, not again by the hook */
            mp_error("stage %s (pid %d) ended with exit code %d mid-run, after %ld of %ld results; %ld requests "
                     "were in flight: the run stops", stage_names[i + 1], (int)p[i].pid, p[i].exitcode,
                     atomic_load(&r->received), r->c->requests, atomic_load(&r->b->in_flight));
            mp_lesson_abort();
        }
    }
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void run_pipeline(mp_lesson *L, const pipe_cfg *cfg, pipe_run *R, bool say, bool sample_depths)
{
    memset(R, 0, sizeof *R);
    running r = {.c = cfg, .R = R};
    mp_shm board_shm;
    CHECK(mp_shm_create(&board_shm, "mpkit-lesson11-board", sizeof(board)));
    r.b = board_shm.p;
    static int hook = -1; /* the Ctrl-C report, from now until the run's end */
    if (hook < 0)
        hook = mp_on_cleanup(say_in_flight, NULL);
    live_in_flight = &r.b->in_flight;
    size_t req = sizeof(request) + cfg->payload, fwd = sizeof(request) + (cfg->forward_payload ? cfg->payload : 0);
    const size_t item_max[NQUEUES] = {req, fwd, fwd, sizeof(batch), sizeof(batch)};
    for (int q = 0; q < NQUEUES; q++)
        CHECK(mp_queue_create(&r.q[q], cfg->maxsize, item_max[q], false));
    /* the stages: their argument is the configuration with their own number */
    static const int in_q[] = {Q_REQUESTS, Q_REQUESTS, Q_PRE, Q_RECEIVED, Q_BATCHES};
    static const int out_q[] = {Q_PRE, Q_PRE, Q_RECEIVED, Q_BATCHES, Q_RESULTS};
    mp_process p[NSTAGES - 1];
    pipe_cfg costed = with_steps(*cfg);
    for (int i = 0; i < NSTAGES - 1; i++) {
        pipe_cfg c = costed;
        c.stage = i + 1;
        int fds[] = {board_shm.fd, mp_queue_fd(&r.q[in_q[i]]), mp_queue_fd(&r.q[out_q[i]])};
        mp_lesson_child(&p[i], stage_names[i + 1], stage_main, &c, sizeof c, fds, 3);
        R->pids[i + 1] = p[i].pid;
    }
    R->pids[S_SOURCE] = getpid();
    if (say)
        for (int i = 0; i < NSTAGES; i++)
            mp_say("%-13s pid %d%s", stage_names[i], (int)R->pids[i], i == S_SOURCE ? " (this process)" : "");

    /* a system warms up before it serves: every stage ready, the predictor's
     * model built, before the first request (a stage that dies meanwhile is
     * reported) */
    for (int i = 0; atomic_load(&r.b->ready) < NSTAGES - 1; i++) {
        mp_sleep_ns(1000000);
        if (i % 200 == 199)
            check_stages(p, NSTAGES - 1, &r);
    }
    double *latency = calloc((size_t)cfg->requests, sizeof *latency);
    unsigned char *seen = calloc((size_t)cfg->requests, 1);
    batch *b = malloc(sizeof *b);
    if (!latency || !seen || !b)
        mp_lesson_abort();
    /* the tests' stage killer: which stage, in part 1 (the traced run) only */
    const char *kill_name = cfg->trace ? getenv("MPKIT_LESSON11_KILL") : NULL;
    int kill_stage = -1;
    for (int i = 1; kill_name && i < NSTAGES; i++)
        if (strcmp(kill_name, stage_names[i]) == 0)
            kill_stage = i;
    r.t0 = mp_now_ns();
    mp_thread send, sample;
    mp_thread_init(&send, "source", sender, &r);
    CHECK(mp_thread_start(&send));
    if (sample_depths) {
        mp_thread_init(&sample, "sampler", sampler, &r);
        CHECK(mp_thread_start(&sample));
    }
    uint64_t main_steps = cfg->main_us ? mp_spin_steps_for_ns((double)cfg->main_us * 1e3) : 0;
    bool exact = true;
    long got = 0;
    uint64_t wait = 0, t_end = r.t0;
    for (;;) {
        size_t len;
        uint64_t a = mp_now_ns();
        int rc = mp_queue_get(&r.q[Q_RESULTS], b, sizeof *b, &len, 0.2);
        wait += mp_now_ns() - a;
        if (rc == MP_QUEUE_END)
            break;
        if (rc == MP_QUEUE_EMPTY) {
            check_stages(p, NSTAGES - 1, &r);
            continue;
        }
        CHECK(rc);
        uint64_t now = mp_now_ns();
        t_end = now;
        for (uint32_t i = 0; i < b->n; i++) {
            uint64_t id = b->r[i].id;
            if (cfg->trace) {
                mp_trace_begin("result");
                mp_trace_flow(MP_EV_FLOW_END, id * 8 + 4);
                mp_trace_end("result");
            }
            if (id >= (uint64_t)cfg->requests || seen[id]) {
                exact = false;
                continue;
            }
            seen[id] = 1;
            latency[got++] = (double)(now - b->r[i].sent_ns) / 1e6;
            if (main_steps) { /* the main process doing work on each result */
                volatile uint64_t sink = mp_spin(main_steps, id);
                (void)sink;
            }
        }
        atomic_fetch_sub(&r.b->in_flight, (long)b->n);
        atomic_store(&r.received, got);
        if (kill_stage > 0 && got >= cfg->requests / 2) {
            mp_say("(MPKIT_LESSON11_KILL: SIGKILL to %s, pid %d)", stage_names[kill_stage], (int)p[kill_stage - 1].pid);
            kill(p[kill_stage - 1].pid, SIGKILL);
            kill_stage = -1;
        }
    }
    atomic_store(&r.done, true);
    live_in_flight = NULL;
    CHECK(mp_thread_join(&send, NULL));
    if (sample_depths)
        CHECK(mp_thread_join(&sample, NULL));
    for (int i = 0; i < NSTAGES - 1; i++)
        CHECK(mp_lesson_join(&p[i], 30));
    R->sent = cfg->requests;
    R->received = got;
    R->exact = exact && got == cfg->requests;
    R->seconds = mp_ns_to_s(t_end - r.t0);
    R->throughput = R->seconds > 0 ? (double)got / R->seconds : 0;
    qsort(latency, (size_t)got, sizeof *latency, by_value);
    R->p50_ms = mp_quantile(latency, (size_t)got, 0.5);
    R->p99_ms = mp_quantile(latency, (size_t)got, 0.99);
    R->source_blocked_s = r.blocked_s;
    for (int i = 1; i < NSTAGES; i++) {
        R->stats[i].items = atomic_load(&r.b->s[i].items);
        R->stats[i].busy_ns = atomic_load(&r.b->s[i].busy_ns);
        R->stats[i].wait_ns = atomic_load(&r.b->s[i].wait_ns);
    }
    R->stats[S_SOURCE].items = got;
    R->stats[S_SOURCE].wait_ns = (long long)wait;
    R->stats[S_SOURCE].busy_ns = (long long)(t_end - r.t0) - (long long)wait;
    free(latency);
    free(seen);
    free(b);
    for (int q = 0; q < NQUEUES; q++)
        mp_queue_detach(&r.q[q]);
    mp_shm_close(&board_shm);
    (void)L;
}

pipe_cfg with_steps(pipe_cfg c)
{
    c.pre_steps = mp_spin_steps_for_ns((double)c.pre_us * 1e3);
    c.fixed_steps = mp_spin_steps_for_ns((double)c.fixed_us * 1e3);
    c.item_steps = mp_spin_steps_for_ns((double)c.item_us * 1e3);
    return c;
}

pipe_cfg default_cfg(const mp_lesson *L)
{
    return (pipe_cfg){
        .requests = L->o.quick ? 200 : 1000,
        .interval_us = 1000, /* T2: a request every millisecond */
        .pre_us = 400, /* the work worth two processes: most of a request's cost */
        .batch = 128,
        .max_wait_ms = L->o.quick ? 50 : 200, /* T2: 1 s, scaled down */
        .fixed_us = 2000,
        .item_us = 10,
        .payload = 64,
        .maxsize = 64,
    };
}
