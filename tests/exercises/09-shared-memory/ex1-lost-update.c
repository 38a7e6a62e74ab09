/* Tests for exercise 09.1: add_many under the value's lock.
 *
 * 1. It waits for the lock: the test holds the lock, starts a child that
 *    calls add_many, waits until the child says it is about to start, gives
 *    it half a second, and the counter must still be 0 (without the lock,
 *    a thousand increments take microseconds); released, the child
 *    finishes and the counter is exact.
 * 2. Exact under contention: two processes, 200,000 increments each. */
#include "helpers.h"

#include "ex1-lost-update.h"

typedef struct job { long n; } job;
static mp_value counter, flag; /* flag: 1 once the child is about to call add_many */

static int child(void *arg)
{
    const job *j = arg;
    *(volatile long *)mp_value_ptr(&flag) = 1;
    return add_many(&counter, j->n) == 0 ? 0 : 3;
}

static const mp_entry entries[] = {MP_ENTRY(child), {0}};

static void start(mp_process *p, long n)
{
    static job j;
    j.n = n;
    mp_process_init(p, NULL, child, &j); /* fork: the child sees counter and flag */
    assert_int_equal(mp_process_start(p), 0);
}

static void test_waits_for_the_lock(void **state)
{
    (void)state;
    assert_int_equal(mp_value_create(&counter, sizeof(long), 1, NULL, true), 0);
    assert_int_equal(mp_value_create(&flag, sizeof(long), 1, NULL, false), 0);
    assert_int_equal(mp_lock_acquire(mp_value_lock(&counter), -1), 0);
    mp_process p;
    start(&p, 1000);
    volatile long *f = mp_value_ptr(&flag), *c = mp_value_ptr(&counter);
    for (int i = 0; i < 10000 && !*f; i++)
        mp_sleep_ns(1000000);
    assert_int_equal(*f, 1);
    mp_sleep_ns(500000000);
    long seen = *c;
    assert_int_equal(mp_lock_release(mp_value_lock(&counter)), 0);
    assert_int_equal(mp_process_join(&p, 30), 0);
    if (seen != 0)
        fail_msg("the counter moved to %ld while the test held the lock: add_many does not take it", seen);
    assert_int_equal(p.exitcode, 0);
    assert_int_equal(*c, 1000);
    mp_value_close(&counter);
    mp_value_close(&flag);
}

static void test_exact_under_contention(void **state)
{
    (void)state;
    assert_int_equal(mp_value_create(&counter, sizeof(long), 1, NULL, true), 0);
    assert_int_equal(mp_value_create(&flag, sizeof(long), 1, NULL, false), 0);
    mp_process p[2];
    for (int i = 0; i < 2; i++)
        start(&p[i], 200000);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(mp_process_join(&p[i], 30), 0);
        assert_int_equal(p[i].exitcode, 0);
    }
    long v = *(volatile long *)mp_value_ptr(&counter);
    if (v != 400000)
        fail_msg("two processes added 200,000 each: %ld, want 400,000", v);
    mp_value_close(&counter);
    mp_value_close(&flag);
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_waits_for_the_lock, teardown_children),
        cmocka_unit_test_teardown(test_exact_under_contention, teardown_children),
    };
    return cmocka_run_group_tests_name("09 ex1-lost-update", tests, NULL, NULL);
}
