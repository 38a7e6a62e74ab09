/* Lesson 10, part 3 -- data of one's own, and results from threads.
 *
 * T3's ThreadLocal: one global name, a different value in each thread.
 *     local_school = threading.local()
 *     def process_thread(name):
 *         local_school.student = name
 *         process_student()           # reads local_school.student
 * prints "Hello, Alice (in Thread-A)" and "Hello, Bob (in Thread-B)".
 * The kit's threading.local is mp_local (lib/thread.h).
 *
 * Then T3's three ways to get a value back from a thread: the thread
 * object stores it (the kit's mp_thread_join hands back what the thread's
 * function returned), a queue the threads put results on, and a thread
 * pool's map. Each thread sums 1..k for its own k; the three must agree. */
#include <stdlib.h>

#include "lesson10.h"

static mp_local school;
typedef struct student { char name[16]; } student;

/* T3's process_student: reads the thread's own student; mp_role() is the
 * thread's name (current_thread().name). */
static void process_student(char *out, size_t len)
{
    const student *s = mp_local_get(&school);
    snprintf(out, len, "Hello, %s (in %s)", s->name, mp_role());
}

static void *process_thread(void *arg)
{
    student *s = mp_local_get(&school);
    snprintf(s->name, sizeof s->name, "%s", (const char *)arg);
    static char lines[2][64];
    char *out = lines[strcmp(arg, "Alice") == 0 ? 0 : 1];
    process_student(out, 64);
    mp_say("%s", out);
    return out;
}

static long sum_to(long k) { return k * (k + 1) / 2; }
static void *sum_thread(void *arg)
{
    long k = (long)(intptr_t)arg, s = 0;
    for (long i = 1; i <= k; i++)
        s += i;
    return (void *)(intptr_t)s;
}

static mp_queue results;
static void *sum_to_queue(void *arg)
{
    long k = (long)(intptr_t)arg, s = (long)(intptr_t)sum_thread(arg);
    long item[2] = {k, s};
    CHECK(mp_queue_put(&results, item, sizeof item, -1));
    return NULL;
}

static int sum_task(const void *arg, void *result)
{
    long k = *(const long *)arg;
    *(long *)result = (long)(intptr_t)sum_thread((void *)(intptr_t)k);
    return 0;
}
MP_TASK(sum_task)

void part_local(mp_lesson *L, local_result *R)
{
    mp_lesson_part(L, "3. Thread-local data (T3's Alice and Bob), and three ways to get results from threads");
    *R = (local_result){0};
    CHECK(mp_local_init(&school, sizeof(student), NULL, NULL));
    mp_thread a, b;
    mp_thread_init(&a, "Thread-A", process_thread, "Alice");
    mp_thread_init(&b, "Thread-B", process_thread, "Bob");
    CHECK(mp_thread_start(&a));
    CHECK(mp_thread_start(&b));
    void *ra, *rb;
    CHECK(mp_thread_join(&a, &ra));
    CHECK(mp_thread_join(&b, &rb));
    R->own_names = strcmp(ra, "Hello, Alice (in Thread-A)") == 0 && strcmp(rb, "Hello, Bob (in Thread-B)") == 0;
    mp_local_destroy(&school);

    enum { N = 4 };
    const long ks[N] = {10, 1000, 100000, 1234567};
    /* 1. the thread object keeps what its function returned */
    mp_thread t[N];
    R->stored = true;
    for (int i = 0; i < N; i++) {
        mp_thread_init(&t[i], NULL, sum_thread, (void *)(intptr_t)ks[i]);
        CHECK(mp_thread_start(&t[i]));
    }
    for (int i = 0; i < N; i++) {
        void *r;
        CHECK(mp_thread_join(&t[i], &r));
        R->stored = R->stored && (long)(intptr_t)r == sum_to(ks[i]);
    }
    /* 2. a queue: results come in the order the threads finish, so each says which k it had */
    CHECK(mp_queue_create(&results, N, 2 * sizeof(long), false));
    for (int i = 0; i < N; i++) {
        mp_thread_init(&t[i], NULL, sum_to_queue, (void *)(intptr_t)ks[i]);
        CHECK(mp_thread_start(&t[i]));
    }
    R->queued = true;
    for (int i = 0; i < N; i++) {
        long item[2];
        size_t len;
        CHECK(mp_queue_get(&results, item, sizeof item, &len, 30));
        R->queued = R->queued && item[1] == sum_to(item[0]);
    }
    for (int i = 0; i < N; i++)
        CHECK(mp_thread_join(&t[i], NULL));
    mp_queue_detach(&results);
    /* 3. a thread pool's map: results in argument order */
    mp_pool *p = mp_lesson_pool(MP_POOL_THREADS, -1, 2, NULL);
    long got[N];
    CHECK(mp_pool_map(p, sum_task, ks, N, sizeof(long), got, sizeof(long), NULL));
    mp_lesson_pool_finish(p);
    R->pooled = true;
    for (int i = 0; i < N; i++)
        R->pooled = R->pooled && got[i] == sum_to(ks[i]);
    mp_say("sum(1..k) for k = 10, 1000, 100000, 1234567: stored in the thread %s; through a queue %s; by a "
           "ThreadPool's map %s", R->stored ? "right" : "WRONG", R->queued ? "right" : "WRONG",
           R->pooled ? "right" : "WRONG");
    (void)L;
}
