/* Lesson 09, part 3 -- copy or share?
 *
 * Moving N bytes to another process, three ways, each ending with the
 * reader having looked at every byte (a checksum, sent back):
 *   pipe    the bytes go through a pipe (mp_conn, frames of up to 1 MiB,
 *           the first one with the command in front): copied into the
 *           kernel and out again;
 *   queue   through the kit's queue (items of up to 1 MiB): copied into
 *           shared memory and out again, no system call while it flows;
 *   shared  written once into a shared segment the reader already has
 *           mapped; only "it is there, N bytes" goes through the pipe.
 * T0: "sharing data is not necessarily faster" -- for a few bytes the
 * message saying the data is ready costs as much as the data itself; and
 * for many, the queue lets the reader work on the first items while the
 * writer still copies the next, where shared memory here is written whole,
 * then read whole. */
#include <math.h>
#include <stdlib.h>

#include "lesson09.h"

const char *const copy_methods[NWAYS] = {"pipe", "queue", "shared"};

#define CHUNK (1 << 20)
#define BATCH_BYTES (256 << 10) /* a timed run of small transfers moves at least this much */
typedef struct command { int method; uint64_t bytes; } command;

static uint64_t checksum(const uint64_t *w, size_t words, uint64_t sum)
{
    for (size_t i = 0; i < words; i++)
        sum += w[i];
    return sum;
}

int copy_reader(void *arg)
{
    (void)arg;
    mp_conn in, out;
    mp_queue q;
    mp_shm seg;
    CHECK(mp_conn_from_fd(&in, mp_child_fd(0), MP_CONN_RECV));
    CHECK(mp_conn_from_fd(&out, mp_child_fd(1), MP_CONN_SEND));
    CHECK(mp_queue_attach(&q, mp_child_fd(2)));
    CHECK(mp_shm_attach(&seg, mp_child_fd(3)));
    uint64_t *buf = malloc(CHUNK + sizeof(command));
    if (!buf)
        return 3;
    for (;;) {
        command c;
        size_t len;
        CHECK(mp_conn_recv(&in, buf, CHUNK + sizeof c, &len));
        memcpy(&c, buf, sizeof c);
        if (c.method < 0)
            break;
        uint64_t sum = 0, got = 0;
        if (c.method == X_SHARED)
            sum = checksum(seg.p, c.bytes / 8, 0); /* in place: no copy */
        else if (c.method == X_PIPE) { /* the first frame: the command, then bytes */
            got = len - sizeof c;
            sum = checksum(buf + sizeof c / 8, got / 8, 0);
        }
        if (c.method != X_SHARED)
            for (; got < c.bytes; got += len) {
                if (c.method == X_PIPE)
                    CHECK(mp_conn_recv(&in, buf, CHUNK, &len));
                else
                    CHECK(mp_queue_get(&q, buf, CHUNK, &len, 60));
                sum = checksum(buf, len / 8, sum);
            }
        CHECK(mp_conn_send(&out, &sum, sizeof sum));
    }
    free(buf);
    return 0;
}

typedef struct mover {
    mp_conn cmd, reply;
    mp_queue q;
    mp_shm seg;
    const unsigned char *src;
    unsigned char *frame; /* the pipe's first frame: the command, then up to CHUNK - 16 bytes */
} mover;

/* Send `bytes` by `method` and wait for the reader's checksum. Shared: the
 * bytes are written in place first, then one message says how many. */
static uint64_t move(mover *m, int method, size_t bytes)
{
    command c = {method, bytes};
    size_t off = 0;
    if (method == X_SHARED)
        memcpy(m->seg.p, m->src, bytes);
    if (method == X_PIPE) {
        off = bytes < CHUNK - sizeof c ? bytes : CHUNK - sizeof c;
        memcpy(m->frame, &c, sizeof c);
        memcpy(m->frame + sizeof c, m->src, off);
        CHECK(mp_conn_send(&m->cmd, m->frame, sizeof c + off));
    } else
        CHECK(mp_conn_send(&m->cmd, &c, sizeof c));
    for (; method != X_SHARED && off < bytes; off += CHUNK) {
        size_t n = bytes - off < CHUNK ? bytes - off : CHUNK;
        if (method == X_PIPE)
            CHECK(mp_conn_send(&m->cmd, m->src + off, n));
        else
            CHECK(mp_queue_put(&m->q, m->src + off, n, 60));
    }
    uint64_t sum;
    size_t len;
    CHECK(mp_conn_recv(&m->reply, &sum, sizeof sum, &len));
    return sum;
}

