/* pool: a fixed set of workers that run many small tasks for you.
 *
 * Mirrors multiprocessing.Pool and multiprocessing.pool.ThreadPool: map,
 * starmap, imap, imap_unordered, apply, apply_async, map_async, a result
 * handle with get(timeout) / wait / ready / successful, callback and
 * error_callback, chunksize, initializer with its arguments,
 * maxtasksperchild, close / terminate / join. Layer 4 (the Python-shaped
 * primitives), on process and pipe (same layer: the workers and their
 * connections), thread, shm, trace and progress (the bar imap draws).
 *
 * A task is one call of a task function on one argument:
 *
 *     int square(const void *arg, void *result)
 *     {
 *         *(long *)result = *(const long *)arg * *(const long *)arg;
 *         return 0;              // or an error code: that task's error
 *     }
 *
 * map takes an array of n arguments of arg_size bytes each and fills an
 * array of n results of result_size bytes each. There is no pickle in C:
 * arguments and results are plain bytes (structs without pointers), copied
 * to the worker and back. starmap is the same call over an array of structs:
 * a struct of several fields is the C form of the tuple Python unpacks into
 * f(*args).
 *
 * Backends. MP_POOL_THREADS (ThreadPool): worker threads take chunks of a
 * job by atomically counting up the job's next chunk -- no lock and no
 * system call per chunk, which is why tiny tasks are cheap. MP_POOL_PROCESSES
 * (Pool): worker processes under any start method (fork, spawn, forkserver:
 * pool.start, default mp_get_start_method()). Under spawn and forkserver a
 * worker is a fresh run of this program, so a task function (and an
 * initializer) must be registered by name with MP_TASK(fn) at file scope;
 * under fork and threads any function works.
 *
 * How the process backend works (and why a dead worker never hangs it):
 *  - Each worker has its own connection (a duplex mp_pipe). One manager
 *    thread in the parent, living as long as the pool, does everything else:
 *    it starts the workers (so PR_SET_PDEATHSIG ties them to a thread that
 *    outlives them, see process.h), hands out chunks, collects results,
 *    runs callbacks, and replaces workers. Python has three such threads.
 *  - The manager knows exactly which chunks each worker holds. To keep a
 *    worker from waiting for a round trip, it sends chunks ahead of the one
 *    the worker runs, in one message: as many as cover the manager's time
 *    to turn a result around (about 0.25 ms of work, measured as results
 *    come back: two of a map's 0.2 ms chunks, hundreds of tiny ones), none
 *    for chunks over 1 ms; the worker sends results back in batches too (at
 *    the latest every 0.2 ms, and before it waits for more).
 *  - The bytes do not go through the connection: each worker has a ring in
 *    one shared segment (the arena, a memfd: nothing in /dev/shm), where
 *    the manager copies a chunk's arguments and the worker writes its
 *    results; messages carry offsets (pool_impl.h). A chunk bigger than the
 *    ring (16 MiB) goes as bytes in the message instead.
 *  - A worker that dies (killed, crashed) closes its connection: the
 *    manager sees EOF at once, reaps it (mp_process_join gives "killed by
 *    signal 9"), and every task of every chunk the worker had *started*
 *    and not reported fails with MP_POOL_WORKER_DIED, naming the worker's
 *    PID and exit code. (Each worker writes the number of the chunk it
 *    starts into a shared word, so the manager can tell; a chunk it had
 *    finished but whose results it had not yet sent fails too: its results
 *    died with it.) Chunks it had been sent but not started go to other
 *    workers, as if never sent. A
 *    replacement starts and every other task completes. Python's Pool
 *    instead waits forever for the lost task (gh-66587), and
 *    concurrent.futures breaks the whole pool (BrokenProcessPool).
 *  - A worker's time is its own: a task that never returns keeps its worker
 *    busy until terminate.
 *  - Nothing is left behind: workers are registered children (children.h:
 *    Ctrl-C stops them), and a process pool still running when the program
 *    exits is terminated first, as Python's finalizers do.
 *
 * Python's rules kept: results of map / imap come back in argument order
 * (imap_unordered: in completion order); the default chunksize of map is
 * Python's (mp_pool_chunksize), imap's is 1; maxtasksperchild counts
 * chunks, as Python's workers do (one chunk of a map is one "task" to
 * them); get(timeout) that expires returns -ETIMEDOUT and the tasks go on;
 * callbacks run in a thread of the pool (the manager, or for threads the
 * worker that finished the job), one per job, so a slow callback delays
 * the pool; close then join waits for all the work, terminate stops it:
 * unfinished jobs fail with MP_POOL_TERMINATED, and no callback runs for
 * them (Python's leave their results waiting forever). Threads cannot be
 * killed: terminate on a thread pool lets each thread finish the chunk it
 * is running. A callback runs in one of the threads terminate waits for:
 * terminate from a callback asks for the stop and returns (as Python's
 * skips joining the thread it runs in), the stop happens once the callback
 * returns, and join or free from another thread waits for it; join from a
 * callback is -EDEADLK, free from a callback is refused (reported).
 *
 * Statuses: 0 or a negative errno. A task's own error is the non-zero value
 * its function returned (negated if it was positive). Besides:
 *   -ETIMEDOUT            get / wait / next: not ready within the timeout
 *   MP_POOL_WORKER_DIED   (-EOWNERDEAD) the worker running the task died
 *   MP_POOL_TERMINATED    (-ECANCELED) terminate came first
 *   MP_POOL_CLOSED        (-ESHUTDOWN) work given to a closed pool
 *   MP_POOL_END           (-ENODATA) an imap iterator has nothing more
 *   -ENOENT               spawn / forkserver: the function is not registered
 *   -ECHILD               a forked child gave work to its parent's pool, or asked for a job's
 *                         results (get, wait, next): it has none of the pool's workers
 *   -EDEADLK              join from a callback of the same pool (it would wait for itself)
 *   -EINVAL               bad arguments (sizes, join before close)
 *
 * Lesson 05 needs to know who ran what when: pass an mp_task_info array
 * (one per task) in the options and map fills it.
 */
