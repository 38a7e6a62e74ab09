/* trace: ordering within a thread and across processes, bounded memory
 * (full buffers drop and count), the written files. */
#include "helpers.h"

#include <limits.h>

static void setup_trace(int slots, int capacity)
{
    mp_trace_close();
    assert_int_equal(mp_trace_init(slots, capacity), 0);
    mp_trace_enable(true);
}

static int find_lane(mp_trace_lane *lanes, int n, int pid)
{
    for (int i = 0; i < n; i++)
        if (lanes[i].pid == pid)
            return i;
    return -1;
}

static void test_off_until_enabled(void **state)
{
    (void)state;
    setup_trace(4, 16);
    mp_trace_enable(false);
    mp_trace_begin("x");
    assert_int_equal(mp_trace_count().events, 0);
    mp_trace_enable(true);
    mp_trace_begin("x");
    mp_trace_end("x");
    assert_int_equal(mp_trace_count().events, 2);
    mp_trace_close();
}

static void test_order_in_one_thread(void **state)
{
    (void)state;
    setup_trace(4, 64);
    for (int i = 0; i < 10; i++) {
        mp_trace_begin("task");
        mp_trace_end("task");
    }
    mp_trace_lane lanes[4];
    assert_int_equal(mp_trace_lanes(lanes, 4), 1);
    assert_int_equal(lanes[0].count, 20);
    assert_int_equal(lanes[0].pid, getpid());
    for (uint32_t k = 0; k < lanes[0].count; k++) {
        assert_int_equal(lanes[0].events[k].kind, k % 2 ? MP_EV_END : MP_EV_BEGIN);
        if (k)
            assert_true(lanes[0].events[k].t_ns >= lanes[0].events[k - 1].t_ns);
    }
    mp_trace_close();
}

static int child_records(void *arg)
{
    (void)arg;
    mp_trace_begin("in child");
    mp_sleep_ns(1000000);
    mp_trace_end("in child");
    return 0;
}

/* A child's events reach the parent, with the child's pid, and fall between
 * what the parent recorded before starting it and after joining it. */
