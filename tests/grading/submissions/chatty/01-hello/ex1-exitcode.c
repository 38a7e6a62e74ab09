/* A sample submission for the grading test: right, but it prints as it
 * works, with no newline, so that cmocka's lines land in the middle of its
 * own ("status 0[       OK ] test_normal_exits"). Its tests pass. */
#include <stdio.h>
#include <sys/wait.h>

int exitcode_from_status(int wstatus)
{
    printf("status %d ", wstatus);
    fflush(stdout);
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus))
        return -WTERMSIG(wstatus);
    return 0;
}
