/* segment: named shared memory in /dev/shm (segment.h). */
#include "segment.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "children.h"
#include "report.h"

static bool good_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= MP_SEGMENT_NAME || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.'))
            return false;
    }
    return true;
}

/* What the clean-up hook needs, in its own allocation: the hook may run
 * in a signal handler, where it may call getpid() and unlink() and nothing
 * that allocates. */
typedef struct unlink_hook {
    pid_t creator;
    char path[sizeof "/dev/shm/" + MP_SEGMENT_NAME];
} unlink_hook;

/* Only in the creator: a plain fork() of it carries a copy of its hooks and
 * of its exit and signal handlers (children.h), and that copy's exit or
 * SIGTERM must not take the name from under the creator. */
static void unlink_at_exit(void *ctx)
{
    const unlink_hook *h = ctx;
    if (getpid() == h->creator)
        (void)unlink(h->path);
}

static int map(mp_segment *s, int fd, size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int err = errno;
    close(fd); /* the mapping keeps the memory */
    if (p == MAP_FAILED) {
        mp_error("mmap of shared memory segment %s (%zu bytes): %s", s->name, bytes, strerror(err));
        return -err;
    }
    s->p = p;
    s->bytes = bytes;
    return 0;
}

int mp_segment_create(mp_segment *s, const char *name, size_t bytes)
{
    static atomic_uint made;
    *s = (mp_segment){.cleanup = -1};
    if (name)
        snprintf(s->name, sizeof s->name, "%s", name);
    else
        snprintf(s->name, sizeof s->name, "mpkit_%d_%u", (int)getpid(), atomic_fetch_add(&made, 1));
    if (bytes == 0 || !good_name(s->name))
        return -EINVAL;
    char path[MP_SEGMENT_NAME + 1];
    snprintf(path, sizeof path, "/%s", s->name);
    int fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno; /* EEXIST: in use -- the caller says what that means */
    if (ftruncate(fd, (off_t)bytes) != 0) {
        int err = errno;
        mp_error("ftruncate of shared memory segment %s to %zu bytes: %s", s->name, bytes, strerror(err));
        close(fd);
        shm_unlink(path);
        return -err;
    }
    int rc = map(s, fd, bytes);
    if (rc != 0) {
        shm_unlink(path);
        return rc;
    }
    unlink_hook *h = malloc(sizeof *h);
    if (h) {
        h->creator = getpid();
        snprintf(h->path, sizeof h->path, "/dev/shm%s", path);
    }
    s->cleanup = h ? mp_on_cleanup(unlink_at_exit, h) : -ENOMEM;
    if (s->cleanup < 0) {
        rc = s->cleanup;
        free(h);
        mp_segment_close(s);
        shm_unlink(path);
        *s = (mp_segment){.cleanup = -1};
        return rc; /* -ENOMEM, or -ENOSPC: the table of clean-up hooks is full */
    }
    s->hook = h;
    s->creator = getpid();
    return 0;
}

int mp_segment_attach(mp_segment *s, const char *name, size_t bytes)
{
    *s = (mp_segment){.cleanup = -1};
    if (!name || !good_name(name))
        return -EINVAL;
    snprintf(s->name, sizeof s->name, "%s", name);
    char path[MP_SEGMENT_NAME + 1];
    snprintf(path, sizeof path, "/%s", name);
    int fd = shm_open(path, O_RDWR | O_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0 || (bytes && (size_t)st.st_size != bytes)) {
        close(fd);
        return -EINVAL;
    }
    return map(s, fd, (size_t)st.st_size);
}

void mp_segment_close(mp_segment *s)
{
    if (s->p)
        munmap(s->p, s->bytes);
    s->p = NULL;
}

int mp_segment_unlink(mp_segment *s)
{
    if (s->cleanup >= 0 && s->creator == getpid()) {
        mp_cleanup_remove(s->cleanup);
        s->cleanup = -1;
        free(s->hook);
        s->hook = NULL;
    }
    char path[MP_SEGMENT_NAME + 1];
    snprintf(path, sizeof path, "/%s", s->name);
    return shm_unlink(path) == 0 ? 0 : -errno;
}
