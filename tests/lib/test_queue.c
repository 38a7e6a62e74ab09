/* queue: FIFO order and item sizes; put and get with block, timeout and
 * nowait (Full and Empty); sleeping getters and putters woken by the call
 * they wait for, not by their slice; close, drain, end of stream; task_done
 * and join; children of every start method; exactly-once delivery and
 * per-producer order with 4 threads x 4 threads and 4 processes x 4
 * processes (a million items); a dead consumer outside get loses nothing; the users' table is
 * reused; producers and consumers SIGKILLed at random instants, hundreds
 * of times, while the others go on; the trace's wait spans. Times are only
 * lower bounds of timeouts and generous upper bounds on waits. This
 * binary's main() calls mp_spawn_main() first, as every program that
 * spawns must. */
#include "helpers.h"


typedef struct item {
    uint32_t producer;
    uint32_t check; /* a function of producer and seq: a torn item fails it */
    uint64_t seq;
} item;

static uint32_t check_of(uint32_t producer, uint64_t seq) { return (uint32_t)(seq * 2654435761u) ^ (producer << 24); }

static item make_item(uint32_t producer, uint64_t seq) { return (item){producer, check_of(producer, seq), seq}; }

static double seconds_since(uint64_t t0) { return mp_ns_to_s(mp_now_ns() - t0); }

/* Nothing of ours in /dev/shm: no mapping of this process comes from there.
 * (Counting /dev/shm's entries would also count other programs' on a
 * shared machine.) */
static bool maps_dev_shm(void)
{
    char *maps = read_file("/proc/self/maps");
    assert_non_null(maps);
    bool found = strstr(maps, "/dev/shm/") != NULL;
    free(maps);
    return found;
}

/* ---- children ---- */

/* Attach the queues handed as fds 0 (in) and 1 (out); get uint64 numbers
 * from in until the end of the stream; put their count and sum on out. */
static int sum_until_end(void *arg)
{
    (void)arg;
    mp_queue in, out;
    if (mp_queue_attach(&in, mp_child_fd(0)) != 0 || mp_queue_attach(&out, mp_child_fd(1)) != 0)
        return 3;
    uint64_t v, got[2] = {0, 0};
    size_t len;
    int r;
    while ((r = mp_queue_get(&in, &v, sizeof v, &len, MP_FOREVER)) == 0) {
        if (len != sizeof v)
            return 4;
        got[0]++, got[1] += v;
    }
    if (r != MP_QUEUE_END)
        return 5;
    if (mp_queue_put(&out, got, sizeof got, MP_FOREVER) != 0)
        return 6;
    mp_queue_detach(&in);
    mp_queue_detach(&out);
    return 0;
}

static const mp_entry entries[] = {MP_ENTRY(sum_until_end), {0}};

static void join_ok(mp_process *p)
{
    assert_int_equal(mp_process_join(p, 60.0), 0);
    assert_int_equal(p->exitcode, 0);
}

/* ---- single-process behaviour ---- */

static void test_create_and_attach_checked(void **state)
{
    (void)state;
    mp_queue q;
    assert_int_equal(mp_queue_create(&q, 0, 8, false), -EINVAL);
    assert_int_equal(mp_queue_create(&q, 4, 0, false), -EINVAL);
    assert_int_equal(mp_queue_create(&q, 4, MP_QUEUE_ITEM_MAX + 1, false), -EINVAL);
    assert_int_equal(mp_queue_create(&q, SIZE_MAX / 4, 64, false), -EINVAL);
    assert_int_equal(mp_queue_create(&q, 3, 64 << 10, false), 0); /* 64 KiB items */
    assert_int_equal(mp_queue_maxsize(&q), 3);
    assert_int_equal(mp_queue_item_max(&q), 64 << 10);
    assert_true(fcntl(mp_queue_fd(&q), F_GETFD) & FD_CLOEXEC);
    char link[64], target[256] = {0};
    snprintf(link, sizeof link, "/proc/self/fd/%d", mp_queue_fd(&q));
    assert_true(readlink(link, target, sizeof target - 1) > 0);
    assert_true(strncmp(target, "/memfd:", 7) == 0); /* a memfd: no name in any folder */
    /* the same segment, attached again, is the same queue */
    mp_queue q2;
    assert_int_equal(mp_queue_attach(&q2, dup(mp_queue_fd(&q))), 0);
    assert_int_equal(mp_queue_put(&q2, "hi", 2, 0), 0);
    char buf[64 << 10];
    size_t len = 0;
    assert_int_equal(mp_queue_get(&q, buf, sizeof buf, &len, 0), 0);
    assert_int_equal(len, 2);
    assert_memory_equal(buf, "hi", 2);
    mp_queue_detach(&q2);
    mp_queue_detach(&q);
    /* a segment that is not a queue */
    mp_shm s;
    assert_int_equal(mp_shm_create(&s, "not-a-queue", 1 << 16), 0);
    assert_int_equal(mp_queue_attach(&q, dup(s.fd)), -EINVAL);
    mp_shm_close(&s);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(mp_queue_attach(&q, fds[0]), -EINVAL);
    close(fds[0]);
    close(fds[1]);
}

