/* pool_procs: the process backend (multiprocessing.Pool) and its manager.
 *
 * One manager thread per pool does all the talking to the workers (pool.h
 * explains the design): it starts them, and then loops: hand out chunks,
 * send them, wait (poll) for results, a worker's end, or a wake-up from
 * the caller's thread (a new job, close, terminate), and handle what came.
 *
 * How much a worker is sent ahead, beyond the chunk it is running: enough
 * chunks to keep it busy while the manager turns a result around (about
 * 0.25 ms: read the message, copy the next arguments in and send them,
 * then copy the results out: work first, so that no worker waits through
 * the copies of another's results), as measured on the chunks that came
 * back; none for
 * chunks longer than 1 ms, which are never sent ahead of a free worker;
 * and at most 64 KiB of the manager's messages in flight -- or a single
 * chunk of any size. That bound is what keeps the two from blocking each
 * other: what the manager sent fits in the socket's buffers, so its send
 * never waits for the worker; a worker's send of a big batch of results
 * may wait, until the manager, always back in poll, reads it.
 */
#define _GNU_SOURCE /* eventfd */
#include "pool_impl.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "clock.h"
#include "forkserver.h"
#include "report.h"
#include "trace.h"

#define LONG_CHUNK_NS 1000000.0      /* a chunk longer than this is never sent ahead */
#define TURNAROUND_NS 250000.0       /* the work sent ahead covers this much of the manager's time */
#define IN_FLIGHT_MAX (64 * 1024)    /* bytes of the manager's messages, unless one chunk is bigger */
#define SEND_AFTER_BYTES (64 * 1024) /* arguments copied: send them before copying more */
#define JOIN_BOUND_S 1.0             /* terminate: SIGTERM, then SIGKILL after this */
#define RESTART_NS 100000000ull      /* an empty slot: the next try to fill it, after 0.1 s */
#define RESTART_SHIFT_MAX 5          /* workers that keep dying early: at most 0.1 s << 5 apart */

static bool worker_live(const proc_worker *w) { return w->conn.fd >= 0; }

/* Bytes in flight in the manager's messages to the worker (not in the
 * arena). (Results need no bound: the manager never waits to read them.) */
static size_t held_bytes(const proc_worker *w)
{
    size_t b = 0;
    for (int k = 0; k < w->held_count; k++) {
        const held_chunk *h = &w->held[(w->held_first + k) % POOL_WINDOW_MAX];
        size_t count = job_chunk_count(h->job, h->chunk);
        b += wire_chunk_bytes(count, h->job->arg_size, h->flags);
    }
    return b;
}

/* ---- a worker's ring in the arena: chunks are sent and come back in
 * order, so space is taken at the head and given back at the tail ---- */

static unsigned char *ring_base(mp_pool *p, int slot) { return (unsigned char *)p->arena.p + (size_t)slot * POOL_RING_BYTES; }

/* The offset (in the ring) of len free bytes, or SIZE_MAX if there are none now. */
static size_t ring_take(proc_worker *w, size_t len)
{
    if (len > POOL_RING_BYTES)
        return SIZE_MAX;
    if (w->ring_chunks == 0)
        w->ring_head = w->ring_tail = 0;
    size_t off;
    if (w->ring_chunks == 0 || w->ring_head > w->ring_tail) { /* free: [head, end) and [0, tail) */
        if (POOL_RING_BYTES - w->ring_head >= len)
            off = w->ring_head;
        else if (w->ring_chunks > 0 && w->ring_tail > len) /* strictly: head == tail means empty */
            off = 0;
        else if (w->ring_chunks == 0)
            off = 0;
        else
            return SIZE_MAX;
    } else if (w->ring_tail - w->ring_head > len) { /* free: [head, tail) */
        off = w->ring_head;
    } else {
        return SIZE_MAX;
    }
    w->ring_head = off + len;
    w->ring_chunks++;
    return off;
}

static void ring_give_back(proc_worker *w, const held_chunk *h)
{
    if (!(h->flags & WIRE_SHM) || h->in_place)
        return;
    w->ring_tail = h->ring_off + h->ring_len;
    w->ring_chunks--;
}

/* ---- starting a worker (always from the manager thread: see process.h) ---- */

