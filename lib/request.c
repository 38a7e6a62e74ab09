#define _GNU_SOURCE /* PR_SET_PDEATHSIG: Linux-specific */
#include "request.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h> /* __fpending: glibc and musl */
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "children.h"
#include "clock.h"
#include "fd.h"
#include "report.h"

static int child_fds[MP_MAX_FDS];
static int child_nfds;

mp_request_header mp_request_header_for(const mp_request *r, int nfds, int trace_fd)
{
    return (mp_request_header){
        .magic = MP_REQUEST_MAGIC,
        .name_len = (uint32_t)strlen(r->entry),
        .role_len = (uint32_t)strlen(r->role),
        .nfds = (uint32_t)nfds,
        .args_len = r->args ? r->args_len : 0,
        .parent = (int32_t)getpid(),
        .trace = -1,
        .trace_fd = trace_fd,
    };
}

int mp_request_write_body(int sock, const mp_request *r, int timeout_ms)
{
    const void *parts[] = {r->entry, r->role, r->args};
    size_t lens[] = {strlen(r->entry), strlen(r->role), r->args ? r->args_len : 0};
    uint64_t deadline = mp_now_ns() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000000u;
    for (int i = 0; i < 3; i++) {
        if (!lens[i])
            continue;
        int rc;
        if (timeout_ms < 0) {
            rc = mp_write_full(sock, parts[i], lens[i]);
        } else { /* one time limit for the whole body, not one per part */
            uint64_t now = mp_now_ns();
            if (now >= deadline)
                return -ETIMEDOUT;
            rc = mp_write_full_within(sock, parts[i], lens[i], (int)((deadline - now + 999999) / 1000000));
        }
        if (rc)
            return rc;
    }
    return 0;
}

void mp_job_free(mp_job *job)
{
    free(job->name);
    free(job->role);
    free(job->args);
    job->name = job->role = NULL;
    job->args = NULL;
}

/* Read and drop n bytes: an oversized request leaves the stream in step. */
static int skip(int fd, uint64_t n)
{
    char buf[65536];
    while (n > 0) {
        size_t k = n < sizeof buf ? (size_t)n : sizeof buf;
        if (mp_read_full(fd, buf, k) != 0)
            return -EPROTO;
        n -= k;
    }
    return 0;
}

int mp_request_read_body(int fd, mp_job *job)
{
    const mp_request_header *h = &job->h;
    if (h->magic != MP_REQUEST_MAGIC || h->name_len > 4096 || h->role_len > 4096 || h->nfds > MP_MAX_FDS + 1)
        return -EPROTO;
    job->name = calloc(1, h->name_len + 1);
    job->role = calloc(1, h->role_len + 1);
    if (!job->name || !job->role)
        return -ENOMEM;
    if (mp_read_full(fd, job->name, h->name_len) != 0 || mp_read_full(fd, job->role, h->role_len) != 0)
        return -EPROTO;
    if (h->args_len > MP_MAX_ARGS_BYTES)
        return skip(fd, h->args_len) ? -EPROTO : -E2BIG;
    if (h->args_len) {
        job->args = malloc(h->args_len);
        if (!job->args)
            return skip(fd, h->args_len) ? -EPROTO : -ENOMEM;
        if (mp_read_full(fd, job->args, h->args_len) != 0)
            return -EPROTO; /* the arguments did not arrive whole */
    }
    job->fn = mp_entry_find(job->name);
    return job->fn ? 0 : -ENOENT;
}

/* ---- the child's side ---- */

void mp_child_die_with(pid_t parent)
{
    /* the kernel sends SIGKILL when the parent dies -- strictly, when the
     * parent *thread* that started us exits (see process.h) -- and the
     * parent may have died already, before we asked */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(128 + SIGKILL);
}

void mp_child_become(pid_t parent, const char *role, const int *fds, int nfds)
{
    mp_child_die_with(parent);
    mp_set_role(role);
    /* (no write when none: every page a new fork child writes is a copy) */
    for (int i = 0; i < nfds && i < MP_MAX_FDS; i++)
        child_fds[i] = fds[i];
    if (child_nfds != nfds) /* a parent that was itself a child had its own */
        child_nfds = nfds;
}

int mp_child_fd(int i) { return i >= 0 && i < child_nfds ? child_fds[i] : -1; }

_Noreturn void mp_child_run(mp_target fn, void *arg) { mp_child_exit(fn(arg)); }

_Noreturn void mp_child_exit(int code)
{
    /* this child's own children and clean-up hooks (a named segment it
     * created): its parent's were forgotten when it started */
    mp_children_at_exit();
    /* _exit, not exit: the atexit handlers and stdio buffers a forked child
     * inherited belong to the parent. Flush only what this child printed,
     * and only if it printed anything: fflush() writes to the FILE (its
     * lock), a copy on write fault that a silent child need not pay. */
    if (__fpending(stdout))
        fflush(stdout);
    if (__fpending(stderr))
        fflush(stderr);
    _exit(code & 0xff);
}
