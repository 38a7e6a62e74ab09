/* Tests for exercise 04.2, and the demonstration behind it: an address from
 * the parent's heap, sent as bytes, works for a forked child and not for a
 * spawned one. */
#include "helpers.h"

int sum_child(void *arg);
int spawned_sum(const int *values, int n);

#define MAGIC 0x5eed1234

/* Receives the bytes of a pointer; exit 0 if it finds MAGIC there. */
static int look_at_pointer(void *arg)
{
    volatile const int *where = *(int *const *)arg;
    return *where == MAGIC ? 0 : 1; /* in a spawned child: 1, or killed by SIGSEGV */
}

static const mp_entry entries[] = {MP_ENTRY(sum_child), MP_ENTRY(look_at_pointer), {0}};

static int send_pointer(int method)
{
    int *heap = malloc(64 * sizeof *heap);
    heap[0] = MAGIC;
    mp_process p;
    mp_process_init(&p, NULL, look_at_pointer, NULL);
    p.start = method;
    mp_process_set_args(&p, &heap, sizeof heap); /* the address, as bytes */
    assert_int_equal(mp_process_start(&p), 0);
    assert_int_equal(mp_process_join(&p, 20.0), 0);
    free(heap);
    return p.exitcode;
}

/* The demonstration: always true, whatever the exercise says. */
static void test_pointer_works_only_with_fork(void **state)
{
    (void)state;
    assert_int_equal(send_pointer(MP_START_FORK), 0); /* same addresses, copied memory */
    int spawned = send_pointer(MP_START_SPAWN);
    print_message("a spawned child looking at the parent's heap address: exit code %d\n", spawned);
    assert_int_not_equal(spawned, 0); /* 1 (something else there) or -11 (nothing mapped) */
}

static void test_spawned_sum(void **state)
{
    (void)state;
    int values[10];
    for (int i = 0; i < 10; i++)
        values[i] = i + 1;
    assert_int_equal(spawned_sum(values, 10), 55);
    int more[40];
    for (int i = 0; i < 40; i++)
        more[i] = 3;
    assert_int_equal(spawned_sum(more, 40), 120);
    assert_int_equal(spawned_sum(values, 0), 0);
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_pointer_works_only_with_fork, teardown_children),
        cmocka_unit_test_teardown(test_spawned_sum, teardown_children),
    };
    return cmocka_run_group_tests_name("04 ex2-heap-pointer", tests, NULL, NULL);
}
