/* Exercise 09.3 -- share a message by name (solution). */
#include "ex3-by-name.h"

int publish(mp_segment *s, const char *name, size_t bytes, const char *msg)
{
    int rc = mp_segment_create(s, name, bytes);
    if (rc != 0)
        return rc;
    snprintf(s->p, s->bytes, "%s", msg);
    return 0;
}

int read_message(const char *name, char *buf, size_t cap)
{
    mp_segment s;
    int rc = mp_segment_attach(&s, name, 0);
    if (rc != 0)
        return rc;
    /* the segment may hold anything: copy at most cap - 1 bytes of it */
    size_t n = strnlen(s.p, s.bytes);
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, s.p, n);
    buf[n] = '\0';
    mp_segment_close(&s); /* close, never unlink: the name is the publisher's */
    return 0;
}
