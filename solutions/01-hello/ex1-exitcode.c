/* Exercise 01.1 -- exit codes the way Python reports them.
 *
 * waitpid() hands the parent a packed status word. Python's Process.exitcode
 * unpacks it as: the status the child passed to exit() if it exited, or
 * minus the signal number if a signal killed it (-15 after terminate(),
 * -9 after kill()).
 *
 * Why it matters: "exit code 0" and "killed by SIGKILL" look very different
 * once you know how to read the status; a worker killed by the OOM killer
 * shows up as -9, not as a failed computation.
 *
 * Test: make check-1
 */
#include <sys/wait.h>

int exitcode_from_status(int wstatus)
{
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus); /* only the low 8 bits of exit()'s argument */
    if (WIFSIGNALED(wstatus))
        return -WTERMSIG(wstatus);
    return 0; /* stopped or continued: not an end, nothing to report */
}
