/* sync: Lock, RLock, Semaphore, BoundedSemaphore, Event, Condition and
 * Barrier, between threads and between processes of every start method;
 * their errors and timeouts; a lock whose owner was SIGKILLed.
 *
 * Only what load cannot change is asserted: counts, which status came
 * back, that a timed wait lasted at least its timeout. Waits that should
 * end are bounded by 10-30 s. Children attach the shared segment handed to
 * them as their descriptor 0, fork children too, so every child maps it at
 * an address of its own, as a spawned one does. */
#include "helpers.h"

#include <stdatomic.h>

/* Everything the processes share, in one segment. */
typedef struct shared {
    mp_lock lock, rlock, cond_lock;
    mp_sem sem;
    mp_sync_event ev;
    mp_cond cond;
    mp_barrier bar;
    long counter;       /* guarded by lock */
    long items;         /* guarded by cond_lock */
    atomic_int slot;
    atomic_int actions; /* the barrier's action ran this many times */
    int index[8];       /* barrier indices the children got */
} shared;

static mp_shm seg;
static shared *sh;   /* the parent's mapping */
static shared *here; /* this process's mapping: the parent's, or a child's own */

static void make_shared(void)
{
    assert_int_equal(mp_shm_create(&seg, "sync-test", sizeof(shared)), 0);
    sh = here = seg.p;
    assert_int_equal(mp_lock_init(&sh->lock, MP_LOCK, NULL), 0);
    assert_int_equal(mp_lock_init(&sh->rlock, MP_RLOCK, NULL), 0);
    assert_int_equal(mp_lock_init(&sh->cond_lock, MP_LOCK, NULL), 0);
    assert_int_equal(mp_sem_init(&sh->sem, 0, false, NULL), 0);
    assert_int_equal(mp_event_init(&sh->ev, NULL), 0);
    assert_int_equal(mp_cond_init(&sh->cond, &sh->cond_lock, NULL), 0);
}

static void free_shared(void)
{
    mp_shm_close(&seg);
    sh = NULL;
}

/* ---- children: each maps the segment it was handed as fd 0 ---- */

static shared *attach(mp_shm *s)
{
    return here = mp_shm_attach(s, mp_child_fd(0)) == 0 ? s->p : NULL;
}

#define CHILD_INCREMENTS 20000
/* read, yield, write: without the lock, increments are lost */
static void bump(volatile long *counter)
{
    long v = *counter;
    if ((v & 63) == 0)
        sched_yield();
    *counter = v + 1;
}

static int child_count(void *arg)
{
    (void)arg;
    mp_shm s;
    shared *x = attach(&s);
    if (!x)
        return 3;
    for (int i = 0; i < CHILD_INCREMENTS; i++) {
        if (mp_lock_acquire(&x->lock, 30) != 0)
            return 4;
        bump(&x->counter);
        if (mp_lock_release(&x->lock) != 0)
            return 5;
    }
    return 0;
}

static int child_die_holding(void *arg)
{
    (void)arg;
    mp_shm s;
    shared *x = attach(&s);
    if (!x || mp_lock_acquire(&x->lock, 30) != 0 || mp_lock_acquire(&x->rlock, 30) != 0 ||
        mp_lock_acquire(&x->rlock, 30) != 0)
        return 3;
    x->counter = -1; /* half-way through an update */
    kill(getpid(), SIGKILL);
    return 4;
}

static int child_release_and_set(void *arg)
{
    (void)arg;
    mp_shm s;
    shared *x = attach(&s);
    if (!x)
        return 3;
    mp_sleep_ns(50000000);
    if (mp_sem_release(&x->sem) != 0)
        return 4;
    mp_event_set(&x->ev);
    return 0;
}

#define PRODUCED 200
static int child_produce(void *arg)
{
    (void)arg;
    mp_shm s;
    shared *x = attach(&s);
    if (!x)
        return 3;
    for (int i = 0; i < PRODUCED; i++) {
        if (mp_lock_acquire(&x->cond_lock, 30) != 0)
            return 4;
        x->items++;
        mp_cond_notify(&x->cond, 1);
        mp_lock_release(&x->cond_lock);
    }
    return 0;
}

