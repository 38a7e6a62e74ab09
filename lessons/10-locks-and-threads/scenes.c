/* Lesson 10, part 6 -- Event, Condition, Semaphore, Barrier: a scene each.
 *
 *   Event      three processes wait for a start signal; set() wakes them all.
 *   Condition  the main process waits_for "there is an item"; a producer
 *              process adds items and notifies: every item is taken, none
 *              twice.
 *   Semaphore  Semaphore(2): four processes, at most two inside at once.
 *   Barrier    Barrier(3, action): three processes meet twice; the action
 *              runs once per meeting, in the last process to arrive.
 * The same objects work between threads (parts 2-5 used locks between
 * threads); here the players are processes started with --start, so each
 * line's [pid ...] is another process. The objects live in one shared
 * segment that every child attaches (its descriptor 0), as
 * multiprocessing's objects are handed to a Process. Each line says when
 * (ms from the scene's start: CLOCK_MONOTONIC is the same clock in every
 * process). */
#include "lesson10.h"

#define ITEMS 50

typedef struct stage {
    uint64_t t0; /* the scene's start */
    atomic_int ready;

    mp_sync_event start_signal; /* Event */
    atomic_int woken;

    mp_lock shelf_lock; /* Condition */
    mp_cond shelf;
    long on_shelf, produced, consumed;

    mp_sem room; /* Semaphore */
    atomic_int inside, most_inside;

    mp_barrier meeting; /* Barrier */
    atomic_int actions;
    int indices[2][3];
} stage;

static stage *st; /* this process's mapping of the stage */

static double ms(void) { return (double)(mp_now_ns() - st->t0) / 1e6; }

/* Every child: map the stage handed as descriptor 0. */
static void attach(mp_shm *seg)
{
    CHECK(mp_shm_attach(seg, mp_child_fd(0)));
    st = seg->p;
}

/* ---- Event ---- */
int scene_runner(void *arg)
{
    (void)arg;
    mp_shm seg;
    attach(&seg);
    atomic_fetch_add(&st->ready, 1);
    if (mp_event_wait(&st->start_signal, 10) == 0) {
        atomic_fetch_add(&st->woken, 1);
        mp_say("%6.1f ms  %s: the start signal came, running", ms(), mp_role());
    }
    mp_shm_close(&seg);
    return 0;
}

/* ---- Condition ---- */
static bool something(void *ctx)
{
    (void)ctx;
    return st->on_shelf > 0 || st->produced == ITEMS;
}

int scene_producer(void *arg)
{
    (void)arg;
    mp_shm seg;
    attach(&seg);
    for (int i = 0; i < ITEMS; i++) {
        CHECK(mp_lock_acquire(&st->shelf_lock, 10));
        st->on_shelf++;
        st->produced++;
        mp_cond_notify(&st->shelf, 1);
        CHECK(mp_lock_release(&st->shelf_lock));
        if (i % 10 == 9) {
            mp_say("%6.1f ms  %s: %d items made so far, each notified", ms(), mp_role(), i + 1);
            mp_sleep_ns(5000000);
        }
    }
    mp_shm_close(&seg);
    return 0;
}

/* The main process takes items until the producer has made them all. */
static void consume(void)
{
    for (;;) {
        CHECK(mp_lock_acquire(&st->shelf_lock, -1));
        CHECK(mp_cond_wait_for(&st->shelf, something, NULL, 10));
        bool done = st->on_shelf == 0 && st->produced == ITEMS;
        if (st->on_shelf > 0) {
            st->on_shelf--;
            st->consumed++;
        }
        CHECK(mp_lock_release(&st->shelf_lock));
        if (done)
            return;
    }
}

/* ---- Semaphore ---- */
int scene_visitor(void *arg)
{
    (void)arg;
    mp_shm seg;
    attach(&seg);
    CHECK(mp_sem_acquire(&st->room, 10));
    int now = atomic_fetch_add(&st->inside, 1) + 1;
    for (int m = atomic_load(&st->most_inside); now > m && !atomic_compare_exchange_weak(&st->most_inside, &m, now);)
        ;
    mp_say("%6.1f ms  %s: in (%d inside)", ms(), mp_role(), now);
    mp_sleep_ns(30000000);
    atomic_fetch_sub(&st->inside, 1);
    mp_say("%6.1f ms  %s: out", ms(), mp_role());
    CHECK(mp_sem_release(&st->room));
    mp_shm_close(&seg);
    return 0;
}

/* ---- Barrier ---- */
/* The action: registered by name, so that whichever process arrives last,
 * a spawned one too, finds it. */
