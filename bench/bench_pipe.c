/* The kit's connections (mp_pipe) against bare pipe(2) loops.
 *  - Throughput of a one-way connection: a forked child sends N messages of
 *    64 B, 4 KiB and 1 MiB, the parent receives them, against a child that
 *    write()s them whole on a pipe and a parent that read()s them whole.
 *    Printed as raw time / kit time (the kit's share of bare throughput);
 *    targets: >= 0.9 for 4 KiB and up, >= 0.7 for 64 B (a frame header
 *    and its check on every small message).
 *  - Round trip: 64 B ping-pong with an echoing child, on a duplex
 *    connection against two bare pipes. Target: at most 1.2x. A duplex
 *    connection is a socketpair (as Python's is), and a round trip on a
 *    bare socketpair already costs more than on two pipes here, so a second
 *    line compares against a bare socketpair: the frames' own cost.
 * Kit and bare are interleaved and the medians compared (bench.h). */
#define _GNU_SOURCE /* pipe2 */
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
        if (mp_write_full(fd, buf, j->size) != 0)
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
    if (mp_read_full(fds[0], buf, j->size) != 0)
        die("read");
    uint64_t t0 = mp_now_ns();
    for (int i = 0; i < j->count; i++)
        if (mp_read_full(fds[0], buf, j->size) != 0)
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

static int kit_echo(void *arg)
{
    (void)arg;
    mp_conn c;
    if (mp_conn_from_fd(&c, mp_child_fd(0), MP_CONN_RECV | MP_CONN_SEND) != 0)
        return 1;
    char buf[64];
    size_t len;
    while (mp_conn_recv(&c, buf, sizeof buf, &len) == 0)
        if (mp_conn_send(&c, buf, len) != 0)
            return 2;
    return 0;
}

static int raw_echo(void *arg)
{
    (void)arg;
    char buf[64];
    while (mp_read_full(mp_child_fd(0), buf, sizeof buf) == 0)
        if (mp_write_full(mp_child_fd(1) >= 0 ? mp_child_fd(1) : mp_child_fd(0), buf, sizeof buf) != 0)
            return 2;
    return 0;
}

typedef struct pingpong {
    mp_conn kit;
    int to, from; /* raw pipes */
} pingpong;

static void kit_round(void *arg)
{
    pingpong *pp = arg;
    char buf[64] = "ping";
    size_t len;
    if (mp_conn_send(&pp->kit, buf, sizeof buf) != 0 || mp_conn_recv(&pp->kit, buf, sizeof buf, &len) != 0)
        die("kit round trip");
}

static void raw_round(void *arg)
{
    pingpong *pp = arg;
    char buf[64] = "ping";
    if (mp_write_full(pp->to, buf, sizeof buf) != 0 || mp_read_full(pp->from, buf, sizeof buf) != 0)
        die("raw round trip");
}

static void round_trip(void)
{
    pingpong pp;
    mp_conn child_end;
    if (mp_pipe(&pp.kit, &child_end, true) != 0)
        die("mp_pipe");
    mp_process k, r;
    mp_process_init(&k, "echo", kit_echo, NULL);
    if (mp_process_pass_fd(&k, child_end.fd) < 0 || mp_process_start(&k) != 0)
        die("start");
    mp_conn_close(&child_end);
    int to[2], from[2];
    if (pipe2(to, O_CLOEXEC) != 0 || pipe2(from, O_CLOEXEC) != 0)
        die("pipe2");
    mp_process_init(&r, "echo", raw_echo, NULL);
    if (mp_process_pass_fd(&r, to[0]) < 0 || mp_process_pass_fd(&r, from[1]) < 0 || mp_process_start(&r) != 0)
        die("start");
    close(to[0]);
    close(from[1]);
    pp.to = to[1];
    pp.from = from[0];
    bench_compare("round trip 64 B vs 2 pipes", kit_round, raw_round, &pp, 2000, 1.2);
    close(pp.to);
    close(pp.from);
    join_child(&r);

    /* the same against a bare socketpair, which the duplex kind is (as in
     * Python): what the frames cost, apart from sockets against pipes */
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        die("socketpair");
    mp_process_init(&r, "echo", raw_echo, NULL);
    if (mp_process_pass_fd(&r, sv[1]) < 0 || mp_process_start(&r) != 0)
        die("start");
    close(sv[1]);
    pp.to = pp.from = sv[0];
    bench_compare("round trip 64 B vs socketpair", kit_round, raw_round, &pp, 2000, 1.2);
    close(sv[0]);
    join_child(&r);
    mp_conn_close(&pp.kit);
    join_child(&k);
}

int main(void)
{
    throughput("one-way 64 B vs pipe(2)", 64, 200000, 0.7);
    throughput("one-way 4 KiB vs pipe(2)", 4096, 20000, 0.9);
    throughput("one-way 1 MiB vs pipe(2)", 1u << 20, 100, 0.9);
    round_trip();
    return 0; /* a missed target is reported, never a failure: speed lives in benchmarks */
}