static void test_fifo_sizes_and_counts(void **state)
{
    (void)state;
    mp_queue q;
    assert_int_equal(mp_queue_create(&q, 5, 100, false), 0);
    assert_true(mp_queue_empty(&q));
    assert_false(mp_queue_full(&q));
    unsigned char in[101], out[100];
    for (int i = 0; i < 101; i++)
        in[i] = (unsigned char)(i * 7 + 1);
    const size_t lens[] = {0, 1, 50, 99, 100};
    for (int lap = 0; lap < 3; lap++) { /* around the ring several times */
        for (int i = 0; i < 5; i++) {
            assert_int_equal(mp_queue_qsize(&q), i);
            in[0] = (unsigned char)(lap * 10 + i);
            assert_int_equal(mp_queue_put(&q, in, lens[i], 0), 0);
        }
        assert_true(mp_queue_full(&q));
        assert_int_equal(mp_queue_put(&q, in, 1, 0), MP_QUEUE_FULL);
        for (int i = 0; i < 5; i++) {
            size_t len = 12345;
            assert_int_equal(mp_queue_get(&q, out, sizeof out, &len, 0), 0);
            assert_int_equal(len, lens[i]);
            if (len) {
                assert_int_equal(out[0], lap * 10 + i);
                assert_memory_equal(out + 1, in + 1, len - 1);
            }
        }
        assert_true(mp_queue_empty(&q));
    }
    size_t len;
    assert_int_equal(mp_queue_put(&q, in, 101, 0), -EMSGSIZE);
    assert_int_equal(mp_queue_get(&q, out, 99, &len, 0), -EINVAL); /* cap < item_max */
    assert_int_equal(mp_queue_get(&q, out, sizeof out, &len, 0), MP_QUEUE_EMPTY);
    mp_queue_detach(&q);

    /* maxsize 1 */
    assert_int_equal(mp_queue_create(&q, 1, 8, false), 0);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(mp_queue_put(&q, &i, sizeof i, 0), 0);
        assert_true(mp_queue_full(&q));
        assert_int_equal(mp_queue_put(&q, &i, sizeof i, 0), MP_QUEUE_FULL);
        int v = -1;
        assert_int_equal(mp_queue_get(&q, &v, 8, &len, 0), 0);
        assert_int_equal(v, i);
        assert_int_equal(mp_queue_get(&q, &v, 8, &len, 0), MP_QUEUE_EMPTY);
    }
    mp_queue_detach(&q);
}

static void test_timeouts_honoured(void **state)
{
    (void)state;
    mp_queue q;
    assert_int_equal(mp_queue_create(&q, 2, 8, false), 0);
    uint64_t v = 1;
    size_t len;
    assert_int_equal(mp_queue_get(&q, &v, 8, &len, 0), MP_QUEUE_EMPTY);
    uint64_t t0 = mp_now_ns();
    assert_int_equal(mp_queue_get(&q, &v, 8, &len, 0.2), MP_QUEUE_EMPTY);
    assert_true(seconds_since(t0) >= 0.2);
    assert_true(seconds_since(t0) < 30);
    assert_int_equal(mp_queue_put(&q, &v, 8, 0), 0);
    assert_int_equal(mp_queue_put(&q, &v, 8, 0.1), 0); /* room: no wait */
    assert_int_equal(mp_queue_put(&q, &v, 8, 0), MP_QUEUE_FULL);
    t0 = mp_now_ns();
    assert_int_equal(mp_queue_put(&q, &v, 8, 0.2), MP_QUEUE_FULL);
    assert_true(seconds_since(t0) >= 0.2);
    assert_true(seconds_since(t0) < 30);
    assert_int_equal(mp_queue_qsize(&q), 2);
    mp_queue_detach(&q);
}

/* ---- a thread that does one call later ---- */

typedef struct later {
    mp_queue *q;
    int what; /* 0: put one uint64 (42), 1: get one, 2: close */
    uint64_t delay_ns;
} later;

static void *do_later(void *arg)
{
    later *l = arg;
    mp_sleep_ns(l->delay_ns);
    uint64_t v = 42;
    size_t len;
    if (l->what == 0)
        return (void *)(intptr_t)mp_queue_put(l->q, &v, sizeof v, MP_FOREVER);
    if (l->what == 1)
        return (void *)(intptr_t)mp_queue_get(l->q, &v, sizeof v, &len, MP_FOREVER);
    mp_queue_close(l->q);
    return NULL;
}

static pthread_t start_later(later *l)
{
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, do_later, l), 0);
    return t;
}

static int join_later(pthread_t t)
{
    void *r;
    pthread_join(t, &r);
    return (int)(intptr_t)r;
}

static void test_blocked_calls_wake(void **state)
{
    (void)state;
    mp_queue q;
    assert_int_equal(mp_queue_create(&q, 1, 8, false), 0);
    uint64_t v = 0;
    size_t len;
    /* a get blocked on an empty queue gets what a thread puts 50 ms later */
    later l = {&q, 0, 50000000};
    pthread_t t = start_later(&l);
    uint64_t t0 = mp_now_ns();
    assert_int_equal(mp_queue_get(&q, &v, sizeof v, &len, 30.0), 0);
    assert_true(seconds_since(t0) < 30);
    assert_int_equal(v, 42);
    assert_int_equal(join_later(t), 0);
    /* a put blocked on a full queue goes in when a thread gets */
    assert_int_equal(mp_queue_put(&q, &v, sizeof v, 0), 0);
    l = (later){&q, 1, 50000000};
    t = start_later(&l);
    v = 7;
    assert_int_equal(mp_queue_put(&q, &v, sizeof v, MP_FOREVER), 0);
    assert_int_equal(join_later(t), 0);
    assert_int_equal(mp_queue_get(&q, &v, sizeof v, &len, 0), 0);
    assert_int_equal(v, 7);
    mp_queue_detach(&q);
}

/* ---- sleepers are woken, not found by their next slice ---- */

/* A sleeping waiter is woken by the put or get it waits for; if that wake
 * were lost it would still go on after its slice (100 ms), so only the time
 * tells. Each side pauses 2 ms before its move, long enough for the other
 * to be asleep in futex_wait rather than spinning. Woken, it all takes
 * about 1 s (3.3 s beside six busy loops on 2 CPUs); with every wake lost,
 * 30-45 s (three waits a round, 100 ms each; 37 s measured with the wake
 * taken out of publish). The bound sits between. */
