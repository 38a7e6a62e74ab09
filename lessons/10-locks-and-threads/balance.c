/* Lesson 10, part 1 -- T3's balance: two threads, no lock, then a lock.
 *
 * T3:
 *     balance = 0
 *     def change_it(n):
 *         global balance
 *         balance = balance + n
 *         balance = balance - n
 *     def run_thread(n):
 *         for i in range(100000):
 *             change_it(n)          # and with a lock: acquire, try/finally, release
 *
 * Each change_it leaves the balance as it found it, so it must end at 0.
 * `balance = balance + n` is three steps: read the balance, compute the
 * new one, write it back. A thread that reads, then loses the CPU or is
 * overtaken by the other one before it writes, writes back a value
 * computed from a balance the other has changed meanwhile: that change is
 * undone, and the balance drifts. In CPython the window is the bytecodes
 * between the load and the store, where the GIL may pass to the other
 * thread. In C one addition is a nanosecond, and the two threads would
 * seldom meet inside it; here computing the new balance takes a few steps
 * of mp_spin (as a real program computes a new balance from the old one),
 * so the window is most of each call: the race shows when the threads run
 * side by side on two CPUs, and also when they take turns on one (a thread
 * switched out inside the window undoes, when it resumes, what the other
 * did meanwhile).
 *
 * The unlocked run is a DELIBERATE RACE. change_it is marked so: it is not
 * instrumented by ThreadSanitizer, and the sanitizer runs (make sanitize)
 * never include this lesson anyway. */
#include "lesson10.h"

#define WORK_STEPS 4 /* computing a new balance: a few ns */

static volatile long balance; /* volatile: every read and write happens, as in T3's bytecode */
static mp_lock lock;

typedef struct changer { long n, times; bool locked; } changer;
static atomic_int at_start; /* both threads begin together: neither is done before the other starts */

/* old + n, after WORK_STEPS dependent steps that start from old, so that
 * neither the compiler nor the CPU can do them before the read (mp_spin
 * never returns 0: the result is exactly old + n). */
static long plus(long old, long n) { return old + n * (mp_spin(WORK_STEPS, (uint64_t)old) != 0); }

/* DELIBERATE RACE (without the lock): two threads read and write `balance`
 * with nothing between them. Kept out of ThreadSanitizer on purpose. */
__attribute__((no_sanitize("thread"))) static void change_it(long n)
{
    balance = plus(balance, n);  /* read, compute, write: the other thread may write in between */
    balance = plus(balance, -n);
}

static void *run_thread(void *arg)
{
    const changer *c = arg;
    atomic_fetch_add(&at_start, 1);
    while (atomic_load(&at_start) < 2)
        ;
    for (long i = 0; i < c->times; i++) {
        if (c->locked)
            CHECK(mp_lock_acquire(&lock, -1));
        change_it(c->n);
        if (c->locked)
            CHECK(mp_lock_release(&lock));
    }
    return NULL;
}

/* Both threads, then the balance they leave; *ns: per call. */
static long run_pair(long times, bool locked, double *ns)
{
    balance = 0;
    atomic_store(&at_start, 0);
    changer a = {5, times, locked}, b = {8, times, locked};
    mp_thread t1, t2;
    mp_thread_init(&t1, "t1", run_thread, &a);
    mp_thread_init(&t2, "t2", run_thread, &b);
    uint64_t t0 = mp_now_ns();
    CHECK(mp_thread_start(&t1));
    CHECK(mp_thread_start(&t2));
    CHECK(mp_thread_join(&t1, NULL));
    CHECK(mp_thread_join(&t2, NULL));
    *ns = (double)(mp_now_ns() - t0) / (2.0 * (double)times);
    return balance;
}

void part_balance(mp_lesson *L, balance_result *R)
{
    /* T3 runs 100,000 calls per thread, about 50 ms in CPython; in C they
     * take about a millisecond, too short for two threads to meet often */
    *R = (balance_result){.iterations = L->o.quick ? 300000 : 1000000};
    mp_lesson_part(L, "1. T3's balance: two threads call change_it %ld times each (T3: 100,000), without and "
                      "with a lock", R->iterations);
    CHECK(mp_lock_init(&lock, MP_LOCK, "balance"));
    /* the race need not strike every run: the lost updates can cancel out,
     * and a busy machine may run the two threads one after the other. Up
     * to ten runs, each printed. */
    for (R->unlocked_runs = 1; R->unlocked_runs <= 10; R->unlocked_runs++) {
        R->unlocked = run_pair(R->iterations, false, &R->unlocked_ns);
        mp_say("no lock, run %d: balance = %ld after 2 x %ld change_it calls (it should be 0; a deliberate race)",
               R->unlocked_runs, R->unlocked, R->iterations);
        if (R->unlocked != 0)
            break;
    }
    if (R->unlocked_runs > 10)
        R->unlocked_runs = 10;
    R->locked = run_pair(R->iterations, true, &R->locked_ns);
    mp_say("with lock: balance = %ld", R->locked);
    mp_say("per change_it: %.1f ns without the lock, %.1f ns with it (%.1fx): the two threads now take turns, and "
           "each turn is a hand-over", R->unlocked_ns, R->locked_ns, R->locked_ns / R->unlocked_ns);
    mp_lock_destroy(&lock);
}
