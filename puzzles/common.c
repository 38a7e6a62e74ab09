/* What every puzzle shares: the list, the seeded random numbers, checking
 * an answer that is a number. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "puzzle.h"

const puzzle *const puzzles[] = {&puzzle_fork, &puzzle_amdahl, &puzzle_gil, &puzzle_pool,
                                 &puzzle_granularity, &puzzle_counter, NULL};

const puzzle *puzzle_for(int lesson)
{
    for (int i = 0; puzzles[i]; i++)
        if (puzzles[i]->lesson == lesson)
            return puzzles[i];
    return NULL;
}

uint64_t puzzle_rng_next(puzzle_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* The puzzle's name goes into the state too, so that seed 7 of one puzzle
 * is not seed 7 of another in disguise. */
puzzle_rng puzzle_rng_seeded(unsigned long seed, const char *puzzle_name)
{
    puzzle_rng r = {seed};
    for (const char *c = puzzle_name; *c; c++)
        r.s = r.s * 131 + (unsigned char)*c;
    puzzle_rng_next(&r);
    return r;
}

int puzzle_rng_range(puzzle_rng *r, int lo, int hi)
{
    return lo + (int)(puzzle_rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* The number in answer, whole; false if there is anything else. */
static int parse_double(const char *answer, double *out)
{
    while (isspace((unsigned char)*answer))
        answer++;
    if (!*answer)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(answer, &end);
    if (end == answer || errno)
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    if (*end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int puzzle_check_long(const char *answer, long want)
{
    double v;
    if (parse_double(answer, &v) < 0 || v != floor(v))
        return -1;
    return v == (double)want;
}

int puzzle_check_double(const char *answer, double want, double rel_tol)
{
    double v;
    if (parse_double(answer, &v) < 0)
        return -1;
    return fabs(v - want) <= rel_tol * fabs(want);
}
