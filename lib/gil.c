#include "gil.h"

#include <errno.h>
#include <stdlib.h>
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
    int rc = pthread_mutex_init(&g->mutex, NULL);
    if (!rc) rc = pthread_cond_init(&g->cond, &ca);
    if (!rc) rc = pthread_mutex_init(&g->switch_mutex, NULL);
    if (!rc) rc = pthread_cond_init(&g->switch_cond, &ca);
    pthread_condattr_destroy(&ca);
    return -rc;
}

void mp_gil_destroy(mp_gil *g)
{
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

void mp_gil_acquire(mp_gil *g, mp_gil_thread *t)
{
    if (g->mode == MP_GIL_NONE) { /* free-threaded: nothing to take */
        t->holding = true;
        t->acquisitions++;
        span_acquired(g, t, true);
        return;
    }
    uint64_t t0 = mp_now_ns();
    pthread_mutex_lock(&g->mutex);
    while (g->locked) {
        if (g->mode == MP_GIL_OLD) {
            /* a binary semaphore: wait to be signalled, with no timeout */
            pthread_cond_wait(&g->cond, &g->mutex);
            if (g->locked)
                atomic_fetch_add_explicit(&g->failed_wakeups, 1, memory_order_relaxed);
        } else {
            /* take_gil: wait one interval; if the lock is still held by the
             * same holder (no switch meanwhile), ask it to drop */
            uint64_t saved = g->switch_number;
            struct timespec until = deadline_after(g->interval_ns);
            int rc = pthread_cond_timedwait(&g->cond, &g->mutex, &until);
            if (rc == ETIMEDOUT) {
                if (g->locked && g->switch_number == saved) {
                    atomic_store_explicit(&g->drop_request, 1, memory_order_relaxed);
                    atomic_fetch_add_explicit(&g->drop_requests, 1, memory_order_relaxed);
                }
            } else if (g->locked) {
                atomic_fetch_add_explicit(&g->failed_wakeups, 1, memory_order_relaxed);
            }
        }
    }
    g->locked = true;
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
    if (g->mode == MP_GIL_NEW) {
        /* FORCE_SWITCHING: wake the thread that dropped for us */
        pthread_mutex_lock(&g->switch_mutex);
        pthread_cond_signal(&g->switch_cond);
        pthread_mutex_unlock(&g->switch_mutex);
        /* whoever asked for a drop has been served */
        atomic_store_explicit(&g->drop_request, 0, memory_order_relaxed);
    }
    pthread_mutex_unlock(&g->mutex);
    t->holding = true;
    t->acquisitions++;
    t->wait_ns += mp_now_ns() - t0;
    span_acquired(g, t, handed_over);
}

/* drop_gil without the forced-switching wait. */
static void drop(mp_gil *g, mp_gil_thread *t, char what, bool for_good)
{
    t->holding = false;
    span_released(t, for_good);
    if (g->mode == MP_GIL_NONE)
        return;
    pthread_mutex_lock(&g->mutex);
    g->locked = false;
    log_event(g, t, what);
    if (g->mode == MP_GIL_NEW) { /* drop_gil signals holding the mutex */
        pthread_cond_signal(&g->cond);
        pthread_mutex_unlock(&g->mutex);
    } else { /* the old lock was a semaphore: sem_post, with no mutex held */
        pthread_mutex_unlock(&g->mutex);
        pthread_cond_signal(&g->cond);
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
    drop(g, t, 'R', false); /* "other threads may run now" */
    mp_gil_acquire(g, t);   /* ...but nothing makes sure they do */
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
    return (mp_gil_counters){g->acquisitions, g->handoffs, g->drop_requests, g->forced_drops, g->failed_wakeups};
}
