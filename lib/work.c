#include "work.h"

#include <math.h>

#include "clock.h"

bool mp_is_prime(uint64_t n)
{
    if (n < 2)
        return false;
    if (n % 2 == 0)
        return n == 2;
    for (uint64_t d = 3; d * d <= n; d += 2)
        if (n % d == 0)
            return false;
    return true;
}

uint64_t mp_count_primes(uint64_t lo, uint64_t hi)
{
    uint64_t count = 0;
    for (uint64_t n = lo; n < hi; n++)
        count += mp_is_prime(n);
    return count;
}

uint64_t mp_count_primes_share(uint64_t lo, uint64_t hi, int parts, int i)
{
    uint64_t count = 0;
    uint64_t stride = (uint64_t)parts * MP_PRIME_BLOCK;
    for (uint64_t b = lo + (uint64_t)i * MP_PRIME_BLOCK; b < hi; b += stride)
        count += mp_count_primes(b, b + MP_PRIME_BLOCK < hi ? b + MP_PRIME_BLOCK : hi);
    return count;
}

uint64_t mp_primes_bound_for(double seconds)
{
    /* Trial division up to sqrt(n) makes counting to N cost ~N^1.5 / log N:
     * time a small run, then scale by the 1.5 power (ignoring the log). */
    uint64_t probe = 200000;
    uint64_t t0 = mp_now_ns();
    volatile uint64_t sink = mp_count_primes(0, probe);
    (void)sink;
    double took = mp_ns_to_s(mp_now_ns() - t0);
    if (took <= 0)
        took = 1e-6;
    double scale = seconds / took;
    double bound = (double)probe * pow(scale, 1.0 / 1.5);
    if (bound < 1000)
        bound = 1000;
    return (uint64_t)bound;
}

void mp_io_wait(int count, int ms)
{
    for (int i = 0; i < count; i++)
        mp_sleep_ns((uint64_t)ms * 1000000u);
}

uint64_t mp_factorial(unsigned n)
{
    if (n > 20)
        return 0;
    uint64_t f = 1;
    for (unsigned i = 2; i <= n; i++)
        f *= i;
    return f;
}

void mp_split_range(uint64_t lo, uint64_t hi, int parts, int i, uint64_t *plo, uint64_t *phi)
{
    uint64_t n = hi > lo ? hi - lo : 0;
    uint64_t base = n / (uint64_t)parts, extra = n % (uint64_t)parts;
    uint64_t k = (uint64_t)i;
    /* the first `extra` pieces are one longer */
    *plo = lo + k * base + (k < extra ? k : extra);
    *phi = *plo + base + (k < extra ? 1 : 0);
}
