/* Tests for exercise 01.3: zombies and running children are all reaped. */
#include "helpers.h"

int reap_all(void);

static void test_reaps_zombies_and_waits_for_the_rest(void **state)
{
    (void)state;
    pid_t kids[4];
    for (int i = 0; i < 4; i++) {
        fflush(NULL);
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            if (i == 3)
                mp_sleep_ns(100000000); /* one still running when reap_all starts */
            _exit(0);
        }
    }
    while (mp_proc_state(kids[0]) != 'Z') /* at least one is a zombie by now */
        mp_sleep_ns(1000000);
    assert_int_equal(reap_all(), 4);
    assert_no_children();
}

static void test_no_children_is_zero(void **state)
{
    (void)state;
    assert_int_equal(reap_all(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reaps_zombies_and_waits_for_the_rest),
        cmocka_unit_test(test_no_children_is_zero),
    };
    return cmocka_run_group_tests_name("01-hello ex3-reap", tests, NULL, NULL);
}
