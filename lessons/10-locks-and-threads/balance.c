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
 * Two threads (n = 5 and n = 8) interleave the loads and stores of
 * `balance = balance + n`: a thread stores a value computed from a balance
 * the other has changed meanwhile, and the balance drifts. The unlocked run
 * is a deliberate race (the sanitizer runs never include this lesson). In
 * C there is no GIL: the two threads really run at once, on two CPUs. */
#include "lesson10.h"

static volatile long balance; /* volatile: every load and store happens, as in T3's bytecode */
static mp_lock lock;

typedef struct changer { long n, times; bool locked; } changer;
static atomic_int at_start; /* both threads begin together: neither is done before the other starts */

static void change_it(long n)
{
    balance = balance + n;
    balance = balance - n;
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

/* Both threads, then the balance they leave; *ns: per iteration. */
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
    mp_lesson_part(L, "1. T3's balance: two threads change it 2,000,000 times each (T3: 100,000), without and with a lock");
    /* T3 runs 100,000 calls per thread, about 50 ms in CPython; in C they take a
     * millisecond, too short for the two threads to meet often: 2,000,000 */
    *R = (balance_result){.iterations = 2000000};
    CHECK(mp_lock_init(&lock, MP_LOCK, "balance"));
    /* the race does not strike every run: the lost updates can cancel out,
     * and two threads that are not on the CPUs at the same moment do not
     * race at all. Up to ten runs, each line printed. */
    for (int run = 1; run <= 10 && R->unlocked == 0; run++) {
        R->unlocked = run_pair(R->iterations, false, &R->unlocked_ns);
        mp_say("no lock, run %d: balance = %ld after 2 x %ld change_it calls (it should be 0; a deliberate race)",
               run, R->unlocked, R->iterations);
    }
    R->locked = run_pair(R->iterations, true, &R->locked_ns);
    mp_say("with lock: balance = %ld", R->locked);
    mp_say("per change_it: %.1f ns without the lock, %.1f ns with it (%.0fx): the two threads now take turns, and "
           "each turn is a hand-over", R->unlocked_ns, R->locked_ns, R->locked_ns / R->unlocked_ns);
    mp_lock_destroy(&lock);
}
