/* gil: mutual exclusion, forced switching, the rate of switches, voluntary
 * release, the free-threaded mode, counters that add up, and the old lock's
 * wake-ups as the kernel counts them. */
#include "helpers.h"

typedef struct shared_state {
    mp_gil *gil;
    uint64_t ticks;
    atomic_int holders;     /* threads inside their "holding" window right now */
    atomic_int violations;  /* times someone saw another holder */
} shared_state;

static void *exclusive_worker(void *arg)
{
    shared_state *s = arg;
    mp_gil_thread t;
    mp_gil_thread_init(s->gil, &t);
    mp_gil_acquire(s->gil, &t);
    for (uint64_t i = 0; i < s->ticks; i++) {
        mp_gil_tick(s->gil, &t); /* may drop and re-take: after it, we hold the lock */
        if (atomic_fetch_add(&s->holders, 1) != 0)
            atomic_fetch_add(&s->violations, 1);
        atomic_fetch_sub(&s->holders, 1);
    }
    mp_gil_release(s->gil, &t);
    return (void *)(uintptr_t)t.acquisitions;
}

static mp_gil_counters run_threads(mp_gil *g, int n, uint64_t ticks, shared_state *s, uint64_t *acq_sum)
{
    *s = (shared_state){.gil = g, .ticks = ticks};
    mp_thread th[8];
    for (int i = 0; i < n; i++) {
        mp_thread_init(&th[i], NULL, exclusive_worker, s);
        assert_int_equal(mp_thread_start(&th[i]), 0);
    }
    *acq_sum = 0;
    for (int i = 0; i < n; i++) {
        void *r;
        assert_int_equal(mp_thread_join(&th[i], &r), 0);
        *acq_sum += (uintptr_t)r;
    }
    return mp_gil_read_counters(g);
}

static void test_mutual_exclusion(void **state)
{
    (void)state;
    for (int mode = MP_GIL_OLD; mode <= MP_GIL_NEW; mode++) {
        uint64_t handoffs = 0;
        for (int run = 0; run < 10 && handoffs < 3; run++) { /* until the lock has moved 3 times */
            mp_gil g;
            assert_int_equal(mp_gil_init(&g, (mp_gil_mode)mode, 100, 10), 0);
            shared_state s;
            uint64_t acq;
            mp_gil_counters k = run_threads(&g, 3, mp_gil_ticks_for(0.1), &s, &acq);
            assert_int_equal(s.violations, 0); /* never two holders at once */
            handoffs += k.handoffs;
            mp_gil_destroy(&g);
        }
        assert_true(handoffs >= 3); /* the lock really moved between threads */
    }
}

/* After a forced drop by thread T, the next thread to take the lock is not T. */
static void test_forced_drop_hands_over(void **state)
{
    (void)state;
    /* Runs until at least 5 forced drops were seen (a loaded machine may
     * need more than one run: the work is counted in ticks, not time), at
     * most 50 runs; every forced drop must hand the lock over. */
    int forced = 0;
    for (int run = 0; run < 50 && forced < 5; run++) {
        mp_gil g;
        assert_int_equal(mp_gil_init(&g, MP_GIL_NEW, 1000, 100), 0);
        assert_int_equal(mp_gil_log(&g, 100000), 0);
        shared_state s;
        uint64_t acq;
        run_threads(&g, 2, mp_gil_ticks_for(0.05), &s, &acq);
        size_t n = g.log_len < g.log_cap ? g.log_len : g.log_cap;
        for (size_t i = 0; i < n; i++) {
            if (g.log[i].what != 'F')
                continue;
            forced++;
            size_t j = i + 1;
            while (j < n && g.log[j].what != 'A')
                j++;
            if (j < n && g.log[j].thread == g.log[i].thread)
                fail_msg("thread %d dropped by force at entry %zu and took the lock back first", g.log[i].thread, i);
        }
        mp_gil_destroy(&g);
    }
    assert_true(forced >= 5);
}

/* No more forced switches per second than 1/interval, with slack. */
static void test_switch_rate_bounded(void **state)
{
    (void)state;
    uint64_t interval_us = 2000, forced = 0;
    for (int run = 0; run < 20 && forced == 0; run++) { /* until one forced drop was seen */
        mp_gil g;
        assert_int_equal(mp_gil_init(&g, MP_GIL_NEW, interval_us, 100), 0);
        shared_state s;
        uint64_t acq, t0 = mp_now_ns();
        mp_gil_counters k = run_threads(&g, 2, mp_gil_ticks_for(0.15), &s, &acq);
        double elapsed = mp_ns_to_s(mp_now_ns() - t0);
        double ceiling = elapsed / (interval_us / 1e6);
        print_message("%llu forced drops in %.3f s; ceiling %.0f\n", (unsigned long long)k.forced_drops, elapsed,
                      ceiling);
        assert_true((double)k.forced_drops <= 1.2 * ceiling + 2); /* a waiter asks only after a whole interval */
        forced += k.forced_drops;
        mp_gil_destroy(&g);
    }
    assert_true(forced >= 1);
}

