/* pool: the API and the jobs; the backends are pool_threads.c and
 * pool_procs.c (pool_impl.h says who does what). */
#include "pool_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cpus.h"
#include "report.h"
#include "trace.h"

/* ---- functions by name ---- */

static struct {
    const char *name;
    void (*fn)(void);
} tasks[MP_TASKS_MAX];
static int ntasks; /* filled by constructors, before main(): no lock needed */

int mp_task_register(const char *name, void (*fn)(void))
{
    if (ntasks >= MP_TASKS_MAX)
        return -ENOSPC;
    tasks[ntasks].name = name;
    tasks[ntasks].fn = fn;
    ntasks++;
    return 0;
}

const char *mp_task_name(void (*fn)(void))
{
    for (int i = 0; i < ntasks; i++)
        if (tasks[i].fn == fn)
            return tasks[i].name;
    return NULL;
}

void (*mp_task_find(const char *name))(void)
{
    for (int i = 0; i < ntasks; i++)
        if (strcmp(tasks[i].name, name) == 0)
            return tasks[i].fn;
    return NULL;
}

/* ---- small pure helpers ---- */

const char *mp_pool_backend_name(int backend, int start)
{
    if (backend == MP_POOL_THREADS)
        return "thread";
    if (start < 0)
        start = mp_get_start_method();
    static const char *const names[] = {"process-fork", "process-spawn", "process-forkserver"};
    return start <= 2 ? names[start] : "process";
}

size_t mp_pool_chunksize(size_t n, int workers)
{
    if (workers < 1)
        workers = 1;
    size_t per = (size_t)workers * 4;
    size_t cs = n / per;
    if (n % per)
        cs++;
    return cs;
}

void mp_task_error_text(const mp_task_error *e, char *buf, size_t len)
{
    if (e->err == 0)
        snprintf(buf, len, "no error");
    else if (e->err == MP_POOL_WORKER_DIED && e->exitcode < 0)
        snprintf(buf, len, "task %zu: worker %d was killed by signal %d (%s)", e->item, (int)e->pid, -e->exitcode,
                 strsignal(-e->exitcode));
    else if (e->err == MP_POOL_WORKER_DIED)
        snprintf(buf, len, "task %zu: worker %d exited with status %d", e->item, (int)e->pid, e->exitcode);
    else if (e->err == MP_POOL_TERMINATED)
        snprintf(buf, len, "task %zu: the pool was terminated", e->item);
    else
        snprintf(buf, len, "task %zu failed in worker %d: %s (%d)", e->item, (int)e->pid, strerror(-e->err), e->err);
}

mp_pool_opts mp_pool_defaults(int backend)
{
    mp_pool_opts o = {.backend = backend, .start = -1};
    return o;
}

/* ---- the pool ---- */

