/* spawning (the spawn start method): start a child as a fresh run of this same program.
 *
 * Mirrors multiprocessing's spawn start method and spawn_main(). A spawned
 * child is a new exec of the running binary (posix_spawn of /proc/self/exe):
 * it shares no memory with its parent, so it cannot receive a function
 * pointer or a pointer to the parent's data. Instead:
 *  - the functions a child may run are listed by name in a table, and
 *  - their arguments travel as bytes (Python pickles them), over a socket
 *    the child inherits, together with its name; descriptors it needs are
 *    handed over explicitly (mp_process_pass_fd).
 *
 * The program's main() calls mp_spawn_main() first thing:
 *
 *     static const mp_entry entries[] = {MP_ENTRY(worker), MP_ENTRY(other), {0}};
 *     int main(int argc, char **argv)
 *     {
 *         mp_spawn_main(argc, argv, entries);  // the guard
 *         ... the program ...
 *     }
 *
 * In the parent it returns at once. In a spawned child it reads which entry
 * to run and its arguments, runs it and exits: the rest of main() never runs
 * there. That call is the C form of Python's `if __name__ == '__main__':` --
 * the spawned Python child re-imports your main module, and only the guard
 * keeps it from running your whole program again (lesson 04, part 5).
 *
 * The same call serves the forkserver (forkserver.h): it is started as a
 * spawned copy of the program too, and runs its loop from here.
 */
#ifndef MP_SPAWNING_H
#define MP_SPAWNING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "process.h"

typedef struct mp_entry {
    const char *name;
    mp_target fn;
} mp_entry;
#define MP_ENTRY(fn) {#fn, fn}

/* The dispatcher: returns in the parent; never returns in a spawned child or
 * in the forkserver. entries ends with {0}. */
void mp_spawn_main(int argc, char **argv, const mp_entry *entries);

/* The registered name of fn, or NULL (the parent's side of the lookup). */
const char *mp_spawn_name_of(mp_target fn);
/* The function registered as name, or NULL (the child's side). */
mp_target mp_spawn_lookup(const char *name);

/* True in a spawned child whose main() has not reached mp_spawn_main() yet:
 * starting a process then is the error Python reports as "An attempt has
 * been made to start a new process before the current process has finished
 * its bootstrapping phase". */
bool mp_spawn_bootstrapping(void);

/* In a child: descriptor number i of those the parent passed
 * (mp_process_pass_fd), or -1. */
int mp_child_fd(int i);
void mp_set_child_fds(const int *fds, int n); /* the library's side */

/* ---- the request a child receives: shared by spawn and the forkserver ---- */

#define MP_SPAWN_MAGIC 0x4d504b31u /* "MPK1" */
#define MP_MAX_PASS_FDS 8

typedef struct mp_spawn_request {
    uint32_t magic;
    uint32_t name_len;  /* the entry's name follows, then the role, then the args */
    uint32_t role_len;
    uint32_t nfds;      /* descriptors passed (spawn: at 10, 11, ...; forkserver: SCM_RIGHTS) */
    uint64_t args_len;
    int32_t parent;     /* the PID of the process that asked for the child */
    int32_t trace;      /* 1: record trace events in the child; -1: no trace log was handed over */
} mp_spawn_request;

/* What a child (or the forkserver) answers: 0, or -ENOENT (no such entry),
 * -EPROTO (the request did not arrive whole). */
typedef struct mp_spawn_reply {
    int32_t status;
    int32_t pid;
} mp_spawn_reply;

/* A request read whole: the caller frees it with free(). */
typedef struct mp_spawn_job {
    mp_spawn_request req;
    char *name, *role;
    void *args;
    mp_target fn;
} mp_spawn_job;

/* Write/read one request: the header, then the body (name, role, args).
 * read: 0, -EPROTO (short or bad), -ENOENT (the name is not registered). */
mp_spawn_request mp_spawn_header(const mp_process *p, const char *name, int trace);
int mp_spawn_write_body(int fd, const mp_process *p, const char *name);
int mp_spawn_write_request(int fd, const mp_process *p, const char *name, int trace);
int mp_spawn_read_body(int fd, mp_spawn_job *job); /* job->req already read */
int mp_spawn_read_request(int fd, mp_spawn_job *job);
void mp_spawn_job_free(mp_spawn_job *job);

/* In the new child: become the process the job describes, run it, _exit.
 * fds are the passed descriptors as this child sees them; parent is the
 * PID the child must still have as its parent (else it exits at once). */
_Noreturn void mp_spawn_run(mp_spawn_job *job, const int *fds, int nfds, pid_t parent);

/* Our environment plus MPKIT_SPAWNED=1 (free() the array, not the strings). */
char **mp_spawn_environ(void);

/* The parent's side of --start spawn: launch, hand over the request, wait
 * for the child's acknowledgement. Fills p->pid. 0 or -errno. */
int mp_spawn_launch(mp_process *p);

/* posix_spawn this program as `exe MODE`, descriptor from[i] placed at
 * at[i] in the child and the trace log (if any) at MP_SPAWN_FD_TRACE; the
 * child's environment says it is bootstrapping. 0 or -errno (reported). */
#define MP_SPAWN_FD_TRACE 5
int mp_spawn_self_with(const char *mode, const int *from, const int *at, int n, pid_t *pid);

/* The path of the running binary (/proc/self/exe, resolved once). */
const char *mp_spawn_self(void);

/* Read/write exactly n bytes (retrying on EINTR); 0, or -EPROTO on EOF. */
int mp_read_full(int fd, void *buf, size_t n);
int mp_write_full(int fd, const void *buf, size_t n);

#endif
