/* Lesson 01's puzzle: how many lines does this fork() program print, and
 * from which processes? (fork.c; the tests compare the two runs) */
#ifndef PUZZLE_FORK_H
#define PUZZLE_FORK_H

#include "puzzle.h"

#define FORK_MAX_OPS 96
#define FORK_MAX_PROCS 16
#define FORK_MAX_LINES 40
#define FORK_NAME_LEN 40

/* The program, compiled to a tiny instruction list that both runs execute:
 * the simulation copies the state at a fork, the real run calls fork(). */
typedef enum { OP_FORK, OP_JPARENT, OP_JMP, OP_PRINT, OP_SET, OP_LOOP, OP_EXIT, OP_END } fork_op_kind;
typedef struct fork_op {
    fork_op_kind kind;
    int arg;    /* OP_PRINT: the letter; OP_SET: the count; OP_J*, OP_LOOP: the target */
    int reg;    /* OP_SET, OP_LOOP: the loop's counter */
} fork_op;

/* What a run printed: every process by name ("0" the first, "0.2" its
 * second child...), and every line as "NAME LETTER", sorted. */
typedef struct fork_outcome {
    int nprocs, nlines;
    char procs[FORK_MAX_PROCS][FORK_NAME_LEN];
    char lines[FORK_MAX_LINES][FORK_NAME_LEN + 4];
    char order[FORK_MAX_LINES]; /* the letters in the order they came */
    int real_tree_ok;           /* real run: every process's parent PID was its parent's */
} fork_outcome;

typedef struct fork_state {
    char text[4096];            /* the program, as C */
    fork_op ops[FORK_MAX_OPS];
    int nops;
    fork_outcome model;         /* the simulation, done by make */
} fork_state;

/* Run the program with real fork() calls, its lines through a pipe; every
 * child reaped before it returns. 0 or -errno. */
int fork_run_real(const fork_state *st, fork_outcome *out);

#endif
