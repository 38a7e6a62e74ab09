/* cli: defaults, good flags, and one clear line + status 2 for bad ones. */
#include "helpers.h"

static long mode = 0, interval = 5000;
static const char *const modes[] = {"none", "old", "new", NULL};
static const mp_flag extra[] = {
    {"mode", MP_FLAG_CHOICE, "MODE", "lock mode", 0, 0, modes, &mode},
    {"interval", MP_FLAG_INT, "US", "switch interval", 1, 1000000, NULL, &interval},
};
static const mp_cli cli = {"lesson-xx", "a test", "plots/out/xx", extra, 2, NULL, 0, 0};

typedef struct outcome {
    bool run;
    int status;
    char err[1024], out[1024];
    mp_opts o;
} outcome;

static const mp_cli *parsing = &cli; /* which lesson's flags parse() parses */

/* Parse a NULL-ended list of words, catching what goes to stderr and stdout. */
static outcome parse(const char *first, ...)
{
    char *argv[32] = {"lesson-xx"};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;

    outcome r = {0};
    fflush(stdout);
    fflush(stderr);
    FILE *tmp = tmpfile(), *tmp_out = tmpfile();
    int saved = dup(2), saved_out = dup(1);
    dup2(fileno(tmp), 2);
    dup2(fileno(tmp_out), 1);
    r.run = mp_cli_parse(parsing, argc, argv, &r.o, &r.status);
    fflush(stderr);
    fflush(stdout);
    dup2(saved, 2);
    dup2(saved_out, 1);
    close(saved);
    close(saved_out);
    rewind(tmp);
    size_t n = fread(r.err, 1, sizeof r.err - 1, tmp);
    r.err[n] = '\0';
    rewind(tmp_out);
    n = fread(r.out, 1, sizeof r.out - 1, tmp_out);
    r.out[n] = '\0';
    fclose(tmp);
    fclose(tmp_out);
    return r;
}

static void test_defaults(void **state)
{
    (void)state;
    outcome r = parse(NULL);
    assert_true(r.run);
    assert_int_equal(r.o.workers, mp_cpus_usable());
    assert_int_equal(r.o.max_workers, r.o.workers);
    assert_int_equal(r.o.repeat, 3);
    assert_false(r.o.quick || r.o.no_plot || r.o.trace || r.o.no_reference);
    assert_string_equal(r.o.out, "plots/out/xx");
    assert_int_equal(r.o.start, MP_START_FORK);
    r = parse("--quick", NULL);
    assert_int_equal(r.o.repeat, 1); /* quick: one run unless told */
}

static void test_good_flags(void **state)
{
    (void)state;
    outcome r = parse("--workers", "3", "--max-workers=8", "--repeat", "5", "--quick", "--seed", "42", "--out",
                      "/tmp/x", "--no-plot", "--trace", "--start", "fork", "--mode", "old", "--interval", "100",
                      NULL);
    assert_true(r.run);
    assert_int_equal(r.o.workers, 3);
    assert_int_equal(r.o.max_workers, 8);
    assert_int_equal(r.o.repeat, 5);
    assert_true(r.o.quick && r.o.no_plot && r.o.trace);
    assert_false(r.o.no_reference);
    assert_int_equal(r.o.seed, 42);
    assert_string_equal(r.o.out, "/tmp/x");
    assert_int_equal(mode, 1);
    assert_int_equal(interval, 100);
    assert_string_equal(r.err, "");
}

/* Each bad input: not run, status 2, exactly one line that names the flag. */
static void expect_bad(outcome r, const char *flag)
{
    assert_false(r.run);
    assert_int_equal(r.status, 2);
    assert_int_equal(count_lines(r.err), 1);
    if (!strstr(r.err, flag))
        fail_msg("message does not name %s: %s", flag, r.err);
    assert_non_null(strstr(r.err, "lesson-xx"));
}

static void test_bad_values(void **state)
{
    (void)state;
    expect_bad(parse("--workers", "0", NULL), "workers");
    expect_bad(parse("--workers", "-2", NULL), "workers");
    expect_bad(parse("--workers", "abc", NULL), "workers");
    expect_bad(parse("--workers", "4x", NULL), "workers");
    expect_bad(parse("--workers", "", NULL), "workers");
    expect_bad(parse("--workers", "100000", NULL), "workers");
    expect_bad(parse("--workers", "99999999999999999999999", NULL), "workers");
    expect_bad(parse("--max-workers", "0", NULL), "max-workers");
    expect_bad(parse("--repeat", "0", NULL), "repeat");
    expect_bad(parse("--repeat", "1.5", NULL), "repeat");
    expect_bad(parse("--seed", "-1", NULL), "seed");
    expect_bad(parse("--out", "", NULL), "out");
    expect_bad(parse("--start", "teleport", NULL), "start");
    expect_bad(parse("--mode", "fast", NULL), "mode");
    expect_bad(parse("--interval", "0", NULL), "interval");
    expect_bad(parse("--interval", "ten", NULL), "interval");
}