int mp_pool_create(mp_pool **pool, const mp_pool_opts *opts)
{
    *pool = NULL;
    mp_pool_opts o = opts ? *opts : mp_pool_defaults(MP_POOL_THREADS);
    if (o.workers < 0 || o.workers > MP_POOL_WORKERS_MAX || o.maxtasksperchild < 0 ||
        (o.backend != MP_POOL_THREADS && o.backend != MP_POOL_PROCESSES) || (o.initargs_len && !o.initargs))
        return -EINVAL;
    mp_pool *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->backend = o.backend;
    p->owner = getpid();
    p->start = o.start < 0 ? mp_get_start_method() : o.start;
    p->size = o.workers ? o.workers : mp_cpus_usable();
    if (p->size > MP_POOL_WORKERS_MAX)
        p->size = MP_POOL_WORKERS_MAX;
    p->maxtasks = o.maxtasksperchild;
    p->shared_bytes = o.shared_bytes;
    p->init = o.initializer;
    p->wake_fd = -1;
    p->started_shm.fd = -1;
    p->arena.fd = -1;
    if (o.initargs_len) {
        p->initargs = malloc(o.initargs_len);
        if (!p->initargs) {
            free(p);
            return -ENOMEM;
        }
        memcpy(p->initargs, o.initargs, o.initargs_len);
        p->initargs_len = o.initargs_len;
    }
    if (p->backend == MP_POOL_PROCESSES && p->start != MP_START_FORK && p->init &&
        !mp_task_name((void (*)(void))p->init)) {
        mp_error("pool: the initializer must be registered with MP_TASK() to run in %s workers",
                 mp_start_names[p->start]);
        free(p->initargs);
        free(p);
        return -ENOENT;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->work, &ca);
    pthread_cond_init(&p->created, &ca);
    pthread_condattr_destroy(&ca);
    int rc = 0;
    if (p->backend == MP_POOL_THREADS && p->shared_bytes && !(p->shared = calloc(1, p->shared_bytes)))
        rc = -ENOMEM;
    if (rc == 0)
        rc = p->backend == MP_POOL_THREADS ? pool_threads_create(p) : pool_procs_create(p);
    if (rc != 0) {
        if (p->backend == MP_POOL_THREADS)
            free(p->shared);
        pthread_cond_destroy(&p->work);
        pthread_cond_destroy(&p->created);
        pthread_mutex_destroy(&p->lock);
        free(p->initargs);
        free(p);
        return rc;
    }
    *pool = p;
    return 0;
}

int mp_pool_size(const mp_pool *pool) { return pool->size; }

void *mp_pool_shared(mp_pool *pool, size_t *bytes)
{
    if (bytes)
        *bytes = pool->shared ? pool->shared_bytes : 0;
    return pool->shared;
}

int mp_pool_workers(mp_pool *p, pid_t *ids, int max)
{
    int n = 0;
    pthread_mutex_lock(&p->lock);
    for (int i = 0; i < p->size && n < max; i++) {
        if (p->tids[i] > 0)
            ids[n++] = p->tids[i];
    }
    pthread_mutex_unlock(&p->lock);
    return n;
}

int mp_pool_started(mp_pool *p)
{
    pthread_mutex_lock(&p->lock);
    int n = p->started;
    pthread_mutex_unlock(&p->lock);
    return n;
}

static void wake(mp_pool *p)
{
    if (p->backend == MP_POOL_THREADS)
        pool_threads_wake(p);
    else
        pool_procs_wake(p);
}

void mp_pool_close(mp_pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->closed = true;
    pthread_mutex_unlock(&p->lock);
    wake(p);
}

/* A forked child has a copy of its parent's pool, without the threads:
 * its workers and its manager are the parent's. */
static bool foreign(const mp_pool *p) { return p->owner != getpid(); }

_Thread_local mp_pool *pool_own_thread;

/* A callback (or anything else running in one of p's own threads) wants
 * to wait for p: it would wait for itself. */
static bool waits_for_itself(const mp_pool *p, const char *call)
{
    if (pool_own_thread != p || foreign(p)) /* (a fork worker inherits its manager's word) */
        return false;
    mp_error("pool: %s in a callback of the same pool would wait for the pool's own thread: %s", call,
             strerror(EDEADLK));
    return true;
}

void mp_pool_terminate(mp_pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->terminating = true;
    p->closed = true;
    if (foreign(p)) {
        p->joined = true; /* nothing here to stop or wait for */
        pthread_mutex_unlock(&p->lock);
        return;
    }
    if (pool_own_thread == p) {
        /* From a callback: this thread is one the stop waits for. Ask, and
         * return: once the callback returns, the manager stops the workers
         * and fails the unfinished jobs (threads: each stops after its
         * chunk, and the last one out fails them); join or free, from
         * another thread, waits for all of it (as Python's terminate skips
         * joining the thread it runs in). */
        atomic_store(&p->stop, true);
        pthread_mutex_unlock(&p->lock);
        wake(p);
        return;
    }
    bool again = p->stopping || p->joined;
    p->stopping = true;
    pthread_mutex_unlock(&p->lock);
    if (again)
        return;
    if (p->backend == MP_POOL_THREADS)
        pool_threads_terminate(p);
    else
        pool_procs_stop(p); /* the manager kills the workers and fails the jobs */
    pthread_mutex_lock(&p->lock);
    p->joined = true;
    pthread_mutex_unlock(&p->lock);
}

