/* shm: an anonymous shared mapping is the same memory in parent and forked
 * child, zeroed at the start, and leaves no name behind. */
#include "helpers.h"

#include <dirent.h>

static int write_squares(void *arg)
{
    uint64_t *slots = arg;
    for (int i = 0; i < 100; i++)
        slots[i] = (uint64_t)i * (uint64_t)i;
    return 0;
}

static int count_dev_shm(void)
{
    DIR *d = opendir("/dev/shm");
    if (!d)
        return 0;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_child_writes_parent_reads(void **state)
{
    (void)state;
    int before = count_dev_shm();
    uint64_t *slots = mp_shared_alloc(100 * sizeof *slots);
    assert_non_null(slots);
    for (int i = 0; i < 100; i++)
        assert_int_equal(slots[i], 0); /* zeroed */
    mp_process p;
    mp_process_init(&p, NULL, write_squares, slots);
    p.start = MP_START_FORK; /* an anonymous mapping is inherited by fork only */
    assert_int_equal(mp_process_start(&p), 0);
    assert_int_equal(mp_process_join(&p, 10.0), 0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(slots[i], (uint64_t)i * (uint64_t)i);
    mp_shared_free(slots, 100 * sizeof *slots);
    assert_int_equal(count_dev_shm(), before); /* no named segment was made */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_child_writes_parent_reads),
    };
    return cmocka_run_group_tests_name("shm", tests, NULL, NULL);
}
