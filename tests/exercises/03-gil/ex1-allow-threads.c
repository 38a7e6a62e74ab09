/* Tests for exercise 03.1: while one thread waits in gil_read, another can
 * take the lock at once; afterwards the reader holds it again. */
#include "helpers.h"

ssize_t gil_read(mp_gil *g, mp_gil_thread *t, int fd, void *buf, size_t n);

typedef struct other { mp_gil *gil; atomic_int ready; uint64_t got_at; } other;

static void *take_lock(void *arg)
{
    other *o = arg;
    mp_gil_thread t;
    mp_gil_thread_init(o->gil, &t);
    atomic_store(&o->ready, 1);
    mp_gil_acquire(o->gil, &t);
    o->got_at = mp_now_ns();
    mp_gil_release(o->gil, &t);
    return NULL;
}

typedef struct writer { int fd; uint64_t delay_ns; } writer;

static void *write_later(void *arg)
{
    writer *w = arg;
    mp_sleep_ns(w->delay_ns);
    if (write(w->fd, "hi", 2) != 2)
        return (void *)1;
    return NULL;
}

static void test_others_run_during_the_read(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    mp_gil g;
    mp_gil_thread me;
    hold_new_gil(&g, &me, 1000000); /* 1 s: no forced switch */

    other o = {.gil = &g};
    mp_thread th, wt;
    mp_thread_init(&th, NULL, take_lock, &o);
    assert_int_equal(mp_thread_start(&th), 0);
    while (!atomic_load(&o.ready))
        sched_yield();
    mp_sleep_ns(20000000); /* it is waiting for the lock now */

    writer w = {fds[1], 300000000}; /* the data arrives after 300 ms */
    mp_thread_init(&wt, NULL, write_later, &w);
    assert_int_equal(mp_thread_start(&wt), 0);
    uint64_t t0 = mp_now_ns();
    char buf[8];
    assert_int_equal(gil_read(&g, &me, fds[0], buf, sizeof buf), 2);
    assert_true(me.holding); /* the lock is ours again */
    assert_memory_equal(buf, "hi", 2);
    mp_gil_release(&g, &me);
    assert_int_equal(mp_thread_join(&th, NULL), 0);
    assert_int_equal(mp_thread_join(&wt, NULL), 0);
    double waited = mp_ns_to_s(o.got_at - t0);
    print_message("the other thread got the lock %.0f ms into a 300 ms read\n", waited * 1e3);
    assert_true(waited < 0.2);
    mp_gil_destroy(&g);
    close(fds[0]);
    close(fds[1]);
}

static void test_errors_pass_through(void **state)
{
    (void)state;
    mp_gil g;
    mp_gil_thread me;
    hold_new_gil(&g, &me, 5000);
    char buf[4];
    errno = 0;
    assert_int_equal(gil_read(&g, &me, -1, buf, sizeof buf), -1);
    assert_int_equal(errno, EBADF);
    assert_true(me.holding);
    mp_gil_release(&g, &me);
    assert_true(mp_gil_read_counters(&g).acquisitions >= 2); /* it released and took back */
    mp_gil_destroy(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_others_run_during_the_read),
        cmocka_unit_test(test_errors_pass_through),
    };
    return cmocka_run_group_tests_name("03 ex1-allow-threads", tests, NULL, NULL);
}
