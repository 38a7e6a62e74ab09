/* Lesson 05, part 4 -- T2's scenario 1: many files through imap, with a
 * progress bar.
 *
 * T2 cleans 1000 Excel files of hundreds of thousands of rows, in batches
 * of 25 paths, with `Pool(20).imap(extract, params)` wrapped in tqdm for a
 * progress bar, and concatenates the results. Here a "file" is a number of
 * rows (varying from file to file, drawn with --seed) whose values are
 * made on the fly; cleaning keeps the rows that pass a filter and sums
 * them. imap hands results back in file order, so gathering them is a
 * loop; the bar (mp_call_opts.progress) is redrawn in place on a terminal
 * and is one summary line in a log. Then T2's batches: chunksize 25 sends
 * 25 files per message instead of 1. Every result is checked against a
 * serial loop. */
#include <stdlib.h>

#include "lesson05.h"

#define FILES 1000

typedef struct files_run {
    mp_pool *pool;
    size_t chunksize;
    bool progress;
    file_args args[FILES];
    file_result res[FILES];
} files_run;

static void serial(void *arg)
{
    files_run *f = arg;
    for (int i = 0; i < FILES; i++)
        CHECK(clean_file_task(&f->args[i], &f->res[i]));
}

static void through_imap(void *arg)
{
    files_run *f = arg;
    memset(f->res, 0, sizeof f->res);
    mp_call_opts o = {.chunksize = f->chunksize, .progress = f->progress, .label = "files"};
    mp_imap *it;
    CHECK(mp_pool_imap(f->pool, clean_file_task, f->args, FILES, sizeof(file_args), sizeof(file_result), &o, &it));
    file_result r;
    size_t item;
    int rc;
    while ((rc = mp_imap_next(it, 60, &r, &item)) == 0) /* gathered: in file order */
        f->res[item] = r;
    mp_imap_free(it);
    if (rc != MP_POOL_END)
        CHECK(rc);
}

void part_files(mp_lesson *L, files_result *R)
{
    mp_lesson_part(L, "4. T2's scenario 1: %d files of varying size through imap, with a progress bar", FILES);
    static files_run f;
    *R = (files_result){.files = FILES};
    unsigned long s = L->o.seed * 2654435761ul + 12345;
    long rows_min = L->o.quick ? 50 : 1000, rows_span = L->o.quick ? 500 : 9000;
    for (int i = 0; i < FILES; i++) {
        s = s * 6364136223846793005ul + 1442695040888963407ul;
        f.args[i] = (file_args){L->o.seed, i, rows_min + (long)((s >> 33) % (unsigned long)rows_span)};
        R->rows += f.args[i].rows;
    }
    CHECK(mp_measure(L->o.repeat, serial, &f, &R->serial, NULL));
    static file_result want[FILES];
    memcpy(want, f.res, sizeof want);
    for (int i = 0; i < FILES; i++)
        R->kept += want[i].kept;
    mp_say("%d files, %ld to %ld rows each (--seed %lu), %ld rows in all: the serial loop keeps %ld in %.1f ms",
           FILES, rows_min, rows_min + rows_span - 1, L->o.seed, R->rows, R->kept, R->serial.median * 1e3);
    pool_row("files", "serial", 1, FILES, 0, &R->serial);

    int start = mp_get_start_method();
    f.pool = mp_lesson_pool(MP_POOL_PROCESSES, start, L->o.workers, NULL);
    f.chunksize = 1;
    f.progress = true;
    mp_say("imap(clean, files) on %d workers, chunksize 1, with the progress bar (on stderr):", L->o.workers);
    CHECK(mp_measure(L->o.repeat, through_imap, &f, &R->pool1, NULL));
    R->all_right = memcmp(f.res, want, sizeof want) == 0;
    f.chunksize = 25;
    f.progress = false;
    CHECK(mp_measure(L->o.repeat, through_imap, &f, &R->pool25, NULL));
    R->all_right = R->all_right && memcmp(f.res, want, sizeof want) == 0;
    mp_lesson_pool_finish(f.pool);
    pool_row("files-imap", mp_pool_backend_name(MP_POOL_PROCESSES, start), L->o.workers, FILES, 1, &R->pool1);
    pool_row("files-imap", mp_pool_backend_name(MP_POOL_PROCESSES, start), L->o.workers, FILES, 25, &R->pool25);
    mp_say("imap, chunksize 1: %.1f ms; chunksize 25 (T2's batches): %.1f ms; serial %.1f ms; all %d results %s",
           R->pool1.median * 1e3, R->pool25.median * 1e3, R->serial.median * 1e3, FILES,
           R->all_right ? "equal the serial loop's, in file order" : "DIFFER from the serial loop's");
}
