/* Tests for exercise 09.2: the layout of struct slot, and that the slots
 * still count. No timing: what makes false sharing go is the layout, and
 * the layout can be checked exactly -- no two slots of an array share a
 * 64-byte line -- and the sum of four processes' slots is exact. */
#include "helpers.h"

#include <stdint.h>

#include "ex2-padding.h"

#define WORKERS 4

static void test_a_line_each(void **state)
{
    (void)state;
    size_t size = slot_size(), align = slot_align();
    if (align < 64 || size % 64 != 0)
        fail_msg("struct slot: alignment %zu, size %zu: in an array, slots would share cache lines", align, size);
    void *base = aligned_alloc(align, WORKERS * size);
    assert_non_null(base);
    for (int i = 0; i < WORKERS; i++)
        for (int k = 0; k < i; k++)
            if ((uintptr_t)slot_counter(base, k) / 64 == (uintptr_t)slot_counter(base, i) / 64)
                fail_msg("slots %d and %d share a cache line", k, i);
    free(base);
}

static void *slots; /* in shared memory: forked children see it */

static int worker(void *arg)
{
    int i = (int)(intptr_t)arg;
    for (int k = 0; k < 100000; k++)
        atomic_fetch_add(slot_counter(slots, i), 1);
    return 0;
}

static const mp_entry entries[] = {MP_ENTRY(worker), {0}};

static void test_still_counts(void **state)
{
    (void)state;
    mp_shm seg; /* page-aligned: any alignment the struct asks for */
    assert_int_equal(mp_shm_create(&seg, "slots", WORKERS * slot_size()), 0);
    slots = seg.p;
    mp_process p[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        mp_process_init(&p[i], NULL, worker, (void *)(intptr_t)i); /* fork: a pointer argument is fine */
        assert_int_equal(mp_process_start(&p[i]), 0);
    }
    long sum = 0;
    for (int i = 0; i < WORKERS; i++) {
        assert_int_equal(mp_process_join(&p[i], 30), 0);
        assert_int_equal(p[i].exitcode, 0);
        sum += atomic_load(slot_counter(slots, i));
    }
    assert_int_equal(sum, WORKERS * 100000L);
    mp_shm_close(&seg);
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_line_each),
        cmocka_unit_test_teardown(test_still_counts, teardown_children),
    };
    return cmocka_run_group_tests_name("09 ex2-padding", tests, NULL, NULL);
}
