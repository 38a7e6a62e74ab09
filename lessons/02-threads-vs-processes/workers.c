/* Lesson 02: how one job runs serially, in N threads or in N processes.
 *
 * The job is either counting primes (CPU-bound) or a number of waits
 * (I/O-bound). Each worker takes its share; a thread returns its result, a
 * process sends it back through a pipe, since its memory is its own.
 */
#define _GNU_SOURCE /* pipe2: Linux-specific */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "lesson02.h"

const char *const kind_names[] = {"serial", "thread", "process"};

/* What one worker needs. For a process it travels as bytes (a spawned child
 * shares no memory with us), so it holds values, never pointers. */
typedef struct share {
    job j;
    int index;
} share;

/* What one worker does: its share of the primes (blocks of 4096 numbers
 * dealt round-robin, see balance.c for why), or of the waits. Returns the
 * primes it counted or the waits it did. */
static uint64_t do_share(const job *j, int i)
{
    const char *what = j->load == CPU ? "count primes" : "wait";
    mp_trace_begin(what);
    uint64_t r;
    if (j->load == CPU) {
        r = mp_count_primes_share(0, j->bound, j->workers, i);
    } else {
        uint64_t lo, hi; /* waits dealt out as evenly as possible */
        mp_split_range(0, (uint64_t)j->waits, j->workers, i, &lo, &hi);
        mp_io_wait((int)(hi - lo), j->wait_ms);
        r = hi - lo;
    }
    mp_trace_end(what);
    return r;
}

static void *thread_main(void *arg)
{
    share *s = arg;
    return (void *)(uintptr_t)do_share(&s->j, s->index);
}

/* A child's memory is its own: its result comes back through a pipe (the
 * descriptor it was handed), as one 16-byte write of {index, result}. */
static int process_main(void *arg)
{
    const share *s = arg;
    uint64_t r[2] = {(uint64_t)s->index, do_share(&s->j, s->index)};
    return write(mp_child_fd(0), r, sizeof r) == sizeof r ? 0 : 1;
}

const mp_entry lesson02_entries[] = {MP_ENTRY(process_main), {0}};

static void run_threads(job *j, share *shares)
{
    mp_thread *threads = calloc((size_t)j->workers, sizeof *threads);
    CHECK(threads ? 0 : -ENOMEM);
    for (int i = 0; i < j->workers; i++) {
        char name[24];
        snprintf(name, sizeof name, "thread-%d", i + 1);
        mp_thread_init(&threads[i], name, thread_main, &shares[i]);
        CHECK(mp_thread_start(&threads[i]));
    }
    for (int i = 0; i < j->workers; i++) {
        void *r;
        CHECK(mp_thread_join(&threads[i], &r));
        j->result += (uint64_t)(uintptr_t)r;
    }
    free(threads);
}

static void run_processes(job *j, share *shares)
{
    mp_process *procs = calloc((size_t)j->workers, sizeof *procs);
    CHECK(procs ? 0 : -ENOMEM);
    int results[2];
    CHECK(pipe2(results, O_CLOEXEC) == 0 ? 0 : -errno); /* close-on-exec: handed on only on purpose */
    for (int i = 0; i < j->workers; i++) {
        char name[24];
        snprintf(name, sizeof name, "process-%d", i + 1);
        mp_process_init(&procs[i], name, process_main, NULL);
        mp_process_set_args(&procs[i], &shares[i], sizeof shares[i]);
        mp_process_pass_fd(&procs[i], results[1]);
        CHECK(mp_process_start(&procs[i]));
    }
    for (int i = 0; i < j->workers; i++)
        mp_lesson_join(&procs[i], MP_FOREVER); /* a worker that died stops the lesson, by name */
    close(results[1]);
    /* writes of up to PIPE_BUF (4096) bytes to a pipe never interleave, and
     * 256 workers' 16 bytes fit in the pipe's buffer while we join */
    for (int i = 0; i < j->workers; i++) {
        uint64_t r[2];
        CHECK(mp_read_full(results[0], r, sizeof r));
        j->result += r[1];
    }
    close(results[0]);
    free(procs);
}

void run_job(void *arg)
{
    job *j = arg;
    j->result = 0;
    if (j->how == SERIAL) {
        j->workers = 1;
        j->result = do_share(j, 0);
        return;
    }
    share *shares = calloc((size_t)j->workers, sizeof *shares);
    CHECK(shares ? 0 : -ENOMEM);
    for (int i = 0; i < j->workers; i++)
        shares[i] = (share){*j, i};
    const char *span = j->how == THREAD ? "start+join threads" : "start+join procs";
    mp_trace_begin(span);
    if (j->how == THREAD)
        run_threads(j, shares);
    else
        run_processes(j, shares);
    mp_trace_end(span);
    free(shares);
}
