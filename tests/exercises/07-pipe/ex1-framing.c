/* Tests for exercise 07.1: framing over a raw stream.
 *
 * The verdicts never depend on timing. A helper thread feeds the receiver
 * in small chunks and, after each one, waits until the receiver has taken
 * every byte (FIONREAD says 0) before it writes the next: so the
 * receiver's read() *must* return a part (1 byte of a 4-byte header, ...).
 * Signals are sent only when the other thread is asleep in read() or
 * write() (its state in /proc is 'S'), so an EINTR, or a write cut short,
 * *must* happen. The handler is installed without SA_RESTART, as a program
 * that uses signals (a timer, SIGCHLD) may have it. No assertion runs while
 * a helper thread still uses the test's memory: failures are noted, the
 * thread is joined, then the test fails. */
#include "helpers.h"

#include <sys/ioctl.h>

#include "ex1-framing.h"

#define MIB (1024 * 1024)
#define WAIT_S 5.0 /* bounded waits for the other thread: generous, never a verdict */

static atomic_int signals_seen;

static void on_usr1(int sig)
{
    (void)sig;
    atomic_fetch_add(&signals_seen, 1);
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN); /* a write to a closed reader: -EPIPE, not death */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocked read()/write() fails with EINTR */
    return sigaction(SIGUSR1, &sa, NULL);
}

/* The first failure a test noted (checked once its helper thread is joined). */
static char failure[512];
#define NOTE(cond, ...)                                                 \
    do {                                                                \
        if (!(cond) && !failure[0])                                     \
            snprintf(failure, sizeof failure, __VA_ARGS__);             \
    } while (0)
static void fail_if_noted(void)
{
    if (failure[0])
        fail_msg("%s", failure);
}

static void make_pair(int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static int queued(int fd) /* bytes waiting to be read on fd */
{
    int n = 0;
    return ioctl(fd, FIONREAD, &n) == 0 ? n : -1;
}

/* Frame len bytes of msg (the exercise's format) at out; returns the size. */
static size_t put_frame(unsigned char *out, const unsigned char *msg, size_t len)
{
    for (int i = 0; i < MSG_HEADER; i++)
        out[i] = (unsigned char)(len >> (8 * i));
    if (len)
        memcpy(out + MSG_HEADER, msg, len);
    return MSG_HEADER + len;
}

static unsigned char *pattern(size_t n, unsigned seed)
{
    unsigned char *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)((i * 7 + seed) ^ (i >> 8));
    return p;
}

/* Wait (bounded) until cond(arg) holds or *stop is set; true if cond held. */
static bool wait_until(bool (*cond)(void *), void *arg, atomic_bool *stop)
{
    uint64_t deadline = mp_now_ns() + (uint64_t)(WAIT_S * 1e9);
    while (!cond(arg)) {
        if ((stop && atomic_load(stop)) || mp_now_ns() > deadline)
            return false;
        mp_sleep_ns(50000);
    }
    return true;
}

/* ---- the dribbler: writes a stream in small chunks, each one taken before the next ---- */

typedef struct dribble {
    int wfd, rfd;                 /* write here; the receiver reads rfd */
    const unsigned char *data;
    size_t n;
    atomic_bool stop;             /* the receiver is done: stop writing */
} dribble;

static bool drained(void *arg)
{
    return queued(((dribble *)arg)->rfd) == 0;
}

static void *dribble_main(void *arg)
{
    dribble *d = arg;
    uint32_t x = 12345; /* a fixed xorshift: the same chunks every run */
    size_t off = 0;
    for (int k = 0; off < d->n && !atomic_load(&d->stop); k++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        size_t chunk = k < 24 ? 1 : 1 + x % (k % 3 ? 64 * 1024 : 7); /* bytes, then bigger */
        if (chunk > d->n - off)
            chunk = d->n - off;
        if (mp_write_full(d->wfd, d->data + off, chunk) != 0)
            break;
        off += chunk;
        if (!wait_until(drained, d, &d->stop))
            break; /* the receiver stopped reading: end the stream */
    }
    shutdown(d->wfd, SHUT_WR); /* the end of the stream */
    return NULL;
}

