/* Lesson 06: the CSV files every part writes rows to. */
#include "lesson06.h"

mp_csv gran_csv, model_csv, t4_csv, chunks_csv, data_csv;

void outputs_open(const mp_lesson *L)
{
    CHECK(mp_csv_open(&gran_csv, L->o.out, "granularity.csv",
                      "backend,task_ns,workers,chunksize,median_s,speedup,overhead_ns_per_task"));
    CHECK(mp_csv_open(&model_csv, L->o.out, "model.csv",
                      "backend,start_us,overhead_ns_per_task,predicted_breakeven_ns,measured_breakeven_ns"));
    CHECK(mp_csv_open(&t4_csv, L->o.out, "t4.csv", "experiment,backend,workers,median_s"));
    CHECK(mp_csv_open(&chunks_csv, L->o.out, "chunks.csv",
                      "backend,tasks,task_ns,chunksize,median_s,speedup,overhead_ns_per_task"));
    CHECK(mp_csv_open(&data_csv, L->o.out, "data.csv", "bytes,task_ns,tasks,median_s,speedup,overhead_ns_per_task"));
}

void outputs_close(void)
{
    CHECK(mp_csv_close(&gran_csv));
    CHECK(mp_csv_close(&model_csv));
    CHECK(mp_csv_close(&t4_csv));
    CHECK(mp_csv_close(&chunks_csv));
    CHECK(mp_csv_close(&data_csv));
}
