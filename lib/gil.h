/* gil: a simulated global interpreter lock, faithful to CPython's.
 *
 * CPython lets one thread at a time run Python bytecode: the thread that
 * holds the GIL. This file reproduces the lock and the part of the eval loop
 * that deals with it, so that C threads running a "Python-like" CPU-bound
 * loop behave -- and measure -- like CPython's threads:
 *
 *  - MP_GIL_NONE: free-threaded (PEP 703, python3.13t): no lock at all.
 *  - MP_GIL_OLD (CPython <= 3.1): the lock is a binary semaphore, a real
 *    POSIX sem_t as CPython used on Linux (USE_SEMAPHORES), so the kernel
 *    and its scheduler decide who gets it, as they did for CPython. Every
 *    check_interval ticks the running thread releases it (sem_post, which
 *    wakes a sleeping waiter) and at once takes it back (sem_wait: the count
 *    is 1, so it succeeds in user space without a system call). Nothing
 *    hands the lock over: on several CPUs the woken waiter usually finds it
 *    re-taken and sleeps again, a "failed wake-up". That is the GIL battle
 *    Beazley measured: 2 threads slower than 1. How often a waiter wins the
 *    race instead depends on how fast the machine wakes a sleeping thread.
 *  - MP_GIL_NEW (CPython >= 3.2, Python/ceval_gil.c): a mutex and condition
 *    variables. A waiter waits one switch interval (default 5 ms); if no
 *    switch happened meanwhile, it sets a drop request. The holder sees it at
 *    its next tick (the "eval breaker"), drops the lock and --
 *    FORCE_SWITCHING -- waits until another thread has taken it before it
 *    tries again.
 *
 * The "interpreter" is mp_gil_countdown(): a loop whose every iteration is
 * one tick (a bytecode's worth of arithmetic, then the eval-breaker check),
 * like `while n > 0: n -= 1`. A blocking call (I/O, sleep) goes between
 * mp_gil_begin_blocking() and mp_gil_end_blocking(), which is what
 * Py_BEGIN_ALLOW_THREADS / Py_END_ALLOW_THREADS do: release the lock without
 * waiting for a taker, take it back afterwards.
 *
 * Each process has its own lock, as each Python process has its own GIL: a
 * forked child calls mp_gil_init() on a fresh mp_gil of its own.
 *
 * Counters tell what happened: acquisitions, handoffs (the lock changed
 * hands), drop requests, forced drops, wake-ups and failed wake-ups; per
 * thread, the time spent waiting. The old lock's wake-ups are measured, not
 * modelled: a waiter that finds the semaphore taken reads its own voluntary
 * context switches (getrusage RUSAGE_THREAD ru_nvcsw, Linux) before and
 * after sem_wait; each one is a time it slept and was woken, and all but
 * the last (which ended with the lock taken) are failed wake-ups. The new
 * lock counts a waiter signalled that found the lock held again. With
 * tracing on, each thread's stretches of holding the lock become spans named
 * "GIL" on the timeline (a release followed at once by the same thread's
 * re-acquire is not a hand-over and does not split a span).
 */
#ifndef MP_GIL_H
#define MP_GIL_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { MP_GIL_NONE = 0, MP_GIL_OLD = 1, MP_GIL_NEW = 2 } mp_gil_mode;
extern const char *const mp_gil_mode_names[]; /* "none", "old", "new", NULL */

#define MP_GIL_DEFAULT_INTERVAL_US 5000 /* sys.getswitchinterval() = 0.005 */
#define MP_GIL_DEFAULT_CHECK 100        /* sys.getcheckinterval() = 100 */

struct mp_gil;

/* A thread's state (PyThreadState): one per thread that runs "Python". */
typedef struct mp_gil_thread {
    struct mp_gil *gil;
    int id;                /* 1, 2, ... in the order of mp_gil_thread_init */
    uint32_t ticks;        /* since the last check (old lock) */
    bool holding;
    uint64_t wait_ns;      /* time spent waiting to take the lock */
    uint64_t acquisitions;
    uint64_t wakeups;      /* times it slept waiting for the lock and was woken */
    uint64_t failed_wakeups; /* of those, the ones that found the lock taken */
    bool span_open;        /* timeline bookkeeping */
    uint64_t released_at;
} mp_gil_thread;

/* One entry of the optional event log (tests read it). */
typedef struct mp_gil_event {
    uint64_t t_ns;
    int thread;            /* mp_gil_thread.id */
    char what;             /* 'A' acquired, 'F' forced drop, 'R' released, 'V' voluntary release */
} mp_gil_event;