static void test_order_across_processes(void **state)
{
    (void)state;
    setup_trace(8, 64);
    mp_trace_instant("before");
    mp_process p[2];
    for (int i = 0; i < 2; i++) {
        mp_process_init(&p[i], NULL, child_records, NULL);
        assert_int_equal(mp_process_start(&p[i]), 0);
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(mp_process_join(&p[i], MP_FOREVER), 0);
    mp_trace_instant("after");

    mp_trace_lane lanes[8];
    int n = mp_trace_lanes(lanes, 8);
    assert_int_equal(n, 3);
    int me = find_lane(lanes, n, getpid());
    assert_true(me >= 0);
    assert_int_equal(lanes[me].count, 2);
    uint64_t before = lanes[me].events[0].t_ns, after = lanes[me].events[1].t_ns;
    for (int i = 0; i < 2; i++) {
        int c = find_lane(lanes, n, p[i].pid);
        assert_true(c >= 0);
        assert_int_equal(lanes[c].count, 2);
        assert_string_equal(lanes[c].events[0].name, "in child");
        assert_true(lanes[c].events[0].t_ns > before);
        assert_true(lanes[c].events[1].t_ns < after);
        assert_string_equal(lanes[c].role, p[i].name);
    }
    mp_trace_close();
    assert_no_children();
}

/* A full buffer drops and counts; nothing crashes, nothing grows. */
static void test_full_buffer_drops(void **state)
{
    (void)state;
    setup_trace(2, 8);
    for (int i = 0; i < 20; i++)
        mp_trace_instant("e");
    mp_trace_counts c = mp_trace_count();
    assert_int_equal(c.events, 8);
    assert_int_equal(c.dropped, 12);
    mp_trace_close();
}

static void *record_some(void *arg)
{
    for (int i = 0; i < 5; i++)
        mp_trace_instant((const char *)arg);
    return NULL;
}

/* More threads than slots: the extra threads' events are counted as dropped. */
static void test_too_many_threads(void **state)
{
    (void)state;
    setup_trace(2, 100);
    mp_thread t[4];
    for (int i = 0; i < 4; i++) { /* one at a time: which ones get slots is then known */
        mp_thread_init(&t[i], NULL, record_some, "t");
        assert_int_equal(mp_thread_start(&t[i]), 0);
        assert_int_equal(mp_thread_join(&t[i], NULL), 0);
    }
    mp_trace_counts c = mp_trace_count();
    assert_int_equal(c.threads, 2);
    assert_int_equal(c.events, 10);
    assert_int_equal(c.dropped, 10);
    mp_trace_close();
}

static void test_reset(void **state)
{
    (void)state;
    setup_trace(4, 16);
    mp_trace_instant("old");
    mp_trace_reset();
    assert_int_equal(mp_trace_count().events, 0);
    mp_trace_instant("new"); /* the cached slot is stale: a fresh one is claimed */
    mp_trace_lane lanes[4];
    assert_int_equal(mp_trace_lanes(lanes, 4), 1);
    assert_int_equal(lanes[0].count, 1);
    assert_string_equal(lanes[0].events[0].name, "new");
    mp_trace_close();
}

static void test_long_names_are_cut(void **state)
{
    (void)state;
    setup_trace(1, 4);
    mp_trace_instant("a name far longer than the twenty-three bytes we keep");
    mp_trace_lane lanes[1];
    assert_int_equal(mp_trace_lanes(lanes, 1), 1);
    assert_int_equal(strlen(lanes[0].events[0].name), MP_TRACE_NAME_LEN - 1);
    mp_trace_close();
}

static void test_write_files(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    setup_trace(4, 64);
    for (int i = 0; i < 3; i++) {
        mp_trace_begin("work \"quoted\"");
        mp_trace_end("work \"quoted\"");
    }
    mp_report_quiet(1);
    assert_int_equal(mp_trace_write(dir, "t", "test", true), 1); /* 1: plot skipped */
    mp_report_quiet(0);
    char path[512];
    snprintf(path, sizeof path, "%s/t.json", dir);
    char *json = read_file(path);
    assert_non_null(json);
    int spans = 0;
    for (char *p = json; (p = strstr(p, "\"ph\":\"")); p += 6)
        spans += p[6] == 'X';
    assert_int_equal(spans, 3); /* one complete event per begin/end pair */
    assert_non_null(strstr(json, "work \\\"quoted\\\"")); /* escaped */
    free(json);
    snprintf(path, sizeof path, "%s/t.dat", dir);
    char *dat = read_file(path);
    assert_int_equal(count_lines(dat), 1 + 3); /* header + one span per pair */
    free(dat);
    mp_trace_close();
    rm_tree(dir);
}

/* A flow: its start inside a span of one thread, its end inside a span of
 * another, written as Chrome's "s" and "f" events with one id (Perfetto
 * draws the arrow); the Gantt chart's data has only the spans. */
static void *flow_arrives(void *arg)
{
    (void)arg;
    mp_trace_begin("task");
    mp_trace_flow(MP_EV_FLOW_END, 7);
    mp_trace_end("task");
    return NULL;
}

static void test_flows(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    setup_trace(4, 64);
    mp_trace_begin("submit");
    mp_trace_flow(MP_EV_FLOW_START, 7);
    mp_trace_end("submit");
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, flow_arrives, NULL), 0);
    pthread_join(t, NULL);
    mp_report_quiet(1);
    assert_int_equal(mp_trace_write(dir, "t", "test", true), 1);
    mp_report_quiet(0);
    char path[512];
    snprintf(path, sizeof path, "%s/t.json", dir);
    char *json = read_file(path);
    assert_non_null(json);
    char *s = strstr(json, "\"ph\":\"s\",\"id\":7,");
    char *f = strstr(json, "\"ph\":\"f\",\"bp\":\"e\",\"id\":7,");
    assert_non_null(s);
    assert_non_null(f);
    /* in two different threads: the tids differ */
    char *ts = strstr(s, "\"tid\":"), *tf = strstr(f, "\"tid\":");
    assert_non_null(ts);
    assert_non_null(tf);
    assert_int_not_equal(atoi(ts + 6), atoi(tf + 6));
    free(json);
    snprintf(path, sizeof path, "%s/t.dat", dir);
    char *dat = read_file(path);
    assert_int_equal(count_lines(dat), 1 + 2); /* header + the two spans, no arrows */
    free(dat);
    mp_trace_close();
    rm_tree(dir);
}

