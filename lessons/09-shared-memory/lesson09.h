/* What the parts of lesson 09 share: the child processes each part starts
 * (registered by name, so that spawned and forkserver children find them),
 * the output files, and what each part found (for the closing verdicts). */
#ifndef LESSON09_H
#define LESSON09_H

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mp.h"

/* ---- 1: t0.c, T0's Value and Array example ---- */
typedef struct point { double x, y; } point;
typedef struct t0_result {
    pid_t child;
    int n;
    double x;
    char s[16];
    point a[3];
    bool right;
} t0_result;
int t0_modify(void *arg); /* the child: fds 0-3 are n, x, s, A */
void part_t0(mp_lesson *L, t0_result *R);

/* ---- 2: counter.c, the lost update and false sharing ---- */
enum { C_NONE, C_LOCK, C_ATOMIC, C_PARTIAL, C_PADDED, NMETHODS };
extern const char *const counter_methods[NMETHODS];
typedef struct counter_args { int method, worker, workers; long increments; } counter_args;
int counter_worker(void *arg); /* fd 0: the counters' segment */
typedef struct counter_result {
    int workers;
    long increments[NMETHODS]; /* per worker */
    long final_value[NMETHODS], expected[NMETHODS];
    mp_stats time[NMETHODS];
    double cpus[NMETHODS];     /* CPUs the workers had between them (median of the runs) */
} counter_result;
void part_counter(mp_lesson *L, counter_result *R);

/* ---- 3: copy.c, copy or share ---- */
enum { X_PIPE, X_QUEUE, X_SHARED, NWAYS };
extern const char *const copy_methods[NWAYS];
#define COPY_SIZES_MAX 8
int copy_reader(void *arg); /* fds: 0 the command pipe (receive), 1 the reply pipe (send), 2 the queue, 3 the segment */
typedef struct copy_result {
    int sizes;
    size_t bytes[COPY_SIZES_MAX];
    mp_stats time[NWAYS][COPY_SIZES_MAX];
    bool all_right;            /* every reader's checksum matched */
} copy_result;
void part_copy(mp_lesson *L, copy_result *R);

/* ---- 4: named.c, named segments ---- */
int named_reader(void *arg);  /* attaches by name, reads, exits */
int named_creator(void *arg); /* creates, fills, waits to be told, exits */
typedef struct named_result {
    char name[MP_SEGMENT_NAME];
    bool reader_saw, kept_after_reader;     /* a spawned reader read it; its exit left it in /dev/shm */
    bool gone_after_creator, mapping_kept;  /* the creator's exit unlinked it; our mapping still reads */
} named_result;
void part_named(mp_lesson *L, named_result *R);

/* counter.csv: method,workers,increments,final_value,expected,median_s
 * copy-share.csv: method,bytes,median_s,gb_per_s */
extern mp_csv counter_csv, copy_csv;

#endif
