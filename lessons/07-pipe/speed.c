/* Lesson 07, part 5 -- what a message costs: the kit's pipe against the
 * bare system calls.
 *
 * Throughput: a sender process streams messages of one size, the parent
 * receives them; messages per second from the first to the last. Latency:
 * the parent sends a message and waits for the child to send it back (a
 * round trip), many times; the median and the 99th percentile.
 * Four transports, interleaved within each repeat so that a busy moment of
 * the machine hits them all alike:
 *   raw-pipe        write/read on pipe(2) (two pipes for a round trip)
 *   raw-socketpair  write/read on a Unix socketpair
 *   pipe            the kit's one-way connections (a pipe(2) underneath)
 *   pipe-duplex     the kit's duplex connection (a socketpair underneath)
 * The bare loops frame their messages too -- an 8-byte length, then the
 * bytes, read in full -- so they do the same work as the kit minus the
 * kit's own checks: the comparison is fair. CPython's numbers come from
 * cpython.c.
 */
#define _GNU_SOURCE /* pipe2: Linux */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "lesson07.h"

const char *const transport_names[NTRANSPORTS] = {"raw-pipe", "raw-socketpair", "pipe", "pipe-duplex",
                                                  "cpython-pipe"};
static const long speed_sizes[SPEED_SIZES] = {64, 4096, 65536, 1 << 20, 4 << 20};
static const long lat_sizes[LATENCY_SIZES] = {64, 4096, 65536};
#define MAX_REPEAT 32

long speed_count(const mp_lesson *L, long size)
{
    long budget = L->o.quick ? (4l << 20) : (32l << 20), most = L->o.quick ? 5000 : 40000;
    long n = budget / size;
    return n < 4 ? 4 : n > most ? most : n;
}

long latency_rounds(const mp_lesson *L, long size)
{
    long n = size <= 64 ? 3000 : size <= 4096 ? 2000 : 500;
    return L->o.quick ? n / 10 : n;
}

/* ---- the bare calls: an 8-byte length, then the bytes ---- */

static void raw_full(int fd, void *buf, size_t n, bool out)
{
    char *p = buf;
    while (n > 0) {
        ssize_t k = out ? write(fd, p, n) : read(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            mp_error("%s: %s", out ? "write" : "read", k == 0 ? "end of stream" : strerror(errno));
            mp_lesson_abort();
        }
        p += k, n -= (size_t)k;
    }
}

static void raw_send(int fd, const void *buf, size_t len)
{
    uint64_t h = len;
    struct iovec iov[2] = {{&h, sizeof h}, {(void *)buf, len}};
    ssize_t k;
    do
        k = writev(fd, iov, 2); /* one call for both, as the kit does */
    while (k < 0 && errno == EINTR);
    if (k < 0) {
        mp_syserr("writev", errno);
        mp_lesson_abort();
    }
    if ((size_t)k < sizeof h) { /* rare: the rest of the header, then the bytes */
        raw_full(fd, (char *)&h + k, sizeof h - (size_t)k, true);
        k = sizeof h;
    }
    raw_full(fd, (char *)buf + (k - (ssize_t)sizeof h), len - (size_t)(k - (ssize_t)sizeof h), true);
}

static size_t raw_recv(int fd, void *buf, size_t cap)
{
    uint64_t h;
    raw_full(fd, &h, sizeof h, false);
    if (h > cap) {
        mp_error("a bare message of %llu bytes: more than %zu", (unsigned long long)h, cap);
        mp_lesson_abort();
    }
    raw_full(fd, buf, (size_t)h, false);
    return (size_t)h;
}

/* One end of any transport: a bare descriptor or a kit connection. */
typedef struct end {
    bool kit;
    int fd;
    mp_conn c;
} end;

static void end_send(end *e, const void *buf, size_t len)
{
    if (e->kit)
        CHECK(mp_conn_send(&e->c, buf, len));
    else
        raw_send(e->fd, buf, len);
}

static size_t end_recv(end *e, void *buf, size_t cap)
{
    size_t len = 0;
    if (e->kit)
        CHECK(mp_conn_recv(&e->c, buf, cap, &len));
    else
        len = raw_recv(e->fd, buf, cap);
    return len;
}

