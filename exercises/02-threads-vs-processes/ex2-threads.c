/* Exercise 02.2 -- count primes with threads, by hand.
 *
 * Lesson 02 splits the prime count over workers with the kit's mp_thread.
 * Here you use pthreads directly: start `nthreads` threads, give each a
 * share of [0, hi), join them all, and add up their counts.
 *
 * Each thread counts its share with mp_count_primes(lo, hi) (lib/work.h).
 * How you split is up to you, but every number must be counted exactly once.
 * (Then think: why does the lesson deal out small blocks round-robin instead
 * of giving each thread one contiguous half? Try both and time them.)
 *
 * Return the number of primes below hi; 0 if nthreads < 1.
 * Test: make check-2
 */
#include <pthread.h>
#include <stdint.h>

#include "work.h"

uint64_t count_primes_threads(uint64_t hi, int nthreads)
{
    /* TODO: pthread_create nthreads threads, each counting its share;
     * pthread_join them and sum the counts. Keep each thread's arguments
     * and result in its own struct: threads must not share a counter. */
    return 0;
}
