/* usage: the kernel's counts grow with what this process and its reaped
 * children did. Only directions and counts, never an amount of time. */
#include "helpers.h"

static void burn(double seconds)
{
    uint64_t end = mp_now_ns() + (uint64_t)(seconds * 1e9);
    volatile uint64_t x = 0;
    while (mp_now_ns() < end)
        x++;
}

static void test_self_counts_cpu_and_waits(void **state)
{
    (void)state;
    mp_usage a, b;
    assert_int_equal(mp_usage_get(MP_USAGE_SELF, &a), 0);
    burn(0.03);
    for (int i = 0; i < 5; i++)
        mp_sleep_ns(1000000); /* each sleep gives the CPU up: a voluntary switch */
    assert_int_equal(mp_usage_get(MP_USAGE_SELF, &b), 0);
    mp_usage d = mp_usage_since(&a, &b);
    assert_true(mp_usage_cpu_s(&d) > 0);
    assert_true(d.user_s >= 0 && d.sys_s >= 0);
    assert_true(d.voluntary >= 5);
    assert_true(d.involuntary >= 0);
}

static void test_children_count_once_reaped(void **state)
{
    (void)state;
    mp_usage a, b, both;
    assert_int_equal(mp_usage_get(MP_USAGE_CHILDREN, &a), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        burn(0.03);
        _exit(0);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_int_equal(mp_usage_get(MP_USAGE_CHILDREN, &b), 0);
    mp_usage d = mp_usage_since(&a, &b);
    assert_true(mp_usage_cpu_s(&d) > 0); /* the reaped child's CPU time */
    assert_int_equal(mp_usage_get(MP_USAGE_BOTH, &both), 0);
    assert_true(both.user_s + both.sys_s >= b.user_s + b.sys_s); /* both = self + children */
    assert_true(both.voluntary >= b.voluntary);
}

static void test_since_subtracts(void **state)
{
    (void)state;
    mp_usage before = {1.5, 0.25, 10, 3}, after = {2.0, 0.5, 14, 7};
    mp_usage d = mp_usage_since(&before, &after);
    assert_true(fabs(d.user_s - 0.5) < 1e-12 && fabs(d.sys_s - 0.25) < 1e-12);
    assert_int_equal(d.voluntary, 4);
    assert_int_equal(d.involuntary, 4);
    assert_true(fabs(mp_usage_cpu_s(&d) - 0.75) < 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_self_counts_cpu_and_waits),
        cmocka_unit_test(test_children_count_once_reaped),
        cmocka_unit_test(test_since_subtracts),
    };
    return cmocka_run_group_tests_name("usage", tests, NULL, NULL);
}
