/* Lesson 13, part 3 -- point to point: ping-pong between two ranks, and
 * the same between two processes through the kit's pipe and queue.
 *
 * One side sends a message, the other sends back what it got, many times;
 * half a round trip is the one-way time (latency, for small messages) and
 * bytes / one-way time the bandwidth (for large ones). On one machine MPICH
 * moves messages through shared memory too, as the kit's queue does; the
 * kit's pipe goes through the kernel (a socketpair: lesson 07).
 *
 * MPI: ranks 0 and 1 of one launch (mpi/pingpong.c). The kit: this process
 * and an echo child started with --start's method, first over a duplex
 * pipe (mp_pipe: Python's Pipe()), then over two queues (mp_queue: one
 * each way). The same sizes, rounds and untimed first round per size.
 *
 * The payload must arrive intact: every message is a pattern of its size
 * and repeat; for MPI, rank 1 checks every byte of the first and the last
 * message it got and rank 0 the last echo; for the kit, this process checks
 * every byte of the first and the last echo. */
#include <math.h>

#include "lesson13.h"

const char *const pp_names[NPP] = {"mpi", "pipe", "queue"};
static const long sizes[] = {64, 1024, 16384, 262144, 4194304}, quick_sizes[] = {64, 4096, 262144, 4194304};
#define TIMEOUT_S 30.0
#define MAX_REPEAT 64

static unsigned char pattern(long i, long bytes, long rep)
{
    return (unsigned char)(i * 131 + bytes * 7 + rep * 29 + 1); /* as mpi/pingpong.c's */
}

static bool intact(const unsigned char *b, long bytes, long rep)
{
    for (long i = 0; i < bytes; i++)
        if (b[i] != pattern(i, bytes, rep))
            return false;
    return true;
}

/* ---- the echo children: send back what comes, until a message of 0 bytes ---- */

int echo_pipe(void *arg)
{
    size_t cap = *(const size_t *)arg;
    mp_conn c;
    CHECK(mp_conn_from_fd(&c, mp_child_fd(0), MP_CONN_SEND | MP_CONN_RECV));
    unsigned char *buf = malloc(cap);
    if (!buf)
        return 1;
    for (size_t len;;) {
        CHECK(mp_conn_recv(&c, buf, cap, &len));
        if (len == 0)
            break;
        CHECK(mp_conn_send(&c, buf, len));
    }
    free(buf);
    mp_conn_close(&c);
    return 0;
}

int echo_queue(void *arg)
{
    size_t cap = *(const size_t *)arg;
    mp_queue in, out;
    CHECK(mp_queue_attach(&in, mp_child_fd(0)));
    CHECK(mp_queue_attach(&out, mp_child_fd(1)));
    unsigned char *buf = malloc(cap);
    if (!buf)
        return 1;
    for (size_t len;;) {
        CHECK(mp_queue_get(&in, buf, cap, &len, TIMEOUT_S));
        if (len == 0)
            break;
        CHECK(mp_queue_put(&out, buf, len, TIMEOUT_S));
    }
    free(buf);
    mp_queue_detach(&in);
    mp_queue_detach(&out);
    return 0;
}

/* ---- the kit's side: this process pings, the echo child pongs ---- */

typedef struct kit_link {
    int kind;              /* PP_PIPE or PP_QUEUE */
    mp_process child;
    mp_conn conn;          /* PP_PIPE: our end */
    mp_queue to, from;     /* PP_QUEUE */
} kit_link;

static void link_open(kit_link *k, int kind, size_t cap)
{
    memset(k, 0, sizeof *k);
    k->kind = kind;
    if (kind == PP_PIPE) {
        mp_conn theirs;
        CHECK(mp_pipe(&k->conn, &theirs, true));
        int fd = theirs.fd;
        mp_lesson_child(&k->child, "echo-pipe", echo_pipe, &cap, sizeof cap, &fd, 1);
        mp_conn_close(&theirs);
    } else {
        CHECK(mp_queue_create(&k->to, 1, cap, false));
        CHECK(mp_queue_create(&k->from, 1, cap, false));
        int fds[2] = {mp_queue_fd(&k->to), mp_queue_fd(&k->from)};
        mp_lesson_child(&k->child, "echo-queue", echo_queue, &cap, sizeof cap, fds, 2);
    }
}

static void link_round(kit_link *k, const unsigned char *out, unsigned char *in, size_t len)
{
    size_t got = 0;
    if (k->kind == PP_PIPE) {
        CHECK(mp_conn_send(&k->conn, out, len));
        CHECK(mp_conn_recv(&k->conn, in, len ? len : 1, &got));
    } else {
        CHECK(mp_queue_put(&k->to, out, len, TIMEOUT_S));
        int rc = mp_queue_get(&k->from, in, mp_queue_item_max(&k->from), &got, TIMEOUT_S);
        if (rc == MP_QUEUE_EMPTY) {
            mp_error("part 3: the echo child (pid %d) sent nothing back within %.0f s", (int)k->child.pid, TIMEOUT_S);
            mp_lesson_abort();
        }
        CHECK(rc);
    }
    if (got != len) {
        mp_error("part 3: %zu bytes came back through the %s, %zu were sent", got, pp_names[k->kind], len);
        mp_lesson_abort();
    }
}

