#define _GNU_SOURCE /* madvise(MADV_HUGEPAGE): Linux-specific */
#include "work.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sys/mman.h>

#include "clock.h"
#include "pool.h"

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
    /* Trial division up to sqrt(n), for the primes among [0, N) (about
     * N / ln N of them), makes counting cost ~N^1.5 / ln N: time a small
     * run, then solve N^1.5 / ln N = scale * probe^1.5 / ln probe for N by
     * a few fixed-point steps (the log changes slowly). */
    uint64_t probe = 200000;
    uint64_t t0 = mp_now_ns();
    volatile uint64_t sink = mp_count_primes(0, probe);
    (void)sink;
    double took = mp_ns_to_s(mp_now_ns() - t0);
    if (took <= 0)
        took = 1e-6;
    double scale = seconds / took, p = (double)probe, bound = p;
    for (int i = 0; i < 4; i++)
        bound = p * pow(scale * log(bound) / log(p), 1.0 / 1.5);
    if (bound < 1000)
        bound = 1000;
    return (uint64_t)bound;
}

/* An array of `bytes`, mapped rather than malloc'd so that it can ask for
 * huge pages: 2 MiB pages make 512 times fewer page faults when the arrays
 * are first touched, and fewer TLB misses while streaming. */
static double *map_array(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE); /* a hint: without it, 4 KiB pages */
#endif
    return p;
}

int mp_triad_init(mp_triad *t, size_t bytes_each)
{
    *t = (mp_triad){0};
    size_t n = bytes_each / sizeof(double);
    if (n == 0)
        return -EINVAL;
    t->map_len = n * sizeof(double);
    t->a = map_array(t->map_len);
    t->b = t->a ? map_array(t->map_len) : NULL;
    t->c = t->b ? map_array(t->map_len) : NULL;
    if (!t->c) {
        int e = errno;
        mp_triad_free(t);
        return -e;
    }
    t->n = n;
    for (size_t i = 0; i < n; i++) {
        t->a[i] = 0;
        t->b[i] = (double)(i % 7);
        t->c[i] = (double)(i % 5);
    }
    return 0;
}

void mp_triad_free(mp_triad *t)
{
    double *arrays[] = {t->a, t->b, t->c};
    for (int i = 0; i < 3; i++)
        if (arrays[i])
            munmap(arrays[i], t->map_len);
    *t = (mp_triad){0};
}

void mp_triad_pass(const mp_triad *t, size_t lo, size_t hi, double q)
{
    if (hi > t->n)
        hi = t->n;
    double *restrict a = t->a;
    const double *restrict b = t->b, *restrict c = t->c;
    for (size_t i = lo; i < hi; i++)
        a[i] = b[i] + q * c[i];
}

bool mp_triad_check(const mp_triad *t, double q)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->a[i] != t->b[i] + q * t->c[i])
            return false;
    return true;
}

void mp_io_wait(int count, int ms)
{
    for (int i = 0; i < count; i++)
        mp_sleep_ns((uint64_t)ms * 1000000u);
}

uint64_t mp_spin(uint64_t steps, uint64_t seed)
{
    uint64_t x = seed | 1; /* xorshift's only fixed point is 0 */
    for (uint64_t i = 0; i < steps; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

static double spin_steps_per_ns;
static pthread_once_t spin_once = PTHREAD_ONCE_INIT;

static void spin_calibrate(void)
{
    const uint64_t probe = 1u << 20; /* about a millisecond */
    uint64_t best = UINT64_MAX;
    volatile uint64_t sink = 0;
    for (int i = 0; i < 7; i++) {
        uint64_t t0 = mp_now_ns();
        sink += mp_spin(probe, (uint64_t)i);
        uint64_t took = mp_now_ns() - t0;
        if (took > 0 && took < best)
            best = took;
    }
    (void)sink;
    spin_steps_per_ns = best == UINT64_MAX ? 1.0 : (double)probe / (double)best;
}

uint64_t mp_spin_steps_for_ns(double ns)
{
    pthread_once(&spin_once, spin_calibrate);
    double steps = ns * spin_steps_per_ns;
    return steps < 1 ? 1 : (uint64_t)(steps + 0.5);
}

#define LIMB 1000000000u
#define LIMBS 80 /* 300! < 10^615: 69 limbs */

mp_digits mp_factorial_digits(unsigned x)
{
    mp_digits r = {0, 0};
    if (x > 300)
        return r;
    uint32_t limb[LIMBS] = {1};
    int used = 1;
    for (unsigned k = 2; k <= x; k++) {
        uint64_t carry = 0;
        for (int i = 0; i < used; i++) {
            uint64_t v = (uint64_t)limb[i] * k + carry;
            limb[i] = (uint32_t)(v % LIMB);
            carry = v / LIMB;
        }
        while (carry && used < LIMBS) {
            limb[used++] = (uint32_t)(carry % LIMB);
            carry /= LIMB;
        }
    }
    /* every limb but the top one has exactly 9 digits (leading zeros count) */
    for (int i = 0; i < used; i++)
        for (uint32_t v = limb[i], d = 0; d < 9 && (i < used - 1 || v); d++, v /= 10) {
            r.digit_sum += (int)(v % 10);
            r.digits++;
        }
    return r;
}

int mp_factorial_task(const void *arg, void *result)
{
    long x = *(const long *)arg;
    if (x < 0 || x > 300)
        return -EDOM;
    *(mp_digits *)result = mp_factorial_digits((unsigned)x);
    return 0;
}
MP_TASK(mp_factorial_task)

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
