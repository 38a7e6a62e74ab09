/* Lesson 08: how its children are started and where they leave what they saw.
 *
 * Every child gets two descriptors, whatever the start method: the board
 * (a shared segment, lesson08.h) as number 0, and its transport -- the
 * queue's segment or one end of a pipe -- as number 1. A forked child could
 * use the parent's mappings as they are; attaching the handed descriptor
 * instead is one path that works for fork, spawn and forkserver alike. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lesson08.h"

board *B;
static mp_shm board_shm;

void board_create(void)
{
    CHECK(mp_shm_create(&board_shm, "mpkit-lesson08-board", sizeof(board)));
    B = board_shm.p;
}

void board_clear(void)
{
    memset(B, 0, sizeof *B);
}

slot *child_slot(const child_args *a)
{
    if (!B) { /* spawned or forkserver: map the board we were handed */
        mp_shm s;
        CHECK(mp_shm_attach(&s, mp_child_fd(0)));
        B = s.p;
    }
    slot *me = &B->s[a->slot];
    atomic_store(&me->pid, (int)getpid());
    return me;
}

void child_queue(mp_queue *q)
{
    CHECK(mp_queue_attach(q, mp_child_fd(1)));
}

void child_conn(mp_conn *c, int flags)
{
    CHECK(mp_conn_from_fd(c, mp_child_fd(1), flags));
}

void start_child(mp_process *p, const char *name, mp_target target, const child_args *a, int fd)
{
    mp_process_init(p, name, target, NULL);
    mp_process_set_args(p, a, sizeof *a); /* bytes: what spawn and forkserver need */
    CHECK(mp_process_pass_fd(p, board_shm.fd));
    if (fd >= 0)
        CHECK(mp_process_pass_fd(p, fd));
    CHECK(mp_process_start(p));
}

void start_children(mp_process *p, int n, const char *role, mp_target target, long work_us, int fd)
{
    for (int k = 0; k < n; k++) {
        child_args a = {.slot = k, .work_us = work_us};
        char name[32];
        snprintf(name, sizeof name, "%s-%d", role, k + 1);
        start_child(&p[k], name, target, &a, fd);
    }
}

void child_wait_go(void)
{
    atomic_fetch_add(&B->ready, 1);
    while (!atomic_load(&B->go))
        mp_sleep_ns(20000);
}

void release_children(int n)
{
    uint64_t t0 = mp_now_ns();
    while (atomic_load(&B->ready) < n) {
        if (mp_now_ns() - t0 > 30000000000ull) { /* a child that never came: stop, never hang */
            mp_error("only %d of %d children reached the start line in 30 s", atomic_load(&B->ready), n);
            mp_lesson_abort();
        }
        mp_sleep_ns(20000);
    }
    B->go_ns = mp_now_ns();
    atomic_store(&B->go, 1);
}

int timed_get(mp_queue *q, slot *me, void *buf, size_t cap, size_t *len)
{
    uint64_t t0 = mp_now_ns();
    int rc = mp_queue_get(q, buf, cap, len, -1);
    uint64_t waited = mp_now_ns() - t0;
    me->blocked_ns += waited;
    if (waited > me->longest_wait_ns)
        me->longest_wait_ns = waited;
    return rc;
}