/* A voluntary release lets a waiter in at once, not after an interval. */
typedef struct handover { mp_gil *gil; atomic_int stage; uint64_t released_at, taken_at; } handover;

static void *waiter(void *arg)
{
    handover *h = arg;
    mp_gil_thread t;
    mp_gil_thread_init(h->gil, &t);
    atomic_store(&h->stage, 1);      /* about to wait */
    mp_gil_acquire(h->gil, &t);
    h->taken_at = mp_now_ns();
    atomic_store(&h->stage, 2);      /* has had it */
    mp_gil_release(h->gil, &t);
    return NULL;
}

static void test_voluntary_release_is_immediate(void **state)
{
    (void)state;
    mp_gil g;
    mp_gil_thread me;
    hold_new_gil(&g, &me, 1000000); /* 1 s interval: no forced switch */
    handover h = {.gil = &g};
    mp_thread w;
    mp_thread_init(&w, NULL, waiter, &h);
    assert_int_equal(mp_thread_start(&w), 0);
    while (atomic_load(&h.stage) == 0)
        sched_yield();
    mp_sleep_ns(30000000); /* the waiter is now blocked in acquire */
    h.released_at = mp_now_ns();
    mp_gil_begin_blocking(&g, &me);
    /* a "read" that lasts until the waiter has had the lock (at most 30 s) */
    for (int i = 0; i < 3000 && atomic_load(&h.stage) != 2; i++)
        mp_sleep_ns(10000000);
    mp_gil_end_blocking(&g, &me);
    mp_gil_release(&g, &me);
    assert_int_equal(mp_thread_join(&w, NULL), 0);
    double waited = mp_ns_to_s(h.taken_at - h.released_at);
    print_message("the waiter got the lock %.1f ms after the release (interval 1000 ms)\n", waited * 1e3);
    assert_true(h.taken_at > h.released_at);
    /* woken by the release itself: a waiter left to its own timer would
     * take a whole interval (1 s) to look again */
    assert_true(waited < 0.9);
    mp_gil_destroy(&g);
}

/* Free-threaded: two threads hold "the lock" at the same time. */
typedef struct together { mp_gil *gil; atomic_int inside; atomic_int met; } together;

static void *hold_together(void *arg)
{
    together *s = arg;
    mp_gil_thread t;
    mp_gil_thread_init(s->gil, &t);
    mp_gil_acquire(s->gil, &t);
    atomic_fetch_add(&s->inside, 1);
    uint64_t until = mp_now_ns() + 2000000000u;
    while (atomic_load(&s->inside) < 2 && mp_now_ns() < until)
        sched_yield();
    if (atomic_load(&s->inside) == 2)
        atomic_fetch_add(&s->met, 1);
    mp_gil_release(s->gil, &t);
    return NULL;
}

