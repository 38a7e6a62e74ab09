/* Exercise 10.3 -- whose request is this? (solution)
 *
 * _Thread_local: each thread has its own `user`, zeroed ("") when the
 * thread starts. (With mp_local: mp_local_get(&l) returns this thread's
 * block, made on its first use.) */
#include <stdio.h>

#include "ex3-local.h"

static _Thread_local char user[32];

void set_user(const char *name)
{
    snprintf(user, sizeof user, "%s", name);
}

const char *current_user(void)
{
    return user;
}
