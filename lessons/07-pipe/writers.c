/* Lesson 07, part 3 -- two writers on one end.
 *
 * T0 says both ends "can be given to several processes". For small messages
 * that works: the kernel writes up to PIPE_BUF (4096) bytes to a pipe in one
 * piece. A bigger message does not fit in the pipe at once (64 KiB here), so
 * its write is done in pieces, and another writer's pieces can land in
 * between. The reader then takes a message with someone else's bytes inside
 * it -- the frame's header cannot know -- and, a little later, reads a
 * "header" from the middle of a message: a corrupted stream (-EBADMSG).
 * Every message here says who wrote it and is filled with a byte pattern of
 * its own, so the reader can tell a whole message from a mixed one.
 * Then the two fixes, measured: a connection per writer, and a lock (a
 * process-shared mutex in shared memory) around each send.
 */
#include <pthread.h>

#include "lesson07.h"

#define MSG_BYTES (256 * 1024)
#define PER_WRITER 16

typedef struct stamp { int32_t id, seq; } stamp;

static unsigned char fill_of(int id, int seq) { return (unsigned char)(0x41 + id * 37 + seq * 11); }

/* The message's own check: its stamp, its length, every byte its pattern. */
static bool intact(const unsigned char *m, size_t len, int *id, int *seq)
{
    if (len != MSG_BYTES)
        return false;
    stamp s;
    memcpy(&s, m, sizeof s);
    if (s.id < 0 || s.id > 1 || s.seq < 0 || s.seq >= PER_WRITER)
        return false;
    unsigned char f = fill_of(s.id, s.seq);
    for (size_t i = sizeof s; i < len; i++)
        if (m[i] != f)
            return false;
    *id = s.id, *seq = s.seq;
    return true;
}

/* Writer `id`: PER_WRITER messages on descriptor 0, under the lock in the
 * segment at descriptor 1 if a->locked. A reader that hung up (it saw a
 * corrupted stream) ends the run: -EPIPE is expected here. */
int pattern_writer(void *arg)
{
    const child_args *a = arg;
    mp_conn w;
    child_conn(&w, 0, MP_CONN_SEND);
    mp_shm lock_shm;
    pthread_mutex_t *lock = NULL;
    if (a->locked) {
        CHECK(mp_shm_attach(&lock_shm, mp_child_fd(1)));
        lock = lock_shm.p;
    }
    unsigned char *m = malloc(MSG_BYTES);
    if (!m)
        return 1;
    for (int seq = 0; seq < PER_WRITER; seq++) {
        stamp s = {a->id, seq};
        memset(m, fill_of(a->id, seq), MSG_BYTES);
        memcpy(m, &s, sizeof s);
        if (lock)
            pthread_mutex_lock(lock);
        int rc = mp_conn_send(&w, m, MSG_BYTES);
        if (lock)
            pthread_mutex_unlock(lock);
        if (rc == -EPIPE)
            break;
        CHECK(rc);
    }
    free(m);
    return 0;
}

typedef struct tally { long intact, mixed, broken; int next_seq[2]; } tally;

/* Receive until EOF or a corrupted stream, checking every message. */
static void drain(mp_conn *r, unsigned char *buf, tally *t)
{
    for (;;) {
        size_t len = 0;
        int rc = mp_conn_recv(r, buf, MSG_BYTES, &len);
        if (rc == MP_CONN_EOF)
            return;
        if (rc == -EBADMSG || rc == -EMSGSIZE) { /* a "header" read from inside a message */
            t->broken++;
            return; /* the kit closed the connection: the rest is unreadable */
        }
        CHECK(rc);
        int id, seq;
        if (intact(buf, len, &id, &seq) && seq == t->next_seq[id]) {
            t->intact++;
            t->next_seq[id]++;
        } else {
            t->mixed++;
        }
    }
}

enum { SHARED_END, END_PER_WRITER, LOCKED };

