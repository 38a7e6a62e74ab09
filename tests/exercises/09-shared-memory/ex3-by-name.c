/* Tests for exercise 09.3: publish and read_message between processes.
 * A spawned child (which shares nothing with the test but the name) reads
 * the message; the name is still in /dev/shm after it exits; errors are
 * passed on (-EEXIST, -ENOENT); a long message is cut to the buffer and
 * 0-terminated. Names hold the test's PID: runs beside it never collide. */
#include "helpers.h"

#include "ex3-by-name.h"

typedef struct ask { char name[64]; } ask;

static int reader(void *arg)
{
    const ask *a = arg;
    char buf[64];
    if (read_message(a->name, buf, sizeof buf) != 0)
        return 3;
    return strcmp(buf, "the answer is 42") == 0 ? 0 : 4;
}

static const mp_entry entries[] = {MP_ENTRY(reader), {0}};

static bool in_dev_shm(const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "/dev/shm/%s", name);
    return access(path, F_OK) == 0;
}

static void test_a_spawned_reader(void **state)
{
    (void)state;
    ask a;
    snprintf(a.name, sizeof a.name, "mpkit_ex93_%d", (int)getpid());
    mp_segment s;
    assert_int_equal(publish(&s, a.name, 4096, "the answer is 42"), 0);
    assert_true(in_dev_shm(a.name));
    mp_process p;
    mp_process_init(&p, NULL, reader, NULL);
    mp_process_set_args(&p, &a, sizeof a);
    p.start = MP_START_SPAWN;
    assert_int_equal(mp_process_start(&p), 0);
    assert_int_equal(mp_process_join(&p, 30), 0);
    if (p.exitcode != 0)
        fail_msg("the spawned reader %s", p.exitcode == 3 ? "got an error from read_message" : "read another message");
    if (!in_dev_shm(a.name))
        fail_msg("/dev/shm/%s is gone after the reader exited: only its publisher may unlink it", a.name);
    assert_int_equal(mp_segment_unlink(&s), 0);
    mp_segment_close(&s);
    mp_forkserver_stop();
    assert_no_children();
}

static void test_errors_and_cutting(void **state)
{
    (void)state;
    char name[64], missing[64], buf[8];
    snprintf(name, sizeof name, "mpkit_ex93_%d_b", (int)getpid());
    snprintf(missing, sizeof missing, "mpkit_ex93_%d_none", (int)getpid());
    assert_int_equal(read_message(missing, buf, sizeof buf), -ENOENT);
    mp_segment s, t;
    assert_int_equal(publish(&s, name, 64, "a message longer than eight"), 0);
    assert_int_equal(publish(&t, name, 64, "again"), -EEXIST);
    assert_int_equal(read_message(name, buf, sizeof buf), 0);
    assert_string_equal(buf, "a messa"); /* 7 bytes and the 0 */
    assert_true(in_dev_shm(name));
    assert_int_equal(mp_segment_unlink(&s), 0);
    mp_segment_close(&s);
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_a_spawned_reader, teardown_children),
        cmocka_unit_test(test_errors_and_cutting),
    };
    return cmocka_run_group_tests_name("09 ex3-by-name", tests, NULL, NULL);
}
