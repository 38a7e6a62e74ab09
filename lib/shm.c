#define _DEFAULT_SOURCE /* MAP_ANONYMOUS: not in POSIX 2008, on every Unix that matters */
#include "shm.h"

#include <errno.h>
#include <sys/mman.h>

#include "report.h"

void *mp_shared_alloc(size_t bytes)
{
    void *p = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        mp_syserr("mmap", errno);
        return NULL;
    }
    return p; /* anonymous mappings start zeroed */
}

void mp_shared_free(void *p, size_t bytes)
{
    if (p)
        munmap(p, bytes ? bytes : 1);
}
