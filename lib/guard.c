#include "guard.h"

#include <stdlib.h>
#include <string.h>

#include "forkserver.h"
#include "spawn.h"

static bool dispatched; /* mp_spawn_main has run */

bool mp_spawn_bootstrapping(void) { return !dispatched && getenv("MPKIT_SPAWNED") != NULL; }

void mp_spawn_main(int argc, char **argv, const mp_entry *entries)
{
    mp_entries_set_program(entries);
    dispatched = true;
    if (argc < 2)
        return;
    if (strcmp(argv[1], "--mp-spawn") == 0) {
        unsetenv("MPKIT_SPAWNED"); /* its own children are not bootstrapping */
        mp_spawn_child(argc, argv);
    }
    if (strcmp(argv[1], "--mp-forkserver") == 0) {
        unsetenv("MPKIT_SPAWNED");
        mp_forkserver_serve(argc, argv);
    }
}
