/* sync: Lock, RLock, Semaphore, Event, Condition, Barrier on robust,
 * process-shared POSIX mutexes and condition variables (sync.h). */
#define _GNU_SOURCE /* gettid */
#include "sync.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __SANITIZE_THREAD__
#include <sanitizer/tsan_interface.h>
#endif

#include "clock.h"
#include "pool.h"
#include "report.h"
#include "trace.h"

/* ---- the pieces: a robust mutex, a deadline, a traced wait ---- */

static void copy_name(char *dst, const char *name)
{
    snprintf(dst, MP_SYNC_NAME, "%s", name ? name : "");
}

static int init_mutex(pthread_mutex_t *m, int type)
{
    pthread_mutexattr_t a;
    int rc = pthread_mutexattr_init(&a);
    if (rc == 0)
        rc = pthread_mutexattr_settype(&a, type);
    if (rc == 0)
        rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    if (rc == 0)
        rc = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (rc == 0)
        rc = pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
    return -rc;
}

static int init_cond(pthread_cond_t *c)
{
    pthread_condattr_t a;
    int rc = pthread_condattr_init(&a);
    if (rc == 0)
        rc = pthread_condattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    if (rc == 0)
        rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC); /* a clock nobody sets back */
    if (rc == 0)
        rc = pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
    return -rc;
}

/* The absolute CLOCK_MONOTONIC time timeout_s from now. */
static struct timespec deadline_in(double timeout_s)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long ns = (long long)(timeout_s * 1e9);
    ts.tv_sec += (time_t)(ns / 1000000000LL);
    ts.tv_nsec += (long)(ns % 1000000000LL);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Lock a robust mutex: 0, -EOWNERDEAD (locked, and made consistent: its
 * last owner died holding it), -EAGAIN (timeout 0, taken), -ETIMEDOUT,
 * -EDEADLK (an error-checking mutex the caller already holds). */
static int robust_lock(pthread_mutex_t *m, double timeout_s)
{
    int rc;
    if (timeout_s < 0)
        rc = pthread_mutex_lock(m);
    else if (timeout_s == 0)
        rc = pthread_mutex_trylock(m);
    else {
        /* pthread_mutex_timedlock counts on CLOCK_REALTIME (the monotonic
         * pthread_mutex_clocklock is newer, and ThreadSanitizer does not see
         * it take the mutex): a clock set back meanwhile would stretch
         * this one wait */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long long ns = ts.tv_nsec + (long long)(timeout_s * 1e9);
        ts.tv_sec += (time_t)(ns / 1000000000LL);
        ts.tv_nsec = (long)(ns % 1000000000LL);
        rc = pthread_mutex_timedlock(m, &ts);
    }
    if (rc == EOWNERDEAD) {
#ifdef __SANITIZE_THREAD__
        /* ThreadSanitizer sees a blocking lock recover a dead owner's mutex,
         * not a timed or tried one: tell it this thread holds it now */
        if (timeout_s >= 0) {
            __tsan_mutex_pre_lock(m, 0);
            __tsan_mutex_post_lock(m, 0, 0);
        }
#endif
        pthread_mutex_consistent(m);
        return -EOWNERDEAD;
    }
    return rc == EBUSY ? -EAGAIN : -rc;
}

/* Wait on c with m held until the deadline (NULL: no deadline); m is held
 * again on return, made consistent if its owner died meanwhile. 0 or
 * -ETIMEDOUT. */
static int cond_wait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *deadline)
{
    int rc = deadline ? pthread_cond_timedwait(c, m, deadline) : pthread_cond_wait(c, m);
    if (rc == EOWNERDEAD) {
        pthread_mutex_consistent(m);
        rc = 0;
    }
    return -rc;
}

/* The monitor's own mutex: its critical sections are a few assignments, so
 * one left by a dead process is consistent enough to go on with. */
static void mon_lock(mp_monitor *mon) { (void)robust_lock(&mon->m, -1); }
static void mon_unlock(mp_monitor *mon) { pthread_mutex_unlock(&mon->m); }

static int mon_init(mp_monitor *mon)
{
    int rc = init_mutex(&mon->m, PTHREAD_MUTEX_NORMAL);
    if (rc == 0 && (rc = init_cond(&mon->c)) != 0)
        pthread_mutex_destroy(&mon->m);
    return rc;
}