#define WAKE_ROUNDS 150
#define WAKE_PAUSE_NS 2000000

typedef struct pingpong {
    mp_queue ping, pong;
} pingpong;

static int pong_child(void *arg)
{
    pingpong *pp = arg;
    uint64_t v;
    size_t len;
    for (int i = 0; i < WAKE_ROUNDS; i++) { /* getters asleep: here, then the parent */
        if (mp_queue_get(&pp->ping, &v, sizeof v, &len, MP_FOREVER) != 0 || v != (uint64_t)i)
            return 3;
        mp_sleep_ns(WAKE_PAUSE_NS);
        if (mp_queue_put(&pp->pong, &v, sizeof v, MP_FOREVER) != 0)
            return 4;
    }
    for (int i = 0; i < WAKE_ROUNDS; i++) { /* a putter asleep on a full queue: the parent */
        mp_sleep_ns(WAKE_PAUSE_NS);
        if (mp_queue_get(&pp->ping, &v, sizeof v, &len, MP_FOREVER) != 0 || v != (uint64_t)i)
            return 5;
    }
    return 0;
}

static void test_sleepers_woken(void **state)
{
    (void)state;
    pingpong pp;
    assert_int_equal(mp_queue_create(&pp.ping, 1, 8, false), 0);
    assert_int_equal(mp_queue_create(&pp.pong, 1, 8, false), 0);
    mp_process p;
    mp_process_init(&p, NULL, pong_child, &pp);
    assert_int_equal(mp_process_start(&p), 0);
    uint64_t t0 = mp_now_ns(), v;
    size_t len;
    for (uint64_t i = 0; i < WAKE_ROUNDS; i++) {
        mp_sleep_ns(WAKE_PAUSE_NS);
        assert_int_equal(mp_queue_put(&pp.ping, &i, sizeof i, MP_FOREVER), 0);
        assert_int_equal(mp_queue_get(&pp.pong, &v, sizeof v, &len, MP_FOREVER), 0);
        assert_int_equal(v, i);
    }
    for (uint64_t i = 0; i < WAKE_ROUNDS; i++) /* each put past the first waits for the child's get */
        assert_int_equal(mp_queue_put(&pp.ping, &i, sizeof i, MP_FOREVER), 0);
    join_ok(&p);
    double s = seconds_since(t0);
    print_message("%d round trips and %d blocked puts in %.2f s (lost wakes: 100 ms each)\n", WAKE_ROUNDS,
                  WAKE_ROUNDS - 1, s);
    assert_true(s < 15);
    mp_queue_detach(&pp.ping);
    mp_queue_detach(&pp.pong);
    assert_no_children();
}

static void test_close_drain_end(void **state)
{
    (void)state;
    mp_queue q;
    assert_int_equal(mp_queue_create(&q, 4, 8, false), 0);
    for (uint64_t i = 0; i < 3; i++)
        assert_int_equal(mp_queue_put(&q, &i, sizeof i, 0), 0);
    mp_queue_close(&q);
    mp_queue_close(&q); /* twice is harmless */
    uint64_t v = 9;
    size_t len;
    assert_int_equal(mp_queue_put(&q, &v, sizeof v, 0), MP_QUEUE_CLOSED);
    assert_int_equal(mp_queue_put(&q, &v, sizeof v, MP_FOREVER), MP_QUEUE_CLOSED);
    for (uint64_t i = 0; i < 3; i++) {
        assert_int_equal(mp_queue_get(&q, &v, sizeof v, &len, MP_FOREVER), 0);
        assert_int_equal(v, i);
    }
    assert_int_equal(mp_queue_get(&q, &v, sizeof v, &len, MP_FOREVER), MP_QUEUE_END);
    assert_int_equal(mp_queue_get(&q, &v, sizeof v, &len, 0), MP_QUEUE_END);
    mp_queue_detach(&q);

    /* a getter blocked forever on an empty queue ends when another closes it */
    assert_int_equal(mp_queue_create(&q, 1, 8, false), 0);
    later l = {&q, 2, 50000000};
    pthread_t t = start_later(&l);
    assert_int_equal(mp_queue_get(&q, &v, sizeof v, &len, MP_FOREVER), MP_QUEUE_END);
    join_later(t);
    mp_queue_detach(&q);
    /* and a putter blocked on a full queue */
    assert_int_equal(mp_queue_create(&q, 1, 8, false), 0);
    assert_int_equal(mp_queue_put(&q, &v, sizeof v, 0), 0);
    t = start_later(&l);
    assert_int_equal(mp_queue_put(&q, &v, sizeof v, MP_FOREVER), MP_QUEUE_CLOSED);
    join_later(t);
    assert_int_equal(mp_queue_get(&q, &v, sizeof v, &len, MP_FOREVER), 0); /* still drained */
    assert_int_equal(mp_queue_get(&q, &v, sizeof v, &len, MP_FOREVER), MP_QUEUE_END);
    mp_queue_detach(&q);
}

static int task_done_child(void *arg) { return mp_queue_task_done(arg) == 0 ? 0 : 3; }

