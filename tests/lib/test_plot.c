/* plot: the Amdahl fit on synthetic data, and the files a plot leaves. */
#include "helpers.h"

static void test_amdahl_exact(void **state)
{
    (void)state;
    double n[8], s[8];
    for (int i = 0; i < 8; i++) {
        n[i] = i + 1;
        s[i] = mp_amdahl_speedup(0.1, n[i]);
    }
    assert_true(fabs(mp_amdahl_fit(n, s, 8) - 0.1) < 1e-9);
    assert_true(fabs(mp_amdahl_speedup(0, 4) - 4) < 1e-12);
    assert_true(fabs(mp_amdahl_speedup(1, 4) - 1) < 1e-12);
}

static void test_amdahl_noisy(void **state)
{
    (void)state;
    double n[] = {1, 2, 3, 4, 6, 8};
    double s[6];
    for (int i = 0; i < 6; i++) /* +-3% noise, alternating */
        s[i] = mp_amdahl_speedup(0.25, n[i]) * (i % 2 ? 1.03 : 0.97);
    double fit = mp_amdahl_fit(n, s, 6);
    assert_true(fabs(fit - 0.25) < 0.03);
}

static void test_amdahl_edges(void **state)
{
    (void)state;
    double one[] = {1}, sp[] = {1};
    assert_true(mp_amdahl_fit(one, sp, 1) == -1); /* no point with n > 1 */
    double n[] = {2, 4}, super[] = {2.2, 4.5};
    assert_true(mp_amdahl_fit(n, super, 2) == 0); /* superlinear: clamped to 0 */
    double slower[] = {0.5, 0.3};
    assert_true(mp_amdahl_fit(n, slower, 2) == 1); /* slower than serial: clamped to 1 */
}

static void test_speedup_plot_files(void **state)
{
    (void)state;
    char *dir = make_tmpdir(), path[512];
    mp_series s[2] = {{.label = "a", .fit = true}, {.label = "b"}};
    for (int w = 1; w <= 4; w++) {
        mp_series_add(&s[0], w, 1.0, 1.0 / mp_amdahl_speedup(0.2, w), 0.9 / w, 1.1);
        mp_series_add(&s[1], w, 1.0, 1.0, 1.0, 1.0);
    }
    assert_true(fabs(s[0].y[3] - mp_amdahl_speedup(0.2, 4)) < 1e-9);
    mp_report_quiet(1);
    int rc = mp_speedup_plot(dir, "sp", "test", s, 2, !mp_have_gnuplot());
    mp_report_quiet(0);
    assert_true(fabs(s[0].s - 0.2) < 1e-6);
    assert_true(s[1].s == -1);
    snprintf(path, sizeof path, "%s/sp.dat", dir);
    char *dat = read_file(path);
    assert_non_null(dat);
    assert_non_null(strstr(dat, "# a:"));
    assert_non_null(strstr(dat, "\n\n\n# b:")); /* a block per series */
    assert_non_null(strstr(dat, "# b:"));
    free(dat);
    if (mp_have_gnuplot()) { /* then a real PNG must have been written */
        assert_int_equal(rc, 0);
        snprintf(path, sizeof path, "%s/sp.png", dir);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        unsigned char magic[4] = {0};
        assert_int_equal(fread(magic, 1, 4, f), 4);
        fclose(f);
        assert_memory_equal(magic, "\x89PNG", 4);
    } else {
        assert_int_equal(rc, 1);
    }
    rm_tree(dir);
}

static void test_no_plot_skips(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(mp_plot("speedup.gp", "/nonexistent", dir, "x", "t", NULL, true), 1);
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_amdahl_exact), cmocka_unit_test(test_amdahl_noisy),
        cmocka_unit_test(test_amdahl_edges), cmocka_unit_test(test_speedup_plot_files),
        cmocka_unit_test(test_no_plot_skips),
    };
    return cmocka_run_group_tests_name("plot", tests, NULL, NULL);
}
