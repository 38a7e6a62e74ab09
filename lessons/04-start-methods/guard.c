/* Lesson 04, part 5: the guard.
 *
 * A spawned child runs this same program from the top. mp_spawn_main(),
 * called first thing in main(), is what stops it there and runs the child's
 * entry instead: the C form of `if __name__ == '__main__':`. Here the lesson
 * spawns a child whose main() does something *before* that call, as an
 * unguarded Python script's top level runs again in a spawned child. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "lesson04.h"

#define UNGUARDED_ENV "LESSON04_UNGUARDED"

static bool start_refused; /* in the child: the top level's start was refused */

bool guard_requested(void) { return getenv(UNGUARDED_ENV) != NULL; }

/* What a spawned child runs when main() does not call mp_spawn_main first:
 * main() from the top, like Python re-running a module's top-level code. */
void unguarded_top_level(void)
{
    mp_set_role("unguarded-child");
    mp_say("main() is running again, from the top, in the spawned child (pid %d): without the guard, "
           "this is where the whole lesson would start over", (int)getpid());
    mp_process p;
    mp_process_init(&p, NULL, empty, NULL);
    int rc = mp_process_start(&p); /* the top-level code starting a process of its own */
    start_refused = rc == -EDEADLK;
    mp_say("so its attempt to start a process was refused (%s) -- Python raises RuntimeError here",
           rc == -EDEADLK ? "EDEADLK" : strerror(-rc));
    unsetenv(UNGUARDED_ENV);
}

/* The child's real work. Its exit code tells the parent what happened
 * before it: GUARD_REFUSED_AND_RAN if the top level ran and was refused. */
int guarded_work(void *arg)
{
    (void)arg;
    mp_say("...and then the dispatcher ran the child's real work, as it should");
    return start_refused ? GUARD_REFUSED_AND_RAN : 1;
}

void experiment_guard(mp_lesson *L, guard_result *G)
{
    (void)L;
    mp_lesson_part(L, "5. the guard: a spawned child whose main() does something before mp_spawn_main()");
    setenv(UNGUARDED_ENV, "1", 1); /* only the child acts on it: see main() */
    mp_process p;
    mp_process_init(&p, "spawned", guarded_work, NULL);
    p.start = MP_START_SPAWN;
    int rc = mp_process_start(&p);
    unsetenv(UNGUARDED_ENV);
    CHECK(rc);
    CHECK(mp_process_join(&p, 10.0));
    G->exitcode = p.exitcode;
    mp_say("the child exited with %d: %s. In Python the same thing happens to a script without "
           "`if __name__ == '__main__':` started with spawn: the child re-imports it and runs its top level.",
           p.exitcode, p.exitcode == GUARD_REFUSED_AND_RAN
                           ? "its top level ran again and was refused a process, then its real work ran"
                           : "not the 7 that says its top level ran and was refused");
}
