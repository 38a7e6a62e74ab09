#define _GNU_SOURCE /* RUSAGE_THREAD: Linux-specific */
#include "gil.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "clock.h"
#include "trace.h"

const char *const mp_gil_mode_names[] = {"none", "old", "new", NULL};

int mp_gil_init(mp_gil *g, mp_gil_mode mode, uint64_t interval_us, uint32_t check_interval)
{
    if (interval_us < 1 || check_interval < 1 || mode < MP_GIL_NONE || mode > MP_GIL_NEW)
        return -EINVAL;
    *g = (mp_gil){.mode = mode, .interval_ns = interval_us * 1000, .check_interval = check_interval};
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* timeouts immune to clock changes */
    int rc = sem_init(&g->sem, 0, 1) == 0 ? 0 : errno; /* 1: free */
    if (!rc) rc = pthread_mutex_init(&g->mutex, NULL);
    if (!rc) rc = pthread_cond_init(&g->cond, &ca);
    if (!rc) rc = pthread_mutex_init(&g->switch_mutex, NULL);
    if (!rc) rc = pthread_cond_init(&g->switch_cond, &ca);
    pthread_condattr_destroy(&ca);
    return -rc;
}

void mp_gil_destroy(mp_gil *g)
{
    sem_destroy(&g->sem);
    pthread_mutex_destroy(&g->mutex);
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->switch_mutex);
    pthread_cond_destroy(&g->switch_cond);
    free(g->log);
    g->log = NULL;
}

int mp_gil_log(mp_gil *g, size_t cap)
{
    free(g->log);
    g->log = cap ? calloc(cap, sizeof *g->log) : NULL;
    g->log_cap = g->log ? cap : 0;
    g->log_len = 0;
    return cap && !g->log ? -ENOMEM : 0;
}

static void log_event(mp_gil *g, mp_gil_thread *t, char what)
{
    if (!g->log)
        return;
    size_t i = atomic_fetch_add(&g->log_len, 1);
    if (i < g->log_cap)
        g->log[i] = (mp_gil_event){mp_now_ns(), t->id, what};
}

void mp_gil_thread_init(mp_gil *g, mp_gil_thread *t)
{
    *t = (mp_gil_thread){.gil = g, .id = atomic_fetch_add(&g->next_id, 1) + 1};
}

/* ---- the timeline: a span per stretch of holding the lock ---- */

static void span_acquired(mp_gil *g, mp_gil_thread *t, bool handed_over)
{
    if (!mp_trace_enabled())
        return;
    if (t->span_open && handed_over) { /* someone else held it since we let go */
        mp_trace_at(MP_EV_END, "GIL", t->released_at);
        t->span_open = false;
    }
    if (!t->span_open) {
        mp_trace_at(MP_EV_BEGIN, "GIL", 0);
        t->span_open = true;
    }
    (void)g;
}

static void span_released(mp_gil_thread *t, bool for_good)
{
    if (!mp_trace_enabled() || !t->span_open)
        return;
    if (for_good) { /* leaving, or blocking: the span ends now */
        mp_trace_at(MP_EV_END, "GIL", 0);
        t->span_open = false;
    } else {        /* may be taken back at once: decide at the next acquire */
        t->released_at = mp_now_ns();
    }
}

/* ---- take and drop ---- */

static struct timespec deadline_after(uint64_t ns)
{
    uint64_t t = mp_now_ns() + ns;
    return (struct timespec){.tv_sec = (time_t)(t / 1000000000u), .tv_nsec = (long)(t % 1000000000u)};
}

/* The voluntary context switches of the calling thread so far: each one is
 * a time it went to sleep (here: waiting for the lock) and was woken. */
static uint64_t slept_so_far(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_THREAD, &ru) == 0 ? (uint64_t)ru.ru_nvcsw : 0;
}

/* The old lock: PyThread_acquire_lock(lock, 1) on a semaphore. sem_trywait
 * is sem_wait's fast path (take a free lock in user space, no system call),
 * which is how the releasing thread gets the lock back before the waiter it
 * just woke can run. Only a thread that must sleep pays for counting. */
