/* Lesson 10, part 2 -- deadlock: two locks taken in opposite orders.
 *
 * Thread 1 takes A, then B; thread 2 takes B, then A. If each gets its
 * first lock before the other asks for it, each waits for the lock the
 * other holds, forever. Here each waits, holding its first lock, until the
 * other holds its own too: that makes it certain. With acquire timeouts the wait is not forever: each thread
 * gives up after 0.3 s, says which lock it held and which it waited for,
 * and lets go. The fix: one order for everybody (A before B): then the
 * second thread waits for A while holding nothing, and both finish. The
 * locks are named, so the timeline shows who held what and who waited. */
#include "lesson10.h"

static mp_lock a, b;

typedef struct taker { mp_lock *first, *second; const char *f, *s; int ok; bool meet; } taker;
static atomic_int holding; /* threads that hold their first lock (the opposite-order run) */

static void *take_two(void *arg)
{
    taker *t = arg;
    CHECK(mp_lock_acquire(t->first, -1));
    atomic_fetch_add(&holding, 1);
    for (int i = 0; t->meet && i < 5000 && atomic_load(&holding) < 2; i++)
        mp_sleep_ns(1000000); /* until the other thread holds its first lock too */
    int rc = mp_lock_acquire(t->second, 0.3);
    if (rc == -ETIMEDOUT) {
        mp_say("holding %s, waited 0.3 s for %s: gave up (a deadlock, caught by the timeout)", t->f, t->s);
        t->ok = 0;
    } else {
        CHECK(rc);
        mp_sleep_ns(10000000); /* the work that needed both */
        CHECK(mp_lock_release(t->second));
        mp_say("took %s then %s, worked, let go", t->f, t->s);
        t->ok = 1;
    }
    CHECK(mp_lock_release(t->first));
    return NULL;
}

/* Two threads; returns how many finished their work. */
static int run(taker *t1, taker *t2)
{
    mp_thread x, y;
    mp_thread_init(&x, "thread-1", take_two, t1);
    mp_thread_init(&y, "thread-2", take_two, t2);
    CHECK(mp_thread_start(&x));
    CHECK(mp_thread_start(&y));
    CHECK(mp_thread_join(&x, NULL));
    CHECK(mp_thread_join(&y, NULL));
    return t1->ok + t2->ok;
}

void part_deadlock(mp_lesson *L, deadlock_result *R)
{
    uint64_t t0 = mp_lesson_part(L, "2. Deadlock: two threads, two locks, opposite orders; then one order");
    *R = (deadlock_result){0};
    CHECK(mp_lock_init(&a, MP_LOCK, "A"));
    CHECK(mp_lock_init(&b, MP_LOCK, "B"));
    mp_trace_enable(true); /* the timeline of this part, whatever --trace says */
    atomic_store(&holding, 0);
    taker t1 = {&a, &b, "A", "B", 0, true}, t2 = {&b, &a, "B", "A", 0, true};
    R->timed_out = 2 - run(&t1, &t2);
    mp_say("opposite orders: %d of 2 threads gave up", R->timed_out);
    taker u1 = {&a, &b, "A", "B", 0, false}, u2 = {&a, &b, "A", "B", 0, false};
    R->finished_fixed = run(&u1, &u2);
    mp_say("one order (A, then B): %d of 2 threads finished their work", R->finished_fixed);
    mp_trace_enable(L->o.trace);
    mp_trace_write_window(L->o.out, "deadlock",
                          "lesson 10: opposite orders (both wait, give up), then one order (one waits, both finish)",
                          t0, mp_now_ns(), L->o.no_plot);
    mp_lock_destroy(&a);
    mp_lock_destroy(&b);
}
