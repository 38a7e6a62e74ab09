/* request: what a new child must be told, and how a process becomes one.
 *
 * Layer 3 (children). Whatever starts a child -- fork, spawn, the
 * forkserver -- the child needs the same things: what to run, its
 * argument, its name (role), the descriptors it was handed, who its parent
 * is, and whether to record trace events. A forked child finds them in its
 * copy of memory; a spawned or forkserver child receives them as a request,
 * written here in one wire format (Python pickles the same things for its
 * spawned children).
 *
 * Every child, however started, then runs the one routine here that makes
 * it a child: die with the parent (PR_SET_PDEATHSIG, checked against a
 * parent that may already be gone), take its role and its descriptors, run
 * the function, and end with _exit (never exit(): the atexit handlers of a
 * forked child are its parent's).
 */
#ifndef MP_REQUEST_H
#define MP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "entry.h"

/* Descriptors one child may be handed (mp_process_pass_fd). */
#define MP_MAX_FDS 8
/* The largest argument, as bytes, a spawned or forkserver child can be sent
 * (a fork child shares any size): a start with more is refused, -E2BIG. */
#define MP_MAX_ARGS_BYTES ((size_t)1 << 30)

typedef struct mp_request {
    mp_target fn;          /* fork: what to run, with arg */
    void *arg;
    const char *entry;     /* spawn, forkserver: fn's registered name, */
    const void *args;      /* and the argument as bytes (NULL: none) */
    size_t args_len;
    const char *role;      /* the child's name in its report lines */
    const int *fds;        /* handed over: the child finds fds[i] as mp_child_fd(i) */
    int nfds;
    bool keep_all_fds;     /* fork: keep every inherited descriptor (default: only fds) */
} mp_request;

/* ---- the wire format: a header, then the entry's name, the role, the args ---- */
#define MP_REQUEST_MAGIC 0x4d504b32u /* "MPK2" */
typedef struct mp_request_header {
    uint32_t magic;
    uint32_t name_len, role_len, nfds;
    uint64_t args_len;
    int32_t parent;        /* the PID the child must have as its parent */
    int32_t trace;         /* 1: record events, 0: do not, -1: no log handed over */
    int32_t trace_fd;      /* which of the handed descriptors is the trace log, -1: none */
    int32_t pad;
} mp_request_header;

/* What a child (or the forkserver) answers: 0, or -ENOENT (no such entry),
 * -EPROTO (the request did not arrive whole), -E2BIG (arguments too large). */
typedef struct mp_reply {
    int32_t status;
    int32_t pid;
} mp_reply;

/* A request as a child read it. mp_job_free() frees it. */
typedef struct mp_job {
    mp_request_header h;
    char *name, *role;
    void *args;
    mp_target fn;
} mp_job;

/* The header for r, sent by this process, with nfds handed descriptors of
 * which trace_fd (or -1) is the trace log. */
mp_request_header mp_request_header_for(const mp_request *r, int nfds, int trace_fd);
/* The body after the header: name, role, args. timeout_ms < 0: no limit. */
int mp_request_write_body(int sock, const mp_request *r, int timeout_ms);
/* Read the body for a header already read: 0, -EPROTO (short or bad),
 * -E2BIG (args over MP_MAX_ARGS_BYTES: they are read and dropped, so the
 * stream stays in step), -ENOENT (the name is not registered). */
int mp_request_read_body(int fd, mp_job *job);
void mp_job_free(mp_job *job);

/* ---- the child's side ---- */

/* Die with the parent from now on; exit at once if it is already gone. */
void mp_child_die_with(pid_t parent);
/* Become the child: die with the parent, take the role and the handed
 * descriptors (found with mp_child_fd). */
void mp_child_become(pid_t parent, const char *role, const int *fds, int nfds);
/* In a child: descriptor number i of those the parent handed over, or -1. */
int mp_child_fd(int i);
/* Run fn(arg) and end the child with its return value as the exit code. */
_Noreturn void mp_child_run(mp_target fn, void *arg);
/* How a child ends: flush what it printed, then _exit(code). */
_Noreturn void mp_child_exit(int code);

#endif
