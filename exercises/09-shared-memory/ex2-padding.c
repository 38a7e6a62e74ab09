/* Exercise 09.2 -- a cache line each.
 *
 * Lesson 09 part 2: each worker adds to its own word of an array (no lock,
 * no lost update), and yet the run is about 4x slower than it should be.
 * The words sit side by side, 8 to a 64-byte cache line, and a CPU must own
 * the whole line to change one word in it: the workers' CPUs take the line
 * from each other at every increment. That is false sharing.
 *
 * Change struct slot so that in an array of slots each one starts on a
 * cache line of its own: C11's _Alignas(64) on its member does it (C then
 * pads the struct's size to a multiple of its alignment). The three
 * functions below tell the test about the struct; they need no change.
 *
 * Predict before you run the tests: sizeof(struct slot) before and after?
 * How much memory do 16 padded slots take?
 * Test: make check-9 EX=2
 */
#include "ex2-padding.h"

struct slot {
    atomic_long count; /* TODO: a cache line per slot */
};

size_t slot_size(void) { return sizeof(struct slot); }
size_t slot_align(void) { return _Alignof(struct slot); }
atomic_long *slot_counter(void *base, int i) { return &((struct slot *)base)[i].count; }
