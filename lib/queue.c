/* queue: a bounded ring of fixed-size slots in one shared segment, with a
 * sequence number per slot (D. Vyukov's bounded MPMC queue), futex sleeps,
 * and a table of users that lets a waiter finish what a dead user left
 * half done. lib/queue.h says what it promises; this file says how. */
#define _GNU_SOURCE /* syscall(SYS_futex), SYS_gettid, SYS_tgkill: Linux-specific */
#include "queue.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>

#include "clock.h"
#include "procfs.h"
#include "report.h"
#include "trace.h"

#define QUEUE_MAGIC 0x3145555155514d50ull /* "PMQUEUQ1" */
#define QUEUE_VERSION 2u
#define LINE 64

/* Positions count puts (enq) and gets (deq) since creation; they never wrap
 * (2^60 operations is centuries). The top bits carry flags. */
#define POS_MASK ((UINT64_C(1) << 60) - 1)
#define ENQ_CLOSED (UINT64_C(1) << 63) /* in enq: closed, so no put can claim a position after it */
#define SEQ_DEAD (UINT64_C(1) << 63)   /* in a slot's seq: its producer died before publishing it */
#define OP_PUT (UINT64_C(1) << 62)     /* in a user's pending word: the operation and its position */
#define OP_GET (UINT64_C(2) << 62)

/* How a waiter waits: SPINS looks at one word, a pause apart (yielding
 * now and then after the first 64), then futex sleeps of at most SLICE
 * (IN_FLIGHT when the operation it waits for is under way: see
 * "Publishing"), so that no lost wake-up or dead peer can hold it for long.
 * After GRACE of waiting, and then on every wake-up, it looks for dead
 * users. */
#define SPINS 200
#define SLICE_NS 100000000ull /* 100 ms */
#define GRACE_NS 50000000ull  /* 50 ms */
#define IN_FLIGHT_NS 1000000ull /* 1 ms */

/* One user: a thread of some process, registered on its first put or get. */
struct user {
    _Atomic uint64_t owner;   /* generation << 32 | pid; pid 0: the entry is free */
    _Atomic uint64_t pending; /* OP_PUT|pos or OP_GET|pos while it works on pos; 0 otherwise */
    _Atomic int32_t tid;
    _Atomic int64_t owed; /* joinable: items this thread got, less its task_done calls */
    char pad[LINE - 28];
};

struct slot {
    _Atomic uint64_t seq; /* pos: free for the put at pos; pos+1: holds the item for the get at pos */
    uint32_t len;
    /* the item's bytes follow, item_max of them, then padding to a line */
};

/* A futex word ("something happened, look again") and who waits on it. */
struct event {
    _Alignas(LINE) _Atomic uint32_t ev;
    _Atomic uint32_t waiters; /* counted before they look at the state, so a waker knows to bump ev */
    _Atomic uint32_t asleep;  /* of those, in (or entering) futex_wait, so a waker knows to call FUTEX_WAKE */
};

struct mp_queue_shared {
    uint64_t magic;
    uint32_t version, nusers;
    uint64_t maxsize, item_max, slot_bytes, bytes;
    uint64_t nslots; /* maxsize, but at least 2: one slot cannot tell "full at pos" from "free at pos+1" */
    uint64_t mask;   /* nslots - 1 when nslots is a power of two (the usual maxsize), else 0 */
    uint64_t slots;  /* where the slots begin, from the start of the segment */
    uint32_t joinable;
    _Alignas(LINE) _Atomic uint64_t enq; /* the next position to put at | ENQ_CLOSED */
    _Alignas(LINE) _Atomic uint64_t deq; /* the next position to get from */
    struct event items; /* getters sleep on it: an item came, or the end */
    struct event room;  /* putters sleep on it: room came, or the end */
    struct event join;  /* join sleeps on it: a task was finished */
    _Alignas(LINE) _Atomic uint64_t done;      /* task_done calls */
    _Atomic uint64_t lost;      /* items a dead getter had claimed */
    _Atomic uint64_t dead_puts; /* positions a dead putter claimed but never filled */
    _Atomic uint64_t abandoned; /* items dead processes got and never called task_done for */
    _Atomic uint32_t recovering; /* the PID of the process recovering now, or 0 */
    _Alignas(LINE) struct user users[];
    /* then the slots */
};

