/* Lesson 06: the task functions the pools run, each registered with
 * MP_TASK so that a spawned worker (a fresh run of this program) finds it
 * by name. Arguments and results are plain bytes. */
#include <errno.h>
#include <unistd.h>

#include "lesson06.h"

int spin_task(const void *arg, void *result)
{
    const spin_arg *a = arg;
    *(uint64_t *)result = mp_spin(a->steps, a->seed);
    return 0;
}
MP_TASK(spin_task)

/* Every byte of the payload is read, as unpickling would, 8 at a time (a
 * pass over memory, not a second computation to weigh). */
static uint64_t checksum(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603u, v;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&v, p + i, 8);
        h = (h ^ v) * 1099511628211u;
    }
    for (; i < n; i++)
        h = (h ^ p[i]) * 1099511628211u;
    return h;
}

uint64_t data_expected(const unsigned char *arg)
{
    data_head h;
    memcpy(&h, arg, sizeof h);
    return mp_spin(h.steps, h.seed ^ checksum(arg + sizeof h, h.bytes));
}

int data_task(const void *arg, void *result)
{
    const unsigned char *in = arg;
    data_head h;
    memcpy(&h, in, sizeof h);
    uint64_t r = data_expected(in);
    unsigned char *out = result;
    memcpy(out, &r, sizeof r);
    /* a result as big as the argument, every byte written */
    memcpy(out + sizeof r, in + sizeof h, h.bytes);
    return 0;
}
MP_TASK(data_task)

int wait_task(const void *arg, void *result)
{
    mp_sleep_ns((uint64_t)*(const long *)arg * 1000000);
    *(long *)result = (long)getpid();
    return 0;
}
MP_TASK(wait_task)
