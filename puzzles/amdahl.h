/* Lesson 02's puzzle: Amdahl's law (amdahl.c; the tests check the formula). */
#ifndef PUZZLE_AMDAHL_H
#define PUZZLE_AMDAHL_H

#include "puzzle.h"

typedef struct amdahl_state {
    int serial_pct; /* s, in percent */
    int workers;    /* n */
} amdahl_state;

#endif
