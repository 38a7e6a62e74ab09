/* costplot: the speedup-against-task-cost picture's data file and the cost
 * labels. gnuplot is not run (no_plot): what is checked is what it reads. */
#include "helpers.h"

static void test_ns_text(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(mp_ns_text(350, b, sizeof b), "350 ns");
    assert_string_equal(mp_ns_text(1200, b, sizeof b), "1.2 us");
    assert_string_equal(mp_ns_text(4.5e6, b, sizeof b), "4.5 ms");
    assert_string_equal(mp_ns_text(INFINITY, b, sizeof b), "beyond the sweep");
    assert_string_equal(mp_ns_text(NAN, b, sizeof b), "not measured");
}

/* One block per series, two blank lines apart, each point "cost speedup",
 * in the order given: granularity.gp picks the blocks by index. */
static void test_data_file(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    const double c[] = {100, 1000, 10000}, s1[] = {0.5, 1.5, 1.9}, s2[] = {0.1, 0.2, 0.9};
    const mp_cost_series s[] = {{"fast way", 3, c, s1, false}, {"slow way", 3, c, s2, true}};
    assert_int_equal(mp_cost_plot(dir, "sweep", "a title", NULL, s, 2, 0, NULL, true), 1); /* plot skipped */
    char path[4200];
    snprintf(path, sizeof path, "%s/sweep.dat", dir);
    char *text = read_file(path);
    assert_non_null(text);
    assert_string_equal(text, "# fast way\n100 0.5\n1000 1.5\n10000 1.9\n\n\n"
                              "# slow way\n100 0.1\n1000 0.2\n10000 0.9\n\n\n");
    free(text);
    rm_tree(dir);
}

/* A folder that cannot be written to: an error, reported, not a crash. */
static void test_unwritable(void **state)
{
    (void)state;
    const double c[] = {100}, sp[] = {1};
    const mp_cost_series s[] = {{"way", 1, c, sp, false}};
    mp_report_quiet(1);
    int rc = mp_cost_plot("/nonexistent-folder/below", "sweep", "t", NULL, s, 1, 0, NULL, true);
    mp_report_quiet(0);
    assert_true(rc < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ns_text),
        cmocka_unit_test(test_data_file),
        cmocka_unit_test(test_unwritable),
    };
    return cmocka_run_group_tests_name("costplot", tests, NULL, NULL);
}
