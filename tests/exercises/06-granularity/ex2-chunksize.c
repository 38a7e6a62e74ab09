/* Tests for exercise 06.2: the chunksize chosen for tiny tasks, measured.
 *
 * 50,000 tasks of about 200 ns on a running process pool of 2 workers
 * (forked, so the pool's start is not in the time), with the chosen
 * chunksize and with chunksize 1, and the serial loop: five runs each,
 * taking turns, medians compared. The margins are wide enough that load
 * cannot flip them: chunksize 1 ships 50,000 tasks one by one (about 4x
 * the loop here), a good chunksize a handful of chunks (about 0.55x the
 * loop on 2 CPUs, about 1x on one busy CPU), so a good choice must be at
 * least 2x faster than chunksize 1 and no slower than 1.5x the loop. */
#include "helpers.h"

#include "ex2-chunksize.h"

#define N 50000
#define WORKERS 2
#define RUNS 5

typedef struct spin_arg { uint64_t steps, seed; } spin_arg;
static int spin_task(const void *arg, void *result)
{
    const spin_arg *a = arg;
    *(uint64_t *)result = mp_spin(a->steps, a->seed);
    return 0;
}
MP_TASK(spin_task)

static spin_arg args[N];
static uint64_t want[N], got[N];

static double time_map(mp_pool *p, size_t chunksize)
{
    memset(got, 0, sizeof got);
    mp_call_opts o = {.chunksize = chunksize};
    uint64_t t0 = mp_now_ns();
    assert_int_equal(mp_pool_map(p, spin_task, args, N, sizeof *args, got, sizeof *got, &o), 0);
    double s = mp_ns_to_s(mp_now_ns() - t0);
    assert_memory_equal(got, want, sizeof want);
    return s;
}

static double median(double *v, int n)
{
    mp_stats st;
    mp_stats_of(v, (size_t)n, &st);
    return st.median;
}

static void test_within_bounds(void **state)
{
    (void)state;
    const size_t ns[] = {1, 2, 7, 100, 20000, 1000000};
    for (int i = 0; i < 6; i++)
        for (int w = 1; w <= 16; w *= 2) {
            size_t c = choose_chunksize(ns[i], w);
            if (c < 1 || c > ns[i])
                fail_msg("choose_chunksize(%zu, %d) = %zu: not between 1 and %zu", ns[i], w, c, ns[i]);
        }
    /* every worker gets at least one chunk of 50,000 tasks */
    size_t c = choose_chunksize(N, WORKERS);
    if ((N + c - 1) / c < WORKERS)
        fail_msg("chunksize %zu makes %zu chunk(s) for %d workers: a worker gets nothing", c, (N + c - 1) / c,
                 WORKERS);
}

static void test_pays_off(void **state)
{
    (void)state;
    uint64_t steps = mp_spin_steps_for_ns(200);
    for (size_t i = 0; i < N; i++) {
        args[i] = (spin_arg){steps, i + 1};
        want[i] = mp_spin(steps, i + 1);
    }
    mp_pool_opts o = mp_pool_defaults(MP_POOL_PROCESSES);
    o.start = MP_START_FORK;
    o.workers = WORKERS;
    mp_pool *p = NULL;
    assert_int_equal(mp_pool_create(&p, &o), 0);
    size_t chosen = choose_chunksize(N, WORKERS);
    double serial[RUNS], one[RUNS], yours[RUNS];
    for (int r = 0; r < RUNS; r++) {
        uint64_t t0 = mp_now_ns();
        for (size_t i = 0; i < N; i++)
            got[i] = mp_spin(args[i].steps, args[i].seed);
        serial[r] = mp_ns_to_s(mp_now_ns() - t0);
        one[r] = time_map(p, 1);
        yours[r] = time_map(p, chosen);
    }
    mp_pool_close(p);
    assert_int_equal(mp_pool_join(p), 0);
    mp_pool_free(p);
    double s = median(serial, RUNS), o1 = median(one, RUNS), y = median(yours, RUNS);
    print_message("%d tasks of 200 ns: serial %.2f ms, chunksize 1 %.2f ms, chunksize %zu %.2f ms (%.2fx the "
                  "loop)\n", N, s * 1e3, o1 * 1e3, chosen, y * 1e3, s / y);
    if (y * 2 > o1)
        fail_msg("chunksize %zu took %.2f ms, not 2x faster than chunksize 1 (%.2f ms)", chosen, y * 1e3, o1 * 1e3);
    if (y > 1.5 * s)
        fail_msg("chunksize %zu took %.2f ms, more than 1.5x the serial loop (%.2f ms): it does not pay off", chosen,
                 y * 1e3, s * 1e3);
}

int main(int argc, char **argv)
{
    static const mp_entry entries[] = {{0}};
    mp_spawn_main(argc, argv, entries);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_within_bounds),
        cmocka_unit_test_teardown(test_pays_off, teardown_children),
    };
    return cmocka_run_group_tests_name("06 ex2-chunksize", tests, NULL, NULL);
}
