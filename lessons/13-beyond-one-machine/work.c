/* Lesson 13: the tasks the kit's process pool runs beside the ranks, the
 * same work with the same numbers (lib/work.h). Registered with MP_TASK so
 * that a spawned worker (--start spawn) finds them by name. */
#include "lesson13.h"

int primes_task(const void *arg, void *result)
{
    const primes_arg *a = arg;
    *(uint64_t *)result = mp_count_primes_share(0, a->hi, a->parts, a->index);
    return 0;
}
MP_TASK(primes_task)

int spin_task(const void *arg, void *result)
{
    const spin_arg *a = arg;
    *(uint64_t *)result = mp_spin(a->steps, a->seed);
    return 0;
}
MP_TASK(spin_task)
