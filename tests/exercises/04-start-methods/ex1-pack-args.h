/* The job a spawned child is asked to run (exercise 04.1): the interface the
 * tests, the exercise and the solution share, so it lives with the tests. */
#ifndef EX1_PACK_ARGS_H
#define EX1_PACK_ARGS_H

#include <stddef.h>
#include <stdint.h>

typedef struct job_spec {
    const char *label; /* points into the parent's memory */
    int32_t repeat;
    double scale;
} job_spec;

size_t pack_job(const job_spec *spec, unsigned char *buf, size_t cap);
int unpack_job(const unsigned char *buf, size_t len, job_spec *out, char *label_buf, size_t label_cap);

#endif
