/* Lesson 09, part 4 -- named segments: shared_memory.SharedMemory.
 *
 * A named segment is found by its name, by any process -- one the creator
 * did not start included:
 *
 *     shm = shared_memory.SharedMemory(name="x", create=True, size=4096)
 *     ...elsewhere: shared_memory.SharedMemory(name="x")
 *
 * CPython's trap (gh-82300): each attaching process registers the segment
 * with its resource tracker, which unlinks it when that process exits -- a
 * reader that finishes first destroys the creator's segment. The kit's rule
 * (lib/segment.h): only the creator unlinks, at its exit (Ctrl-C included)
 * or when it asks; attaching never unlinks. Two scenes:
 *  1. a spawned reader attaches by name, reads, exits: the name stays;
 *  2. a spawned creator makes a segment, we attach, the creator exits: the
 *     name goes with it, and our mapping still holds the bytes. */
#include <stdlib.h>

#include "lesson09.h"

typedef struct named_args { char name[MP_SEGMENT_NAME]; } named_args;
#define MESSAGE_AT 64 /* the first 64 bytes: flags; the message after */

static bool in_dev_shm(const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "/dev/shm/%s", name);
    return access(path, F_OK) == 0;
}

int named_reader(void *arg)
{
    const named_args *a = arg;
    mp_segment s;
    CHECK(mp_segment_attach(&s, a->name, 0));
    mp_say("reader (pid %d): attached '%s' by name (%zu bytes): \"%s\"", (int)getpid(), a->name, s.bytes,
           (char *)s.p + MESSAGE_AT);
    ((volatile char *)s.p)[0] = 1; /* read it */
    mp_segment_close(&s);
    return 0;
}

int named_creator(void *arg)
{
    const named_args *a = arg;
    mp_segment s;
    CHECK(mp_segment_create(&s, a->name, 4096));
    snprintf((char *)s.p + MESSAGE_AT, 4096 - MESSAGE_AT, "written by the creator, pid %d", (int)getpid());
    mp_say("creator (pid %d): made '%s'; waiting for a reader to attach", (int)getpid(), a->name);
    volatile char *flag = s.p;
    for (int i = 0; i < 30000 && !flag[1]; i++)
        mp_sleep_ns(1000000);
    mp_say("creator: exiting (its exit unlinks '%s')", a->name);
    return 0; /* the kit's exit clean-up unlinks the segment */
}

/* While the creator of scene 2 runs, our own clean-up hook removes its
 * name: if we are stopped (Ctrl-C, SIGTERM), the kit stops our children
 * with SIGKILL (children.h), and a creator killed that way runs no hook
 * of its own -- its name would stay in /dev/shm. (The rule is not broken:
 * the creator is gone by then, and nobody else knows the name.) */
static char early_path[sizeof "/dev/shm/" + MP_SEGMENT_NAME];
static void unlink_early(void *ctx) { (void)unlink(ctx); }

static void start_spawned(mp_process *p, const char *name, mp_target fn, const named_args *a)
{
    mp_process_init(p, name, fn, NULL);
    mp_process_set_args(p, a, sizeof *a);
    p->start = MP_START_SPAWN; /* a process that shares nothing with us but the name */
    CHECK(mp_process_start(p));
}

void part_named(mp_lesson *L, named_result *R)
{
    mp_lesson_part(L, "4. Named segments: attach by name; who may unlink");
    *R = (named_result){0};
    named_args a;
    snprintf(a.name, sizeof a.name, "mpkit_lesson09_%d", (int)getpid());
    snprintf(R->name, sizeof R->name, "%s", a.name);
    mp_segment s;
    CHECK(mp_segment_create(&s, a.name, 4096));
    snprintf((char *)s.p + MESSAGE_AT, 4096 - MESSAGE_AT, "hello from pid %d", (int)getpid());
    mp_say("created /dev/shm/%s (4096 bytes)", a.name);
    mp_process p;
    start_spawned(&p, "reader", named_reader, &a);
    CHECK(mp_lesson_join(&p, 30));
    R->reader_saw = ((volatile char *)s.p)[0] == 1;
    R->kept_after_reader = in_dev_shm(a.name);
    mp_say("after the reader exited, /dev/shm/%s is %s (CPython < 3.13: its resource tracker would have unlinked "
           "it)", a.name, R->kept_after_reader ? "still there" : "GONE");
    CHECK(mp_segment_unlink(&s));
    mp_segment_close(&s);

    named_args b;
    snprintf(b.name, sizeof b.name, "mpkit_lesson09_%d_early", (int)getpid());
    snprintf(early_path, sizeof early_path, "/dev/shm/%s", b.name);
    int hook = mp_on_cleanup(unlink_early, early_path);
    CHECK(hook < 0 ? hook : 0);
    start_spawned(&p, "creator", named_creator, &b);
    mp_segment r;
    int rc = -ENOENT;
    for (int i = 0; i < 30000 && rc != 0; i++)
        if ((rc = mp_segment_attach(&r, b.name, 4096)) != 0)
            mp_sleep_ns(1000000); /* not made (or not sized) yet */
    CHECK(rc);
    volatile char *mem = r.p;
    for (int i = 0; i < 30000 && mem[MESSAGE_AT] == 0; i++)
        mp_sleep_ns(1000000);
    mem[1] = 1; /* the creator may go */
    CHECK(mp_lesson_join(&p, 30));
    mp_cleanup_remove(hook);
    R->gone_after_creator = !in_dev_shm(b.name);
    R->mapping_kept = strncmp((char *)r.p + MESSAGE_AT, "written by the creator", 22) == 0;
    mp_say("the creator exited: /dev/shm/%s is %s; our mapping still reads \"%s\"", b.name,
           R->gone_after_creator ? "gone" : "STILL THERE", (char *)r.p + MESSAGE_AT);
    mp_segment_close(&r);
    mp_say("The rule: only the creator unlinks (at exit, Ctrl-C included, or when it asks); a reader's exit never "
           "does; the memory lives until the last mapping goes.");
}