static int start_worker(mp_pool *p, int slot)
{
    proc_worker *w = &p->w[slot];
    mp_conn mine, theirs;
    int rc = mp_pipe(&mine, &theirs, true);
    if (rc != 0)
        return rc;
    size_t len = sizeof(worker_start) + p->initargs_len;
    free(w->args);
    w->args = calloc(1, len);
    if (!w->args) {
        mp_conn_close(&mine);
        mp_conn_close(&theirs);
        return -ENOMEM;
    }
    worker_start ws = {.slot = slot, .by_name = p->start != MP_START_FORK, .maxtasks = p->maxtasks,
                       .init = (uint64_t)(uintptr_t)p->init, .initargs_len = p->initargs_len};
    if (p->init && ws.by_name)
        snprintf(ws.init_name, sizeof ws.init_name, "%s", mp_task_name((void (*)(void))p->init));
    memcpy(w->args, &ws, sizeof ws);
    if (p->initargs_len)
        memcpy(w->args + sizeof ws, p->initargs, p->initargs_len);

    char name[32];
    snprintf(name, sizeof name, "PoolWorker-%d", slot + 1);
    atomic_store((_Atomic uint64_t *)p->started_shm.p + slot, 0);
    mp_process_init(&w->proc, name, pool_worker_main, NULL);
    w->proc.start = p->start;
    w->proc.daemon = true; /* as Python's pool workers */
    mp_process_set_args(&w->proc, w->args, len);
    mp_process_pass_fd(&w->proc, theirs.fd);
    mp_process_pass_fd(&w->proc, p->started_shm.fd);
    mp_process_pass_fd(&w->proc, p->arena.fd);
    rc = mp_process_start(&w->proc);
    mp_conn_close(&theirs); /* the worker's end is the worker's: its death is our EOF */
    if (rc != 0) {
        mp_conn_close(&mine);
        return rc;
    }
    pthread_mutex_lock(&p->lock);
    w->conn = mine;
    w->seq = 0;
    w->held_first = w->held_count = 0;
    w->chunks_sent = 0;
    w->ring_chunks = 0;
    w->out_len = 0;
    p->tids[slot] = w->proc.pid;
    p->started++;
    pthread_mutex_unlock(&p->lock);
    return 0;
}

/* ---- handing out chunks (lock held) ---- */

/* The next chunk to send: a requeued one first, then the oldest job's next. */
static bool next_chunk(mp_pool *p, mp_async **job, size_t *chunk)
{
    for (mp_async *j = p->jobs; j; j = j->next) {
        if (j->ready)
            continue;
        if (j->nrequeued) {
            *job = j;
            *chunk = j->requeued[--j->nrequeued];
            return true;
        }
        if (j->dispatched < j->nchunks) {
            *job = j;
            *chunk = j->dispatched++;
            return true;
        }
    }
    return false;
}

/* Do [ptr, ptr + len) lie in the pool's shared buffer? */
static bool in_shared(const mp_pool *p, const void *ptr, size_t len)
{
    const unsigned char *b = ptr;
    return p->shared && b >= p->shared && len <= p->shared_bytes && (size_t)(b - p->shared) <= p->shared_bytes - len;
}

/* 1: appended (*copied += the argument bytes it copied); 0: it must
 * wait (no room in the ring now); -ENOMEM. */
