/* Tests for exercise 11.1: the batcher on scripted streams, on a clock the
 * test moves itself -- no real time passes, so no load can change a
 * result. A stream is a list of arrival times; take(timeout) jumps the
 * clock to the next arrival if it comes within the timeout, or by the
 * timeout if not. */
#include "helpers.h"

#include "ex1-batcher.h"

static const double *arrivals;
static int narrivals, next;
static double clock_s;

double now_s(void) { return clock_s; }

int take(double timeout_s, uint64_t *id)
{
    if (next == narrivals)
        return MP_QUEUE_END;
    double at = arrivals[next] > clock_s ? arrivals[next] : clock_s;
    if (timeout_s >= 0 && at > clock_s + timeout_s) {
        clock_s += timeout_s;
        return MP_QUEUE_EMPTY;
    }
    clock_s = at;
    *id = (uint64_t)next++;
    return 0;
}

static void stream(const double *a, int n)
{
    arrivals = a;
    narrivals = n;
    next = 0;
    clock_s = 0;
}

/* Batch sizes of the whole stream, then the 0 at its end. */
static void expect(int max, double wait, const int *sizes, int nsizes)
{
    uint64_t ids[64], want = 0;
    for (int b = 0; b < nsizes; b++) {
        int n = next_batch(ids, max, wait);
        if (n != sizes[b])
            fail_msg("batch %d: %d items, want %d (max %d, max wait %g s, clock at %g s)", b, n, sizes[b], max, wait,
                     clock_s);
        for (int i = 0; i < n; i++)
            assert_int_equal(ids[i], want++); /* in order, none lost, none twice */
    }
    assert_int_equal(next_batch(ids, max, wait), 0);
}

/* Requests pouring in: full batches. */
static void test_full_batches(void **state)
{
    (void)state;
    double a[10];
    for (int i = 0; i < 10; i++)
        a[i] = 0.001 * i;
    stream(a, 10);
    const int sizes[] = {4, 4, 2}; /* the last one at the end of the stream */
    expect(4, 1.0, sizes, 3);
}

/* Trickling in: every 0.3 s with a 1 s wait: the first at 0 waits until 1.0 s and takes 0.3, 0.6, 0.9; max 4
 * would be reached exactly then. With max 8: 0, 0.3, 0.6, 0.9 (the next, 1.2, is past 1.0); then 1.2 .. 2.1 */
static void test_deadline_first(void **state)
{
    (void)state;
    double a[8];
    for (int i = 0; i < 8; i++)
        a[i] = 0.3 * i;
    stream(a, 8);
    const int sizes[] = {4, 4};
    expect(8, 1.0, sizes, 2);
    /* and the deadline counts from the batch's first item, not from the call */
    const double b[] = {0.0, 5.0, 5.5, 6.2};
    stream(b, 4);
    const int sizes2[] = {1, 2, 1};
    expect(8, 1.0, sizes2, 3);
}

/* A batch of 1 and a wait of 0: one item each. */
static void test_edges(void **state)
{
    (void)state;
    const double a[] = {0, 0, 0};
    stream(a, 3);
    const int ones[] = {1, 1, 1};
    expect(1, 10.0, ones, 3);
    stream(a, 3);
    expect(8, 0.0, ones, 3);
    stream(a, 0);
    expect(8, 1.0, ones, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_batches),
        cmocka_unit_test(test_deadline_first),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests_name("11 ex1-batcher", tests, NULL, NULL);
}