static void all_here(void)
{
    atomic_fetch_add(&st->actions, 1);
    mp_say("%6.1f ms  %s: last to arrive, runs the action", ms(), mp_role());
}
MP_TASK(all_here)

int scene_party(void *arg)
{
    int me = *(const int *)arg;
    mp_shm seg;
    attach(&seg);
    atomic_fetch_add(&st->ready, 1);
    while (atomic_load(&st->ready) < 3) /* all started: then they arrive 10 ms apart */
        mp_sleep_ns(1000000);
    for (int round = 0; round < 2; round++) {
        mp_sleep_ns((uint64_t)(me + 1) * 10000000);
        int i = mp_barrier_wait(&st->meeting, 10);
        st->indices[round][me] = i;
        mp_say("%6.1f ms  %s: round %d, left the barrier with index %d", ms(), mp_role(), round + 1, i);
    }
    mp_shm_close(&seg);
    return 0;
}

/* n children of `fn` (each given its number), under --start. */
static void start_players(mp_process *p, int n, const char *name, mp_target fn, const mp_shm *seg)
{
    for (int i = 0; i < n; i++) {
        char who[24];
        snprintf(who, sizeof who, "%s-%d", name, i + 1);
        mp_lesson_child(&p[i], who, fn, &i, sizeof i, &seg->fd, 1);
    }
}

static void join_players(mp_process *p, int n)
{
    for (int i = 0; i < n; i++)
        CHECK(mp_lesson_join(&p[i], 60));
}

static void new_scene(const char *title)
{
    mp_section("%s", title);
    atomic_store(&st->ready, 0);
    st->t0 = mp_now_ns();
}

void part_scenes(mp_lesson *L, scenes_result *R)
{
    mp_lesson_part(L, "6. Event, Condition, Semaphore and Barrier between processes (--start %s): a scene each",
                   mp_start_names[L->o.start]);
    *R = (scenes_result){0};
    mp_shm seg;
    CHECK(mp_shm_create(&seg, "lesson10-stage", sizeof(stage)));
    st = seg.p;
    mp_process p[4];

    new_scene("Event: three runner processes wait for the signal");
    CHECK(mp_event_init(&st->start_signal, "start"));
    start_players(p, 3, "runner", scene_runner, &seg);
    while (atomic_load(&st->ready) < 3) /* all three about to wait */
        mp_sleep_ns(1000000);
    mp_sleep_ns(20000000);
    mp_say("%6.1f ms  main: set()", ms());
    mp_event_set(&st->start_signal);
    join_players(p, 3);
    R->woken = atomic_load(&st->woken);

    new_scene("Condition: a producer process, and the main process taking items");
    CHECK(mp_lock_init(&st->shelf_lock, MP_RLOCK, NULL));
    CHECK(mp_cond_init(&st->shelf, &st->shelf_lock, "shelf"));
    start_players(p, 1, "producer", scene_producer, &seg);
    consume();
    join_players(p, 1);
    R->produced = st->produced;
    R->consumed = st->consumed;
    mp_say("%6.1f ms  main: took %ld of the %ld items produced", ms(), R->consumed, R->produced);

    new_scene("Semaphore(2): four visitor processes, a room for two");
    CHECK(mp_sem_init(&st->room, 2, true, "room"));
    start_players(p, 4, "visitor", scene_visitor, &seg);
    join_players(p, 4);
    R->most_inside = atomic_load(&st->most_inside);

    new_scene("Barrier(3, action): three processes meet twice");
    CHECK(mp_barrier_init(&st->meeting, 3, "all_here", "meeting"));
    start_players(p, 3, "party", scene_party, &seg);
    join_players(p, 3);
    R->actions = atomic_load(&st->actions);
    R->indices_ok = true;
    for (int r = 0; r < 2; r++) {
        int seen = 0;
        for (int i = 0; i < 3; i++)
            seen |= st->indices[r][i] >= 0 && st->indices[r][i] < 3 ? 1 << st->indices[r][i] : 0;
        R->indices_ok = R->indices_ok && seen == 7;
    }
    mp_say("the action ran %d times; indices round 1: %d %d %d, round 2: %d %d %d", R->actions, st->indices[0][0],
           st->indices[0][1], st->indices[0][2], st->indices[1][0], st->indices[1][1], st->indices[1][2]);

    mp_event_destroy(&st->start_signal);
    mp_cond_destroy(&st->shelf);
    mp_lock_destroy(&st->shelf_lock);
    mp_sem_destroy(&st->room);
    mp_barrier_destroy(&st->meeting);
    mp_shm_close(&seg);
    st = NULL;
}