static int append_chunk(mp_pool *p, int slot, mp_async *j, size_t c, size_t *copied)
{
    proc_worker *w = &p->w[slot];
    size_t count = job_chunk_count(j, c);
    uint32_t flags = (j->info ? WIRE_INFO : 0) | (mp_trace_enabled() ? WIRE_TRACE : 0);
    /* through the arena if it can ever fit there (else as bytes) */
    /* both parts 64-aligned: a task function may read and write its structs in place */
    size_t args_len = (count * j->arg_size + 63) & ~(size_t)63;
    size_t ring_len = args_len + ((count * j->result_size + 63) & ~(size_t)63);
    size_t ring_off = SIZE_MAX;
    size_t first = job_chunk_first(j, c);
    const unsigned char *args_at = j->args + first * j->arg_size;
    unsigned char *results_at = j->results + first * j->result_size;
    /* arguments and results both in the shared buffer: the worker works there */
    bool in_place = in_shared(p, args_at, count * j->arg_size) && in_shared(p, results_at, count * j->result_size);
    if (in_place) {
        flags |= WIRE_SHM;
    } else if (ring_len <= POOL_RING_BYTES) {
        ring_off = ring_take(w, ring_len);
        if (ring_off == SIZE_MAX)
            return 0;
        flags |= WIRE_SHM;
    } else if (w->held_count > 0) {
        /* As bytes, it is bigger than the socket's buffers: sent to a
         * worker still busy with another chunk (a task that never returns),
         * the manager's send would wait for it, and terminate with it. */
        return 0;
    }
    size_t need = wire_chunk_bytes(count, j->arg_size, flags);
    if (w->out_len + need > w->out_cap) {
        size_t cap = w->out_cap ? w->out_cap : 4096;
        while (cap < w->out_len + need)
            cap *= 2;
        unsigned char *o = realloc(w->out, cap);
        if (!o) {
            if ((flags & WIRE_SHM) && !in_place)
                w->ring_chunks--, w->ring_head = ring_off; /* the last taken: give it back */
            return -ENOMEM;
        }
        w->out = o;
        w->out_cap = cap;
    }
    size_t base = (size_t)slot * POOL_RING_BYTES;
    wire_chunk h = {.magic = WIRE_CHUNK_MAGIC, .count = (uint32_t)count, .seq = ++w->seq, .first = first,
                    .fn = (uint64_t)(uintptr_t)j->fn, .arg_size = (uint32_t)j->arg_size,
                    .result_size = (uint32_t)j->result_size, .flags = flags, .flow = j->flow_base + c};
    if (j->fn_name)
        snprintf(h.fn_name, sizeof h.fn_name, "%s", j->fn_name);
    if (in_place) {
        h.args_off = (uint64_t)(args_at - (const unsigned char *)p->arena.p);
        h.results_off = (uint64_t)(results_at - (unsigned char *)p->arena.p);
    } else if (flags & WIRE_SHM) {
        h.args_off = base + ring_off;
        h.results_off = base + ring_off + args_len;
        memcpy(ring_base(p, slot) + ring_off, args_at, count * j->arg_size);
    }
    memcpy(w->out + w->out_len, &h, sizeof h);
    if (!(flags & WIRE_SHM)) {
        memset(w->out + w->out_len + sizeof h, 0, need - sizeof h);
        memcpy(w->out + w->out_len + sizeof h, args_at, count * j->arg_size);
    }
    w->out_len += need;
    bool ring = (flags & WIRE_SHM) && !in_place;
    w->held[(w->held_first + w->held_count) % POOL_WINDOW_MAX] =
        (held_chunk){j, c, h.seq, flags, ring ? ring_off : 0, ring ? ring_len : 0, in_place};
    w->held_count++;
    w->chunks_sent++;
    if (!in_place)
        *copied += count * j->arg_size;
    return 1;
}

/* Put back a chunk next_chunk gave out (lock held). */
static void unchunk(mp_async *j, size_t c)
{
    if (c + 1 == j->dispatched) {
        j->dispatched--;
        return;
    }
    size_t *q = realloc(j->requeued, (j->nrequeued + 1) * sizeof *q);
    if (q) { /* (it came from there, so there was room: realloc to the same size) */
        j->requeued = q;
        j->requeued[j->nrequeued++] = c;
    }
}

static bool can_take(const mp_pool *p, const proc_worker *w, int window)
{
    if (!worker_live(w) || w->held_count >= window || (p->maxtasks && w->chunks_sent >= p->maxtasks))
        return false;
    return w->held_count == 0 || held_bytes(w) < IN_FLIGHT_MAX;
}

/* Pass 0: a chunk for each idle worker; pass 1: the others up to the
 * window, one chunk per worker per round, so that few chunks spread. (The
 * manager sends what pass 0 gave out before pass 1 copies the arguments of
 * the chunks it sends ahead: idle workers start at once, not after all the
 * copies.) A worker with nothing to do
 * must get the next chunk before a busy one gets a chunk ahead: tasks sent
 * one at a time (apply_async in a loop) would otherwise pile up on the
 * first worker while the rest sit idle. Python's workers pull from one
 * shared queue, so only an idle worker ever takes a task; the window is
 * what lets the kit send tiny chunks ahead, and chunks that take longer
 * than the window are never sent ahead of a free worker. */
