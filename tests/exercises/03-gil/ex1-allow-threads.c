/* Tests for exercise 03.1: while one thread waits in gil_read, another can
 * take the lock; afterwards the reader holds it again. */
#include "helpers.h"

ssize_t gil_read(mp_gil *g, mp_gil_thread *t, int fd, void *buf, size_t n);

/* Another thread that wants the lock: it takes it, notes that, gives it back. */
typedef struct other { mp_gil *gil; atomic_int ready, got; } other;

static void *take_lock(void *arg)
{
    other *o = arg;
    mp_gil_thread t;
    mp_gil_thread_init(o->gil, &t);
    atomic_store(&o->ready, 1);
    mp_gil_acquire(o->gil, &t);
    atomic_store(&o->got, 1);
    mp_gil_release(o->gil, &t);
    return NULL;
}

/* The data the reader waits for is written only once the other thread has
 * had the lock, or after WAIT_S seconds if it never gets it (then the test
 * fails, without hanging). So the other thread can only have had the lock
 * before the data came if the reader let go of it during the read: seen,
 * not timed. */
#define WAIT_S 10
typedef struct writer { int fd; other *other; atomic_int got_first; } writer;

static void *write_when_taken(void *arg)
{
    writer *w = arg;
    uint64_t deadline = mp_now_ns() + (uint64_t)WAIT_S * 1000000000u;
    while (!atomic_load(&w->other->got) && mp_now_ns() < deadline)
        mp_sleep_ns(1000000);
    atomic_store(&w->got_first, atomic_load(&w->other->got));
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

    writer w = {.fd = fds[1], .other = &o};
    mp_thread_init(&wt, NULL, write_when_taken, &w);
    assert_int_equal(mp_thread_start(&wt), 0);
    char buf[8] = {0};
    ssize_t got = gil_read(&g, &me, fds[0], buf, sizeof buf);
    bool ours_again = me.holding; /* the lock is ours again */
    /* clean up before judging: the two threads end once the lock is free */
    if (me.holding)
        mp_gil_release(&g, &me);
    assert_int_equal(mp_thread_join(&th, NULL), 0);
    assert_int_equal(mp_thread_join(&wt, NULL), 0);
    mp_gil_destroy(&g);
    close(fds[0]);
    close(fds[1]);
    assert_int_equal(got, 2);
    assert_memory_equal(buf, "hi", 2);
    if (!atomic_load(&w.got_first))
        fail_msg("the other thread could not take the lock while gil_read waited %d s for data: "
                 "release it around the read", WAIT_S);
    assert_true(ours_again);
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
