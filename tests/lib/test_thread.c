/* thread: start/join with a return value, names, thread-local data. */
#include "helpers.h"

static void *square(void *arg)
{
    intptr_t x = (intptr_t)arg;
    return (void *)(x * x);
}

static void *my_role(void *arg)
{
    snprintf(arg, 32, "%s", mp_role()); /* copy: the role lives in this thread's storage */
    return NULL;
}

static void test_return_values(void **state)
{
    (void)state;
    enum { N = 8 };
    mp_thread t[N];
    for (int i = 0; i < N; i++) {
        mp_thread_init(&t[i], NULL, square, (void *)(intptr_t)i);
        assert_int_equal(mp_thread_start(&t[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        void *r;
        assert_int_equal(mp_thread_join(&t[i], &r), 0);
        assert_int_equal((intptr_t)r, i * i);
        assert_int_equal((intptr_t)t[i].result, i * i);
    }
}

static void test_names_become_roles(void **state)
{
    (void)state;
    char seen[32] = "";
    mp_thread t;
    mp_thread_init(&t, "worker-7", my_role, seen);
    assert_int_equal(mp_thread_start(&t), 0);
    assert_int_equal(mp_thread_join(&t, NULL), 0);
    assert_string_equal(seen, "worker-7"); /* the thread's lines are tagged with its name */
    mp_thread u;
    mp_thread_init(&u, NULL, square, NULL);
    assert_memory_equal(u.name, "Thread-", 7);
}

static void test_misuse(void **state)
{
    (void)state;
    mp_thread t;
    mp_thread_init(&t, NULL, square, (void *)3);
    assert_int_equal(mp_thread_join(&t, NULL), -EINVAL); /* not started */
    assert_int_equal(mp_thread_start(&t), 0);
    assert_int_equal(mp_thread_start(&t), -EALREADY);
    void *r;
    assert_int_equal(mp_thread_join(&t, &r), 0);
    assert_int_equal(mp_thread_join(&t, &r), 0); /* again: the same result */
    assert_int_equal((intptr_t)r, 9);
}

/* threading.local: one block per thread, initialised once in each. */
static atomic_int inits;
typedef struct counter_block { int id; int count; } counter_block;

static void init_block(void *data, void *arg)
{
    counter_block *b = data;
    b->id = atomic_fetch_add(&inits, 1) + (int)(intptr_t)arg;
}

static mp_local local;

static void *bump_local(void *arg)
{
    int times = (int)(intptr_t)arg;
    counter_block *first = mp_local_get(&local);
    for (int i = 0; i < times; i++) {
        counter_block *b = mp_local_get(&local);
        if (b != first)
            return (void *)-1; /* the same block every time in one thread */
        b->count++;
        sched_yield();
    }
    return (void *)(intptr_t)first->count;
}

static void test_thread_local(void **state)
{
    (void)state;
    inits = 0;
    assert_int_equal(mp_local_init(&local, sizeof(counter_block), init_block, (void *)1000), 0);
    enum { N = 4 };
    mp_thread t[N];
    for (int i = 0; i < N; i++) {
        mp_thread_init(&t[i], NULL, bump_local, (void *)(intptr_t)(100 * (i + 1)));
        assert_int_equal(mp_thread_start(&t[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        void *r;
        assert_int_equal(mp_thread_join(&t[i], &r), 0);
        assert_int_equal((intptr_t)r, 100 * (i + 1)); /* nobody else touched this thread's count */
    }
    assert_int_equal(inits, N);
    counter_block *mine = mp_local_get(&local); /* the main thread gets its own, fresh */
    assert_int_equal(mine->count, 0);
    assert_true(mine->id >= 1000);
    assert_int_equal(inits, N + 1);
    mp_local_destroy(&local);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_return_values),
        cmocka_unit_test(test_names_become_roles),
        cmocka_unit_test(test_misuse),
        cmocka_unit_test(test_thread_local),
    };
    return cmocka_run_group_tests_name("thread", tests, NULL, NULL);
}
