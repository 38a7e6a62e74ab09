/* Lesson 07, part 2 -- the forgotten end.
 *
 * A reader learns that no more messages will come from EOF, and the kernel
 * says EOF only when *every* copy of the write end is closed: the writer's,
 * but also the parent's own copy (it made the pipe), and any copy a child
 * inherited without needing it. Python's fork children inherit every
 * descriptor, so a forgotten end is one fork away. Three runs, each reading
 * the writer's lines, then -- the writer has ended -- waiting for EOF with a
 * timeout, so that the lesson never hangs:
 *   A. the parent keeps its copy of the write end: no EOF;
 *   B. the parent closes its copy, but a bystander child forked with every
 *      descriptor (inherit_fds, as Python's fork) holds one: no EOF until
 *      the bystander goes;
 *   C. the fix: the parent closes its copy right after handing it over, and
 *      children get only what they are given: EOF as soon as the writer ends.
 */
#include "lesson07.h"

#define LINES 5

/* Sends LINES messages, then ends (closing its end by exiting). */
int counting_writer(void *arg)
{
    const child_args *a = arg;
    mp_conn w;
    child_conn(&w, 0, MP_CONN_SEND);
    for (int i = 1; i <= LINES; i++) {
        char msg[32];
        int n = snprintf(msg, sizeof msg, "line %d", i);
        CHECK(mp_conn_send(&w, msg, (size_t)n));
    }
    mp_say("t=%6.1f ms  the writer sent %d lines and exits", ms_since(a->t0_ns), LINES);
    return 0;
}

/* Does nothing but hold what it inherited, until it is stopped (or 30 s). */
int bystander(void *arg)
{
    (void)arg;
    mp_sleep_ns(30 * 1000000000ull);
    return 0;
}

/* Read the writer's LINES lines (each bounded: a lost line is an error,
 * never a hang). */
static void read_lines(mp_conn *r, long *received)
{
    for (int i = 0; i < LINES; i++) {
        int rc = mp_conn_poll(r, 30);
        if (rc == 0) {
            mp_error("no line from the writer in 30 s");
            mp_lesson_abort();
        }
        char msg[32];
        size_t len = 0;
        CHECK(mp_conn_recv(r, msg, sizeof msg, &len));
        (*received)++;
    }
}

/* The writer has ended (it was joined): is there an EOF within timeout_s?
 * *ms: how long it took to come. */
static bool eof_within(mp_conn *r, double timeout_s, uint64_t t0_ns, double *ms)
{
    uint64_t t = mp_now_ns();
    int rc = mp_conn_poll(r, timeout_s);
    CHECK(rc);
    if (rc == 0) {
        mp_say("t=%6.1f ms  the writer is gone, yet no EOF after %.1f s: a write end is still open somewhere",
               ms_since(t0_ns), timeout_s);
        return false;
    }
    char msg[32];
    size_t len = 0;
    rc = mp_conn_recv(r, msg, sizeof msg, &len);
    if (rc != MP_CONN_EOF) {
        mp_error("a message after the writer's last line (status %d)", rc);
        mp_lesson_abort();
    }
    *ms = (double)(mp_now_ns() - t) / 1e6;
    mp_say("t=%6.1f ms  EOF, %.2f ms after the reader looked", ms_since(t0_ns), *ms);
    return true;
}

static void stop(mp_process *p)
{
    mp_process_terminate(p);
    mp_process_join(p, MP_FOREVER);
}

void part_forgotten(mp_lesson *L, forgotten_result *R)
{
    mp_lesson_part(L, "2. the forgotten end: EOF needs every copy of the write end closed");
    R->timeout_s = L->o.quick ? 0.3 : 1.0;
    double ms = 0;
    child_args a = {.t0_ns = mp_now_ns()};
    mp_conn r, w;
    mp_process writer, by;

    mp_section("A. the parent keeps its own copy of the write end");
    CHECK(mp_pipe(&r, &w, false));
    start_child(&writer, "writer", counting_writer, &a, &w.fd, 1);
    mp_say("writer pid %d holds the write end; so does this process (pid %d): it made the pipe", writer.pid,
           getpid());
    read_lines(&r, &R->received);
    mp_lesson_join(&writer, 30);
    R->eof_with_own_copy = eof_within(&r, R->timeout_s, a.t0_ns, &ms);
    mp_conn_close(&w);
    mp_conn_close(&r);

    mp_section("B. the parent closes its copy; a bystander forked with every descriptor keeps one");
    CHECK(mp_pipe(&r, &w, false));
    start_child(&writer, "writer", counting_writer, &a, &w.fd, 1);
    mp_process_init(&by, "bystander", bystander, NULL);
    by.start = MP_START_FORK; /* only fork copies descriptors nobody handed over */
    by.inherit_fds = true;    /* as Python's fork does: every descriptor the parent had */
    CHECK(mp_process_start(&by));
    mp_conn_close(&w);
    R->bystander_shown = true;
    mp_say("bystander pid %d was forked with every descriptor: it never writes, but it holds the write end",
           by.pid);
    read_lines(&r, &R->received);
    mp_lesson_join(&writer, 30);
    R->eof_with_bystander = eof_within(&r, R->timeout_s, a.t0_ns, &ms);
    stop(&by);
    mp_say("the bystander stopped (exit code %d): its copy is closed", by.exitcode);
    R->eof_after_bystander = eof_within(&r, R->timeout_s, a.t0_ns, &ms);
    mp_conn_close(&r);

    mp_section("C. the fix: close every end a process does not use, right after handing it over");
    CHECK(mp_pipe(&r, &w, false));
    start_child(&writer, "writer", counting_writer, &a, &w.fd, 1);
    mp_conn_close(&w); /* the writer has its own copy now */
    mp_process_init(&by, "bystander", bystander, NULL);
    by.start = MP_START_FORK; /* forked, but given nothing: the kit's default */
    CHECK(mp_process_start(&by));
    mp_say("writer pid %d holds the only write end; bystander pid %d was given nothing", writer.pid, by.pid);
    read_lines(&r, &R->received);
    mp_lesson_join(&writer, 30);
    R->eof_fixed = eof_within(&r, R->timeout_s, a.t0_ns, &R->fixed_ms);
    stop(&by);
    mp_conn_close(&r);
    mp_say("%ld lines read in the three runs (%d each)", R->received, LINES);
}
