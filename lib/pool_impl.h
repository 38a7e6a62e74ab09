/* pool_impl: what the pool's files share and nobody else uses.
 *
 * pool.c holds the API and the jobs (a job is one map, apply or imap call:
 * its arguments, results, and how far it got); pool_threads.c and
 * pool_procs.c are the two backends; pool_worker.c is the loop a worker
 * process runs, and the wire format below is what it and the manager say.
 *
 * Locking: one mutex per pool (pool->lock) guards the job list and every
 * job's completion state; a job's cond uses it. The hot path of the thread
 * backend takes no lock: a worker claims a chunk with an atomic add.
 */
#ifndef MP_POOL_IMPL_H
#define MP_POOL_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "pipe.h"
#include "pool.h"
#include "process.h"
#include "progress.h"
#include "shm.h"
#include "thread.h"

typedef enum { JOB_MAP, JOB_APPLY, JOB_IMAP, JOB_IMAP_UNORDERED } job_kind;

struct mp_async {
    mp_pool *pool;
    struct mp_async *next; /* pool->jobs, oldest first */
    job_kind kind;
    mp_task_fn fn;
    const char *fn_name;           /* registered name (spawn, forkserver) */
    const unsigned char *args;     /* the caller's (blocking map) or args_copy */
    unsigned char *args_copy;
    unsigned char *results;        /* the caller's (blocking map) or results_own */
    unsigned char *results_own;
    size_t n, arg_size, result_size, chunksize, nchunks;
    mp_task_info *info;
    uint64_t flow_base;            /* trace: chunk c's flow id is flow_base + c */

    /* the thread backend. The two counters every worker writes have a cache
     * line each, so that their traffic does not evict what the workers only
     * read (fn, args, results): the job is allocated 64-aligned. */
    _Alignas(64) atomic_size_t next_chunk; /* the next chunk to claim (overshoots nchunks) */
    _Alignas(64) atomic_size_t tasks_done;
    _Alignas(64) int refs;         /* workers inside the job */

    /* the process backend (the manager alone) */
    size_t dispatched;             /* chunks 0 .. dispatched-1 were sent */
    size_t *requeued;              /* sent to a worker that died before starting them */
    size_t nrequeued;

    /* completion (pool->lock) */
    pthread_cond_t cond;
    bool ready, terminated, user_freed;
    mp_task_error error;
    int *errs;                     /* imap: per task */
    unsigned char *chunk_done;     /* imap: per chunk */
    size_t *order, norder;         /* imap_unordered: chunks in completion order */
    size_t handed;                 /* imap: results handed out */
    size_t handed_in_chunk;        /* imap_unordered: of order[handed_chunks] */
    size_t handed_chunks;
    void (*callback)(const void *results, size_t n, void *ctx);
    void (*error_callback)(const mp_task_error *e, void *ctx);
    void *ctx;
    bool progress_on;
    mp_progress progress;
};

/* One worker process, as the manager sees it. */
#define POOL_WINDOW_MAX 256 /* chunks in flight to one worker at most */
typedef struct held_chunk {
    mp_async *job;
    size_t chunk;
    uint64_t seq;
    uint32_t flags;            /* WIRE_SHM: its bytes are in the ring at */
    size_t ring_off, ring_len; /* [ring_off, ring_off + ring_len) */
    bool in_place;             /* WIRE_SHM in the shared buffer: no ring, no copy */
} held_chunk;

typedef struct proc_worker {
    mp_process proc;
    mp_conn conn;              /* fd -1: no live worker in this slot */
    uint64_t seq;              /* the last chunk number sent */
    held_chunk held[POOL_WINDOW_MAX]; /* sent, results not yet back: a ring */
    int held_first, held_count;
    int chunks_sent;           /* for maxtasksperchild */
    size_t ring_head, ring_tail; /* its ring in the arena: in use from tail to head */
    int ring_chunks;           /* chunks in the ring (0: it is empty) */
    int early_deaths;          /* workers of this slot in a row that died before their first chunk */
    uint64_t restart_ns;       /* no worker in the slot: start one at this mp_now_ns() */
    unsigned char *args;       /* its start arguments (kept until it is reaped) */
    unsigned char *out;        /* the message being built */
    size_t out_len, out_cap;
} proc_worker;

struct mp_pool {
    int backend, start, size, maxtasks;
    pid_t owner;                   /* the process that created it: a forked child has no workers */
    mp_init_fn init;
    unsigned char *initargs;
    size_t initargs_len;
    pthread_mutex_t lock;
    mp_async *jobs, *jobs_tail;
    bool closed, terminating, joined;
    bool stopping;                 /* a thread outside the pool took on terminate's stop and wait */
    int started;                   /* workers started, replacements included */
    atomic_bool stop;              /* threads: stop after the current chunk */
    unsigned char *shared;         /* mp_pool_shared: processes, the arena past the rings; threads, malloc */
    size_t shared_bytes;
    pid_t tids[MP_POOL_WORKERS_MAX]; /* live workers: kernel TIDs (threads) or PIDs, 0: none */

    /* threads */
    pthread_cond_t work;           /* a job came, or close / terminate */
    mp_thread *threads[MP_POOL_WORKERS_MAX];
    mp_thread **retired;           /* replaced (maxtasksperchild), joined at the end */
    int nretired, retired_cap;
    int threads_live;              /* started and not yet ended: the last one out after terminate fails the jobs */

