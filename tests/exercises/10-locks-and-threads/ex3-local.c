/* Tests for exercise 10.3: four threads each set their user, all meet at
 * a barrier (so every set has happened before any read), then each reads
 * its own back; a new thread starts with "". */
#include "helpers.h"

#include "ex3-local.h"

static const char *const names[] = {"Alice", "Bob", "Carol", "Dave"};
static mp_barrier meet;
static atomic_int wrong;

static void *serve(void *arg)
{
    int me = (int)(intptr_t)arg;
    set_user(names[me]);
    mp_barrier_wait(&meet, 10);
    if (strcmp(current_user(), names[me]) != 0) {
        print_message("thread %d set %s and then saw %s\n", me, names[me], current_user());
        atomic_fetch_add(&wrong, 1);
    }
    return NULL;
}

static void *fresh(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)(current_user()[0] == '\0');
}

static void test_each_its_own(void **state)
{
    (void)state;
    assert_int_equal(mp_barrier_init(&meet, 4, NULL, NULL), 0);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, serve, (void *)(intptr_t)i), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    if (atomic_load(&wrong))
        fail_msg("%d of 4 threads saw another thread's user", atomic_load(&wrong));
    set_user("main");
    pthread_t f;
    void *r;
    assert_int_equal(pthread_create(&f, NULL, fresh, NULL), 0);
    pthread_join(f, &r);
    if (!(intptr_t)r)
        fail_msg("a new thread saw a user before it set one");
    assert_string_equal(current_user(), "main");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_each_its_own)};
    return cmocka_run_group_tests_name("10 ex3-local", tests, NULL, NULL);
}
