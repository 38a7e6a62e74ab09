/* Exercise 02.3 -- count primes with processes, by hand.
 *
 * The same job as exercise 2, with fork() instead of threads. The catch: a
 * child's memory is a copy, so a count it stores in an ordinary variable
 * never reaches the parent (lesson 01's global counter). It has to travel:
 * through memory mapped MAP_SHARED before the fork (multiprocessing.Array),
 * or through a pipe (multiprocessing.Pipe).
 *
 * Start `nprocs` children, each counting its share of [0, hi) with
 * mp_count_primes(); collect their counts; wait for every child (no zombie
 * left behind); return the total. Return 0 if nprocs < 1.
 * A child must end with _exit(), not return: returning would run the rest
 * of the parent's program a second time, in the child.
 *
 * Test: make check-2
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "work.h"

uint64_t count_primes_processes(uint64_t hi, int nprocs)
{
    if (nprocs < 1)
        return 0;
    size_t bytes = (size_t)nprocs * sizeof(uint64_t);
    /* shared: the children's writes land in memory the parent sees */
    uint64_t *counts = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (counts == MAP_FAILED)
        return 0;
    fflush(NULL); /* or the children would print the parent's buffered output again */
    for (int i = 0; i < nprocs; i++) {
        uint64_t lo = hi * (uint64_t)i / (uint64_t)nprocs;
        uint64_t top = hi * (uint64_t)(i + 1) / (uint64_t)nprocs;
        pid_t pid = fork();
        if (pid == 0) {
            counts[i] = mp_count_primes(lo, top);
            _exit(0);
        }
        if (pid < 0) /* no process to be had: count it here */
            counts[i] = mp_count_primes(lo, top);
    }
    /* reap every child we started; each has written its slot before exiting */
    while (wait(NULL) > 0)
        ;
    uint64_t total = 0;
    for (int i = 0; i < nprocs; i++)
        total += counts[i];
    munmap(counts, bytes);
    return total;
}
