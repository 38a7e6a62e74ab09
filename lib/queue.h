/* queue: a bounded FIFO of byte items shared by threads and processes.
 *
 * Mirrors multiprocessing.Queue and JoinableQueue: put and get with block
 * and timeout (Python's put(item, block, timeout) / get(block, timeout)),
 * put_nowait / get_nowait (timeout 0), Full and Empty as distinct
 * statuses, qsize / empty / full, close, task_done and join. Bytes only:
 * there is no pickle in C, a caller puts a struct or a string as bytes.
 * Layer 4 (the Python-shaped primitives), on shm (layer 2: the queue lives
 * in one memfd segment, never a /dev/shm name) and trace (layer 2: a put or
 * get that has to wait is a "put-wait" / "get-wait" span when tracing is
 * on, so a timeline shows producers waiting on a full queue and consumers
 * on an empty one).
 *
 * Differences from Python, on purpose:
 *  - No feeder thread: put copies the item into the shared ring before it
 *    returns, so an item put is in the queue (Python's put returns before
 *    its feeder thread has written the item to the pipe).
 *  - close() ends the stream for everyone, not just for this process's
 *    puts: later puts are MP_QUEUE_CLOSED, and getters drain what is left,
 *    then get MP_QUEUE_END, so a consumer needs no sentinel.
 *  - A process killed while using the queue does not stop the others (see
 *    "A dead user" below); Python's queue can deadlock for good when one is
 *    killed holding its lock.
 *
 * Creating and sharing: mp_queue_create in the parent before the processes
 * that use it. A forked child uses the same mp_queue as it is. A spawned or
 * forkserver child is handed the segment, mp_process_pass_fd(&p,
 * mp_queue_fd(&q)), and attaches: mp_queue_attach(&q, mp_child_fd(i)).
 * Threads of one process share one mp_queue.
 *
 * How it works, and a dead user: the queue is a ring of maxsize slots,
 * each holding one item inline (its length and item_max bytes) and a
 * sequence number that says whose turn the slot is (D. Vyukov's bounded
 * multi-producer multi-consumer queue). A put claims the next position with
 * one compare-and-swap on a shared counter, copies its item into the slot
 * and publishes it by advancing the slot's number with a plain store; a get
 * does the same on its own counter. No lock: nobody can die holding one,
 * and a put or get that does not wait costs one atomic instruction, a copy
 * and no system call (lock-per-operation designs, even with a robust mutex,
 * could not reach half the speed of a bare ring between two processes). A
 * put or get that must wait spins briefly on the slot, then sleeps on a
 * futex in slices of at most 100 ms. Waking it takes no fence on the fast
 * path: the claimer reads the count of sleepers right after its
 * compare-and-swap (which is one), and a sleeper that finds the operation
 * it waits for claimed but not yet published sleeps at most 1 ms before it
 * looks again; FUTEX_WAKE is called only when someone is asleep in it. The
 * one weak point of a lock-free ring is a process killed between
 * claiming a slot and finishing with it: the slot stays claimed, and the
 * others would wait for it forever. So each thread that uses the queue owns
 * an entry in a table in the segment (256 entries; a dead process's are
 * reused) and writes there the position it is about to claim before it
 * claims it. A put or get or join that has waited 50 ms looks, every
 * 50-100 ms, for entries of dead processes (gone, or a zombie not yet
 * reaped) and finishes their work, with a compare-and-swap on the slot so
 * that it happens once:
 *  - a put that died before it had published its item: the slot is marked
 *    empty and getters skip it. The item was never put (that put never
 *    returned); an item whose put returned is never lost.
 *  - a get that died after claiming its item: the slot is freed for the
 *    putters, and mp_queue_lost() counts 1 item the dead process may have
 *    taken (it may or may not have copied it). For join, that item counts as
 *    finished, so join does not wait for it. Items still in the queue are
 *    never lost: a process that dies outside put and get takes nothing.
 *  - a process that died holding items it got but had not said task_done
 *    for (a JoinableQueue): nobody will finish them, so they count as
 *    finished and mp_queue_abandoned() counts them; join goes on. Each
 *    thread's entry counts the items it got less its task_done calls, and
 *    a dead process's counts are summed over all its threads (a thread may
 *    finish what another one got); a process that finished more than it got
 *    (task_done for another process's items) owes nothing. An entry of an
 *    ended thread that still owes stays until its process dies.
 *    (Python's join waits forever for them.)
 * So the queue recovers by itself, and no call ever returns a "broken"
 * status: any waiting call notices a dead user within 0.25 s of waiting
 * (grace 50 ms + one 100 ms slice + the scan), and goes on. Limit: a
 * recycled PID looks alive; if the kernel gives a dead user's PID to a new
 * process before anyone noticed the death, the dead user's slot stays stuck
 * until that process ends (PIDs are reused only after the whole PID range,
 * 4 million on this kernel, has been used).
 *
 * Statuses: 0, or a negative errno:
 *   MP_QUEUE_FULL   (-ENOBUFS)  put: no room, and no room came within the
 *                               timeout (0: put_nowait). Python's Full.
 *   MP_QUEUE_EMPTY  (-EAGAIN)   get: nothing, and nothing came within the
 *                               timeout (0: get_nowait). Python's Empty.
 *   MP_QUEUE_CLOSED (-EPIPE)    put after mp_queue_close.
 *   MP_QUEUE_END    (-ENODATA)  get after mp_queue_close once the queue is
 *                               drained: the end of the stream.
 *   -EMSGSIZE                   put: the item is longer than item_max.
 *   -EINVAL                     bad arguments (get: cap < item_max).
 *   -EOVERFLOW                  task_done called more times than items were
 *                               got (Python's ValueError).
 *   -ENOTSUP                    task_done / join on a queue not joinable.
 *   -ETIMEDOUT                  join: tasks still unfinished at the timeout.
 *   -EUSERS                     more than 256 live threads use the queue.
 *   -EOWNERDEAD                 this user was taken for dead by another (its
 *                               process looked gone): cannot happen while it
 *                               lives, unless its PID was recycled (seen
 *                               just before it publishes, not atomically).
 */
