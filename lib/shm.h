/* shm: memory that processes share.
 *
 * Mirrors multiprocessing.RawArray / Array(lock=False): an anonymous shared
 * mapping made before fork is the same physical memory in parent and
 * children, so a child can leave its result where the parent will read it.
 * (Ordinary memory is copied at fork: a child's writes to a global are its
 * own, as lesson 01 shows.) It has no name, so it can never be leaked: the
 * kernel frees it when the last process using it unmaps it or exits.
 */
#ifndef MP_SHM_H
#define MP_SHM_H

#include <stddef.h>

/* Zeroed shared memory, or NULL (the failed mmap is reported). */
void *mp_shared_alloc(size_t bytes);
void mp_shared_free(void *p, size_t bytes);

#endif
