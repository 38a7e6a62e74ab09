/* shm: a segment is the same memory in the parent and in a child of every
 * start method (forked: inherited; spawned or forkserver: handed the
 * descriptor and attached), zeroed at the start, and leaves no name behind.
 * This binary's main() calls mp_spawn_main() first, as every program that
 * spawns must. */
#include "helpers.h"


/* The child: map the segment it was handed, write squares into it. */
static int write_squares(void *arg)
{
    (void)arg;
    mp_shm s;
    if (mp_shm_attach(&s, mp_child_fd(0)) != 0)
        return 3;
    uint64_t *slots = s.p;
    for (int i = 0; i < 100; i++)
        slots[i] = (uint64_t)i * (uint64_t)i;
    mp_shm_close(&s);
    return 0;
}

static const mp_entry entries[] = {MP_ENTRY(write_squares), {0}};

/* The segment has no name in any folder: its descriptor is a memfd
 * ("/memfd:NAME (deleted)"), not a file in /dev/shm. (Looking at this
 * segment only: other tests running beside this one may make and remove
 * names in /dev/shm at any moment.) */
static bool nameless(int fd)
{
    char link[64], target[256];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0)
        return false;
    target[n] = '\0';
    return strncmp(target, "/memfd:", 7) == 0;
}

static void test_child_writes_parent_reads(void **state)
{
    (void)state;
    for (int m = MP_START_FORK; m <= MP_START_FORKSERVER; m++) {
        mp_shm s;
        assert_int_equal(mp_shm_create(&s, "test", 100 * sizeof(uint64_t)), 0);
        assert_true(nameless(s.fd)); /* no named segment is made */
        uint64_t *slots = s.p;
        for (int i = 0; i < 100; i++)
            assert_int_equal(slots[i], 0); /* zeroed */
        mp_process p;
        mp_process_init(&p, NULL, write_squares, NULL);
        p.start = m;
        assert_int_equal(mp_process_pass_fd(&p, s.fd), 0);
        assert_int_equal(mp_process_start(&p), 0);
        assert_int_equal(mp_process_join(&p, 30.0), 0);
        assert_int_equal(p.exitcode, 0);
        for (int i = 0; i < 100; i++)
            assert_int_equal(slots[i], (uint64_t)i * (uint64_t)i);
        mp_shm_close(&s);
    }
    assert_int_equal(mp_active_children(), 0);
}

static void test_errors(void **state)
{
    (void)state;
    mp_shm s;
    assert_int_equal(mp_shm_create(&s, "empty", 0), -EINVAL);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(mp_shm_attach(&s, fds[0]), -EINVAL); /* a pipe is not a segment */
    assert_null(s.p);
    close(fds[0]);
    close(fds[1]);
    assert_int_equal(mp_shm_attach(&s, 999), -EBADF);
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_child_writes_parent_reads),
        cmocka_unit_test(test_errors),
    };
    int rc = cmocka_run_group_tests_name("shm", tests, NULL, NULL);
    mp_forkserver_stop();
    return rc;
}
