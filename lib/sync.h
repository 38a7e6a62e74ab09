/* sync: locks and the other ways threads and processes wait for each other.
 *
 * Layer 4 (the Python-shaped primitives). Mirrors threading's and
 * multiprocessing's Lock, RLock, Semaphore, BoundedSemaphore, Event,
 * Condition and Barrier. Each works between threads and between processes
 * of every start method, and every wait takes a timeout.
 *
 * Where the objects live. Each is a plain struct, placed wherever everyone
 * who uses it can see it: between threads, anywhere (a global, the heap);
 * between processes, in shared memory (shm.h). A forked child sees the
 * parent's segments at the same addresses; a spawned or forkserver child is
 * handed the segment (mp_process_pass_fd(&p, seg.fd)), attaches it
 * (mp_shm_attach) and finds the object at the same offset. Initialise an
 * object once, before anyone else uses it, and never copy it: a copy is
 * another object. Python hides this (a Lock pickled to a child carries the
 * name of its semaphore); in C you see where the memory is.
 *
 *     mp_shm seg;  mp_shm_create(&seg, "lock", sizeof(mp_lock));
 *     mp_lock *lock = seg.p;  mp_lock_init(lock, MP_LOCK, "balance");
 *
 * Underneath: POSIX process-shared robust mutexes and condition variables
 * (pthread_mutexattr_setpshared, _setrobust; condition variables on the
 * monotonic clock). Robust: when a process (or thread) dies holding a
 * mutex, the kernel marks it, the next acquirer is told (-EOWNERDEAD) and
 * the lock is usable again. CPython's multiprocessing.Lock is a POSIX
 * semaphore, which has no owner: a process killed holding it leaves it
 * taken forever. Why robust pthread mutexes rather than a hand-made futex
 * with the owner's thread ID in it: the kernel already keeps, per thread,
 * the list of robust mutexes it holds and marks them when the thread or
 * its process dies (no polling for dead owners, no PID reuse to worry
 * about), and glibc gives timed waits and condition variables on top.
 * The cost: a struct of 40 bytes for the mutex and 48 for a condition.
 *
 * Statuses: 0; -ETIMEDOUT (the timeout passed); -EAGAIN (timeout 0: would
 * have waited); -EOWNERDEAD (acquired, but its last owner died holding it:
 * the data it guards may be half-updated); -EPERM (released by a thread
 * that does not hold it); -EOVERFLOW (a BoundedSemaphore released once too
 * often: Python's ValueError); -EPIPE (a broken Barrier: Python's
 * BrokenBarrierError). timeout_s < 0 waits as long as it takes.
 *
 * Differences from Python, on purpose:
 *  - Lock has an owner: releasing it from another thread is -EPERM (Python
 *    allows it), and acquiring it again in the thread that holds it is
 *    -EDEADLK at once (Python would wait forever).
 *  - A Barrier's action is a function registered by name (MP_TASK, pool.h)
 *    so that the last thread to arrive can run it in any process, a spawned
 *    one included.
 *
 * Tracing: an object given a name at init records, when tracing is on
 * (trace.h), a span "wait NAME" from the start of a wait until it ends, and
 * for a lock "hold NAME" from acquire to release, in the lane of the thread
 * concerned: a timeline shows who waited for what, and for how long.
 */
#ifndef MP_SYNC_H
#define MP_SYNC_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define MP_SYNC_NAME 24 /* a traced object's name, with its terminating 0 */

/* ---- Lock and RLock ----
 * threading.Lock / RLock and multiprocessing.Lock / RLock. acquire(True,
 * timeout) is mp_lock_acquire(l, timeout_s) (-1: block, 0: Python's
 * blocking=False), 0 for True and -ETIMEDOUT / -EAGAIN for False. RLock:
 * the owner may acquire again and must release as often; a release by
 * another thread is -EPERM (Python: RuntimeError). Lock differs from
 * Python as listed above (an owner; -EDEADLK). -EOWNERDEAD: see above; the
 * dead owner's RLock levels are forgotten (one release frees it). */
enum { MP_LOCK = 0, MP_RLOCK = 1 };
typedef struct mp_lock {
    pthread_mutex_t m;
    int kind;
    _Atomic int owner;         /* the kernel thread ID holding it, 0 if none */
    int depth;                 /* how many times its owner holds it (RLock: maybe more than 1) */
    unsigned long long held_ns; /* when its owner took it (for the hold span) */
    char name[MP_SYNC_NAME];   /* "" : not traced */
} mp_lock;
/* kind MP_LOCK or MP_RLOCK; name NULL or "": not traced. 0 or -errno. */
int mp_lock_init(mp_lock *l, int kind, const char *name);
int mp_lock_acquire(mp_lock *l, double timeout_s);
int mp_lock_release(mp_lock *l);
void mp_lock_destroy(mp_lock *l); /* when nobody uses it any more */

/* ---- Semaphore and BoundedSemaphore ----
 * threading/multiprocessing Semaphore(value) and BoundedSemaphore(value).
 * release() adds one (Python 3.9's release(n) is n calls); a
 * BoundedSemaphore released above its initial value is -EOVERFLOW
 * (Python: ValueError). mp_sem_value is multiprocessing's get_value().
 * Like Python's, a semaphore has no owner: a unit taken by a process that
 * then dies is gone for good (a timed acquire times out instead of hanging). */
