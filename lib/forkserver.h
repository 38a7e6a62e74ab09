/* forkserver: a clean, single-threaded process that forks children on request.
 *
 * Mirrors multiprocessing's forkserver start method (the default on Linux
 * since Python 3.14). fork() copies the whole parent, including locks that
 * other threads held at that moment and never release in the child (lesson
 * 04, part 4); spawn avoids that but pays a full program start per child.
 * The forkserver is the middle way: started once, as a spawned copy of the
 * program (so it has no threads and no inherited state), it forks each child
 * from its own clean state, which is cheap.
 *
 * How a child comes to be: the parent sends the server a request (the
 * entry's name, the arguments as bytes, descriptors to pass, and a pipe for
 * the exit status) over a Unix socket; the server forks; the child runs the
 * entry. The server is the child's parent, so it reaps it and writes the
 * wait status into that pipe: the parent joins by reading it. The server
 * ends when the program does (its socket reaches EOF, or it is terminated
 * as the program exits), and its children die with it.
 */
#ifndef MP_FORKSERVER_H
#define MP_FORKSERVER_H

#include <sys/types.h>

#include "process.h"

/* Ask the server (started on first use) for a child running p's entry.
 * Fills p->pid and p->status_fd. 0, -ENOENT (not registered), -EPROTO, or
 * -errno. */
int mp_forkserver_start_child(mp_process *p);

/* The server's PID, or 0 if it is not running. */
pid_t mp_forkserver_pid(void);

/* Stop the server now (it also stops at exit); its children are killed. */
void mp_forkserver_stop(void);

/* The server's loop (called by mp_spawn_main in the server process). */
_Noreturn void mp_forkserver_serve(void);

#endif
