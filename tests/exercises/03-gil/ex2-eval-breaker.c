/* Tests for exercise 03.2: with my_tick in the loop, two CPU-bound threads
 * take turns; without the check, the first would keep the lock to the end. */
#include "helpers.h"

void my_tick(mp_gil *g, mp_gil_thread *t);

typedef struct job { mp_gil *gil; uint64_t ticks; } job;

static void *loop(void *arg)
{
    job *j = arg;
    mp_gil_thread t;
    mp_gil_thread_init(j->gil, &t);
    mp_gil_acquire(j->gil, &t);
    volatile uint64_t x = 0;
    for (uint64_t i = 0; i < j->ticks; i++) {
        for (int k = 0; k < 16; k++)
            x = x * 6364136223846793005u + 1;
        my_tick(j->gil, &t);
    }
    mp_gil_release(j->gil, &t);
    return NULL;
}

static mp_gil_counters two_threads(mp_gil_mode mode, uint64_t interval_us, uint32_t check, uint64_t ticks)
{
    mp_gil g;
    assert_int_equal(mp_gil_init(&g, mode, interval_us, check), 0);
    job j = {&g, ticks};
    mp_thread th[2];
    for (int i = 0; i < 2; i++) {
        mp_thread_init(&th[i], NULL, loop, &j);
        assert_int_equal(mp_thread_start(&th[i]), 0);
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(mp_thread_join(&th[i], NULL), 0);
    mp_gil_counters k = mp_gil_read_counters(&g);
    mp_gil_destroy(&g);
    return k;
}

static void test_new_lock_takes_turns(void **state)
{
    (void)state;
    /* about 0.1 s each at a 1 ms interval: dozens of forced switches */
    mp_gil_counters k = two_threads(MP_GIL_NEW, 1000, 100, mp_gil_ticks_for(0.1));
    print_message("%llu hand-overs, %llu forced drops\n", (unsigned long long)k.handoffs,
                  (unsigned long long)k.forced_drops);
    assert_true(k.forced_drops >= 5);
    assert_true(k.handoffs >= 5);
}

static void test_old_lock_checks_every_interval(void **state)
{
    (void)state;
    uint64_t ticks = 200000;
    mp_gil_counters k = two_threads(MP_GIL_OLD, 5000, 100, ticks);
    /* 2 threads x 200000 ticks / 100 = 4000 release/re-acquire pairs, plus the first takes */
    assert_true(k.acquisitions >= 2 * ticks / 100);
    assert_true(k.acquisitions <= 2 * ticks / 100 + 10);
}

static void test_no_lock_nothing_to_do(void **state)
{
    (void)state;
    mp_gil_counters k = two_threads(MP_GIL_NONE, 5000, 100, 100000);
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