#ifndef MP_POOL_H
#define MP_POOL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MP_POOL_WORKER_DIED (-EOWNERDEAD)
#define MP_POOL_TERMINATED (-ECANCELED)
#define MP_POOL_CLOSED (-ESHUTDOWN)
#define MP_POOL_END (-ENODATA)

#define MP_POOL_ARG_MAX ((size_t)1 << 20) /* the largest arg_size or result_size */
#define MP_POOL_WORKERS_MAX 256

/* A task: read the argument, write the result, return 0 or an error. */
typedef int (*mp_task_fn)(const void *arg, void *result);
/* An initializer: run once in every worker (replacements too) before its
 * first task, with the pool's initargs bytes. */
typedef void (*mp_init_fn)(const void *initargs, size_t len);

/* ---- functions by name (spawn and forkserver workers) ----
 * MP_TASK(fn) at file scope registers fn (a task or an initializer) under
 * its name, before main() runs, in every run of the program. */
#define MP_TASKS_MAX 64
int mp_task_register(const char *name, void (*fn)(void));
const char *mp_task_name(void (*fn)(void)); /* NULL: not registered */
void (*mp_task_find(const char *name))(void);
#define MP_TASK(fn)                                                                 \
    __attribute__((constructor)) static void mp_task_register_##fn(void)            \
    {                                                                               \
        mp_task_register(#fn, (void (*)(void))fn);                                  \
    }

/* ---- the pool ---- */
enum { MP_POOL_THREADS = 0, MP_POOL_PROCESSES = 1 };

typedef struct mp_pool_opts {
    int backend;            /* MP_POOL_THREADS or MP_POOL_PROCESSES */
    int start;              /* processes: MP_START_*; -1: mp_get_start_method() */
    int workers;            /* 0: the CPUs usable by this process (os.process_cpu_count) */
    mp_init_fn initializer; /* NULL: none */
    const void *initargs;   /* copied at create */
    size_t initargs_len;
    int maxtasksperchild;   /* 0: a worker lives as long as the pool */
    size_t shared_bytes;    /* a buffer every worker sees (mp_pool_shared); 0: none */
} mp_pool_opts;
/* The defaults: threads, default start method, usable CPUs, nothing else. */
mp_pool_opts mp_pool_defaults(int backend);

typedef struct mp_pool mp_pool;

/* Start the workers (processes are started and running when it returns).
 * 0 or -errno (reported), *pool NULL on failure. */
int mp_pool_create(mp_pool **pool, const mp_pool_opts *opts);
int mp_pool_size(const mp_pool *pool);
/* The pool's shared buffer (opts.shared_bytes of it, zeroed at create), or
 * NULL without one. A process pool's workers map it too (it is part of the
 * arena they are handed, under every start method), so a map whose
 * arguments and results both lie in it copies neither: the workers read
 * the arguments and write the results in place, and the messages carry
 * offsets only -- the C form of handing a Pool a SharedMemory buffer
 * instead of pickling the data. A job with either outside it is copied as
 * usual. A thread pool's buffer is plain memory: threads share everything.
 * The buffer lives as long as the pool; a job using it must be done before
 * the caller changes the arguments or reads the results. */
void *mp_pool_shared(mp_pool *pool, size_t *bytes);
/* The workers now: PIDs (processes) or kernel TIDs (threads); how many. */
int mp_pool_workers(mp_pool *pool, pid_t *ids, int max);
/* Workers started so far, replacements included. */
int mp_pool_started(mp_pool *pool);

/* No more work may be given; what was given is finished. */
void mp_pool_close(mp_pool *pool);
/* Stop now: workers are killed (SIGTERM, SIGKILL after 1 s) or, threads,
 * stop after their current chunk; unfinished jobs fail MP_POOL_TERMINATED. */
void mp_pool_terminate(mp_pool *pool);
/* Wait until every worker has ended: after close (all work done) or
 * terminate. -EINVAL if neither was called (Python's ValueError);
 * -EDEADLK from a callback of this pool (it runs in a thread join waits for). */
int mp_pool_join(mp_pool *pool);
/* Terminate (unless closed and joined), join, and free the pool with every
 * job handle not yet freed. */
void mp_pool_free(mp_pool *pool);

/* The kind of pool in words, for tables and CSV: "thread", "process-fork",
 * "process-spawn", "process-forkserver" (start -1: the default method). */
const char *mp_pool_backend_name(int backend, int start);

/* Python's default chunksize for map: divmod(n, workers * 4), plus one if
 * there is a remainder (0 tasks: 0). */
size_t mp_pool_chunksize(size_t n, int workers);

/* ---- per task: who ran it, when, and how it ended ---- */
typedef struct mp_task_info {
    int err;            /* 0, the task's error, MP_POOL_WORKER_DIED, MP_POOL_TERMINATED */
    int worker;         /* the worker's slot, 0 .. size-1 (a replacement takes the dead one's) */
    pid_t pid, tid;     /* the process and kernel thread that ran it (the dead worker's PID) */
    int exitcode;       /* MP_POOL_WORKER_DIED: how the worker ended (-9: SIGKILL) */
    uint64_t start_ns, end_ns; /* mp_now_ns(); 0 if it never ran */
} mp_task_info;

/* The first failure of a job (the lowest item that failed). */
typedef struct mp_task_error {
    int err;            /* 0: none */
    size_t item;
    pid_t pid;          /* the worker that ran it */
    int exitcode;       /* MP_POOL_WORKER_DIED: its exit code (-SIG: killed by SIG) */
    size_t failed;      /* how many tasks of the job failed */
} mp_task_error;
/* "task 7: killed by signal 9 (Killed) in worker 4242" and the like. */
void mp_task_error_text(const mp_task_error *e, char *buf, size_t len);

/* ---- options of one call (all optional: NULL means none) ---- */
typedef struct mp_async mp_async;
typedef struct mp_call_opts {
    size_t chunksize;       /* 0: map's formula, imap's 1 */
    mp_task_info *info;     /* n entries, filled by the time the job is ready */
    /* Called once, in a pool thread: callback when every task succeeded
     * (with the results), else error_callback with the first failure. */
    void (*callback)(const void *results, size_t n, void *ctx);
    void (*error_callback)(const mp_task_error *e, void *ctx);
    void *ctx;
    bool progress;          /* imap: a progress bar on stderr (progress.h) */
    const char *label;      /* the bar's label ("tasks") */
    mp_task_error *error;   /* map / starmap: the first failure, written here */
} mp_call_opts;

/* Blocking calls: return 0 or the first failure's status. results may be
 * NULL only if result_size is 0 (tasks that return nothing but a status). */
int mp_pool_map(mp_pool *pool, mp_task_fn fn, const void *args, size_t n, size_t arg_size, void *results,
                size_t result_size, const mp_call_opts *o);
/* starmap: map over an array of argument structs (the packed tuples). */
int mp_pool_starmap(mp_pool *pool, mp_task_fn fn, const void *arg_structs, size_t n, size_t struct_size,
                    void *results, size_t result_size, const mp_call_opts *o);
/* apply: one task, result into result; its status. */
int mp_pool_apply(mp_pool *pool, mp_task_fn fn, const void *arg, size_t arg_size, void *result,
                  size_t result_size);

/* Asynchronous calls: the arguments are copied; *h is the result handle. */
int mp_pool_map_async(mp_pool *pool, mp_task_fn fn, const void *args, size_t n, size_t arg_size,
                      size_t result_size, const mp_call_opts *o, mp_async **h);
int mp_pool_apply_async(mp_pool *pool, mp_task_fn fn, const void *arg, size_t arg_size, size_t result_size,
                        const mp_call_opts *o, mp_async **h);

/* AsyncResult.get(timeout): timeout_s < 0 waits as long as it takes.
 * 0: all done and results (n * result_size bytes, NULL: not copied)
 * filled; -ETIMEDOUT (the tasks go on); or the first failure's status
 * (mp_async_error says which item; the results of the others are filled). */
int mp_async_get(mp_async *h, double timeout_s, void *results);
int mp_async_wait(mp_async *h, double timeout_s); /* 0 once ready, -ETIMEDOUT */
bool mp_async_ready(mp_async *h);
/* 1 every task succeeded, 0 one failed, -EAGAIN not ready yet (Python's ValueError). */
int mp_async_successful(mp_async *h);
mp_task_error mp_async_error(mp_async *h);
/* Forget the handle (the job, if still running, finishes on its own). */
void mp_async_free(mp_async *h);

/* imap / imap_unordered: an iterator over the results. Each next hands out
 * one result: in argument order (imap), or as they complete
 * (imap_unordered). The arguments are copied. */
typedef struct mp_async mp_imap;
int mp_pool_imap(mp_pool *pool, mp_task_fn fn, const void *args, size_t n, size_t arg_size, size_t result_size,
                 const mp_call_opts *o, mp_imap **it);
int mp_pool_imap_unordered(mp_pool *pool, mp_task_fn fn, const void *args, size_t n, size_t arg_size,
                           size_t result_size, const mp_call_opts *o, mp_imap **it);
/* The next result into result (result_size bytes) and its item number into
 * *item: 0; that task's error (the result is not written; next goes on
 * with the following one, as Python's next() does after raising);
 * -ETIMEDOUT; MP_POOL_END once every result was handed out. */
int mp_imap_next(mp_imap *it, double timeout_s, void *result, size_t *item);
void mp_imap_free(mp_imap *it);

#endif
