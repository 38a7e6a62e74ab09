/* Lesson 10, part 4 -- T3's main example: save the model in the background.
 *
 * T3 trains for some epochs; after each, the model is saved (a temporary
 * copy, and the best one when the test loss improved). Saving inline, the
 * training waits for the disk every epoch. T3 starts a thread that saves
 * under a global lock, and the next epoch first joins the previous epoch's
 * thread and reads its best_loss ("Best Model Renewed" when it changed): the
 * saving overlaps the next epoch's computing.
 *
 * Here an epoch computes for epoch_s (mp_spin) and a save writes save_mib
 * MiB into --out and fsyncs it (the files are removed at the end). First one save is timed alone, and the
 * epoch is set to take about as long; then inline against background,
 * total time. Then again with a model twice as big, so a save twice as
 * long as an epoch: the next
 * epoch's join waits for the rest of it -- the background can hide at most
 * an epoch's worth of saving. The timeline (training.png) shows the
 * overlap. */
#include <fcntl.h>
#include <stdlib.h>

#include "lesson10.h"

typedef struct trainer {
    const char *dir;
    size_t bytes;
    unsigned char *model; /* what training changes */
    unsigned char *saved; /* the copy a save writes (see train) */
    mp_lock lock;        /* T3's global lock around the save */
    double best_loss;
    int renewed;
} trainer;

typedef struct save_job { trainer *t; int epoch; double loss; } save_job;

static int write_file(const char *dir, const char *name, const void *p, size_t n)
{
    char path[PATH_MAX];
    CHECK(mp_out_path(path, sizeof path, dir, name));
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        mp_error("open %s: %s", path, strerror(errno));
        return -errno;
    }
    int rc = mp_write_full(fd, p, n);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    close(fd);
    return rc;
}

static void *save_model(void *arg)
{
    save_job *j = arg;
    trainer *t = j->t;
    mp_trace_begin("save");
    CHECK(mp_lock_acquire(&t->lock, -1));
    CHECK(write_file(t->dir, "model-temp.bin", t->saved, t->bytes));
    if (j->loss < t->best_loss) {
        t->best_loss = j->loss;
        CHECK(write_file(t->dir, "model-best.bin", t->saved, t->bytes));
    }
    CHECK(mp_lock_release(&t->lock));
    mp_trace_end("save");
    return NULL;
}

/* One training run: epochs of compute then a save, inline or not. */
static double train(trainer *t, int epochs, uint64_t epoch_steps, bool background, bool say)
{
    t->best_loss = 1e9;
    t->renewed = 0;
    mp_thread saver;
    save_job job;
    bool running = false;
    double best_seen = t->best_loss;
    uint64_t t0 = mp_now_ns();
    for (int e = 0; e < epochs; e++) {
        mp_trace_begin("epoch");
        volatile uint64_t sink = mp_spin(epoch_steps, (uint64_t)e); /* the training */
        (void)sink;
        t->model[(size_t)e % t->bytes] ^= 1;
        double loss = 1.0 / (e + 1) + ((e * 7) % 3) * 0.2; /* improves, with a bump now and then */
        mp_trace_end("epoch");
        if (running) { /* T3: join the previous epoch's saver, read its best_loss */
            mp_trace_begin("join");
            CHECK(mp_thread_join(&saver, NULL));
            mp_trace_end("join");
            running = false;
        }
        if (t->best_loss < best_seen) {
            best_seen = t->best_loss;
            t->renewed++;
            if (say)
                mp_say("epoch %d: Best Model Renewed (loss %.3f)", e, best_seen);
        }
        /* T3 hands the live model to the saver thread while the next epoch
         * changes it: the file may get half of one epoch's model and half of
         * the next (a data race: ThreadSanitizer reports it). Save a copy,
         * made here, when the last saver has been joined: the next epoch
         * changes only the model. (Inline saves copy too, to do the same
         * work.) */
        memcpy(t->saved, t->model, t->bytes);
        job = (save_job){t, e, loss};
        if (background) {
            mp_thread_init(&saver, "saver", save_model, &job);
            CHECK(mp_thread_start(&saver));
            running = true;
        } else
            save_model(&job);
    }
    if (running)
        CHECK(mp_thread_join(&saver, NULL));
    return mp_ns_to_s(mp_now_ns() - t0);
}

/* inline and background, `repeat` times each, taking turns (so a busy
 * moment of the machine falls on both): each one's median into out[]. */