static void test_task_done_and_join(void **state)
{
    (void)state;
    mp_queue q;
    assert_int_equal(mp_queue_create(&q, 4, 8, false), 0);
    assert_int_equal(mp_queue_task_done(&q), -ENOTSUP);
    assert_int_equal(mp_queue_join(&q, 0), -ENOTSUP);
    mp_queue_detach(&q);

    assert_int_equal(mp_queue_create(&q, 4, 8, true), 0);
    assert_int_equal(mp_queue_join(&q, 0), 0); /* nothing put: done */
    assert_int_equal(mp_queue_task_done(&q), -EOVERFLOW);
    uint64_t v = 1;
    size_t len;
    for (int i = 0; i < 3; i++)
        assert_int_equal(mp_queue_put(&q, &v, sizeof v, 0), 0);
    assert_int_equal(mp_queue_join(&q, 0), -ETIMEDOUT);
    uint64_t t0 = mp_now_ns();
    assert_int_equal(mp_queue_join(&q, 0.1), -ETIMEDOUT);
    assert_true(seconds_since(t0) >= 0.1);
    for (int i = 0; i < 3; i++)
        assert_int_equal(mp_queue_get(&q, &v, sizeof v, &len, 0), 0);
    assert_int_equal(mp_queue_join(&q, 0), -ETIMEDOUT); /* got is not done */
    assert_int_equal(mp_queue_task_done(&q), 0);
    assert_int_equal(mp_queue_task_done(&q), 0);
    /* join waits for the last task_done, done by a forked child */
    mp_process p;
    mp_process_init(&p, NULL, task_done_child, &q);
    assert_int_equal(mp_process_start(&p), 0);
    assert_int_equal(mp_queue_join(&q, MP_FOREVER), 0);
    join_ok(&p);
    assert_int_equal(mp_queue_task_done(&q), -EOVERFLOW); /* one too many */
    assert_int_equal(mp_queue_join(&q, 0), 0);            /* and the count did not move */
    assert_int_equal(mp_queue_put(&q, &v, sizeof v, 0), 0);
    assert_int_equal(mp_queue_join(&q, 0), -ETIMEDOUT);
    mp_queue_detach(&q);
    assert_no_children();
}

/* ---- every start method ---- */

static void test_every_start_method(void **state)
{
    (void)state;
    for (int m = MP_START_FORK; m <= MP_START_FORKSERVER; m++) {
        mp_queue in, out;
        assert_int_equal(mp_queue_create(&in, 16, sizeof(uint64_t), false), 0);
        assert_int_equal(mp_queue_create(&out, 1, 2 * sizeof(uint64_t), false), 0);
        mp_process p;
        mp_process_init(&p, NULL, sum_until_end, NULL);
        p.start = m;
        assert_int_equal(mp_process_pass_fd(&p, mp_queue_fd(&in)), 0);
        assert_int_equal(mp_process_pass_fd(&p, mp_queue_fd(&out)), 1);
        assert_int_equal(mp_process_start(&p), 0);
        uint64_t n = 1000, sum = 0;
        for (uint64_t i = 1; i <= n; i++) { /* 16 at a time: the child must keep up */
            assert_int_equal(mp_queue_put(&in, &i, sizeof i, MP_FOREVER), 0);
            sum += i;
        }
        mp_queue_close(&in);
        uint64_t got[2];
        size_t len;
        assert_int_equal(mp_queue_get(&out, got, sizeof got, &len, MP_FOREVER), 0);
        assert_int_equal(len, sizeof got);
        assert_int_equal(got[0], n);
        assert_int_equal(got[1], sum);
        join_ok(&p);
        mp_queue_detach(&in);
        mp_queue_detach(&out);
    }
    mp_forkserver_stop(); /* the server is a child too */
    assert_no_children();
}

/* ---- many producers and consumers: exactly once, each producer's order ---- */

typedef struct tally {
    _Atomic uint64_t received, order_errors, torn;
    _Atomic uint64_t max_wait_ns; /* the longest single put or get of a survivor */
    _Atomic uint64_t acked[8];    /* items each producer's put returned for */
    _Atomic uint8_t seen[];       /* [producer * per_producer + seq]: how many times received */
} tally;

typedef struct run {
    mp_queue *q;
    tally *t;
    uint32_t producer;
    uint64_t per_producer;
    bool pauses; /* now and then stop inside put or get (the test hook), where a kill is most harmful */
} run;

/* The test hook: one call in 64 sleeps up to 0.5 ms between claiming a
 * slot and finishing with it. */
static void pause_inside(char where)
{
    (void)where;
    static unsigned seed;
    if (!seed)
        seed = (unsigned)getpid();
    if (rand_r(&seed) % 64 == 0)
        mp_sleep_ns((uint64_t)(rand_r(&seed) % 500) * 1000);
}

static void note_wait(tally *t, uint64_t t0)
{
    uint64_t d = mp_now_ns() - t0, m = atomic_load(&t->max_wait_ns);
    while (d > m && !atomic_compare_exchange_weak(&t->max_wait_ns, &m, d))
        ;
}

static int produce(void *arg)
{
    run *r = arg;
    if (r->pauses)
        mp_queue_test_hook = pause_inside;
    for (uint64_t i = 0; i < r->per_producer; i++) {
        item it = make_item(r->producer, i);
        uint64_t t0 = mp_now_ns();
        if (mp_queue_put(r->q, &it, sizeof it, MP_FOREVER) != 0)
            return 3;
        note_wait(r->t, t0);
        atomic_store(&r->t->acked[r->producer], i + 1);
    }
    return 0;
}

/* Get until the end of the stream; record each item; each producer's items
 * must come in increasing order to any one consumer. */
static int consume(void *arg)
{
    run *r = arg;
    if (r->pauses)
        mp_queue_test_hook = pause_inside;
    int64_t last[8];
    for (int i = 0; i < 8; i++)
        last[i] = -1;
    for (;;) {
        item it;
        size_t len;
        uint64_t t0 = mp_now_ns();
        int rc = mp_queue_get(r->q, &it, sizeof it, &len, MP_FOREVER);
        note_wait(r->t, t0);
        if (rc == MP_QUEUE_END)
            return 0;
        if (rc != 0)
            return 3;
        if (len != sizeof it || it.producer >= 8 || it.seq >= r->per_producer ||
            it.check != check_of(it.producer, it.seq)) {
            atomic_fetch_add(&r->t->torn, 1);
            continue;
        }
        if ((int64_t)it.seq <= last[it.producer])
            atomic_fetch_add(&r->t->order_errors, 1);
        last[it.producer] = (int64_t)it.seq;
        atomic_fetch_add(&r->t->seen[it.producer * r->per_producer + it.seq], 1);
        atomic_fetch_add(&r->t->received, 1);
    }
}

