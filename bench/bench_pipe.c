/* The kit's connections (mp_pipe) against bare loops on the same kind of
 * descriptor.
 *  - Throughput of a one-way connection (a pipe): a forked child sends N
 *    messages of 64 B, 4 KiB and 1 MiB, the parent receives them, against
 *    a child that write()s them whole on a pipe and a parent that read()s
 *    them whole. Printed as raw time / kit time (the kit's share of bare
 *    throughput); targets: >= 0.9 for 4 KiB and up, >= 0.7 for 64 B (a
 *    frame header and its check on every small message).
 *  - Round trip: 64 B ping-pong with an echoing child. Target: at most
 *    1.2x, like for like: two one-way connections against two bare pipes,
 *    a duplex connection (a socketpair) against a bare socketpair, the bare
 *    side framed as the kit is. A third line, without a target, shows what
 *    a socket's longer wake-up path costs: duplex against two pipes.
 * Kit and bare are interleaved and the medians compared (bench.h). */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

typedef struct job {
    size_t size;
    int count;
} job;

static void die(const char *what)
{
    fprintf(stderr, "bench_pipe: %s failed\n", what);
    exit(1);
}

/* The bare side's whole write and read: plain write(2) and read(2) loops.
 * (mp_write_full tries send() first, for its MSG_NOSIGNAL: one system call
 * more per message on a pipe, which a bare program would not pay.) */
static int bare_write(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t put = write(fd, p, n);
        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0)
            return -errno;
        p += put;
        n -= (size_t)put;
    }
    return 0;
}

