/* Lesson 11 -- A pipeline: T2's inference system, measured end to end.
 *
 * The question: T2's scenario 3 is a small real system -- requests every
 * millisecond, preprocessing workers, receivers, a cache that batches, a
 * predictor with its own model, results back to the sender. Built from the
 * kit's processes and queues, how fast is it, where does the time go, and
 * which of T0's rules matter?
 *   1. the system as T2 draws it: PIDs, a timeline, and a Perfetto trace
 *      that follows each request end to end (system.c);
 *   2. throughput against latency: batch size and max wait (tradeoff.c);
 *   3. backpressure: a slow predictor, bounded and unbounded queues
 *      (backpressure.c);
 *   4. T0's four rules, one at a time (rules.c);
 *   5. the same work in one process, serially (serial.c);
 *   6. shutdown: ending the source ends every stage, every request answered
 *      once (system.c); Ctrl-C says how many requests were in flight.
 * The stages are in stages.c, one run of the pipeline in run.c.
 */
#include <math.h>
#include <stdlib.h>

#include "lesson11.h"

static const mp_entry entries[] = {MP_ENTRY(stage_main), {0}};

mp_csv pipeline_csv, stages_csv, rules_csv;

static void verdicts(mp_lesson *L, const system_result *S, const tradeoff_result *T, const backpressure_result *B,
                     const rules_result *U, const serial_result *Z)
{
    bool exact = S->run.exact && T->exact && B->bounded.exact && B->unbounded.exact && U->exact;
    mp_verdict(L, exact, 0, NULL, "every request got exactly one result, in every run (requests in = results out)");
    const pipe_run *one = &T->by_batch[0], *best = &T->by_batch[T->best];
    double r = best->throughput / one->throughput;
    mp_verdict(L, r > 1.5, 0, NULL,
               "batching raises throughput when the predictor has a fixed cost per batch: batch %d %.0f requests/s, "
               "batch 1 %.0f (%.1fx)", T->batch[T->best], best->throughput, one->throughput, r);
    const pipe_run *w0 = &T->by_wait[0], *wn = &T->by_wait[T->nwait - 1];
    mp_verdict(L, wn->p50_ms > w0->p50_ms * 2, 0, NULL,
               "with a slow source latency rises with the max wait: p50 %.1f ms at %.0f ms, %.1f ms at %.0f ms",
               w0->p50_ms, T->wait_ms[0], wn->p50_ms, T->wait_ms[T->nwait - 1]);
    mp_verdict(L, B->max_bounded <= 64 && B->max_unbounded > 64 && B->bounded.source_blocked_s >
                                                                      B->unbounded.source_blocked_s,
               0, NULL,
               "backpressure: bounded queues never held more than 64 and the source waited %.2f s; unbounded, a "
               "queue grew to %d", B->bounded.source_blocked_s, B->max_unbounded);
    static const char *const what[NRULES] = {"send little data (preprocess 256 KiB down to 16 B early)",
                                             "communicate rarely (batches of 64, not 1)",
                                             "keep the main process light",
                                             "never wait idle (overlap requests)"};
    for (int k = 0; k < NRULES; k++) {
        double x = U->good[k].throughput / U->bad[k].throughput;
        mp_verdict(L, x > 1.1, 0, mp_cpus_usable() < 2 && k == R_SMALL ? "only 1 CPU is usable" : NULL,
                   "T0's rule '%s' pays: %.0f against %.0f requests/s (%.2fx)", what[k], U->good[k].throughput,
                   U->bad[k].throughput, x);
    }
    double p = best->throughput / Z->throughput;
    mp_verdict(L, p > 1, 0, mp_cpus_usable() < 2 ? "only 1 CPU is usable: the stages take turns" : NULL,
               "the pipeline pays off over one process: %.0f against %.0f requests/s (%.2fx)", best->throughput,
               Z->throughput, p);
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries); /* the guard: a spawned stage never gets past this line */
    static const mp_unused unused[] = {{"workers", "T2's system has 2 preprocess workers and one of each other stage"},
                                       {"max-workers", "nothing is swept over workers"},
                                       {"seed", "nothing in this lesson is random"},
                                       {0}};
    static const mp_cli cli = {
        .prog = "lesson-11",
        .summary = "A pipeline: T2's inference system -- batching, backpressure, T0's rules, shutdown -- measured "
                   "end to end",
        .default_out = "plots/out/11-pipeline",
        .unused = unused,
    };
    mp_lesson L;
    int status;
    if (!mp_lesson_begin(&L, &cli, argc, argv, &status))
        return status;
    CHECK(mp_csv_open(&pipeline_csv, L.o.out, "pipeline.csv",
                      "batch_size,max_wait_ms,requests,throughput_rps,p50_ms,p99_ms"));
    CHECK(mp_csv_open(&stages_csv, L.o.out, "stages.csv", "stage,workers,items,busy_s,wait_s"));
    CHECK(mp_csv_open(&rules_csv, L.o.out, "rules.csv", "rule,variant,throughput_rps,p50_ms"));

    static system_result sys;
    static tradeoff_result trade;
    static backpressure_result back;
    static rules_result rules;
    serial_result serial;
    part_system(&L, &sys);
    part_tradeoff(&L, &trade);
    part_backpressure(&L, &back);
    part_rules(&L, &rules);
    part_serial(&L, &trade, &serial);
    CHECK(mp_csv_close(&pipeline_csv));
    CHECK(mp_csv_close(&stages_csv));
    CHECK(mp_csv_close(&rules_csv));

    mp_lesson_verdicts(&L);
    verdicts(&L, &sys, &trade, &back, &rules, &serial);
    free(trade.by_batch);
    free(trade.by_wait);
    return mp_lesson_end(&L);
}
