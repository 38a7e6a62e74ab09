/* shm: memory that processes share, whatever started them.
 *
 * Layer 2 (memory). Mirrors the memory under multiprocessing's Value, Array
 * and shared_memory. Ordinary memory is copied at fork: a child's writes to
 * a global are its own (lesson 01). A shared segment is the same physical
 * memory in every process that maps it, so a child can leave its result
 * where the parent will read it.
 *
 * The segment is a memfd: a file that lives only in memory and has no name
 * in any folder. A forked child inherits the mapping; a spawned or
 * forkserver child, which inherits no memory, is handed the descriptor
 * (mp_process_pass_fd) and maps it with mp_shm_attach. Nothing can be left
 * behind in /dev/shm: the kernel frees the memory when the last process
 * holding the descriptor or a mapping has closed it or exited.
 */
#ifndef MP_SHM_H
#define MP_SHM_H

#include <stddef.h>

typedef struct mp_shm {
    void *p;      /* the mapping: zeroed when created */
    size_t bytes;
    int fd;       /* close-on-exec; hand it to a child to share the segment */
} mp_shm;

/* Create a zeroed segment of `bytes` (name: shown in /proc/PID/fd, for
 * people, "mpkit-..."). 0 or -errno (the failed call is reported). */
int mp_shm_create(mp_shm *s, const char *name, size_t bytes);

/* Map the segment behind fd (its size from fstat); takes ownership of fd
 * (closed by mp_shm_close). 0 or -errno: -EINVAL if fd is not a segment. */
int mp_shm_attach(mp_shm *s, int fd);

/* Unmap and close; the memory goes when every process has done so. */
void mp_shm_close(mp_shm *s);

#endif
