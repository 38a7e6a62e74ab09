/* Exercise 04.1 -- pack the arguments of a spawned child.
 *
 * A spawned child is a fresh run of the program: it has none of the
 * parent's memory. Whatever it needs must travel as bytes -- Python pickles
 * the target's arguments for exactly this reason. A struct holding a
 * pointer cannot simply be copied: the pointer is an address in the
 * parent, meaningless (or worse, pointing at something else) in the child.
 *
 * pack_job(): write spec into buf (at most cap bytes) so that unpack_job()
 * can rebuild it in another process: the label's characters, not its
 * address. Return the number of bytes written, or 0 if cap is too small.
 *
 * unpack_job(): rebuild the job from len bytes. The label's characters go
 * into label_buf (label_cap bytes, NUL-terminated) and out->label points
 * there. Return 0, or -1 if the bytes are cut short, inconsistent, or the
 * label does not fit.
 *
 * A simple layout: repeat (4 bytes), scale (8 bytes), the label's length
 * (4 bytes), then its characters. Use memcpy, not casts (alignment).
 * job_spec and the two functions are declared in
 * tests/exercises/04-start-methods/ex1-pack-args.h, which the tests share.
 * Test: make check-4
 */
#include <stdint.h>
#include <string.h>

#include "ex1-pack-args.h"

size_t pack_job(const job_spec *spec, unsigned char *buf, size_t cap)
{
    /* TODO: this copies the struct, pointer and all: fix it */
    if (cap < sizeof *spec)
        return 0;
    memcpy(buf, spec, sizeof *spec);
    return sizeof *spec;
}

int unpack_job(const unsigned char *buf, size_t len, job_spec *out, char *label_buf, size_t label_cap)
{
    /* TODO: rebuild the label from its characters */
    (void)label_buf;
    (void)label_cap;
    if (len < sizeof *out)
        return -1;
    memcpy(out, buf, sizeof *out);
    return 0;
}
