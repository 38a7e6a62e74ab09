/* mp.h: the whole mpkit runtime. Each header says what it mirrors in Python. */
#ifndef MP_H
#define MP_H

#include "clock.h"
#include "cpus.h"
#include "report.h"
#include "cli.h"
#include "plot.h"
#include "trace.h"
#include "gil.h"
#include "process.h"
#include "spawning.h"
#include "forkserver.h"
#include "procfs.h"
#include "thread.h"
#include "shm.h"
#include "work.h"
#include "lesson.h"

#endif
