/* guard: the C form of `if __name__ == '__main__':`.
 *
 * Layer 3 (children), on top of spawn and forkserver. A spawned child, and
 * the forkserver, are fresh runs of this same program. A program that
 * starts processes calls mp_spawn_main() first thing in main():
 *
 *     static const mp_entry entries[] = {MP_ENTRY(worker), MP_ENTRY(other), {0}};
 *     int main(int argc, char **argv)
 *     {
 *         mp_spawn_main(argc, argv, entries);  // the guard
 *         ... the program ...
 *     }
 *
 * In the parent it returns at once. In a spawned child it reads which entry
 * to run and its argument, runs it and exits; in the forkserver it runs the
 * server's loop: the rest of main() never runs there. The spawned Python
 * child re-imports your main module, and only the guard keeps it from
 * running your whole program again (lesson 04, part 5).
 */
#ifndef MP_GUARD_H
#define MP_GUARD_H

#include <stdbool.h>

#include "entry.h"

/* The dispatcher: returns in the parent; never returns in a spawned child or
 * in the forkserver. entries ends with {0}. */
void mp_spawn_main(int argc, char **argv, const mp_entry *entries);

/* True in a spawned child whose main() has not reached mp_spawn_main() yet:
 * starting a process then is the error Python reports as "An attempt has
 * been made to start a new process before the current process has finished
 * its bootstrapping phase". */
bool mp_spawn_bootstrapping(void);

#endif