static void take_semaphore(mp_gil *g, mp_gil_thread *t)
{
    if (sem_trywait(&g->sem) == 0)
        return;
    uint64_t t0 = mp_now_ns(), before = slept_so_far();
    while (sem_wait(&g->sem) != 0) /* EINTR: a signal handler ran; wait again, as CPython did */
        ;
    uint64_t woken = slept_so_far() - before;
    if (woken > 0) { /* the last wake-up got the lock; the others found it taken */
        t->wakeups += woken;
        t->failed_wakeups += woken - 1;
        atomic_fetch_add_explicit(&g->wakeups, woken, memory_order_relaxed);
        atomic_fetch_add_explicit(&g->failed_wakeups, woken - 1, memory_order_relaxed);
    }
    t->wait_ns += mp_now_ns() - t0;
}

/* The new lock's take_gil: wait on the condition, one interval at a time. */
static void take_gil(mp_gil *g, mp_gil_thread *t)
{
    uint64_t t0 = mp_now_ns();
    pthread_mutex_lock(&g->mutex);
    while (g->locked) {
        /* wait one interval; if the lock is still held by the same holder
         * (no switch meanwhile), ask it to drop */
        uint64_t saved = g->switch_number;
        struct timespec until = deadline_after(g->interval_ns);
        int rc = pthread_cond_timedwait(&g->cond, &g->mutex, &until);
        if (rc == ETIMEDOUT) {
            if (g->locked && g->switch_number == saved) {
                atomic_store_explicit(&g->drop_request, 1, memory_order_relaxed);
                atomic_fetch_add_explicit(&g->drop_requests, 1, memory_order_relaxed);
            }
        } else {
            t->wakeups++;
            atomic_fetch_add_explicit(&g->wakeups, 1, memory_order_relaxed);
            if (g->locked) {
                t->failed_wakeups++;
                atomic_fetch_add_explicit(&g->failed_wakeups, 1, memory_order_relaxed);
            }
        }
    }
    g->locked = true;
    t->wait_ns += mp_now_ns() - t0;
}

/* Holding the lock now: who had it before, the counters, the log. */
static bool note_taken(mp_gil *g, mp_gil_thread *t)
{
    mp_gil_thread *prev = atomic_load(&g->last_holder);
    bool handed_over = prev != t;
    if (handed_over) {
        atomic_store(&g->last_holder, t);
        g->switch_number++;
        if (prev)
            atomic_fetch_add_explicit(&g->handoffs, 1, memory_order_relaxed);
    }
    atomic_fetch_add_explicit(&g->acquisitions, 1, memory_order_relaxed);
    log_event(g, t, 'A');
    return handed_over;
}

void mp_gil_acquire(mp_gil *g, mp_gil_thread *t)
{
    bool handed_over = true;
    if (g->mode == MP_GIL_OLD) {
        take_semaphore(g, t);
        handed_over = note_taken(g, t);
    } else if (g->mode == MP_GIL_NEW) {
        take_gil(g, t);
        handed_over = note_taken(g, t);
        /* FORCE_SWITCHING: wake the thread that dropped for us */
        pthread_mutex_lock(&g->switch_mutex);
        pthread_cond_signal(&g->switch_cond);
        pthread_mutex_unlock(&g->switch_mutex);
        /* whoever asked for a drop has been served */
        atomic_store_explicit(&g->drop_request, 0, memory_order_relaxed);
        pthread_mutex_unlock(&g->mutex);
    } /* MP_GIL_NONE, free-threaded: nothing to take */
    t->holding = true;
    t->acquisitions++;
    span_acquired(g, t, handed_over);
}

