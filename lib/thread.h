/* thread: a function running in a thread of this process, and data that each
 * thread has its own copy of.
 *
 * Layer 4 (the Python-shaped primitives).
 *
 * Mirrors threading.Thread (start, join) -- with a return value, which
 * Python's Thread lacks and concurrent.futures adds -- and threading.local.
 * Threads share the whole address space: a global incremented by 4 threads is
 * one variable (lesson 01), where 4 processes each increment their own copy.
 * And unlike CPython's threads, C threads run Python-free: no GIL, so
 * CPU-bound work really runs on several cores at once (lesson 02).
 */
#ifndef MP_THREAD_H
#define MP_THREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

typedef void *(*mp_thread_fn)(void *arg);

typedef struct mp_thread {
    char name[32];   /* "Thread-N" unless given; the thread's report role */
    mp_thread_fn fn;
    void *arg;
    pthread_t handle;
    bool started, joined;
    void *result;    /* what fn returned, once joined */
} mp_thread;

/* name may be NULL. The mp_thread must stay where it is until joined. */
void mp_thread_init(mp_thread *t, const char *name, mp_thread_fn fn, void *arg);
int mp_thread_start(mp_thread *t);               /* 0, -EALREADY, or -errno */
int mp_thread_join(mp_thread *t, void **result); /* 0, -EINVAL if not started, -errno */

/* threading.local: each thread that calls mp_local_get() gets its own block
 * of `size` zeroed bytes, passed once to init (if not NULL) on its first use
 * in that thread -- as a threading.local subclass re-runs __init__ in each
 * thread. Freed when the thread ends. */
typedef struct mp_local {
    pthread_key_t key;
    size_t size;
    void (*init)(void *data, void *arg);
    void *arg;
} mp_local;

int mp_local_init(mp_local *l, size_t size, void (*init)(void *data, void *arg), void *arg);
void *mp_local_get(mp_local *l); /* NULL only when out of memory */
void mp_local_destroy(mp_local *l); /* after every thread using it has ended */

#endif