int mp_pool_join(mp_pool *p)
{
    pthread_mutex_lock(&p->lock);
    bool closed = p->closed, joined = p->joined;
    pthread_mutex_unlock(&p->lock);
    if (!closed)
        return -EINVAL;
    if (joined || foreign(p))
        return 0;
    if (waits_for_itself(p, "join"))
        return -EDEADLK;
    if (p->backend == MP_POOL_THREADS)
        pool_threads_join(p);
    else
        pool_procs_stop(p);
    pthread_mutex_lock(&p->lock);
    p->joined = true;
    pthread_mutex_unlock(&p->lock);
    return 0;
}

static void job_free(mp_async *j);

void mp_pool_free(mp_pool *p)
{
    if (!p)
        return;
    if (waits_for_itself(p, "free")) /* nothing freed: the pool is running this very code */
        return;
    pthread_mutex_lock(&p->lock);
    bool joined = p->joined;
    pthread_mutex_unlock(&p->lock);
    if (foreign(p)) { /* a forked child's copy: its memory and descriptors only */
        if (p->backend == MP_POOL_PROCESSES)
            pool_procs_forget(p);
    } else if (!joined) {
        mp_pool_terminate(p);
    }
    for (mp_async *j = p->jobs, *next; j; j = next) {
        next = j->next;
        job_free(j);
    }
    for (int i = 0; i < p->nretired; i++)
        free(p->retired[i]);
    free(p->retired);
    for (int i = 0; i < p->size; i++)
        free(p->threads[i]);
    if (p->backend == MP_POOL_THREADS)
        free(p->shared); /* (a process pool's is in its arena) */
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->created);
    pthread_mutex_destroy(&p->lock);
    free(p->initargs);
    free(p);
}

/* ---- jobs ---- */

size_t job_chunk_first(const mp_async *j, size_t c) { return c * j->chunksize; }
size_t job_chunk_count(const mp_async *j, size_t c)
{
    size_t first = c * j->chunksize;
    return j->n - first < j->chunksize ? j->n - first : j->chunksize;
}

static void job_free(mp_async *j)
{
    if (j->progress_on)
        mp_progress_finish(&j->progress);
    pthread_cond_destroy(&j->cond);
    free(j->args_copy);
    free(j->results_own);
    free(j->requeued);
    free(j->errs);
    free(j->chunk_done);
    free(j->order);
    free(j);
}

void job_maybe_free_locked(mp_async *j)
{
    if (!j->user_freed || !j->ready || j->refs > 0)
        return;
    mp_pool *p = j->pool;
    mp_async **pp = &p->jobs, *prev = NULL;
    while (*pp && *pp != j) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (*pp) {
        *pp = j->next;
        if (p->jobs_tail == j)
            p->jobs_tail = prev;
    }
    job_free(j);
}

void job_fail_task_locked(mp_async *j, size_t item, int err, pid_t pid, int exitcode)
{
    if (j->error.failed == 0 || item < j->error.item) {
        j->error.err = err;
        j->error.item = item;
        j->error.pid = pid;
        j->error.exitcode = exitcode;
    }
    j->error.failed++;
    if (j->errs)
        j->errs[item] = err;
}

/* Every task is done: callbacks first, then ready (as Python's _set does),
 * so that a handle freed as soon as it is ready is not in use any more. */