/* Takes the condition's lock once the parent waits, notifies it, and is
 * SIGKILLed holding the lock. */
static int child_notify_and_die(void *arg)
{
    (void)arg;
    mp_shm s;
    shared *x = attach(&s);
    if (!x || mp_lock_acquire(&x->cond_lock, 30) != 0)
        return 3;
    x->items = -1; /* half-way through an update */
    mp_cond_notify(&x->cond, 1);
    kill(getpid(), SIGKILL);
    return 4;
}

/* The barrier's action: registered by name, run by the last to arrive, in
 * whichever process that is. */
static void count_action(void) { atomic_fetch_add(&here->actions, 1); }
MP_TASK(count_action)

static int child_barrier(void *arg)
{
    (void)arg;
    mp_shm s;
    shared *x = attach(&s);
    if (!x)
        return 3;
    int r = mp_barrier_wait(&x->bar, 30);
    if (r < 0)
        return 4;
    x->index[atomic_fetch_add(&x->slot, 1)] = r;
    return 0;
}

static const mp_entry entries[] = {MP_ENTRY(child_count), MP_ENTRY(child_die_holding),
                                   MP_ENTRY(child_release_and_set), MP_ENTRY(child_produce),
                                   MP_ENTRY(child_notify_and_die), MP_ENTRY(child_barrier), {0}};

static void start_child(mp_process *p, mp_target fn, int method)
{
    mp_process_init(p, NULL, fn, NULL);
    p->start = method;
    assert_int_equal(mp_process_pass_fd(p, seg.fd), 0);
    assert_int_equal(mp_process_start(p), 0);
}

/* The fork server is a child too: stopped before counting children. */
static void no_children_left(void)
{
    mp_forkserver_stop();
    assert_no_children();
}

static int teardown(void **state)
{
    mp_forkserver_stop();
    return teardown_children(state);
}

static void join_ok(mp_process *p)
{
    assert_int_equal(mp_process_join(p, 60.0), 0);
    assert_int_equal(p->exitcode, 0);
}

/* ---- Lock ---- */

typedef struct counting { mp_lock *lock; volatile long *counter; int n; } counting;
static void *count_in_thread(void *arg)
{
    counting *c = arg;
    for (int i = 0; i < c->n; i++) {
        if (mp_lock_acquire(c->lock, 30) != 0)
            return (void *)1;
        bump(c->counter);
        mp_lock_release(c->lock);
    }
    return NULL;
}

/* Four threads, then two processes of each start method, increment one
 * counter under the lock: not one increment is lost. */