#define NUSERS 256

void (*mp_queue_test_hook)(char where);

/* ---- layout ---- */

static struct slot *slot_at(struct mp_queue_shared *s, uint64_t pos)
{
    /* a mask rather than a 64-bit division when it can: the division showed in put's profile */
    uint64_t i = s->mask ? pos & s->mask : pos % s->nslots;
    return (struct slot *)((char *)s + s->slots + i * s->slot_bytes);
}

static unsigned char *slot_data(struct slot *sl) { return (unsigned char *)(sl + 1); }

static size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

/* ---- futex: a shared (not FUTEX_PRIVATE) word, since processes share it ---- */

/* Sleep on e while e->ev is still `seen`, at most ns. A sleeper counts
 * itself asleep; a waker that wakes it takes it off that count (it knows
 * how many FUTEX_WAKE woke), so later wakers make no system call for a
 * sleeper that is awake but has not run yet (on a busy machine, a wake
 * per put while it waits for a CPU). */
static void futex_wait(struct event *e, uint32_t seen, uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    atomic_fetch_add(&e->asleep, 1);
    /* 0: a waker woke us and took us off the count; EAGAIN (the word
     * changed), ETIMEDOUT, EINTR: nobody did, so we do */
    if (syscall(SYS_futex, (uint32_t *)&e->ev, FUTEX_WAIT, seen, &ts, NULL, 0) != 0)
        atomic_fetch_sub(&e->asleep, 1);
}

/* Wake up to n sleepers on e. ev is bumped first: a waiter that read it
 * before and has not called futex_wait yet will not sleep; one that has
 * counted itself asleep is seen below (both seq_cst) and woken. */
static void wake_now(struct event *e, int n)
{
    atomic_fetch_add(&e->ev, 1);
    if (atomic_load(&e->asleep) == 0)
        return;
    long woken = syscall(SYS_futex, (uint32_t *)&e->ev, FUTEX_WAKE, n, NULL, NULL, 0);
    if (woken > 0)
        atomic_fetch_sub(&e->asleep, (uint32_t)woken);
}

/* Wake every sleeper on e, if there is one. The caller has just changed
 * the state with a seq_cst read-modify-write; the sleeper counted itself
 * (seq_cst) before looking at that state, so either it saw the change or we
 * see it. (put and get do not use this: see "Publishing" below.) */
static void wake_n(struct event *e, int n)
{
    if (atomic_load(&e->waiters) != 0)
        wake_now(e, n);
}

static void wake_all(struct mp_queue_shared *s)
{
    wake_n(&s->items, INT_MAX);
    wake_n(&s->room, INT_MAX);
    wake_n(&s->join, INT_MAX);
}

/* ---- users: who is working on which position ---- */

/* This thread's entry in up to a few queues. Cleared in a forked child,
 * whose thread is a new user. */
#define CACHE 8
static _Thread_local struct {
    struct mp_queue_shared *s;
    struct user *u;
} cache[CACHE];
static _Thread_local int32_t my_tid;

