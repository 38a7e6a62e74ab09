/* Tests for exercise 05.1: Python's default chunksize and the number of
 * chunks, against values computed another way (the smallest chunksize c
 * with 4 * workers chunks of c covering n; counting chunks by cutting),
 * over many (n, workers) pairs, the edge cases (0 and 1 task, fewer tasks
 * than 4 per worker) and the tutorials' examples. Pure arithmetic: no
 * pool, no time. */
#include "helpers.h"

#include "ex1-chunksize.h"

/* The smallest c such that 4 * workers chunks of c hold all n (0 for n = 0). */
static size_t smallest_cover(size_t n, int workers)
{
    size_t c = 0;
    while (c * 4 * (size_t)workers < n)
        c++;
    return c;
}

static void test_tutorials(void **state)
{
    (void)state;
    assert_int_equal(default_chunksize(4, 3), 1);    /* T0: Pool(3).map over 4 tuples */
    assert_int_equal(default_chunksize(100, 2), 13); /* T4's factorials on 2 workers */
    assert_int_equal(default_chunksize(100, 4), 7);  /* ... on T4's 4 */
    assert_int_equal(default_chunksize(1000, 20), 13); /* T2's Pool(20) over 1000 files */
    assert_int_equal(default_chunksize(100000, 2), 12500);
}

static void test_edges(void **state)
{
    (void)state;
    assert_int_equal(default_chunksize(0, 1), 0);
    assert_int_equal(default_chunksize(0, 8), 0);
    assert_int_equal(default_chunksize(1, 1), 1);
    assert_int_equal(default_chunksize(1, 64), 1);
    for (int w = 1; w <= 16; w++)
        for (size_t n = 1; n <= (size_t)(4 * w); n++)
            if (default_chunksize(n, w) != 1)
                fail_msg("%zu tasks on %d workers (at most 4 per worker): chunksize %zu, want 1", n, w,
                         default_chunksize(n, w));
    assert_int_equal(default_chunksize(9, 2), 2);  /* one more than 4 per worker: 2 */
    assert_int_equal(chunk_count(0, 1), 0);
    assert_int_equal(chunk_count(0, 7), 0);
    assert_int_equal(chunk_count(1, 1), 1);
    assert_int_equal(chunk_count(1, 100), 1);
    assert_int_equal(chunk_count(100, 13), 8); /* 7 of 13 and one of 9 */
}

static void test_table(void **state)
{
    (void)state;
    int checked = 0;
    for (size_t n = 0; n < 5000; n = n < 50 ? n + 1 : n + 37)
        for (int w = 1; w <= 64; w += (w < 8 ? 1 : 7)) {
            size_t want = smallest_cover(n, w), got = default_chunksize(n, w);
            if (got != want)
                fail_msg("default_chunksize(%zu, %d) = %zu, want %zu", n, w, got, want);
            checked++;
        }
    assert_true(checked > 1000);
}

static void test_chunks(void **state)
{
    (void)state;
    for (size_t n = 0; n < 700; n += 3)
        for (size_t cs = 1; cs <= 40; cs++) {
            size_t cut = 0; /* cut n items into chunks the slow way */
            for (size_t left = n; left > 0; left -= left < cs ? left : cs)
                cut++;
            if (chunk_count(n, cs) != cut)
                fail_msg("chunk_count(%zu, %zu) = %zu, want %zu", n, cs, chunk_count(n, cs), cut);
        }
    /* with the default chunksize there are at most 4 chunks per worker */
    for (size_t n = 1; n < 3000; n += 11)
        for (int w = 1; w <= 32; w++) {
            size_t chunks = chunk_count(n, default_chunksize(n, w));
            if (chunks == 0 || chunks > (size_t)(4 * w))
                fail_msg("%zu tasks on %d workers made %zu chunks (1 to %d expected)", n, w, chunks, 4 * w);
        }
}

/* And the kit's pool uses the same formula. */
static void test_agrees_with_the_pool(void **state)
{
    (void)state;
    for (size_t n = 0; n < 2000; n += 13)
        for (int w = 1; w <= 40; w += 3)
            if (default_chunksize(n, w) != mp_pool_chunksize(n, w))
                fail_msg("default_chunksize(%zu, %d) = %zu, mp_pool_chunksize says %zu", n, w,
                         default_chunksize(n, w), mp_pool_chunksize(n, w));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tutorials), cmocka_unit_test(test_edges), cmocka_unit_test(test_table),
        cmocka_unit_test(test_chunks), cmocka_unit_test(test_agrees_with_the_pool),
    };
    return cmocka_run_group_tests_name("05 ex1-chunksize", tests, NULL, NULL);
}
