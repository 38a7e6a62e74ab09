/* What the parts of lesson 07 share: how a child is started with the ends
 * it needs, and what each part found (for the closing verdicts). */
#ifndef LESSON07_H
#define LESSON07_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mp.h"

/* What a child is told (its argument bytes, the same under every start
 * method). Its ends are mp_child_fd(0), mp_child_fd(1), ... in the order
 * start_child was given them. */
typedef struct child_args {
    char name[16];    /* T0's I1, I2, I3 */
    uint64_t t0_ns;   /* the lesson's clock at the start of the part: lines say "t=12.3 ms" */
    int id;           /* a writer's number (part 3) */
    int transport;    /* part 5: which kind of end */
    long count;       /* messages to send */
    long size;        /* bytes per message */
    long delay_ms;    /* a pause before sending */
    int locked;       /* part 3: take the shared lock (descriptor 1) around each send */
} child_args;

/* Start `target` in a child by the lesson's --start method, handed the n
 * descriptors in fds (ends of pipes, a shared segment). */
void start_child(mp_process *p, const char *name, mp_target target, const child_args *a, const int *fds, int n);
/* In a child: wrap its i-th descriptor as a connection (CHECKed). */
void child_conn(mp_conn *c, int i, int flags);
/* Milliseconds since t0_ns, for the lines a part prints. */
double ms_since(uint64_t t0_ns);

/* ---- 1: t0.c ---- */
typedef struct t0_result {
    int sent, received, children_ok;  /* T0's five messages */
    bool wrong_way_refused;           /* one-way ends used the wrong way: -EBADF at once */
    bool poll_empty, poll_waited, poll_got; /* poll(0) nothing; poll(T) nothing after T; poll(T) a late message */
    double poll_wait_s, poll_got_s;
} t0_result;
int t0_i1(void *arg);
int t0_i2_i3(void *arg);
int late_sender(void *arg);
void part_t0(mp_lesson *L, t0_result *R);

/* ---- 2: forgotten.c ---- */
typedef struct forgotten_result {
    double timeout_s;
    bool eof_with_own_copy, eof_with_bystander; /* EOF while a copy was still held (should be false) */
    bool eof_after_bystander;                   /* EOF once the bystander was gone */
    bool bystander_shown;                       /* fork only: a child that inherited every descriptor */
    bool eof_fixed;
    double fixed_ms;                            /* the writer gone, every copy closed: EOF after this long */
    long received;
} forgotten_result;
int counting_writer(void *arg);
int bystander(void *arg);
void part_forgotten(mp_lesson *L, forgotten_result *R);

/* ---- 3: writers.c ---- */
typedef struct writers_result {
    int rounds, corrupted_rounds;   /* two writers on one end: rounds that went wrong */
    long intact, mixed, broken;     /* messages whole; returned with another writer's bytes; -EBADMSG */
    long expected;
    long fixed_intact[2], fixed_bad[2]; /* a connection per writer; a lock around send */
    double fixed_mb_s[2];
} writers_result;
int pattern_writer(void *arg);
void part_writers(mp_lesson *L, writers_result *R);

/* ---- 4: deadlock.c ---- */
typedef struct deadlock_result {
    double timeout_s;
    bool stuck;           /* neither side had received anything after the timeout */
    int child_exitcode;   /* the stuck child, killed */
    bool fixed;           /* the fix: both messages arrived whole */
    double fixed_ms;
} deadlock_result;
int big_exchanger(void *arg);
void part_deadlock(mp_lesson *L, deadlock_result *R);

/* ---- 5: speed.c (the kit and the bare calls) and cpython.c ---- */
enum { T_RAW_PIPE, T_RAW_SOCKETPAIR, T_PIPE, T_PIPE_DUPLEX, T_CPYTHON, NTRANSPORTS };
extern const char *const transport_names[NTRANSPORTS];
#define SPEED_SIZES 5
#define LATENCY_SIZES 3
typedef struct speed_result {
    long sizes[SPEED_SIZES];                       /* throughput: message bytes */
    long lat_sizes[LATENCY_SIZES];                 /* round trips: message bytes */
    mp_stats msgs_per_s[NTRANSPORTS][SPEED_SIZES]; /* over the repeats */
    bool have[NTRANSPORTS];
    double median_us[NTRANSPORTS][LATENCY_SIZES], p99_us[NTRANSPORTS][LATENCY_SIZES]; /* per round trip */
    double lat_spread[NTRANSPORTS][LATENCY_SIZES]; /* of the per-repeat medians */
    const char *cpython_missing;                   /* NULL when CPython was measured */
} speed_result;
/* How many messages one run sends: the same rule for the kit, the bare
 * calls and CPython (cpython_pipe.py gets the numbers). */
long speed_count(const mp_lesson *L, long size);
long latency_rounds(const mp_lesson *L, long size);
int stream_sender(void *arg);
int echo_child(void *arg);
void part_speed(mp_lesson *L, speed_result *R);
void part_cpython(mp_lesson *L, speed_result *R);
void speed_write(mp_lesson *L, const speed_result *R);

#endif