static void job_finish(mp_async *j)
{
    mp_pool *p = j->pool;
    pthread_mutex_lock(&p->lock);
    mp_task_error e = j->error;
    pthread_mutex_unlock(&p->lock);
    if (e.err == 0 && j->callback)
        j->callback(j->results, j->n, j->ctx);
    else if (e.err != 0 && j->error_callback)
        j->error_callback(&e, j->ctx);
    pthread_mutex_lock(&p->lock);
    j->ready = true;
    pthread_cond_broadcast(&j->cond);
    job_maybe_free_locked(j);
    pthread_mutex_unlock(&p->lock);
}

void job_chunk_finished(mp_async *j, size_t c, size_t count)
{
    if (j->kind == JOB_IMAP || j->kind == JOB_IMAP_UNORDERED) {
        pthread_mutex_lock(&j->pool->lock);
        j->chunk_done[c] = 1;
        j->order[j->norder++] = c;
        pthread_cond_broadcast(&j->cond);
        pthread_mutex_unlock(&j->pool->lock);
    }
    job_tasks_finished(j, count);
}

void job_tasks_finished(mp_async *j, size_t count)
{
    if (count && atomic_fetch_add(&j->tasks_done, count) + count == j->n)
        job_finish(j);
}

void pool_fail_unfinished(mp_pool *p)
{
    pthread_mutex_lock(&p->lock);
    for (mp_async *j = p->jobs; j; j = j->next) {
        if (j->ready)
            continue;
        j->terminated = true;
        if (j->error.err == 0) {
            j->error.err = MP_POOL_TERMINATED;
            j->error.item = atomic_load(&j->tasks_done) < j->n ? atomic_load(&j->tasks_done) : 0;
        }
        for (size_t i = 0; j->info && i < j->n; i++)
            if (j->info[i].end_ns == 0 && j->info[i].err == 0)
                j->info[i].err = MP_POOL_TERMINATED;
        /* an iterator hands out the chunks never done as terminated */
        for (size_t c = 0; j->chunk_done && c < j->nchunks; c++) {
            if (j->chunk_done[c])
                continue;
            for (size_t i = job_chunk_first(j, c); i < job_chunk_first(j, c) + job_chunk_count(j, c); i++)
                j->errs[i] = MP_POOL_TERMINATED;
            j->chunk_done[c] = 1;
            j->order[j->norder++] = c;
        }
        j->ready = true;
        pthread_cond_broadcast(&j->cond);
    }
    for (mp_async *j = p->jobs, *next; j; j = next) {
        next = j->next;
        job_maybe_free_locked(j);
    }
    pthread_mutex_unlock(&p->lock);
}

