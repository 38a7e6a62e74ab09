/* Tests for exercise 08.2: the bounded buffer, judged by what it does --
 * every item exactly once, each producer's items in order, a put on a full
 * buffer that waits until a get -- never by how fast. Every wait is
 * bounded, so a buffer that deadlocks fails instead of hanging. */
#define _GNU_SOURCE /* gettid(): which thread to look at in /proc */
#include "helpers.h"

#include "ex2-bounded-buffer.h"

#define LIMIT_S 10.0

/* Wait until *counter reaches n, at most LIMIT_S; true if it did. */
static bool wait_count(atomic_int *counter, int n)
{
    uint64_t deadline = mp_now_ns() + (uint64_t)(LIMIT_S * 1e9);
    while (atomic_load(counter) < n && mp_now_ns() < deadline)
        mp_sleep_ns(1000000);
    return atomic_load(counter) >= n;
}

static void test_fifo(void **state)
{
    (void)state;
    bbuf b;
    assert_int_equal(bbuf_init(&b, 4), 0);
    for (int round = 0; round < 3; round++) { /* around the ring more than once */
        for (int i = 0; i < 4; i++)
            bbuf_put(&b, round * 10 + i);
        for (int i = 0; i < 4; i++)
            assert_int_equal(bbuf_get(&b), round * 10 + i);
    }
    bbuf_destroy(&b);
}

/* ---- a put on a full buffer waits for a get ---- */
typedef struct putter { bbuf *b; atomic_int tid, returned; } putter;

static void *put_one(void *arg)
{
    putter *p = arg;
    atomic_store(&p->tid, (int)gettid());
    bbuf_put(p->b, 99);
    atomic_store(&p->returned, 1);
    return NULL;
}

static void test_put_waits_when_full(void **state)
{
    (void)state;
    bbuf b;
    assert_int_equal(bbuf_init(&b, 3), 0);
    for (int i = 0; i < 3; i++)
        bbuf_put(&b, i);
    putter p = {.b = &b};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, put_one, &p), 0);
    /* Wait until the putter is asleep (in the kernel's eyes: 'S') or has
     * returned. A put that waits for room sleeps; one that does not wait
     * returns. Either happens, however loaded the machine. */
    uint64_t deadline = mp_now_ns() + (uint64_t)(LIMIT_S * 1e9);
    while (!atomic_load(&p.tid) && mp_now_ns() < deadline)
        mp_sleep_ns(1000000);
    char s = 0;
    while (!atomic_load(&p.returned) && (s = mp_proc_state(atomic_load(&p.tid))) != 'S' && mp_now_ns() < deadline)
        mp_sleep_ns(1000000);
    if (atomic_load(&p.returned))
        fail_msg("bbuf_put on a full buffer returned before any get made room");
    assert_int_equal(s, 'S');
    assert_int_equal(bbuf_get(&b), 0); /* room for one: the putter may go on */
    if (!wait_count(&p.returned, 1))
        fail_msg("bbuf_put still waits %.0f s after a get made room: was not_full signalled?", LIMIT_S);
    pthread_join(t, NULL);
    for (int i = 1; i < 3; i++)
        assert_int_equal(bbuf_get(&b), i);
    assert_int_equal(bbuf_get(&b), 99); /* the waiting item came last, in order */
    bbuf_destroy(&b);
}

/* ---- many producers and consumers at once ---- */
#define PRODUCERS 4
#define CONSUMERS 4
#define EACH 20000 /* items per producer */
#define QUOTA (PRODUCERS * EACH / CONSUMERS)

typedef struct crowd {
    bbuf b;
    atomic_int finished;
    int got[CONSUMERS][QUOTA];
} crowd;
typedef struct worker { crowd *c; int id; } worker;

static void *producer(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < EACH; i++)
        bbuf_put(&w->c->b, w->id * EACH + i); /* which producer, which item: both in the value */
    atomic_fetch_add(&w->c->finished, 1);
    return NULL;
}

static void *consumer(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < QUOTA; i++)
        w->c->got[w->id][i] = bbuf_get(&w->c->b);
    atomic_fetch_add(&w->c->finished, 1);
    return NULL;
}

static void test_many_threads(void **state)
{
    (void)state;
    static crowd c;
    memset(&c, 0, sizeof c);
    assert_int_equal(bbuf_init(&c.b, 8), 0);
    pthread_t t[PRODUCERS + CONSUMERS];
    worker w[PRODUCERS + CONSUMERS];
    for (int i = 0; i < CONSUMERS; i++) {
        w[i] = (worker){&c, i};
        assert_int_equal(pthread_create(&t[i], NULL, consumer, &w[i]), 0);
    }
    for (int i = 0; i < PRODUCERS; i++) {
        w[CONSUMERS + i] = (worker){&c, i};
        assert_int_equal(pthread_create(&t[CONSUMERS + i], NULL, producer, &w[CONSUMERS + i]), 0);
    }
    if (!wait_count(&c.finished, PRODUCERS + CONSUMERS))
        fail_msg("%d of %d threads finished within %.0f s: a deadlock, or a lost wake-up?",
                 atomic_load(&c.finished), PRODUCERS + CONSUMERS, LIMIT_S);
    for (int i = 0; i < PRODUCERS + CONSUMERS; i++)
        pthread_join(t[i], NULL);
    static unsigned char seen[PRODUCERS * EACH];
    memset(seen, 0, sizeof seen);
    for (int k = 0; k < CONSUMERS; k++) {
        int last[PRODUCERS];
        for (int p = 0; p < PRODUCERS; p++)
            last[p] = -1;
        for (int i = 0; i < QUOTA; i++) {
            int v = c.got[k][i];
            if (v < 0 || v >= PRODUCERS * EACH)
                fail_msg("consumer %d got %d, which no producer put", k, v);
            if (seen[v]++)
                fail_msg("item %d was got twice", v);
            int p = v / EACH, seq = v % EACH;
            if (seq <= last[p])
                fail_msg("consumer %d got producer %d's item %d after its item %d: out of order", k, p, seq, last[p]);
            last[p] = seq;
        }
    }
    assert_int_equal(c.b.count, 0);
    bbuf_destroy(&c.b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo),
        cmocka_unit_test(test_put_waits_when_full),
        cmocka_unit_test(test_many_threads),
    };
    return cmocka_run_group_tests_name("08 ex2-bounded-buffer", tests, NULL, NULL);
}