/* The first trips through a new link fault in the pages of its queues'
 * slots and of the echo child's buffer: at 4 MiB, tens of ms each (a
 * queue's ring has more than one slot). A few untimed round trips of the
 * largest size first, so that no timed round pays for that. */
static void link_warm_up(kit_link *k, unsigned char *out, unsigned char *in, size_t most)
{
    memset(out, 0, most);
    for (int i = 0; i < 4; i++)
        link_round(k, out, in, most);
}

static void link_close(kit_link *k)
{
    if (k->kind == PP_PIPE) {
        CHECK(mp_conn_send(&k->conn, "", 0)); /* the end */
        mp_lesson_join(&k->child, TIMEOUT_S);
        mp_conn_close(&k->conn);
    } else {
        CHECK(mp_queue_put(&k->to, "", 0, TIMEOUT_S));
        mp_lesson_join(&k->child, TIMEOUT_S);
        mp_queue_detach(&k->to);
        mp_queue_detach(&k->from);
    }
}

/* One size, one repeat: the untimed round, the timed rounds (as many as
 * fit in limit_s, at most `rounds`); the one-way seconds; *ok false if an
 * echo came back changed. */
static double kit_rounds(kit_link *k, size_t bytes, long rounds, double limit_s, long rep, unsigned char *out,
                         unsigned char *in, bool *ok)
{
    for (size_t i = 0; i < bytes; i++)
        out[i] = pattern((long)i, (long)bytes, rep);
    memset(in, 0, bytes);
    link_round(k, out, in, bytes);
    *ok = *ok && intact(in, (long)bytes, rep);
    memset(in, 0, bytes);
    uint64_t t0 = mp_now_ns(), t = t0, limit = (uint64_t)(limit_s * 1e9);
    long r = 0;
    for (; r < rounds && t - t0 < limit; r++, t = mp_now_ns())
        link_round(k, out, in, bytes);
    double one_way = mp_ns_to_s(t - t0) / (double)r / 2;
    *ok = *ok && intact(in, (long)bytes, rep);
    return one_way;
}

static void measure_kit(const mp_lesson *L, pingpong_result *R, double t[NPP][SIZES_MAX][MAX_REPEAT], int reps)
{
    long most = R->bytes[R->sizes - 1];
    unsigned char *out = malloc((size_t)most), *in = malloc((size_t)most);
    if (!out || !in) {
        mp_error("out of memory");
        mp_lesson_abort();
    }
    (void)L;
    kit_link k[NPP];
    for (int w = PP_PIPE; w < NPP; w++) {
        link_open(&k[w], w, (size_t)most);
        link_warm_up(&k[w], out, in, (size_t)most);
        R->intact[w] = true;
    }
    /* the transports take turns within each repeat */
    for (int r = 0; r < reps; r++)
        for (int s = 0; s < R->sizes; s++)
            for (int w = PP_PIPE; w < NPP; w++)
                t[w][s][r] = kit_rounds(&k[w], (size_t)R->bytes[s], R->rounds[s], R->limit_s, r, out, in, &R->intact[w]);
    for (int w = PP_PIPE; w < NPP; w++)
        link_close(&k[w]);
    free(out);
    free(in);
}

static void measure_mpi(const mp_lesson *L, pingpong_result *R, double t[NPP][SIZES_MAX][MAX_REPEAT], int reps)
{
    (void)L;
    char rep[16], limit[16], pairs[SIZES_MAX][48];
    snprintf(rep, sizeof rep, "%d", reps);
    snprintf(limit, sizeof limit, "%.0f", R->limit_s * 1e3);
    char *args[4 + SIZES_MAX] = {"pingpong", rep, limit};
    for (int s = 0; s < R->sizes; s++) {
        snprintf(pairs[s], sizeof pairs[s], "%ld:%ld", R->bytes[s], R->rounds[s]);
        args[3 + s] = pairs[s];
    }
    args[3 + R->sizes] = NULL;
    mpi_job job;
    mpi_start(&job, "part 3's ping-pong job", 2, NULL, args, TIMEOUT_S + 2 * R->limit_s * R->sizes * reps, false);
    int got = 0;
    bool done = false;
    R->intact[PP_MPI] = true;
    for (const char *line; (line = mpi_line(&job));) {
        long bytes, rounds;
        int r, ok;
        double one_way;
        if (sscanf(line, "pingpong %ld %ld %d %lf %d", &bytes, &rounds, &r, &one_way, &ok) == 5) {
            int s = 0;
            while (s < R->sizes && R->bytes[s] != bytes)
                s++;
            if (s == R->sizes || r < 0 || r >= reps || rounds < 1 || rounds > R->rounds[s])
                mpi_fail(&job, "an unexpected line: %s", line);
            t[PP_MPI][s][r] = one_way;
            R->intact[PP_MPI] = R->intact[PP_MPI] && ok == 1;
            got++;
        } else if (strcmp(line, "done pingpong") == 0)
            done = true;
    }
    mpi_finish(&job);
    if (!done || got != R->sizes * reps)
        mpi_fail(&job, "%d results of %d%s", got, R->sizes * reps, done ? "" : ", and no 'done'");
}

