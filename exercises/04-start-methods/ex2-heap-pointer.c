/* Exercise 04.2 -- a pointer into the parent's heap means nothing in a
 * spawned child.
 *
 * spawned_sum() asks a spawned child to add up n ints and report the sum as
 * its exit code (mod 256). The child runs sum_child(), registered by name.
 * The version below sends the child the *address* of the parent's array:
 * with fork that would work (the child has a copy of the parent's memory,
 * at the same addresses); with spawn the child is a new program, and that
 * address is at best unmapped (a segfault: exit code -11) and at worst
 * points at something else entirely.
 *
 * Fix both functions so that the numbers themselves travel: pack n and the
 * values into bytes, give them with mp_process_set_args(), and read them
 * back in sum_child(). The tests in tests/exercises/04-start-methods/
 * ex2-heap-pointer.c also show the failure itself.
 * Test: make check-4
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mp.h"

int sum_child(void *arg)
{
    /* TODO: the argument should be the numbers, not an address */
    const int *const *where = arg;
    const int *values = *where;
    int n = 10, sum = 0;
    for (int i = 0; i < n; i++)
        sum += values[i];
    return sum & 0xff;
}

int spawned_sum(const int *values, int n)
{
    (void)n;
    mp_process p;
    mp_process_init(&p, "summer", sum_child, NULL);
    p.start = MP_START_SPAWN;
    mp_process_set_args(&p, &values, sizeof values); /* TODO: the bytes of the pointer! */
    if (mp_process_start(&p) != 0 || mp_process_join(&p, MP_FOREVER) != 0)
        return -1000;
    return p.exitcode;
}
