/* spawn: start a child as a fresh run of this same program.
 *
 * Layer 3 (children): a transport, one of the ways process.c starts a
 * child. Mirrors multiprocessing's spawn start method. The child is a new
 * exec of the running binary (/proc/self/exe, started as
 * `exe --mp-spawn PARENT`): it shares no memory with its parent, so it gets
 * a function's registered name (entry.h) and the argument as bytes, in a
 * request (request.h) over a socket it inherits, with the descriptors it
 * was handed. It answers on the same socket once it has read the request
 * and is about to run, or tells why not; a child that dies first closes
 * the socket: an error, never a hang. Its main() reaches mp_spawn_main()
 * (guard.h), which calls mp_spawn_child() below.
 *
 * Descriptors: the child gets exactly the socket (3) and the handed ones (4,
 * 5, ...) besides 0, 1, 2; everything else is closed in it, whether or not
 * it was close-on-exec.
 */
#ifndef MP_SPAWN_H
#define MP_SPAWN_H

#include <sys/types.h>

#include "request.h"

/* Start a child for r: fills *pid (and publishes it in registry slot `slot`,
 * children.h, before anything can block), writes the request and waits for
 * the child's answer, each within mp_start_timeout_ms(). 0, or -errno: -ENOENT (not
 * registered), -EPROTO (the request did not arrive whole), -ECHILD (the
 * child ended before its main() reached mp_spawn_main), -ETIMEDOUT. When
 * *pid > 0 on failure, the child exists: the caller kills and reaps it. */
int mp_spawn_start(const mp_request *r, int slot, pid_t *pid);

/* How long a start may wait for a child or the forkserver to read its
 * request and answer: 30 s, or $MPKIT_START_TIMEOUT_MS (tests shorten it). */
int mp_start_timeout_ms(void);

/* Start this program as `exe MODE PARENT` (vfork and execve, as posix_spawn
 * does, plus a death signal asked for before exec, so that even a child
 * stuck before mp_spawn_main dies with us), with fds[i] placed at 3+i in
 * the child and nothing else open but 0, 1, 2; the child's environment says
 * it is bootstrapping (MPKIT_SPAWNED=1). The forkserver starts this way too.
 * 0 or -errno (reported). */
int mp_spawn_self(const char *mode, const int *fds, int nfds, pid_t *pid);

/* The child's side: read the request on fd 3, answer, become the child and
 * run the entry (never returns). Called by mp_spawn_main for --mp-spawn. */
_Noreturn void mp_spawn_child(int argc, char **argv);

/* The path of the running binary (/proc/self/exe, resolved once). */
const char *mp_spawn_exe(void);
/* Our environment plus MPKIT_SPAWNED=1 (free() the array, not the strings). */
char **mp_spawn_environ(void);

#endif
