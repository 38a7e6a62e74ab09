/* What the parts of lesson 11 share: the pipeline's configuration, its run
 * (run.c), its stages (stages.c), the output files, and what each part
 * found (for the closing verdicts). */
#ifndef LESSON11_H
#define LESSON11_H

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mp.h"

/* ---- the messages ---- */
typedef struct request { uint64_t id, sent_ns; } request; /* then the payload, if any */
#define BATCH_MAX 256
typedef struct batch { uint32_t n; request r[BATCH_MAX]; } batch;

/* ---- the stages (stages.c), in order ---- */
enum { S_SOURCE, S_PRE1, S_PRE2, S_RECEIVER, S_BATCHER, S_PREDICTOR, NSTAGES };
extern const char *const stage_names[NSTAGES];

/* What every stage is told (its argument bytes). */
typedef struct pipe_cfg {
    long requests;
    double interval_us;    /* the source's pace; 0: as fast as the queues take them */
    long pre_us;           /* preprocessing: CPU per request */
    int batch;             /* the batcher: items per batch (1..BATCH_MAX) */
    double max_wait_ms;    /* ... or this long after a batch's first item, whichever first */
    long fixed_us, item_us; /* the predictor: per batch and per item */
    size_t payload;        /* bytes a request carries to preprocessing */
    bool forward_payload;  /* preprocessing sends the payload on (T0: preprocess early, send little) */
    size_t maxsize;        /* each queue's bound */
    long main_us;          /* work the main process does per result (T0: keep the main process light) */
    bool lockstep;         /* the source waits for each result before the next (T0: never wait idle) */
    bool trace;            /* record a flow per request (part 1) */
    uint64_t pre_steps, fixed_steps, item_steps; /* the costs as mp_spin steps: converted once, in the main
                                                  * process (with_steps), so every stage does the same work */
    int stage;             /* which stage a child is (set per child) */
} pipe_cfg;
pipe_cfg default_cfg(const mp_lesson *L);
pipe_cfg with_steps(pipe_cfg c);

/* Where the stages leave what they measured. */
typedef struct stage_stats {
    atomic_long items;
    atomic_llong busy_ns, wait_ns;
    atomic_int pid;
} stage_stats;
typedef struct board {
    stage_stats s[NSTAGES];
    atomic_int pre_done;   /* preprocess workers finished: the last closes their queue */
    atomic_int ready;      /* stages ready to serve (the predictor once its model is built) */
    atomic_long in_flight; /* sent, no result yet (read by the Ctrl-C report) */
} board;

int stage_main(void *arg); /* every stage process: its fds are the board, its input and its output */

/* ---- one run (run.c) ---- */
#define DEPTH_MAX 4000
typedef struct pipe_run {
    double seconds, throughput, p50_ms, p99_ms;
    long sent, received;
    bool exact;            /* every request came back exactly once */
    double source_blocked_s;
    stage_stats stats[NSTAGES];
    pid_t pids[NSTAGES];
    int depths;            /* samples of the queues' depths (part 3) */
    float depth_t_ms[DEPTH_MAX];
    uint16_t depth[DEPTH_MAX][4]; /* requests, preprocessed, received, batches */
} pipe_run;
/* Run the pipeline once; say: print the stages' PIDs. sample_depths: part 3. */
void run_pipeline(mp_lesson *L, const pipe_cfg *c, pipe_run *R, bool say, bool sample_depths);

/* ---- the parts ---- */
typedef struct system_result { pipe_run run; bool model_in_own_process; } system_result;
void part_system(mp_lesson *L, system_result *R);

#define SWEEP_POINTS 8
typedef struct tradeoff_result {
    int nbatch, nwait;
    int batch[SWEEP_POINTS];
    double wait_ms[SWEEP_POINTS];
    pipe_run *by_batch, *by_wait; /* [nbatch], [nwait] */
    int best;                     /* index into by_batch */
    bool exact;
} tradeoff_result;
void part_tradeoff(mp_lesson *L, tradeoff_result *R);

typedef struct backpressure_result { pipe_run bounded, unbounded; int max_bounded, max_unbounded; } backpressure_result;
void part_backpressure(mp_lesson *L, backpressure_result *R);

enum { R_SMALL, R_BATCHES, R_LIGHT, R_OVERLAP, NRULES };
typedef struct rules_result { pipe_run good[NRULES], bad[NRULES]; bool exact; } rules_result;
void part_rules(mp_lesson *L, rules_result *R);

typedef struct serial_result { double throughput; long requests; } serial_result;
void part_serial(mp_lesson *L, const tradeoff_result *T, serial_result *R);

/* pipeline.csv, stages.csv, rules.csv */
extern mp_csv pipeline_csv, stages_csv, rules_csv;

#endif
