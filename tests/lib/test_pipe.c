/* pipe: messages keep their boundaries (0 bytes to 16 MiB, sent by a child),
 * a message over the receiver's limit is an error that closes the
 * connection, EOF comes only once every copy of the sending end is closed
 * (a child's too), poll's timeouts, the wrong direction, ends handed to
 * children of every start method, SIGPIPE on a one-way pipe (-EPIPE, none
 * left pending, in any thread; exec'd children start with it unblocked),
 * corrupted streams, and a fuzz test. No
 * assertion is on a time except poll's lower bound. This binary's main()
 * calls mp_spawn_main() first, as every program that spawns must. */
#include "helpers.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>

static const size_t sizes[] = {0, 1, PIPE_BUF - 1, PIPE_BUF, PIPE_BUF + 1, 1u << 20, 16u << 20};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static unsigned char pattern(size_t i, size_t size) { return (unsigned char)(i * 131 + size * 7 + (i >> 9)); }

static void fill(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = pattern(i, n);
}

static void check_bytes(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != pattern(i, n))
            fail_msg("message of %zu bytes: byte %zu is %u, expected %u", n, i, p[i], pattern(i, n));
}

/* ---- the children ---- */

/* Send every size twice on the send-only end it was handed. */
static int send_sizes(void *arg)
{
    (void)arg;
    mp_conn c;
    if (mp_conn_from_fd(&c, mp_child_fd(0), MP_CONN_SEND) != 0)
        return 3;
    unsigned char *buf = malloc(sizes[NSIZES - 1]);
    if (!buf)
        return 4;
    for (size_t k = 0; k < NSIZES; k++) {
        fill(buf, sizes[k]);
        for (int twice = 0; twice < 2; twice++)
            if (mp_conn_send(&c, buf, sizes[k]) != 0)
                return 5;
    }
    free(buf);
    mp_conn_close(&c);
    return 0;
}

/* Duplex: answer one message with "pong <pid>: <message>", then wait for
 * EOF (the parent closed its end). */
static int echo(void *arg)
{
    (void)arg;
    mp_conn c;
    if (mp_conn_from_fd(&c, mp_child_fd(0), MP_CONN_RECV | MP_CONN_SEND) != 0)
        return 3;
    char in[64], out[128];
    size_t n;
    if (mp_conn_recv(&c, in, sizeof in - 1, &n) != 0)
        return 4;
    in[n] = 0;
    int len = snprintf(out, sizeof out, "pong %d: %s", (int)getpid(), in);
    if (mp_conn_send(&c, out, (size_t)len) != 0)
        return 5;
    if (mp_conn_recv(&c, in, sizeof in, &n) != MP_CONN_EOF)
        return 6;
    mp_conn_close(&c);
    return 0;
}

/* One-way: send "hello <pid>" on the send-only end. */
static int hello(void *arg)
{
    (void)arg;
    mp_conn c;
    if (mp_conn_from_fd(&c, mp_child_fd(0), MP_CONN_SEND) != 0)
        return 3;
    char out[64];
    int len = snprintf(out, sizeof out, "hello %d", (int)getpid());
    int r = mp_conn_send(&c, out, (size_t)len);
    mp_conn_close(&c);
    return r == 0 ? 0 : 4;
}

/* Hold a copy of the send end (fd 0), send one message, then wait for a
 * byte on fd 1 before exiting (which closes the copy). */
static int hold_until_told(void *arg)
{
    (void)arg;
    mp_conn c;
    if (mp_conn_from_fd(&c, mp_child_fd(0), MP_CONN_SEND) != 0)
        return 3;
    if (mp_conn_send(&c, "still here", 10) != 0)
        return 4;
    char go;
    if (mp_read_full(mp_child_fd(1), &go, 1) != 0)
        return 5;
    return 0; /* exiting closes the copy */
}

/* Send after a short pause, so that the parent is (most likely) already
 * waiting in poll forever. */
static int send_later(void *arg)
{
    (void)arg;
    mp_conn c;
    if (mp_conn_from_fd(&c, mp_child_fd(0), MP_CONN_SEND) != 0)
        return 3;
    mp_sleep_ns(50000000);
    return mp_conn_send(&c, "late", 4) == 0 ? 0 : 4;
}

