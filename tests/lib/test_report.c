/* report: tagged lines, tables, CSV files whose columns always line up. */
#include "helpers.h"

/* Run fn with stdout going to a buffer. */
static void capture_stdout(void (*fn)(void), char *buf, size_t len)
{
    fflush(stdout);
    FILE *tmp = tmpfile();
    int saved = dup(1);
    dup2(fileno(tmp), 1);
    fn();
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    rewind(tmp);
    size_t n = fread(buf, 1, len - 1, tmp);
    buf[n] = '\0';
    fclose(tmp);
}

static void say_hello(void)
{
    mp_set_role("tester");
    mp_say("hello %d", 42);
    mp_set_role(NULL);
}

static void test_say_tags_lines(void **state)
{
    (void)state;
    char buf[512], expect[128];
    capture_stdout(say_hello, buf, sizeof buf);
    snprintf(expect, sizeof expect, "[pid %d tid %d tester] hello 42\n", (int)getpid(), (int)gettid());
    assert_string_equal(buf, expect);
    assert_string_equal(mp_role(), "main"); /* the main thread, unnamed */
}

static void print_table(void)
{
    mp_table t;
    mp_table_header(&t, "kind|workers|median s");
    mp_table_row(&t, "%s|%d|%.3f", "thread", 2, 0.5);
    mp_table_row(&t, "%s|%d|%.3f", "process", 16, 12.25);
}

static void test_table_aligns(void **state)
{
    (void)state;
    char buf[1024];
    capture_stdout(print_table, buf, sizeof buf);
    assert_int_equal(count_lines(buf), 3);
    /* numbers are right-aligned: both medians end in the same column */
    char *l2 = strchr(buf, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
    int end2 = (int)(strchr(l2, '\n') - l2), end3 = (int)(strchr(l3, '\n') - l3);
    assert_int_equal(end2, end3);
    assert_non_null(strstr(l2, "0.500"));
}

static void test_csv(void **state)
{
    (void)state;
    char *dir = make_tmpdir(), sub[256], path[512];
    snprintf(sub, sizeof sub, "%s/a/b", dir); /* made on the way */
    mp_csv csv;
    assert_int_equal(mp_csv_open(&csv, sub, "x.csv", "kind,workers,median_s"), 0);
    assert_int_equal(mp_csv_row(&csv, "%s,%d,%.2f", "thread", 2, 0.5), 0);
    assert_int_equal(mp_csv_row(&csv, "%s,%d", "short", 1), -EINVAL);          /* too few */
    assert_int_equal(mp_csv_row(&csv, "%s,%d,%d,%d", "long", 1, 2, 3), -EINVAL); /* too many */
    assert_int_equal(mp_csv_close(&csv), 0);
    snprintf(path, sizeof path, "%s/x.csv", sub);
    char *text = read_file(path);
    assert_string_equal(text, "kind,workers,median_s\nthread,2,0.50\n");
    free(text);
    rm_tree(dir);
}

static void test_csv_unwritable(void **state)
{
    (void)state;
    mp_csv csv;
    mp_report_quiet(1);
    assert_true(mp_csv_open(&csv, "/proc/no-such-dir", "x.csv", "a") < 0);
    mp_report_quiet(0);
}

static void test_mkdirs(void **state)
{
    (void)state;
    char *dir = make_tmpdir(), sub[256];
    snprintf(sub, sizeof sub, "%s/one/two/three", dir);
    assert_int_equal(mp_mkdirs(sub), 0);
    assert_int_equal(mp_mkdirs(sub), 0); /* already there: fine */
    struct stat st;
    assert_int_equal(stat(sub, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_say_tags_lines), cmocka_unit_test(test_table_aligns),
        cmocka_unit_test(test_csv),            cmocka_unit_test(test_csv_unwritable),
        cmocka_unit_test(test_mkdirs),
    };
    return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
