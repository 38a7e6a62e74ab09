/* A sample submission for the grading test: recursion without an end. The
 * stack overflows, and the SIGSEGV kills the test binary: cmocka's handler
 * needs stack too, so it cannot report it as a failed test. */
static int depth(volatile char *above, int n)
{
    volatile char frame[512];
    frame[0] = (char)n;
    frame[1] = above ? above[0] : 0;
    return depth(frame, n + 1) + frame[0]; /* not a tail call */
}

int exitcode_from_status(int wstatus)
{
    return depth(0, wstatus);
}