static void forget_after_fork(void)
{
    memset(cache, 0, sizeof cache);
    my_tid = 0;
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void install_atfork(void) { pthread_atfork(NULL, NULL, forget_after_fork); }

/* A process is dead when it is gone or a zombie (killed, not yet reaped).
 * A recycled PID looks alive: see queue.h. */
static bool pid_alive(pid_t pid)
{
    if (kill(pid, 0) != 0 && errno == ESRCH)
        return false;
    char st = mp_proc_state(pid);
    return st != 0 && st != 'Z' && st != 'X';
}

static pid_t owner_pid(uint64_t owner) { return (pid_t)(uint32_t)owner; }

/* Is some live user working on `pending`? */
static bool live_user_has(struct mp_queue_shared *s, uint64_t pending)
{
    for (uint32_t i = 0; i < s->nusers; i++) {
        struct user *u = &s->users[i];
        if (atomic_load(&u->pending) != pending)
            continue;
        pid_t pid = owner_pid(atomic_load(&u->owner));
        if (pid != 0 && pid_alive(pid))
            return true;
    }
    return false;
}

/* A dead user was working on `pending`: finish its part so nobody waits for
 * it. Returns false when that cannot be decided yet (a live user has the
 * same pending word: keep the entry and look again later). Every change is
 * a CAS on the slot's seq, so two users recovering at once, or a live
 * owner finishing meanwhile, change it once. */
static bool settle(struct mp_queue_shared *s, uint64_t pending)
{
    uint64_t pos = pending & POS_MASK;
    struct slot *sl = slot_at(s, pos);
    if ((pending & OP_GET) == OP_GET) {
        if (atomic_load(&s->deq) <= pos)
            return true; /* it never claimed pos: nothing to undo */
        uint64_t seq = atomic_load(&sl->seq);
        if ((seq & ~SEQ_DEAD) != pos + 1)
            return true; /* released already */
        if (live_user_has(s, pending))
            return false;
        if (atomic_compare_exchange_strong(&sl->seq, &seq, pos + s->nslots)) {
            if (!(seq & SEQ_DEAD))
                atomic_fetch_add(&s->lost, 1); /* it may have copied the item: "may have taken" */
            wake_all(s);
        }
        return true;
    }
    if ((atomic_load(&s->enq) & ~ENQ_CLOSED) <= pos)
        return true; /* never claimed */
    uint64_t seq = atomic_load(&sl->seq);
    if (seq != pos)
        return true; /* published (the put happened) or marked already */
    if (live_user_has(s, pending))
        return false;
    if (atomic_compare_exchange_strong(&sl->seq, &seq, (pos + 1) | SEQ_DEAD)) {
        atomic_fetch_add(&s->dead_puts, 1); /* getters skip the slot: the item was never put */
        wake_all(s);
    }
    return true;
}

/* What a dead process owed join: the items its threads got, less the
 * task_done calls its threads made, over all its entries (a thread may
 * finish what another one got). Taken once: each entry's count is swapped
 * for 0. Items it owed are counted as finished (abandoned), so that join
 * never waits for a task nobody will finish. */
static void settle_owed(struct mp_queue_shared *s, pid_t pid)
{
    int64_t net = 0;
    for (uint32_t i = 0; i < s->nusers; i++)
        if (owner_pid(atomic_load(&s->users[i].owner)) == pid)
            net += atomic_exchange(&s->users[i].owed, 0);
    if (net > 0) {
        atomic_fetch_add(&s->abandoned, (uint64_t)net);
        wake_all(s);
    }
}

/* One recoverer at a time (so that a dead process's counts are summed
 * whole, once); a recoverer that died while at it is replaced. false:
 * another live process is recovering now. */
static bool recovery_begin(struct mp_queue_shared *s)
{
    uint32_t me = (uint32_t)getpid(), holder = 0;
    if (atomic_compare_exchange_strong(&s->recovering, &holder, me))
        return true;
    if (holder == me || pid_alive((pid_t)holder))
        return false; /* (this process: another of its threads is at it) */
    return atomic_compare_exchange_strong(&s->recovering, &holder, me);
}

/* Settle what dead users left, and free their entries. */
static void recover(struct mp_queue_shared *s)
{
    if (!recovery_begin(s))
        return;
    for (uint32_t i = 0; i < s->nusers; i++) {
        struct user *u = &s->users[i];
        uint64_t owner = atomic_load(&u->owner);
        pid_t pid = owner_pid(owner);
        if (pid == 0 || pid_alive(pid))
            continue;
        uint64_t pending = atomic_load(&u->pending);
        if (pending != 0 && !settle(s, pending))
            continue;
        settle_owed(s, pid);
        /* The next owner clears pending itself, after it owns the entry, so
         * a late recoverer never wipes a live user's word. */
        uint64_t freed = ((owner >> 32) + 1) << 32;
        atomic_compare_exchange_strong(&u->owner, &owner, freed);
    }
    atomic_store(&s->recovering, 0);
}

/* Free entries of threads of live processes that have ended (a process
 * that starts many short threads would fill the table otherwise). */
static void reclaim_ended_threads(struct mp_queue_shared *s)
{
    for (uint32_t i = 0; i < s->nusers; i++) {
        struct user *u = &s->users[i];
        uint64_t owner = atomic_load(&u->owner);
        pid_t pid = owner_pid(owner);
        int32_t tid = atomic_load(&u->tid);
        if (pid == 0 || tid == 0 || atomic_load(&u->pending) != 0 || atomic_load(&u->owed) != 0)
            continue; /* (what an ended thread owes stays with its process, settled if it dies) */
        if (syscall(SYS_tgkill, pid, tid, 0) != 0 && errno == ESRCH)
            atomic_compare_exchange_strong(&u->owner, &owner, ((owner >> 32) + 1) << 32);
    }
}

static struct user *claim_entry(struct mp_queue_shared *s)
{
    uint32_t pid = (uint32_t)getpid();
    for (uint32_t i = 0; i < s->nusers; i++) {
        struct user *u = &s->users[i];
        uint64_t owner = atomic_load(&u->owner);
        if (owner_pid(owner) != 0)
            continue;
        if (atomic_compare_exchange_strong(&u->owner, &owner, owner | pid)) {
            atomic_store(&u->pending, 0);
            atomic_store(&u->owed, 0);
            atomic_store(&u->tid, my_tid);
            return u;
        }
    }
    return NULL;
}

/* This thread's entry in s, registering on first use. NULL: the table is
 * full of live users. */
static struct user *me_slow(struct mp_queue_shared *s)
{
    for (int i = 1; i < CACHE; i++) /* the tid check: a queue mapped where a detached one was */
        if (cache[i].s == s && atomic_load_explicit(&cache[i].u->tid, memory_order_relaxed) == my_tid)
            return cache[i].u;
    pthread_once(&atfork_once, install_atfork);
    if (my_tid == 0)
        my_tid = (int32_t)syscall(SYS_gettid);
    struct user *u = claim_entry(s);
    if (!u) {
        recover(s);
        reclaim_ended_threads(s);
        u = claim_entry(s);
    }
    if (!u)
        return NULL;
    int i = 0;
    while (i < CACHE - 1 && cache[i].s)
        i++;
    cache[i].s = s, cache[i].u = u; /* the last one is replaced when the cache is full */
    return u;
}

/* The first entry of the cache inline: put and get of a thread that uses
 * one queue find it there. */
static inline struct user *me(struct mp_queue_shared *s)
{
    if (cache[0].s == s && atomic_load_explicit(&cache[0].u->tid, memory_order_relaxed) == my_tid)
        return cache[0].u;
    return me_slow(s);
}

static void forget_me(struct mp_queue_shared *s)
{
    for (int i = 0; i < CACHE; i++)
        if (cache[i].s == s) {
            struct user *u = cache[i].u;
            uint64_t owner = atomic_load(&u->owner);
            if (owner_pid(owner) == (pid_t)getpid())
                atomic_compare_exchange_strong(&u->owner, &owner, ((owner >> 32) + 1) << 32);
            cache[i].s = NULL, cache[i].u = NULL;
        }
}

/* ---- waiting ---- */

typedef struct waiter {
    uint64_t start, deadline; /* deadline 0: forever */
    int spins;
    bool traced;
    const char *span;
    struct event *e;
    uint64_t last_recover;
} waiter;

static void wait_begin(waiter *w, double timeout_s, const char *span, struct event *e)
{
    *w = (waiter){0};
    w->start = mp_now_ns();
    w->deadline = timeout_s < 0 ? 0 : w->start + (uint64_t)(timeout_s * 1e9);
    w->span = span, w->e = e;
    w->last_recover = w->start;
}

static void wait_end(waiter *w)
{
    if (w->traced)
        mp_trace_end(w->span);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* What a waiter finds when it looks again, after counting itself. */
enum look { UNCHANGED, MOVED, IN_FLIGHT };

/* The state the caller saw would not let it go on. look() says whether it
 * moved since, or whether the operation the caller waits for has been
 * claimed but not finished (IN_FLIGHT: its owner may have read the count of
 * sleepers before this waiter counted itself, so it may not wake us: sleep
 * short). Called after this waiter counted itself, so a change after that
 * wakes it. Returns false once the deadline has passed. */
static bool wait_once(struct mp_queue_shared *s, waiter *w, enum look (*look)(struct mp_queue_shared *, const uint64_t *),
                      const uint64_t *seen, _Atomic uint64_t *watch, uint64_t watched)
{
    if (w->spins == 0 && mp_trace_enabled()) {
        w->traced = true;
        mp_trace_begin(w->span);
    }
    if (w->spins < SPINS) {
        /* Spin on the one word that ends this wait (the slot's seq, as a
         * rule): the counters are the other side's hot lines, and reading
         * them slows its next claim. One pause between looks: looking less
         * often (16, then 32 pauses, so that a getter that found the ring
         * empty would take a few items in a row) gained no throughput that
         * stood out of the noise, and more than doubled a 64-byte round
         * trip between two processes (0.2 -> 0.5 us one way). */
        for (; w->spins < SPINS; w->spins++) {
            if (atomic_load_explicit(watch, memory_order_relaxed) != watched)
                return true;
            /* More users than CPUs: let the peer run, but not before
             * about 2 us, since a yield that switches to another process
             * costs more than that (4x4 processes on 2 CPUs: 5-8% more
             * items per second than yielding after 0.5 us) */
            if (w->spins >= 64 && w->spins % 16 == 15) {
                sched_yield();
                if (w->deadline && mp_now_ns() >= w->deadline)
                    return false;
            } else {
                cpu_relax();
            }
        }
        return true;
    }
    uint64_t now = mp_now_ns();
    if (w->deadline && now >= w->deadline)
        return false;
    atomic_fetch_add(&w->e->waiters, 1);
    uint32_t ev = atomic_load(&w->e->ev);
    enum look l = look(s, seen);
    if (l != MOVED) {
        uint64_t ns = l == IN_FLIGHT ? IN_FLIGHT_NS : SLICE_NS;
        if (w->deadline && w->deadline - now < ns)
            ns = w->deadline - now;
        futex_wait(w->e, ev, ns);
    }
    atomic_fetch_sub(&w->e->waiters, 1);
    now = mp_now_ns();
    if (now - w->start >= GRACE_NS && now - w->last_recover >= GRACE_NS) {
        w->last_recover = now;
        recover(s);
    }
    return true;
}

/* seen = {enq, deq, seq of the slot looked at, its position} */
static bool moved(struct mp_queue_shared *s, const uint64_t *seen)
{
    return atomic_load(&s->enq) != seen[0] || atomic_load(&s->deq) != seen[1] ||
           atomic_load(&slot_at(s, seen[3])->seq) != seen[2];
}

/* A put waits for its slot to be freed by the get of the lap before. */
static enum look look_put(struct mp_queue_shared *s, const uint64_t *seen)
{
    if (moved(s, seen))
        return MOVED;
    uint64_t pos = seen[3];
    bool slot_busy = (seen[2] & ~SEQ_DEAD) != pos; /* not just "maxsize items in a bigger ring" */
    return slot_busy && seen[1] + s->nslots > pos ? IN_FLIGHT : UNCHANGED;
}

/* A get waits for the put at its position. */
static enum look look_get(struct mp_queue_shared *s, const uint64_t *seen)
{
    if (moved(s, seen))
        return MOVED;
    return (seen[0] & ~ENQ_CLOSED) > seen[3] ? IN_FLIGHT : UNCHANGED;
}

/* ---- publishing ----
 *
 * A put or get claims its position with a CAS on enq or deq, then finishes
 * with a plain store to the slot's seq (no second CAS: the slot's line is
 * the one the other side polls, and a locked instruction on it stalls until
 * the line comes back). Waking a sleeper would need a full barrier between
 * that store and reading the count of sleepers (else both sides can miss
 * each other: the store-buffer race). Instead the count is read right after
 * the claim's CAS, which is a full barrier: a sleeper counts itself (a
 * seq_cst read-modify-write) and then reads enq or deq, so either it sees
 * the claim, and then sleeps only IN_FLIGHT_NS before looking again, or the
 * claimer sees it and wakes it once the slot is published. The count is
 * read once more after the store, which catches most late sleepers. One
 * item or one free slot is for one sleeper: wake one (waking all would
 * have them fight over it). */
static inline int publish(struct user *u, struct slot *sl, uint64_t was, uint64_t now, bool sleepers, struct event *e)
{
    /* A recoverer changes seq only for a user it took for dead (with a
     * CAS): a live user never is, unless its PID was recycled. */
    if (atomic_load_explicit(&sl->seq, memory_order_relaxed) != was) {
        atomic_store_explicit(&u->pending, 0, memory_order_release);
        return -EOWNERDEAD;
    }
    atomic_store_explicit(&sl->seq, now, memory_order_release);
    atomic_store_explicit(&u->pending, 0, memory_order_release);
    if (sleepers || atomic_load_explicit(&e->waiters, memory_order_relaxed) != 0)
        wake_now(e, 1);
    return 0;
}

/* ---- the API ---- */

int mp_queue_create(mp_queue *q, size_t maxsize, size_t item_max, bool joinable)
{
    *q = (mp_queue){{NULL, 0, -1}, NULL};
    if (maxsize < 1 || item_max < 1 || item_max > MP_QUEUE_ITEM_MAX)
        return -EINVAL;
    size_t slot_bytes = round_up(sizeof(struct slot) + item_max, LINE);
    size_t nslots = maxsize < 2 ? 2 : maxsize;
    size_t head = sizeof(struct mp_queue_shared) + NUSERS * sizeof(struct user);
    if (nslots > (SIZE_MAX / 2 - head) / slot_bytes)
        return -EINVAL;
    size_t bytes = head + nslots * slot_bytes;
    int r = mp_shm_create(&q->shm, "mpkit-queue", bytes);
    if (r != 0)
        return r;
    struct mp_queue_shared *s = q->shm.p;
    s->version = QUEUE_VERSION;
    s->nusers = NUSERS;
    s->maxsize = maxsize, s->nslots = nslots, s->item_max = item_max, s->slot_bytes = slot_bytes, s->bytes = bytes;
    s->mask = (nslots & (nslots - 1)) == 0 ? nslots - 1 : 0;
    s->slots = (uint64_t)((char *)&s->users[NUSERS] - (char *)s);
    s->joinable = joinable;
    for (uint64_t i = 0; i < nslots; i++)
        atomic_init(&slot_at(s, i)->seq, i);
    atomic_store(&s->enq, 0);
    s->magic = QUEUE_MAGIC; /* last: a half-made segment is not a queue */
    q->s = s;
    return 0;
}

int mp_queue_attach(mp_queue *q, int fd)
{
    *q = (mp_queue){{NULL, 0, -1}, NULL};
    int r = mp_shm_attach(&q->shm, fd);
    if (r != 0)
        return r;
    struct mp_queue_shared *s = q->shm.p;
    if (q->shm.bytes < sizeof *s || s->magic != QUEUE_MAGIC || s->version != QUEUE_VERSION ||
        s->bytes != q->shm.bytes) {
        mp_shm_close(&q->shm);
        return -EINVAL;
    }
    q->s = s;
    return 0;
}

int mp_queue_fd(const mp_queue *q) { return q->shm.fd; }

void mp_queue_detach(mp_queue *q)
{
    if (q->s)
        forget_me(q->s);
    mp_shm_close(&q->shm);
    q->s = NULL;
}

int mp_queue_put(mp_queue *q, const void *item, size_t len, double timeout_s)
{
    struct mp_queue_shared *s = q->s;
    if (!s || (len > 0 && !item))
        return -EINVAL;
    if (len > s->item_max)
        return -EMSGSIZE;
    struct user *u = me(s);
    if (!u)
        return -EUSERS;
    waiter w = {0};
    bool waiting = false;
    uint64_t pos = atomic_load_explicit(&s->enq, memory_order_relaxed);
    struct slot *sl;
    for (;;) {
        if (pos & ENQ_CLOSED) {
            if (waiting)
                wait_end(&w);
            return MP_QUEUE_CLOSED;
        }
        sl = slot_at(s, pos);
        uint64_t seq = atomic_load_explicit(&sl->seq, memory_order_acquire);
        int64_t diff = (int64_t)((seq & ~SEQ_DEAD) - pos);
        if (diff == 0 && s->maxsize < s->nslots && pos - atomic_load(&s->deq) >= s->maxsize)
            diff = -1; /* maxsize 1 in a ring of 2: full */
        if (diff == 0) {
            /* Say which position before claiming it: a live claimer is
             * always findable (the CAS below publishes this store). */
            atomic_store_explicit(&u->pending, OP_PUT | pos, memory_order_relaxed);
            if (atomic_compare_exchange_weak(&s->enq, &pos, pos + 1))
                break;
            continue; /* pos now holds the new enq */
        }
        if (diff > 0) { /* another put took pos meanwhile */
            pos = atomic_load_explicit(&s->enq, memory_order_relaxed);
            continue;
        }
        /* full: the slot still holds the item from the lap before */
        if (timeout_s == 0)
            return MP_QUEUE_FULL;
        if (!waiting) {
            wait_begin(&w, timeout_s, "put-wait", &s->room);
            waiting = true;
        }
        uint64_t seen[4] = {pos, atomic_load(&s->deq), seq, pos};
        bool slot_free = (seq & ~SEQ_DEAD) == pos; /* full only by maxsize: room comes with deq */
        if (!wait_once(s, &w, look_put, seen, slot_free ? &s->deq : &sl->seq, slot_free ? seen[1] : seq)) {
            wait_end(&w);
            return MP_QUEUE_FULL;
        }
        pos = atomic_load_explicit(&s->enq, memory_order_relaxed);
    }
    if (waiting)
        wait_end(&w);
    /* Read after the claim's CAS (a full barrier): see "Publishing". */
    bool sleepers = atomic_load(&s->items.waiters) != 0;
    sl->len = (uint32_t)len;
    if (len)
        memcpy(slot_data(sl), item, len);
    if (mp_queue_test_hook)
        mp_queue_test_hook('p');
    return publish(u, sl, pos, pos + 1, sleepers, &s->items);
}

int mp_queue_get(mp_queue *q, void *buf, size_t cap, size_t *len, double timeout_s)
{
    struct mp_queue_shared *s = q->s;
    if (!s || !len || cap < s->item_max || !buf)
        return -EINVAL;
    struct user *u = me(s);
    if (!u)
        return -EUSERS;
    waiter w = {0};
    bool waiting = false;
    int result = 0;
    for (;;) {
        uint64_t pos = atomic_load_explicit(&s->deq, memory_order_relaxed);
        struct slot *sl = slot_at(s, pos);
        uint64_t seq = atomic_load_explicit(&sl->seq, memory_order_acquire);
        int64_t diff = (int64_t)((seq & ~SEQ_DEAD) - (pos + 1));
        if (diff == 0) {
            atomic_store_explicit(&u->pending, OP_GET | pos, memory_order_relaxed);
            if (!atomic_compare_exchange_weak(&s->deq, &pos, pos + 1))
                continue;
            bool sleepers = atomic_load(&s->room.waiters) != 0; /* after the CAS: see "Publishing" */
            bool dead = seq & SEQ_DEAD;
            if (!dead) {
                *len = sl->len;
                memcpy(buf, slot_data(sl), sl->len);
            }
            if (mp_queue_test_hook)
                mp_queue_test_hook('g');
            result = publish(u, sl, seq, pos + s->nslots, sleepers, &s->room);
            if (result != 0)
                break;
            if (dead)
                continue; /* a dead producer's unfilled slot: skip it */
            if (s->joinable)
                atomic_fetch_add_explicit(&u->owed, 1, memory_order_relaxed);
            break;
        }
        if (diff > 0)
            continue; /* another get took pos meanwhile */
        /* Nothing at pos: the queue is empty, or a put claimed pos and has
         * not filled it yet. Closed and nothing claimed: the end. */
        uint64_t enq = atomic_load(&s->enq);
        if ((enq & ENQ_CLOSED) && (enq & ~ENQ_CLOSED) == pos) {
            result = MP_QUEUE_END;
            break;
        }
        if (timeout_s == 0) {
            result = MP_QUEUE_EMPTY;
            break;
        }
        if (!waiting) {
            wait_begin(&w, timeout_s, "get-wait", &s->items);
            waiting = true;
        }
        uint64_t seen[4] = {enq, pos, seq, pos};
        if (!wait_once(s, &w, look_get, seen, &sl->seq, seq)) {
            result = MP_QUEUE_EMPTY;
            break;
        }
    }
    if (waiting)
        wait_end(&w);
    return result;
}

void mp_queue_close(mp_queue *q)
{
    if (!q->s)
        return;
    atomic_fetch_or(&q->s->enq, ENQ_CLOSED);
    wake_all(q->s);
}

size_t mp_queue_qsize(const mp_queue *q)
{
    /* deq first: read later, enq is at least as new, so the difference
     * never goes below zero by our own reading order */
    uint64_t deq = atomic_load(&q->s->deq);
    uint64_t enq = atomic_load(&q->s->enq) & ~ENQ_CLOSED;
    uint64_t n = enq > deq ? enq - deq : 0;
    return n > q->s->maxsize ? q->s->maxsize : (size_t)n;
}

bool mp_queue_empty(const mp_queue *q) { return mp_queue_qsize(q) == 0; }
bool mp_queue_full(const mp_queue *q) { return mp_queue_qsize(q) >= q->s->maxsize; }
size_t mp_queue_maxsize(const mp_queue *q) { return q->s->maxsize; }
size_t mp_queue_item_max(const mp_queue *q) { return q->s->item_max; }
uint64_t mp_queue_lost(const mp_queue *q) { return atomic_load(&q->s->lost); }
uint64_t mp_queue_abandoned(const mp_queue *q) { return atomic_load(&q->s->abandoned); }

/* Items put and not yet finished: every claimed put, less the ones a dead
 * putter never filled, the ones a dead getter took (counted as finished,
 * so join cannot wait for them forever), and task_done calls. enq is read
 * last: it only grows, so the result is never too small. */
static uint64_t unfinished(struct mp_queue_shared *s)
{
    uint64_t done = atomic_load(&s->done) + atomic_load(&s->lost) + atomic_load(&s->dead_puts) +
                    atomic_load(&s->abandoned);
    uint64_t put = atomic_load(&s->enq) & ~ENQ_CLOSED;
    return put > done ? put - done : 0;
}

int mp_queue_task_done(mp_queue *q)
{
    struct mp_queue_shared *s = q->s;
    if (!s)
        return -EINVAL;
    if (!s->joinable)
        return -ENOTSUP;
    struct user *u = me(s);
    if (!u)
        return -EUSERS;
    uint64_t done = atomic_load(&s->done);
    for (;;) {
        uint64_t finished = done + atomic_load(&s->lost) + atomic_load(&s->dead_puts) + atomic_load(&s->abandoned);
        if (finished >= (atomic_load(&s->enq) & ~ENQ_CLOSED))
            return -EOVERFLOW; /* more task_done calls than items put: Python's ValueError */
        if (atomic_compare_exchange_weak(&s->done, &done, done + 1))
            break;
    }
    atomic_fetch_sub_explicit(&u->owed, 1, memory_order_relaxed);
    if (unfinished(s) == 0)
        wake_n(&s->join, INT_MAX);
    return 0;
}

static enum look tasks_moved(struct mp_queue_shared *s, const uint64_t *seen)
{
    (void)seen;
    return unfinished(s) == 0 ? MOVED : UNCHANGED;
}

int mp_queue_join(mp_queue *q, double timeout_s)
{
    struct mp_queue_shared *s = q->s;
    if (!s)
        return -EINVAL;
    if (!s->joinable)
        return -ENOTSUP;
    waiter w;
    wait_begin(&w, timeout_s, "join-wait", &s->join);
    w.spins = SPINS; /* join waits long: straight to sleeping */
    if (timeout_s != 0 && unfinished(s) != 0 && mp_trace_enabled()) {
        w.traced = true;
        mp_trace_begin(w.span);
    }
    int rc = 0;
    while (unfinished(s) != 0) {
        if (timeout_s == 0 || !wait_once(s, &w, tasks_moved, NULL, NULL, 0)) {
            rc = -ETIMEDOUT;
            break;
        }
    }
    wait_end(&w);
    return rc;
}