static void mon_destroy(mp_monitor *mon)
{
    pthread_cond_destroy(&mon->c);
    pthread_mutex_destroy(&mon->m);
}

/* A traced span "KIND NAME" in this thread's lane. */
static bool traced(const char *name) { return name[0] && mp_trace_enabled(); }
static void span(mp_event_kind kind, const char *what, const char *name, uint64_t t_ns)
{
    char label[48];
    snprintf(label, sizeof label, "%s %s", what, name);
    mp_trace_at(kind, label, t_ns);
}

/* ---- who am I: the kernel thread ID, remembered per thread ----
 * gettid() is a system call (a microsecond on this VM, where a lock and an
 * unlock take 20 ns), so each thread asks once. A forked child's thread has
 * a new ID: the fork handler forgets the remembered one. */
static _Thread_local int my_tid;
static pthread_once_t tid_once = PTHREAD_ONCE_INIT;
static void forget_tid(void) { my_tid = 0; }
static void install_forget(void) { pthread_atfork(NULL, NULL, forget_tid); }

static int me(void)
{
    if (my_tid == 0) {
        pthread_once(&tid_once, install_forget);
        my_tid = (int)gettid();
    }
    return my_tid;
}

/* ---- Lock, RLock ---- */

int mp_lock_init(mp_lock *l, int kind, const char *name)
{
    if (kind != MP_LOCK && kind != MP_RLOCK)
        return -EINVAL;
    memset(l, 0, sizeof *l);
    l->kind = kind;
    copy_name(l->name, name);
    return init_mutex(&l->m, kind == MP_RLOCK ? PTHREAD_MUTEX_RECURSIVE : PTHREAD_MUTEX_ERRORCHECK);
}

int mp_lock_acquire(mp_lock *l, double timeout_s)
{
    bool t = traced(l->name);
    uint64_t t0 = t ? mp_now_ns() : 0;
    if (t)
        span(MP_EV_BEGIN, "wait", l->name, t0);
    int rc = robust_lock(&l->m, timeout_s);
    uint64_t t1 = t ? mp_now_ns() : 0;
    if (t)
        span(MP_EV_END, "wait", l->name, t1);
    if (rc != 0 && rc != -EOWNERDEAD)
        return rc;
    if (rc == -EOWNERDEAD)
        l->depth = 0; /* the dead owner's count means nothing now */
    if (l->depth++ == 0) {
        atomic_store(&l->owner, me());
        l->held_ns = t1;
        if (t)
            span(MP_EV_BEGIN, "hold", l->name, t1);
    }
    return rc;
}

int mp_lock_release(mp_lock *l)
{
    if (atomic_load(&l->owner) != me())
        return -EPERM;
    if (--l->depth == 0) {
        atomic_store(&l->owner, 0);
        if (traced(l->name))
            span(MP_EV_END, "hold", l->name, mp_now_ns());
    }
    return -pthread_mutex_unlock(&l->m);
}

void mp_lock_destroy(mp_lock *l) { pthread_mutex_destroy(&l->m); }

/* ---- Semaphore, BoundedSemaphore ---- */

int mp_sem_init(mp_sem *s, long value, bool bounded, const char *name)
{
    if (value < 0)
        return -EINVAL;
    memset(s, 0, sizeof *s);
    s->value = s->initial = value;
    s->bounded = bounded;
    copy_name(s->name, name);
    return mon_init(&s->mon);
}

int mp_sem_acquire(mp_sem *s, double timeout_s)
{
    bool t = traced(s->name);
    if (t)
        span(MP_EV_BEGIN, "wait", s->name, mp_now_ns());
    struct timespec dl = deadline_in(timeout_s > 0 ? timeout_s : 0);
    int rc = 0;
    mon_lock(&s->mon);
    while (s->value == 0 && rc == 0) {
        if (timeout_s == 0)
            rc = -EAGAIN;
        else
            rc = cond_wait(&s->mon.c, &s->mon.m, timeout_s < 0 ? NULL : &dl);
    }
    if (s->value > 0) { /* a release may have come just as the time ran out */
        s->value--;
        rc = 0;
    }
    mon_unlock(&s->mon);
    if (t)
        span(MP_EV_END, "wait", s->name, mp_now_ns());
    return rc;
}

