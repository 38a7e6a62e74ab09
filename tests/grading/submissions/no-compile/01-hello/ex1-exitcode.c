/* A sample submission for the grading test: does not compile (a missing
 * semicolon and an undeclared name). */
#include <sys/wait.h>

int exitcode_from_status(int wstatus)
{
    int code = WEXITSTATUS(wstatus)
    return code + undeclared_name;
}
