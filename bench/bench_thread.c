/* Thread start + join through the kit (mp_thread) against a bare
 * pthread_create / pthread_join. Target: at most 1.2x. */
#include "bench.h"

static void *nothing(void *arg) { return arg; }

static void kit(void *arg)
{
    (void)arg;
    mp_thread t;
    mp_thread_init(&t, "bench", nothing, NULL);
    if (mp_thread_start(&t) != 0 || mp_thread_join(&t, NULL) != 0) {
        fprintf(stderr, "bench_thread: start/join failed\n");
        exit(1);
    }
}

static void raw(void *arg)
{
    (void)arg;
    pthread_t t;
    if (pthread_create(&t, NULL, nothing, NULL) != 0) {
        fprintf(stderr, "bench_thread: pthread_create failed\n");
        exit(1);
    }
    pthread_join(t, NULL);
}

int main(void)
{
    bench_compare("thread start+join vs pthread", kit, raw, NULL, 2000, 1.2);
    return 0;
}