/* Read a few bytes of the first message, then exit (the reader is gone
 * while the parent is still writing). */
static int read_a_little(void *arg)
{
    (void)arg;
    char buf[100];
    return read(mp_child_fd(0), buf, sizeof buf) > 0 ? 0 : 3;
}

/* Started by exec (spawn, forkserver): SIGPIPE as a fresh program has it,
 * unblocked and default, though the parent's thread blocked it. */
static int sigpipe_as_new(void *arg)
{
    (void)arg;
    sigset_t mask;
    struct sigaction sa;
    if (sigprocmask(SIG_BLOCK, NULL, &mask) != 0 || sigaction(SIGPIPE, NULL, &sa) != 0)
        return 3;
    if (sigismember(&mask, SIGPIPE))
        return 4;
    return sa.sa_handler == SIG_DFL ? 0 : 5;
}

static const mp_entry entries[] = {MP_ENTRY(send_sizes),      MP_ENTRY(echo),          MP_ENTRY(hello),
                                   MP_ENTRY(hold_until_told), MP_ENTRY(send_later),    MP_ENTRY(read_a_little),
                                   MP_ENTRY(sigpipe_as_new),  {0}};

static void start_with(mp_process *p, mp_target fn, int method, const int *fds, int nfds)
{
    mp_process_init(p, NULL, fn, NULL);
    p->start = method;
    for (int i = 0; i < nfds; i++)
        assert_int_equal(mp_process_pass_fd(p, fds[i]), i);
    assert_int_equal(mp_process_start(p), 0);
}

static void join_ok(mp_process *p)
{
    assert_int_equal(mp_process_join(p, 60.0), 0);
    assert_int_equal(p->exitcode, 0);
}

/* ---- the tests ---- */

static void test_boundaries_kept(void **state)
{
    (void)state;
    mp_conn r, w;
    assert_int_equal(mp_pipe(&r, &w, false), 0);
    assert_true(fcntl(r.fd, F_GETFD) & FD_CLOEXEC);
    assert_true(fcntl(w.fd, F_GETFD) & FD_CLOEXEC);
    mp_process p;
    start_with(&p, send_sizes, MP_START_FORK, &w.fd, 1);
    mp_conn_close(&w);
    unsigned char *buf = malloc(sizes[NSIZES - 1]);
    assert_non_null(buf);
    for (size_t k = 0; k < NSIZES; k++) {
        size_t len = 12345;
        /* into our buffer, exactly as large as the message (cap is the limit) */
        assert_int_equal(mp_conn_poll(&r, 30.0), 1);
        assert_int_equal(mp_conn_recv(&r, buf, sizes[k], &len), 0);
        assert_int_equal(len, sizes[k]);
        check_bytes(buf, len);
        /* into one the kit allocates */
        void *got = NULL;
        assert_int_equal(mp_conn_recv_alloc(&r, 32u << 20, &got, &len), 0);
        assert_non_null(got);
        assert_int_equal(len, sizes[k]);
        check_bytes(got, len);
        free(got);
    }
    free(buf);
    size_t len;
    assert_int_equal(mp_conn_recv(&r, NULL, 0, &len), MP_CONN_EOF);
    assert_int_equal(mp_conn_recv(&r, NULL, 0, &len), MP_CONN_EOF); /* and again */
    mp_conn_close(&r);
    join_ok(&p);
    assert_no_children();
}

static void test_over_limit_closes(void **state)
{
    (void)state;
    char msg[100], buf[100];
    memset(msg, 'x', sizeof msg);
    mp_conn a, b;
    size_t len;
    assert_int_equal(mp_pipe(&a, &b, true), 0);
    assert_int_equal(mp_conn_send(&b, msg, 100), 0);
    assert_int_equal(mp_conn_send(&b, msg, 10), 0);
    assert_int_equal(mp_conn_recv(&a, buf, 99, &len), -EMSGSIZE);
    assert_int_equal(a.fd, -1); /* closed */
    assert_int_equal(mp_conn_recv(&a, buf, sizeof buf, &len), -EBADF);
    assert_int_equal(mp_conn_poll(&a, 0), -EBADF);
    /* the other side sees its reader gone */
    assert_int_equal(mp_conn_send(&b, msg, 10), -EPIPE);
    mp_conn_close(&b);

    assert_int_equal(mp_pipe(&a, &b, false), 0);
    assert_int_equal(mp_conn_send(&b, msg, 100), 0);
    void *p = NULL;
    assert_int_equal(mp_conn_recv_alloc(&a, 99, &p, &len), -EMSGSIZE);
    assert_null(p);
    assert_int_equal(a.fd, -1);
    mp_conn_close(&a);
    mp_conn_close(&b);
    mp_conn_close(&b); /* twice is harmless */
}

