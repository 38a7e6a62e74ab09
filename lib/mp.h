/* mp.h: the whole mpkit runtime. Each header says what it mirrors in Python.
 * The layers, bottom to top (a file includes only its own layer or below;
 * lib/README.md draws the map): */
#ifndef MP_H
#define MP_H

/* 1. system helpers */
#include "children.h"
#include "clock.h"
#include "cpus.h"
#include "fd.h"
#include "procfs.h"
#include "usage.h"
/* 2. memory and records */
#include "shm.h"
#include "segment.h"
#include "report.h"
#include "cli.h"
#include "plot.h"
#include "trace.h"
#include "progress.h"
#include "granularity.h"
#include "costplot.h"
/* 3. children: entries by name, the start request, the transports (spawn,
 *    forkserver) and the guard */
#include "entry.h"
#include "request.h"
#include "spawn.h"
#include "forkserver.h"
#include "guard.h"
/* 4. the Python-shaped primitives */
#include "process.h"
#include "thread.h"
#include "gil.h"
#include "work.h"
#include "pipe.h"
#include "pool.h"
#include "queue.h"
#include "sync.h"
#include "value.h"
/* 5. the lesson harness */
#include "lesson.h"

#endif
