#define _GNU_SOURCE /* memfd_create: Linux-specific */
#include "shm.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

static int failed(const char *call, int e)
{
    mp_syserr(call, e);
    return -e;
}

int mp_shm_create(mp_shm *s, const char *name, size_t bytes)
{
    *s = (mp_shm){NULL, 0, -1};
    if (bytes == 0)
        return -EINVAL;
    int fd = memfd_create(name ? name : "mpkit-shm", MFD_CLOEXEC);
    if (fd < 0)
        return failed("memfd_create", errno);
    if (ftruncate(fd, (off_t)bytes) != 0) {
        int e = errno;
        close(fd);
        return failed("ftruncate", e);
    }
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        close(fd);
        return failed("mmap", e);
    }
    *s = (mp_shm){p, bytes, fd}; /* a new memfd reads as zeroes */
    return 0;
}

int mp_shm_attach(mp_shm *s, int fd)
{
    *s = (mp_shm){NULL, 0, -1};
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -errno;
    if (!S_ISREG(st.st_mode) || st.st_size <= 0)
        return -EINVAL;
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return -errno;
    *s = (mp_shm){p, (size_t)st.st_size, fd};
    return 0;
}

void mp_shm_close(mp_shm *s)
{
    if (s->p)
        munmap(s->p, s->bytes);
    if (s->fd >= 0)
        close(s->fd);
    *s = (mp_shm){NULL, 0, -1};
}