static void end_close(end *e)
{
    if (e->kit)
        mp_conn_close(&e->c);
    else if (e->fd >= 0)
        close(e->fd);
    e->fd = -1;
}

static bool is_kit(int tr) { return tr == T_PIPE || tr == T_PIPE_DUPLEX; }

/* A channel from one side to the other: [0] receives, [1] sends. */
static void channel(int tr, end e[2])
{
    e[0] = e[1] = (end){.kit = is_kit(tr), .fd = -1};
    int fds[2];
    if (tr == T_RAW_PIPE) {
        if (pipe2(fds, O_CLOEXEC) != 0) {
            mp_syserr("pipe2", errno);
            mp_lesson_abort();
        }
    } else if (tr == T_RAW_SOCKETPAIR) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
            mp_syserr("socketpair", errno);
            mp_lesson_abort();
        }
    } else {
        CHECK(mp_pipe(&e[0].c, &e[1].c, tr == T_PIPE_DUPLEX));
        fds[0] = e[0].c.fd, fds[1] = e[1].c.fd;
    }
    e[0].fd = fds[0], e[1].fd = fds[1];
}

/* In a child: descriptor i as an end of this transport. */
static void child_end(end *e, int tr, int i, int flags)
{
    *e = (end){.kit = is_kit(tr), .fd = mp_child_fd(i)};
    if (e->kit)
        child_conn(&e->c, i, flags);
}

/* ---- the children ---- */

/* Streams a->count messages of a->size bytes after a 0-byte "ready". */
int stream_sender(void *arg)
{
    const child_args *a = arg;
    end w;
    child_end(&w, a->transport, 0, MP_CONN_SEND);
    unsigned char *m = calloc(1, (size_t)a->size);
    if (!m)
        return 1;
    end_send(&w, m, 0);
    for (long i = 0; i < a->count; i++)
        end_send(&w, m, (size_t)a->size);
    free(m);
    end_close(&w);
    return 0;
}

/* Sends back every message it receives, a->count times. Descriptor 0
 * receives; descriptor 1 sends, or 0 again for a two-way transport. */
int echo_child(void *arg)
{
    const child_args *a = arg;
    bool two_way = a->transport == T_RAW_SOCKETPAIR || a->transport == T_PIPE_DUPLEX;
    end in, out;
    child_end(&in, a->transport, 0, two_way ? MP_CONN_SEND | MP_CONN_RECV : MP_CONN_RECV);
    if (!two_way)
        child_end(&out, a->transport, 1, MP_CONN_SEND);
    unsigned char *m = malloc((size_t)a->size);
    if (!m)
        return 1;
    for (long i = 0; i < a->count; i++) {
        size_t len = end_recv(&in, m, (size_t)a->size);
        end_send(two_way ? &in : &out, m, len);
    }
    free(m);
    end_close(&in);
    if (!two_way)
        end_close(&out);
    return 0;
}

/* ---- the parent's side ---- */

static double stream_once(int tr, long size, long count, unsigned char *buf)
{
    end e[2];
    channel(tr, e);
    child_args a = {.transport = tr, .size = size, .count = count};
    mp_process p;
    start_child(&p, "sender", stream_sender, &a, &e[1].fd, 1);
    end_close(&e[1]);
    end_recv(&e[0], buf, (size_t)size); /* "ready": the clock starts */
    uint64_t t0 = mp_now_ns();
    long bytes = 0;
    for (long i = 0; i < count; i++)
        bytes += (long)end_recv(&e[0], buf, (size_t)size);
    double s = mp_ns_to_s(mp_now_ns() - t0);
    if (bytes != size * count) {
        mp_error("%s: %ld bytes arrived, %ld were sent", transport_names[tr], bytes, size * count);
        mp_lesson_abort();
    }
    end_close(&e[0]);
    mp_lesson_join(&p, 60);
    return (double)count / s;
}

/* Round trips: fills us[0..rounds) with each one's microseconds. The
 * parent sends on `to` and receives on `from` (one channel both ways for a
 * two-way transport). */
