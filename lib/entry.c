#include "entry.h"

#include <errno.h>
#include <string.h>

static const mp_entry *program;
static mp_entry library[MP_LIBRARY_ENTRIES_MAX + 1];
static int nlibrary;

void mp_entries_set_program(const mp_entry *table) { program = table; }

int mp_entries_add_library(const char *name, mp_target fn)
{
    if (nlibrary >= MP_LIBRARY_ENTRIES_MAX)
        return -ENOSPC;
    library[nlibrary++] = (mp_entry){name, fn};
    return 0;
}

static const mp_entry *find(const mp_entry *table, mp_target fn, const char *name)
{
    for (const mp_entry *e = table; e && e->name; e++)
        if ((fn && e->fn == fn) || (name && strcmp(e->name, name) == 0))
            return e;
    return NULL;
}

const char *mp_entry_name(mp_target fn)
{
    const mp_entry *e = find(program, fn, NULL);
    if (!e)
        e = find(library, fn, NULL);
    return e ? e->name : NULL;
}

mp_target mp_entry_find(const char *name)
{
    const mp_entry *e = find(program, NULL, name);
    if (!e)
        e = find(library, NULL, name);
    return e ? e->fn : NULL;
}
