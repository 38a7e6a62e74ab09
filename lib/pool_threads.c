/* pool_threads: the thread backend (multiprocessing.pool.ThreadPool).
 *
 * Every worker thread runs the same loop: find the oldest job with chunks
 * left, then claim its chunks one by one with an atomic add on the job's
 * next-chunk counter until none is left. Claiming costs no lock and no
 * system call, so a chunk of one empty task costs about what OpenMP's
 * schedule(dynamic,1) pays (bench_pool); the lock is taken only to find a
 * job, to record a failure, and when a job is finished.
 */
#define _GNU_SOURCE /* gettid() */
#include "pool_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock.h"
#include "report.h"
#include "trace.h"

typedef struct thread_start {
    mp_pool *pool;
    int slot;
} thread_start;

/* The oldest job with a chunk nobody claimed yet (lock held). */
static mp_async *claimable_job(mp_pool *p)
{
    for (mp_async *j = p->jobs; j; j = j->next)
        if (!j->ready && atomic_load_explicit(&j->next_chunk, memory_order_relaxed) < j->nchunks)
            return j;
    return NULL;
}

static void run_chunk(mp_pool *p, mp_async *j, size_t c, int slot, pid_t pid, pid_t tid, size_t *done)
{
    size_t first = job_chunk_first(j, c), count = job_chunk_count(j, c);
    bool trace = mp_trace_enabled();
    for (size_t i = first; i < first + count; i++) {
        mp_task_info *in = j->info ? &j->info[i] : NULL;
        if (in)
            in->start_ns = mp_now_ns();
        if (trace) {
            mp_trace_begin("task");
            if (i == first) /* the chunk's arrow from where it was submitted */
                mp_trace_flow(MP_EV_FLOW_END, j->flow_base + c);
        }
        int err = j->fn(j->args + i * j->arg_size, j->results + i * j->result_size);
        if (trace)
            mp_trace_end("task");
        if (err > 0)
            err = -err;
        if (in) {
            in->end_ns = mp_now_ns();
            in->worker = slot;
            in->pid = pid;
            in->tid = tid;
            in->err = err;
        }
        if (err) {
            pthread_mutex_lock(&p->lock);
            job_fail_task_locked(j, i, err, pid, 0);
            pthread_mutex_unlock(&p->lock);
        }
    }
    if (j->kind == JOB_IMAP || j->kind == JOB_IMAP_UNORDERED)
        job_chunk_finished(j, c, count); /* an iterator hands out each chunk as it is done */
    else
        *done += count; /* said once, when this worker leaves the job */
}

static void *worker(void *arg);

/* Start the thread of one slot (lock held, or before any worker runs). */
static int start_slot(mp_pool *p, int slot)
{
    thread_start *ts = malloc(sizeof *ts);
    mp_thread *t = malloc(sizeof *t);
    if (!ts || !t) {
        free(ts);
        free(t);
        return -ENOMEM;
    }
    ts->pool = p;
    ts->slot = slot;
    char name[32];
    snprintf(name, sizeof name, "pool-thread-%d", slot + 1);
    mp_thread_init(t, name, worker, ts);
    int rc = mp_thread_start(t);
    if (rc != 0) {
        free(ts);
        free(t);
        return rc;
    }
    p->threads[slot] = t;
    p->started++;
    p->threads_live++; /* here, not in the thread: no moment when a started thread is not counted */
    return 0;
}

static void *worker(void *arg)
{
    thread_start ts = *(thread_start *)arg;
    free(arg);
    mp_pool *p = ts.pool;
    pool_own_thread = p;
    pid_t pid = getpid(), tid = gettid();
    if (p->init)
        p->init(p->initargs, p->initargs_len);
    pthread_mutex_lock(&p->lock);
    p->tids[ts.slot] = tid;
    pthread_cond_broadcast(&p->created);
    int chunks = 0;
    for (;;) {
        mp_async *j = NULL;
        while (!p->terminating && !(j = claimable_job(p)) && !p->closed)
            pthread_cond_wait(&p->work, &p->lock);
        if (!j)
            break; /* terminated, or closed with nothing left to claim */
        j->refs++;
        pthread_mutex_unlock(&p->lock);
        bool retire = false;
        size_t done = 0;
        while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
            size_t c = atomic_fetch_add_explicit(&j->next_chunk, 1, memory_order_relaxed);
            if (c >= j->nchunks)
                break;
            run_chunk(p, j, c, ts.slot, pid, tid, &done);
            if (p->maxtasks && ++chunks >= p->maxtasks) {
                retire = true;
                break;
            }
        }
        job_tasks_finished(j, done); /* the last to finish finishes the job */
        pthread_mutex_lock(&p->lock);
        j->refs--;
        job_maybe_free_locked(j);
        if (retire && !p->terminating) {
            /* maxtasksperchild: a fresh thread takes this slot; this one is
             * joined when the pool is */
            if (p->nretired == p->retired_cap) {
                int cap = p->retired_cap ? 2 * p->retired_cap : 8;
                mp_thread **r = realloc(p->retired, (size_t)cap * sizeof *r);
                if (!r)
                    continue; /* no room to retire: keep working */
                p->retired = r;
                p->retired_cap = cap;
            }
            mp_thread *me = p->threads[ts.slot];
            if (start_slot(p, ts.slot) != 0)
                continue; /* could not replace it: keep working */
            p->retired[p->nretired++] = me;
            p->threads_live--; /* (its replacement counts already: never the last) */
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
    }
    p->tids[ts.slot] = 0;
    /* After a terminate that a callback asked for (in one of these
     * threads, which cannot wait for the others), the last thread out
     * fails what is unfinished: no thread is in a job any more. */
    bool last = --p->threads_live == 0 && p->terminating;
    pthread_mutex_unlock(&p->lock);
    if (last)
        pool_fail_unfinished(p);
    return NULL;
}

int pool_threads_create(mp_pool *p)
{
    pthread_mutex_lock(&p->lock);
    for (int i = 0; i < p->size; i++) {
        int rc = start_slot(p, i);
        if (rc != 0) {
            p->terminating = true;
            pthread_mutex_unlock(&p->lock);
            pool_threads_terminate(p);
            return rc;
        }
    }
    /* running when create returns: each has said who it is */
    for (int i = 0; i < p->size; i++)
        while (p->tids[i] == 0)
            pthread_cond_wait(&p->created, &p->lock);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

void pool_threads_wake(mp_pool *p)
{
    pthread_mutex_lock(&p->lock);
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
}

/* Join every thread, replacements included: a retiring thread starts its
 * replacement before it goes into the retired list, so once the slots'
 * threads and the retired ones are joined, none is left. */
void pool_threads_join(mp_pool *p)
{
    pool_threads_wake(p);
    int joined_retired = 0;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        mp_thread *t = NULL;
        int slot = -1;
        if (joined_retired < p->nretired)
            t = p->retired[joined_retired++];
        else
            for (int i = 0; i < p->size && !t; i++)
                if (p->threads[i] && !p->threads[i]->joined)
                    t = p->threads[i], slot = i;
        pthread_mutex_unlock(&p->lock);
        if (!t)
            break;
        mp_thread_join(t, NULL);
        (void)slot;
    }
}

void pool_threads_terminate(mp_pool *p)
{
    atomic_store(&p->stop, true);
    pool_threads_join(p);
    pool_fail_unfinished(p);
}
