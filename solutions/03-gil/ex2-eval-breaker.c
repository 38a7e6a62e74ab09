/* Exercise 03.2 -- the eval breaker.
 *
 * Between two bytecodes, CPython's eval loop looks at a few flags ("the eval
 * breaker"). One of them is the GIL drop request: a thread that has waited a
 * whole switch interval for the lock sets it, and the running thread must
 * then give the lock away. Without this check a CPU-bound thread would keep
 * the lock until it finished, and every other thread would starve.
 *
 * Write my_tick(), the check made after every tick:
 *  - new lock (g->mode == MP_GIL_NEW): if a drop was requested
 *    (mp_gil_drop_requested), give way with mp_gil_forced_switch();
 *  - old lock (MP_GIL_OLD): count ticks in t->ticks; every
 *    g->check_interval ticks, call mp_gil_check() (release, re-acquire);
 *  - no lock: nothing to do.
 * (lib/gil.h has mp_gil_tick; write yours without calling it.)
 * Test: make check-3
 */
#include "gil.h"

void my_tick(mp_gil *g, mp_gil_thread *t)
{
    if (g->mode == MP_GIL_NEW) {
        if (mp_gil_drop_requested(g)) /* someone waited a full interval */
            mp_gil_forced_switch(g, t);
    } else if (g->mode == MP_GIL_OLD) {
        if (++t->ticks >= g->check_interval)
            mp_gil_check(g, t); /* resets t->ticks */
    }
}
