/* Tests for exercise 07.3: stop when the sender goes quiet, or at EOF.
 *
 * The sender is a child process that sends some numbers, then either ends
 * (EOF) or sleeps holding its end open (quiet). A receiver that waits only
 * for EOF would wait for ever on a quiet sender: collect_until_quiet runs
 * in a thread, and after 5 s the test kills the sender (which ends the
 * wait with EOF) and fails. Timing is checked only as a lower bound: a
 * quiet period is not over before quiet_s. */
#include "helpers.h"

#include "ex3-quiet.h"

#define LIMIT_S 5.0
#define QUIET_S 0.3

typedef struct plan {
    int count;       /* numbers to send: 0, 10, 20, ... */
    bool stay_quiet; /* then sleep with the end open, rather than exit */
} plan;

static int sender(void *arg)
{
    const plan *p = arg;
    mp_conn w;
    if (mp_conn_from_fd(&w, mp_child_fd(0), MP_CONN_SEND) != 0)
        return 1;
    for (int64_t i = 0; i < p->count; i++) {
        int64_t v = 10 * i;
        if (mp_conn_send(&w, &v, sizeof v) != 0)
            return 2;
    }
    if (p->stay_quiet)
        for (;;)
            pause(); /* until the test kills it */
    return 0;
}

/* A sender child following plan, and our receiving end of its pipe. */
static void start_sender(mp_process *p, plan *pl, mp_conn *r)
{
    mp_conn w;
    assert_int_equal(mp_pipe(r, &w, false), 0);
    mp_process_init(p, "sender", sender, pl);
    mp_process_pass_fd(p, w.fd);
    assert_int_equal(mp_process_start(p), 0);
    mp_conn_close(&w); /* the child has its copy: ours would hide its EOF */
}

typedef struct call {
    mp_conn *c;
    int64_t out[16];
    bool ended;
    int rc;
    atomic_bool done;
} call;

static void *caller(void *arg)
{
    call *k = arg;
    k->rc = collect_until_quiet(k->c, QUIET_S, k->out, 16, &k->ended);
    atomic_store(&k->done, true);
    return NULL;
}

/* collect_until_quiet(c, QUIET_S) in a thread; if it is still waiting after
 * LIMIT_S, kill the sender (its EOF ends the wait) and fail. */
static void collect_bounded(call *k, mp_conn *c, mp_process *sender_p, double *elapsed_s)
{
    memset(k, 0, sizeof *k);
    k->c = c;
    pthread_t t;
    uint64_t t0 = mp_now_ns();
    assert_int_equal(pthread_create(&t, NULL, caller, k), 0);
    while (!atomic_load(&k->done) && mp_now_ns() - t0 < (uint64_t)(LIMIT_S * 1e9))
        mp_sleep_ns(2000000);
    bool in_time = atomic_load(&k->done);
    if (!in_time)
        mp_process_kill(sender_p);
    pthread_join(t, NULL);
    *elapsed_s = (double)(mp_now_ns() - t0) / 1e9;
    if (!in_time)
        fail_msg("collect_until_quiet still waited %.0f s after the sender went quiet (quiet_s = %.1f): it "
                 "stops only at EOF (use mp_conn_poll with a timeout)", LIMIT_S, QUIET_S);
}

static void test_stops_when_quiet(void **state)
{
    (void)state;
    plan pl = {.count = 5, .stay_quiet = true};
    mp_process p;
    mp_conn r;
    call k;
    double took;
    start_sender(&p, &pl, &r);
    collect_bounded(&k, &r, &p, &took);
    assert_int_equal(k.rc, 5);
    assert_false(k.ended);
    for (int i = 0; i < 5; i++)
        assert_int_equal(k.out[i], 10 * i);
    if (took < QUIET_S * 0.95)
        fail_msg("returned after %.3f s: the quiet period is %.1f s, it cannot be over sooner", took, QUIET_S);

    /* Still quiet: nothing more, and the connection still works */
    collect_bounded(&k, &r, &p, &took);
    assert_int_equal(k.rc, 0);
    assert_false(k.ended);

    /* The sender dies: its end closes, which is EOF */
    assert_int_equal(mp_process_terminate(&p), 0);
    assert_int_equal(mp_process_join(&p, 20.0), 0);
    assert_int_equal(p.exitcode, -15);
    collect_bounded(&k, &r, &p, &took);
    assert_int_equal(k.rc, 0);
    assert_true(k.ended);
    mp_conn_close(&r);
    assert_no_children();
}

static void test_stops_at_eof(void **state)
{
    (void)state;
    plan pl = {.count = 3, .stay_quiet = false};
    mp_process p;
    mp_conn r;
    call k;
    double took;
    start_sender(&p, &pl, &r);
    collect_bounded(&k, &r, &p, &took);
    assert_int_equal(k.rc, 3);
    assert_true(k.ended);
    for (int i = 0; i < 3; i++)
        assert_int_equal(k.out[i], 10 * i);
    assert_int_equal(mp_process_join(&p, 20.0), 0);
    assert_int_equal(p.exitcode, 0);
    mp_conn_close(&r);
    assert_no_children();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_stops_when_quiet, teardown_children),
        cmocka_unit_test_teardown(test_stops_at_eof, teardown_children),
    };
    return cmocka_run_group_tests_name("07 ex3-quiet", tests, NULL, NULL);
}
