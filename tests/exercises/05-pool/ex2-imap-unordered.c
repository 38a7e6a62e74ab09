/* Tests for exercise 05.2: imap's and imap_unordered's next(), fed
 * completions in a scripted order from one thread, so the order they hand
 * results out is checked exactly: completion order for imap_unordered,
 * argument order for imap (with -EAGAIN while the next item is missing),
 * a failed task handed out with its status, MP_POOL_END at the end. Last,
 * the completions of a real thread pool's job, in the order of the end
 * times mp_task_info recorded. Nothing here depends on timing. */
#include "helpers.h"

#include "ex2-imap-unordered.h"

/* Expect next() to give item `item` with value v (status 0). */
#define EXPECT(fn, c, want_item, want_value)                                               \
    do {                                                                                   \
        long v_ = -777;                                                                    \
        size_t i_ = 9999;                                                                  \
        int rc_ = fn(c, &v_, &i_);                                                         \
        if (rc_ != 0 || i_ != (size_t)(want_item) || v_ != (long)(want_value))             \
            fail_msg("%s: status %d, item %zu, value %ld; want 0, item %zu, value %ld", #fn, \
                     rc_, i_, v_, (size_t)(want_item), (long)(want_value));                \
    } while (0)

static int next_rc(int (*fn)(collector *, long *, size_t *), collector *c)
{
    long v;
    size_t i;
    return fn(c, &v, &i);
}

static void test_unordered_completion_order(void **state)
{
    (void)state;
    collector c;
    assert_int_equal(collector_init(&c, 4), 0);
    assert_int_equal(next_rc(next_unordered, &c), -EAGAIN); /* nothing came yet */
    collector_arrived(&c, 3, 0, 30);
    collector_arrived(&c, 1, 0, 10);
    EXPECT(next_unordered, &c, 3, 30);
    EXPECT(next_unordered, &c, 1, 10);
    assert_int_equal(next_rc(next_unordered, &c), -EAGAIN);
    collector_arrived(&c, 0, 0, 0);
    collector_arrived(&c, 2, 0, 20);
    EXPECT(next_unordered, &c, 0, 0);
    EXPECT(next_unordered, &c, 2, 20);
    assert_int_equal(next_rc(next_unordered, &c), MP_POOL_END);
    assert_int_equal(next_rc(next_unordered, &c), MP_POOL_END); /* and stays at the end */
    collector_free(&c);
}

static void test_ordered_waits_for_its_turn(void **state)
{
    (void)state;
    collector c;
    assert_int_equal(collector_init(&c, 4), 0);
    collector_arrived(&c, 3, 0, 30);
    assert_int_equal(next_rc(next_ordered, &c), -EAGAIN); /* 3 came, 0 did not */
    collector_arrived(&c, 1, 0, 10);
    assert_int_equal(next_rc(next_ordered, &c), -EAGAIN);
    collector_arrived(&c, 0, 0, 0);
    EXPECT(next_ordered, &c, 0, 0);
    EXPECT(next_ordered, &c, 1, 10);
    assert_int_equal(next_rc(next_ordered, &c), -EAGAIN); /* 2 has not come; 3 waits */
    collector_arrived(&c, 2, 0, 20);
    EXPECT(next_ordered, &c, 2, 20);
    EXPECT(next_ordered, &c, 3, 30);
    assert_int_equal(next_rc(next_ordered, &c), MP_POOL_END);
    collector_free(&c);
}

static void test_failed_task(void **state)
{
    (void)state;
    int (*fns[])(collector *, long *, size_t *) = {next_unordered, next_ordered};
    for (int k = 0; k < 2; k++) {
        collector c;
        assert_int_equal(collector_init(&c, 3), 0);
        collector_arrived(&c, 0, 0, 5);
        collector_arrived(&c, 1, MP_POOL_WORKER_DIED, 0);
        collector_arrived(&c, 2, 0, 7);
        EXPECT(fns[k], &c, 0, 5);
        long v = 1234;
        size_t i = 9999;
        assert_int_equal(fns[k](&c, &v, &i), MP_POOL_WORKER_DIED);
        assert_int_equal(i, 1);
        assert_int_equal(v, 1234); /* not written */
        EXPECT(fns[k], &c, 2, 7);  /* and it goes on */
        assert_int_equal(next_rc(fns[k], &c), MP_POOL_END);
        collector_free(&c);
    }
}

