/* work: the example jobs every lesson runs, each of tunable size.
 *
 * These are the jobs of the Python tutorials the kit was written from:
 *  - CPU-bound: counting primes by trial division (and a countdown loop).
 *    Only computation: more cores help, the GIL does not.
 *  - I/O-bound: sleeps standing in for network waits. The CPU is idle while
 *    waiting, so even more workers than cores help.
 *  - tiny: the factorial of a small number, a task so short that shipping it
 *    to another worker costs more than computing it.
 */
#ifndef MP_WORK_H
#define MP_WORK_H

#include <stdbool.h>
#include <stdint.h>

bool mp_is_prime(uint64_t n);
/* How many primes in [lo, hi). */
uint64_t mp_count_primes(uint64_t lo, uint64_t hi);
/* Worker i's share of [lo, hi) when `parts` workers count together: blocks
 * of MP_PRIME_BLOCK numbers dealt round-robin. Contiguous halves would be
 * unfair: testing a large number costs more than a small one (trial division
 * up to its square root), so the worker with the top half would finish last. */
#define MP_PRIME_BLOCK 4096
uint64_t mp_count_primes_share(uint64_t lo, uint64_t hi, int parts, int i);
/* The upper bound hi such that counting primes in [0, hi) takes roughly
 * `seconds` on this machine (calibrated once with a short run). */
uint64_t mp_primes_bound_for(double seconds);

/* Sleep ms milliseconds, `count` times: a stand-in for `count` network waits. */
void mp_io_wait(int count, int ms);

/* n! for n <= 20 (fits in 64 bits); 0 for larger n. */
uint64_t mp_factorial(unsigned n);

/* Split [lo, hi) into `parts` contiguous pieces whose sizes differ by at most
 * one; piece i is [*plo, *phi). */
void mp_split_range(uint64_t lo, uint64_t hi, int parts, int i, uint64_t *plo, uint64_t *phi);

#endif
