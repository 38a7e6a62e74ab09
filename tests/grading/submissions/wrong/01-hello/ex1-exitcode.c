/* A sample submission for the grading test: compiles, but wrong. It
 * returns the raw status word, not the decoded exit code. */
int exitcode_from_status(int wstatus)
{
    return wstatus;
}
