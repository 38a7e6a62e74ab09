/* A sample submission for the grading test: loops forever (the test must
 * time out, and nothing of it be left running). */
int reap_all(void)
{
    for (;;)
        ;
    return 0;
}
