/* Tests for exercise 02.3: the right answer, no child left behind, and the
 * counting done in child processes, two of them at the same time.
 *
 * Which processes did the work is seen, not timed: the exercise's calls to
 * mp_count_primes() go through __wrap_mp_count_primes() below (the linker's
 * --wrap), which records the caller's PID in memory shared with the
 * children. However busy the machine, a right answer passes and a wrong one
 * fails. */
/* mpkit-ldflags: -Wl,--wrap=mp_count_primes */
#include "helpers.h"

#include <sys/mman.h>

uint64_t count_primes_processes(uint64_t hi, int nprocs);

uint64_t __real_mp_count_primes(uint64_t lo, uint64_t hi);
uint64_t __wrap_mp_count_primes(uint64_t lo, uint64_t hi);

/* What the wrapper saw since the last reset, in a MAP_SHARED page that
 * every child inherits. */
enum { MAX_CALLS = 256 };
typedef struct seen {
    atomic_int calls, inside;
    atomic_bool overlapped; /* a process came in while another was inside */
    atomic_bool rendezvous; /* the first caller waits for a second one */
    atomic_int first_caller;
    atomic_int parent; /* it never waits: it is wrong to count there at all */
    atomic_int pids[MAX_CALLS];
} seen;
static seen *shared;

#define RENDEZVOUS_S 10 /* bounded, generous: a started process gets a CPU long before */

uint64_t __wrap_mp_count_primes(uint64_t lo, uint64_t hi)
{
    if (!shared)
        return __real_mp_count_primes(lo, hi);
    int me = (int)getpid();
    int i = atomic_fetch_add(&shared->calls, 1);
    if (i < MAX_CALLS)
        atomic_store(&shared->pids[i], me);
    if (atomic_fetch_add(&shared->inside, 1) > 0)
        atomic_store(&shared->overlapped, true);
    int nobody = 0;
    if (atomic_load(&shared->rendezvous) && me != atomic_load(&shared->parent) &&
        atomic_compare_exchange_strong(&shared->first_caller, &nobody, me)) {
        /* wait, inside the work, until another process comes in */
        uint64_t deadline = mp_now_ns() + (uint64_t)RENDEZVOUS_S * 1000000000u;
        while (!atomic_load(&shared->overlapped) && mp_now_ns() < deadline)
            mp_sleep_ns(1000000);
    }
    uint64_t n = __real_mp_count_primes(lo, hi);
    atomic_fetch_sub(&shared->inside, 1);
    return n;
}

static int setup(void **state)
{
    (void)state;
    shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return shared == MAP_FAILED ? -1 : 0;
}

static int teardown(void **state)
{
    munmap(shared, sizeof *shared);
    shared = NULL;
    return teardown_children(state);
}

static void reset(bool meet)
{
    memset(shared, 0, sizeof *shared);
    atomic_store(&shared->rendezvous, meet);
    atomic_store(&shared->parent, (int)getpid());
}

/* The work ran in at least `want` processes, none of them this one. */
static void assert_counted_in_children(int nprocs, int want)
{
    int calls = atomic_load(&shared->calls);
    if (calls > MAX_CALLS)
        calls = MAX_CALLS;
    if (calls == 0)
        fail_msg("count_primes_processes(hi, %d) never called mp_count_primes(): each child must count "
                 "its share with it", nprocs);
    int distinct = 0;
    for (int i = 0; i < calls; i++) {
        int pid = atomic_load(&shared->pids[i]);
        if (pid == (int)getpid())
            fail_msg("count_primes_processes(hi, %d) ran mp_count_primes() in the calling process: the "
                     "work belongs in the children you fork", nprocs);
        bool again = false;
        for (int j = 0; j < i; j++)
            again |= atomic_load(&shared->pids[j]) == pid;
        distinct += !again;
    }
    if (distinct < want)
        fail_msg("count_primes_processes(hi, %d) counted in %d process(es), expected at least %d", nprocs,
                 distinct, want);
}

static void test_matches_serial(void **state)
{
    (void)state;
    uint64_t hi = 200000, expect = __real_mp_count_primes(0, hi);
    for (int n = 1; n <= 6; n++) {
        reset(false);
        assert_int_equal(count_primes_processes(hi, n), expect);
        assert_no_children();
        assert_counted_in_children(n, n < 2 ? n : 2);
    }
}

/* Tiny ranges: some children may have nothing to count, so only the answer
 * and the clean-up are checked. */
static void test_small_sizes(void **state)
{
    (void)state;
    reset(false);
    assert_int_equal(count_primes_processes(10, 12), 4);
    assert_int_equal(count_primes_processes(0, 3), 0);
    assert_int_equal(count_primes_processes(100, 0), 0);
    assert_no_children();
}

/* Two children count at the same time: the first to start counting waits
 * (up to RENDEZVOUS_S seconds) for the second. Forked and waited for one
 * after the other, they never meet, however fast or slow the machine. */
static void test_children_run_at_the_same_time(void **state)
{
    (void)state;
    uint64_t hi = 100000, expect = __real_mp_count_primes(0, hi);
    reset(true);
    assert_int_equal(count_primes_processes(hi, 2), expect);
    assert_no_children();
    assert_counted_in_children(2, 2);
    if (!atomic_load(&shared->overlapped))
        fail_msg("with 2 children, one counted alone for %d s and the other came in only after it: fork "
                 "every child before you wait for any", RENDEZVOUS_S);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_matches_serial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_small_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_children_run_at_the_same_time, setup, teardown),
    };
    return cmocka_run_group_tests_name("02 ex3-processes", tests, NULL, NULL);
}