static bool dispatch_locked(mp_pool *p, int pass)
{
    size_t copied = 0;
    /* chunks a worker may hold: the one it runs and those ahead (a chunk
     * of 0.2 ms: 2 ahead; of 1 us: a full window) */
    double avg = p->chunk_ns_avg;
    double ahead = avg <= 0 ? 1 : avg > LONG_CHUNK_NS ? 0 : TURNAROUND_NS / avg + 0.999;
    int window = ahead + 1 >= POOL_WINDOW_MAX ? POOL_WINDOW_MAX : 1 + (int)ahead;
    for (bool any = true; any;) {
        any = false;
        int first = p->dispatch_next;
        for (int k = 0; k < p->size; k++) {
            int i = (first + k) % p->size;
            proc_worker *w = &p->w[i];
            mp_async *j;
            size_t c;
            if ((pass == 0 && w->held_count > 0) || !can_take(p, w, pass == 0 ? 1 : window) ||
                !next_chunk(p, &j, &c))
                continue;
            int rc = append_chunk(p, i, j, c, &copied);
            if (rc != 1) { /* no room in its ring, or no memory: the chunk waits */
                unchunk(j, c);
                if (rc < 0)
                    return false;
                continue;
            }
            p->dispatch_next = (i + 1) % p->size; /* the next chunk starts the round after it */
            any = true;
            if (copied >= SEND_AFTER_BYTES)
                return true; /* send what is copied: its worker starts now, not after every copy */
        }
    }
    return false;
}

/* ---- results ---- */

static void feed(mp_pool *p);

static int handle_results(mp_pool *p, int slot, const unsigned char *msg, size_t len)
{
    proc_worker *w = &p->w[slot];
    for (size_t off = 0; off + sizeof(wire_result) <= len;) {
        wire_result r;
        memcpy(&r, msg + off, sizeof r);
        if (w->held_count == 0)
            return -EPROTO;
        held_chunk h = w->held[w->held_first];
        mp_async *j = h.job;
        size_t first = job_chunk_first(j, h.chunk), count = job_chunk_count(j, h.chunk);
        bool info = r.flags & WIRE_INFO, shm = r.flags & WIRE_SHM;
        if (r.seq != h.seq || r.count != count || r.result_size != j->result_size || shm != !!(h.flags & WIRE_SHM) ||
            off + wire_result_bytes(count, j->result_size, r.flags) > len)
            return -EPROTO;
        const unsigned char *results = msg + off + sizeof r;
        if (h.in_place)
            results = NULL; /* written where they belong */
        else if (shm)
            results = ring_base(p, slot) + h.ring_off + ((count * j->arg_size + 63) & ~(size_t)63);
        const unsigned char *times = msg + off + sizeof r + (shm ? 0 : WIRE_PAD(count * j->result_size));
        const unsigned char *status = times + (info ? count * 16 : 0);
        pthread_mutex_lock(&p->lock);
        w->held_first = (w->held_first + 1) % POOL_WINDOW_MAX;
        w->held_count--; /* (its ring space is given back once the results are out of it) */
        p->chunk_ns_avg = p->chunk_ns_avg > 0 ? 0.8 * p->chunk_ns_avg + 0.2 * (double)r.chunk_ns : (double)r.chunk_ns;
        if (p->chunk_ns_avg < 1)
            p->chunk_ns_avg = 1;
        pthread_mutex_unlock(&p->lock);
        /* Results to copy out: first the next work for the workers. With as
         * many workers as CPUs, the manager gets a CPU mostly when a worker
         * has run out of work; one that waited for these copies would sit
         * idle through them. */
        if (results && count * (j->arg_size + j->result_size) >= SEND_AFTER_BYTES)
            feed(p);
        if (results)
            memcpy(j->results + first * j->result_size, results, count * j->result_size);
        pid_t pid = w->proc.pid;
        /* every task succeeded and nobody asked who ran what: nothing per task */
        bool per_task = !(r.flags & WIRE_ALL_OK) || (j->info && info);
        for (size_t i = 0; per_task && i < count; i++) {
            int32_t st = 0;
            if (!(r.flags & WIRE_ALL_OK))
                memcpy(&st, status + 4 * i, 4);
            if (j->info && info) {
                mp_task_info *in = &j->info[first + i];
                memcpy(&in->start_ns, times + 16 * i, 8);
                memcpy(&in->end_ns, times + 16 * i + 8, 8);
                in->err = st;
                in->worker = slot;
                in->pid = pid;
                in->tid = r.tid;
            }
            if (st) {
                pthread_mutex_lock(&p->lock);
                job_fail_task_locked(j, first + i, st, pid, 0);
                pthread_mutex_unlock(&p->lock);
            }
        }
        pthread_mutex_lock(&p->lock);
        ring_give_back(w, &h);
        pthread_mutex_unlock(&p->lock);
        off += wire_result_bytes(count, j->result_size, r.flags);
        job_chunk_finished(j, h.chunk, count); /* the last: j may be freed from here on */
    }
    return 0;
}

