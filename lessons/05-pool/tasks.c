/* Lesson 05: the task functions the pools run.
 *
 * Each is registered with MP_TASK: a spawn or forkserver worker is a fresh
 * run of this program and finds its task by name (Python pickles a
 * function by its name too, which is why a Pool cannot run a lambda). Under
 * fork and in a thread pool the registration is not needed, but costs
 * nothing. Arguments and results are plain structs: bytes, no pointers. */
#include "lesson05.h"

/* ---- T0: func2((x, y)) ---- */
int t0_task(const void *arg, void *result)
{
    const t0_args *a = arg;
    mp_sleep_ns((uint64_t)a->sleep_ms * 1000000);
    *(long *)result = a->x - a->y;
    return 0;
}
MP_TASK(t0_task)

/* ---- part 3 ---- */
int square_task(const void *arg, void *result)
{
    long x = *(const long *)arg;
    *(long *)result = x * x;
    return 0;
}
MP_TASK(square_task)

int multiply_task(const void *arg, void *result)
{
    const pair *p = arg;
    *(long *)result = p->a * p->b;
    return 0;
}
MP_TASK(multiply_task)

int nap_task(const void *arg, void *result)
{
    long ms = *(const long *)arg;
    if (ms < 0)
        return -EDOM; /* the error_callback's case */
    mp_sleep_ns((uint64_t)ms * 1000000);
    *(long *)result = ms;
    return 0;
}
MP_TASK(nap_task)

/* ---- part 4: T2's "clean one Excel file" ----
 * Row r of file f holds 16 numbers made by xorshift from (seed, f, r);
 * the row is kept when their sum is even (half the rows, "cleaned"). */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

int clean_file_task(const void *arg, void *result)
{
    const file_args *a = arg;
    file_result r = {0, 0};
    for (long row = 0; row < a->rows; row++) {
        uint64_t s = mix(a->seed * 0x9e3779b97f4a7c15ull + (uint64_t)a->file * 1000003u + (uint64_t)row), sum = 0;
        for (int k = 0; k < 16; k++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            sum += s & 0xffff;
        }
        if (!(sum & 1)) {
            r.kept++;
            r.checksum = r.checksum * 31 + sum;
        }
    }
    *(file_result *)result = r;
    return 0;
}
MP_TASK(clean_file_task)

/* ---- part 5 ---- */
int slow_task(const void *arg, void *result)
{
    const slow_args *a = arg;
    mp_sleep_ns((uint64_t)a->ms * 1000000);
    *(long *)result = 3 * a->x + 1;
    return 0;
}
MP_TASK(slow_task)

/* ---- part 6 ---- */
int primes_task(const void *arg, void *result)
{
    const range *r = arg;
    *(uint64_t *)result = mp_count_primes(r->lo, r->hi);
    return 0;
}
MP_TASK(primes_task)

int io_task(const void *arg, void *result)
{
    long ms = *(const long *)arg;
    mp_io_wait(1, (int)ms);
    *(long *)result = ms;
    return 0;
}
MP_TASK(io_task)

/* Per worker: a process's globals, or a thread's (_Thread_local), so the
 * same code counts per worker in both kinds of pool. */
static _Thread_local long inits, tasks_here;

void greet_worker(const void *initargs, size_t len)
{
    inits++;
    mp_say("initializer: this worker is ready (initargs \"%.*s\")", (int)len, (const char *)initargs);
}
MP_TASK(greet_worker)

int whoami_task(const void *arg, void *result)
{
    long ms = *(const long *)arg;
    if (ms > 0)
        mp_sleep_ns((uint64_t)ms * 1000000);
    tasks_here++;
    *(whoami *)result = (whoami){(long)getpid(), inits, tasks_here};
    return 0;
}
MP_TASK(whoami_task)

/* ---- part 7: a task so small that moving its 16 bytes is most of its cost ---- */
int twice_plus_one_task(const void *arg, void *result)
{
    *(long *)result = 2 * *(const long *)arg + 1;
    return 0;
}
MP_TASK(twice_plus_one_task)