static void test_none_never_blocks(void **state)
{
    (void)state;
    mp_gil g;
    assert_int_equal(mp_gil_init(&g, MP_GIL_NONE, 5000, 100), 0);
    together s = {.gil = &g};
    mp_thread th[2];
    for (int i = 0; i < 2; i++) {
        mp_thread_init(&th[i], NULL, hold_together, &s);
        assert_int_equal(mp_thread_start(&th[i]), 0);
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(mp_thread_join(&th[i], NULL), 0);
    assert_int_equal(s.met, 2);
    mp_gil_counters k = mp_gil_read_counters(&g);
    assert_int_equal(k.drop_requests + k.forced_drops + k.failed_wakeups + k.handoffs + k.wakeups, 0);
    mp_gil_destroy(&g);
}

static void test_counters_add_up(void **state)
{
    (void)state;
    for (int mode = MP_GIL_OLD; mode <= MP_GIL_NEW; mode++) {
        mp_gil g;
        assert_int_equal(mp_gil_init(&g, (mp_gil_mode)mode, 500, 50), 0);
        assert_int_equal(mp_gil_log(&g, 1 << 20), 0);
        shared_state s;
        uint64_t per_thread;
        mp_gil_counters k = run_threads(&g, 2, mp_gil_ticks_for(0.05), &s, &per_thread);
        assert_int_equal(k.acquisitions, per_thread);
        assert_true(k.handoffs < k.acquisitions);
        size_t n = g.log_len;
        assert_true(n <= g.log_cap);
        uint64_t changes = 0, takes = 0;
        int prev = 0;
        for (size_t i = 0; i < n; i++) {
            if (g.log[i].what != 'A')
                continue;
            takes++;
            if (prev && g.log[i].thread != prev)
                changes++;
            prev = g.log[i].thread;
        }
        assert_int_equal(takes, k.acquisitions);
        assert_int_equal(changes, k.handoffs);
        assert_true(k.failed_wakeups <= k.wakeups); /* a failed wake-up is a wake-up */
        if (mode == MP_GIL_OLD) {
            assert_int_equal(k.drop_requests, 0);
            assert_int_equal(k.forced_drops, 0);
        } else {
            assert_true(k.forced_drops <= k.drop_requests);
        }
        mp_gil_destroy(&g);
    }
}

/* The old lock: a thread that takes a free semaphore never sleeps, so it
 * counts no wake-up; one that finds it taken sleeps until the holder lets
 * go, and the kernel's count of its voluntary context switches says how
 * often it was woken -- the last wake-up got the lock, any before it
 * failed. The waiter is known to be asleep (state S in /proc) before the
 * holder lets go, so this does not depend on timing. */
typedef struct sleeper { mp_gil *gil; atomic_int tid; mp_gil_thread t; } sleeper;

static void *sleep_on_the_lock(void *arg)
{
    sleeper *s = arg;
    mp_gil_thread_init(s->gil, &s->t);
    atomic_store(&s->tid, (int)gettid());
    mp_gil_acquire(s->gil, &s->t); /* the main thread holds it: we sleep */
    mp_gil_release(s->gil, &s->t);
    return NULL;
}

static void test_old_lock_wakeups_are_measured(void **state)
{
    (void)state;
    mp_gil g;
    assert_int_equal(mp_gil_init(&g, MP_GIL_OLD, 5000, 100), 0);
    mp_gil_thread me;
    mp_gil_thread_init(&g, &me);
    mp_gil_countdown(&g, &me, 10000); /* alone: 100 release/re-takes, none of them sleeps */
    mp_gil_counters k = mp_gil_read_counters(&g);
    assert_int_equal(k.wakeups + k.failed_wakeups + k.handoffs, 0);
    assert_int_equal(me.wakeups, 0);

    mp_gil_acquire(&g, &me);
    sleeper s = {.gil = &g};
    mp_thread th;
    mp_thread_init(&th, NULL, sleep_on_the_lock, &s);
    assert_int_equal(mp_thread_start(&th), 0);
    while (atomic_load(&s.tid) == 0)
        sched_yield();
    uint64_t deadline = mp_now_ns() + 60000000000u;
    while (mp_proc_state(atomic_load(&s.tid)) != 'S' && mp_now_ns() < deadline)
        mp_sleep_ns(1000000);
    assert_int_equal(mp_proc_state(atomic_load(&s.tid)), 'S'); /* asleep in sem_wait */
    mp_gil_release(&g, &me);
    assert_int_equal(mp_thread_join(&th, NULL), 0);
    k = mp_gil_read_counters(&g);
    print_message("the waiter was woken %llu time(s), %llu of them for nothing\n", (unsigned long long)s.t.wakeups,
                  (unsigned long long)s.t.failed_wakeups);
    assert_true(s.t.wakeups >= 1);
    assert_int_equal(s.t.failed_wakeups, s.t.wakeups - 1);
    assert_int_equal(k.wakeups, s.t.wakeups);
    assert_int_equal(k.failed_wakeups, s.t.failed_wakeups);
    assert_int_equal(k.handoffs, 1); /* main, then the waiter */
    mp_gil_destroy(&g);
}

static void test_bad_settings(void **state)
{
    (void)state;
    mp_gil g;
    assert_int_equal(mp_gil_init(&g, MP_GIL_NEW, 0, 100), -EINVAL);
    assert_int_equal(mp_gil_init(&g, MP_GIL_OLD, 100, 0), -EINVAL);
    assert_int_equal(mp_gil_init(&g, (mp_gil_mode)7, 100, 100), -EINVAL);
}

/* Each process has its own lock: a child takes its own at once, while the
 * parent holds its lock the whole time. */
static int child_takes_own_lock(void *arg)
{
    (void)arg;
    mp_gil g;
    if (mp_gil_init(&g, MP_GIL_NEW, 5000, 100) != 0)
        return 2;
    mp_gil_thread t;
    mp_gil_thread_init(&g, &t);
    mp_gil_countdown(&g, &t, 1000);
    mp_gil_destroy(&g);
    return 0;
}

static void test_process_has_its_own_lock(void **state)
{
    (void)state;
    mp_gil g;
    mp_gil_thread me;
    hold_new_gil(&g, &me, 5000);
    mp_process p;
    mp_process_init(&p, NULL, child_takes_own_lock, NULL);
    assert_int_equal(mp_process_start(&p), 0);
    assert_int_equal(mp_process_join(&p, 10.0), 0);
    assert_int_equal(p.exitcode, 0);
    mp_gil_release(&g, &me);
    mp_gil_destroy(&g);
    assert_no_children();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutual_exclusion),
        cmocka_unit_test(test_forced_drop_hands_over),
        cmocka_unit_test(test_switch_rate_bounded),
        cmocka_unit_test(test_voluntary_release_is_immediate),
        cmocka_unit_test(test_none_never_blocks),
        cmocka_unit_test(test_counters_add_up),
        cmocka_unit_test(test_old_lock_wakeups_are_measured),
        cmocka_unit_test(test_bad_settings),
        cmocka_unit_test(test_process_has_its_own_lock),
    };
    return cmocka_run_group_tests_name("gil", tests, NULL, NULL);
}