static void test_send_format(void **state)
{
    (void)state;
    int sv[2];
    make_pair(sv);
    unsigned char *msg = pattern(300, 1), got[400];
    assert_int_equal(send_msg(sv[1], msg, 300), 0);
    assert_int_equal(send_msg(sv[1], NULL, 0), 0);
    assert_int_equal(send_msg(sv[1], "hi", 2), 0);
    shutdown(sv[1], SHUT_WR);
    const unsigned char want_header[4] = {0x2c, 0x01, 0, 0}; /* 300, little-endian */
    assert_int_equal(mp_read_full(sv[0], got, 304), 0);
    assert_memory_equal(got, want_header, 4);
    assert_memory_equal(got + 4, msg, 300);
    const unsigned char rest[] = {0, 0, 0, 0, 2, 0, 0, 0, 'h', 'i'};
    assert_int_equal(mp_read_full(sv[0], got, sizeof rest), 0);
    assert_memory_equal(got, rest, sizeof rest);
    assert_int_equal(read(sv[0], got, 1), 0); /* nothing more: the frames are exact */
    free(msg);
    close(sv[0]), close(sv[1]);
}

/* Frames of 0, 1, 4095, 4096, 4097 bytes and 1 MiB, back to back, written in
 * chunks that split headers byte by byte and cross frame boundaries. */
static void test_sizes_in_small_chunks(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 4095, 4096, 4097, MIB, 3};
    enum { N = sizeof sizes / sizeof sizes[0] };
    size_t total = 0;
    for (int i = 0; i < N; i++)
        total += MSG_HEADER + sizes[i];
    unsigned char *stream = malloc(total), *msgs[N];
    size_t off = 0;
    for (int i = 0; i < N; i++) {
        msgs[i] = pattern(sizes[i], (unsigned)i);
        off += put_frame(stream + off, msgs[i], sizes[i]);
    }
    int sv[2];
    make_pair(sv);
    dribble d = {.wfd = sv[1], .rfd = sv[0], .data = stream, .n = total};
    pthread_t t;
    failure[0] = 0;
    assert_int_equal(pthread_create(&t, NULL, dribble_main, &d), 0);
    unsigned char *buf = malloc(MIB);
    for (int i = 0; i < N && !failure[0]; i++) {
        size_t len = 999;
        int rc = recv_msg(sv[0], buf, MIB, &len);
        NOTE(rc == 0, "message %d (%zu bytes), sent in small pieces: recv_msg returned %d, expected 0", i,
             sizes[i], rc);
        NOTE(len == sizes[i], "message %d: recv_msg said %zu bytes, expected %zu (a header read in parts?)", i,
             len, sizes[i]);
        NOTE(len != sizes[i] || memcmp(buf, msgs[i], len) == 0,
             "message %d (%zu bytes): the bytes differ from those sent (one read() is not the whole message)", i,
             sizes[i]);
    }
    for (int k = 0; k < 2 && !failure[0]; k++) {
        size_t len;
        int rc = recv_msg(sv[0], buf, MIB, &len);
        NOTE(rc == MSG_EOF, "after the last frame the stream ended: recv_msg returned %d, expected MSG_EOF (%d)",
             rc, MSG_EOF);
    }
    atomic_store(&d.stop, true);
    shutdown(sv[0], SHUT_RDWR); /* a writer blocked on us wakes up */
    pthread_join(t, NULL);
    close(sv[0]), close(sv[1]);
    for (int i = 0; i < N; i++)
        free(msgs[i]);
    free(stream), free(buf);
    fail_if_noted();
}

/* ---- signals while the other thread sleeps in read() or write() ---- */

typedef struct sleeper {
    pid_t tid;          /* the thread that calls recv_msg / send_msg */
    pthread_t thread;
    atomic_bool inside; /* it is inside recv_msg / send_msg */
    atomic_bool done;   /* it returned */
    int fd;             /* the receiving end, for FIONREAD */
} sleeper;

static bool asleep(void *arg) /* inside the call and blocked */
{
    sleeper *s = arg;
    return atomic_load(&s->inside) && mp_proc_state(s->tid) == 'S';
}

static bool asleep_drained(void *arg)
{
    sleeper *s = arg;
    return queued(s->fd) == 0 && asleep(s);
}

/* Interrupt s once it sleeps (with nothing left to read if drained): true
 * if the signal was delivered to it. */
static bool interrupt(sleeper *s, bool need_drained)
{
    if (!wait_until(need_drained ? asleep_drained : asleep, s, &s->done))
        return false;
    int before = atomic_load(&signals_seen);
    pthread_kill(s->thread, SIGUSR1);
    uint64_t deadline = mp_now_ns() + (uint64_t)(WAIT_S * 1e9);
    while (atomic_load(&signals_seen) == before && mp_now_ns() < deadline)
        mp_sleep_ns(50000);
    return atomic_load(&signals_seen) != before;
}

