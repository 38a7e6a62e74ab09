/* Lesson 12: the two tasks every way runs, each registered with MP_TASK so
 * that a spawned pool worker (a fresh run of this program, --start spawn)
 * finds it by name. OpenMP calls the very same functions in its loops. */
#include "lesson12.h"

/* Busy work of a chosen cost (lib/work.h): the steps are computed once, in
 * the parent, so every thread and process does the same work. */
int spin_task(const void *arg, void *result)
{
    const spin_arg *a = arg;
    *(uint64_t *)result = mp_spin(a->steps, a->seed);
    return 0;
}
MP_TASK(spin_task)

/* The primes job's task: one block of numbers (MP_PRIME_BLOCK of them). */
int primes_task(const void *arg, void *result)
{
    const block_arg *b = arg;
    *(uint64_t *)result = mp_count_primes(b->lo, b->hi);
    return 0;
}
MP_TASK(primes_task)
