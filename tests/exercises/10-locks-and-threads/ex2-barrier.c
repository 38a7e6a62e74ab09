/* Tests for exercise 10.2: three threads, 200 rounds. In each round every
 * thread records its arrival, waits, then checks that all three had arrived
 * before any went on; the indices of a round are 0, 1 and 2. In the first
 * round the threads arrive 30 ms apart, so a barrier that does not wait
 * lets the first one through alone. Waits are bounded: a thread that never
 * comes back fails the test after 10 s. */
#include "helpers.h"

#include "ex2-barrier.h"

#define PARTIES 3
#define ROUNDS 200

static my_barrier bar;
static atomic_int arrived[ROUNDS];
static atomic_int early, index_seen[ROUNDS];
static atomic_int finished;

static void *party(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (int r = 0; r < ROUNDS; r++) {
        if (r == 0)
            mp_sleep_ns((uint64_t)me * 30000000);
        atomic_fetch_add(&arrived[r], 1);
        int i = my_barrier_wait(&bar);
        if (atomic_load(&arrived[r]) != PARTIES)
            atomic_fetch_add(&early, 1);
        if (i >= 0 && i < PARTIES)
            atomic_fetch_or(&index_seen[r], 1 << i);
    }
    atomic_fetch_add(&finished, 1);
    return NULL;
}

static void test_rounds(void **state)
{
    (void)state;
    assert_int_equal(my_barrier_init(&bar, 0), -EINVAL);
    assert_int_equal(my_barrier_init(&bar, PARTIES), 0);
    pthread_t t[PARTIES];
    for (int i = 0; i < PARTIES; i++)
        assert_int_equal(pthread_create(&t[i], NULL, party, (void *)(intptr_t)i), 0);
    for (int i = 0; i < 10000 && atomic_load(&finished) < PARTIES; i++)
        mp_sleep_ns(1000000);
    if (atomic_load(&finished) < PARTIES)
        fail_msg("after 10 s only %d of %d threads finished their %d rounds: some wait forever",
                 atomic_load(&finished), PARTIES, ROUNDS); /* (the stuck threads end with the test) */
    for (int i = 0; i < PARTIES; i++)
        pthread_join(t[i], NULL);
    if (atomic_load(&early))
        fail_msg("%d time(s) a thread went on before all %d had arrived", atomic_load(&early), PARTIES);
    for (int r = 0; r < ROUNDS; r++)
        if (atomic_load(&index_seen[r]) != (1 << PARTIES) - 1)
            fail_msg("round %d: the indices were not 0, 1 and 2 (seen: %#x)", r, atomic_load(&index_seen[r]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_rounds)};
    return cmocka_run_group_tests_name("10 ex2-barrier", tests, NULL, NULL);
}