void part_copy(mp_lesson *L, copy_result *R)
{
    mp_lesson_part(L, "3. Copy or share: bytes through a pipe, a queue, or written into shared memory");
    static const size_t quick[] = {1 << 10, 64 << 10, 4 << 20};
    static const size_t full[] = {1 << 10, 16 << 10, 256 << 10, 4 << 20, 64 << 20, 256 << 20};
    const size_t *sizes = L->o.quick ? quick : full;
    *R = (copy_result){.sizes = L->o.quick ? 3 : 6, .all_right = true};
    size_t top = sizes[R->sizes - 1];
    mover m = {0};
    mp_conn cmd_r, reply_r;
    CHECK(mp_pipe(&cmd_r, &m.cmd, false));
    CHECK(mp_pipe(&m.reply, &reply_r, false));
    CHECK(mp_queue_create(&m.q, 8, CHUNK, false));
    CHECK(mp_shm_create(&m.seg, "mpkit-lesson09-copy", top));
    unsigned char *src = malloc(top);
    m.frame = malloc(CHUNK);
    if (!src || !m.frame)
        mp_lesson_abort();
    for (size_t i = 0; i < top; i++) /* every page touched, here and in the segment: no page fault is timed */
        src[i] = (unsigned char)(i * 131 + 7);
    memset(m.seg.p, 1, top);
    m.src = src;
    int fds[] = {cmd_r.fd, reply_r.fd, mp_queue_fd(&m.q), m.seg.fd};
    mp_process reader;
    mp_lesson_child(&reader, "reader", copy_reader, NULL, 0, fds, 4);
    mp_conn_close(&cmd_r); /* the reader's ends are the reader's */
    mp_conn_close(&reply_r);
    mp_say("a reader process (pid %d); up to %zu MiB per transfer, each way ending with a checksum of every byte",
           (int)reader.pid, top >> 20);
    /* the small transfers take microseconds, and one wake-up that comes
     * late doubles one: at least 3 runs each, even under --quick */
    int repeat = L->o.repeat < 3 ? 3 : L->o.repeat;
    double *s = calloc((size_t)(NWAYS * 5 * repeat), sizeof *s);
    if (!s)
        mp_lesson_abort();
    /* First transfers each way, not timed, of the largest size: every page
     * of the reader's buffer, of the queue's 8 slots and of both mappings of
     * the segment is touched once here. Otherwise the first run of each
     * size pays the page faults of memory nobody had touched yet (the queue
     * at 256 KiB: 30x slower for its first 8 runs, one per slot). */
    for (int w = 0; w < NWAYS; w++)
        for (size_t done = 0; done < (w == X_QUEUE ? 8 * (size_t)CHUNK : 1); done += top)
            (void)move(&m, w, top);
    mp_table t;
    mp_table_header(&t, "bytes|pipe ms|queue ms|shared ms|pipe GB/s|queue GB/s|shared GB/s");
    for (int k = 0; k < R->sizes; k++) {
        size_t n = sizes[k];
        R->bytes[k] = n;
        uint64_t want = checksum((const uint64_t *)src, n / 8, 0);
        /* the ways take turns within each repeat, so that a slow moment of
         * the machine does not fall on one of them only; small transfers
         * (microseconds, where one late wake-up doubles a run) get more
         * runs, and each run of them is a batch of transfers, one after the
         * other, at least 256 KiB in all: the time of one is the batch's
         * over its count (the wake-ups of a batch average out) */
        int runs = n <= (4 << 20) ? 5 * repeat : repeat;
        size_t batch = n < BATCH_BYTES ? BATCH_BYTES / n : 1;
        for (int r = 0; r < runs; r++)
            for (int w = 0; w < NWAYS; w++) {
                uint64_t t0 = mp_now_ns();
                for (size_t b = 0; b < batch; b++) {
                    uint64_t sum = move(&m, w, n);
                    R->all_right = R->all_right && sum == want;
                }
                s[w * 5 * repeat + r] = mp_ns_to_s(mp_now_ns() - t0) / (double)batch;
            }
        for (int w = 0; w < NWAYS; w++) {
            double *v = s + w * 5 * repeat;
            CHECK(mp_stats_of(v, (size_t)runs, &R->time[w][k]));
            if (runs >= 5) { /* many runs: their spread from the 10th to the 90th percentile, not one straggler */
                R->time[w][k].min = mp_quantile(v, (size_t)runs, 0.1);
                R->time[w][k].max = mp_quantile(v, (size_t)runs, 0.9);
            }
            CHECK(mp_csv_row(&copy_csv, "%s,%zu,%.7f,%.4f", copy_methods[w], n, R->time[w][k].median,
                             (double)n / R->time[w][k].median / 1e9));
        }
        const mp_stats *p = &R->time[X_PIPE][k], *q = &R->time[X_QUEUE][k], *sh = &R->time[X_SHARED][k];
        mp_table_row(&t, "%zu|%.3f|%.3f|%.3f|%.2f|%.2f|%.2f", n, p->median * 1e3, q->median * 1e3, sh->median * 1e3,
                     n / p->median / 1e9, n / q->median / 1e9, n / sh->median / 1e9);
    }
    free(s);
    command stop = {-1, 0};
    CHECK(mp_conn_send(&m.cmd, &stop, sizeof stop));
    CHECK(mp_lesson_join(&reader, 30));
    mp_say("every checksum matched: %s", R->all_right ? "yes" : "NO");

    /* copy-share.png: GB/s against bytes, log-log */
    char dat[PATH_MAX];
    CHECK(mp_out_path(dat, sizeof dat, L->o.out, "copy-share.dat"));
    FILE *f = mp_file_create(dat);
    if (f) {
        for (int w = 0; w < NWAYS; w++) {
            fprintf(f, "# %s\n", copy_methods[w]);
            for (int k = 0; k < R->sizes; k++) {
                const mp_stats *st = &R->time[w][k];
                double n = (double)R->bytes[k];
                fprintf(f, "%g %g %g %g\n", n, n / st->median / 1e9, n / st->max / 1e9, n / st->min / 1e9);
            }
            fprintf(f, "\n\n");
        }
        if (mp_file_close(f, dat) == 0)
            mp_plot("lines.gp", dat, L->o.out, "copy-share", "lesson 09: bytes to another process, copied or shared",
                    "nseries=3; titles='pipe queue shared'; xlabel='bytes (log)'; ylabel='GB/s (log)'; logy=1; "
                    "logx=1",
                    L->o.no_plot);
    }
    free(src);
    free(m.frame);
    mp_conn_close(&m.cmd);
    mp_conn_close(&m.reply);
    mp_queue_detach(&m.q);
    mp_shm_close(&m.seg);
}