static void test_lock_excludes(void **state)
{
    (void)state;
    make_shared();
    mp_thread t[4];
    counting c = {&sh->lock, &sh->counter, CHILD_INCREMENTS};
    for (int i = 0; i < 4; i++) {
        mp_thread_init(&t[i], "counter", count_in_thread, &c);
        assert_int_equal(mp_thread_start(&t[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *r;
        assert_int_equal(mp_thread_join(&t[i], &r), 0);
        assert_null(r);
    }
    assert_int_equal(sh->counter, 4 * CHILD_INCREMENTS);
    for (int m = MP_START_FORK; m <= MP_START_FORKSERVER; m++) {
        sh->counter = 0;
        mp_process p[2];
        for (int i = 0; i < 2; i++)
            start_child(&p[i], child_count, m);
        for (int i = 0; i < 2; i++)
            join_ok(&p[i]);
        if (sh->counter != 2 * CHILD_INCREMENTS)
            fail_msg("%s: counter %ld, want %d", mp_start_names[m], sh->counter, 2 * CHILD_INCREMENTS);
    }
    free_shared();
    no_children_left();
}

static void *try_release(void *arg) { return (void *)(intptr_t)mp_lock_release(arg); }
static void *try_acquire_now(void *arg) { return (void *)(intptr_t)mp_lock_acquire(arg, 0); }
static void *acquire_release(void *arg)
{
    int rc = mp_lock_acquire(arg, 0);
    if (rc == 0)
        rc = mp_lock_release(arg);
    return (void *)(intptr_t)rc;
}

/* Its errors: held by another thread, a release there is -EPERM and a try
 * is -EAGAIN; the holder's second acquire is -EDEADLK; a timed acquire
 * waits its time, then -ETIMEDOUT. */
static void test_lock_errors_and_timeout(void **state)
{
    (void)state;
    mp_lock l;
    assert_int_equal(mp_lock_init(&l, 7, NULL), -EINVAL);
    assert_int_equal(mp_lock_init(&l, MP_LOCK, NULL), 0);
    assert_int_equal(mp_lock_release(&l), -EPERM); /* not held */
    assert_int_equal(mp_lock_acquire(&l, -1), 0);
    assert_int_equal(mp_lock_acquire(&l, 1), -EDEADLK);
    mp_thread t;
    void *r;
    mp_thread_init(&t, "other", try_release, &l);
    assert_int_equal(mp_thread_start(&t), 0);
    assert_int_equal(mp_thread_join(&t, &r), 0);
    assert_int_equal((intptr_t)r, -EPERM);
    mp_thread_init(&t, "other", try_acquire_now, &l);
    assert_int_equal(mp_thread_start(&t), 0);
    assert_int_equal(mp_thread_join(&t, &r), 0);
    assert_int_equal((intptr_t)r, -EAGAIN);
    assert_int_equal(mp_lock_release(&l), 0);
    mp_lock_destroy(&l);
}

static void *timed_acquire(void *arg)
{
    uint64_t t0 = mp_now_ns();
    int rc = mp_lock_acquire(arg, 0.2);
    if (rc == 0)
        mp_lock_release(arg);
    return (void *)(intptr_t)(rc == -ETIMEDOUT && mp_now_ns() - t0 >= 200000000ull ? 1 : rc);
}

static void test_lock_timeout(void **state)
{
    (void)state;
    mp_lock l;
    assert_int_equal(mp_lock_init(&l, MP_LOCK, NULL), 0);
    assert_int_equal(mp_lock_acquire(&l, -1), 0);
    mp_thread t;
    void *r;
    mp_thread_init(&t, "waiter", timed_acquire, &l);
    assert_int_equal(mp_thread_start(&t), 0);
    assert_int_equal(mp_thread_join(&t, &r), 0);
    assert_int_equal((intptr_t)r, 1); /* -ETIMEDOUT, after at least 0.2 s */
    assert_int_equal(mp_lock_release(&l), 0);
}

/* ---- RLock ---- */

static void test_rlock_ownership(void **state)
{
    (void)state;
    mp_lock l;
    assert_int_equal(mp_lock_init(&l, MP_RLOCK, NULL), 0);
    assert_int_equal(mp_lock_acquire(&l, -1), 0);
    assert_int_equal(mp_lock_acquire(&l, -1), 0); /* again, the same thread: fine */
    mp_thread t;
    void *r;
    mp_thread_init(&t, "other", try_release, &l);
    assert_int_equal(mp_thread_start(&t), 0);
    assert_int_equal(mp_thread_join(&t, &r), 0);
    assert_int_equal((intptr_t)r, -EPERM); /* not the owner */
    assert_int_equal(mp_lock_release(&l), 0);
    mp_thread_init(&t, "other", try_acquire_now, &l);
    assert_int_equal(mp_thread_start(&t), 0);
    assert_int_equal(mp_thread_join(&t, &r), 0);
    assert_int_equal((intptr_t)r, -EAGAIN); /* still held once */
    assert_int_equal(mp_lock_release(&l), 0);
    assert_int_equal(mp_lock_release(&l), -EPERM); /* one release too many */
    mp_thread_init(&t, "other", acquire_release, &l);
    assert_int_equal(mp_thread_start(&t), 0);
    assert_int_equal(mp_thread_join(&t, &r), 0);
    assert_int_equal((intptr_t)r, 0); /* free now */
    mp_lock_destroy(&l);
}

/* ---- a holder SIGKILLed ---- */

/* A child takes the Lock (and the RLock twice), then is SIGKILLed: the
 * next acquirer is told -EOWNERDEAD, holds the lock, and from then on it
 * works as before. CPython's Lock would stay taken forever. */
static void test_owner_killed(void **state)
{
    (void)state;
    for (int m = MP_START_FORK; m <= MP_START_FORKSERVER; m++) {
        make_shared();
        mp_process p;
        start_child(&p, child_die_holding, m);
        assert_int_equal(mp_process_join(&p, 30.0), 0);
        assert_int_equal(p.exitcode, -SIGKILL);
        assert_int_equal(sh->counter, -1);
        assert_int_equal(mp_lock_acquire(&sh->lock, 10), -EOWNERDEAD);
        sh->counter = 0; /* repair what the dead owner left */
        assert_int_equal(mp_lock_release(&sh->lock), 0);
        assert_int_equal(mp_lock_acquire(&sh->lock, 10), 0);
        assert_int_equal(mp_lock_release(&sh->lock), 0);
        assert_int_equal(mp_lock_acquire(&sh->rlock, 10), -EOWNERDEAD);
        assert_int_equal(mp_lock_release(&sh->rlock), 0); /* once: the dead owner's levels are gone */
        assert_int_equal(mp_lock_acquire(&sh->rlock, 0), 0);
        assert_int_equal(mp_lock_release(&sh->rlock), 0);
        free_shared();
    }
    no_children_left();
}

/* ---- Semaphore, Event ---- */

static void test_semaphore(void **state)
{
    (void)state;
    mp_sem s;
    assert_int_equal(mp_sem_init(&s, -1, false, NULL), -EINVAL);
    assert_int_equal(mp_sem_init(&s, 2, false, NULL), 0);
    assert_int_equal(mp_sem_acquire(&s, 0), 0);
    assert_int_equal(mp_sem_acquire(&s, -1), 0);
    assert_int_equal(mp_sem_acquire(&s, 0), -EAGAIN);
    uint64_t t0 = mp_now_ns();
    assert_int_equal(mp_sem_acquire(&s, 0.1), -ETIMEDOUT);
    assert_true(mp_now_ns() - t0 >= 100000000ull);
    assert_int_equal(mp_sem_release(&s), 0);
    assert_int_equal(mp_sem_release(&s), 0);
    assert_int_equal(mp_sem_release(&s), 0); /* unbounded: above its start, fine */
    assert_int_equal(mp_sem_value(&s), 3);
    mp_sem_destroy(&s);

    mp_sem b;
    assert_int_equal(mp_sem_init(&b, 1, true, NULL), 0);
    assert_int_equal(mp_sem_release(&b), -EOVERFLOW); /* Python's ValueError */
    assert_int_equal(mp_sem_acquire(&b, 0), 0);
    assert_int_equal(mp_sem_release(&b), 0);
    assert_int_equal(mp_sem_release(&b), -EOVERFLOW);
    assert_int_equal(mp_sem_value(&b), 1);
    mp_sem_destroy(&b);
}

/* A child of each start method releases the semaphore and sets the event
 * the parent waits on. */
static void test_semaphore_and_event_between_processes(void **state)
{
    (void)state;
    for (int m = MP_START_FORK; m <= MP_START_FORKSERVER; m++) {
        make_shared();
        assert_false(mp_event_is_set(&sh->ev));
        assert_int_equal(mp_event_wait(&sh->ev, 0), -ETIMEDOUT);
        mp_process p;
        start_child(&p, child_release_and_set, m);
        assert_int_equal(mp_sem_acquire(&sh->sem, 30), 0);
        assert_int_equal(mp_event_wait(&sh->ev, 30), 0);
        assert_true(mp_event_is_set(&sh->ev));
        join_ok(&p);
        mp_event_clear(&sh->ev);
        uint64_t t0 = mp_now_ns();
        assert_int_equal(mp_event_wait(&sh->ev, 0.1), -ETIMEDOUT);
        assert_true(mp_now_ns() - t0 >= 100000000ull);
        free_shared();
    }
    no_children_left();
}

/* Between threads: Semaphore(2) lets at most two of four in at once
 * (each stays 20 ms, so the others do try while two are in), and one
 * set() wakes every waiter of an Event at once. */
typedef struct room { mp_sem *sem; atomic_int inside, most, passed; } room;
static void *visit(void *arg)
{
    room *r = arg;
    if (mp_sem_acquire(r->sem, 30) != 0)
        return (void *)1;
    int n = atomic_fetch_add(&r->inside, 1) + 1;
    for (int m = atomic_load(&r->most); n > m && !atomic_compare_exchange_weak(&r->most, &m, n);)
        ;
    mp_sleep_ns(20000000);
    atomic_fetch_sub(&r->inside, 1);
    atomic_fetch_add(&r->passed, 1);
    return (void *)(intptr_t)mp_sem_release(r->sem);
}

static atomic_int woken;
static void *wait_event(void *arg)
{
    int rc = mp_event_wait(arg, 20);
    atomic_fetch_add(&woken, 1);
    return (void *)(intptr_t)rc;
}

static void test_semaphore_and_event_between_threads(void **state)
{
    (void)state;
    mp_sem s;
    assert_int_equal(mp_sem_init(&s, 2, true, NULL), 0);
    room r = {.sem = &s};
    mp_thread t[4];
    for (int i = 0; i < 4; i++) {
        mp_thread_init(&t[i], "visitor", visit, &r);
        assert_int_equal(mp_thread_start(&t[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *rc;
        assert_int_equal(mp_thread_join(&t[i], &rc), 0);
        assert_null(rc);
    }
    assert_int_equal(atomic_load(&r.passed), 4);
    assert_true(atomic_load(&r.most) >= 1 && atomic_load(&r.most) <= 2);
    assert_int_equal(mp_sem_value(&s), 2);
    mp_sem_destroy(&s);

    mp_sync_event e;
    assert_int_equal(mp_event_init(&e, NULL), 0);
    atomic_store(&woken, 0);
    for (int i = 0; i < 3; i++) {
        mp_thread_init(&t[i], "waiter", wait_event, &e);
        assert_int_equal(mp_thread_start(&t[i]), 0);
    }
    mp_sleep_ns(20000000);
    mp_event_set(&e); /* wakes all three: one left asleep would wait 20 s, the parent gives them 10 */
    for (int i = 0; i < 1000 && atomic_load(&woken) < 3; i++)
        mp_sleep_ns(10000000);
    assert_int_equal(atomic_load(&woken), 3);
    for (int i = 0; i < 3; i++) {
        void *rc;
        assert_int_equal(mp_thread_join(&t[i], &rc), 0);
        assert_int_equal((intptr_t)rc, 0);
    }
    mp_event_destroy(&e);
}

/* ---- Condition ---- */

static bool have_all(void *ctx) { return *(long *)ctx >= PRODUCED; }

/* A producer process notifies after each item; the parent waits_for all of
 * them. Also: waiting without holding the lock is -EPERM, and wait_for
 * whose predicate never holds times out after its time. */
static void test_condition(void **state)
{
    (void)state;
    for (int m = MP_START_FORK; m <= MP_START_FORKSERVER; m++) {
        make_shared();
        assert_int_equal(mp_cond_wait(&sh->cond, 0.1), -EPERM);
        assert_int_equal(mp_lock_acquire(&sh->cond_lock, -1), 0);
        mp_process p;
        start_child(&p, child_produce, m);
        assert_int_equal(mp_cond_wait_for(&sh->cond, have_all, &sh->items, 30), 0);
        assert_int_equal(sh->items, PRODUCED);
        assert_int_equal(mp_lock_release(&sh->cond_lock), 0);
        join_ok(&p);
        free_shared();
    }
    /* an RLock held twice is given up entirely while waiting */
    mp_lock r;
    mp_cond c;
    long never = 0;
    assert_int_equal(mp_lock_init(&r, MP_RLOCK, NULL), 0);
    assert_int_equal(mp_cond_init(&c, &r, NULL), 0);
    assert_int_equal(mp_lock_acquire(&r, -1), 0);
    assert_int_equal(mp_lock_acquire(&r, -1), 0);
    uint64_t t0 = mp_now_ns();
    assert_int_equal(mp_cond_wait_for(&c, have_all, &never, 0.1), -ETIMEDOUT);
    assert_true(mp_now_ns() - t0 >= 100000000ull);
    assert_int_equal(mp_lock_release(&r), 0);
    assert_int_equal(mp_lock_release(&r), 0); /* both levels back after the wait */
    assert_int_equal(mp_lock_release(&r), -EPERM);
    no_children_left();
}

/* A waiter whose lock was taken by a process that then died holding it:
 * the wait returns -EOWNERDEAD holding the lock, and the lock works again.
 * (The parent holds the lock until its wait gives it up, so the child
 * takes it only then.) */
static void test_condition_owner_killed(void **state)
{
    (void)state;
    for (int m = MP_START_FORK; m <= MP_START_FORKSERVER; m++) {
        make_shared();
        assert_int_equal(mp_lock_acquire(&sh->cond_lock, -1), 0);
        mp_process p;
        start_child(&p, child_notify_and_die, m);
        assert_int_equal(mp_cond_wait(&sh->cond, 30), -EOWNERDEAD);
        assert_int_equal(sh->items, -1);
        sh->items = 0; /* repair what the dead owner left */
        assert_int_equal(mp_lock_release(&sh->cond_lock), 0);
        assert_int_equal(mp_process_join(&p, 30.0), 0);
        assert_int_equal(p.exitcode, -SIGKILL);
        assert_int_equal(mp_lock_acquire(&sh->cond_lock, 0), 0);
        assert_int_equal(mp_lock_release(&sh->cond_lock), 0);
        free_shared();
    }
    no_children_left();
}

/* Between threads: notify(1) lets one of three waiters take the one
 * ticket, notify(2) the other two theirs (a taker leaves with its ticket,
 * so it cannot swallow a later notify); then notify_all wakes three other
 * waiters at once. Each waits in a loop of 20 s waits, so a notify that
 * woke too few leaves a ticket untaken for 20 s: the parent gives them 10. */
typedef struct tickets {
    mp_lock lock;
    mp_cond cond;
    int ready;                    /* threads that have taken the lock: waiting once it is free */
    int tickets, taken, go, gone; /* guarded by lock */
} tickets;

static void *take_ticket(void *arg)
{
    tickets *k = arg;
    intptr_t rc = mp_lock_acquire(&k->lock, 30);
    if (rc == 0)
        k->ready++;
    while (rc == 0 && k->tickets == 0)
        rc = mp_cond_wait(&k->cond, 20);
    if (rc == 0) {
        k->tickets--;
        k->taken++;
        mp_lock_release(&k->lock);
    }
    return (void *)rc;
}

static void *wait_go(void *arg)
{
    tickets *k = arg;
    intptr_t rc = mp_lock_acquire(&k->lock, 30);
    if (rc == 0)
        k->ready++;
    while (rc == 0 && !k->go)
        rc = mp_cond_wait(&k->cond, 20);
    if (rc == 0) {
        k->gone++;
        mp_lock_release(&k->lock);
    }
    return (void *)rc;
}

static int read_locked(tickets *k, int *field)
{
    assert_int_equal(mp_lock_acquire(&k->lock, -1), 0);
    int v = *field;
    assert_int_equal(mp_lock_release(&k->lock), 0);
    return v;
}

static void wait_count(tickets *k, int *field, int want)
{
    for (int i = 0; i < 1000 && read_locked(k, field) < want; i++)
        mp_sleep_ns(10000000);
    assert_int_equal(read_locked(k, field), want);
}

static void join_all_zero(mp_thread *t, int n)
{
    for (int i = 0; i < n; i++) {
        void *rc;
        assert_int_equal(mp_thread_join(&t[i], &rc), 0);
        assert_int_equal((intptr_t)rc, 0);
    }
}

static void test_condition_notify_between_threads(void **state)
{
    (void)state;
    tickets k = {0};
    assert_int_equal(mp_lock_init(&k.lock, MP_LOCK, NULL), 0);
    assert_int_equal(mp_cond_init(&k.cond, &k.lock, NULL), 0);
    mp_thread t[3];
    for (int i = 0; i < 3; i++) {
        mp_thread_init(&t[i], "taker", take_ticket, &k);
        assert_int_equal(mp_thread_start(&t[i]), 0);
    }
    wait_count(&k, &k.ready, 3); /* the lock is free again: all three wait */
    const int give[2] = {1, 2};
    for (int round = 0; round < 2; round++) {
        assert_int_equal(mp_lock_acquire(&k.lock, -1), 0);
        k.tickets += give[round];
        mp_cond_notify(&k.cond, give[round]);
        assert_int_equal(mp_lock_release(&k.lock), 0);
        wait_count(&k, &k.taken, round == 0 ? 1 : 3);
    }
    join_all_zero(t, 3);

    k.ready = 0;
    for (int i = 0; i < 3; i++) {
        mp_thread_init(&t[i], "waiter", wait_go, &k);
        assert_int_equal(mp_thread_start(&t[i]), 0);
    }
    wait_count(&k, &k.ready, 3);
    assert_int_equal(mp_lock_acquire(&k.lock, -1), 0);
    k.go = 1;
    mp_cond_notify_all(&k.cond);
    assert_int_equal(mp_lock_release(&k.lock), 0);
    wait_count(&k, &k.gone, 3);
    join_all_zero(t, 3);
    mp_cond_destroy(&k.cond);
    mp_lock_destroy(&k.lock);
}

/* ---- Barrier ---- */

typedef struct party { mp_barrier *b; double timeout; int r; } party;
static void *barrier_party(void *arg)
{
    party *p = arg;
    p->r = mp_barrier_wait(p->b, p->timeout);
    return NULL;
}

/* Three threads, two rounds: each round every index 0..2 once and the
 * action once; then three processes (fork, spawn) the same. */
static void test_barrier_rounds(void **state)
{
    (void)state;
    make_shared();
    assert_int_equal(mp_barrier_init(&sh->bar, 0, NULL, NULL), -EINVAL);
    assert_int_equal(mp_barrier_init(&sh->bar, 3, "count_action", NULL), 0);
    for (int round = 1; round <= 2; round++) {
        party p[3];
        mp_thread t[3];
        for (int i = 0; i < 3; i++) {
            p[i] = (party){&sh->bar, 30, -99};
            mp_thread_init(&t[i], "party", barrier_party, &p[i]);
            assert_int_equal(mp_thread_start(&t[i]), 0);
        }
        int seen = 0;
        for (int i = 0; i < 3; i++) {
            assert_int_equal(mp_thread_join(&t[i], NULL), 0);
            assert_true(p[i].r >= 0 && p[i].r < 3);
            seen |= 1 << p[i].r;
        }
        assert_int_equal(seen, 7);
        assert_int_equal(atomic_load(&sh->actions), round);
    }
    for (int m = MP_START_FORK; m <= MP_START_FORKSERVER; m++) {
        atomic_store(&sh->slot, 0);
        atomic_store(&sh->actions, 0);
        mp_process p[2];
        for (int i = 0; i < 2; i++)
            start_child(&p[i], child_barrier, m);
        int r = mp_barrier_wait(&sh->bar, 30);
        assert_true(r >= 0 && r < 3);
        for (int i = 0; i < 2; i++)
            join_ok(&p[i]);
        assert_int_equal((1 << r) | (1 << sh->index[0]) | (1 << sh->index[1]), 7);
        assert_int_equal(atomic_load(&sh->actions), 1); /* in whichever process came last */
    }
    free_shared();
    no_children_left();
}

/* abort: the waiter gets -EPIPE and so does anyone after; reset makes it
 * usable again (and fails a waiter caught by it); a timeout breaks it:
 * -ETIMEDOUT for the one who timed out, -EPIPE for the others. */
static void test_barrier_broken(void **state)
{
    (void)state;
    mp_barrier b;
    assert_int_equal(mp_barrier_init(&b, 2, NULL, NULL), 0);
    party p = {&b, 30, -99};
    mp_thread t;
    mp_thread_init(&t, "party", barrier_party, &p);
    assert_int_equal(mp_thread_start(&t), 0);
    for (int i = 0; i < 10000 && mp_barrier_n_waiting(&b) < 1; i++)
        mp_sleep_ns(1000000);
    mp_barrier_abort(&b);
    assert_int_equal(mp_thread_join(&t, NULL), 0);
    assert_int_equal(p.r, -EPIPE);
    assert_true(mp_barrier_broken(&b));
    assert_int_equal(mp_barrier_wait(&b, 1), -EPIPE);

    mp_barrier_reset(&b);
    assert_false(mp_barrier_broken(&b));
    p.r = -99;
    mp_thread_init(&t, "party", barrier_party, &p);
    assert_int_equal(mp_thread_start(&t), 0);
    for (int i = 0; i < 10000 && mp_barrier_n_waiting(&b) < 1; i++)
        mp_sleep_ns(1000000);
    mp_barrier_reset(&b); /* caught waiting */
    assert_int_equal(mp_thread_join(&t, NULL), 0);
    assert_int_equal(p.r, -EPIPE);
    assert_false(mp_barrier_broken(&b));

    party q = {&b, 30, -99};
    mp_thread_init(&t, "party", barrier_party, &q);
    assert_int_equal(mp_thread_start(&t), 0);
    assert_true(mp_barrier_wait(&b, 30) >= 0); /* works again */
    assert_int_equal(mp_thread_join(&t, NULL), 0);
    assert_true(q.r >= 0);

    uint64_t t0 = mp_now_ns();
    assert_int_equal(mp_barrier_wait(&b, 0.1), -ETIMEDOUT); /* alone: times out */
    assert_true(mp_now_ns() - t0 >= 100000000ull);
    assert_true(mp_barrier_broken(&b));
    assert_int_equal(mp_barrier_wait(&b, 1), -EPIPE);
    mp_barrier_destroy(&b);

    /* an action not registered breaks it */
    assert_int_equal(mp_barrier_init(&b, 1, "no_such_action", NULL), 0);
    assert_int_equal(mp_barrier_wait(&b, 1), -EPIPE);
    mp_barrier_destroy(&b);
}

/* ---- on the trace ---- */

/* A named lock records "wait NAME" and "hold NAME" spans. */
static void test_named_lock_on_trace(void **state)
{
    (void)state;
    assert_int_equal(mp_trace_init(4, 64), 0);
    mp_trace_enable(true);
    mp_lock l;
    assert_int_equal(mp_lock_init(&l, MP_LOCK, "balance"), 0);
    assert_int_equal(mp_lock_acquire(&l, -1), 0);
    assert_int_equal(mp_lock_release(&l), 0);
    mp_trace_enable(false);
    char *dir = make_tmpdir();
    assert_true(mp_trace_write(dir, "t", "t", true) >= 0); /* 1: the plot skipped, as asked */
    char path[4200];
    snprintf(path, sizeof path, "%s/t.json", dir);
    char *json = read_file(path);
    assert_non_null(json);
    assert_non_null(strstr(json, "wait balance"));
    assert_non_null(strstr(json, "hold balance"));
    free(json);
    rm_tree(dir);
    mp_trace_close();
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_lock_excludes, teardown),
        cmocka_unit_test(test_lock_errors_and_timeout),
        cmocka_unit_test(test_lock_timeout),
        cmocka_unit_test(test_rlock_ownership),
        cmocka_unit_test_teardown(test_owner_killed, teardown),
        cmocka_unit_test(test_semaphore),
        cmocka_unit_test(test_semaphore_and_event_between_threads),
        cmocka_unit_test_teardown(test_semaphore_and_event_between_processes, teardown),
        cmocka_unit_test_teardown(test_condition, teardown),
        cmocka_unit_test_teardown(test_condition_owner_killed, teardown),
        cmocka_unit_test(test_condition_notify_between_threads),
        cmocka_unit_test_teardown(test_barrier_rounds, teardown),
        cmocka_unit_test(test_barrier_broken),
        cmocka_unit_test(test_named_lock_on_trace),
    };
    return cmocka_run_group_tests_name("sync", tests, NULL, NULL);
}
