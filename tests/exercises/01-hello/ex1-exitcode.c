/* Tests for exercise 01.1: real children, real statuses. */
#include "helpers.h"

int exitcode_from_status(int wstatus);

/* Fork a child that ends the given way and return its decoded status. */
static int child_ending(int how)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (how >= 0)
            _exit(how);
        signal(-how, SIG_DFL); /* cmocka catches some signals: undo that */
        raise(-how);
        _exit(100);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return exitcode_from_status(st);
}

static void test_normal_exits(void **state)
{
    (void)state;
    assert_int_equal(child_ending(0), 0);
    assert_int_equal(child_ending(3), 3);
    assert_int_equal(child_ending(255), 255);
}

static void test_signals_are_negative(void **state)
{
    (void)state;
    assert_int_equal(child_ending(-SIGTERM), -15);
    assert_int_equal(child_ending(-SIGKILL), -9);
    assert_int_equal(child_ending(-SIGSEGV), -11);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal_exits),
        cmocka_unit_test(test_signals_are_negative),
    };
    return cmocka_run_group_tests_name("01-hello ex1-exitcode", tests, NULL, NULL);
}