typedef struct mp_gil_counters {
    uint64_t acquisitions;   /* every successful take */
    uint64_t handoffs;       /* takes by a thread other than the previous holder */
    uint64_t drop_requests;  /* waiters that timed out and asked the holder to drop (new) */
    uint64_t forced_drops;   /* holders that dropped because they were asked (new) */
    uint64_t failed_wakeups; /* waiters woken that found the lock taken and slept again */
    uint64_t wakeups;        /* every time a waiter slept and was woken (failed or not) */
} mp_gil_counters;

typedef struct mp_gil {
    mp_gil_mode mode;
    uint64_t interval_ns;     /* new: the switch interval */
    uint32_t check_interval;  /* old: ticks between release/re-acquire */
    sem_t sem;                /* old: the lock itself, a binary semaphore */
    pthread_mutex_t mutex;    /* new: guards locked, switch_number */
    pthread_cond_t cond;      /* waiters for the lock */
    pthread_mutex_t switch_mutex; /* FORCE_SWITCHING: a dropper waits here... */
    pthread_cond_t switch_cond;   /* ...until another thread has taken the lock */
    bool locked;
    uint64_t switch_number;   /* +1 each time the lock changes hands */
    mp_gil_thread *_Atomic last_holder;
    atomic_int drop_request;  /* the eval breaker */
    atomic_int next_id;
    _Atomic uint64_t acquisitions, handoffs, drop_requests, forced_drops, failed_wakeups, wakeups;
    mp_gil_event *log;        /* optional, see mp_gil_log */
    size_t log_cap;
    _Atomic size_t log_len;
} mp_gil;

/* interval_us (new) and check_interval (old) must be >= 1. Returns 0 or -errno. */
int mp_gil_init(mp_gil *g, mp_gil_mode mode, uint64_t interval_us, uint32_t check_interval);
void mp_gil_destroy(mp_gil *g);

/* Keep the first `cap` lock events in a log (for tests); 0 turns it off. */
int mp_gil_log(mp_gil *g, size_t cap);

void mp_gil_thread_init(mp_gil *g, mp_gil_thread *t);

void mp_gil_acquire(mp_gil *g, mp_gil_thread *t); /* take_gil */
void mp_gil_release(mp_gil *g, mp_gil_thread *t); /* drop_gil: the thread is done or leaving */

/* Py_BEGIN_ALLOW_THREADS / Py_END_ALLOW_THREADS around a blocking call. */
void mp_gil_begin_blocking(mp_gil *g, mp_gil_thread *t);
void mp_gil_end_blocking(mp_gil *g, mp_gil_thread *t);

/* Has a waiter asked the holder to drop the lock? (the eval breaker) */
static inline bool mp_gil_drop_requested(mp_gil *g)
{
    return atomic_load_explicit(&g->drop_request, memory_order_relaxed) != 0;
}

/* The holder gives way because it was asked: drop, wait until another thread
 * has taken the lock (FORCE_SWITCHING), take it back. */
void mp_gil_forced_switch(mp_gil *g, mp_gil_thread *t);

/* The old lock's periodic check: release (sem_post), then at once take it
 * back (sem_wait). */
void mp_gil_check(mp_gil *g, mp_gil_thread *t);

/* One tick of the eval loop, holding the lock: then the checks CPython makes
 * between bytecodes. */
static inline void mp_gil_tick(mp_gil *g, mp_gil_thread *t)
{
    if (g->mode == MP_GIL_NEW) {
        if (mp_gil_drop_requested(g))
            mp_gil_forced_switch(g, t);
    } else if (g->mode == MP_GIL_OLD) {
        if (++t->ticks >= g->check_interval)
            mp_gil_check(g, t);
    }
}

/* `while n > 0: n -= 1`, n ticks of it, taking the lock first and releasing
 * it at the end. Returns a value that depends on every tick (so the compiler
 * cannot skip the work). */
uint64_t mp_gil_countdown(mp_gil *g, mp_gil_thread *t, uint64_t n);

/* `while not stop: n -= 1`: ticks until *stop becomes true; returns how many. */
uint64_t mp_gil_spin(mp_gil *g, mp_gil_thread *t, const atomic_bool *stop);

/* Ticks that take about `seconds` in one thread with no lock. */
uint64_t mp_gil_ticks_for(double seconds);

mp_gil_counters mp_gil_read_counters(mp_gil *g);

#endif
