/* Tests for exercise 07.2: the pipeline ends, every message arrives in
 * order, and nothing is left behind.
 *
 * run_pipeline runs in a thread of the test, so that a pipeline that never
 * sees EOF is a failed test after a bounded wait (5 s: far more than the
 * pipeline needs on a busy machine), not a test that hangs. The children it
 * started are then killed and reaped, and the stuck thread is left behind:
 * the test binary ends right after. */
#include "helpers.h"

#include <dirent.h>

#include "ex2-forgotten-end.h"

#define LIMIT_S 5.0

typedef struct run {
    int n, cap, rc;
    int64_t *squares;
    atomic_bool done;
} run;

static void *runner(void *arg)
{
    run *r = arg;
    r->rc = run_pipeline(r->n, r->squares, r->cap);
    atomic_store(&r->done, true);
    return NULL;
}

/* Run run_pipeline(n) within LIMIT_S; fail with what was seen if it hangs. */
static int run_bounded(int n, int64_t *squares, int cap)
{
    run *r = calloc(1, sizeof *r); /* a stuck thread keeps using it: never freed then */
    *r = (run){.n = n, .cap = cap, .squares = squares};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, runner, r), 0);
    uint64_t deadline = mp_now_ns() + (uint64_t)(LIMIT_S * 1e9);
    while (!atomic_load(&r->done) && mp_now_ns() < deadline)
        mp_sleep_ns(2000000);
    if (!atomic_load(&r->done)) {
        pthread_detach(t);
        int zombies = 0;
        int kids = mp_proc_count_children(&zombies);
        kill_leftover_children();
        const char *seen = kids - zombies > 0
                               ? "a stage still waits for EOF on its input (is its write end open in some "
                                 "other process -- or in the waiting process itself?)"
                               : "both children are done, yet the parent got no EOF on the squares";
        fail_msg("no EOF after %.0f s: some process still holds the write end. run_pipeline(%d) did not "
                 "return; %d child(ren) still running, %d exited: %s",
                 LIMIT_S, n, kids - zombies, zombies, seen);
    }
    pthread_join(t, NULL);
    int rc = r->rc;
    free(r);
    return rc;
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static void check_squares(int n, const int64_t *squares)
{
    for (int i = 0; i < n; i++)
        if (squares[i] != (int64_t)i * i)
            fail_msg("squares[%d] is %lld, expected %lld: the squares must arrive in order", i,
                     (long long)squares[i], (long long)i * i);
}

static void test_pipeline_sees_eof(void **state)
{
    (void)state;
    enum { N = 1000 };
    int64_t *squares = calloc(N, sizeof *squares);
    assert_int_equal(run_bounded(N, squares, N), N);
    check_squares(N, squares);
    assert_no_children(); /* both stages joined */

    /* Again, and with nothing to send: every end closed each time */
    int fds = open_fds();
    memset(squares, 0, N * sizeof *squares);
    assert_int_equal(run_bounded(7, squares, N), 7);
    check_squares(7, squares);
    assert_int_equal(run_bounded(0, squares, N), 0); /* EOF at once is EOF too */
    assert_no_children();
    int after = open_fds();
    if (after != fds)
        fail_msg("%d descriptor(s) more open after two runs than before: close every end", after - fds);
    free(squares);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_pipeline_sees_eof, teardown_children),
    };
    return cmocka_run_group_tests_name("07 ex2-forgotten-end", tests, NULL, NULL);
}
