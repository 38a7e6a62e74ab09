#include "thread.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static atomic_int thread_counter;

void mp_thread_init(mp_thread *t, const char *name, mp_thread_fn fn, void *arg)
{
    memset(t, 0, sizeof *t);
    if (name)
        snprintf(t->name, sizeof t->name, "%s", name);
    else
        snprintf(t->name, sizeof t->name, "Thread-%d", atomic_fetch_add(&thread_counter, 1) + 1);
    t->fn = fn;
    t->arg = arg;
}

/* The new thread starts here: name it, then run the function. */
static void *trampoline(void *p)
{
    mp_thread *t = p;
    mp_set_role(t->name);
    return t->fn(t->arg);
}

int mp_thread_start(mp_thread *t)
{
    if (t->started)
        return -EALREADY;
    int rc = pthread_create(&t->handle, NULL, trampoline, t);
    if (rc != 0) {
        mp_syserr("pthread_create", rc);
        return -rc;
    }
    t->started = true;
    return 0;
}

int mp_thread_join(mp_thread *t, void **result)
{
    if (!t->started)
        return -EINVAL;
    if (!t->joined) {
        int rc = pthread_join(t->handle, &t->result);
        if (rc != 0) {
            mp_syserr("pthread_join", rc);
            return -rc;
        }
        t->joined = true;
    }
    if (result)
        *result = t->result;
    return 0;
}

int mp_local_init(mp_local *l, size_t size, void (*init)(void *, void *), void *arg)
{
    l->size = size;
    l->init = init;
    l->arg = arg;
    int rc = pthread_key_create(&l->key, free); /* free each thread's block at its end */
    return -rc;
}

void *mp_local_get(mp_local *l)
{
    void *data = pthread_getspecific(l->key);
    if (data)
        return data;
    data = calloc(1, l->size ? l->size : 1);
    if (!data)
        return NULL;
    if (pthread_setspecific(l->key, data) != 0) {
        free(data);
        return NULL;
    }
    if (l->init)
        l->init(data, l->arg);
    return data;
}

void mp_local_destroy(mp_local *l)
{
    free(pthread_getspecific(l->key)); /* the calling thread's own block */
    pthread_setspecific(l->key, NULL);
    pthread_key_delete(l->key);
}