static void test_eof_after_last_copy(void **state)
{
    (void)state;
    mp_conn r, w;
    assert_int_equal(mp_pipe(&r, &w, false), 0);
    int go[2];
    assert_int_equal(pipe2(go, O_CLOEXEC), 0);
    mp_process p;
    int fds[2] = {w.fd, go[0]};
    start_with(&p, hold_until_told, MP_START_FORK, fds, 2);
    mp_conn_close(&w); /* ours is closed; the child still holds its copy */
    close(go[0]);
    char buf[16];
    size_t len;
    assert_int_equal(mp_conn_recv(&r, buf, sizeof buf, &len), 0);
    assert_int_equal(len, 10);
    assert_memory_equal(buf, "still here", 10);
    /* nothing waiting, and no EOF while the child holds the end: */
    assert_int_equal(mp_conn_poll(&r, 0), 0);
    assert_int_equal(mp_conn_poll(&r, 0.2), 0);
    assert_int_equal(write(go[1], "g", 1), 1);
    close(go[1]);
    assert_int_equal(mp_conn_poll(&r, 30.0), 1); /* now EOF is waiting */
    assert_int_equal(mp_conn_recv(&r, buf, sizeof buf, &len), MP_CONN_EOF);
    mp_conn_close(&r);
    join_ok(&p);
    assert_no_children();
}

static void test_poll_timeouts(void **state)
{
    (void)state;
    mp_conn a, b;
    assert_int_equal(mp_pipe(&a, &b, true), 0);
    assert_int_equal(mp_conn_poll(&a, 0), 0);
    uint64_t t0 = mp_now_ns();
    assert_int_equal(mp_conn_poll(&a, 0.1), 0);
    uint64_t waited = mp_now_ns() - t0;
    if (waited < 90000000u)
        fail_msg("poll(0.1) returned 0 after only %.3f s", waited / 1e9);
    assert_int_equal(mp_conn_send(&b, "x", 1), 0);
    assert_int_equal(mp_conn_poll(&a, 30.0), 1);
    assert_int_equal(mp_conn_poll(&a, 0), 1); /* still there: poll does not consume */
    assert_int_equal(mp_conn_poll(&a, -1), 1);
    char c;
    size_t len;
    assert_int_equal(mp_conn_recv(&a, &c, 1, &len), 0);
    assert_int_equal(mp_conn_poll(&a, 0), 0);
    mp_conn_close(&a);
    mp_conn_close(&b);

    /* forever: until a child sends */
    mp_conn r, w;
    assert_int_equal(mp_pipe(&r, &w, false), 0);
    mp_process p;
    start_with(&p, send_later, MP_START_FORK, &w.fd, 1);
    mp_conn_close(&w);
    assert_int_equal(mp_conn_poll(&r, -1), 1);
    char buf[8];
    assert_int_equal(mp_conn_recv(&r, buf, sizeof buf, &len), 0);
    assert_int_equal(len, 4);
    assert_memory_equal(buf, "late", 4);
    mp_conn_close(&r);
    join_ok(&p);
    assert_no_children();
}

