/* entry: the functions a child that shares no memory with us may run, by name.
 *
 * Layer 3 (children). Mirrors how multiprocessing pickles a Process's
 * target: by its qualified name, looked up again in the child. A spawned or
 * forkserver child is a fresh run of this program, so a function pointer
 * from the parent means nothing there; its name does. Two tables are
 * searched: the program's (given to mp_spawn_main, guard.h) and the
 * library's own (a module of the kit that runs code in children, such as a
 * pool's worker loop, adds its functions with MP_LIBRARY_ENTRY, so no
 * program has to list them).
 */
#ifndef MP_ENTRY_H
#define MP_ENTRY_H

typedef int (*mp_target)(void *arg); /* a child's function: its return value is the exit code */

typedef struct mp_entry {
    const char *name;
    mp_target fn;
} mp_entry;
#define MP_ENTRY(fn) {#fn, fn}

/* The program's table (ends with {0}); mp_spawn_main sets it. */
void mp_entries_set_program(const mp_entry *table);

/* Add one of the library's own entries: 0, or -ENOSPC. Use MP_LIBRARY_ENTRY
 * at file scope, which adds it before main() runs, in every process. */
#define MP_LIBRARY_ENTRIES_MAX 32
int mp_entries_add_library(const char *name, mp_target fn);
#define MP_LIBRARY_ENTRY(fn)                                                        \
    __attribute__((constructor)) static void mp_library_entry_##fn(void)            \
    {                                                                               \
        mp_entries_add_library(#fn, fn);                                            \
    }

/* The name fn is registered under, or NULL (the parent's side). */
const char *mp_entry_name(mp_target fn);
/* The function registered as name, or NULL (the child's side). */
mp_target mp_entry_find(const char *name);

#endif
