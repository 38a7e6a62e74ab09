/* Tests for exercise 01.2: the answer follows the affinity mask. */
#include "helpers.h"

int usable_cpus(void);

static void test_matches_the_mask(void **state)
{
    (void)state;
    int n = usable_cpus();
    assert_true(n >= 1);
    assert_true(n <= mp_cpus_online());
    assert_int_equal(n, mp_cpus_usable());
}

/* In a child pinned to one CPU (what taskset -c 0 does), the answer is 1.
 * The child reports through its exit code. */
static void test_pinned_child_sees_one(void **state)
{
    (void)state;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (mp_pin_to_cpu(0) != 0)
            _exit(200);
        _exit(usable_cpus() & 0xff);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_the_mask),
        cmocka_unit_test(test_pinned_child_sees_one),
    };
    return cmocka_run_group_tests_name("01-hello ex2-usable-cpus", tests, NULL, NULL);
}
