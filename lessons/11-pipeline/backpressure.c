/* Lesson 11, part 3 -- backpressure: the slowest stage sets the pace.
 *
 * The predictor slower than the source: with bounded queues (64 items) the
 * queues before it fill, then the source's puts block -- the pressure goes
 * back up the pipeline, and no queue holds more than its bound. With
 * (nearly) unbounded queues the source never waits and the queue in front
 * of the predictor grows with every request the predictor has not reached:
 * memory, and latency, without end. The depths are sampled every 2 ms. */
#include "lesson11.h"

static const char *const qnames[4] = {"requests", "preprocessed", "received", "batches"};

static int deepest(const pipe_run *r)
{
    int m = 0;
    for (int k = 0; k < r->depths; k++)
        for (int q = 0; q < 4; q++)
            m = r->depth[k][q] > m ? r->depth[k][q] : m;
    return m;
}

/* The deepest queue over time, both runs: at most MP_SERIES_MAX points
 * each, the deepest of each stretch of samples. */
static void depth_plot(const mp_lesson *L, const backpressure_result *R)
{
    mp_series s[2] = {{.label = "bounded"}, {.label = "unbounded"}};
    const pipe_run *runs[2] = {&R->bounded, &R->unbounded};
    for (int v = 0; v < 2; v++) {
        const pipe_run *r = runs[v];
        int per = (r->depths + MP_SERIES_MAX - 1) / MP_SERIES_MAX;
        for (int k0 = 0; per > 0 && k0 < r->depths; k0 += per) {
            int m = 0;
            for (int k = k0; k < k0 + per && k < r->depths; k++)
                for (int q = 0; q < 4; q++)
                    m = r->depth[k][q] > m ? r->depth[k][q] : m;
            mp_series_point(&s[v], r->depth_t_ms[k0], m, m, m);
        }
    }
    mp_lines_plot(L->o.out, "queues", "lesson 11: a slow predictor: the deepest queue over time", s, 2, "ms",
                  "items waiting", 0, L->o.no_plot);
}

void part_backpressure(mp_lesson *L, backpressure_result *R)
{
    mp_lesson_part(L, "3. Backpressure: a predictor slower than the source, bounded and unbounded queues");
    pipe_cfg c = default_cfg(L);
    c.interval_us = 0;
    c.batch = 4;
    c.max_wait_ms = 5;
    c.fixed_us = 200;
    c.item_us = 300; /* ~350 us per request: slower than the source and the preprocessing */
    c.requests = L->o.quick ? 200 : 600;
    c.maxsize = 64;
    run_pipeline(L, &c, &R->bounded, false, true);
    c.maxsize = 4096; /* more than there are requests: never full */
    run_pipeline(L, &c, &R->unbounded, false, true);
    R->max_bounded = deepest(&R->bounded);
    R->max_unbounded = deepest(&R->unbounded);
    mp_table t;
    mp_table_header(&t, "queues|deepest queue|source blocked s|requests/s|p50 ms|p99 ms");
    mp_table_row(&t, "bounded (64)|%d|%.3f|%.0f|%.1f|%.1f", R->max_bounded, R->bounded.source_blocked_s,
                 R->bounded.throughput, R->bounded.p50_ms, R->bounded.p99_ms);
    mp_table_row(&t, "unbounded|%d|%.3f|%.0f|%.1f|%.1f", R->max_unbounded, R->unbounded.source_blocked_s,
                 R->unbounded.throughput, R->unbounded.p50_ms, R->unbounded.p99_ms);
    mp_say("the same throughput either way (the predictor's); bounded, the source waits instead of the requests "
           "(queues: %s, %s, %s, %s)", qnames[0], qnames[1], qnames[2], qnames[3]);
    depth_plot(L, R);
}