static void test_bad_words(void **state)
{
    (void)state;
    expect_bad(parse("--frobnicate", NULL), "--frobnicate");
    expect_bad(parse("--workers", NULL), "--workers");
    expect_bad(parse("extra", NULL), "extra");
    expect_bad(parse("-x", NULL), "-x");
}

/* The word the message names is the one that is wrong. */
static void test_messages_name_the_right_word(void **state)
{
    (void)state;
    outcome r = parse("--quick", "-xz", NULL);
    expect_bad(r, "-x");
    assert_null(strstr(r.err, "--quick"));
    r = parse("--no-plot=1", NULL);
    expect_bad(r, "--no-plot");
    assert_non_null(strstr(r.err, "takes no value"));
    r = parse("--out", "--quick", NULL); /* not a folder named --quick */
    expect_bad(r, "--out");
    assert_non_null(strstr(r.err, "needs a value"));
    r = parse("--workers", "--trace", NULL);
    expect_bad(r, "--workers");
}

/* A shared flag the lesson does not use: accepted, with one line saying so;
 * a worker count the lesson cannot honour: refused. */
static void test_unused_and_limits(void **state)
{
    (void)state;
    static const mp_unused unused[] = {{"seed", "nothing here is random"}, {0}};
    static const mp_cli limited = {"lesson-xx", "a test", "plots/out/xx", NULL, 0, unused, 8, 2};
    parsing = &limited;
    outcome r = parse("--seed", "3", "--workers", "8", NULL);
    assert_true(r.run);
    assert_int_equal(count_lines(r.out), 1);
    assert_non_null(strstr(r.out, "--seed changes nothing in this lesson: nothing here is random"));
    r = parse("--workers", "2", NULL);
    assert_string_equal(r.out, ""); /* not given: nothing said */
    int twice = 2 * mp_cpus_usable();
    assert_int_equal(r.o.max_workers, twice < 8 ? twice : 8); /* the lesson's default: 2x the CPUs, within 8 */
    assert_true(r.o.given & (1u << MP_OPT_WORKERS));
    assert_false(r.o.given & (1u << MP_OPT_SEED));
    expect_bad(parse("--max-workers", "9", NULL), "max-workers");
    expect_bad(parse("--workers", "9", NULL), "workers");
    parsing = &cli;
}

static void test_help(void **state)
{
    (void)state;
    outcome r = parse("--help", NULL);
    assert_false(r.run);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "--no-reference"));
}

/* --no-reference: the plots leave the reference run out (lib/lesson.c
 * then turns it off for mp_plot); like --no-plot it takes no value. */
static void test_no_reference(void **state)
{
    (void)state;
    outcome r = parse("--no-reference", NULL);
    assert_true(r.run);
    assert_true(r.o.no_reference);
    assert_false(r.o.no_plot);
    assert_true(r.o.given & (1u << MP_OPT_NO_REFERENCE));
    assert_false(r.o.given & (1u << MP_OPT_START)); /* its own bit */
    r = parse("--start", "spawn", NULL);
    assert_true(r.o.given & (1u << MP_OPT_START));
    assert_false(r.o.given & (1u << MP_OPT_NO_REFERENCE));
    r = parse("--no-reference=yes", NULL);
    expect_bad(r, "--no-reference");
    assert_non_null(strstr(r.err, "takes no value"));
}

static void test_parse_long(void **state)
{
    (void)state;
    long v;
    assert_int_equal(mp_parse_long("17", 1, 20, &v), 0);
    assert_int_equal(v, 17);
    assert_int_equal(mp_parse_long("21", 1, 20, &v), -ERANGE);
    assert_int_equal(mp_parse_long(" 5", 1, 20, &v), -EINVAL);
    assert_int_equal(mp_parse_long("+5", 1, 20, &v), -EINVAL);
    assert_int_equal(mp_parse_long("-5", -10, 20, &v), 0);
    assert_int_equal(v, -5);
    assert_int_equal(mp_parse_long("5 ", 1, 20, &v), -EINVAL);
    assert_int_equal(mp_parse_long("0x10", 1, 20, &v), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),  cmocka_unit_test(test_good_flags), cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_bad_words), cmocka_unit_test(test_help),       cmocka_unit_test(test_parse_long),
        cmocka_unit_test(test_no_reference),
        cmocka_unit_test(test_messages_name_the_right_word), cmocka_unit_test(test_unused_and_limits),
    };
    return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
