/* Lesson 07, part 4 -- both sides send a big message before receiving.
 *
 * A send returns once the kernel has taken all of the message, and the
 * kernel holds only so much for a connection (a few hundred KiB for a
 * socket, 64 KiB for a pipe). A bigger message is taken only as the other
 * side receives. If both sides send first and receive after, each waits in
 * send for the other to receive: a deadlock, with no error and no end.
 * Shown here bounded: the parent's send runs in a thread of its own, and
 * after the timeout the lesson looks, finds both stuck, and kills the
 * child. The fix: one side receives while it sends (a thread receiving in
 * the parent); or one side receives first.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "lesson07.h"

/* The child: send a->size bytes, then receive as many. */
int big_exchanger(void *arg)
{
    const child_args *a = arg;
    mp_conn c;
    child_conn(&c, 0, MP_CONN_SEND | MP_CONN_RECV);
    unsigned char *m = malloc((size_t)a->size);
    if (!m)
        return 1;
    memset(m, 'c', (size_t)a->size);
    mp_say("t=%6.1f ms  the child sends %ld KiB, then will receive", ms_since(a->t0_ns), a->size / 1024);
    CHECK(mp_conn_send(&c, m, (size_t)a->size));
    size_t len = 0;
    CHECK(mp_conn_recv(&c, m, (size_t)a->size, &len));
    mp_say("t=%6.1f ms  the child received %zu KiB", ms_since(a->t0_ns), len / 1024);
    free(m);
    return len == (size_t)a->size ? 0 : 1;
}

typedef struct sender {
    mp_conn *c;
    unsigned char *m;
    size_t size;
    int rc;
    atomic_bool done;
} sender;

static void *send_thread(void *arg)
{
    sender *s = arg;
    s->rc = mp_conn_send(s->c, s->m, s->size);
    atomic_store(&s->done, true);
    return NULL;
}

typedef struct receiver {
    mp_conn *c;
    unsigned char *m;
    size_t size, len;
    int rc;
} receiver;

static void *recv_thread(void *arg)
{
    receiver *r = arg;
    r->rc = mp_conn_recv(r->c, r->m, r->size, &r->len);
    return NULL;
}

/* Wait for s to finish, at most timeout_s. */
static bool finished_within(sender *s, double timeout_s)
{
    uint64_t end = mp_now_ns() + (uint64_t)(timeout_s * 1e9);
    while (!atomic_load(&s->done) && mp_now_ns() < end)
        mp_sleep_ns(1000000);
    return atomic_load(&s->done);
}

void part_deadlock(mp_lesson *L, deadlock_result *R)
{
    mp_lesson_part(L, "4. both sides send a big message before receiving");
    R->timeout_s = L->o.quick ? 0.3 : 1.0;
    size_t size = L->o.quick ? (1u << 20) : (4u << 20);
    unsigned char *mine = malloc(size), *theirs = malloc(size);
    if (!mine || !theirs) {
        mp_error("out of memory");
        mp_lesson_abort();
    }
    memset(mine, 'p', size);
    child_args a = {.t0_ns = mp_now_ns(), .size = (long)size};
    mp_conn me, it;
    mp_process p;
    mp_thread t;

    mp_section("the deadlock: send, then receive, on both sides");
    CHECK(mp_pipe(&me, &it, true));
    start_child(&p, "exchanger", big_exchanger, &a, &it.fd, 1);
    mp_conn_close(&it);
    sender s = {.c = &me, .m = mine, .size = size};
    mp_thread_init(&t, "sender", send_thread, &s);
    CHECK(mp_thread_start(&t));
    mp_say("t=%6.1f ms  the parent sends %zu KiB, then will receive", ms_since(a.t0_ns), size / 1024);
    R->stuck = !finished_within(&s, R->timeout_s) && mp_process_is_alive(&p);
    mp_say("t=%6.1f ms  after %.1f s: the parent's send %s, the child (pid %d) is %s", ms_since(a.t0_ns),
           R->timeout_s, atomic_load(&s.done) ? "returned" : "is still waiting", p.pid,
           mp_process_is_alive(&p) ? "still running: waiting in its send" : "gone");
    mp_process_kill(&p);
    mp_process_join(&p, MP_FOREVER);
    R->child_exitcode = p.exitcode;
    if (!finished_within(&s, 10)) { /* the child is gone: its end is closed, so the send must end */
        mp_error("the parent's send did not return after the child was killed");
        mp_lesson_abort();
    }
    mp_thread_join(&t, NULL);
    mp_say("killed the child (exit code %d); the parent's send returned: %s", p.exitcode,
           s.rc ? strerror(-s.rc) : "sent (the child's buffer took it)");
    mp_conn_close(&me);

    mp_section("the fix: the parent receives in a thread while it sends");
    CHECK(mp_pipe(&me, &it, true));
    uint64_t t0 = mp_now_ns();
    start_child(&p, "exchanger", big_exchanger, &a, &it.fd, 1);
    mp_conn_close(&it);
    receiver r = {.c = &me, .m = theirs, .size = size};
    mp_thread_init(&t, "receiver", recv_thread, &r);
    CHECK(mp_thread_start(&t));
    CHECK(mp_conn_send(&me, mine, size));
    mp_thread_join(&t, NULL);
    mp_lesson_join(&p, 30);
    R->fixed_ms = (double)(mp_now_ns() - t0) / 1e6;
    R->fixed = r.rc == 0 && r.len == size && theirs[0] == 'c' && theirs[size - 1] == 'c';
    mp_say("both messages arrived whole (%s) in %.0f ms: one side was always receiving", R->fixed ? "yes" : "NO",
           R->fixed_ms);
    mp_conn_close(&me);
    free(mine);
    free(theirs);
}
