/* Lesson 11, part 4 -- T0's four rules, measured one at a time.
 *
 * T0's advice for process pipelines, each as a pair of runs that differ in
 * that one thing:
 *   send little data   256 KiB requests, preprocessed early so that only
 *                      16 bytes go on -- or the 256 KiB forwarded to the
 *                      batcher;
 *   communicate rarely batches of 64 -- or one message per request;
 *   keep main light    the main process only collects results -- or does
 *                      300 us of work on each;
 *   never wait idle    requests flow while others are in the pipeline -- or
 *                      the source waits for each result before the next. */
#include "lesson11.h"

static const char *const rule_names[NRULES] = {"send-little-data", "communicate-rarely", "keep-main-light",
                                               "never-wait-idle"};
static const char *const good_names[NRULES] = {"preprocess-early", "batches-of-64", "main-light", "overlapping"};
static const char *const bad_names[NRULES] = {"forward-256KiB", "one-per-message", "main-working", "one-at-a-time"};

static void configure(pipe_cfg *c, int rule, bool good)
{
    switch (rule) {
    case R_SMALL:
        c->payload = 256 << 10;
        c->forward_payload = !good;
        break;
    case R_BATCHES:
        c->batch = good ? 64 : 1;
        break;
    case R_LIGHT:
        c->main_us = good ? 0 : 300;
        break;
    default:
        c->batch = 8;
        c->max_wait_ms = 2;
        c->lockstep = !good;
        break;
    }
}

void part_rules(mp_lesson *L, rules_result *R)
{
    mp_lesson_part(L, "4. T0's rules, one at a time: each a pair of runs that differ only in it");
    R->exact = true;
    mp_table t;
    mp_table_header(&t, "rule|variant|requests/s|p50 ms|variant|requests/s|p50 ms");
    for (int k = 0; k < NRULES; k++) {
        for (int g = 0; g < 2; g++) {
            pipe_cfg c = default_cfg(L);
            c.interval_us = 0;
            c.fixed_us = 1000;
            c.max_wait_ms = 10;
            c.requests = L->o.quick ? 100 : 300;
            configure(&c, k, g == 1);
            pipe_run *r = g ? &R->good[k] : &R->bad[k];
            run_pipeline(L, &c, r, false, false);
            R->exact = R->exact && r->exact;
            CHECK(mp_csv_row(&rules_csv, "%s,%s,%.1f,%.3f", rule_names[k], g ? good_names[k] : bad_names[k],
                             r->throughput, r->p50_ms));
        }
        mp_table_row(&t, "%s|%s|%.0f|%.1f|%s|%.0f|%.1f", rule_names[k], good_names[k], R->good[k].throughput,
                     R->good[k].p50_ms, bad_names[k], R->bad[k].throughput, R->bad[k].p50_ms);
    }
}
