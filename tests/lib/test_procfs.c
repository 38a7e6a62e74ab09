/* procfs: states, parents, children and memory, as the kernel reports them. */
#include "helpers.h"

/* Wait until the parent closes its end of the pipe (EOF). The child was
 * handed only the read end, so no copy of the write end in it can keep the
 * EOF from coming. */
static int wait_for_eof(void *arg)
{
    (void)arg;
    char c;
    return read(mp_child_fd(0), &c, 1) == 0 ? 0 : 1;
}

static void test_state_parent_children(void **state)
{
    (void)state;
    assert_int_equal(mp_proc_state(getpid()), 'R'); /* reading its own stat: running */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    mp_process p;
    mp_process_init(&p, NULL, wait_for_eof, NULL);
    p.start = MP_START_FORK;
    assert_int_equal(mp_process_pass_fd(&p, fds[0]), 0);
    assert_int_equal(mp_process_start(&p), 0);
    assert_int_equal(mp_proc_ppid(p.pid), getpid());
    pid_t kids[4];
    int zombies = -1;
    assert_int_equal(mp_proc_children_of(getpid(), kids, 4, &zombies), 1);
    assert_int_equal(kids[0], p.pid);
    assert_int_equal(zombies, 0);
    close(fds[1]); /* its read sees EOF: it exits */
    close(fds[0]);
    assert_int_equal(mp_process_join(&p, 10.0), 0);
    assert_int_equal(mp_proc_state(p.pid), 0); /* reaped: gone */
    assert_true(mp_proc_ppid(p.pid) < 0);
    assert_no_children();
}

static void test_memory(void **state)
{
    (void)state;
    long rss0, pss0, rss1, pss1;
    assert_int_equal(mp_proc_memory(getpid(), &rss0, &pss0), 0);
    assert_true(rss0 > 0 && pss0 > 0 && pss0 <= rss0);
    size_t len = 64u << 20;
    char *big = malloc(len);
    for (size_t i = 0; i < len; i += 4096)
        big[i] = 1;
    assert_int_equal(mp_proc_memory(getpid(), &rss1, &pss1), 0);
    assert_true(rss1 - rss0 >= 60 * 1024); /* 64 MiB touched, in KiB */
    free(big);
    assert_true(mp_proc_memory(999999999, &rss1, &pss1) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_parent_children),
        cmocka_unit_test(test_memory),
    };
    return cmocka_run_group_tests_name("procfs", tests, NULL, NULL);
}
