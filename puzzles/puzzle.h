/* puzzle: seeded predict-then-measure problems, one per lesson.
 *
 * Like OSTEP's homework simulators: a seed gives a fresh problem, and
 * --solve shows the answer with its reasoning. Each puzzle is one file
 * (fork.c for lesson 01, amdahl.c for 02, ...) that fills in a `puzzle`:
 *
 *   make      the problem from the seed: the same seed, the same problem
 *   prepare   (optional) what the problem needs from this machine (lesson
 *             06's measured cost model); not part of the seeded text
 *   problem   print the problem and the question
 *   check     is this prediction right? (1 right, 0 wrong, -1 not an answer)
 *   solve     the answer and the reasoning that reaches it (the model)
 *   measure   (optional) run the scenario on this machine and show the
 *             measured result beside the prediction; 0 or -errno
 *
 * A puzzle's state is plain data (no pointers to elsewhere), at most
 * PUZZLE_STATE_MAX bytes; main.c allocates it. The tests call the same
 * functions with many seeds (tests/puzzles/).
 */
#ifndef PUZZLE_H
#define PUZZLE_H

#include <stdint.h>
#include <stdio.h>

#define PUZZLE_STATE_MAX (64 * 1024)

typedef struct puzzle {
    int lesson;            /* 1 for lesson 01 */
    const char *name;      /* "fork" */
    const char *about;     /* one line for the list of puzzles */
    const char *answer_form; /* what --answer takes: "a whole number of lines" */
    void (*make)(void *state, unsigned long seed);
    int (*prepare)(void *state, FILE *out); /* may be NULL */
    void (*problem)(const void *state, FILE *out);
    int (*check)(const void *state, const char *answer);
    void (*answer)(const void *state, char *buf, size_t len); /* the answer, as --answer would take it */
    void (*solve)(const void *state, FILE *out);
    int (*measure)(const void *state, FILE *out); /* may be NULL */
} puzzle;

extern const puzzle puzzle_fork, puzzle_amdahl, puzzle_gil, puzzle_pool, puzzle_granularity, puzzle_counter;

/* Every puzzle, by lesson; NULL-terminated. */
extern const puzzle *const puzzles[];
/* The puzzle for lesson n, or NULL. */
const puzzle *puzzle_for(int lesson);

/* The seeded random numbers every puzzle draws from (splitmix64: one
 * 64-bit word of state, good enough to pick problems, and the same on
 * every machine). */
typedef struct puzzle_rng {
    uint64_t s;
} puzzle_rng;
puzzle_rng puzzle_rng_seeded(unsigned long seed, const char *puzzle_name);
uint64_t puzzle_rng_next(puzzle_rng *r);
/* A whole number in [lo, hi]. */
int puzzle_rng_range(puzzle_rng *r, int lo, int hi);

/* Answers: a whole number, or a number with a tolerance. Both skip
 * surrounding blanks; -1 when the text is not a number at all. */
int puzzle_check_long(const char *answer, long want);
int puzzle_check_double(const char *answer, double want, double rel_tol);

#endif
