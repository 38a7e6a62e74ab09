/* Exercise 09.3: share a message by name. The interface the tests, the
 * exercise and the solution share. */
#ifndef EX3_BY_NAME_H
#define EX3_BY_NAME_H

#include "mp.h"

/* Create a named segment `name` of `bytes` bytes and put the string msg in
 * it (with its terminating 0; it fits). 0 or -errno (-EEXIST: name in use). */
int publish(mp_segment *s, const char *name, size_t bytes, const char *msg);

/* In another process: attach `name`, copy its string into buf (at most cap
 * bytes, always 0-terminated), close it. It must not unlink anything: the
 * publisher still means to use it. 0 or -errno (-ENOENT: no such name). */
int read_message(const char *name, char *buf, size_t cap);

#endif