/* A new job, queued. args are copied unless borrow (a blocking map). */
static int submit(mp_pool *p, job_kind kind, mp_task_fn fn, const void *args, size_t n, size_t arg_size,
                  void *results, size_t result_size, const mp_call_opts *o, mp_async **out)
{
    *out = NULL;
    if (!fn || (n && arg_size && !args) || arg_size > MP_POOL_ARG_MAX || result_size > MP_POOL_ARG_MAX)
        return -EINVAL;
    if (foreign(p)) {
        mp_error("pool: this pool belongs to process %d: a forked child has none of its workers, and cannot "
                 "use it (create a pool in the child)", (int)p->owner);
        return -ECHILD;
    }
    const char *name = NULL;
    if (p->backend == MP_POOL_PROCESSES && p->start != MP_START_FORK) {
        name = mp_task_name((void (*)(void))fn);
        if (!name) {
            mp_error("pool: a task function must be registered with MP_TASK() to run in %s workers",
                     mp_start_names[p->start]);
            return -ENOENT;
        }
    }
    /* 64-aligned, for the counters' cache lines (pool_impl.h) */
    mp_async *j = aligned_alloc(64, (sizeof *j + 63) / 64 * 64);
    if (!j)
        return -ENOMEM;
    memset(j, 0, sizeof *j);
    j->pool = p;
    j->kind = kind;
    j->fn = fn;
    j->fn_name = name;
    j->n = n;
    j->arg_size = arg_size;
    j->result_size = result_size;
    size_t cs = o && o->chunksize ? o->chunksize : kind == JOB_MAP ? mp_pool_chunksize(n, p->size) : 1;
    /* no bigger than the job (n + chunksize - 1 must not wrap: no chunks,
     * never ready), nor than a chunk's count on the wire (32 bits) */
    if (cs > n)
        cs = n;
    if (cs > UINT32_MAX)
        cs = UINT32_MAX;
    j->chunksize = cs ? cs : 1;
    j->nchunks = (n + j->chunksize - 1) / j->chunksize;
    j->info = o ? o->info : NULL;
    if (o) {
        j->callback = o->callback;
        j->error_callback = o->error_callback;
        j->ctx = o->ctx;
    }
    bool borrow = results != NULL;
    int rc = -ENOMEM;
    if (borrow) {
        j->args = args;
        j->results = results;
    } else {
        if (n > 0 && arg_size > 0) {
            if (!(j->args_copy = malloc(n * arg_size)))
                goto fail;
            memcpy(j->args_copy, args, n * arg_size);
        }
        if (!(j->results_own = calloc(n ? n : 1, result_size ? result_size : 1)))
            goto fail;
        j->args = j->args_copy;
        j->results = j->results_own;
    }
    if (!j->args)
        j->args = (const unsigned char *)""; /* arguments of 0 bytes: still a valid pointer */
    if (kind == JOB_IMAP || kind == JOB_IMAP_UNORDERED) {
        j->errs = calloc(n ? n : 1, sizeof *j->errs);
        j->chunk_done = calloc(j->nchunks ? j->nchunks : 1, 1);
        j->order = calloc(j->nchunks ? j->nchunks : 1, sizeof *j->order);
        if (!j->errs || !j->chunk_done || !j->order)
            goto fail;
        if (o && o->progress) {
            j->progress_on = true;
            mp_progress_start(&j->progress, o->label, n, STDERR_FILENO);
        }
    }
    if (j->info)
        memset(j->info, 0, n * sizeof *j->info);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->cond, &ca);
    pthread_condattr_destroy(&ca);

    pthread_mutex_lock(&p->lock);
    if (p->closed) {
        pthread_mutex_unlock(&p->lock);
        rc = MP_POOL_CLOSED;
        pthread_cond_destroy(&j->cond);
        goto fail;
    }
    /* flow ids: unique in the whole trace, across pools and processes */
    static atomic_uint_fast64_t flows;
    j->flow_base = ((uint64_t)getpid() << 32) + atomic_fetch_add(&flows, j->nchunks) + 1;
    if (mp_trace_enabled()) { /* before any worker can see the job: arrows go forward in time */
        mp_trace_begin("submit");
        for (size_t c = 0; c < j->nchunks; c++)
            mp_trace_flow(MP_EV_FLOW_START, j->flow_base + c);
        mp_trace_end("submit");
    }
    if (n == 0)
        j->ready = true;
    if (p->jobs_tail)
        p->jobs_tail->next = j;
    else
        p->jobs = j;
    p->jobs_tail = j;
    pthread_mutex_unlock(&p->lock);
    if (n == 0)
        job_finish(j); /* the callbacks of an empty map, at once */
    else
        wake(p);
    *out = j;
    return 0;
fail:
    free(j->args_copy);
    free(j->results_own);
    free(j->errs);
    free(j->chunk_done);
    free(j->order);
    free(j);
    return rc;
}

/* ---- result handles ---- */