static tally *new_tally(mp_shm *shm, uint64_t items)
{
    assert_int_equal(mp_shm_create(shm, "test-queue-tally", sizeof(tally) + items), 0);
    return shm->p;
}

/* Every item arrived exactly once, none torn, none out of order. */
static void check_exactly_once(tally *t, uint64_t items)
{
    assert_int_equal(atomic_load(&t->torn), 0);
    assert_int_equal(atomic_load(&t->order_errors), 0);
    assert_int_equal(atomic_load(&t->received), items);
    for (uint64_t i = 0; i < items; i++)
        if (atomic_load(&t->seen[i]) != 1)
            fail_msg("item %ju arrived %u times", (uintmax_t)i, atomic_load(&t->seen[i]));
}

static void *produce_thread(void *arg) { return (void *)(intptr_t)produce(arg); }
static void *consume_thread(void *arg) { return (void *)(intptr_t)consume(arg); }

static void test_threads_4x4(void **state)
{
    (void)state;
    enum { N = 4 };
    const uint64_t per = 50000;
    mp_queue q;
    assert_int_equal(mp_queue_create(&q, 64, sizeof(item), false), 0);
    mp_shm shm;
    tally *t = new_tally(&shm, N * per);
    run runs[2 * N];
    pthread_t th[2 * N];
    for (int i = 0; i < 2 * N; i++) {
        runs[i] = (run){&q, t, (uint32_t)(i % N), per, false};
        assert_int_equal(pthread_create(&th[i], NULL, i < N ? consume_thread : produce_thread, &runs[i]), 0);
    }
    for (int i = N; i < 2 * N; i++)
        assert_int_equal(join_later(th[i]), 0);
    mp_queue_close(&q);
    for (int i = 0; i < N; i++)
        assert_int_equal(join_later(th[i]), 0);
    check_exactly_once(t, N * per);
    mp_shm_close(&shm);
    mp_queue_detach(&q);
}

static void test_processes_4x4_million(void **state)
{
    (void)state;
    enum { N = 4 };
    const uint64_t per = 250000; /* 4 x 250 000 = a million items */
    mp_queue q;
    assert_int_equal(mp_queue_create(&q, 256, sizeof(item), false), 0);
    mp_shm shm;
    tally *t = new_tally(&shm, N * per);
    run runs[2 * N];
    mp_process p[2 * N];
    uint64_t t0 = mp_now_ns();
    for (int i = 0; i < 2 * N; i++) {
        runs[i] = (run){&q, t, (uint32_t)(i % N), per, false};
        mp_process_init(&p[i], NULL, i < N ? consume : produce, &runs[i]);
        assert_int_equal(mp_process_start(&p[i]), 0);
    }
    for (int i = N; i < 2 * N; i++)
        join_ok(&p[i]);
    mp_queue_close(&q);
    for (int i = 0; i < N; i++)
        join_ok(&p[i]);
    print_message("4 producers x 4 consumers: %ju items in %.2f s\n", (uintmax_t)(N * per), seconds_since(t0));
    check_exactly_once(t, N * per);
    mp_shm_close(&shm);
    mp_queue_detach(&q);
    assert_no_children();
}

/* ---- dead users ---- */

/* Start fn(r) in a forked child and wait until it writes a byte on its
 * descriptor 0: it has done what it had to before being killed. */
static void start_until_ready(mp_process *p, mp_target fn, run *r)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    mp_process_init(p, NULL, fn, r);
    assert_int_equal(mp_process_pass_fd(p, fds[1]), 0);
    assert_int_equal(mp_process_start(p), 0);
    close(fds[1]);
    char c;
    assert_int_equal(mp_read_full(fds[0], &c, 1), 0);
    close(fds[0]);
}

/* Get 3 items, say so on fd, then wait to be killed. */
static int get_three_then_sleep(void *arg)
{
    run *r = arg;
    for (int i = 0; i < 3; i++) {
        item it;
        size_t len;
        if (mp_queue_get(r->q, &it, sizeof it, &len, MP_FOREVER) != 0 || it.seq != (uint64_t)i)
            return 3;
    }
    char c = 'x';
    if (mp_write_full(mp_child_fd(0), &c, 1) != 0)
        return 4;
    for (;;)
        pause();
}

static void test_dead_consumer_outside_get_loses_nothing(void **state)
{
    (void)state;
    mp_queue q;
    assert_int_equal(mp_queue_create(&q, 10, sizeof(item), false), 0);
    for (uint64_t i = 0; i < 10; i++) {
        item it = make_item(0, i);
        assert_int_equal(mp_queue_put(&q, &it, sizeof it, 0), 0);
    }
    run r = {&q, NULL, 0, 10, false};
    mp_process p;
    start_until_ready(&p, get_three_then_sleep, &r);
    assert_int_equal(mp_process_kill(&p), 0);
    assert_int_equal(mp_process_join(&p, 30.0), 0);
    assert_int_equal(p.exitcode, -SIGKILL);
    for (uint64_t i = 3; i < 10; i++) {
        item it;
        size_t len;
        assert_int_equal(mp_queue_get(&q, &it, sizeof it, &len, 0), 0);
        assert_int_equal(it.seq, i);
    }
    assert_int_equal(mp_queue_lost(&q), 0);
    mp_queue_detach(&q);
    assert_no_children();
}

