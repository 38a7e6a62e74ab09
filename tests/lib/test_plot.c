/* plot: the Amdahl fit on synthetic data, the files a plot leaves, and the
 * reference run drawn beside it only when there is one. */
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

/* ---- the reference run beside this one ----
 * A stand-in gnuplot first on the PATH writes the variables it was given
 * (its -e argument), a line per run, to DIR/args.txt: what the scripts
 * would draw, without gnuplot. */
static char *fake_dir, *saved_path;

static int fake_gnuplot_setup(void **state)
{
    (void)state;
    fake_dir = make_tmpdir();
    char path[600];
    snprintf(path, sizeof path, "%s/bin", fake_dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/bin/gnuplot", fake_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\nprintf '%%s\\n' \"$2\" >>'%s/args.txt'\n", fake_dir);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0755), 0);
    const char *old = getenv("PATH");
    saved_path = strdup(old ? old : "/usr/bin:/bin");
    snprintf(path, sizeof path, "%s/bin:%s", fake_dir, saved_path);
    setenv("PATH", path, 1);
    for (const char *sub = "out\0ref\0"; *sub; sub += strlen(sub) + 1) {
        snprintf(path, sizeof path, "%s/%s", fake_dir, sub);
        assert_int_equal(mkdir(path, 0755), 0);
    }
    return 0;
}

static int fake_gnuplot_teardown(void **state)
{
    (void)state;
    setenv("PATH", saved_path, 1);
    free(saved_path);
    mp_plot_reference(NULL);
    rm_tree(fake_dir);
    return 0;
}

/* Plot sp with `script` (quiet: the PNG only), and return the variables
 * of each gnuplot run, one line each (free it). */
static char *plot_args(const char *script, bool quiet)
{
    char out[600], dat[700], args[600];
    snprintf(out, sizeof out, "%s/out", fake_dir);
    snprintf(dat, sizeof dat, "%s/sp.dat", out);
    snprintf(args, sizeof args, "%s/args.txt", fake_dir);
    unlink(args);
    write_file_in(fake_dir, "out/sp.dat", "# a\n1 1\n2 2\n\n\n# b\n1 1\n2 1\n\n\n");
    mp_report_quiet(quiet);
    int rc = mp_plot(script, dat, out, "sp", "test", "nseries=2", false);
    mp_report_quiet(0);
    assert_int_equal(rc, 0);
    char *a = read_file(args);
    assert_non_null(a);
    return a;
}

static void test_reference_drawn_only_when_there(void **state)
{
    (void)state;
    char ref[600], want[800];
    snprintf(ref, sizeof ref, "%s/ref", fake_dir);
    write_file_in(fake_dir, "ref/machine.txt", "label: test box, 3 CPUs\ncpu: a CPU\n");
    mp_plot_reference(ref);
    assert_string_equal(mp_plot_reference_dir(), ref);

    /* the reference has no sp.dat: nothing to draw */
    char *a = plot_args("speedup.gp", true);
    assert_int_equal(count_lines(a), 1);
    assert_non_null(strstr(a, "refblocks=0"));
    assert_null(strstr(a, "/ref/"));
    free(a);

    /* now it has, with three blocks: the PNG draws it, the terminal not */
    write_file_in(fake_dir, "ref/sp.dat", "# a\n1 1\n2 1.5\n\n\n# b\n1 1\n\n\n# c\n4 4\n");
    a = plot_args("speedup.gp", false);
    assert_int_equal(count_lines(a), 2);
    char *dumb = strchr(a, '\n') + 1;
    dumb[-1] = '\0';
    snprintf(want, sizeof want, "refdata='%s/sp.dat'", ref);
    assert_non_null(strstr(a, want));
    assert_non_null(strstr(a, "refblocks=3"));
    assert_non_null(strstr(a, "reflabel='reference: test box, 3 CPUs'"));
    assert_non_null(strstr(a, "term='png'"));
    assert_non_null(strstr(dumb, "term='dumb'"));
    assert_non_null(strstr(dumb, "refblocks=0"));
    assert_null(strstr(dumb, want));
    free(a);

    /* a script without the "# mpkit-reference:" line is not given it */
    a = plot_args("timeline.gp", true);
    assert_non_null(strstr(a, "refblocks=0"));
    assert_null(strstr(a, want));
    free(a);

    /* a CSV reference is one block */
    write_file_in(fake_dir, "ref/sp.dat", "x,y\n1,2\n2,3\n");
    a = plot_args("lines.gp", true);
    assert_non_null(strstr(a, "refblocks=1"));
    free(a);

    /* --no-reference (mp_lesson_begin passes NULL) */
    mp_plot_reference(NULL);
    assert_null(mp_plot_reference_dir());
    a = plot_args("speedup.gp", true);
    assert_non_null(strstr(a, "refblocks=0"));
    assert_null(strstr(a, want));
    free(a);
}

