/* Exercise 10.3: a request's user, per thread. The interface the tests,
 * the exercise and the solution share. */
#ifndef EX3_LOCAL_H
#define EX3_LOCAL_H

/* Each thread serving a request remembers whose it is: set_user in the
 * thread, current_user anywhere below it in the same thread ("" before
 * set_user). A thread never sees another thread's user. */
void set_user(const char *name);
const char *current_user(void);

#endif
