/* Process start + join through the kit (mp_process) against a bare
 * fork / _exit / waitpid. Target: at most 1.2x. */
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static int nothing(void *arg) { (void)arg; return 0; }

static void kit(void *arg)
{
    (void)arg;
    mp_process p;
    mp_process_init(&p, "bench", nothing, NULL);
    if (mp_process_start(&p) != 0 || mp_process_join(&p, MP_FOREVER) != 0) {
        fprintf(stderr, "bench_process: start/join failed\n");
        exit(1);
    }
}

static void raw(void *arg)
{
    (void)arg;
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    waitpid(pid, NULL, 0);
}

int main(void)
{
    bench_compare("process start+join vs fork/waitpid", kit, raw, NULL, 100, 1.2);
    return 0; /* a missed target is reported, never a failure: speed lives in benchmarks */
}
