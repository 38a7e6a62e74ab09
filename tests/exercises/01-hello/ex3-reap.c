/* Tests for exercise 01.3: zombies and running children are all reaped. */
#include "helpers.h"

int reap_all(void);

/* The last child ends only once reap_all has reaped the three others, so it
 * is still running when reap_all has nothing else to collect: reap_all must
 * wait for it (seen, not timed). A helper thread lets it go, or gives up
 * after GIVE_UP_S, so a wrong reap_all fails instead of hanging. */
#define GIVE_UP_S 30

typedef struct release { pid_t *kids; int fd; atomic_bool stop; } release;

static void *let_the_last_go(void *arg)
{
    release *r = arg;
    uint64_t deadline = mp_now_ns() + (uint64_t)GIVE_UP_S * 1000000000u;
    while (!atomic_load(&r->stop) && mp_now_ns() < deadline) {
        bool reaped = true;
        for (int i = 0; i < 3; i++)
            reaped &= mp_proc_state(r->kids[i]) == 0;
        if (reaped)
            break;
        mp_sleep_ns(1000000);
    }
    close(r->fd); /* the last child reads end-of-file and exits */
    return NULL;
}

static void test_reaps_zombies_and_waits_for_the_rest(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t kids[4];
    for (int i = 0; i < 4; i++) {
        fflush(NULL);
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            close(fds[1]);
            char c;
            if (i == 3) /* still running when reap_all has reaped the others */
                while (read(fds[0], &c, 1) < 0 && errno == EINTR)
                    ;
            _exit(0);
        }
    }
    close(fds[0]);
    for (int i = 0; i < 3; i++) /* zombies by now */
        assert_int_equal(wait_for_state(kids[i], 'Z', GIVE_UP_S), 'Z');
    release r = {kids, fds[1], false};
    pthread_t helper;
    assert_int_equal(pthread_create(&helper, NULL, let_the_last_go, &r), 0);
    int n = reap_all();
    atomic_store(&r.stop, true);
    pthread_join(helper, NULL);
    assert_int_equal(n, 4);
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
        cmocka_unit_test_teardown(test_reaps_zombies_and_waits_for_the_rest, teardown_children),
        cmocka_unit_test_teardown(test_no_children_is_zero, teardown_children),
    };
    return cmocka_run_group_tests_name("01-hello ex3-reap", tests, NULL, NULL);
}