typedef struct feeder {
    sleeper s;
    int wfd;
    const unsigned char *frame;
    size_t n;
    int interrupts; /* how many signals landed in a blocked read */
} feeder;

/* Signal the reader three times before the first byte, then once after each
 * piece: 2 bytes of header, 2 more and half the message, the rest. */
static void *feeder_main(void *arg)
{
    feeder *f = arg;
    size_t cuts[] = {0, 2, MSG_HEADER + (f->n - MSG_HEADER) / 2, f->n};
    for (int i = 0; i < 3; i++)
        f->interrupts += interrupt(&f->s, true);
    for (int i = 1; i < 4 && !atomic_load(&f->s.done); i++) {
        if (mp_write_full(f->wfd, f->frame + cuts[i - 1], cuts[i] - cuts[i - 1]) != 0)
            break;
        if (i < 3)
            f->interrupts += interrupt(&f->s, true);
    }
    shutdown(f->wfd, SHUT_WR);
    return NULL;
}

static void test_reads_interrupted_by_signals(void **state)
{
    (void)state;
    int sv[2];
    make_pair(sv);
    unsigned char *msg = pattern(5000, 9), *frame = malloc(MSG_HEADER + 5000), buf[6000];
    size_t n = put_frame(frame, msg, 5000);
    feeder f = {.s = {.tid = gettid(), .thread = pthread_self(), .fd = sv[0]}, .wfd = sv[1], .frame = frame, .n = n};
    failure[0] = 0;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, feeder_main, &f), 0);
    size_t len = 0;
    atomic_store(&f.s.inside, true);
    int rc = recv_msg(sv[0], buf, sizeof buf, &len);
    atomic_store(&f.s.inside, false);
    atomic_store(&f.s.done, true);
    NOTE(rc == 0, "a signal interrupted read() (EINTR) while recv_msg waited: it returned %d, expected 0 "
                  "(retry the read)", rc);
    NOTE(rc != 0 || (len == 5000 && memcmp(buf, msg, len) == 0),
         "with signals and a message in three pieces: got %zu bytes, expected the 5000 sent", len);
    if (rc == 0) {
        rc = recv_msg(sv[0], buf, sizeof buf, &len);
        NOTE(rc == MSG_EOF, "then the stream ended: recv_msg returned %d, expected MSG_EOF", rc);
    }
    shutdown(sv[0], SHUT_RDWR);
    pthread_join(t, NULL);
    NOTE(f.interrupts == 5, "the test could not interrupt recv_msg in read() (%d of 5 signals landed)",
         f.interrupts);
    close(sv[0]), close(sv[1]);
    free(msg), free(frame);
    fail_if_noted();
}

typedef struct drainer {
    sleeper s;
    unsigned char *got;
    size_t cap, n;
    int interrupts;
} drainer;

static bool has_queued(void *arg)
{
    return queued(((sleeper *)arg)->fd) > 0;
}

/* The writer fills the socket and sleeps in write(): signal it (the write
 * returns having written only part), take some bytes, again, then read
 * to the end of the stream. */
static void *drainer_main(void *arg)
{
    drainer *d = arg;
    for (int i = 0; i < 4 && !atomic_load(&d->s.done); i++) {
        if (!wait_until(has_queued, &d->s, &d->s.done))
            break;
        d->interrupts += interrupt(&d->s, false);
        ssize_t r = read(d->s.fd, d->got + d->n, d->cap - d->n < 50000 ? d->cap - d->n : 50000);
        if (r <= 0)
            break;
        d->n += (size_t)r;
    }
    for (;;) {
        ssize_t r = read(d->s.fd, d->got + d->n, d->cap - d->n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        d->n += (size_t)r;
    }
    return NULL;
}

static void test_writes_cut_short_by_signals(void **state)
{
    (void)state;
    int sv[2];
    make_pair(sv);
    int small = 16384; /* a small socket buffer: a 1 MiB write sleeps until read */
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    unsigned char *msg = pattern(MIB, 5), *want = malloc(MSG_HEADER + MIB);
    size_t n = put_frame(want, msg, MIB);
    drainer d = {.s = {.tid = gettid(), .thread = pthread_self(), .fd = sv[0]}, .cap = n + 64};
    d.got = malloc(d.cap);
    failure[0] = 0;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, drainer_main, &d), 0);
    atomic_store(&d.s.inside, true);
    int rc = send_msg(sv[1], msg, MIB);
    atomic_store(&d.s.inside, false);
    atomic_store(&d.s.done, true);
    shutdown(sv[1], SHUT_WR);
    pthread_join(t, NULL);
    NOTE(rc == 0, "signals interrupted send_msg's write(): it returned %d, expected 0 (retry on EINTR)", rc);
    NOTE(d.n == n, "1 MiB sent while signals cut write() short: the reader got %zu bytes, expected %zu "
                   "(write() returns how many it wrote: write the rest)", d.n, n);
    NOTE(d.n != n || memcmp(d.got, want, n) == 0, "1 MiB sent with signals: the bytes differ from the frame");
    NOTE(d.interrupts == 4, "the test could not interrupt send_msg in write() (%d of 4 signals landed)",
         d.interrupts);
    close(sv[0]), close(sv[1]);
    free(msg), free(want), free(d.got);
    fail_if_noted();
}

