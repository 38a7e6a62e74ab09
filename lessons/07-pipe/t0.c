/* Lesson 07, part 1 -- T0's Pipe example, in C.
 *
 * T0 makes `conn1, conn2 = Pipe()` and gives conn1 to process I1 and conn2
 * to both I2 and I3: I1 sends two messages 0.1 s apart, then receives two;
 * I2 and I3 each send their name, then receive one; the main process sends
 * None on conn1 and receives one message on conn2. What goes in at one end
 * comes out at the other, whoever holds it: five messages, five receipts.
 * Then the two kinds of pipe (duplex, one-way) and poll, as T0 shows them:
 * conn1.send('A'); conn1.poll() is False, conn2.poll() is True; after
 * conn2.recv(), conn2.poll(2) waits 2 s and says False.
 */
#include "lesson07.h"

#define T0_BOUND_S 10.0 /* no receive in this part waits longer (a lost message is an error, not a hang) */

/* Receive one message on c and say so; 0, or -1 if none came in time. */
static int receive_one(mp_conn *c, const char *who, const char *end, uint64_t t0_ns)
{
    char msg[64];
    size_t len = 0;
    int rc = mp_conn_poll(c, T0_BOUND_S);
    if (rc == 1)
        rc = mp_conn_recv(c, msg, sizeof msg - 1, &len);
    else if (rc == 0)
        rc = -ETIMEDOUT;
    if (rc < 0) {
        mp_error("%s: nothing came on %s: %s", who, end, strerror(-rc));
        return -1;
    }
    msg[len] = 0;
    mp_say("t=%6.1f ms  %s receives \"%s\" on %s", ms_since(t0_ns), who, msg, end);
    return 0;
}

static void send_one(mp_conn *c, const char *who, const char *msg, const char *end, uint64_t t0_ns)
{
    CHECK(mp_conn_send(c, msg, strlen(msg)));
    mp_say("t=%6.1f ms  %s sends \"%s\" on %s", ms_since(t0_ns), who, msg, end);
}

/* I1: conn1. Two messages 0.1 s apart, then two receipts. */
int t0_i1(void *arg)
{
    const child_args *a = arg;
    mp_conn conn1;
    child_conn(&conn1, 0, MP_CONN_SEND | MP_CONN_RECV);
    for (int i = 1; i <= 2; i++) {
        char msg[32];
        snprintf(msg, sizeof msg, "%s-%d", a->name, i);
        send_one(&conn1, a->name, msg, "conn1", a->t0_ns);
        mp_sleep_ns(100 * 1000000ull);
    }
    int bad = 0;
    for (int i = 0; i < 2; i++)
        bad |= receive_one(&conn1, a->name, "conn1", a->t0_ns);
    mp_conn_close(&conn1);
    return bad ? 1 : 0;
}

/* I2 and I3: conn2, shared by both (and by the main process). */
int t0_i2_i3(void *arg)
{
    const child_args *a = arg;
    mp_conn conn2;
    child_conn(&conn2, 0, MP_CONN_SEND | MP_CONN_RECV | MP_CONN_SHARED);
    send_one(&conn2, a->name, a->name, "conn2", a->t0_ns);
    int bad = receive_one(&conn2, a->name, "conn2", a->t0_ns);
    mp_conn_close(&conn2);
    return bad ? 1 : 0;
}

/* Waits, then sends one message: what poll(timeout) is for. */
int late_sender(void *arg)
{
    const child_args *a = arg;
    mp_conn w;
    child_conn(&w, 0, MP_CONN_SEND);
    mp_sleep_ns((uint64_t)a->delay_ms * 1000000ull);
    send_one(&w, a->name, "late, but here", "the one-way pipe", a->t0_ns);
    mp_conn_close(&w);
    return 0;
}