/* ---- a worker's end ---- */

static void reap(proc_worker *w, double bound_s)
{
    if (w->proc.state != MP_PROC_RUNNING)
        return;
    if (mp_process_join(&w->proc, bound_s) == -ETIMEDOUT) {
        mp_process_kill(&w->proc);
        mp_process_join(&w->proc, MP_FOREVER);
    }
}

/* The worker's connection ended (EOF) or broke: it is gone or going. Its
 * started chunks fail, the others go back in their jobs; a new worker
 * takes the slot. */
static void worker_ended(mp_pool *p, int slot)
{
    proc_worker *w = &p->w[slot];
    pthread_mutex_lock(&p->lock);
    mp_conn_close(&w->conn);
    p->tids[slot] = 0;
    pthread_mutex_unlock(&p->lock);
    reap(w, 2.0);
    pid_t pid = w->proc.pid;
    int exitcode = w->proc.exitcode;
    uint64_t started = atomic_load((_Atomic uint64_t *)p->started_shm.p + slot);
    held_chunk failed[POOL_WINDOW_MAX];
    int nfailed = 0;
    pthread_mutex_lock(&p->lock);
    for (int k = 0; k < w->held_count; k++) {
        held_chunk h = w->held[(w->held_first + k) % POOL_WINDOW_MAX];
        mp_async *j = h.job;
        if (h.seq <= started) {
            size_t first = job_chunk_first(j, h.chunk), count = job_chunk_count(j, h.chunk);
            for (size_t i = first; i < first + count; i++) {
                job_fail_task_locked(j, i, MP_POOL_WORKER_DIED, pid, exitcode);
                if (j->info)
                    j->info[i] = (mp_task_info){.err = MP_POOL_WORKER_DIED, .worker = slot, .pid = pid,
                                                .exitcode = exitcode};
            }
            failed[nfailed++] = h;
        } else { /* never started: another worker will run it */
            size_t *q = realloc(j->requeued, (j->nrequeued + 1) * sizeof *q);
            if (q) {
                j->requeued = q;
                j->requeued[j->nrequeued++] = h.chunk;
            } else { /* cannot requeue: it fails with the worker */
                for (size_t i = job_chunk_first(j, h.chunk); i < job_chunk_first(j, h.chunk) + job_chunk_count(j, h.chunk); i++)
                    job_fail_task_locked(j, i, MP_POOL_WORKER_DIED, pid, exitcode);
                failed[nfailed++] = h;
            }
        }
    }
    bool died = w->held_count > 0 || exitcode != 0;
    w->held_count = 0;
    w->ring_chunks = 0;
    pthread_mutex_unlock(&p->lock);
    for (int k = 0; k < nfailed; k++)
        job_chunk_finished(failed[k].job, failed[k].chunk, job_chunk_count(failed[k].job, failed[k].chunk));
    pthread_mutex_lock(&p->lock);
    bool replace = !p->terminating; /* after the error callbacks: one may have called terminate */
    pthread_mutex_unlock(&p->lock);
    /* A worker that failed before it started any chunk (its initializer
     * crashed or exited, or its start went wrong) would fail again at
     * once: its replacement waits, twice as long each time in a row (0.1 s
     * up to 3.2 s), instead of the manager starting workers in a loop. */
    bool early = started == 0 && exitcode != 0;
    w->early_deaths = early ? w->early_deaths + 1 : 0;
    int shift = w->early_deaths > RESTART_SHIFT_MAX + 1 ? RESTART_SHIFT_MAX : w->early_deaths - 1;
    uint64_t wait_ns = early ? RESTART_NS << shift : 0;
    if (died && !mp_report_is_quiet()) {
        if (early)
            mp_error("pool: worker %d (pid %d) ended with exit code %d before its first task (in the "
                     "initializer?); %d in a row: the next one starts in %.1f s", slot + 1, (int)pid, exitcode,
                     w->early_deaths, (double)wait_ns / 1e9);
        else
            mp_error("pool: worker %d (pid %d) ended with exit code %d; %d chunk(s) it had started failed",
                     slot + 1, (int)pid, exitcode, nfailed);
    }
    w->restart_ns = mp_now_ns() + wait_ns;
    if (replace && !early) {
        int rc = start_worker(p, slot);
        if (rc != 0) {
            mp_error("pool: could not start a worker in place of pid %d: %s", (int)pid, strerror(-rc));
            w->restart_ns = mp_now_ns() + RESTART_NS;
        }
    }
}

