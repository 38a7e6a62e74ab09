/* Tests for exercise 08.1: a producer process and consumer processes that
 * stop at a sentinel. Every wait is bounded: an unfinished exercise fails,
 * it does not hang (a consumer that never sees its sentinel is killed after
 * the time limit and reported). */
#include "helpers.h"

#include "ex1-sentinel.h"

#define LIMIT_S 10.0 /* generous: the whole run takes milliseconds */
#define MAX_CONSUMERS 3

/* What the consumer processes report, in memory shared with the test. */
typedef struct results { long count[MAX_CONSUMERS]; uint64_t sum[MAX_CONSUMERS]; } results;
static results *R;
static mp_shm shm;
static mp_queue Q;
static uint32_t items;
static int nconsumers;

static int producer(void *arg)
{
    (void)arg;
    return produce(&Q, items, nconsumers) == 0 ? 0 : 1;
}

static int consumer(void *arg)
{
    int i = *(int *)arg;
    R->count[i] = consume(&Q, &R->sum[i]);
    return R->count[i] < 0 ? 1 : 0;
}

/* One producer and c consumers over a queue of 8; returns how many
 * consumers ended by themselves within the limit. */
static int run(uint32_t n, int c)
{
    assert_int_equal(mp_shm_create(&shm, "ex1-results", sizeof(results)), 0);
    R = shm.p;
    assert_int_equal(mp_queue_create(&Q, 8, sizeof(uint32_t), false), 0);
    items = n;
    nconsumers = c;
    mp_process cons[MAX_CONSUMERS], prod;
    int ids[MAX_CONSUMERS];
    for (int i = 0; i < c; i++) {
        ids[i] = i;
        mp_process_init(&cons[i], "consumer", consumer, &ids[i]);
        assert_int_equal(mp_process_start(&cons[i]), 0);
    }
    mp_process_init(&prod, "producer", producer, NULL);
    assert_int_equal(mp_process_start(&prod), 0);
    int ended = 0;
    uint64_t deadline = mp_now_ns() + (uint64_t)(LIMIT_S * 1e9);
    for (int i = 0; i < c; i++) {
        double left = (double)(deadline - mp_now_ns()) / 1e9;
        if (mp_process_join(&cons[i], left > 0.1 ? left : 0.1) == 0 && cons[i].exitcode == 0)
            ended++;
        else
            print_message("consumer %d did not end with exit code 0 within %.0f s (count %ld): did it get a sentinel?\n", i, LIMIT_S, R->count[i]);
    }
    /* whatever happened, nothing is left running */
    for (int i = 0; i < c; i++)
        if (mp_process_kill(&cons[i]) == 0)
            mp_process_join(&cons[i], LIMIT_S);
    long got = 0;
    for (int i = 0; i < c; i++)
        got += R->count[i];
    /* the producer can only have finished if its items were all taken */
    if (mp_process_join(&prod, ended == c && got == (long)n ? LIMIT_S : 0.1) != 0) {
        print_message("the producer did not finish: nobody took its items\n");
        mp_process_kill(&prod);
        mp_process_join(&prod, LIMIT_S);
    }
    return ended;
}

static void finish(void)
{
    mp_queue_detach(&Q);
    mp_shm_close(&shm);
}

static void test_one_consumer(void **state)
{
    (void)state;
    uint32_t n = 1000;
    assert_int_equal(run(n, 1), 1);
    assert_int_equal(R->count[0], n);
    assert_int_equal(R->sum[0], (uint64_t)n * (n - 1) / 2);
    assert_int_equal(mp_queue_qsize(&Q), 0); /* the sentinel was taken too */
    finish();
}

static void test_three_consumers(void **state)
{
    (void)state;
    uint32_t n = 3000;
    assert_int_equal(run(n, 3), 3); /* each one got a sentinel of its own */
    long count = 0;
    uint64_t sum = 0;
    for (int i = 0; i < 3; i++) {
        count += R->count[i];
        sum += R->sum[i];
    }
    assert_int_equal(count, n);                        /* every item once... */
    assert_int_equal(sum, (uint64_t)n * (n - 1) / 2);  /* ...and none twice */
    assert_int_equal(mp_queue_qsize(&Q), 0);
    finish();
}

/* produce alone, into a queue big enough: n items in order, then exactly
 * one empty item per consumer, nothing else. */
static void test_what_produce_puts(void **state)
{
    (void)state;
    mp_queue q;
    assert_int_equal(mp_queue_create(&q, 64, sizeof(uint32_t), false), 0);
    assert_int_equal(produce(&q, 10, 4), 0);
    unsigned char buf[64];
    size_t len;
    for (uint32_t i = 0; i < 10; i++) {
        assert_int_equal(mp_queue_get(&q, buf, sizeof buf, &len, 0), 0);
        assert_int_equal(len, sizeof(uint32_t));
        uint32_t x;
        memcpy(&x, buf, sizeof x);
        assert_int_equal(x, i);
    }
    for (int s = 0; s < 4; s++) {
        assert_int_equal(mp_queue_get(&q, buf, sizeof buf, &len, 0), 0);
        assert_int_equal(len, 0);
    }
    assert_int_equal(mp_queue_get(&q, buf, sizeof buf, &len, 0), MP_QUEUE_EMPTY);
    mp_queue_detach(&q);
}

/* consume stops at the first sentinel and leaves what comes after it. */
static void test_consume_stops_at_the_sentinel(void **state)
{
    (void)state;
    mp_queue q;
    assert_int_equal(mp_queue_create(&q, 16, sizeof(uint32_t), false), 0);
    uint32_t before[] = {5, 6, 7}, after[] = {100, 200};
    for (int i = 0; i < 3; i++)
        assert_int_equal(mp_queue_put(&q, &before[i], sizeof(uint32_t), 0), 0);
    assert_int_equal(mp_queue_put(&q, "", 0, 0), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(mp_queue_put(&q, &after[i], sizeof(uint32_t), 0), 0);
    uint64_t sum = 0;
    assert_int_equal(consume(&q, &sum), 3);
    assert_int_equal(sum, 18);
    assert_int_equal(mp_queue_qsize(&q), 2);
    mp_queue_detach(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_what_produce_puts, teardown_children),
        cmocka_unit_test_teardown(test_consume_stops_at_the_sentinel, teardown_children),
        cmocka_unit_test_teardown(test_one_consumer, teardown_children),
        cmocka_unit_test_teardown(test_three_consumers, teardown_children),
    };
    return cmocka_run_group_tests_name("08 ex1-sentinel", tests, NULL, NULL);
}