/* A JoinableQueue's consumer gets 3 items, finishes 1, and is killed
 * outside get: the 2 it never finished are abandoned (counted as
 * finished), so join returns instead of waiting for them forever. */
static int get_three_finish_one(void *arg)
{
    run *r = arg;
    for (int i = 0; i < 3; i++) {
        item it;
        size_t len;
        if (mp_queue_get(r->q, &it, sizeof it, &len, MP_FOREVER) != 0)
            return 3;
    }
    if (mp_queue_task_done(r->q) != 0)
        return 4;
    char c = 'x';
    if (mp_write_full(mp_child_fd(0), &c, 1) != 0)
        return 5;
    for (;;)
        pause();
}

static void test_dead_consumer_does_not_hang_join(void **state)
{
    (void)state;
    mp_queue q;
    assert_int_equal(mp_queue_create(&q, 8, sizeof(item), true), 0);
    for (uint64_t i = 0; i < 5; i++) {
        item it = make_item(0, i);
        assert_int_equal(mp_queue_put(&q, &it, sizeof it, 0), 0);
    }
    run r = {&q, NULL, 0, 5, false};
    mp_process p;
    start_until_ready(&p, get_three_finish_one, &r);
    assert_int_equal(mp_process_kill(&p), 0); /* not reaped yet: a zombie counts as dead too */
    for (int i = 0; i < 2; i++) {
        item it;
        size_t len;
        assert_int_equal(mp_queue_get(&q, &it, sizeof it, &len, 0), 0);
        assert_int_equal(mp_queue_task_done(&q), 0);
    }
    assert_int_equal(mp_queue_join(&q, 0), -ETIMEDOUT); /* the dead one's 2: not noticed without waiting */
    uint64_t t0 = mp_now_ns();
    assert_int_equal(mp_queue_join(&q, 30.0), 0); /* promise: ~0.25 s; bound: 30 s */
    printf("join returned %.3f s after the consumer's death was looked for\n", mp_ns_to_s(mp_now_ns() - t0));
    assert_int_equal(mp_queue_abandoned(&q), 2);
    assert_int_equal(mp_queue_lost(&q), 0);
    assert_int_equal(mp_queue_task_done(&q), -EOVERFLOW); /* everything is finished now */
    assert_int_equal(mp_process_join(&p, 30.0), 0);
    assert_int_equal(p.exitcode, -SIGKILL);
    mp_queue_detach(&q);
    assert_no_children();
}

/* task_done from another process than the getter: the finisher owes
 * nothing when it dies, and join is not fooled into returning early. */
static int finish_one(void *arg)
{
    run *r = arg;
    return mp_queue_task_done(r->q) == 0 ? 0 : 3;
}

static void test_task_done_by_another_process(void **state)
{
    (void)state;
    mp_queue q;
    assert_int_equal(mp_queue_create(&q, 8, sizeof(item), true), 0);
    item it = make_item(0, 0);
    size_t len;
    for (int i = 0; i < 2; i++)
        assert_int_equal(mp_queue_put(&q, &it, sizeof it, 0), 0);
    assert_int_equal(mp_queue_get(&q, &it, sizeof it, &len, 0), 0);
    assert_int_equal(mp_queue_get(&q, &it, sizeof it, &len, 0), 0);
    run r = {&q, NULL, 0, 1, false};
    mp_process p;
    mp_process_init(&p, NULL, finish_one, &r);
    assert_int_equal(mp_process_start(&p), 0);
    assert_int_equal(mp_process_join(&p, 30.0), 0);
    assert_int_equal(p.exitcode, 0);
    /* one item is still unfinished (ours): join must wait for it, even
     * after the helper process, which finished one it had not got, is gone */
    assert_int_equal(mp_queue_join(&q, 0.3), -ETIMEDOUT);
    assert_int_equal(mp_queue_abandoned(&q), 0);
    assert_int_equal(mp_queue_task_done(&q), 0);
    assert_int_equal(mp_queue_join(&q, 30.0), 0);
    mp_queue_detach(&q);
    assert_no_children();
}

static int put_one(void *arg)
{
    uint64_t v = (uint64_t)getpid();
    return mp_queue_put(arg, &v, sizeof v, MP_FOREVER) == 0 ? 0 : 3;
}

/* More processes over time than the table has entries: a dead process's
 * entry is reused. */
static void test_users_table_reused(void **state)
{
    (void)state;
    mp_queue q;
    assert_int_equal(mp_queue_create(&q, 400, sizeof(uint64_t), false), 0);
    for (int i = 0; i < 300; i++) {
        mp_process p;
        mp_process_init(&p, NULL, put_one, &q);
        assert_int_equal(mp_process_start(&p), 0);
        join_ok(&p);
    }
    assert_int_equal(mp_queue_qsize(&q), 300);
    mp_queue_detach(&q);
    assert_no_children();
}

/* The test hook: die right there, inside put or get. */
static void die_inside(char where)
{
    (void)where;
    signal(SIGKILL, SIG_DFL);
    raise(SIGKILL);
}

static int put_and_die_inside(void *arg)
{
    mp_queue_test_hook = die_inside;
    item it = make_item(0, 1);
    mp_queue_put(arg, &it, sizeof it, MP_FOREVER);
    return 3; /* not reached */
}

static int get_and_die_inside(void *arg)
{
    mp_queue_test_hook = die_inside;
    item it;
    size_t len;
    mp_queue_get(arg, &it, sizeof it, &len, MP_FOREVER);
    return 3;
}

/* A producer killed after claiming a slot, before filling it in: getters
 * skip the slot (that item was never put) and nothing is lost; join does
 * not wait for it. The dead child stays a zombie meanwhile (not reaped):
 * it counts as dead. */
