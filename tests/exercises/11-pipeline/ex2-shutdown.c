/* Tests for exercise 11.2: two worker threads between two queues. Worker B
 * takes a slow item and holds it until worker A has seen the end of the
 * input and called worker_done; then B puts it. With the right
 * worker_done, B's put goes through and the reader gets every item, then
 * the end; closed too early, B's put is refused. Then 8 workers and 10,000
 * items: every item arrives, exactly once, and the output ends. The steps
 * wait on flags, not on time: any load gives the same result. */
#include "helpers.h"

#include "ex2-shutdown.h"

static mp_queue in, out;
static stage_end end;
static atomic_int b_holds, a_finished;
static atomic_int refused;

static void *worker_a(void *arg)
{
    (void)arg;
    while (!atomic_load(&b_holds))
        mp_sleep_ns(100000);
    long v;
    size_t len;
    int rc;
    while ((rc = mp_queue_get(&in, &v, sizeof v, &len, 10)) == 0)
        if (mp_queue_put(&out, &v, sizeof v, 10) != 0)
            atomic_fetch_add(&refused, 1);
    worker_done(&end, &out);
    atomic_store(&a_finished, 1);
    return NULL;
}

static void *worker_b(void *arg)
{
    (void)arg;
    long v;
    size_t len;
    assert_int_equal(mp_queue_get(&in, &v, sizeof v, &len, 10), 0); /* the slow item */
    atomic_store(&b_holds, 1);
    for (int i = 0; i < 10000 && !atomic_load(&a_finished); i++)
        mp_sleep_ns(1000000); /* "working" until A is done */
    if (mp_queue_put(&out, &v, sizeof v, 10) != 0)
        atomic_fetch_add(&refused, 1);
    while (mp_queue_get(&in, &v, sizeof v, &len, 10) == 0)
        if (mp_queue_put(&out, &v, sizeof v, 10) != 0)
            atomic_fetch_add(&refused, 1);
    worker_done(&end, &out);
    return NULL;
}

static void test_last_worker_closes(void **state)
{
    (void)state;
    assert_int_equal(mp_queue_create(&in, 16, sizeof(long), false), 0);
    assert_int_equal(mp_queue_create(&out, 16, sizeof(long), false), 0);
    end = (stage_end){.workers = 2};
    long slow = 42;
    assert_int_equal(mp_queue_put(&in, &slow, sizeof slow, 0), 0);
    mp_thread a, b;
    mp_thread_init(&b, "worker-b", worker_b, NULL);
    assert_int_equal(mp_thread_start(&b), 0);
    while (!atomic_load(&b_holds))
        mp_sleep_ns(100000);
    mp_queue_close(&in); /* the end of the input: A sees it at once */
    mp_thread_init(&a, "worker-a", worker_a, NULL);
    assert_int_equal(mp_thread_start(&a), 0);
    long v;
    size_t len;
    int rc, got = 0;
    while ((rc = mp_queue_get(&out, &v, sizeof v, &len, 10)) == 0)
        got++;
    assert_int_equal(mp_thread_join(&a, NULL), 0);
    assert_int_equal(mp_thread_join(&b, NULL), 0);
    if (atomic_load(&refused))
        fail_msg("worker B's item was refused: the output was closed while B still had it");
    if (rc != MP_QUEUE_END)
        fail_msg("the output never ended (status %d): nobody closed it", rc);
    assert_int_equal(got, 1);
    mp_queue_detach(&in);
    mp_queue_detach(&out);
}

#define MANY 8
#define ITEMS 10000
static void *plain_worker(void *arg)
{
    (void)arg;
    long v;
    size_t len;
    while (mp_queue_get(&in, &v, sizeof v, &len, 10) == 0)
        if (mp_queue_put(&out, &v, sizeof v, 10) != 0)
            atomic_fetch_add(&refused, 1);
    worker_done(&end, &out);
    return NULL;
}

static void *feeder(void *arg)
{
    (void)arg;
    for (long i = 0; i < ITEMS; i++)
        assert_int_equal(mp_queue_put(&in, &i, sizeof i, 10), 0);
    mp_queue_close(&in);
    return NULL;
}

static void test_many_workers(void **state)
{
    (void)state;
    assert_int_equal(mp_queue_create(&in, 64, sizeof(long), false), 0);
    assert_int_equal(mp_queue_create(&out, 64, sizeof(long), false), 0);
    end = (stage_end){.workers = MANY};
    atomic_store(&refused, 0);
    mp_thread w[MANY], f;
    for (int i = 0; i < MANY; i++) {
        mp_thread_init(&w[i], "worker", plain_worker, NULL);
        assert_int_equal(mp_thread_start(&w[i]), 0);
    }
    mp_thread_init(&f, "feeder", feeder, NULL);
    assert_int_equal(mp_thread_start(&f), 0);
    static unsigned char seen[ITEMS];
    long v;
    size_t len;
    int rc, got = 0;
    while ((rc = mp_queue_get(&out, &v, sizeof v, &len, 10)) == 0) {
        assert_true(v >= 0 && v < ITEMS && !seen[v]);
        seen[v] = 1;
        got++;
    }
    assert_int_equal(mp_thread_join(&f, NULL), 0);
    for (int i = 0; i < MANY; i++)
        assert_int_equal(mp_thread_join(&w[i], NULL), 0);
    assert_int_equal(rc, MP_QUEUE_END);
    assert_int_equal(atomic_load(&refused), 0);
    assert_int_equal(got, ITEMS);
    mp_queue_detach(&in);
    mp_queue_detach(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_last_worker_closes),
        cmocka_unit_test(test_many_workers),
    };
    return cmocka_run_group_tests_name("11 ex2-shutdown", tests, NULL, NULL);
}
