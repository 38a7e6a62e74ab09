/* Lesson 07, part 2 -- the forgotten end.
 *
 * A reader learns that no more messages will come from EOF, and the kernel
 * says EOF only when *every* copy of the write end is closed: the writer's,
 * but also the parent's own copy (it made the pipe), and any copy a child
 * inherited without needing it. Python's fork children inherit every
 * descriptor, so a forgotten end is one fork away. Three runs, each reading
 * until EOF with a timeout so that the lesson never hangs:
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

/* Read until EOF or until nothing has come for timeout_s. true: EOF. */
static bool read_until_eof(mp_conn *r, double timeout_s, long *received, uint64_t t0_ns, double *eof_after_ms)
{
    uint64_t last = mp_now_ns();
    for (;;) {
        int rc = mp_conn_poll(r, timeout_s);
        CHECK(rc);
        if (rc == 0) {
            mp_say("t=%6.1f ms  no EOF after waiting %.1f s: a write end is still open somewhere",
                   ms_since(t0_ns), timeout_s);
            return false;
        }
        char msg[32];
        size_t len = 0;
        rc = mp_conn_recv(r, msg, sizeof msg, &len);
        if (rc == MP_CONN_EOF) {
            *eof_after_ms = (double)(mp_now_ns() - last) / 1e6;
            mp_say("t=%6.1f ms  EOF, %.1f ms after the last line", ms_since(t0_ns), *eof_after_ms);
            return true;
        }
        CHECK(rc);
        (*received)++;
        last = mp_now_ns();
    }
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
    R->eof_with_own_copy = read_until_eof(&r, R->timeout_s, &R->received, a.t0_ns, &ms);
    mp_lesson_join(&writer, 10);
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
    R->eof_with_bystander = read_until_eof(&r, R->timeout_s, &R->received, a.t0_ns, &ms);
    mp_lesson_join(&writer, 10);
    stop(&by);
    mp_say("the bystander stopped (exit code %d): its copy is closed", by.exitcode);
    R->eof_after_bystander = read_until_eof(&r, R->timeout_s, &R->received, a.t0_ns, &ms);
    mp_conn_close(&r);

    mp_section("C. the fix: close every end a process does not use, right after handing it over");
    CHECK(mp_pipe(&r, &w, false));
    start_child(&writer, "writer", counting_writer, &a, &w.fd, 1);
    mp_conn_close(&w); /* the writer has its own copy now */
    mp_process_init(&by, "bystander", bystander, NULL);
    by.start = MP_START_FORK; /* forked, but given nothing: the kit's default */
    CHECK(mp_process_start(&by));
    mp_say("writer pid %d holds the only write end; bystander pid %d was given nothing", writer.pid, by.pid);
    R->eof_fixed = read_until_eof(&r, R->timeout_s, &R->received, a.t0_ns, &R->fixed_ms);
    mp_lesson_join(&writer, 10);
    stop(&by);
    mp_conn_close(&r);
    mp_say("%ld lines read in the three runs (%d each)", R->received, LINES);
}