static void test_killed_inside_put(void **state)
{
    (void)state;
    mp_queue q;
    assert_int_equal(mp_queue_create(&q, 4, sizeof(item), true), 0);
    item it = make_item(0, 0);
    assert_int_equal(mp_queue_put(&q, &it, sizeof it, 0), 0);
    mp_process p;
    mp_process_init(&p, NULL, put_and_die_inside, &q);
    assert_int_equal(mp_process_start(&p), 0);
    assert_int_equal(wait_for_state(p.pid, 'Z', 30.0), 'Z');
    assert_int_equal(mp_queue_qsize(&q), 2); /* its claim counts until it is skipped */
    it = make_item(0, 2);
    assert_int_equal(mp_queue_put(&q, &it, sizeof it, 0), 0);
    size_t len;
    assert_int_equal(mp_queue_get(&q, &it, sizeof it, &len, 0), 0);
    assert_int_equal(it.seq, 0);
    uint64_t t0 = mp_now_ns();
    assert_int_equal(mp_queue_get(&q, &it, sizeof it, &len, MP_FOREVER), 0);
    assert_true(seconds_since(t0) < 5.0); /* promised: 0.25 s */
    assert_int_equal(it.seq, 2);
    assert_int_equal(mp_queue_get(&q, &it, sizeof it, &len, 0), MP_QUEUE_EMPTY);
    assert_int_equal(mp_queue_lost(&q), 0);
    assert_int_equal(mp_queue_task_done(&q), 0);
    assert_int_equal(mp_queue_task_done(&q), 0);
    assert_int_equal(mp_queue_join(&q, 0), 0);
    assert_int_equal(mp_queue_task_done(&q), -EOVERFLOW);
    assert_int_equal(mp_process_join(&p, 30.0), 0);
    assert_int_equal(p.exitcode, -SIGKILL);
    mp_queue_detach(&q);
    assert_no_children();
}

/* A consumer killed after claiming an item, before releasing its slot: a
 * putter blocked on the full queue gets the slot back, lost() says 1, and
 * join counts that item as finished. */
static void test_killed_inside_get(void **state)
{
    (void)state;
    mp_queue q;
    assert_int_equal(mp_queue_create(&q, 2, sizeof(item), true), 0);
    for (uint64_t i = 0; i < 2; i++) {
        item it = make_item(0, i);
        assert_int_equal(mp_queue_put(&q, &it, sizeof it, 0), 0);
    }
    mp_process p;
    mp_process_init(&p, NULL, get_and_die_inside, &q);
    assert_int_equal(mp_process_start(&p), 0);
    assert_int_equal(mp_process_join(&p, 30.0), 0); /* reaped: gone */
    assert_int_equal(p.exitcode, -SIGKILL);
    assert_int_equal(mp_queue_qsize(&q), 1);
    item it = make_item(0, 2);
    uint64_t t0 = mp_now_ns();
    assert_int_equal(mp_queue_put(&q, &it, sizeof it, MP_FOREVER), 0);
    assert_true(seconds_since(t0) < 5.0);
    assert_int_equal(mp_queue_lost(&q), 1);
    size_t len;
    for (uint64_t i = 1; i <= 2; i++) {
        assert_int_equal(mp_queue_get(&q, &it, sizeof it, &len, 0), 0);
        assert_int_equal(it.seq, i);
        assert_int_equal(mp_queue_join(&q, 0), -ETIMEDOUT);
        assert_int_equal(mp_queue_task_done(&q), 0);
    }
    assert_int_equal(mp_queue_join(&q, 0), 0);
    assert_int_equal(mp_queue_task_done(&q), -EOVERFLOW);
    mp_queue_detach(&q);
    assert_no_children();
}

/* Rounds of 2 producers and 2 consumers on a small queue; in each round
 * one producer and one consumer are SIGKILLed at random instants, often
 * inside put or get (they do little else, and in 3 rounds of 4 they now
 * and then pause there, through the test hook). What the design
 * guarantees, asserted exactly:
 *  - the survivors finish: no put or get of theirs takes longer than a
 *    generous bound (the promise is 0.25 s after a death; 5 s here);
 *  - no item arrives twice, none torn, each producer's in order;
 *  - the surviving producer's items all arrive, the dead one's first
 *    `acked` (whose put returned) too, plus perhaps the one it was putting;
 *  - the one killed consumer accounts for at most one missing item: the one
 *    it was getting (counted in mp_queue_lost) or the one it had just got;
 *  - mp_queue_lost() <= 1 per round (one killed consumer). */
