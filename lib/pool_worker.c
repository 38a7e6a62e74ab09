/* pool_worker: the loop a pool's worker process runs (Python's
 * multiprocessing.pool.worker).
 *
 * It receives messages of chunks from the manager on its connection (child
 * descriptor 0), runs each chunk's tasks in order, and sends the results
 * back in batches: after a batch has gathered for 0.2 ms, and always before
 * it waits for the next message, so a slow task's result is never held back
 * and tiny tasks cost one message per batch, not one per task. Before it
 * starts a chunk it writes the chunk's number into its word of the shared
 * segment (child descriptor 1): if it dies, the manager knows which chunks
 * it had started. Descriptor 2 is the arena (pool_impl.h: WIRE_SHM). The connection's EOF (the pool closed it) ends the loop;
 * so does maxtasksperchild. Registered with MP_LIBRARY_ENTRY, so a spawned
 * or forkserver worker finds it by name.
 */
#define _GNU_SOURCE /* gettid() */
#include "pool_impl.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "request.h"
#include "trace.h"

#define FLUSH_EVERY_NS 200000 /* results wait at most this long for company */

typedef struct outbuf {
    unsigned char *p;
    size_t len, cap;
} outbuf;

static int reserve(outbuf *o, size_t more)
{
    if (o->len + more <= o->cap)
        return 0;
    size_t cap = o->cap ? o->cap : 65536;
    while (cap < o->len + more)
        cap *= 2;
    unsigned char *p = realloc(o->p, cap);
    if (!p)
        return -ENOMEM;
    o->p = p;
    o->cap = cap;
    return 0;
}

static int flush(mp_conn *c, outbuf *o)
{
    if (o->len == 0)
        return 0;
    int rc = mp_conn_send(c, o->p, o->len);
    o->len = 0;
    return rc;
}

/* The task function a chunk names: its address (fork) or its name. */
static mp_task_fn resolve(const wire_chunk *h, bool by_name)
{
    if (!by_name)
        return (mp_task_fn)(uintptr_t)h->fn;
    static char last[sizeof h->fn_name];
    static mp_task_fn last_fn;
    if (last_fn && strncmp(last, h->fn_name, sizeof last) == 0)
        return last_fn;
    char name[sizeof h->fn_name + 1];
    memcpy(name, h->fn_name, sizeof h->fn_name);
    name[sizeof h->fn_name] = '\0';
    last_fn = (mp_task_fn)mp_task_find(name);
    memcpy(last, h->fn_name, sizeof last);
    return last_fn;
}

static int unregistered(const void *arg, void *result)
{
    (void)arg;
    (void)result;
    return -ENOENT;
}

/* Statuses are written from the first failure on (the ones before it are
 * 0): a chunk that all succeeds sends none. */
static void note_status(int32_t *status, bool *all_ok, size_t i, int err)
{
    if (err != 0 && *all_ok) {
        memset(status, 0, i * sizeof *status);
        *all_ok = false;
    }
    if (!*all_ok)
        status[i] = err > 0 ? -err : err;
}

/* Run one chunk; its result record is appended to o. args: in the message
 * or the arena; so are the results (WIRE_SHM: at arena + results_off). */
