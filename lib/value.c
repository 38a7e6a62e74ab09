/* value: typed shared values and arrays with their lock (value.h). */
#include "value.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#define VALUE_MAGIC 0x6d7076616c756531ull /* "mpvalue1" */

/* The segment: this header, then the elements at a 64-byte boundary. */
typedef struct value_head {
    uint64_t magic;
    uint64_t size, n;
    uint64_t has_lock;
    mp_lock lock;
} value_head;

static size_t data_off(void) { return (sizeof(value_head) + 63) & ~(size_t)63; }

static void point(mp_value *v)
{
    value_head *h = v->seg.p;
    v->size = h->size;
    v->n = h->n;
    v->data = (char *)v->seg.p + data_off();
    v->lock = h->has_lock ? &h->lock : NULL;
}

int mp_value_create(mp_value *v, size_t size, size_t n, const void *init, bool lock)
{
    *v = (mp_value){.seg = {.fd = -1}};
    if (size == 0 || n == 0 || n > (SIZE_MAX - data_off()) / size)
        return -EINVAL;
    int rc = mp_shm_create(&v->seg, "mpkit-value", data_off() + size * n);
    if (rc != 0)
        return rc;
    value_head *h = v->seg.p;
    *h = (value_head){.magic = VALUE_MAGIC, .size = size, .n = n, .has_lock = lock};
    if (lock && (rc = mp_lock_init(&h->lock, MP_RLOCK, NULL)) != 0) {
        mp_shm_close(&v->seg);
        return rc;
    }
    point(v);
    if (init)
        memcpy(v->data, init, size * n);
    return 0;
}

int mp_value_attach(mp_value *v, int fd)
{
    *v = (mp_value){.seg = {.fd = -1}};
    int rc = mp_shm_attach(&v->seg, fd);
    if (rc != 0)
        return rc;
    const value_head *h = v->seg.p;
    if (v->seg.bytes < data_off() || h->magic != VALUE_MAGIC || h->size == 0 ||
        h->n > (v->seg.bytes - data_off()) / h->size) {
        mp_shm_close(&v->seg);
        return -EINVAL;
    }
    point(v);
    return 0;
}

int mp_value_fd(const mp_value *v) { return v->seg.fd; }
void *mp_value_ptr(mp_value *v) { return v->data; }
mp_lock *mp_value_lock(mp_value *v) { return v->lock; }
size_t mp_value_len(const mp_value *v) { return v->n; }

/* Copy under the lock; a lock whose last owner died is taken all the same
 * (the element is copied whole either way). */
static int copy_locked(mp_value *v, void *dst, const void *src)
{
    int rc = v->lock ? mp_lock_acquire(v->lock, -1) : 0;
    if (rc != 0 && rc != -EOWNERDEAD)
        return rc;
    memcpy(dst, src, v->size);
    if (v->lock)
        mp_lock_release(v->lock);
    return 0;
}

int mp_value_get(mp_value *v, size_t i, void *out)
{
    if (i >= v->n)
        return -ERANGE;
    return copy_locked(v, out, (char *)v->data + i * v->size);
}

int mp_value_set(mp_value *v, size_t i, const void *in)
{
    if (i >= v->n)
        return -ERANGE;
    return copy_locked(v, (char *)v->data + i * v->size, in);
}

void mp_value_close(mp_value *v)
{
    mp_shm_close(&v->seg);
    v->data = NULL;
    v->lock = NULL;
}
