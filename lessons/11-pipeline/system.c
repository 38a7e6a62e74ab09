/* Lesson 11, part 1 (and 6) -- the system as T2 draws it, then its shutdown.
 *
 * T2's scenario 3: a network module sends a request every millisecond; two
 * preprocessing workers take them, receivers route them to a cache that
 * batches (128 items or 1 s: here the wait is scaled down), a predictor
 * whose model is built inside its own process predicts a batch at a time,
 * and the results go back to the network module. Every stage's PID is
 * printed; the run is traced, so that timeline.png shows every stage and
 * pipeline.json (open it in Perfetto) follows each request from stage to
 * stage by its arrows. Shutdown (part 6): the source closes its queue when
 * it has sent everything; each stage drains, closes its output, exits; the
 * run checks that every request came back exactly once. */
#include "lesson11.h"

/* stages.csv: the two preprocess workers as one row, workers 2 */
static void stage_rows(const pipe_run *R)
{
    mp_table t;
    mp_table_header(&t, "stage|workers|items|busy s|waiting s|busy share");
    for (int i = 0; i < NSTAGES; i++) {
        if (i == S_PRE2)
            continue;
        int workers = i == S_PRE1 ? 2 : 1;
        const char *name = i == S_PRE1 ? "preprocess" : stage_names[i];
        long items = R->stats[i].items + (i == S_PRE1 ? R->stats[S_PRE2].items : 0);
        double busy = (double)(R->stats[i].busy_ns + (i == S_PRE1 ? R->stats[S_PRE2].busy_ns : 0)) / 1e9;
        double wait = (double)(R->stats[i].wait_ns + (i == S_PRE1 ? R->stats[S_PRE2].wait_ns : 0)) / 1e9;
        mp_table_row(&t, "%s|%d|%ld|%.3f|%.3f|%.0f%%", name, workers, items, busy, wait,
                     busy + wait > 0 ? 100 * busy / (busy + wait) : 0);
        CHECK(mp_csv_row(&stages_csv, "%s,%d,%ld,%.6f,%.6f", name, workers, items, busy, wait));
    }
}

void part_system(mp_lesson *L, system_result *R)
{
    uint64_t t0 = mp_lesson_part(L, "1. T2's inference system: source, preprocess x2, receiver, batcher, predictor");
    *R = (system_result){0};
    pipe_cfg c = default_cfg(L);
    c.trace = true;
    mp_say("%ld requests, one every %.0f us; preprocessing %ld us each; batches of %d or %.0f ms; the predictor "
           "%ld us per batch + %ld us per item", c.requests, c.interval_us, c.pre_us, c.batch, c.max_wait_ms,
           c.fixed_us, c.item_us);
    mp_trace_enable(true);
    run_pipeline(L, &c, &R->run, true, false);
    mp_trace_enable(L->o.trace);
    mp_trace_write_window(L->o.out, "pipeline", "lesson 11: every stage of T2's system; the arrows follow each request",
                          t0, mp_now_ns(), L->o.no_plot);
    const pipe_run *r = &R->run;
    mp_say("%ld sent, %ld results, each request exactly once: %s; %.0f requests/s, latency p50 %.1f ms, p99 %.1f "
           "ms", r->sent, r->received, r->exact ? "yes" : "NO", r->throughput, r->p50_ms, r->p99_ms);
    stage_rows(r);
    mp_say("(open pipeline.json in https://ui.perfetto.dev: click a 'send' slice and follow its arrows)");
    mp_section("6. Shutdown: the source closed its queue; every stage drained, closed its output and exited");
    mp_say("the results queue ended after the last result: %ld of %ld requests answered, none twice, no stage left",
           r->received, r->sent);
}
