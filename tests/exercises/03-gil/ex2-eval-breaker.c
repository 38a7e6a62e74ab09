/* Tests for exercise 03.2: with my_tick in the loop, two CPU-bound threads
 * take turns; without the check, the first would keep the lock to the end. */
#include "helpers.h"

void my_tick(mp_gil *g, mp_gil_thread *t);

/* Two threads run this loop: `ticks` ticks of work, my_tick after each.
 * With take_turns, they go on until the lock has been forced to change
 * hands TURNS times, or until drop requests were seen ignored IGNORED times:
 * the holder saw a request before my_tick, and my_tick returned without a
 * forced switch (only the holder's drop lets a waiter take the lock and
 * clear the request, so a right my_tick cannot miss it). A waiter asks for
 * the drop after one interval, so with a right my_tick the turns come
 * however busy the machine is; with a wrong one the requests are seen
 * ignored. MAX_S only bounds a test gone wrong. */
#define TURNS 5
#define IGNORED 1000
#define MAX_S 10

typedef struct job {
    mp_gil *gil;
    uint64_t ticks;
    bool take_turns;
    uint64_t deadline;
    atomic_int ignored; /* calls to my_tick that did not serve a drop request */
} job;

static bool enough_turns(mp_gil *g)
{
    mp_gil_counters k = mp_gil_read_counters(g);
    return k.forced_drops >= TURNS && k.handoffs >= TURNS;
}

static void *loop(void *arg)
{
    job *j = arg;
    mp_gil_thread t;
    mp_gil_thread_init(j->gil, &t);
    mp_gil_acquire(j->gil, &t);
    volatile uint64_t x = 0;
    for (uint64_t i = 0;; i++) {
        if (i >= j->ticks) {
            if (!j->take_turns || atomic_load(&j->ignored) >= IGNORED || enough_turns(j->gil))
                break;
            if (i % 1024 == 0 && mp_now_ns() > j->deadline)
                break;
        }
        for (int k = 0; k < 16; k++)
            x = x * 6364136223846793005u + 1;
        bool asked = mp_gil_drop_requested(j->gil);
        uint64_t drops = mp_gil_read_counters(j->gil).forced_drops;
        my_tick(j->gil, &t);
        if (j->take_turns && asked && mp_gil_read_counters(j->gil).forced_drops == drops &&
            atomic_fetch_add(&j->ignored, 1) + 1 >= IGNORED)
            break;
    }
    mp_gil_release(j->gil, &t);
    return NULL;
}

static mp_gil_counters two_threads(mp_gil_mode mode, uint64_t interval_us, uint32_t check, uint64_t ticks,
                                   bool take_turns, bool *ignored)
{
    mp_gil g;
    assert_int_equal(mp_gil_init(&g, mode, interval_us, check), 0);
    job j = {&g, ticks, take_turns, mp_now_ns() + (uint64_t)MAX_S * 1000000000u, 0};
    mp_thread th[2];
    for (int i = 0; i < 2; i++) {
        mp_thread_init(&th[i], NULL, loop, &j);
        assert_int_equal(mp_thread_start(&th[i]), 0);
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(mp_thread_join(&th[i], NULL), 0);
    mp_gil_counters k = mp_gil_read_counters(&g);
    mp_gil_destroy(&g);
    if (ignored)
        *ignored = atomic_load(&j.ignored) >= IGNORED;
    return k;
}

static void test_new_lock_takes_turns(void **state)
{
    (void)state;
    bool ignored = false;
    mp_gil_counters k = two_threads(MP_GIL_NEW, 1000, 100, 10000, true, &ignored);
    print_message("%llu hand-overs, %llu forced drops\n", (unsigned long long)k.handoffs,
                  (unsigned long long)k.forced_drops);
    if (ignored)
        fail_msg("drop requests were left unserved %d times: my_tick must answer one at once with "
                 "mp_gil_forced_switch(g, t) (new lock)", IGNORED);
    assert_true(k.forced_drops >= TURNS);
    assert_true(k.handoffs >= TURNS);
}

static void test_old_lock_checks_every_interval(void **state)
{
    (void)state;
    uint64_t ticks = 200000;
    mp_gil_counters k = two_threads(MP_GIL_OLD, 5000, 100, ticks, false, NULL);
    /* 2 threads x 200000 ticks / 100 = 4000 release/re-acquire pairs, plus the first takes */
    assert_true(k.acquisitions >= 2 * ticks / 100);
    assert_true(k.acquisitions <= 2 * ticks / 100 + 10);
}

static void test_no_lock_nothing_to_do(void **state)
{
    (void)state;
    mp_gil_counters k = two_threads(MP_GIL_NONE, 5000, 100, 100000, false, NULL);
    assert_int_equal(k.forced_drops + k.handoffs, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_lock_takes_turns),
        cmocka_unit_test(test_old_lock_checks_every_interval),
        cmocka_unit_test(test_no_lock_nothing_to_do),
    };
    return cmocka_run_group_tests_name("03 ex2-eval-breaker", tests, NULL, NULL);
}