static void plot(const mp_lesson *L, const pingpong_result *R)
{
    mp_series lat[NPP], bw[NPP];
    for (int w = 0; w < NPP; w++) {
        lat[w] = (mp_series){.label = pp_names[w]};
        bw[w] = (mp_series){.label = pp_names[w]};
        for (int s = 0; s < R->sizes; s++) {
            const mp_stats *m = &R->one_way[w][s];
            double b = (double)R->bytes[s] / 1e9;
            mp_series_point(&lat[w], (double)R->bytes[s], m->median * 1e6, m->min * 1e6, m->max * 1e6);
            mp_series_point(&bw[w], (double)R->bytes[s], b / m->median, b / m->max, b / m->min);
        }
    }
    mp_lines_plot(L->o.out, "pingpong-latency", "lesson 13: one-way time, half a round trip (bars: min to max)", lat,
                  NPP, "message bytes", "microseconds (log scale)", MP_PLOT_LOGY | MP_PLOT_XCAT, L->o.no_plot);
    mp_lines_plot(L->o.out, "pingpong-bandwidth", "lesson 13: bandwidth, bytes over one-way time", bw, NPP,
                  "message bytes", "GB/s (log scale)", MP_PLOT_LOGY | MP_PLOT_XCAT, L->o.no_plot);
}

void part_pingpong(mp_lesson *L, pingpong_result *R)
{
    memset(R, 0, sizeof *R);
    mp_lesson_part(L, "3. Ping-pong between two ranks, and through the kit's pipe and queue");
    const long *sz = L->o.quick ? quick_sizes : sizes;
    R->sizes = L->o.quick ? (int)(sizeof quick_sizes / sizeof quick_sizes[0]) : (int)(sizeof sizes / sizeof sizes[0]);
    long budget = L->o.quick ? (8l << 20) : (64l << 20), most = L->o.quick ? 300 : 2000, least = L->o.quick ? 4 : 10;
    /* At most that many rounds, and no more than fit in limit_s: with fewer
     * CPUs free than sides, each message may wait for its turn on a CPU
     * (MPI's waits spin until their time slice ends), milliseconds a round. */
    R->limit_s = L->o.quick ? 0.03 : 0.1;
    for (int s = 0; s < R->sizes; s++) {
        R->bytes[s] = sz[s];
        long n = budget / sz[s];
        R->rounds[s] = n < least ? least : n > most ? most : n;
    }
    int reps = L->o.repeat < MAX_REPEAT ? L->o.repeat : MAX_REPEAT;
    static double t[NPP][SIZES_MAX][MAX_REPEAT];
    mp_say("MPI: ranks 0 and 1 of one launch; the kit: this process and an echo child (%s start), a duplex pipe, "
           "then two queues; %d repeat%s, %ld to %ld bytes", mp_start_names[L->o.start], reps, reps == 1 ? "" : "s",
           R->bytes[0], R->bytes[R->sizes - 1]);
    measure_mpi(L, R, t, reps);
    measure_kit(L, R, t, reps);
    for (int w = 0; w < NPP; w++)
        for (int s = 0; s < R->sizes; s++)
            mp_stats_of(t[w][s], (size_t)reps, &R->one_way[w][s]);

    mp_table tb;
    mp_table_header(&tb, "bytes|rounds at most|MPI us|pipe us|queue us|MPI GB/s|pipe GB/s|queue GB/s");
    for (int s = 0; s < R->sizes; s++) {
        double b = (double)R->bytes[s] / 1e9;
        mp_table_row(&tb, "%ld|%ld|%.2f|%.2f|%.2f|%.3f|%.3f|%.3f", R->bytes[s], R->rounds[s],
                     R->one_way[PP_MPI][s].median * 1e6, R->one_way[PP_PIPE][s].median * 1e6,
                     R->one_way[PP_QUEUE][s].median * 1e6, b / R->one_way[PP_MPI][s].median,
                     b / R->one_way[PP_PIPE][s].median, b / R->one_way[PP_QUEUE][s].median);
    }
    mp_say("(us: one way, half a round trip, the median of the repeats; GB/s: bytes over that; each size at most "
           "%.0f ms per way and repeat)", R->limit_s * 1e3);
    mp_say("payload intact, every byte of the checked messages: MPI %s, pipe %s, queue %s",
           R->intact[PP_MPI] ? "yes" : "NO", R->intact[PP_PIPE] ? "yes" : "NO", R->intact[PP_QUEUE] ? "yes" : "NO");
    for (int w = 0; w < NPP; w++)
        for (int s = 0; s < R->sizes; s++)
            CHECK(mp_csv_row(&mpi_csv, "pingpong-%s,2,%ld,0,%.9f,%.6g", pp_names[w], R->bytes[s],
                             R->one_way[w][s].median, (double)R->bytes[s] / 1e9 / R->one_way[w][s].median));
    plot(L, R);
}