static void test_wrong_direction(void **state)
{
    (void)state;
    mp_conn r, w;
    char buf[8];
    size_t len;
    void *p;
    assert_int_equal(mp_pipe(&r, &w, false), 0);
    assert_int_equal(mp_conn_send(&r, "x", 1), -EBADF);
    assert_int_equal(mp_conn_recv(&w, buf, sizeof buf, &len), -EBADF);
    assert_int_equal(mp_conn_recv_alloc(&w, 8, &p, &len), -EBADF);
    assert_int_equal(mp_conn_poll(&w, 0), -EBADF);
    assert_int_equal(mp_conn_poll(&w, -1), -EBADF); /* never a hang */

    /* a copy wrapped the wrong way: the pipe's end was not opened that
     * way, so an error at once, never a hang */
    mp_conn wr, ww;
    assert_int_equal(mp_conn_from_fd(&wr, fcntl(r.fd, F_DUPFD_CLOEXEC, 3), MP_CONN_SEND), 0);
    assert_int_equal(mp_conn_send(&wr, "x", 1), -EBADF);
    assert_int_equal(mp_conn_from_fd(&ww, fcntl(w.fd, F_DUPFD_CLOEXEC, 3), MP_CONN_RECV), 0);
    assert_int_equal(mp_conn_poll(&ww, 30.0), -EBADF);
    assert_int_equal(mp_conn_recv(&ww, buf, sizeof buf, &len), -EBADF);
    mp_conn_close(&wr);
    mp_conn_close(&ww);

    /* the right way still works */
    assert_int_equal(mp_conn_send(&w, "ok", 2), 0);
    assert_int_equal(mp_conn_recv(&r, buf, sizeof buf, &len), 0);
    assert_int_equal(len, 2);
    /* a reader gone: -EPIPE, no SIGPIPE death */
    mp_conn_close(&r);
    assert_int_equal(mp_conn_send(&w, "ok", 2), -EPIPE);
    mp_conn_close(&w);
    assert_int_equal(mp_conn_send(&w, "ok", 2), -EBADF); /* closed */

    mp_conn c;
    assert_int_equal(mp_conn_from_fd(&c, 999, MP_CONN_RECV), -EBADF);
    assert_int_equal(mp_conn_from_fd(&c, 0, 0), -EINVAL);
    assert_int_equal(mp_conn_from_fd(&c, 0, 4), -EINVAL);
    assert_int_equal(c.fd, -1);
}

static void test_ends_to_children(void **state)
{
    (void)state;
    for (int m = MP_START_FORK; m <= MP_START_FORKSERVER; m++) {
        /* duplex: ping, pong, then the child sees our EOF */
        mp_conn a, b;
        assert_int_equal(mp_pipe(&a, &b, true), 0);
        mp_process p;
        start_with(&p, echo, m, &b.fd, 1);
        mp_conn_close(&b);
        char ping[32], buf[128], want[128];
        int n = snprintf(ping, sizeof ping, "ping %s", mp_start_names[m]);
        assert_int_equal(mp_conn_send(&a, ping, (size_t)n), 0);
        size_t len;
        assert_int_equal(mp_conn_poll(&a, 30.0), 1);
        assert_int_equal(mp_conn_recv(&a, buf, sizeof buf - 1, &len), 0);
        buf[len] = 0;
        snprintf(want, sizeof want, "pong %d: %s", (int)p.pid, ping);
        assert_string_equal(buf, want);
        mp_conn_close(&a);
        join_ok(&p);

        /* one-way: the child sends */
        mp_conn r, w;
        assert_int_equal(mp_pipe(&r, &w, false), 0);
        start_with(&p, hello, m, &w.fd, 1);
        mp_conn_close(&w);
        assert_int_equal(mp_conn_poll(&r, 30.0), 1);
        assert_int_equal(mp_conn_recv(&r, buf, sizeof buf - 1, &len), 0);
        buf[len] = 0;
        snprintf(want, sizeof want, "hello %d", (int)p.pid);
        assert_string_equal(buf, want);
        assert_int_equal(mp_conn_recv(&r, buf, sizeof buf, &len), MP_CONN_EOF);
        mp_conn_close(&r);
        join_ok(&p);
    }
    mp_forkserver_stop(); /* the server is a child too */
    assert_no_children();
}

/* ---- SIGPIPE on the one-way kind (a pipe) ---- */

static volatile sig_atomic_t sigpipes_seen;
static void count_sigpipe(int sig)
{
    (void)sig;
    sigpipes_seen++;
}

static bool sigpipe_pending(void)
{
    sigset_t p;
    return sigpending(&p) != 0 || sigismember(&p, SIGPIPE);
}

/* A send on a one-way pipe whose reader is gone: -EPIPE, and nothing of
 * the SIGPIPE its write raised is left pending. 0, or the step that went
 * wrong (no cmocka assertion here: it also runs in a second thread). */