/* A bar chart ("# mpkit-reference: by rows") pairs the reference's rows
 * with the run's: it gets the reference only when the rows are the same. */
static void test_bars_need_the_same_rows(void **state)
{
    (void)state;
    char ref[600];
    snprintf(ref, sizeof ref, "%s/ref", fake_dir);
    mp_plot_reference(ref);
    /* plot_args writes the run's sp.dat: rows "# a", 1, 2, "# b", 1, 2 */
    write_file_in(fake_dir, "ref/sp.dat", "# a\n1 5\n2 5\n\n\n# b\n1 5\n2 5\n");
    char *a = plot_args("bars.gp", true);
    assert_non_null(strstr(a, "refblocks=2"));
    free(a);
    write_file_in(fake_dir, "ref/sp.dat", "# a\n1 5\n3 5\n\n\n# b\n1 5\n2 5\n"); /* a row differs */
    a = plot_args("bars.gp", true);
    assert_non_null(strstr(a, "refblocks=0"));
    free(a);
    write_file_in(fake_dir, "ref/sp.dat", "# a\n1 5\n2 5\n\n\n# b\n1 5\n"); /* one row fewer */
    a = plot_args("convoy.gp", true);
    assert_non_null(strstr(a, "refblocks=0"));
    free(a);
    a = plot_args("lines.gp", true); /* lines are matched by x, not by row */
    assert_non_null(strstr(a, "refblocks=2"));
    free(a);
}

/* A run written into the reference folder itself is not its own reference;
 * a reference without machine.txt is "an earlier run". */
static void test_reference_is_not_the_run_itself(void **state)
{
    (void)state;
    char out[600];
    snprintf(out, sizeof out, "%s/out", fake_dir);
    mp_plot_reference(out);
    char *a = plot_args("speedup.gp", true);
    assert_non_null(strstr(a, "refblocks=0"));
    free(a);
    char ref[600];
    snprintf(ref, sizeof ref, "%s/ref", fake_dir);
    write_file_in(fake_dir, "ref/sp.dat", "1 1\n");
    mp_plot_reference(ref);
    a = plot_args("speedup.gp", true);
    assert_non_null(strstr(a, "reflabel='reference: an earlier run'"));
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_amdahl_exact), cmocka_unit_test(test_amdahl_noisy),
        cmocka_unit_test(test_amdahl_edges), cmocka_unit_test(test_speedup_plot_files),
        cmocka_unit_test(test_no_plot_skips),
        cmocka_unit_test_setup_teardown(test_reference_drawn_only_when_there, fake_gnuplot_setup,
                                        fake_gnuplot_teardown),
        cmocka_unit_test_setup_teardown(test_bars_need_the_same_rows, fake_gnuplot_setup, fake_gnuplot_teardown),
        cmocka_unit_test_setup_teardown(test_reference_is_not_the_run_itself, fake_gnuplot_setup,
                                        fake_gnuplot_teardown),
    };
    return cmocka_run_group_tests_name("plot", tests, NULL, NULL);
}