/* ---- the manager ---- */

static bool all_jobs_ready_locked(mp_pool *p)
{
    for (mp_async *j = p->jobs; j; j = j->next)
        if (!j->ready)
            return false;
    return true;
}

static void stop_workers(mp_pool *p, bool kill_them)
{
    for (int i = 0; i < p->size; i++) {
        proc_worker *w = &p->w[i];
        if (kill_them && w->proc.state == MP_PROC_RUNNING)
            mp_process_terminate(&w->proc);
        pthread_mutex_lock(&p->lock);
        mp_conn_close(&w->conn); /* EOF: the worker's loop ends */
        p->tids[i] = 0;
        pthread_mutex_unlock(&p->lock);
    }
    for (int i = 0; i < p->size; i++)
        reap(&p->w[i], kill_them ? JOIN_BOUND_S : 30.0);
}

/* Send every worker the message dispatch built for it. */
static void send_out(mp_pool *p)
{
    for (int i = 0; i < p->size; i++) {
        proc_worker *w = &p->w[i];
        if (w->out_len && worker_live(w))
            (void)mp_conn_send(&w->conn, w->out, w->out_len); /* a dead worker shows as EOF below */
        w->out_len = 0;
    }
}

/* Hand out what there is to hand out and send it: first a chunk to each
 * idle worker, then chunks ahead (dispatch_locked). */
static void feed(mp_pool *p)
{
    for (int pass = 0; pass < 2; pass++)
        for (bool more = true; more;) {
            pthread_mutex_lock(&p->lock);
            more = dispatch_locked(p, pass);
            pthread_mutex_unlock(&p->lock);
            send_out(p);
        }
}

