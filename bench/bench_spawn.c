/* Process start + join with the spawn start method against a bare
 * posix_spawn of the same binary and waitpid. Target: at most 1.3x. Also
 * the forkserver, against a bare fork (printed, no target). */
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

static int nothing(void *arg) { (void)arg; return 0; }
static const mp_entry entries[] = {MP_ENTRY(nothing), {0}};

static void kit_with(int method)
{
    mp_process p;
    mp_process_init(&p, "bench", nothing, NULL);
    p.start = method;
    if (mp_process_start(&p) != 0 || mp_process_join(&p, MP_FOREVER) != 0) {
        fprintf(stderr, "bench_spawn: start/join failed\n");
        exit(1);
    }
}

static void kit_spawn(void *arg) { (void)arg; kit_with(MP_START_SPAWN); }
static void kit_forkserver(void *arg) { (void)arg; kit_with(MP_START_FORKSERVER); }

static void raw_spawn(void *arg)
{
    (void)arg;
    char *argv[] = {(char *)mp_spawn_exe(), "--exit-at-once", NULL};
    pid_t pid;
    if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0) {
        perror("posix_spawn");
        exit(1);
    }
    waitpid(pid, NULL, 0);
}

static void raw_fork(void *arg)
{
    (void)arg;
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries);
    if (argc == 2 && strcmp(argv[1], "--exit-at-once") == 0)
        return 0;
    bench_compare("spawn start+join vs posix_spawn", kit_spawn, raw_spawn, NULL, 20, 1.3);
    bench_compare("forkserver start+join vs fork", kit_forkserver, raw_fork, NULL, 50, 0);
    return 0;
}