static int run_chunk(const wire_chunk *h, const unsigned char *args, unsigned char *arena, bool by_name, pid_t tid,
                     outbuf *o)
{
    bool info = h->flags & WIRE_INFO, trace = h->flags & WIRE_TRACE, shm = h->flags & WIRE_SHM;
    size_t count = h->count, rs = h->result_size;
    uint32_t flags = h->flags & (WIRE_INFO | WIRE_SHM);
    if (reserve(o, wire_result_bytes(count, rs, flags)) != 0)
        return -ENOMEM;
    unsigned char *rec = o->p + o->len;
    wire_result *r = (wire_result *)rec;
    unsigned char *results = shm ? arena + h->results_off : rec + sizeof *r;
    unsigned char *after = rec + sizeof *r + (shm ? 0 : WIRE_PAD(count * rs));
    uint64_t *times = (uint64_t *)after;
    int32_t *status = (int32_t *)(after + (info ? count * 16 : 0));
    mp_task_fn fn = resolve(h, by_name);
    if (!fn)
        fn = unregistered;
    /* The job asks for spans: record them, even if this worker started
     * before tracing was turned on in the program */
    bool was_tracing = mp_trace_enabled();
    if (trace && !was_tracing)
        mp_trace_enable(true);
    bool all_ok = true;
    uint64_t t0 = mp_now_ns();
    size_t as = h->arg_size;
    if (!info && !trace) {
        /* the usual case, and the one tiny tasks feel: nothing per task but
         * the call until a task fails, every status after that (14
         * instructions a task with an empty task; the loop below, 31) */
        const unsigned char *a = args;
        unsigned char *res = results;
        size_t i = 0;
        int err = 0;
        for (; i < count && err == 0; i++, a += as, res += rs)
            err = fn(a, res);
        if (err != 0)
            note_status(status, &all_ok, i - 1, err);
        for (; i < count; i++, a += as, res += rs)
            note_status(status, &all_ok, i, fn(a, res));
    } else {
        for (size_t i = 0; i < count; i++) {
            if (info)
                times[2 * i] = mp_now_ns();
            if (trace) {
                mp_trace_begin("task");
                if (i == 0)
                    mp_trace_flow(MP_EV_FLOW_END, h->flow);
            }
            int err = fn(args + i * as, results + i * rs);
            if (trace)
                mp_trace_end("task");
            note_status(status, &all_ok, i, err);
            if (info)
                times[2 * i + 1] = mp_now_ns();
        }
    }
    if (trace && !was_tracing)
        mp_trace_enable(false);
    if (all_ok)
        flags |= WIRE_ALL_OK; /* the statuses, last in the record, are left off */
    else
        memset(status + count, 0, WIRE_PAD(count * 4) - count * 4); /* the padding */
    if (!shm)
        memset(results + count * rs, 0, WIRE_PAD(count * rs) - count * rs);
    *r = (wire_result){.seq = h->seq, .count = (uint32_t)count, .result_size = (uint32_t)rs, .flags = flags,
                       .tid = tid, .chunk_ns = mp_now_ns() - t0};
    o->len += wire_result_bytes(count, rs, flags);
    return 0;
}

int pool_worker_main(void *arg)
{
    worker_start ws;
    memcpy(&ws, arg, sizeof ws);
    const unsigned char *initargs = (const unsigned char *)arg + sizeof ws;
    mp_conn conn;
    mp_shm shm;
    mp_shm arena;
    if (mp_conn_from_fd(&conn, mp_child_fd(0), MP_CONN_RECV | MP_CONN_SEND) != 0 ||
        mp_shm_attach(&shm, mp_child_fd(1)) != 0 || mp_shm_attach(&arena, mp_child_fd(2)) != 0)
        return 3;
    _Atomic uint64_t *started = (_Atomic uint64_t *)shm.p + ws.slot;
    if (ws.init) {
        mp_init_fn init = ws.by_name ? (mp_init_fn)mp_task_find(ws.init_name) : (mp_init_fn)(uintptr_t)ws.init;
        if (!init)
            return 4;
        init(ws.initargs_len ? initargs : NULL, ws.initargs_len);
    }
    pid_t tid = gettid();
    outbuf out = {0};
    int chunks = 0, rc = 0;
    while (rc == 0) {
        void *msg;
        size_t len;
        if (mp_conn_recv_alloc(&conn, (size_t)1 << 40, &msg, &len) != 0)
            break; /* EOF: the pool is done with us */
        uint64_t batch_t0 = mp_now_ns();
        for (size_t off = 0; off + sizeof(wire_chunk) <= len && rc == 0;) {
            wire_chunk h;
            memcpy(&h, (unsigned char *)msg + off, sizeof h);
            if (h.magic != WIRE_CHUNK_MAGIC || off + wire_chunk_bytes(h.count, h.arg_size, h.flags) > len ||
                ((h.flags & WIRE_SHM) && (h.args_off + (uint64_t)h.count * h.arg_size > arena.bytes ||
                                          h.results_off + (uint64_t)h.count * h.result_size > arena.bytes))) {
                rc = -EPROTO;
                break;
            }
            atomic_store_explicit(started, h.seq, memory_order_release);
            const unsigned char *args = h.flags & WIRE_SHM ? (unsigned char *)arena.p + h.args_off
                                                           : (unsigned char *)msg + off + sizeof h;
            rc = run_chunk(&h, args, arena.p, ws.by_name, tid, &out);
            off += wire_chunk_bytes(h.count, h.arg_size, h.flags);
            if (rc == 0 && mp_now_ns() - batch_t0 >= FLUSH_EVERY_NS) {
                rc = flush(&conn, &out);
                batch_t0 = mp_now_ns();
            }
            if (ws.maxtasks && ++chunks >= ws.maxtasks)
                rc = 1; /* done: the manager sent no more than this */
        }
        free(msg);
        if (flush(&conn, &out) != 0)
            break;
    }
    free(out.p);
    mp_conn_close(&conn);
    mp_shm_close(&shm);
    mp_shm_close(&arena);
    return rc < 0 ? 5 : 0;
}
MP_LIBRARY_ENTRY(pool_worker_main)