static void *manager(void *arg)
{
    mp_pool *p = arg;
    pool_own_thread = p; /* callbacks run here */
    int rc = 0;
    for (int i = 0; i < p->size && rc == 0; i++)
        rc = start_worker(p, i);
    pthread_mutex_lock(&p->lock);
    p->create_done = true;
    p->create_status = rc;
    pthread_cond_broadcast(&p->created);
    pthread_mutex_unlock(&p->lock);
    if (rc != 0) {
        stop_workers(p, true);
        return NULL;
    }
    struct pollfd fds[MP_POOL_WORKERS_MAX + 1];
    for (;;) {
        pthread_mutex_lock(&p->lock);
        if (p->terminating) {
            pthread_mutex_unlock(&p->lock);
            stop_workers(p, true);
            pool_fail_unfinished(p);
            return NULL;
        }
        if (p->closed && all_jobs_ready_locked(p)) {
            pthread_mutex_unlock(&p->lock);
            stop_workers(p, false);
            return NULL;
        }
        pthread_mutex_unlock(&p->lock);
        feed(p);
        fds[0] = (struct pollfd){.fd = p->wake_fd, .events = POLLIN};
        for (int i = 0; i < p->size; i++)
            fds[i + 1] = (struct pollfd){.fd = p->w[i].conn.fd, .events = POLLIN};
        /* a slot without a worker (its start failed, or its workers die
         * early) is filled at its restart_ns; results in a read-ahead
         * (a read below that stopped early) are handled at once */
        int timeout_ms = -1;
        uint64_t now = mp_now_ns();
        for (int i = 0; i < p->size; i++) {
            const proc_worker *w = &p->w[i];
            if (worker_live(w)) {
                if (mp_conn_buffered(&w->conn)) /* results poll cannot see */
                    timeout_ms = 0;
                continue;
            }
            uint64_t left = w->restart_ns > now ? w->restart_ns - now : 0;
            int ms = (int)((left + 999999) / 1000000);
            if (timeout_ms < 0 || ms < timeout_ms)
                timeout_ms = ms;
        }
        if (poll(fds, (nfds_t)p->size + 1, timeout_ms) < 0 && errno != EINTR) {
            mp_syserr("poll", errno);
            mp_sleep_ns(10000000);
        }
        if (fds[0].revents) {
            uint64_t v;
            (void)!read(p->wake_fd, &v, sizeof v);
        }
        for (int i = 0; i < p->size; i++) {
            proc_worker *w = &p->w[i];
            if (!worker_live(w)) {
                pthread_mutex_lock(&p->lock);
                bool replace = !p->terminating; /* closed: the jobs left still need it */
                pthread_mutex_unlock(&p->lock);
                if (replace && mp_now_ns() >= w->restart_ns && start_worker(p, i) != 0)
                    w->restart_ns = mp_now_ns() + RESTART_NS;
                continue;
            }
            if (!fds[i + 1].revents && !mp_conn_buffered(&w->conn))
                continue;
            /* everything that came, without waiting for more -- of the
             * chunks sent before this read began. handle_results sends
             * this worker its next chunks (feed), and their results come
             * back while this loop runs: reading those too would keep the
             * manager on this one worker for as long as there is work,
             * the other workers' results unread (they sit idle) and a
             * terminate unseen. */
            uint64_t sent_before = w->seq;
            do {
                void *msg;
                size_t len;
                int r = mp_conn_recv_alloc(&w->conn, (size_t)1 << 40, &msg, &len);
                if (r == 0) {
                    r = handle_results(p, i, msg, len);
                    free(msg);
                }
                if (r != 0) {
                    /* EOF, or a reset (it died with our last message unread): the
                     * worker is gone, and worker_ended says how it died */
                    bool gone = r == MP_CONN_EOF || r == -ECONNRESET;
                    if (!gone)
                        mp_error("pool: worker pid %d: %s", (int)w->proc.pid, strerror(-r));
                    if (w->proc.state == MP_PROC_RUNNING && !gone)
                        mp_process_kill(&w->proc);
                    worker_ended(p, i);
                    break;
                }
            } while (w->held_count > 0 && w->held[w->held_first].seq <= sent_before && mp_conn_poll(&w->conn, 0) > 0);
        }
    }
}

/* Does nothing: run once to start the forkserver from the caller's thread. */
static int pool_noop(void *arg)
{
    (void)arg;
    return 0;
}
MP_LIBRARY_ENTRY(pool_noop)

/* The forkserver dies with the thread that started it (PR_SET_PDEATHSIG,
 * process.h), and the manager thread ends with its pool: so the server is
 * started from the caller's thread, which outlives the pool, by starting
 * one child that does nothing, before the manager starts the workers. */
static int forkserver_from_caller(void)
{
    if (mp_forkserver_pid() > 0)
        return 0;
    mp_process p;
    mp_process_init(&p, "pool-forkserver-start", pool_noop, NULL);
    p.start = MP_START_FORKSERVER;
    int rc = mp_process_start(&p);
    if (rc == 0)
        rc = mp_process_join(&p, MP_FOREVER);
    return rc;
}

/* ---- at exit: process pools still running are terminated (as Python's
 * finalizers do), before the registry's exit handler stops their workers
 * under the manager's feet (it would see them die and replace them) ---- */

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static mp_pool *live[64]; /* pools beyond 64 are left to the registry's handler */

/* A pool the program never freed is not freed at exit either (another
 * thread may still hold it while the process exits): it stays allocated,
 * and reachable from here, until the process is gone. */
static mp_pool *ended_at_exit[64];

static void terminate_live_pools(void)
{
    pid_t me = getpid();
    for (int n = 0;; n++) {
        pthread_mutex_lock(&live_lock);
        mp_pool *p = NULL;
        for (int i = 0; i < 64 && !p; i++) {
            /* a forked child (a fork worker whose task called exit(), or
             * the program's own fork()) has copies of its parent's pools:
             * their workers and manager are the parent's, not its to stop */
            if (live[i] && live[i]->owner != me)
                live[i] = NULL;
            p = live[i];
        }
        pthread_mutex_unlock(&live_lock);
        if (!p)
            return;
        ended_at_exit[n % 64] = p;
        mp_pool_terminate(p); /* takes it off the list (pool_procs_stop) */
    }
}

