/* Tests for exercise 04.1: the job survives packing, including a trip to a
 * spawned child, and the label travels as characters. */
#include "helpers.h"

#include "ex1-pack-args.h"

/* What travels: the packed bytes and how many there are. */
typedef struct wire { uint32_t len; unsigned char bytes[256]; } wire;

/* The spawned child's side: unpack and check. Exit 0 if all is as sent. */
static int check_wire(void *arg)
{
    const wire *w = arg;
    job_spec j;
    char label[64];
    if (unpack_job(w->bytes, w->len, &j, label, sizeof label) != 0)
        return 1;
    return (strcmp(j.label, "primes") == 0 && j.repeat == 3 && j.scale == 0.5) ? 0 : 2;
}

static const mp_entry entries[] = {MP_ENTRY(check_wire), {0}};

static void test_round_trip(void **state)
{
    (void)state;
    char text[] = "primes";
    job_spec in = {text, 3, 0.5}, out;
    unsigned char buf[256];
    size_t n = pack_job(&in, buf, sizeof buf);
    assert_true(n > 0);
    strcpy(text, "XXXXXX"); /* the original changes after packing... */
    char label[64];
    assert_int_equal(unpack_job(buf, n, &out, label, sizeof label), 0);
    assert_string_equal(out.label, "primes"); /* ...the packed copy does not */
    assert_ptr_equal(out.label, label);
    assert_int_equal(out.repeat, 3);
    assert_true(out.scale == 0.5);
}

static void test_too_small_and_cut_short(void **state)
{
    (void)state;
    job_spec in = {"a longer label", 7, 1.25}, out;
    unsigned char buf[256];
    assert_int_equal(pack_job(&in, buf, 8), 0);
    size_t n = pack_job(&in, buf, sizeof buf);
    assert_true(n > 14); /* the characters are in there */
    char label[64];
    assert_int_equal(unpack_job(buf, n - 1, &out, label, sizeof label), -1);
    assert_int_equal(unpack_job(buf, n, &out, label, 4), -1); /* does not fit */
}

static void test_through_a_spawned_child(void **state)
{
    (void)state;
    job_spec in = {"primes", 3, 0.5};
    wire w;
    w.len = (uint32_t)pack_job(&in, w.bytes, sizeof w.bytes);
    assert_true(w.len > 0);
    mp_process p;
    mp_process_init(&p, NULL, check_wire, NULL);
    p.start = MP_START_SPAWN;
    mp_process_set_args(&p, &w, sizeof w);
    assert_int_equal(mp_process_start(&p), 0);
    assert_int_equal(mp_process_join(&p, 20.0), 0);
    assert_int_equal(p.exitcode, 0);
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_round_trip, teardown_children),
        cmocka_unit_test_teardown(test_too_small_and_cut_short, teardown_children),
        cmocka_unit_test_teardown(test_through_a_spawned_child, teardown_children),
    };
    return cmocka_run_group_tests_name("04 ex1-pack-args", tests, NULL, NULL);
}