static int send_to_no_reader(void)
{
    mp_conn r, w;
    if (mp_pipe(&r, &w, false) != 0)
        return 1;
    mp_conn_close(&r);
    int step = 0;
    if (mp_conn_send(&w, "x", 1) != -EPIPE)
        step = 2;
    else if (sigpipe_pending())
        step = 3;
    else if (mp_conn_send(&w, NULL, 0) != -EPIPE) /* and again */
        step = 4;
    else if (sigpipe_pending())
        step = 5;
    mp_conn_close(&w);
    return step;
}

static void test_sigpipe_taken_back(void **state)
{
    (void)state;
    /* a handler that counts: a SIGPIPE left pending would run it when the
     * mask lets it through below */
    struct sigaction sa = {.sa_handler = count_sigpipe}, old;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGPIPE, &sa, &old), 0);
    sigpipes_seen = 0;
    assert_int_equal(send_to_no_reader(), 0);

    /* the reader leaves in the middle of a 1 MiB message: the write that
     * was partly done raises SIGPIPE too, and the next one again (merged) */
    mp_conn r, w;
    assert_int_equal(mp_pipe(&r, &w, false), 0);
    mp_process p;
    start_with(&p, read_a_little, MP_START_FORK, &r.fd, 1);
    mp_conn_close(&r);
    size_t big = 1u << 20;
    char *buf = calloc(1, big);
    assert_non_null(buf);
    assert_int_equal(mp_conn_send(&w, buf, big), -EPIPE);
    free(buf);
    assert_false(sigpipe_pending());
    mp_conn_close(&w);
    join_ok(&p);

    /* the documented side effect: this thread keeps SIGPIPE blocked */
    sigset_t mask, pipe_only;
    assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &mask), 0);
    assert_true(sigismember(&mask, SIGPIPE));
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    assert_int_equal(pthread_sigmask(SIG_UNBLOCK, &pipe_only, NULL), 0);
    assert_int_equal(sigpipes_seen, 0); /* nothing was pending */
    assert_int_equal(pthread_sigmask(SIG_BLOCK, &pipe_only, NULL), 0); /* as the kit left it */
    assert_int_equal(sigaction(SIGPIPE, &old, NULL), 0);
    assert_no_children();
}

/* A second thread that starts with SIGPIPE unblocked: its first send
 * blocks it there (else the process would die here). */
static void *send_in_thread(void *arg)
{
    int *step = arg;
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    *step = pthread_sigmask(SIG_UNBLOCK, &pipe_only, NULL) != 0 ? 10 : send_to_no_reader();
    return NULL;
}