/* Registered after the first worker started, so after the registry's own
 * exit handler: atexit runs it first. */
static void watch_at_exit(mp_pool *p)
{
    pthread_mutex_lock(&live_lock);
    static bool registered;
    if (!registered)
        registered = atexit(terminate_live_pools) == 0;
    for (int i = 0; i < 64; i++)
        if (live[i] && live[i]->owner != p->owner)
            live[i] = NULL; /* a parent's, copied by fork (terminate_live_pools) */
    for (int i = 0; i < 64; i++)
        if (!live[i]) {
            live[i] = p;
            break;
        }
    pthread_mutex_unlock(&live_lock);
}

static void unwatch(mp_pool *p)
{
    pthread_mutex_lock(&live_lock);
    for (int i = 0; i < 64; i++)
        if (live[i] == p)
            live[i] = NULL;
    pthread_mutex_unlock(&live_lock);
}

int pool_procs_create(mp_pool *p)
{
    if (p->start == MP_START_FORKSERVER) {
        int rc = forkserver_from_caller();
        if (rc != 0)
            return rc;
    }
    p->w = calloc((size_t)p->size, sizeof *p->w);
    if (!p->w)
        return -ENOMEM;
    for (int i = 0; i < p->size; i++)
        p->w[i].conn.fd = -1;
    p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int rc = p->wake_fd < 0 ? -errno : 0;
    if (rc != 0)
        mp_syserr("eventfd", -rc);
    if (rc == 0)
        rc = mp_shm_create(&p->started_shm, "mpkit-pool", (size_t)p->size * sizeof(uint64_t));
    if (rc == 0)
        rc = mp_shm_create(&p->arena, "mpkit-pool-arena",
                           (size_t)p->size * POOL_RING_BYTES + ((p->shared_bytes + 4095) & ~(size_t)4095));
    if (rc == 0 && p->shared_bytes)
        p->shared = (unsigned char *)p->arena.p + (size_t)p->size * POOL_RING_BYTES;
    if (rc == 0) {
        mp_thread_init(&p->manager, "pool-manager", manager, p);
        rc = mp_thread_start(&p->manager);
    }
    if (rc == 0) {
        p->manager_running = true;
        pthread_mutex_lock(&p->lock);
        while (!p->create_done)
            pthread_cond_wait(&p->created, &p->lock);
        rc = p->create_status;
        pthread_mutex_unlock(&p->lock);
        if (rc != 0)
            mp_thread_join(&p->manager, NULL);
        else
            watch_at_exit(p);
    }
    if (rc != 0) {
        if (p->wake_fd >= 0)
            close(p->wake_fd);
        if (p->started_shm.fd >= 0)
            mp_shm_close(&p->started_shm);
        if (p->arena.fd >= 0)
            mp_shm_close(&p->arena);
        for (int i = 0; i < p->size; i++)
            free(p->w[i].args);
        free(p->w);
        p->w = NULL;
    }
    return rc;
}

void pool_procs_wake(mp_pool *p)
{
    uint64_t one = 1;
    (void)!write(p->wake_fd, &one, sizeof one);
}

/* The manager is gone (joined), or was never in this process (a fork
 * child's copy of the pool): what is left is descriptors and memory. */
static void release(mp_pool *p)
{
    p->manager_running = false;
    close(p->wake_fd);
    p->wake_fd = -1;
    mp_shm_close(&p->started_shm);
    mp_shm_close(&p->arena);
    for (int i = 0; i < p->size; i++) {
        free(p->w[i].args);
        free(p->w[i].out);
    }
    free(p->w);
    p->w = NULL;
}

void pool_procs_stop(mp_pool *p)
{
    if (!p->manager_running)
        return;
    unwatch(p);
    pool_procs_wake(p);
    mp_thread_join(&p->manager, NULL);
    release(p);
}

void pool_procs_forget(mp_pool *p)
{
    if (!p->manager_running)
        return;
    unwatch(p);
    for (int i = 0; i < p->size; i++)
        if (worker_live(&p->w[i]))
            mp_conn_close(&p->w[i].conn);
    release(p);
}
