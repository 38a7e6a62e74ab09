/* segment: named shared memory, found by name (shared_memory.SharedMemory).
 *
 * Layer 2 (memory). Python's shared_memory.SharedMemory(name=None,
 * create=True, size=N) makes a block in /dev/shm that any process can
 * attach by its name -- a process that was not started by the creator
 * included. The name outlives every process until someone unlinks it.
 *
 * CPython's trap (gh-82300): every process that attaches a SharedMemory
 * registers it with its resource tracker, which unlinks it when that process
 * exits -- so a reader that exits first destroys a segment the creator still
 * means to use (and the creator's own unlink then fails). The kit's rule:
 * only the creator unlinks. mp_segment_attach never registers anything; the
 * creating process unlinks its segments when it exits, also on SIGINT,
 * SIGTERM and SIGHUP (a clean-up hook, children.h), unless it unlinked them
 * itself before; its forked children never do. A process that has the
 * segment mapped keeps its memory after the unlink: the name goes, the
 * memory stays until the last mapping is gone.
 *
 * For memory shared only with your own children, an anonymous segment
 * (shm.h) is simpler: nothing can be left behind in /dev/shm.
 */
#ifndef MP_SEGMENT_H
#define MP_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define MP_SEGMENT_NAME 64 /* a name's longest, with its terminating 0 */

typedef struct mp_segment {
    void *p;                    /* the mapping: zeroed when created */
    size_t bytes;
    char name[MP_SEGMENT_NAME]; /* without the leading '/' */
    pid_t creator;              /* this process made it (0: attached) */
    int cleanup;                /* the creator's clean-up hook, -1 once unlinked */
    void *hook;                 /* what the clean-up hook needs: the creator's PID, the path */
} mp_segment;

/* Create a zeroed segment of `bytes` under `name` (letters, digits, '_',
 * '-', '.'; NULL: a new name, "mpkit_PID_N"). -EEXIST: the name is in use;
 * -EINVAL: a bad name or 0 bytes; -ENOSPC: the process holds as many
 * segments as there are clean-up hooks (children.h: 32, shared with the
 * rest of the kit). It is unlinked when this process exits, unless
 * mp_segment_unlink came first. */
int mp_segment_create(mp_segment *s, const char *name, size_t bytes);

/* Map the segment called `name`, its size from the segment itself; if
 * `bytes` is not 0, it must be that size (-EINVAL otherwise: a reader
 * expecting another layout). -ENOENT: no such name. Attaching never
 * unlinks anything. */
int mp_segment_attach(mp_segment *s, const char *name, size_t bytes);

/* Unmap (the name stays). */
void mp_segment_close(mp_segment *s);

/* Remove the name (SharedMemory.unlink()): new attaches fail with -ENOENT;
 * mappings stay valid. The creator's at-exit unlink is then dropped. 0,
 * or -ENOENT if the name was already gone. */
int mp_segment_unlink(mp_segment *s);

#endif
