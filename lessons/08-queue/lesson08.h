/* What the parts of lesson 08 share: the board where child processes leave
 * what they saw, how a child is started with the queue, and what each part
 * found (for the closing verdicts). */
#ifndef LESSON08_H
#define LESSON08_H

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mp.h"

/* ---- the board: shared memory the children write their findings to ----
 * One segment, made at the start and handed to every child beside its
 * queue (workers.c). Each child has a slot; the parent clears the board
 * before each run and reads it after. */
#define BOARD_SLOTS 16      /* children at once */
#define BOARD_ORDER 4096    /* items a slot can list in the order it got them */
#define BOARD_LATENCY 4096  /* put-to-get samples a slot keeps */
typedef struct slot {
    atomic_int pid;
    atomic_uint_fast64_t got;     /* items taken from the queue (recorded after each get) */
    atomic_uint_fast64_t done;    /* part 7: items finished, counted just before task_done */
    uint64_t start_ns, end_ns;    /* first and last item, mp_now_ns() */
    uint64_t blocked_ns;          /* time spent inside put or get (parts 4, 6) */
    uint64_t longest_wait_ns;     /* the longest single get (part 6) */
    uint64_t fast_blocked_ns, fast_ns; /* part 4: blocked time and length of the fast phase */
    uint32_t order[BOARD_ORDER];  /* item numbers, in the order this child got them */
    uint32_t norder;
    uint32_t nlatency;
    float latency_us[BOARD_LATENCY];
} slot;
typedef struct board {
    atomic_int ready; /* children waiting at the start line */
    atomic_int go;    /* set by the parent: start now */
    uint64_t go_ns;
    atomic_uint nfinished;           /* part 2: items finished so far, by any consumer */
    uint32_t finished[BOARD_ORDER];  /* part 2: item numbers in the order they were finished */
    slot s[BOARD_SLOTS];
} board;
extern board *B;

/* What a child is told (its argument bytes, the same under every start
 * method): which slot is its own, and numbers its part needs. */
typedef struct child_args {
    int slot;
    int producer;         /* this producer's number (parts 2, 5) */
    long count;           /* items to put, or to get */
    long size;            /* bytes per item (part 5) */
    long work_us;         /* time spent on each item (sleeping, as I/O would) */
    long slow_from;       /* part 4: from this item on, the producer waits slow_us before each put */
    long slow_us;
    long stride;          /* part 5: keep the latency of every stride-th item */
    long limit_ms;        /* part 5: a producer stops after this long, however many it has put */
    char path[512];       /* part 3: the file the writer writes */
} child_args;

void board_create(void);
void board_clear(void);
/* In a child: the board, and the transport handed to it (queue or conn). */
slot *child_slot(const child_args *a);
void child_queue(mp_queue *q);
void child_conn(mp_conn *c, int flags);
/* Start `target` in a child process by the lesson's --start method, handed
 * the board and descriptor fd (a queue's or a pipe end's; -1: none). */
void start_child(mp_process *p, const char *name, mp_target target, const child_args *a, int fd);
/* n children ROLE-1 .. ROLE-n in slots 0 .. n-1, each told work_us, handed fd. */
void start_children(mp_process *p, int n, const char *role, mp_target target, long work_us, int fd);
/* The start line: children wait at it, the parent lets them go once all n are there. */
void child_wait_go(void);
void release_children(int n);
/* A blocking get that records how long it waited. */
int timed_get(mp_queue *q, slot *me, void *buf, size_t cap, size_t *len);

/* ---- 1: basics.c ---- */
typedef struct basics_result { bool fifo, full_nowait, full_timeout, empty_timeout; double waited_s; } basics_result;
int basics_child(void *arg);
void part_basics(mp_lesson *L, basics_result *R);

/* ---- 2: consumers.c ---- */
typedef struct consumers_result { long items, got[2], inversions; bool exactly_once, each_in_order; } consumers_result;
int competing_consumer(void *arg);
int numbered_producer(void *arg);
void part_consumers(mp_lesson *L, consumers_result *R);

/* ---- 3: dialogues.c ---- */
typedef struct dialogues_result { long dialogues; bool match[2]; } dialogues_result;
int reversed_writer(void *arg);
void part_dialogues(mp_lesson *L, dialogues_result *R);

/* ---- 4: backpressure.c ---- */
typedef struct backpressure_result {
    size_t maxsize;
    double blocked_fraction;    /* of the fast phase, the producer's time inside put */
    double fast_depth, slow_depth; /* median queue depth in each phase */
    bool depth_in_range;        /* every sample between 0 and maxsize */
} backpressure_result;
int eager_producer(void *arg);
int slow_consumer(void *arg);
void part_backpressure(mp_lesson *L, backpressure_result *R);

/* ---- 5: speed.c (the kit) and cpython.c (CPython's Queue and Pipe) ---- */
#define SPEED_MAX_PC 8
#define SPEED_SIZES 4
enum { T_QUEUE, T_PIPE, T_CPY_QUEUE, T_CPY_PIPE, NTRANSPORTS };
extern const char *const transport_names[NTRANSPORTS];
typedef struct rate { mp_stats per_s; double p50_us, p99_us; bool have; } rate;
typedef struct speed_result {
    int max_pc;
    long sizes[SPEED_SIZES];
    rate by_size[NTRANSPORTS][SPEED_SIZES];            /* 1 producer, 1 consumer */
    rate by_workers[SPEED_MAX_PC + 1][SPEED_MAX_PC + 1]; /* the queue at 64 B */
    const char *cpython_missing;                      /* NULL when CPython was measured */
} speed_result;
int speed_producer(void *arg);
int speed_consumer(void *arg);
int pipe_producer(void *arg);
int pipe_consumer(void *arg);
void part_speed(mp_lesson *L, speed_result *R);
void part_cpython(mp_lesson *L, speed_result *R);
void speed_report(mp_lesson *L, const speed_result *R);

/* ---- 6: killed.c ---- */
typedef struct killed_result {
    long items, got_by_survivors, got_by_killed, missing, duplicates;
    uint64_t lost;
    int killed_exitcode;
    bool ended;
    double end_s, longest_wait_s;
} killed_result;
int steady_consumer(void *arg);
void part_killed(mp_lesson *L, killed_result *R);

/* ---- 7: joinable.c ---- */
typedef struct joinable_result { long tasks, done_at_join; int join_rc, extra_rc; double join_s; } joinable_result;
int task_worker(void *arg);
void part_joinable(mp_lesson *L, joinable_result *R);

#endif