static void ping_pong(int tr, long size, long rounds, unsigned char *buf, double *us)
{
    bool two_way = tr == T_RAW_SOCKETPAIR || tr == T_PIPE_DUPLEX;
    end to[2], from[2];
    channel(tr, to);
    if (!two_way)
        channel(tr, from);
    child_args a = {.transport = tr, .size = size, .count = rounds};
    mp_process p;
    int fds[2] = {to[0].fd, two_way ? -1 : from[1].fd}; /* the child receives on to[0], sends on from[1] */
    start_child(&p, "echo", echo_child, &a, fds, two_way ? 1 : 2);
    end_close(&to[0]);
    if (!two_way)
        end_close(&from[1]);
    end *back = two_way ? &to[1] : &from[0];
    memset(buf, 'x', (size_t)size);
    for (long i = 0; i < rounds; i++) {
        uint64_t t = mp_now_ns();
        end_send(&to[1], buf, (size_t)size);
        end_recv(back, buf, (size_t)size);
        us[i] = (double)(mp_now_ns() - t) / 1e3;
    }
    end_close(&to[1]);
    if (!two_way)
        end_close(&from[0]);
    mp_lesson_join(&p, 60);
}

void part_speed(mp_lesson *L, speed_result *R)
{
    mp_lesson_part(L, "5. what a message costs: the kit against the bare calls");
    memcpy(R->sizes, speed_sizes, sizeof R->sizes);
    memcpy(R->lat_sizes, lat_sizes, sizeof R->lat_sizes);
    int reps = L->o.repeat < MAX_REPEAT ? L->o.repeat : MAX_REPEAT;
    unsigned char *buf = malloc((size_t)speed_sizes[SPEED_SIZES - 1]);
    double *rate = malloc(sizeof(double) * T_CPYTHON * SPEED_SIZES * MAX_REPEAT);
    if (!buf || !rate) {
        mp_error("out of memory");
        mp_lesson_abort();
    }
#define RATE(tr, s, k) rate[((tr) * SPEED_SIZES + (s)) * MAX_REPEAT + (k)]
    mp_say("throughput: %d repeats of every size through every transport, interleaved", reps);
    for (int k = 0; k < reps; k++)
        for (int s = 0; s < SPEED_SIZES; s++)
            for (int tr = 0; tr < T_CPYTHON; tr++)
                RATE(tr, s, k) = stream_once(tr, speed_sizes[s], speed_count(L, speed_sizes[s]), buf);
    for (int tr = 0; tr < T_CPYTHON; tr++) {
        R->have[tr] = true;
        for (int s = 0; s < SPEED_SIZES; s++)
            mp_stats_of(&RATE(tr, s, 0), (size_t)reps, &R->msgs_per_s[tr][s]);
    }
    mp_table t;
    mp_table_header(&t, "transport     |bytes  |messages/s|MB/s|min MB/s|max MB/s|of raw-pipe");
    for (int s = 0; s < SPEED_SIZES; s++)
        for (int tr = 0; tr < T_CPYTHON; tr++) {
            const mp_stats *m = &R->msgs_per_s[tr][s];
            double mb = (double)speed_sizes[s] / 1e6;
            mp_table_row(&t, "%s|%ld|%.0f|%.1f|%.1f|%.1f|%.2f", transport_names[tr], speed_sizes[s], m->median,
                         m->median * mb, m->min * mb, m->max * mb,
                         m->median / R->msgs_per_s[T_RAW_PIPE][s].median);
        }

    mp_say("round trips (ping-pong): %d repeats, interleaved", reps);
    mp_table_header(&t, "transport     |bytes  |median us|p99 us|spread");
    for (int s = 0; s < LATENCY_SIZES; s++) {
        long rounds = latency_rounds(L, lat_sizes[s]);
        double med[NTRANSPORTS][MAX_REPEAT];
        double *all[NTRANSPORTS];
        for (int tr = 0; tr < T_CPYTHON; tr++)
            all[tr] = malloc(sizeof(double) * (size_t)rounds * (size_t)reps);
        for (int k = 0; k < reps; k++)
            for (int tr = 0; tr < T_CPYTHON; tr++) {
                if (!all[tr]) {
                    mp_error("out of memory");
                    mp_lesson_abort();
                }
                ping_pong(tr, lat_sizes[s], rounds, buf, all[tr] + k * rounds);
                med[tr][k] = mp_quantile(all[tr] + k * rounds, (size_t)rounds, 0.5);
            }
        for (int tr = 0; tr < T_CPYTHON; tr++) {
            mp_stats st;
            mp_stats_of(med[tr], (size_t)reps, &st);
            R->lat_spread[tr][s] = mp_spread(&st);
            R->median_us[tr][s] = mp_quantile(all[tr], (size_t)(rounds * reps), 0.5);
            R->p99_us[tr][s] = mp_quantile(all[tr], (size_t)(rounds * reps), 0.99);
            mp_table_row(&t, "%s|%ld|%.1f|%.1f|%.0f%%", transport_names[tr], lat_sizes[s], R->median_us[tr][s],
                         R->p99_us[tr][s], 100 * R->lat_spread[tr][s]);
            free(all[tr]);
        }
    }
#undef RATE
    free(rate);
    free(buf);
}