    /* processes */
    mp_thread manager;
    bool manager_running;
    int wake_fd;                   /* eventfd: a job came, close, terminate */
    pthread_cond_t created;        /* the manager started the first workers */
    bool create_done;
    int create_status;
    mp_shm started_shm;            /* per slot: the chunk number its worker started last */
    mp_shm arena;                  /* per slot: a ring of POOL_RING_BYTES (WIRE_SHM), then the shared buffer */
    proc_worker *w;                /* size of them */
    double chunk_ns_avg;           /* how long a chunk takes, recently */
    int dispatch_next;             /* processes: the worker the next round of dispatch starts at */
};

/* The pool whose thread this is (its manager, or one of its worker
 * threads), NULL in any other thread. Callbacks run in these threads, which
 * cannot wait for themselves: terminate from a callback only asks, join
 * from one says -EDEADLK, free from one is refused. */
extern _Thread_local mp_pool *pool_own_thread;

/* ---- jobs (pool.c) ---- */
/* A task failed (or will never run): record it (pool->lock held). */
void job_fail_task_locked(mp_async *j, size_t item, int err, pid_t pid, int exitcode);
/* count tasks of chunk c finished (their results and info written). */
void job_chunk_finished(mp_async *j, size_t c, size_t count);
/* A map's or apply's count tasks finished, of any chunks (threads add up
 * theirs and say it once per job, not once per chunk). */
void job_tasks_finished(mp_async *j, size_t count);
/* Fail every unfinished job: terminate (no worker may touch a job any more). */
void pool_fail_unfinished(mp_pool *p);
/* A job whose user freed it and that nothing uses any more is freed (lock held). */
void job_maybe_free_locked(mp_async *j);
size_t job_chunk_first(const mp_async *j, size_t c);
size_t job_chunk_count(const mp_async *j, size_t c);

/* ---- the backends ---- */
int pool_threads_create(mp_pool *p);
void pool_threads_wake(mp_pool *p);
void pool_threads_terminate(mp_pool *p);
void pool_threads_join(mp_pool *p);

int pool_procs_create(mp_pool *p);
void pool_procs_wake(mp_pool *p);
void pool_procs_stop(mp_pool *p); /* join the manager (after close or terminate) */
void pool_procs_forget(mp_pool *p); /* a forked child's copy: free it, stop nothing */

/* ---- the wire: manager <-> worker process ----
 * A message from the manager is one or more chunks; one from a worker is
 * one or more result records, in the order the chunks came. A chunk's
 * arguments and results travel one of two ways:
 *  - WIRE_SHM: through the pool's shared segment (the arena). Each worker
 *    has its own part of it, used as a ring: the manager copies a chunk's
 *    arguments there, the worker reads them and writes the results beside
 *    them, the manager copies the results out. Two copies in all, and the
 *    messages carry only offsets: this is why big chunks are cheap.
 *  - otherwise, as bytes in the messages (a chunk too big for the ring).
 */
#define WIRE_CHUNK_MAGIC 0x4b4e4843u /* "CHNK" */
#define WIRE_INFO 1u   /* send start and end times per task */
#define WIRE_TRACE 2u  /* record a span per task (and the chunk's flow) */
#define WIRE_SHM 4u    /* arguments and results are in the arena */
#define WIRE_ALL_OK 8u /* result record: every task returned 0, no statuses sent */
typedef struct wire_chunk {
    uint32_t magic, count;
    uint64_t seq;           /* this worker's chunk number: 1, 2, ... */
    uint64_t first;         /* the job's item number of its first task */
    uint64_t fn;            /* fork: the function's address */
    uint32_t arg_size, result_size, flags, pad;
    uint64_t flow;          /* trace flow id */
    uint64_t args_off, results_off; /* WIRE_SHM: where in the arena */
    char fn_name[56];       /* spawn, forkserver: the registered name */
} wire_chunk;               /* 128 bytes, then (without WIRE_SHM) count * arg_size bytes, padded to 16 */

typedef struct wire_result {
    uint64_t seq;
    uint32_t count, result_size, flags;
    int32_t tid;
    uint64_t chunk_ns;      /* how long the chunk took (32 bytes in all) */
} wire_result;              /* then, each part padded to 16: count * result_size
                             * bytes (not with WIRE_SHM), count (start, end)
                             * pairs of uint64 (WIRE_INFO), count int32
                             * statuses (not with WIRE_ALL_OK): last, so that
                             * a chunk that went well just leaves them off */
#define WIRE_PAD(x) (((x) + 15) & ~(size_t)15)
_Static_assert(sizeof(wire_chunk) == 128, "a chunk's arguments start 16-aligned");
_Static_assert(sizeof(wire_result) == 32, "a result record's parts start 16-aligned");
/* The bytes a chunk of count tasks takes in a message. */
static inline size_t wire_chunk_bytes(size_t count, size_t arg_size, uint32_t flags)
{
    return sizeof(wire_chunk) + (flags & WIRE_SHM ? 0 : WIRE_PAD(count * arg_size));
}
static inline size_t wire_result_bytes(size_t count, size_t result_size, uint32_t flags)
{
    return sizeof(wire_result) + (flags & WIRE_SHM ? 0 : WIRE_PAD(count * result_size)) +
           (flags & WIRE_INFO ? count * 16 : 0) + (flags & WIRE_ALL_OK ? 0 : WIRE_PAD(count * 4));
}
#define POOL_RING_BYTES ((size_t)16 << 20) /* each worker's part of the arena (touched pages only are memory) */

/* What a worker is started with. */
typedef struct worker_start {
    int32_t slot, by_name, maxtasks, pad;
    uint64_t init;          /* fork: the initializer's address */
    char init_name[48];
    uint64_t initargs_len;  /* then the bytes */
} worker_start;

int pool_worker_main(void *arg); /* the worker process (MP_LIBRARY_ENTRY) */

#endif