static void measure(trainer *t, int epochs, uint64_t steps, int repeat, mp_stats *out, const char *what,
                    double save_mib)
{
    double *s = calloc(2 * (size_t)repeat, sizeof *s);
    if (!s)
        mp_lesson_abort();
    for (int r = 0; r < repeat; r++)
        for (int m = 0; m < NMODES; m++)
            s[m * repeat + r] = train(t, epochs, steps, m == BACKGROUND, false);
    for (int m = 0; m < NMODES; m++) {
        CHECK(mp_stats_of(s + m * repeat, (size_t)repeat, &out[m]));
        CHECK(mp_csv_row(&background_csv, "%s,%d,%.1f,%.6f", m == INLINE ? "inline" : "background", epochs, save_mib,
                         out[m].median));
    }
    mp_say("%s: inline %.3f s, background %.3f s (%.2fx; medians of %d, runs spread %.0f%% and %.0f%%)", what,
           out[INLINE].median, out[BACKGROUND].median, out[INLINE].median / out[BACKGROUND].median, repeat,
           100 * mp_spread(&out[INLINE]), 100 * mp_spread(&out[BACKGROUND]));
    free(s);
}

/* How long one save takes alone: the median of three. */
static double time_save(trainer *t)
{
    double saves[3];
    for (int i = 0; i < 3; i++) {
        uint64_t a = mp_now_ns();
        t->best_loss = 1e9;
        save_job j = {t, 0, 1}; /* an improved loss: both files, the longest a save takes */
        save_model(&j);
        saves[i] = mp_ns_to_s(mp_now_ns() - a);
    }
    mp_stats st;
    CHECK(mp_stats_of(saves, 3, &st));
    return st.median;
}

void part_background(mp_lesson *L, background_result *R)
{
    uint64_t t0 = mp_lesson_part(L, "4. T3's training loop: saving the model inline or in a background thread");
    *R = (background_result){.epochs = L->o.quick ? 4 : 6, .save_mib = L->o.quick ? 4 : 8};
    trainer t = {.dir = L->o.out, .bytes = (size_t)(R->save_mib * (1 << 20))};
    t.model = malloc(2 * t.bytes); /* twice: the slow saves of the last run */
    t.saved = malloc(2 * t.bytes);
    if (!t.model || !t.saved)
        mp_lesson_abort();
    memset(t.model, 7, 2 * t.bytes);
    memcpy(t.saved, t.model, 2 * t.bytes);
    CHECK(mp_lock_init(&t.lock, MP_LOCK, "save"));
    /* one save alone, the median of three: an epoch is set to take as long.
     * The part lasts about 70 saves (--quick) or 150: on a slow or busy disk
     * the model shrinks, halving until a save takes at most 25 ms (--quick)
     * or 60 ms, or it is 1 MiB */
    double most = L->o.quick ? 0.025 : 0.060;
    for (R->save_s = time_save(&t); R->save_s > most && t.bytes >= (2 << 20); R->save_s = time_save(&t))
        t.bytes /= 2;
    R->save_mib = (double)t.bytes / (1 << 20);
    if (R->save_s < 0.005)
        R->save_s = 0.005; /* a disk that takes no time: at least 5 ms epochs */
    R->epoch_s = R->save_s;
    mp_say("%d epochs; a save writes %g MiB twice at most (temp, and best when the loss improved) and fsyncs: "
           "%.1f ms alone; an epoch computes for as long", R->epochs, R->save_mib, R->save_s * 1e3);
    uint64_t steps = mp_spin_steps_for_ns(R->epoch_s * 1e9);
    /* the story once, traced, for the timeline */
    mp_trace_enable(true);
    uint64_t from = mp_now_ns();
    (void)train(&t, R->epochs, steps, true, true);
    uint64_t to = mp_now_ns();
    mp_trace_enable(L->o.trace);
    R->renewed = t.renewed;
    mp_trace_write_window(L->o.out, "training",
                          "lesson 10: epochs (main) and saves (saver threads) overlapping", from, to, L->o.no_plot);
    /* the verdict rests on this comparison: at least 3 runs each, even
     * with --quick, so that the spread shows whether the disk was steady */
    int repeat = L->o.repeat < 3 ? 3 : L->o.repeat;
    measure(&t, R->epochs, steps, repeat, R->total, "save about as long as an epoch", R->save_mib);
    t.bytes *= 2; /* a model twice as big: a save twice as long as an epoch */
    measure(&t, R->epochs, steps, L->o.repeat, R->slow, "save twice as long as an epoch", 2 * R->save_mib);
    mp_say("with the save twice an epoch, each join waits for the half the epoch could not hide");
    /* the models are of no use once timed: leave no megabytes behind in --out */
    const char *models[] = {"model-temp.bin", "model-best.bin"};
    for (int i = 0; i < 2; i++) {
        char path[PATH_MAX];
        CHECK(mp_out_path(path, sizeof path, L->o.out, models[i]));
        if (unlink(path) != 0 && errno != ENOENT)
            mp_error("unlink %s: %s", path, strerror(errno));
    }
    mp_lock_destroy(&t.lock);
    free(t.model);
    free(t.saved);
    (void)t0;
}