/* A window keeps what happened inside it, spans cut at its edges. */
static void test_window(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    setup_trace(4, 64);
    mp_trace_at(MP_EV_BEGIN, "before", 1000);
    mp_trace_at(MP_EV_END, "before", 2000);
    mp_trace_at(MP_EV_BEGIN, "across", 2500);
    mp_trace_at(MP_EV_END, "across", 3500);
    mp_trace_at(MP_EV_BEGIN, "inside", 3600);
    mp_trace_at(MP_EV_END, "inside", 3700);
    mp_trace_at(MP_EV_INSTANT, "after", 9000);
    mp_report_quiet(1);
    assert_int_equal(mp_trace_write_window(dir, "w", "test", 3000, 4000, true), 1); /* plot skipped */
    /* an empty window writes nothing and says so */
    assert_int_equal(mp_trace_write_window(dir, "empty", "test", 5000, 6000, true), 1);
    mp_report_quiet(0);
    char path[512];
    snprintf(path, sizeof path, "%s/w.dat", dir);
    char *dat = read_file(path);
    assert_non_null(dat);
    assert_int_equal(count_lines(dat), 1 + 2);
    assert_non_null(strstr(dat, "0 0.0000 0.0005 across")); /* cut to start at 3000 ns: time 0 */
    assert_non_null(strstr(dat, "0 0.0006 0.0007 inside"));
    assert_null(strstr(dat, "before"));
    assert_null(strstr(dat, "after"));
    free(dat);
    snprintf(path, sizeof path, "%s/empty.json", dir);
    assert_int_equal(access(path, F_OK), -1);
    mp_trace_close();
    rm_tree(dir);
}

/* What mp_trace_write_window says, caught from stdout. */
static char *said_by_window(const char *dir, uint64_t from, uint64_t to)
{
    static char text[4096];
    fflush(stdout);
    FILE *tmp = tmpfile();
    int saved = dup(1);
    dup2(fileno(tmp), 1);
    mp_trace_write_window(dir, "w", "test", from, to, true);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    rewind(tmp);
    size_t n = fread(text, 1, sizeof text - 1, tmp);
    text[n] = '\0';
    fclose(tmp);
    return text;
}

/* A full buffer drops a thread's later events: a window that ends before
 * the last kept event is complete, one that reaches past it is not. */
static void test_window_incomplete_only_past_the_drops(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    setup_trace(4, 4);
    for (uint64_t t = 1000; t <= 6000; t += 1000)
        mp_trace_at(MP_EV_INSTANT, "e", t); /* 4 kept (1000..4000), 2 dropped */
    assert_null(strstr(said_by_window(dir, 500, 3500), "incomplete"));
    assert_non_null(strstr(said_by_window(dir, 500, 9000), "incomplete: 2 events were dropped"));
    mp_trace_close();
    rm_tree(dir);
}

/* Sizes whose product does not fit are refused, and tracing says why it is off. */
static void test_absurd_sizes_refused(void **state)
{
    (void)state;
    mp_trace_close();
    assert_int_equal(mp_trace_init(1 << 28, INT_MAX), -EINVAL);
    assert_non_null(mp_trace_off_reason());
    mp_trace_enable(true);
    assert_false(mp_trace_enabled());
    mp_trace_begin("nothing to record into"); /* must not crash */
    assert_int_equal(mp_trace_count().events, 0);
    char *dir = make_tmpdir();
    mp_report_quiet(1);
    assert_int_equal(mp_trace_write(dir, "t", "test", true), 1);
    mp_report_quiet(0);
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_until_enabled),   cmocka_unit_test(test_order_in_one_thread),
        cmocka_unit_test(test_order_across_processes), cmocka_unit_test(test_full_buffer_drops),
        cmocka_unit_test(test_too_many_threads),    cmocka_unit_test(test_reset),
        cmocka_unit_test(test_long_names_are_cut),  cmocka_unit_test(test_write_files),
        cmocka_unit_test(test_window),              cmocka_unit_test(test_absurd_sizes_refused),
        cmocka_unit_test(test_window_incomplete_only_past_the_drops),
        cmocka_unit_test(test_flows),
    };
    return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