void speed_write(mp_lesson *L, const speed_result *R)
{
    mp_csv c;
    CHECK(mp_csv_open(&c, L->o.out, "pipe.csv", "transport,msg_bytes,msgs_per_s,mb_per_s"));
    for (int tr = 0; tr < NTRANSPORTS; tr++)
        for (int s = 0; s < SPEED_SIZES && R->have[tr]; s++)
            CHECK(mp_csv_row(&c, "%s,%ld,%.1f,%.3f", transport_names[tr], R->sizes[s], R->msgs_per_s[tr][s].median,
                       R->msgs_per_s[tr][s].median * (double)R->sizes[s] / 1e6));
    mp_csv_close(&c);
    CHECK(mp_csv_open(&c, L->o.out, "latency.csv", "transport,msg_bytes,median_us,p99_us"));
    for (int tr = 0; tr < NTRANSPORTS; tr++)
        for (int s = 0; s < LATENCY_SIZES && R->have[tr]; s++)
            CHECK(mp_csv_row(&c, "%s,%ld,%.2f,%.2f", transport_names[tr], R->lat_sizes[s], R->median_us[tr][s],
                       R->p99_us[tr][s]));
    mp_csv_close(&c);

    mp_series tput[NTRANSPORTS], lat[NTRANSPORTS];
    int n = 0;
    for (int tr = 0; tr < NTRANSPORTS; tr++) {
        if (!R->have[tr])
            continue;
        tput[n] = (mp_series){.label = transport_names[tr]};
        lat[n] = (mp_series){.label = transport_names[tr]};
        for (int s = 0; s < SPEED_SIZES; s++) {
            const mp_stats *m = &R->msgs_per_s[tr][s];
            double mb = (double)R->sizes[s] / 1e6;
            mp_series_point(&tput[n], (double)R->sizes[s] / 1024, m->median * mb, m->min * mb, m->max * mb);
        }
        for (int s = 0; s < LATENCY_SIZES; s++)
            mp_series_point(&lat[n], (double)R->lat_sizes[s] / 1024, R->median_us[tr][s], R->median_us[tr][s],
                            R->p99_us[tr][s]);
        n++;
    }
    /* sizes grow by factors (64 B .. 4 MiB), so evenly spaced sizes and a
     * log y axis make a log-log plot */
    mp_lines_plot(L->o.out, "pipe-throughput", "lesson 07: MB/s against message size (bars: min to max)", tput, n,
                  "message KiB", "MB/s (log scale)", MP_PLOT_LOGY | MP_PLOT_XCAT, L->o.no_plot);
    mp_lines_plot(L->o.out, "pipe-latency", "lesson 07: round trip, median (bars: up to the 99th percentile)", lat,
                  n, "message KiB", "microseconds (log scale)", MP_PLOT_LOGY | MP_PLOT_XCAT, L->o.no_plot);
}
