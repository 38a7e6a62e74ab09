/* Tests for exercise 02.2: the same answer as the serial count, for any
 * number of threads, including more threads than numbers; the counting done
 * in threads the function started, two of them at the same time.
 *
 * Which threads did the work is seen, not timed: the exercise's calls to
 * mp_count_primes() go through __wrap_mp_count_primes() below (the linker's
 * --wrap), which records the calling thread. However busy the machine, a
 * right answer passes and a wrong one fails. */
/* mpkit-ldflags: -Wl,--wrap=mp_count_primes */
#include "helpers.h"

uint64_t count_primes_threads(uint64_t hi, int nthreads);

uint64_t __real_mp_count_primes(uint64_t lo, uint64_t hi);
uint64_t __wrap_mp_count_primes(uint64_t lo, uint64_t hi);

/* What the wrapper saw since the last reset. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t entered = PTHREAD_COND_INITIALIZER;
enum { MAX_TIDS = 256 };
static pid_t tids[MAX_TIDS]; /* distinct callers */
static int ntids, calls, inside;
static bool overlapped; /* a thread entered while another was inside */
static bool rendezvous; /* the first caller waits for a second one */
static pid_t first_caller, main_thread;

#define RENDEZVOUS_S 10 /* bounded, generous: a started thread gets a CPU long before */

uint64_t __wrap_mp_count_primes(uint64_t lo, uint64_t hi)
{
    pid_t me = gettid();
    pthread_mutex_lock(&mu);
    calls++;
    bool known = false;
    for (int i = 0; i < ntids; i++)
        known |= tids[i] == me;
    if (!known && ntids < MAX_TIDS)
        tids[ntids++] = me;
    if (inside > 0)
        overlapped = true;
    inside++;
    pthread_cond_broadcast(&entered);
    if (rendezvous && first_caller == 0 && me != main_thread) {
        /* wait, inside the work, until another thread comes in: threads that
         * run at once meet here; threads started one after the other never do */
        first_caller = me;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += RENDEZVOUS_S;
        while (!overlapped)
            if (pthread_cond_timedwait(&entered, &mu, &until) == ETIMEDOUT)
                break;
    }
    pthread_mutex_unlock(&mu);
    uint64_t n = __real_mp_count_primes(lo, hi);
    pthread_mutex_lock(&mu);
    inside--;
    pthread_mutex_unlock(&mu);
    return n;
}

static void reset(bool meet)
{
    pthread_mutex_lock(&mu);
    ntids = calls = inside = 0;
    overlapped = false;
    rendezvous = meet;
    first_caller = 0;
    main_thread = gettid(); /* it never waits: it is wrong to count there at all */
    pthread_mutex_unlock(&mu);
}

/* The work ran in at least `want` threads, none of them the caller's. */
static void assert_counted_in_threads(int nthreads, int want)
{
    pid_t main_tid = gettid();
    pthread_mutex_lock(&mu);
    int n = ntids, c = calls;
    bool in_main = false;
    for (int i = 0; i < n; i++)
        in_main |= tids[i] == main_tid;
    pthread_mutex_unlock(&mu);
    if (c == 0)
        fail_msg("count_primes_threads(hi, %d) never called mp_count_primes(): each thread must count "
                 "its share with it", nthreads);
    if (in_main)
        fail_msg("count_primes_threads(hi, %d) ran mp_count_primes() in the calling thread: the work "
                 "belongs in the threads you start", nthreads);
    if (n < want)
        fail_msg("count_primes_threads(hi, %d) counted in %d thread(s), expected at least %d", nthreads, n,
                 want);
}

static void test_matches_serial(void **state)
{
    (void)state;
    uint64_t hi = 200000, expect = __real_mp_count_primes(0, hi);
    for (int n = 1; n <= 8; n++) {
        reset(false);
        assert_int_equal(count_primes_threads(hi, n), expect);
        assert_counted_in_threads(n, n < 2 ? n : 2);
    }
}

/* Tiny ranges: some threads may have nothing to count, so only the answer
 * is checked. */
static void test_small_and_odd_sizes(void **state)
{
    (void)state;
    reset(false);
    assert_int_equal(count_primes_threads(10, 16), 4); /* 2 3 5 7, more threads than numbers */
    assert_int_equal(count_primes_threads(3, 2), 1);
    assert_int_equal(count_primes_threads(0, 4), 0);
    assert_int_equal(count_primes_threads(100, 0), 0);
}

/* Two threads count at the same time: the first to start counting waits
 * (up to RENDEZVOUS_S seconds) for the second. Started and joined one after
 * the other, they never meet, however fast or slow the machine. */
static void test_threads_run_at_the_same_time(void **state)
{
    (void)state;
    uint64_t hi = 100000, expect = __real_mp_count_primes(0, hi);
    reset(true);
    assert_int_equal(count_primes_threads(hi, 2), expect);
    assert_counted_in_threads(2, 2);
    pthread_mutex_lock(&mu);
    bool met = overlapped;
    pthread_mutex_unlock(&mu);
    if (!met)
        fail_msg("with 2 threads, one counted alone for %d s and the other came in only after it: start "
                 "every thread before you join any", RENDEZVOUS_S);
    reset(false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_serial),
        cmocka_unit_test(test_small_and_odd_sizes),
        cmocka_unit_test(test_threads_run_at_the_same_time),
    };
    return cmocka_run_group_tests_name("02 ex2-threads", tests, NULL, NULL);
}
