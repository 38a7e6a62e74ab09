/* Lesson 11, part 2 -- batch size and max wait: throughput against latency.
 *
 * The predictor pays a fixed cost per batch (loading the model's weights
 * into the caches, a GPU launch...) and a little per item: a batch of one
 * pays the fixed cost for every request; a batch of 128 shares it. But a
 * request waits in the batcher until its batch is full or its max wait is
 * up: bigger batches and longer waits raise latency. Two sweeps:
 *   the source as fast as the queues let it (throughput), batch 1 to 256;
 *   a slow source (a request every 2 ms: batches never fill), max wait
 *   1 to 50 ms: the latency is the wait. */
#include <math.h>
#include <stdlib.h>

#include "lesson11.h"

static void row(const pipe_cfg *c, const pipe_run *r)
{
    CHECK(mp_csv_row(&pipeline_csv, "%d,%.1f,%ld,%.1f,%.3f,%.3f", c->batch, c->max_wait_ms, r->received, r->throughput,
                     r->p50_ms, r->p99_ms));
}

static void plot(const mp_lesson *L, const tradeoff_result *R)
{
    mp_series s[3] = {{.label = "throughput_k/s"}, {.label = "p50_ms"}, {.label = "p99_ms"}};
    for (int i = 0; i < R->nbatch; i++) {
        const pipe_run *r = &R->by_batch[i];
        mp_series_point(&s[0], R->batch[i], r->throughput / 1e3, r->throughput / 1e3, r->throughput / 1e3);
        mp_series_point(&s[1], R->batch[i], r->p50_ms, r->p50_ms, r->p50_ms);
        mp_series_point(&s[2], R->batch[i], r->p99_ms, r->p99_ms, r->p99_ms);
    }
    mp_lines_plot(L->o.out, "tradeoff", "lesson 11: throughput (k req/s) and latency (ms) against batch size", s, 3,
                  "batch size (log)", "(log)", MP_PLOT_LOGX | MP_PLOT_LOGY, L->o.no_plot);
}

void part_tradeoff(mp_lesson *L, tradeoff_result *R)
{
    mp_lesson_part(L, "2. Throughput against latency: batch size, then max wait");
    static const int quick_b[] = {1, 16, 128}, full_b[] = {1, 4, 16, 64, 128, 256};
    static const double quick_w[] = {1, 10, 40}, full_w[] = {1, 5, 20, 50};
    *R = (tradeoff_result){.nbatch = L->o.quick ? 3 : 6, .nwait = L->o.quick ? 3 : 4, .exact = true};
    R->by_batch = calloc((size_t)R->nbatch, sizeof(pipe_run));
    R->by_wait = calloc((size_t)R->nwait, sizeof(pipe_run));
    if (!R->by_batch || !R->by_wait)
        mp_lesson_abort();
    pipe_cfg c = default_cfg(L);
    c.interval_us = 0;
    c.fixed_us = 1000;
    c.max_wait_ms = 10;
    c.requests = L->o.quick ? 200 : 600;
    mp_table t;
    mp_table_header(&t, "batch|max wait ms|requests/s|p50 ms|p99 ms");
    for (int i = 0; i < R->nbatch; i++) {
        c.batch = R->batch[i] = (L->o.quick ? quick_b : full_b)[i];
        run_pipeline(L, &c, &R->by_batch[i], false, false);
        const pipe_run *r = &R->by_batch[i];
        R->exact = R->exact && r->exact;
        row(&c, r);
        mp_table_row(&t, "%d|%.0f|%.0f|%.1f|%.1f", c.batch, c.max_wait_ms, r->throughput, r->p50_ms, r->p99_ms);
        if (r->throughput > R->by_batch[R->best].throughput)
            R->best = i;
    }
    mp_say("best here: batch %d (%.0f requests/s, p50 %.1f ms); a batch of 1 pays the predictor's %ld us for every "
           "request", R->batch[R->best], R->by_batch[R->best].throughput, R->by_batch[R->best].p50_ms, c.fixed_us);
    plot(L, R);

    mp_section("a slow source: one request every 2 ms, batches of 128 never fill -- the max wait is the latency");
    c.interval_us = 2000;
    c.batch = 128;
    c.requests = L->o.quick ? 40 : 100;
    mp_table_header(&t, "batch|max wait ms|requests/s|p50 ms|p99 ms");
    for (int i = 0; i < R->nwait; i++) {
        c.max_wait_ms = R->wait_ms[i] = (L->o.quick ? quick_w : full_w)[i];
        run_pipeline(L, &c, &R->by_wait[i], false, false);
        const pipe_run *r = &R->by_wait[i];
        R->exact = R->exact && r->exact;
        row(&c, r);
        mp_table_row(&t, "%d|%.0f|%.0f|%.1f|%.1f", c.batch, c.max_wait_ms, r->throughput, r->p50_ms, r->p99_ms);
    }
}