static void three_processes(mp_lesson *L, t0_result *R)
{
    (void)L;
    mp_conn conn1, conn2;
    CHECK(mp_pipe(&conn1, &conn2, true)); /* Pipe(): duplex, as T0's */
    mp_conn_set_shared(&conn2, true);     /* three processes receive on it */
    child_args a = {.t0_ns = mp_now_ns()};
    mp_process p[3];
    snprintf(a.name, sizeof a.name, "I1");
    start_child(&p[0], "I1", t0_i1, &a, &conn1.fd, 1);
    snprintf(a.name, sizeof a.name, "I2");
    start_child(&p[1], "I2", t0_i2_i3, &a, &conn2.fd, 1);
    snprintf(a.name, sizeof a.name, "I3");
    start_child(&p[2], "I3", t0_i2_i3, &a, &conn2.fd, 1);
    mp_say("started I1 (pid %d) with conn1, I2 (pid %d) and I3 (pid %d) with conn2", p[0].pid, p[1].pid,
           p[2].pid);
    send_one(&conn1, "main", "None", "conn1", a.t0_ns);
    R->sent = 5; /* I1's two, I2's and I3's names, main's None */
    R->received = receive_one(&conn2, "main", "conn2", a.t0_ns) == 0;
    for (int i = 0; i < 3; i++) {
        CHECK(mp_process_join(&p[i], T0_BOUND_S));
        if (p[i].state != MP_PROC_DONE) { /* a receipt that never came: say so, never hang */
            mp_process_kill(&p[i]);
            mp_process_join(&p[i], MP_FOREVER);
        }
        bool ok = p[i].state == MP_PROC_DONE && p[i].exitcode == 0;
        R->children_ok += ok;
        R->received += ok ? (i == 0 ? 2 : 1) : 0;
    }
    mp_say("%d messages sent, %d received, each by exactly one process: whoever asked first got the next one",
           R->sent, R->received);
    mp_conn_close(&conn1);
    mp_conn_close(&conn2);
}

static void kinds_and_poll(mp_lesson *L, t0_result *R)
{
    /* one-way: Pipe(duplex=False) gives (reader, writer) */
    mp_conn r, w;
    CHECK(mp_pipe(&r, &w, false));
    int send_on_reader = mp_conn_send(&r, "x", 1), poll_on_writer = mp_conn_poll(&w, 0);
    R->wrong_way_refused = send_on_reader == -EBADF && poll_on_writer == -EBADF;
    mp_say("one-way: send on the reading end -> %s; poll on the writing end -> %s (at once, no waiting)",
           strerror(-send_on_reader), strerror(-poll_on_writer));

    /* duplex: T0's conn1.send('A'), then poll on both ends */
    mp_conn conn1, conn2;
    CHECK(mp_pipe(&conn1, &conn2, true));
    CHECK(mp_conn_send(&conn1, "A", 1));
    int p1 = mp_conn_poll(&conn1, 0), p2 = mp_conn_poll(&conn2, 0);
    char buf[8];
    size_t len = 0;
    CHECK(mp_conn_recv(&conn2, buf, sizeof buf, &len));
    double wait_s = L->o.quick ? 0.3 : 2.0; /* T0's conn2.poll(2) */
    uint64_t t = mp_now_ns();
    int p3 = mp_conn_poll(&conn2, wait_s);
    R->poll_wait_s = mp_ns_to_s(mp_now_ns() - t);
    R->poll_empty = p1 == 0 && p2 == 1;
    R->poll_waited = p3 == 0 && R->poll_wait_s >= wait_s * 0.99;
    mp_say("duplex: conn1.send('A'); conn1.poll() = %d, conn2.poll() = %d; conn2.recv() = '%.*s'; "
           "conn2.poll(%.1f) = %d after %.2f s", p1, p2, (int)len, buf, wait_s, p3, R->poll_wait_s);
    mp_conn_close(&conn1);
    mp_conn_close(&conn2);

    /* and a poll that a message cuts short */
    child_args a = {.t0_ns = mp_now_ns(), .delay_ms = 200};
    snprintf(a.name, sizeof a.name, "late");
    mp_process p;
    start_child(&p, "late", late_sender, &a, &w.fd, 1);
    mp_conn_close(&w);
    t = mp_now_ns();
    int p4 = mp_conn_poll(&r, 5.0);
    R->poll_got_s = mp_ns_to_s(mp_now_ns() - t);
    R->poll_got = p4 == 1 && mp_conn_recv(&r, buf, sizeof buf, &len) == -EMSGSIZE; /* 14 bytes: too long for buf */
    mp_say("poll(5) on the reading end, a child sends 0.2 s later: poll = %d after %.2f s", p4, R->poll_got_s);
    mp_say("(recv into an 8-byte buffer of that 14-byte message: -EMSGSIZE, and the end is closed: nothing is "
           "ever cut short silently)");
    mp_lesson_join(&p, T0_BOUND_S);
    mp_conn_close(&r);
}

void part_t0(mp_lesson *L, t0_result *R)
{
    uint64_t from = mp_lesson_part(L, "1. T0's example: three processes around one pipe; duplex, one-way, poll");
    mp_trace_enable(true); /* always drawn: who waited in recv for whom */
    three_processes(L, R);
    mp_trace_enable(L->o.trace);
    mp_trace_write_window(L->o.out, "t0-timeline", "lesson 07: T0's three processes around one pipe (send, recv)",
                          from, mp_now_ns(), L->o.no_plot);
    kinds_and_poll(L, R);
}