/* Wait on the job's cond until pred or the deadline; lock held. */
static int wait_locked(mp_async *j, double timeout_s, bool (*pred)(mp_async *))
{
    struct timespec dl;
    if (timeout_s >= 0) {
        clock_gettime(CLOCK_MONOTONIC, &dl);
        double s = (double)dl.tv_sec + (double)dl.tv_nsec / 1e9 + timeout_s;
        dl.tv_sec = (time_t)s;
        dl.tv_nsec = (long)((s - (double)dl.tv_sec) * 1e9);
    }
    while (!pred(j)) {
        if (timeout_s < 0)
            pthread_cond_wait(&j->cond, &j->pool->lock);
        else if (pthread_cond_timedwait(&j->cond, &j->pool->lock, &dl) == ETIMEDOUT && !pred(j))
            return -ETIMEDOUT;
    }
    return 0;
}

static bool is_ready(mp_async *j) { return j->ready; }

/* A forked child's copy of a job (get, wait, next): the job's workers and
 * manager are the parent's, so nothing here would ever finish it; and the
 * copy of the lock may have been held by one of the parent's threads at the
 * fork. -ECHILD, as for new work on the copied pool. */
static bool inherited(const mp_async *h, const char *call)
{
    if (!foreign(h->pool))
        return false;
    mp_error("pool: %s on a job of process %d's pool: a forked child has none of its workers (%s)", call,
             (int)h->pool->owner, strerror(ECHILD));
    return true;
}

int mp_async_wait(mp_async *h, double timeout_s)
{
    if (inherited(h, "wait"))
        return -ECHILD;
    pthread_mutex_lock(&h->pool->lock);
    int rc = wait_locked(h, timeout_s, is_ready);
    pthread_mutex_unlock(&h->pool->lock);
    return rc;
}

int mp_async_get(mp_async *h, double timeout_s, void *results)
{
    if (inherited(h, "get"))
        return -ECHILD;
    pthread_mutex_lock(&h->pool->lock);
    int rc = wait_locked(h, timeout_s, is_ready);
    if (rc == 0)
        rc = h->error.err;
    pthread_mutex_unlock(&h->pool->lock);
    if (rc != -ETIMEDOUT && results && h->results != results)
        memcpy(results, h->results, h->n * h->result_size);
    return rc;
}

bool mp_async_ready(mp_async *h)
{
    pthread_mutex_lock(&h->pool->lock);
    bool r = h->ready;
    pthread_mutex_unlock(&h->pool->lock);
    return r;
}

int mp_async_successful(mp_async *h)
{
    pthread_mutex_lock(&h->pool->lock);
    int r = !h->ready ? -EAGAIN : h->error.err == 0;
    pthread_mutex_unlock(&h->pool->lock);
    return r;
}

mp_task_error mp_async_error(mp_async *h)
{
    pthread_mutex_lock(&h->pool->lock);
    mp_task_error e = h->error;
    pthread_mutex_unlock(&h->pool->lock);
    return e;
}

void mp_async_free(mp_async *h)
{
    if (!h)
        return;
    mp_pool *p = h->pool; /* h may be gone after the next line */
    pthread_mutex_lock(&p->lock);
    h->user_freed = true;
    job_maybe_free_locked(h);
    pthread_mutex_unlock(&p->lock);
}

/* ---- the calls ---- */

int mp_pool_map_async(mp_pool *pool, mp_task_fn fn, const void *args, size_t n, size_t arg_size,
                      size_t result_size, const mp_call_opts *o, mp_async **h)
{
    return submit(pool, JOB_MAP, fn, args, n, arg_size, NULL, result_size, o, h);
}

int mp_pool_apply_async(mp_pool *pool, mp_task_fn fn, const void *arg, size_t arg_size, size_t result_size,
                        const mp_call_opts *o, mp_async **h)
{
    return submit(pool, JOB_APPLY, fn, arg, 1, arg_size, NULL, result_size, o, h);
}