/* ---- the ends of a stream ---- */

/* A stream holding `bytes`, then closed by the writer: recv_msg's status. */
static int recv_from(const void *bytes, size_t n, void *buf, size_t cap, size_t *len)
{
    int sv[2];
    make_pair(sv);
    assert_int_equal(mp_write_full(sv[1], bytes, n), 0);
    close(sv[1]);
    int rc = recv_msg(sv[0], buf, cap, len);
    close(sv[0]);
    return rc;
}

static void test_end_of_stream(void **state)
{
    (void)state;
    unsigned char buf[64], frame[64];
    size_t len = 77;
    assert_int_equal(recv_from("", 0, buf, sizeof buf, &len), MSG_EOF); /* nothing was sent */
    /* an empty message is a message, not the end */
    assert_int_equal(recv_from("\0\0\0\0", 4, buf, sizeof buf, &len), 0);
    assert_int_equal(len, 0);
    /* the writer stopped inside a header: a cut frame */
    assert_int_equal(recv_from("\x0a\0", 2, buf, sizeof buf, &len), -EBADMSG);
    size_t n = put_frame(frame, (const unsigned char *)"0123456789", 10);
    assert_int_equal(recv_from(frame, MSG_HEADER, buf, sizeof buf, &len), -EBADMSG); /* header, no message */
    assert_int_equal(recv_from(frame, n - 5, buf, sizeof buf, &len), -EBADMSG);      /* half the message */
    assert_int_equal(recv_from(frame, n, buf, sizeof buf, &len), 0);
    assert_int_equal(len, 10);
    assert_memory_equal(buf, "0123456789", 10);
}

static void test_longer_than_cap(void **state)
{
    (void)state;
    unsigned char frame[200], buf[64];
    unsigned char *msg = pattern(100, 3);
    size_t n = put_frame(frame, msg, 100), len = 77;
    memset(buf, 0xab, sizeof buf);
    assert_int_equal(recv_from(frame, n, buf, 10, &len), -EMSGSIZE);
    for (size_t i = 0; i < sizeof buf; i++)
        if (buf[i] != 0xab)
            fail_msg("a 100-byte message, cap 10: -EMSGSIZE, but buf[%zu] was written (nothing may be stored)", i);
    assert_int_equal(recv_from(frame, n, buf, 64, &len), -EMSGSIZE);
    /* a length no buffer here can hold, and no message after it */
    assert_int_equal(recv_from("\xff\xff\xff\xff", 4, buf, sizeof buf, &len), -EMSGSIZE);
    /* exactly cap bytes fit */
    n = put_frame(frame, msg, 64);
    assert_int_equal(recv_from(frame, n, buf, 64, &len), 0);
    assert_int_equal(len, 64);
    assert_memory_equal(buf, msg, 64);
    free(msg);
}

static void test_send_errors(void **state)
{
    (void)state;
    int sv[2];
    make_pair(sv);
    char byte = 0;
    /* too long for a 4-byte length: refused, and nothing written (buf is not read) */
    assert_int_equal(send_msg(sv[1], &byte, (size_t)MSG_MAX + 1), -EMSGSIZE);
    assert_int_equal(queued(sv[0]), 0);
    close(sv[0]); /* the reader is gone */
    assert_int_equal(send_msg(sv[1], "hello", 5), -EPIPE);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_format),
        cmocka_unit_test(test_sizes_in_small_chunks),
        cmocka_unit_test(test_reads_interrupted_by_signals),
        cmocka_unit_test(test_writes_cut_short_by_signals),
        cmocka_unit_test(test_end_of_stream),
        cmocka_unit_test(test_longer_than_cap),
        cmocka_unit_test(test_send_errors),
    };
    return cmocka_run_group_tests_name("07 ex1-framing", tests, setup, NULL);
}