int mp_sem_release(mp_sem *s)
{
    int rc = 0;
    mon_lock(&s->mon);
    if (s->bounded && s->value >= s->initial)
        rc = -EOVERFLOW;
    else {
        s->value++;
        pthread_cond_signal(&s->mon.c);
    }
    mon_unlock(&s->mon);
    return rc;
}

long mp_sem_value(mp_sem *s)
{
    mon_lock(&s->mon);
    long v = s->value;
    mon_unlock(&s->mon);
    return v;
}

void mp_sem_destroy(mp_sem *s) { mon_destroy(&s->mon); }

/* ---- Event ---- */

int mp_event_init(mp_sync_event *e, const char *name)
{
    memset(e, 0, sizeof *e);
    copy_name(e->name, name);
    return mon_init(&e->mon);
}

void mp_event_set(mp_sync_event *e)
{
    mon_lock(&e->mon);
    e->flag = true;
    pthread_cond_broadcast(&e->mon.c);
    mon_unlock(&e->mon);
}

void mp_event_clear(mp_sync_event *e)
{
    mon_lock(&e->mon);
    e->flag = false;
    mon_unlock(&e->mon);
}

bool mp_event_is_set(mp_sync_event *e)
{
    mon_lock(&e->mon);
    bool f = e->flag;
    mon_unlock(&e->mon);
    return f;
}

int mp_event_wait(mp_sync_event *e, double timeout_s)
{
    bool t = traced(e->name);
    if (t)
        span(MP_EV_BEGIN, "wait", e->name, mp_now_ns());
    struct timespec dl = deadline_in(timeout_s > 0 ? timeout_s : 0);
    int rc = 0;
    mon_lock(&e->mon);
    while (!e->flag && rc == 0 && timeout_s != 0)
        rc = cond_wait(&e->mon.c, &e->mon.m, timeout_s < 0 ? NULL : &dl);
    rc = e->flag ? 0 : -ETIMEDOUT;
    mon_unlock(&e->mon);
    if (t)
        span(MP_EV_END, "wait", e->name, mp_now_ns());
    return rc;
}

void mp_event_destroy(mp_sync_event *e) { mon_destroy(&e->mon); }

/* ---- Condition ---- */

int mp_cond_init(mp_cond *c, mp_lock *lock, const char *name)
{
    if (!lock)
        return -EINVAL;
    memset(c, 0, sizeof *c);
    c->lock_off = (long)((char *)lock - (char *)c);
    copy_name(c->name, name);
    return init_cond(&c->c);
}

static mp_lock *cond_lock(mp_cond *c) { return (mp_lock *)((char *)c + c->lock_off); }

int mp_cond_wait(mp_cond *c, double timeout_s)
{
    mp_lock *l = cond_lock(c);
    if (atomic_load(&l->owner) != me())
        return -EPERM;
    /* Python's Condition releases every level of an RLock while it waits:
     * keep one (pthread_cond_wait releases exactly one), give back the rest */
    int depth = l->depth;
    for (int i = 1; i < depth; i++)
        pthread_mutex_unlock(&l->m);
    l->depth = 0;
    atomic_store(&l->owner, 0);
    bool t = traced(c->name);
    uint64_t now = mp_now_ns();
    if (traced(l->name))
        span(MP_EV_END, "hold", l->name, now);
    if (t)
        span(MP_EV_BEGIN, "wait", c->name, now);
    struct timespec dl = deadline_in(timeout_s > 0 ? timeout_s : 0);
    int rc = ETIMEDOUT;
    if (timeout_s != 0)
        rc = timeout_s < 0 ? pthread_cond_wait(&c->c, &l->m) : pthread_cond_timedwait(&c->c, &l->m, &dl);
    if (rc == EOWNERDEAD) /* the lock is ours again, but its last owner died holding it: say so */
        pthread_mutex_consistent(&l->m);
    rc = -rc;
    now = mp_now_ns();
    if (t)
        span(MP_EV_END, "wait", c->name, now);
    atomic_store(&l->owner, me());
    l->depth = depth;
    l->held_ns = now;
    if (traced(l->name))
        span(MP_EV_BEGIN, "hold", l->name, now);
    for (int i = 1; i < depth; i++) /* the owner relocks a recursive mutex at once */
        pthread_mutex_lock(&l->m);
    return rc;
}