static int bare_read(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n > 0) {
        ssize_t got = read(fd, p, n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return got == 0 ? -EPIPE : -errno;
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

/* ---- throughput ---- */

static int kit_writer(void *arg)
{
    job *j = arg;
    mp_conn w;
    if (mp_conn_from_fd(&w, mp_child_fd(0), MP_CONN_SEND) != 0)
        return 1;
    char *buf = calloc(1, j->size);
    for (int i = 0; i <= j->count; i++) /* one more: the first starts the clock */
        if (mp_conn_send(&w, buf, j->size) != 0)
            return 2;
    free(buf);
    return 0;
}

static int raw_writer(void *arg)
{
    job *j = arg;
    int fd = mp_child_fd(0);
    char *buf = calloc(1, j->size);
    for (int i = 0; i <= j->count; i++)
        if (bare_write(fd, buf, j->size) != 0)
            return 2;
    free(buf);
    return 0;
}

static void start_child(mp_process *p, mp_target fn, job *j, int fd)
{
    mp_process_init(p, "writer", fn, j);
    if (mp_process_pass_fd(p, fd) < 0 || mp_process_start(p) != 0)
        die("start");
}

static void join_child(mp_process *p)
{
    if (mp_process_join(p, MP_FOREVER) != 0 || p->exitcode != 0)
        die("writer");
}

/* ns per message */
static double kit_throughput(job *j, char *buf)
{
    mp_conn r, w;
    if (mp_pipe(&r, &w, false) != 0)
        die("mp_pipe");
    mp_process p;
    start_child(&p, kit_writer, j, w.fd);
    mp_conn_close(&w);
    size_t len;
    if (mp_conn_recv(&r, buf, j->size, &len) != 0)
        die("recv");
    uint64_t t0 = mp_now_ns();
    for (int i = 0; i < j->count; i++)
        if (mp_conn_recv(&r, buf, j->size, &len) != 0 || len != j->size)
            die("recv");
    double ns = (double)(mp_now_ns() - t0) / j->count;
    mp_conn_close(&r);
    join_child(&p);
    return ns;
}

static double raw_throughput(job *j, char *buf)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        die("pipe2");
    mp_process p;
    start_child(&p, raw_writer, j, fds[1]);
    close(fds[1]);
    if (bare_read(fds[0], buf, j->size) != 0)
        die("read");
    uint64_t t0 = mp_now_ns();
    for (int i = 0; i < j->count; i++)
        if (bare_read(fds[0], buf, j->size) != 0)
            die("read");
    double ns = (double)(mp_now_ns() - t0) / j->count;
    close(fds[0]);
    join_child(&p);
    return ns;
}

static void throughput(const char *what, size_t size, int count, double target)
{
    job j = {size, count};
    char *buf = malloc(size);
    double k[BENCH_REPEATS], r[BENCH_REPEATS];
    kit_throughput(&j, buf), raw_throughput(&j, buf); /* warm up */
    for (int i = 0; i < BENCH_REPEATS; i++) {
        k[i] = kit_throughput(&j, buf);
        r[i] = raw_throughput(&j, buf);
    }
    free(buf);
    mp_stats ks, rs;
    mp_stats_of(k, BENCH_REPEATS, &ks);
    mp_stats_of(r, BENCH_REPEATS, &rs);
    double ratio = rs.median / ks.median; /* kit throughput / raw throughput */
    printf("%-34s kit %9.3f us  raw %9.3f us  throughput ratio %.2f  (target >= %.1f: %s)\n", what,
           ks.median / 1e3, rs.median / 1e3, ratio, target, ratio >= target ? "met" : "MISSED");
}

/* ---- round trip ---- */

/* The bare side is framed as the kit is: a 16-byte header and the 64-byte
 * message, written in one call and read whole (the same bytes and, in the
 * common case, the same one write and one read per message). */
#define MSG 64
#define FRAME (16 + MSG)

static int kit_echo(void *arg)
{
    (void)arg;
    /* one descriptor: a duplex end; two: a receiving and a sending pipe */
    mp_conn in, out, *o = &in;
    bool two = mp_child_fd(1) >= 0;
    if (mp_conn_from_fd(&in, mp_child_fd(0), two ? MP_CONN_RECV : MP_CONN_RECV | MP_CONN_SEND) != 0)
        return 1;
    if (two && mp_conn_from_fd(o = &out, mp_child_fd(1), MP_CONN_SEND) != 0)
        return 1;
    char buf[MSG];
    size_t len;
    while (mp_conn_recv(&in, buf, sizeof buf, &len) == 0)
        if (mp_conn_send(o, buf, len) != 0)
            return 2;
    return 0;
}

static int raw_echo(void *arg)
{
    (void)arg;
    int in = mp_child_fd(0), out = mp_child_fd(1) >= 0 ? mp_child_fd(1) : in;
    char buf[FRAME];
    while (bare_read(in, buf, sizeof buf) == 0)
        if (bare_write(out, buf, sizeof buf) != 0)
            return 2;
    return 0;
}

typedef struct pingpong {
    mp_conn *to_kit, *from_kit;
    int to, from; /* bare descriptors */
} pingpong;

static void kit_round(void *arg)
{
    pingpong *pp = arg;
    char buf[MSG] = "ping";
    size_t len;
    if (mp_conn_send(pp->to_kit, buf, sizeof buf) != 0 || mp_conn_recv(pp->from_kit, buf, sizeof buf, &len) != 0)
        die("kit round trip");
}

static void raw_round(void *arg)
{
    pingpong *pp = arg;
    char buf[FRAME] = "header..........ping";
    if (bare_write(pp->to, buf, sizeof buf) != 0 || bare_read(pp->from, buf, sizeof buf) != 0)
        die("raw round trip");
}

/* An echoing child on the given descriptors (1 or 2); ours are closed. */
static void start_echo(mp_process *p, mp_target fn, int fd0, int fd1)
{
    mp_process_init(p, "echo", fn, NULL);
    if (mp_process_pass_fd(p, fd0) < 0 || (fd1 >= 0 && mp_process_pass_fd(p, fd1) < 0) || mp_process_start(p) != 0)
        die("start");
    close(fd0);
    if (fd1 >= 0)
        close(fd1);
}

static void round_trip(void)
{
    /* the kit: two one-way connections (pipes), and one duplex (a socketpair) */
    mp_conn to_r, to_w, from_r, from_w, duplex, duplex_child;
    if (mp_pipe(&to_r, &to_w, false) != 0 || mp_pipe(&from_r, &from_w, false) != 0 ||
        mp_pipe(&duplex, &duplex_child, true) != 0)
        die("mp_pipe");
    mp_process kit2, kit1, raw2, raw1;
    start_echo(&kit2, kit_echo, to_r.fd, from_w.fd);
    start_echo(&kit1, kit_echo, duplex_child.fd, -1);
    /* the bare side: two pipes, and a socketpair */
    int to[2], from[2], sv[2];
    if (pipe2(to, O_CLOEXEC) != 0 || pipe2(from, O_CLOEXEC) != 0)
        die("pipe2");
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        die("socketpair");
    start_echo(&raw2, raw_echo, to[0], from[1]);
    start_echo(&raw1, raw_echo, sv[1], -1);

    pingpong pipes = {&to_w, &from_r, to[1], from[0]};
    bench_compare("round trip 64 B one-way x2 vs 2 pipes", kit_round, raw_round, &pipes, 2000, 1.2);
    pingpong sock = {&duplex, &duplex, sv[0], sv[0]};
    bench_compare("round trip 64 B duplex vs socketpair", kit_round, raw_round, &sock, 2000, 1.2);
    /* what a socket costs against pipes: no target, the kind is the
     * caller's choice (Python's duplex Pipe is a socketpair too) */
    pingpong mixed = {&duplex, &duplex, to[1], from[0]};
    bench_compare("round trip 64 B duplex vs 2 pipes", kit_round, raw_round, &mixed, 2000, 0);

    close(to[1]);
    close(from[0]);
    close(sv[0]);
    mp_conn_close(&to_w);
    mp_conn_close(&from_r);
    mp_conn_close(&duplex);
    join_child(&kit2);
    join_child(&kit1);
    join_child(&raw2);
    join_child(&raw1);
}

int main(void)
{
    throughput("one-way 64 B vs pipe(2)", 64, 200000, 0.7);
    throughput("one-way 4 KiB vs pipe(2)", 4096, 20000, 0.9);
    throughput("one-way 1 MiB vs pipe(2)", 1u << 20, 100, 0.9);
    round_trip();
    return 0; /* a missed target is reported, never a failure: speed lives in benchmarks */
}