/* One run: two writers, in one of the three setups. Returns seconds. */
static double run(int setup, tally *t, int lock_fd)
{
    *t = (tally){0};
    mp_conn r[2], w[2];
    int ends = setup == END_PER_WRITER ? 2 : 1;
    for (int i = 0; i < ends; i++)
        CHECK(mp_pipe(&r[i], &w[i], false));
    unsigned char *buf = malloc(MSG_BYTES);
    if (!buf) {
        mp_error("out of memory");
        mp_lesson_abort();
    }
    uint64_t t0 = mp_now_ns();
    mp_process p[2];
    for (int id = 0; id < 2; id++) {
        child_args a = {.id = id, .locked = setup == LOCKED};
        int fds[2] = {w[setup == END_PER_WRITER ? id : 0].fd, lock_fd};
        start_child(&p[id], id ? "writer-1" : "writer-0", pattern_writer, &a, fds, setup == LOCKED ? 2 : 1);
    }
    for (int i = 0; i < ends; i++)
        mp_conn_close(&w[i]); /* part 2's lesson: the writers hold the only copies */
    for (int i = 0; i < ends; i++) {
        drain(&r[i], buf, t);
        mp_conn_close(&r[i]); /* a writer still sending gets -EPIPE, never blocks */
    }
    double s = mp_ns_to_s(mp_now_ns() - t0);
    for (int id = 0; id < 2; id++)
        mp_lesson_join(&p[id], 30);
    free(buf);
    return s;
}

void part_writers(mp_lesson *L, writers_result *R)
{
    mp_lesson_part(L, "3. two writers on one end, messages of 256 KiB (PIPE_BUF is %d)", (int)PIPE_BUF);
    R->rounds = L->o.quick ? 3 : 5;
    R->expected = 2 * PER_WRITER;
    tally t;
    mp_say("each round: 2 writer processes send %d messages of %d KiB each on the same write end", PER_WRITER,
           MSG_BYTES / 1024);
    for (int i = 0; i < R->rounds; i++) {
        run(SHARED_END, &t, -1);
        bool bad = t.mixed || t.broken || t.intact != R->expected;
        R->corrupted_rounds += bad;
        R->intact += t.intact, R->mixed += t.mixed, R->broken += t.broken;
        mp_say("round %d: %ld of %ld messages whole, %ld returned with the other writer's bytes inside, %s", i + 1,
               t.intact, R->expected, t.mixed, t.broken ? "then a corrupted stream (-EBADMSG)" : "no broken header");
    }

    mp_shm lock_shm;
    CHECK(mp_shm_create(&lock_shm, "mpkit-lesson07-lock", sizeof(pthread_mutex_t)));
    pthread_mutexattr_t at;
    pthread_mutexattr_init(&at);
    pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED); /* it lives in memory two processes share */
    pthread_mutex_init(lock_shm.p, &at);
    pthread_mutexattr_destroy(&at);
    static const char *const fix_names[2] = {"a connection per writer", "a lock around send"};
    mp_table tab;
    mp_table_header(&tab, "fix                    |whole|bad|MB/s median|min|max");
    for (int f = 0; f < 2; f++) {
        double mbs[16];
        int n = L->o.repeat < 16 ? L->o.repeat : 16;
        for (int k = 0; k < n; k++) {
            double s = run(f == 0 ? END_PER_WRITER : LOCKED, &t, lock_shm.fd);
            mbs[k] = (double)t.intact * MSG_BYTES / s / 1e6;
            R->fixed_intact[f] += t.intact;
            R->fixed_bad[f] += (R->expected - t.intact) + t.broken; /* every message not whole, and any break */
        }
        mp_stats st;
        mp_stats_of(mbs, (size_t)n, &st);
        R->fixed_mb_s[f] = st.median;
        mp_table_row(&tab, "%s|%ld|%ld|%.0f|%.0f|%.0f", fix_names[f], R->fixed_intact[f], R->fixed_bad[f], st.median,
                     st.min, st.max);
    }
    pthread_mutex_destroy(lock_shm.p);
    mp_shm_close(&lock_shm);
}