static void test_empty_job(void **state)
{
    (void)state;
    collector c;
    assert_int_equal(collector_init(&c, 0), 0);
    assert_int_equal(next_rc(next_unordered, &c), MP_POOL_END);
    assert_int_equal(next_rc(next_ordered, &c), MP_POOL_END);
    collector_free(&c);
}

/* 1000 items completing in a shuffled order, next() called between
 * completions at random: unordered gives the completion order, ordered
 * gives 0..n-1; both hand out each item once. */
static void test_shuffled(void **state)
{
    (void)state;
    enum { N = 1000 };
    static size_t order[N];
    srand(5);
    for (size_t i = 0; i < N; i++)
        order[i] = i;
    for (size_t i = N - 1; i > 0; i--) {
        size_t j = (size_t)rand() % (i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int k = 0; k < 2; k++) {
        collector c;
        assert_int_equal(collector_init(&c, N), 0);
        size_t arrived = 0, out = 0;
        static size_t got[N];
        while (out < N) {
            if (arrived < N && rand() % 3 != 0) {
                collector_arrived(&c, order[arrived], 0, (long)order[arrived] * 3);
                arrived++;
                continue;
            }
            long v;
            size_t item;
            int rc = k ? next_ordered(&c, &v, &item) : next_unordered(&c, &v, &item);
            if (rc == -EAGAIN) {
                assert_true(arrived < N);
                continue;
            }
            assert_int_equal(rc, 0);
            assert_int_equal(v, (long)item * 3);
            got[out++] = item;
        }
        for (size_t i = 0; i < N; i++)
            if (got[i] != (k ? i : order[i]))
                fail_msg("%s: result %zu was item %zu, want %zu", k ? "next_ordered" : "next_unordered", i, got[i],
                         k ? i : order[i]);
        long v;
        size_t item;
        assert_int_equal(k ? next_ordered(&c, &v, &item) : next_unordered(&c, &v, &item), MP_POOL_END);
        collector_free(&c);
    }
}

/* A real job: a thread pool runs 6 tasks; mp_task_info says when each
 * ended. Fed in that order, next_unordered hands them out in that order. */
static int triple(const void *arg, void *result)
{
    *(long *)result = *(const long *)arg * 3;
    return 0;
}

static void test_a_real_job(void **state)
{
    (void)state;
    enum { N = 6 };
    mp_pool_opts o = mp_pool_defaults(MP_POOL_THREADS);
    o.workers = 2;
    mp_pool *p;
    assert_int_equal(mp_pool_create(&p, &o), 0);
    long args[N] = {0, 1, 2, 3, 4, 5}, res[N];
    mp_task_info info[N];
    mp_call_opts co = {.chunksize = 1, .info = info};
    assert_int_equal(mp_pool_map(p, triple, args, N, sizeof(long), res, sizeof(long), &co), 0);
    mp_pool_close(p);
    assert_int_equal(mp_pool_join(p), 0);
    mp_pool_free(p);
    size_t by_end[N];
    for (size_t i = 0; i < N; i++) {
        size_t rank = 0;
        for (size_t k = 0; k < N; k++)
            rank += info[k].end_ns < info[i].end_ns || (info[k].end_ns == info[i].end_ns && k < i);
        by_end[rank] = i;
    }
    collector c;
    assert_int_equal(collector_init(&c, N), 0);
    for (size_t r = 0; r < N; r++)
        collector_arrived(&c, by_end[r], 0, res[by_end[r]]);
    for (size_t r = 0; r < N; r++)
        EXPECT(next_unordered, &c, by_end[r], 3 * (long)by_end[r]);
    assert_int_equal(next_rc(next_unordered, &c), MP_POOL_END);
    collector_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unordered_completion_order), cmocka_unit_test(test_ordered_waits_for_its_turn),
        cmocka_unit_test(test_failed_task), cmocka_unit_test(test_empty_job), cmocka_unit_test(test_shuffled),
        cmocka_unit_test(test_a_real_job),
    };
    return cmocka_run_group_tests_name("05 ex2-imap-unordered", tests, NULL, NULL);
}