static void test_sigkill_torture(void **state)
{
    (void)state;
    enum { PER = 1500 };
    unsigned seed = (unsigned)mp_now_ns();
    print_message("seed %u\n", seed);
    srand(seed);
    int rounds = 0, kills = 0, recovered = 0;
    uint64_t lost_total = 0, t_start = mp_now_ns(), max_wait = 0;
    while (kills < 240 && (kills < 40 || seconds_since(t_start) < 5.0)) {
        mp_queue q;
        assert_int_equal(mp_queue_create(&q, 1 + (size_t)(rand() % 8), sizeof(item), false), 0);
        mp_shm shm;
        tally *t = new_tally(&shm, 2 * PER);
        run runs[4];
        mp_process p[4]; /* 0, 1: consumers; 2, 3: producers */
        for (int i = 0; i < 4; i++) {
            runs[i] = (run){&q, t, (uint32_t)(i % 2), PER, rounds % 4 != 0};
            mp_process_init(&p[i], NULL, i < 2 ? consume : produce, &runs[i]);
            assert_int_equal(mp_process_start(&p[i]), 0);
        }
        int vc = rand() % 2, vp = 2 + rand() % 2;
        uint64_t dc = (uint64_t)(rand() % 5000) * 1000, dp = (uint64_t)(rand() % 5000) * 1000;
        int first = dc < dp ? vc : vp, second = dc < dp ? vp : vc;
        mp_sleep_ns(dc < dp ? dc : dp);
        assert_int_equal(mp_process_kill(&p[first]), 0);
        mp_sleep_ns(dc < dp ? dp - dc : dc - dp);
        assert_int_equal(mp_process_kill(&p[second]), 0);
        kills += 2;
        if (rounds % 2) { /* reap the dead at once, or leave them zombies a while */
            assert_int_equal(mp_process_join(&p[vc], 30.0), 0);
            assert_int_equal(mp_process_join(&p[vp], 30.0), 0);
        }
        int sp = vp == 2 ? 3 : 2, sc = vc == 0 ? 1 : 0;
        join_ok(&p[sp]); /* a hang here is the failure this test is for */
        mp_queue_close(&q);
        join_ok(&p[sc]);
        assert_int_equal(mp_process_join(&p[vc], 30.0), 0);
        assert_int_equal(mp_process_join(&p[vp], 30.0), 0);

        assert_int_equal(atomic_load(&t->torn), 0);
        assert_int_equal(atomic_load(&t->order_errors), 0);
        uint64_t holes = 0;
        for (int prod = 0; prod < 2; prod++) {
            int64_t highest = -1;
            uint64_t count = 0;
            for (uint64_t i = 0; i < PER; i++) {
                uint8_t n = atomic_load(&t->seen[prod * PER + i]);
                if (n > 1)
                    fail_msg("round %d: producer %d's item %ju arrived %u times", rounds, prod, (uintmax_t)i, n);
                if (n) {
                    count++;
                    highest = (int64_t)i;
                }
            }
            uint64_t acked = atomic_load(&t->acked[prod]);
            uint64_t expected = PER;
            if ((uint32_t)prod == runs[vp].producer) {
                assert_true((uint64_t)(highest + 1) <= acked + 1); /* nothing beyond the put it died in */
                expected = (uint64_t)(highest + 1) > acked ? (uint64_t)(highest + 1) : acked;
            } else {
                assert_int_equal(acked, PER);
            }
            holes += expected - count;
        }
        uint64_t lost = mp_queue_lost(&q);
        if (holes > 1 || lost > 1)
            fail_msg("round %d: %ju items missing, %ju lost, with one consumer killed", rounds, (uintmax_t)holes,
                     (uintmax_t)lost);
        lost_total += lost;
        uint64_t w = atomic_load(&t->max_wait_ns);
        if (w > max_wait)
            max_wait = w;
        if (w > 50000000)
            recovered++;
        if (w > 5000000000ull)
            fail_msg("round %d: a survivor's call took %.2f s", rounds, mp_ns_to_s(w));
        mp_shm_close(&shm);
        mp_queue_detach(&q);
        rounds++;
    }
    print_message("%d rounds, %d kills in %.1f s: %ju items lost with dead consumers, %d rounds with a "
                  "survivor waiting > 50 ms, longest call %.3f s\n",
                  rounds, kills, seconds_since(t_start), (uintmax_t)lost_total, recovered, mp_ns_to_s(max_wait));
    assert_no_children();
}

/* ---- the trace ---- */

static void test_waits_traced(void **state)
{
    (void)state;
    mp_trace_close();
    assert_int_equal(mp_trace_init(4, 64), 0);
    mp_trace_enable(true);
    mp_queue q;
    assert_int_equal(mp_queue_create(&q, 1, 8, false), 0);
    uint64_t v = 0;
    size_t len;
    assert_int_equal(mp_queue_put(&q, &v, sizeof v, 0), 0); /* no wait: no span */
    assert_int_equal(mp_queue_put(&q, &v, sizeof v, 0.01), MP_QUEUE_FULL);
    assert_int_equal(mp_queue_get(&q, &v, sizeof v, &len, 0), 0);
    assert_int_equal(mp_queue_get(&q, &v, sizeof v, &len, 0.01), MP_QUEUE_EMPTY);
    mp_trace_enable(false);
    mp_queue_detach(&q);
    const char *spans[] = {"put-wait", "get-wait"};
    assert_one_lane_of_spans(spans, 2);
    mp_trace_close();
}

static void test_nothing_left(void **state)
{
    (void)state;
    assert_no_children();
    assert_false(maps_dev_shm());
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_attach_checked),
        cmocka_unit_test(test_fifo_sizes_and_counts),
        cmocka_unit_test(test_timeouts_honoured),
        cmocka_unit_test(test_blocked_calls_wake),
        cmocka_unit_test_teardown(test_sleepers_woken, teardown_children),
        cmocka_unit_test(test_close_drain_end),
        cmocka_unit_test_teardown(test_task_done_and_join, teardown_children),
        cmocka_unit_test_teardown(test_every_start_method, teardown_children),
        cmocka_unit_test(test_threads_4x4),
        cmocka_unit_test_teardown(test_processes_4x4_million, teardown_children),
        cmocka_unit_test_teardown(test_dead_consumer_outside_get_loses_nothing, teardown_children),
        cmocka_unit_test_teardown(test_dead_consumer_does_not_hang_join, teardown_children),
        cmocka_unit_test_teardown(test_task_done_by_another_process, teardown_children),
        cmocka_unit_test_teardown(test_users_table_reused, teardown_children),
        cmocka_unit_test_teardown(test_killed_inside_put, teardown_children),
        cmocka_unit_test_teardown(test_killed_inside_get, teardown_children),
        cmocka_unit_test_teardown(test_sigkill_torture, teardown_children),
        cmocka_unit_test(test_waits_traced),
        cmocka_unit_test(test_nothing_left),
    };
    int rc = cmocka_run_group_tests_name("queue", tests, NULL, NULL);
    mp_forkserver_stop();
    return rc;
}