typedef struct mp_monitor { /* a robust mutex and its condition: the rest are built on it */
    pthread_mutex_t m;
    pthread_cond_t c;
} mp_monitor;

typedef struct mp_sem {
    mp_monitor mon;
    long value, initial;
    bool bounded;
    char name[MP_SYNC_NAME];
} mp_sem;
/* value >= 0; bounded: a release above `value` is -EOVERFLOW. */
int mp_sem_init(mp_sem *s, long value, bool bounded, const char *name);
int mp_sem_acquire(mp_sem *s, double timeout_s);
int mp_sem_release(mp_sem *s);
long mp_sem_value(mp_sem *s); /* now; another thread may change it at once */
void mp_sem_destroy(mp_sem *s);

/* ---- Event ----
 * threading/multiprocessing Event: set, clear, is_set, wait(timeout) --
 * 0 where Python returns True, -ETIMEDOUT where it returns False. */
typedef struct mp_sync_event { /* threading.Event (trace.h has the other mp_event: a record) */
    mp_monitor mon;
    bool flag;
    char name[MP_SYNC_NAME];
} mp_sync_event;
int mp_event_init(mp_sync_event *e, const char *name);
void mp_event_set(mp_sync_event *e);   /* wakes every waiter */
void mp_event_clear(mp_sync_event *e);
bool mp_event_is_set(mp_sync_event *e);
/* 0 once the flag is set (at once if it is), -ETIMEDOUT otherwise. */
int mp_event_wait(mp_sync_event *e, double timeout_s);
void mp_event_destroy(mp_sync_event *e);

/* ---- Condition ----
 * threading/multiprocessing Condition(lock): wait, wait_for, notify(n),
 * notify_all. Differences: the lock is always given (Python makes an
 * RLock when none is); notify does not check that the caller holds the
 * lock (Python raises RuntimeError) -- hold it anyway, or a waiter that
 * has checked its predicate but not yet slept misses the notify. */
typedef struct mp_cond {
    pthread_cond_t c;
    long lock_off; /* where its lock is, from the condition: the same in every
                    * process, wherever each one maps the segment */
    char name[MP_SYNC_NAME];
} mp_cond;
/* A condition over `lock` (Python's Condition(lock)). Between processes the
 * lock and the condition live in the same shared segment. */
int mp_cond_init(mp_cond *c, mp_lock *lock, const char *name);
/* Called holding the lock (else -EPERM): release it (every level of an
 * RLock), sleep until notified or timed out, take it back. 0 (notified, or a
 * spurious wake-up: check your state), -ETIMEDOUT, -EOWNERDEAD (the lock is
 * held again, but a process or thread died holding it meanwhile: the state
 * it guards may be half-updated). */
int mp_cond_wait(mp_cond *c, double timeout_s);
/* Python's wait_for: wait until pred(ctx) is true, rechecking after every
 * wake-up. 0 when it is, -ETIMEDOUT when the time ran out first (pred
 * still false), -EPERM or -EOWNERDEAD as mp_cond_wait (the lock held). */
int mp_cond_wait_for(mp_cond *c, bool (*pred)(void *ctx), void *ctx, double timeout_s);
void mp_cond_notify(mp_cond *c, int n); /* wakes up to n waiters */
void mp_cond_notify_all(mp_cond *c);
void mp_cond_destroy(mp_cond *c);

/* ---- Barrier ----
 * threading/multiprocessing Barrier(parties, action, timeout): wait
 * returns the arrival index, abort, reset, broken, n_waiting, parties.
 * Python's BrokenBarrierError is -EPIPE. Differences: the party whose own
 * timeout ran out gets -ETIMEDOUT (Python raises BrokenBarrierError there
 * too; either way the barrier is broken for everyone); the action is a
 * name (see above), and one not registered breaks the barrier where
 * Python's raising action would. A party that dies before arriving is
 * waited for until the others' timeouts, as in Python. */
typedef struct mp_barrier {
    mp_monitor mon;
    int parties;
    int count;            /* arrived in this round */
    bool broken;
    unsigned long round;  /* rounds completed: a waiter leaves when it moves on */
    unsigned long resets; /* mp_barrier_reset calls: a waiter caught by one fails */
    char action[48];   /* a function registered with MP_TASK, "" for none */
    char name[MP_SYNC_NAME];
} mp_barrier;
/* parties >= 1; action: the name of a void fn(void) registered with
 * MP_TASK(fn) (pool.h), run by the last to arrive before anyone leaves, or
 * NULL. An action that is not registered in the process that would run it
 * breaks the barrier. */
int mp_barrier_init(mp_barrier *b, int parties, const char *action, const char *name);
/* Wait for the other parties: returns this party's arrival index (0 for the
 * first to arrive, parties - 1 for the last), -EPIPE if the barrier is or
 * becomes broken (abort, reset during the wait, another party's timeout),
 * -ETIMEDOUT for the party whose timeout ran out (which breaks it). */
int mp_barrier_wait(mp_barrier *b, double timeout_s);
void mp_barrier_abort(mp_barrier *b);  /* break it: every waiter gets -EPIPE */
void mp_barrier_reset(mp_barrier *b);  /* waiters get -EPIPE; then usable again */
bool mp_barrier_broken(mp_barrier *b);
int mp_barrier_n_waiting(mp_barrier *b);
void mp_barrier_destroy(mp_barrier *b);

#endif