/* drop_gil without the forced-switching wait. */
static void drop(mp_gil *g, mp_gil_thread *t, char what, bool for_good)
{
    t->holding = false;
    span_released(t, for_good);
    if (g->mode == MP_GIL_OLD) { /* PyThread_release_lock: sem_post wakes one sleeper, if any */
        log_event(g, t, what);
        sem_post(&g->sem);
    } else if (g->mode == MP_GIL_NEW) { /* drop_gil signals holding the mutex */
        pthread_mutex_lock(&g->mutex);
        g->locked = false;
        log_event(g, t, what);
        pthread_cond_signal(&g->cond);
        pthread_mutex_unlock(&g->mutex);
    }
}

void mp_gil_release(mp_gil *g, mp_gil_thread *t) { drop(g, t, 'R', true); }

void mp_gil_forced_switch(mp_gil *g, mp_gil_thread *t)
{
    atomic_fetch_add_explicit(&g->forced_drops, 1, memory_order_relaxed);
    drop(g, t, 'F', false);
    /* Not switched yet => wait, until another thread has taken the lock.
     * Without this the dropper, already running, would usually take it back
     * before the woken waiter gets scheduled: the old lock's battle. */
    pthread_mutex_lock(&g->switch_mutex);
    while (atomic_load(&g->last_holder) == t)
        pthread_cond_wait(&g->switch_cond, &g->switch_mutex);
    pthread_mutex_unlock(&g->switch_mutex);
    mp_gil_acquire(g, t);
}

void mp_gil_check(mp_gil *g, mp_gil_thread *t)
{
    t->ticks = 0;
    drop(g, t, 'R', false); /* sem_post: "other threads may run now" */
    mp_gil_acquire(g, t);   /* sem_wait: ...but nothing makes sure they do */
}

void mp_gil_begin_blocking(mp_gil *g, mp_gil_thread *t) { drop(g, t, 'V', true); }
void mp_gil_end_blocking(mp_gil *g, mp_gil_thread *t) { mp_gil_acquire(g, t); }

/* ---- the interpreter ---- */

/* One "bytecode": 16 dependent multiply-adds, some 20 ns, the order of what
 * CPython spends on `n -= 1`. Making a tick cost what a bytecode costs keeps
 * the old lock's check interval (100 ticks, a few microseconds) about as
 * long in time as it was in CPython; with ticks of 1 ns the old lock would
 * spend its whole time in system calls instead of battling. */
static inline uint64_t bytecode(uint64_t x)
{
    for (int i = 0; i < 16; i++)
        x = x * 6364136223846793005u + 1442695040888963407u;
    return x;
}

uint64_t mp_gil_countdown(mp_gil *g, mp_gil_thread *t, uint64_t n)
{
    uint64_t x = n;
    mp_gil_acquire(g, t);
    while (n > 0) {
        x = bytecode(x);
        n--;
        mp_gil_tick(g, t);
    }
    mp_gil_release(g, t);
    return x;
}

uint64_t mp_gil_ticks_for(double seconds)
{
    mp_gil g;
    mp_gil_thread t;
    mp_gil_init(&g, MP_GIL_NONE, 1, 1);
    mp_gil_thread_init(&g, &t);
    uint64_t probe = 2000000;
    uint64_t t0 = mp_now_ns();
    volatile uint64_t sink = mp_gil_countdown(&g, &t, probe);
    (void)sink;
    double took = mp_ns_to_s(mp_now_ns() - t0);
    mp_gil_destroy(&g);
    if (took <= 0)
        took = 1e-6;
    double n = (double)probe * seconds / took;
    return n < 1000 ? 1000 : (uint64_t)n;
}

uint64_t mp_gil_spin(mp_gil *g, mp_gil_thread *t, const atomic_bool *stop)
{
    uint64_t x = 1, n = 0;
    mp_gil_acquire(g, t);
    while (!atomic_load_explicit(stop, memory_order_relaxed)) {
        x = bytecode(x);
        n++;
        mp_gil_tick(g, t);
    }
    mp_gil_release(g, t);
    return n + (x & 1);
}

mp_gil_counters mp_gil_read_counters(mp_gil *g)
{
    return (mp_gil_counters){g->acquisitions, g->handoffs, g->drop_requests, g->forced_drops, g->failed_wakeups,
                             g->wakeups};
}
