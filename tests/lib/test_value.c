/* value: multiprocessing.Value and Array. T0's example (an int, a double,
 * a string, an array of Points) changed by a child of every start method;
 * the lock makes read-modify-write exact between processes; lock=false has
 * none; element access checked against the length; a segment that is not a
 * value is refused on attach. */
#include "helpers.h"

typedef struct point { double x, y; } point;

/* ---- children: each attaches what it was handed ---- */

/* T0's modify(n, x, s, A): n squared, x squared, s uppercased, each Point
 * squared. fds: 0 n (int), 1 x (double, lock=false), 2 s (char[]), 3 A. */
static int modify(void *arg)
{
    (void)arg;
    mp_value n, x, s, a;
    if (mp_value_attach(&n, mp_child_fd(0)) != 0 || mp_value_attach(&x, mp_child_fd(1)) != 0 ||
        mp_value_attach(&s, mp_child_fd(2)) != 0 || mp_value_attach(&a, mp_child_fd(3)) != 0)
        return 3;
    if (mp_value_len(&s) != 12 || mp_value_len(&a) != 3 || mp_value_lock(&x) != NULL)
        return 4;
    int *np = mp_value_ptr(&n);
    *np = *np * *np;
    double *xp = mp_value_ptr(&x);
    *xp = *xp * *xp;
    for (char *c = mp_value_ptr(&s); *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
    point *ap = mp_value_ptr(&a);
    for (size_t i = 0; i < 3; i++)
        ap[i] = (point){ap[i].x * ap[i].x, ap[i].y * ap[i].y};
    return 0;
}

#define INCREMENTS 20000
/* n.value += 1 under get_lock(), many times: fd 0 */
static int add_locked(void *arg)
{
    (void)arg;
    mp_value n;
    if (mp_value_attach(&n, mp_child_fd(0)) != 0)
        return 3;
    volatile long *v = mp_value_ptr(&n);
    for (int i = 0; i < INCREMENTS; i++) {
        if (mp_lock_acquire(mp_value_lock(&n), 30) != 0)
            return 4;
        long old = *v;
        if ((old & 63) == 0)
            sched_yield(); /* without the lock, another process would slip in here */
        *v = old + 1;
        mp_lock_release(mp_value_lock(&n));
    }
    return 0;
}

static const mp_entry entries[] = {MP_ENTRY(modify), MP_ENTRY(add_locked), {0}};

static int teardown(void **state)
{
    mp_forkserver_stop();
    return teardown_children(state);
}

static void test_t0_example(void **state)
{
    (void)state;
    for (int m = MP_START_FORK; m <= MP_START_FORKSERVER; m++) {
        mp_value n, x, s, a;
        int seven = 7;
        double third = 1.0 / 3;
        char hello[12] = "hello world";
        point pts[3] = {{1.875, -6.25}, {-5.75, 2.0}, {2.375, 9.5}};
        assert_int_equal(mp_value_create(&n, sizeof(int), 1, &seven, true), 0);
        assert_int_equal(mp_value_create(&x, sizeof(double), 1, &third, false), 0);
        assert_int_equal(mp_value_create(&s, 1, sizeof hello, hello, true), 0);
        assert_int_equal(mp_value_create(&a, sizeof(point), 3, pts, true), 0);
        mp_process p;
        mp_process_init(&p, NULL, modify, NULL);
        p.start = m;
        assert_int_equal(mp_process_pass_fd(&p, mp_value_fd(&n)), 0);
        assert_int_equal(mp_process_pass_fd(&p, mp_value_fd(&x)), 1);
        assert_int_equal(mp_process_pass_fd(&p, mp_value_fd(&s)), 2);
        assert_int_equal(mp_process_pass_fd(&p, mp_value_fd(&a)), 3);
        assert_int_equal(mp_process_start(&p), 0);
        assert_int_equal(mp_process_join(&p, 30), 0);
        assert_int_equal(p.exitcode, 0);
        int nv;
        double xv;
        assert_int_equal(mp_value_get(&n, 0, &nv), 0);
        assert_int_equal(nv, 49);
        assert_int_equal(mp_value_get(&x, 0, &xv), 0);
        assert_true(xv == third * third);
        assert_string_equal((char *)mp_value_ptr(&s), "HELLO WORLD");
        point got;
        for (size_t i = 0; i < 3; i++) {
            assert_int_equal(mp_value_get(&a, i, &got), 0);
            assert_true(got.x == pts[i].x * pts[i].x && got.y == pts[i].y * pts[i].y);
        }
        assert_int_equal(mp_value_get(&a, 3, &got), -ERANGE);
        assert_int_equal(mp_value_set(&a, 3, &got), -ERANGE);
        mp_value_close(&n);
        mp_value_close(&x);
        mp_value_close(&s);
        mp_value_close(&a);
    }
    mp_forkserver_stop();
    assert_no_children();
}

/* Two processes of each start method add 20,000 each under the value's
 * lock: exactly 40,000. */
static void test_lock_makes_it_exact(void **state)
{
    (void)state;
    for (int m = MP_START_FORK; m <= MP_START_FORKSERVER; m++) {
        mp_value n;
        assert_int_equal(mp_value_create(&n, sizeof(long), 1, NULL, true), 0);
        assert_non_null(mp_value_lock(&n));
        mp_process p[2];
        for (int i = 0; i < 2; i++) {
            mp_process_init(&p[i], NULL, add_locked, NULL);
            p[i].start = m;
            assert_int_equal(mp_process_pass_fd(&p[i], mp_value_fd(&n)), 0);
            assert_int_equal(mp_process_start(&p[i]), 0);
        }
        for (int i = 0; i < 2; i++) {
            assert_int_equal(mp_process_join(&p[i], 60), 0);
            assert_int_equal(p[i].exitcode, 0);
        }
        long v;
        assert_int_equal(mp_value_get(&n, 0, &v), 0);
        if (v != 2 * INCREMENTS)
            fail_msg("%s: %ld, want %d", mp_start_names[m], v, 2 * INCREMENTS);
        mp_value_close(&n);
    }
    mp_forkserver_stop();
    assert_no_children();
}

static void test_errors(void **state)
{
    (void)state;
    mp_value v;
    assert_int_equal(mp_value_create(&v, 0, 1, NULL, true), -EINVAL);
    assert_int_equal(mp_value_create(&v, 8, 0, NULL, true), -EINVAL);
    assert_int_equal(mp_value_create(&v, SIZE_MAX / 2, 4, NULL, true), -EINVAL);
    assert_int_equal(mp_value_create(&v, sizeof(long), 4, NULL, false), 0); /* zeroed */
    long z;
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(mp_value_get(&v, i, &z), 0);
        assert_int_equal(z, 0);
    }
    assert_null(mp_value_lock(&v));
    mp_value_close(&v);
    /* a segment that is not a value */
    mp_shm other;
    assert_int_equal(mp_shm_create(&other, "not-a-value", 4096), 0);
    int fd = dup(other.fd);
    assert_int_equal(mp_value_attach(&v, fd), -EINVAL);
    mp_shm_close(&other);
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_t0_example, teardown),
        cmocka_unit_test_teardown(test_lock_makes_it_exact, teardown),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("value", tests, NULL, NULL);
}