static void test_sigpipe_other_thread(void **state)
{
    (void)state;
    pthread_t t;
    int step = -1;
    assert_int_equal(pthread_create(&t, NULL, send_in_thread, &step), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(step, 0);
    assert_false(sigpipe_pending());
}

/* After this thread blocked SIGPIPE (a send on a pipe), a program the kit
 * execs still starts with it unblocked and default. */
static void test_sigpipe_exec_child_fresh(void **state)
{
    (void)state;
    assert_int_equal(send_to_no_reader(), 0);
    for (int m = MP_START_SPAWN; m <= MP_START_FORKSERVER; m++) {
        mp_process p;
        start_with(&p, sigpipe_as_new, m, NULL, 0);
        join_ok(&p);
    }
    mp_forkserver_stop();
    assert_no_children();
}

/* A valid header for len, as mp_conn_send writes it. */
static void header(unsigned char *h, uint64_t len)
{
    uint32_t check = ~((uint32_t)len ^ (uint32_t)(len >> 32)) ^ 0x5a5a5a5au;
    memcpy(h, MP_CONN_MAGIC, 4);
    for (int i = 0; i < 8; i++)
        h[4 + i] = (unsigned char)(len >> (8 * i));
    for (int i = 0; i < 4; i++)
        h[12 + i] = (unsigned char)(check >> (8 * i));
}

/* Write raw bytes on a fresh one-way pair's send end, close it, and return
 * the receiving end. */
static mp_conn raw_stream(const void *bytes, size_t n)
{
    mp_conn r, w;
    assert_int_equal(mp_pipe(&r, &w, false), 0);
    if (n)
        assert_int_equal(write(w.fd, bytes, n), (ssize_t)n);
    mp_conn_close(&w);
    return r;
}

static void test_corrupted_stream(void **state)
{
    (void)state;
    unsigned char s[64], buf[64];
    size_t len;
    mp_conn r;

    /* our own frame format, checked: a good one is data */
    header(s, 3);
    memcpy(s + 16, "abc", 3);
    r = raw_stream(s, 19);
    assert_int_equal(mp_conn_recv(&r, buf, sizeof buf, &len), 0);
    assert_int_equal(len, 3);
    assert_int_equal(mp_conn_recv(&r, buf, sizeof buf, &len), MP_CONN_EOF);
    mp_conn_close(&r);

    /* bad magic */
    header(s, 3);
    s[0] = 'X';
    r = raw_stream(s, 19);
    assert_int_equal(mp_conn_recv(&r, buf, sizeof buf, &len), -EBADMSG);
    assert_int_equal(r.fd, -1);

    /* a length that does not match its check */
    header(s, 3);
    s[4] = 4;
    r = raw_stream(s, 20);
    assert_int_equal(mp_conn_recv(&r, buf, sizeof buf, &len), -EBADMSG);
    assert_int_equal(r.fd, -1);

    /* an impossible length, with a matching check */
    header(s, MP_CONN_MSG_MAX + 1);
    r = raw_stream(s, 16);
    void *p = NULL;
    assert_int_equal(mp_conn_recv_alloc(&r, SIZE_MAX, &p, &len), -EBADMSG);
    assert_null(p);
    assert_int_equal(r.fd, -1);

    /* the stream ends inside a header, and inside a message */
    header(s, 10);
    r = raw_stream(s, 7);
    assert_int_equal(mp_conn_recv(&r, buf, sizeof buf, &len), -EBADMSG);
    assert_int_equal(r.fd, -1);
    r = raw_stream(s, 16 + 9);
    assert_int_equal(mp_conn_recv(&r, buf, sizeof buf, &len), -EBADMSG);
    assert_int_equal(r.fd, -1);

    /* a good message, then garbage: the message, then the error */
    header(s, 2);
    memcpy(s + 16, "ok", 2);
    memset(s + 18, 0xee, 30);
    r = raw_stream(s, 48);
    assert_int_equal(mp_conn_recv(&r, buf, sizeof buf, &len), 0);
    assert_int_equal(len, 2);
    assert_int_equal(mp_conn_recv(&r, buf, sizeof buf, &len), -EBADMSG);
    assert_int_equal(mp_conn_recv(&r, buf, sizeof buf, &len), -EBADF);
}

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Random streams, and valid frames with a header byte changed: the receiver
 * returns only the valid frames put before the damage, then an error. */
static void test_fuzz(void **state)
{
    (void)state;
    unsigned char s[2048], buf[512];
    for (int round = 0; round < 600; round++) {
        size_t n = 0;
        int valid = 0; /* frames that must come out whole, first */
        int kind = round % 3;
        if (kind == 1 || kind == 2) {
            valid = (int)(next_random() % 3);
            for (int v = 0; v < valid; v++) {
                size_t l = next_random() % 40;
                header(s + n, l);
                for (size_t i = 0; i < l; i++)
                    s[n + 16 + i] = (unsigned char)(v + i);
                n += 16 + l;
            }
        }
        if (kind == 1) { /* a header with one byte changed */
            header(s + n, next_random() % 100);
            size_t at = next_random() % 16;
            s[n + at] ^= (unsigned char)(1 + next_random() % 255);
            n += 16;
        } else if (kind == 2) { /* a valid header, the message cut short */
            uint64_t l = 1 + next_random() % 1000;
            header(s + n, l);
            n += 16;
            size_t have = (size_t)(next_random() % l);
            for (size_t i = 0; i < have && n < sizeof s - 512; i++)
                s[n++] = (unsigned char)next_random();
        }
        size_t tail = next_random() % 300;
        if (kind == 2)
            tail = 0;
        for (size_t i = 0; i < tail; i++)
            s[n++] = (unsigned char)next_random();

        mp_conn r = raw_stream(s, n);
        int got_valid = 0, rc;
        size_t len;
        for (;;) {
            int pr = mp_conn_poll(&r, 30.0);
            if (pr != 1)
                fail_msg("round %d: poll returned %d", round, pr);
            rc = mp_conn_recv(&r, buf, sizeof buf, &len);
            if (rc != 0)
                break;
            if (got_valid >= valid)
                fail_msg("round %d (kind %d): data returned from a bad frame (%zu bytes)", round, kind, len);
            for (size_t i = 0; i < len; i++)
                assert_int_equal(buf[i], (unsigned char)(got_valid + i));
            got_valid++;
        }
        assert_int_equal(got_valid, valid);
        if (kind == 0 && n == 0)
            assert_int_equal(rc, MP_CONN_EOF);
        else if (kind == 2)
            assert_true(rc == -EBADMSG || rc == -EMSGSIZE);
        else
            assert_int_equal(rc, -EBADMSG);
        mp_conn_close(&r);
    }
}

static void test_traced(void **state)
{
    (void)state;
    mp_trace_close();
    assert_int_equal(mp_trace_init(4, 64), 0);
    mp_trace_enable(true);
    mp_conn a, b;
    assert_int_equal(mp_pipe(&a, &b, true), 0);
    char c;
    size_t len;
    assert_int_equal(mp_conn_send(&b, "x", 1), 0);
    assert_int_equal(mp_conn_recv(&a, &c, 1, &len), 0);
    mp_trace_enable(false);
    mp_conn_close(&a);
    mp_conn_close(&b);
    const char *spans[] = {"send", "recv"};
    assert_one_lane_of_spans(spans, 2);
    mp_trace_close();
}

/* A shared receiving end reads exactly one message: the next one stays in
 * the kernel for whichever process receives next. An end of its own reads
 * ahead and would have taken both. */
static void test_shared_end_reads_one_message(void **state)
{
    (void)state;
    for (int shared = 0; shared <= 1; shared++) {
        mp_conn r, w;
        assert_int_equal(mp_pipe(&r, &w, false), 0);
        assert_int_equal(mp_conn_send(&w, "one", 3), 0);
        assert_int_equal(mp_conn_send(&w, "two!", 4), 0);
        mp_conn_set_shared(&r, shared);
        char buf[8];
        size_t len = 0;
        assert_int_equal(mp_conn_recv(&r, buf, sizeof buf, &len), 0);
        assert_int_equal(len, 3);
        assert_memory_equal(buf, "one", 3);
        int left = -1;
        assert_int_equal(ioctl(r.fd, FIONREAD, &left), 0);
        assert_int_equal(left, shared ? MP_CONN_HEADER + 4 : 0); /* in the kernel, or in r's buffer */
        assert_int_equal(mp_conn_recv(&r, buf, sizeof buf, &len), 0);
        assert_int_equal(len, 4);
        assert_memory_equal(buf, "two!", 4);
        mp_conn_close(&r);
        mp_conn_close(&w);
    }
    /* from_fd takes the flag; an unknown flag is refused */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    mp_conn c;
    assert_int_equal(mp_conn_from_fd(&c, fds[0], MP_CONN_RECV | MP_CONN_SHARED), 0);
    assert_true(c.flags & MP_CONN_SHARED);
    assert_int_equal(mp_conn_from_fd(&c, fds[1], MP_CONN_SEND | 64), -EINVAL);
    assert_int_equal(mp_conn_from_fd(&c, fds[1], MP_CONN_SHARED), -EINVAL);
    close(fds[1]);
    close(fds[0]);
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_boundaries_kept, teardown_children),
        cmocka_unit_test(test_over_limit_closes),
        cmocka_unit_test_teardown(test_eof_after_last_copy, teardown_children),
        cmocka_unit_test_teardown(test_poll_timeouts, teardown_children),
        cmocka_unit_test(test_wrong_direction),
        cmocka_unit_test(test_shared_end_reads_one_message),
        cmocka_unit_test_teardown(test_sigpipe_taken_back, teardown_children),
        cmocka_unit_test(test_sigpipe_other_thread),
        cmocka_unit_test_teardown(test_sigpipe_exec_child_fresh, teardown_children),
        cmocka_unit_test_teardown(test_ends_to_children, teardown_children),
        cmocka_unit_test(test_corrupted_stream),
        cmocka_unit_test(test_fuzz),
        cmocka_unit_test(test_traced),
    };
    int rc = cmocka_run_group_tests_name("pipe", tests, NULL, NULL);
    mp_forkserver_stop();
    return rc;
}
