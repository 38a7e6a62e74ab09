/* forkserver: a clean, single-threaded process that forks children on request.
 *
 * Layer 3 (children): a transport, one of the ways process.c starts a
 * child. Mirrors multiprocessing's forkserver start method (the default on
 * Linux since Python 3.14). fork() copies the whole parent, including locks
 * that other threads held at that moment and never release in the child
 * (lesson 04, part 4); spawn avoids that but pays a full program start per
 * child. The forkserver is the middle way: started once, as a spawned copy
 * of the program (spawn.h; so it has no threads and no inherited state), it
 * forks each child from its own clean state, which is cheap.
 *
 * How a child comes to be: the parent sends the server a request
 * (request.h: the entry's name, the argument as bytes) with the descriptors
 * to hand over and a pipe for the exit status, over a Unix socket; the
 * server forks; the child runs the entry. The server is the child's parent,
 * so it reaps it and writes the wait status into that pipe: the parent
 * joins by reading it. A request the server cannot serve (an unknown name,
 * arguments over MP_MAX_ARGS_BYTES) is refused with an error and the server
 * goes on serving. The server ends when the program does (its socket
 * reaches EOF, or its parent dies), and its children die with it.
 */
#ifndef MP_FORKSERVER_H
#define MP_FORKSERVER_H

#include <sys/types.h>

#include "request.h"

/* Ask the server (started on first use) for a child running r. Fills *pid
 * and *status_fd and publishes them in registry slot `slot` (children.h).
 * 0, -ENOENT (not registered), -E2BIG, -EPIPE (the server died: said in one
 * line; the next start starts a new server), or -errno. */
int mp_forkserver_start(const mp_request *r, int slot, pid_t *pid, int *status_fd);

/* The server's PID, or 0 if it is not running. */
pid_t mp_forkserver_pid(void);

/* Stop the server now (it also stops at exit); its children are killed. */
void mp_forkserver_stop(void);

/* The server's loop (called by mp_spawn_main in the server process). */
_Noreturn void mp_forkserver_serve(int argc, char **argv);

#endif
