/* Lesson 07: how its children are started and handed their ends.
 *
 * A forked child could use the parent's mp_conn as it is; handing each end
 * over explicitly (mp_process_pass_fd, then mp_child_fd in the child) is one
 * path that works for fork, spawn and forkserver alike -- and it is also the
 * discipline part 2 is about: a child holds the ends it was given, no more. */
#include "lesson07.h"

void start_child(mp_process *p, const char *name, mp_target target, const child_args *a, const int *fds, int n)
{
    mp_process_init(p, name, target, NULL);
    mp_process_set_args(p, a, sizeof *a); /* bytes: what spawn and forkserver need */
    for (int i = 0; i < n; i++)
        CHECK(mp_process_pass_fd(p, fds[i]));
    CHECK(mp_process_start(p));
}

void child_conn(mp_conn *c, int i, int flags)
{
    CHECK(mp_conn_from_fd(c, mp_child_fd(i), flags));
}

double ms_since(uint64_t t0_ns)
{
    return (double)(mp_now_ns() - t0_ns) / 1e6;
}
