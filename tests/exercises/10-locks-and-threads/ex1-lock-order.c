/* Tests for exercise 10.1: the order of the locks, recorded, and two
 * threads transferring in opposite directions 50,000 times each with the
 * money kept. lock_account waits at most 2 s: a deadlock fails the test
 * instead of hanging it. */
#include "helpers.h"

#include "ex1-lock-order.h"

static _Thread_local int last_id; /* the id this thread locked last, while it holds one */
static atomic_int out_of_order;

int lock_account(account *a)
{
    if (last_id > a->id)
        atomic_fetch_add(&out_of_order, 1);
    int rc = mp_lock_acquire(&a->lock, 2.0);
    if (rc == 0)
        last_id = a->id;
    return rc;
}

int unlock_account(account *a)
{
    last_id = 0;
    return mp_lock_release(&a->lock);
}

static account acc[2];

static void setup_accounts(void)
{
    for (int i = 0; i < 2; i++) {
        acc[i] = (account){.id = i + 1, .balance = 1000000};
        assert_int_equal(mp_lock_init(&acc[i].lock, MP_LOCK, NULL), 0);
    }
    atomic_store(&out_of_order, 0);
}

static void test_lower_id_first(void **state)
{
    (void)state;
    setup_accounts();
    assert_int_equal(transfer(&acc[0], &acc[1], 10), 0);
    assert_int_equal(transfer(&acc[1], &acc[0], 3), 0);
    if (atomic_load(&out_of_order))
        fail_msg("a transfer from account 2 to account 1 locked account 2 first");
    assert_int_equal(acc[0].balance, 1000000 - 7);
    assert_int_equal(acc[1].balance, 1000000 + 7);
}

typedef struct mover { account *from, *to; int rc; } mover;
static void *move_many(void *arg)
{
    mover *m = arg;
    for (int i = 0; i < 50000 && m->rc == 0; i++)
        m->rc = transfer(m->from, m->to, 1 + i % 5);
    return NULL;
}

static void test_opposite_directions(void **state)
{
    (void)state;
    setup_accounts();
    mover m1 = {&acc[0], &acc[1], 0}, m2 = {&acc[1], &acc[0], 0};
    mp_thread t1, t2;
    mp_thread_init(&t1, "one-way", move_many, &m1);
    mp_thread_init(&t2, "other-way", move_many, &m2);
    assert_int_equal(mp_thread_start(&t1), 0);
    assert_int_equal(mp_thread_start(&t2), 0);
    assert_int_equal(mp_thread_join(&t1, NULL), 0);
    assert_int_equal(mp_thread_join(&t2, NULL), 0);
    if (m1.rc == -ETIMEDOUT || m2.rc == -ETIMEDOUT)
        fail_msg("a transfer waited 2 s for a lock: the two threads deadlocked");
    assert_int_equal(m1.rc, 0);
    assert_int_equal(m2.rc, 0);
    assert_int_equal(acc[0].balance + acc[1].balance, 2000000); /* no money made or lost */
    assert_int_equal(atomic_load(&out_of_order), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lower_id_first),
        cmocka_unit_test(test_opposite_directions),
    };
    return cmocka_run_group_tests_name("10 ex1-lock-order", tests, NULL, NULL);
}