#ifndef MP_QUEUE_H
#define MP_QUEUE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm.h"

#define MP_QUEUE_FULL (-ENOBUFS)
#define MP_QUEUE_EMPTY (-EAGAIN)
#define MP_QUEUE_CLOSED (-EPIPE)
#define MP_QUEUE_END (-ENODATA)

#define MP_QUEUE_ITEM_MAX ((size_t)16 << 20) /* the largest item_max a queue may be created with */

struct mp_queue_shared; /* the segment's layout: private to queue.c */

typedef struct mp_queue {
    mp_shm shm;
    struct mp_queue_shared *s; /* = shm.p */
} mp_queue;

/* A new queue of at most maxsize items (Python's maxsize; >= 1: this queue
 * is always bounded) of at most item_max bytes each (1 .. MP_QUEUE_ITEM_MAX;
 * 64 KiB is fine). joinable: also task_done / join. 0 or -errno (-EINVAL
 * for sizes out of range; the failed call is reported). */
int mp_queue_create(mp_queue *q, size_t maxsize, size_t item_max, bool joinable);

/* In a spawned or forkserver child: map the queue behind fd (a
 * mp_child_fd(i)); takes ownership of fd. -EINVAL if fd is not a queue. */
int mp_queue_attach(mp_queue *q, int fd);

/* The segment's descriptor, to hand to a child with mp_process_pass_fd. */
int mp_queue_fd(const mp_queue *q);

/* Unmap this process's view (the queue lives on while others hold it). */
void mp_queue_detach(mp_queue *q);

/* Put len bytes (0 .. item_max) as one item. timeout_s: 0 does not wait
 * (put_nowait), > 0 waits at most that long for room, < 0 waits as long as
 * it takes. 0, MP_QUEUE_FULL, MP_QUEUE_CLOSED, -EMSGSIZE, ... */
int mp_queue_put(mp_queue *q, const void *item, size_t len, double timeout_s);

/* Get the oldest item into buf (cap >= item_max) and set *len. timeout_s as
 * for put. 0, MP_QUEUE_EMPTY, MP_QUEUE_END, ... */
int mp_queue_get(mp_queue *q, void *buf, size_t cap, size_t *len, double timeout_s);

/* No more puts, by anyone; getters drain, then see MP_QUEUE_END; blocked
 * putters and getters wake at once. Safe to call twice. */
void mp_queue_close(mp_queue *q);

/* Items in the queue now: approximate, as Python says of qsize(), because
 * other users may put or get before the caller looks at the number. */
size_t mp_queue_qsize(const mp_queue *q);
bool mp_queue_empty(const mp_queue *q);
bool mp_queue_full(const mp_queue *q);
size_t mp_queue_maxsize(const mp_queue *q);
size_t mp_queue_item_max(const mp_queue *q);

/* JoinableQueue: one task_done per item got says that item is finished;
 * join waits until every item put has been finished (timeout_s as for put;
 * 0 when done, MP_QUEUE_EMPTY never: -ETIMEDOUT when the time ran out). */
int mp_queue_task_done(mp_queue *q);
int mp_queue_join(mp_queue *q, double timeout_s);

/* How many items processes that died while using the queue may have taken
 * with them (see "How it works, and a dead user" above). */
uint64_t mp_queue_lost(const mp_queue *q);
/* How many items dead processes got and never said task_done for (counted
 * as finished for join). */
uint64_t mp_queue_abandoned(const mp_queue *q);

/* For tests only: when set, called inside put and get of this process
 * between claiming a slot and finishing with it (where: 'p' for put, 'g'
 * for get), so that a test can kill a process exactly there, or hold it
 * there. NULL (the default) costs one well-predicted branch. */
extern void (*mp_queue_test_hook)(char where);

#endif
