/* Exercise 10.3 -- whose request is this? Data of one's own per thread.
 *
 * T3: a web server serves each request in a thread, and code deep down
 * needs the request's user. Passing it through every call is tedious; one
 * global variable is wrong the moment two requests run at once -- each
 * thread overwrites the other's user. threading.local() gives each thread
 * its own copy of a global:
 *
 *     local = threading.local()
 *     def serve(user):  local.user = user; ... handle() ...
 *     def handle():     print("Hello, %s" % local.user)
 *
 * In C11, a variable declared _Thread_local has one instance per thread;
 * the kit's mp_local (lib/thread.h) is the threading.local() way. Either
 * will do. The global below is the bug.
 *
 * Predict before you run the tests: four threads set four names, meet,
 * then each reads its name back. With the global, what does each see?
 * Test: make check-10 EX=3
 */
#include <stdio.h>

#include "ex3-local.h"

static char user[32]; /* TODO: one per thread */

void set_user(const char *name)
{
    snprintf(user, sizeof user, "%s", name);
}

const char *current_user(void)
{
    return user;
}