int mp_cond_wait_for(mp_cond *c, bool (*pred)(void *ctx), void *ctx, double timeout_s)
{
    uint64_t end = timeout_s < 0 ? 0 : mp_now_ns() + (uint64_t)(timeout_s * 1e9);
    while (!pred(ctx)) {
        double left = -1;
        if (timeout_s >= 0) {
            uint64_t now = mp_now_ns();
            if (now >= end)
                return -ETIMEDOUT;
            left = (double)(end - now) / 1e9;
        }
        int rc = mp_cond_wait(c, left);
        if (rc == -EPERM || rc == -EOWNERDEAD)
            return rc;
        if (rc == -ETIMEDOUT)
            return pred(ctx) ? 0 : -ETIMEDOUT;
    }
    return 0;
}

void mp_cond_notify(mp_cond *c, int n)
{
    for (int i = 0; i < n; i++)
        pthread_cond_signal(&c->c);
}

void mp_cond_notify_all(mp_cond *c) { pthread_cond_broadcast(&c->c); }

void mp_cond_destroy(mp_cond *c) { pthread_cond_destroy(&c->c); }

/* ---- Barrier ---- */

int mp_barrier_init(mp_barrier *b, int parties, const char *action, const char *name)
{
    if (parties < 1 || (action && strlen(action) >= sizeof b->action))
        return -EINVAL;
    memset(b, 0, sizeof *b);
    b->parties = parties;
    snprintf(b->action, sizeof b->action, "%s", action ? action : "");
    copy_name(b->name, name);
    return mon_init(&b->mon);
}

static void break_locked(mp_barrier *b)
{
    b->broken = true;
    pthread_cond_broadcast(&b->mon.c);
}

int mp_barrier_wait(mp_barrier *b, double timeout_s)
{
    bool t = traced(b->name);
    if (t)
        span(MP_EV_BEGIN, "wait", b->name, mp_now_ns());
    struct timespec dl = deadline_in(timeout_s > 0 ? timeout_s : 0);
    int rc;
    mon_lock(&b->mon);
    if (b->broken) {
        rc = -EPIPE;
    } else if (b->count + 1 == b->parties) {
        /* the last to arrive runs the action, then lets everyone go */
        rc = b->count;
        if (b->action[0]) {
            void (*fn)(void) = mp_task_find(b->action);
            if (fn)
                fn();
            else {
                mp_error("barrier %s: action '%s' is not registered in pid %d (MP_TASK): the barrier is broken",
                         b->name[0] ? b->name : "", b->action, (int)getpid());
                break_locked(b);
                rc = -EPIPE;
            }
        }
        if (rc >= 0) {
            b->count = 0;
            b->round++;
            pthread_cond_broadcast(&b->mon.c);
        }
    } else {
        int index = b->count++;
        unsigned long round = b->round, resets = b->resets;
        int w = 0;
        while (b->round == round && !b->broken && b->resets == resets && w == 0)
            w = timeout_s == 0 ? -ETIMEDOUT : cond_wait(&b->mon.c, &b->mon.m, timeout_s < 0 ? NULL : &dl);
        if (b->round != round)
            rc = index; /* released: the round is over */
        else if (w == -ETIMEDOUT && !b->broken && b->resets == resets) {
            b->count--;
            break_locked(b); /* Python: a timeout breaks the barrier for everyone */
            rc = -ETIMEDOUT;
        } else {
            if (b->resets == resets && b->count > 0)
                b->count--;
            rc = -EPIPE;
        }
    }
    mon_unlock(&b->mon);
    if (t)
        span(MP_EV_END, "wait", b->name, mp_now_ns());
    return rc;
}

void mp_barrier_abort(mp_barrier *b)
{
    mon_lock(&b->mon);
    break_locked(b);
    mon_unlock(&b->mon);
}

void mp_barrier_reset(mp_barrier *b)
{
    mon_lock(&b->mon);
    b->resets++;
    b->count = 0;
    b->broken = false;
    pthread_cond_broadcast(&b->mon.c);
    mon_unlock(&b->mon);
}

bool mp_barrier_broken(mp_barrier *b)
{
    mon_lock(&b->mon);
    bool broken = b->broken;
    mon_unlock(&b->mon);
    return broken;
}

int mp_barrier_n_waiting(mp_barrier *b)
{
    mon_lock(&b->mon);
    int n = b->broken ? 0 : b->count;
    mon_unlock(&b->mon);
    return n;
}

void mp_barrier_destroy(mp_barrier *b) { mon_destroy(&b->mon); }
