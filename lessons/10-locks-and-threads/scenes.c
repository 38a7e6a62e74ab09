/* Lesson 10, part 6 -- Event, Condition, Semaphore, Barrier: a scene each.
 *
 *   Event      three threads wait for a start signal; set() wakes them all.
 *   Condition  a consumer waits_for "there is an item"; a producer adds
 *              items and notifies: every item is taken, none twice.
 *   Semaphore  Semaphore(2): four threads, at most two inside at once.
 *   Barrier    Barrier(3, action): three threads meet twice; the action
 *              runs once per meeting, in the last thread to arrive.
 * Each line says which thread (tid) did what, and when (ms from the scene's
 * start). */
#include "lesson10.h"

static uint64_t scene_t0;
static double ms(void) { return (double)(mp_now_ns() - scene_t0) / 1e6; }

/* ---- Event ---- */
static mp_sync_event start_signal;
static atomic_int woken;
static void *runner(void *arg)
{
    (void)arg;
    if (mp_event_wait(&start_signal, 10) == 0) {
        atomic_fetch_add(&woken, 1);
        mp_say("%6.1f ms  %s: the start signal came, running", ms(), mp_role());
    }
    return NULL;
}

/* ---- Condition ---- */
#define ITEMS 50
static mp_lock shelf_lock;
static mp_cond shelf;
static long on_shelf, produced, consumed;
static bool something(void *ctx) { (void)ctx; return on_shelf > 0 || produced == ITEMS; }
static void *consumer(void *arg)
{
    (void)arg;
    for (;;) {
        CHECK(mp_lock_acquire(&shelf_lock, -1));
        CHECK(mp_cond_wait_for(&shelf, something, NULL, 10));
        bool done = on_shelf == 0 && produced == ITEMS;
        if (on_shelf > 0) {
            on_shelf--;
            consumed++;
        }
        CHECK(mp_lock_release(&shelf_lock));
        if (done)
            return NULL;
    }
}

/* ---- Semaphore ---- */
static mp_sem room;
static atomic_int inside, most_inside;
static void *visitor(void *arg)
{
    (void)arg;
    CHECK(mp_sem_acquire(&room, 10));
    int now = atomic_fetch_add(&inside, 1) + 1;
    for (int m = atomic_load(&most_inside); now > m && !atomic_compare_exchange_weak(&most_inside, &m, now);)
        ;
    mp_say("%6.1f ms  %s: in (%d inside)", ms(), mp_role(), now);
    mp_sleep_ns(30000000);
    atomic_fetch_sub(&inside, 1);
    CHECK(mp_sem_release(&room));
    return NULL;
}

/* ---- Barrier ---- */
static mp_barrier meeting;
static atomic_int actions;
static void all_here(void)
{
    atomic_fetch_add(&actions, 1);
    mp_say("%6.1f ms  %s: last to arrive, runs the action", ms(), mp_role());
}
MP_TASK(all_here)
static int indices[2][3];
static void *party(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (int round = 0; round < 2; round++) {
        mp_sleep_ns((uint64_t)(me + 1) * 10000000); /* arrive one after the other */
        int i = mp_barrier_wait(&meeting, 10);
        indices[round][me] = i;
    }
    return NULL;
}

static void run_threads(int n, const char *name, mp_thread_fn fn, bool with_index)
{
    mp_thread t[4];
    char names[4][24];
    for (int i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "%s-%d", name, i + 1);
        mp_thread_init(&t[i], names[i], fn, with_index ? (void *)(intptr_t)i : NULL);
        CHECK(mp_thread_start(&t[i]));
    }
    if (fn == runner) { /* the Event scene: the main thread gives the signal */
        mp_sleep_ns(50000000);
        mp_say("%6.1f ms  main: set()", ms());
        mp_event_set(&start_signal);
    }
    for (int i = 0; i < n; i++)
        CHECK(mp_thread_join(&t[i], NULL));
}

void part_scenes(mp_lesson *L, scenes_result *R)
{
    mp_lesson_part(L, "6. Event, Condition, Semaphore and Barrier: a scene each");
    *R = (scenes_result){0};
    mp_section("Event: three runners wait for the signal");
    scene_t0 = mp_now_ns();
    CHECK(mp_event_init(&start_signal, "start"));
    run_threads(3, "runner", runner, false);
    R->woken = atomic_load(&woken);

    mp_section("Condition: a producer and a consumer");
    scene_t0 = mp_now_ns();
    CHECK(mp_lock_init(&shelf_lock, MP_RLOCK, NULL));
    CHECK(mp_cond_init(&shelf, &shelf_lock, "shelf"));
    mp_thread c;
    mp_thread_init(&c, "consumer", consumer, NULL);
    CHECK(mp_thread_start(&c));
    for (int i = 0; i < ITEMS; i++) {
        CHECK(mp_lock_acquire(&shelf_lock, -1));
        on_shelf++;
        produced++;
        mp_cond_notify(&shelf, 1);
        CHECK(mp_lock_release(&shelf_lock));
        if (i % 10 == 9)
            mp_sleep_ns(5000000);
    }
    CHECK(mp_lock_acquire(&shelf_lock, -1));
    mp_cond_notify_all(&shelf); /* the last item is in: wake the consumer to finish */
    CHECK(mp_lock_release(&shelf_lock));
    CHECK(mp_thread_join(&c, NULL));
    R->produced = produced;
    R->consumed = consumed;
    mp_say("%6.1f ms  produced %ld, consumed %ld", ms(), produced, consumed);

    mp_section("Semaphore(2): four visitors, a room for two");
    scene_t0 = mp_now_ns();
    CHECK(mp_sem_init(&room, 2, true, "room"));
    run_threads(4, "visitor", visitor, false);
    R->most_inside = atomic_load(&most_inside);

    mp_section("Barrier(3, action): three parties meet twice");
    scene_t0 = mp_now_ns();
    CHECK(mp_barrier_init(&meeting, 3, "all_here", "meeting"));
    run_threads(3, "party", party, true);
    R->actions = atomic_load(&actions);
    R->indices_ok = true;
    for (int r = 0; r < 2; r++) {
        int seen = 0;
        for (int i = 0; i < 3; i++)
            seen |= indices[r][i] >= 0 && indices[r][i] < 3 ? 1 << indices[r][i] : 0;
        R->indices_ok = R->indices_ok && seen == 7;
    }
    mp_say("round 1 indices %d %d %d, round 2 %d %d %d; the action ran %d times", indices[0][0], indices[0][1],
           indices[0][2], indices[1][0], indices[1][1], indices[1][2], R->actions);
    (void)L;
}
