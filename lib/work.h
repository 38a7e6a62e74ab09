/* work: the example jobs every lesson runs, each of tunable size.
 *
 * These are the jobs of the Python tutorials the kit was written from:
 *  - CPU-bound: counting primes by trial division (and a countdown loop).
 *    Only computation: more cores help, the GIL does not.
 *  - memory-bound: STREAM's triad over arrays far larger than the caches.
 *    Each element costs one multiply-add and three trips to memory, so the
 *    memory, not the CPU, sets the pace; more cores help only until they
 *    use all the bandwidth the machine has.
 *  - I/O-bound: sleeps standing in for network waits. The CPU is idle while
 *    waiting, so even more workers than cores help.
 *  - tiny: the factorial of a small number, a task so short that shipping it
 *    to another worker costs more than computing it.
 */
#ifndef MP_WORK_H
#define MP_WORK_H

#include <stdbool.h>
#include <stddef.h>
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

/* Memory-bound: John McCalpin's STREAM triad, a[i] = b[i] + q * c[i], as
 * numpy's `a[:] = b + q * c`. STREAM counts 3 x 8 bytes moved per element
 * (read b and c, write a); bandwidth = MP_TRIAD_BYTES * elements / seconds. */
#define MP_TRIAD_BYTES 24
typedef struct mp_triad {
    double *a, *b, *c;
    size_t n;       /* elements in each array */
    size_t map_len; /* bytes mapped for each array */
} mp_triad;
/* Three arrays of `bytes_each` bytes, b and c filled with small whole
 * numbers (so that a is exact) and every page touched once, so that no page
 * fault lands inside a timed pass. Returns 0 or -errno (-EINVAL for a size
 * under one element). */
int mp_triad_init(mp_triad *t, size_t bytes_each);
void mp_triad_free(mp_triad *t);
/* a[i] = b[i] + q * c[i] for i in [lo, hi) (clamped to n). */
void mp_triad_pass(const mp_triad *t, size_t lo, size_t hi, double q);
/* The self-check: does every a[i] hold b[i] + q * c[i]? */
bool mp_triad_check(const mp_triad *t, double q);

/* Sleep ms milliseconds, `count` times: a stand-in for `count` network waits. */
void mp_io_wait(int count, int ms);

/* Busy work of a chosen cost, for sweeps over task size (lessons 06, 12,
 * 13): `steps` rounds of xorshift64, each depending on the one before, so
 * the compiler can neither skip nor fold them and the CPU cannot overlap
 * them. Returns the last value (keep it: a result nobody reads invites the
 * compiler to drop the loop). Roughly 1 ns per step on a recent core. */
uint64_t mp_spin(uint64_t steps, uint64_t seed);
/* How many steps of mp_spin take `ns` nanoseconds on this machine: measured
 * once per process (the fastest of a few short runs, since interruptions
 * only ever add time), then remembered. At least 1. A program that ships
 * tasks to other processes converts once and sends steps, so every worker
 * does the same work whatever its own calibration would say. */
uint64_t mp_spin_steps_for_ns(double ns);

/* n! for n <= 20 (fits in 64 bits); 0 for larger n. */
uint64_t mp_factorial(unsigned n);
/* T4's factorial(x) for x up to 300, exactly, as Python's int computes it
 * (100! has 158 digits): in base 10^9 limbs. What can be checked of the
 * result is returned: how many decimal digits and their sum. x > 300:
 * {0, 0}. */
typedef struct mp_digits { int digits, digit_sum; } mp_digits;
mp_digits mp_factorial_digits(unsigned x);
/* The same as a pool task (registered by name, so spawned workers find
 * it): arg a long x in 0..300, result an mp_digits; -EDOM outside. */
int mp_factorial_task(const void *arg, void *result);

/* Split [lo, hi) into `parts` contiguous pieces whose sizes differ by at most
 * one; piece i is [*plo, *phi). */
void mp_split_range(uint64_t lo, uint64_t hi, int parts, int i, uint64_t *plo, uint64_t *phi);

#endif
