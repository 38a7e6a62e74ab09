/* progress: the bar's text for fixed numbers (a pure function), the summary
 * line, one line and no bar when the output is not a terminal, and on a
 * terminal (a pseudo-terminal: openpty) redrawn in place, never more often
 * than every 0.1 s of the time the test itself measured. */
#include "helpers.h"

#include <pty.h>

static void test_format(void **state)
{
    (void)state;
    char buf[256];
    mp_progress_format(buf, sizeof buf, "tasks", 42, 100, 0.5, 20);
    assert_string_equal(buf, "tasks 42/100  42% |########            | 84.0/s 0:00.5 < 0:00.7");
    mp_progress_format(buf, sizeof buf, "sq", 0, 10, 0, 10);
    assert_string_equal(buf, "sq 0/10   0% |          | 0.0/s 0:00.0 < ?");
    mp_progress_format(buf, sizeof buf, "sq", 10, 10, 75.25, 4);
    assert_string_equal(buf, "sq 10/10 100% |####| 0.1/s 1:15.2 < 0:00.0");
    mp_progress_format(buf, sizeof buf, "x", 1, 4000, 4000, 4);
    assert_string_equal(buf, "x 1/4000   0% |    | 0.0/s 1:06:40 < 4443:20:00");
    mp_progress_summary(buf, sizeof buf, "tasks", 100, 100, 1.25);
    assert_string_equal(buf, "tasks: 100/100 (100%) in 1.25 s, 80.0/s");
    mp_progress_summary(buf, sizeof buf, "none", 0, 0, 0);
    assert_string_equal(buf, "none: 0/0 (100%) in 0.00 s, 0.0/s");
}

static char *drain(int fd)
{
    static char buf[65536];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    return buf;
}

static void test_not_a_terminal(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    mp_progress p;
    mp_progress_start(&p, "items", 500, fds[1]);
    assert_false(p.tty);
    for (size_t i = 1; i <= 500; i++)
        mp_progress_update(&p, i);
    mp_progress_finish(&p);
    mp_progress_finish(&p); /* twice: once */
    close(fds[1]);
    char *out = drain(fds[0]);
    close(fds[0]);
    assert_int_equal(count_lines(out), 1);
    assert_null(strchr(out, '\r'));
    assert_true(strncmp(out, "items: 500/500 (100%) in ", 25) == 0);
    assert_int_equal(p.draws, 0);
}

static void test_terminal_redraws_in_place(void **state)
{
    (void)state;
    int master, slave;
    assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
    mp_progress p;
    uint64_t t0 = mp_now_ns();
    mp_progress_start(&p, "items", 3000, slave);
    assert_true(p.tty);
    for (size_t i = 1; i <= 3000; i++) {
        mp_progress_update(&p, i);
        if (i % 1000 == 0)
            mp_sleep_ns(120000000); /* let one redraw be due */
    }
    mp_progress_finish(&p);
    uint64_t elapsed = mp_now_ns() - t0;
    close(slave);
    char *out = drain(master); /* EIO once the slave is closed and drained */
    close(master);
    /* the first drawing, one per 0.1 s at most, and the last */
    assert_true(p.draws >= 3);
    assert_true((uint64_t)p.draws <= 2 + elapsed / MP_PROGRESS_EVERY_NS);
    int returns = 0;
    for (char *c = out; *c; c++)
        returns += c[0] == '\r' && c[1] != '\n'; /* the terminal writes a new line as \r\n */
    assert_int_equal(returns, p.draws); /* each drawing starts at the line's start */
    assert_non_null(strstr(out, "items 3000/3000 100%"));
    assert_int_equal(count_lines(out), 1); /* one new line, at the end */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_not_a_terminal),
        cmocka_unit_test(test_terminal_redraws_in_place),
    };
    return cmocka_run_group_tests_name("progress", tests, NULL, NULL);
}