int mp_pool_map(mp_pool *pool, mp_task_fn fn, const void *args, size_t n, size_t arg_size, void *results,
                size_t result_size, const mp_call_opts *o)
{
    mp_async *h;
    static unsigned char none; /* results of size 0: somewhere to point */
    if (!results && result_size > 0)
        return -EINVAL;
    int rc = submit(pool, JOB_MAP, fn, args, n, arg_size, results ? results : &none, result_size, o, &h);
    if (rc != 0)
        return rc;
    rc = mp_async_get(h, -1, NULL);
    if (o && o->error)
        *o->error = mp_async_error(h);
    mp_async_free(h);
    return rc;
}

int mp_pool_starmap(mp_pool *pool, mp_task_fn fn, const void *arg_structs, size_t n, size_t struct_size,
                    void *results, size_t result_size, const mp_call_opts *o)
{
    /* In C the tuple is a struct: the task function reads its fields. */
    return mp_pool_map(pool, fn, arg_structs, n, struct_size, results, result_size, o);
}

int mp_pool_apply(mp_pool *pool, mp_task_fn fn, const void *arg, size_t arg_size, void *result,
                  size_t result_size)
{
    mp_async *h;
    int rc = mp_pool_apply_async(pool, fn, arg, arg_size, result_size, NULL, &h);
    if (rc != 0)
        return rc;
    rc = mp_async_get(h, -1, result);
    mp_async_free(h);
    return rc;
}

/* ---- imap ---- */

int mp_pool_imap(mp_pool *pool, mp_task_fn fn, const void *args, size_t n, size_t arg_size, size_t result_size,
                 const mp_call_opts *o, mp_imap **it)
{
    return submit(pool, JOB_IMAP, fn, args, n, arg_size, NULL, result_size, o, it);
}

int mp_pool_imap_unordered(mp_pool *pool, mp_task_fn fn, const void *args, size_t n, size_t arg_size,
                           size_t result_size, const mp_call_opts *o, mp_imap **it)
{
    return submit(pool, JOB_IMAP_UNORDERED, fn, args, n, arg_size, NULL, result_size, o, it);
}

/* The chunk holding the next item to hand out, or SIZE_MAX if not done yet. */
static size_t next_chunk_of(mp_async *j)
{
    if (j->kind == JOB_IMAP) {
        size_t c = j->handed / j->chunksize;
        return j->chunk_done[c] ? c : SIZE_MAX;
    }
    return j->handed_chunks < j->norder ? j->order[j->handed_chunks] : SIZE_MAX;
}

static bool next_ready(mp_async *j) { return j->handed >= j->n || next_chunk_of(j) != SIZE_MAX; }

int mp_imap_next(mp_imap *j, double timeout_s, void *result, size_t *item)
{
    if (inherited(j, "next"))
        return -ECHILD;
    pthread_mutex_lock(&j->pool->lock);
    int rc = wait_locked(j, timeout_s, next_ready);
    if (rc == 0 && j->handed >= j->n)
        rc = MP_POOL_END;
    if (rc != 0) {
        pthread_mutex_unlock(&j->pool->lock);
        if (rc == MP_POOL_END && j->progress_on)
            mp_progress_finish(&j->progress);
        return rc;
    }
    size_t c = next_chunk_of(j);
    size_t i = j->kind == JOB_IMAP ? j->handed : job_chunk_first(j, c) + j->handed_in_chunk;
    if (rc == 0)
        rc = j->errs[i];
    if (rc == 0 && result)
        memcpy(result, j->results + i * j->result_size, j->result_size);
    if (item)
        *item = i;
    j->handed++;
    if (j->kind == JOB_IMAP_UNORDERED && ++j->handed_in_chunk == job_chunk_count(j, c)) {
        j->handed_in_chunk = 0;
        j->handed_chunks++;
    }
    size_t handed = j->handed;
    pthread_mutex_unlock(&j->pool->lock);
    if (j->progress_on) {
        mp_progress_update(&j->progress, handed);
        if (handed == j->n)
            mp_progress_finish(&j->progress);
    }
    return rc;
}

void mp_imap_free(mp_imap *it) { mp_async_free(it); }
