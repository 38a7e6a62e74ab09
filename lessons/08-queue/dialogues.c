/* Lesson 08, part 3 -- T2's scenario 2: two files, one written by a helper.
 *
 * The main process writes dialogues, in order, to one file; for each it
 * also puts the dialogue reversed on a queue, and a writer process gets
 * them and writes them to a second file. Neither process holds all the
 * dialogues at once. How does the writer know it is done? T2 puts a
 * sentinel (an empty list) after the last one; this kit's queue also
 * offers close(), after which a get drains what is left and then reports
 * the end. Both are run here, and the files checked against each other. */
#include <stdio.h>
#include <stdlib.h>

#include "lesson08.h"

#define LINE_MAX_BYTES 256
static const char *const who[] = {"Alice", "Bob", "Carol", "Dave"};
static const char *const words[] = {"hello", "queue", "pipe", "process", "fork", "spawn", "item", "order",
                                    "file", "reversed", "sentinel", "close", "writer", "main", "lost", "never"};

/* Dialogue i: a few speakers, a few words each, the same for the same seed. */
static size_t dialogue(unsigned long seed, long i, char *out, size_t cap)
{
    unsigned long x = seed * 2654435761ul + (unsigned long)i * 40503ul + 1;
    size_t len = (size_t)snprintf(out, cap, "%ld", i);
    int turns = 1 + (int)(x % 4);
    for (int t = 0; t < turns; t++) {
        x = x * 6364136223846793005ul + 1442695040888963407ul;
        len += (size_t)snprintf(out + len, cap - len, " %s:", who[(x >> 33) % 4]);
        for (int w = 0; w < 1 + (int)((x >> 40) % 5) && len < cap - 16; w++)
            len += (size_t)snprintf(out + len, cap - len, " %s", words[(x >> (20 + w * 4)) % 16]);
    }
    return len < cap ? len : cap - 1;
}

static void reverse(char *s, size_t n)
{
    for (size_t a = 0, b = n; a + 1 < b; a++, b--) {
        char c = s[a];
        s[a] = s[b - 1];
        s[b - 1] = c;
    }
}

/* The writer: each item is a reversed dialogue; an empty item (the
 * sentinel) or the end of the stream stops it. */
int reversed_writer(void *arg)
{
    const child_args *a = arg;
    slot *me = child_slot(a);
    mp_queue q;
    child_queue(&q);
    FILE *f = mp_file_create(a->path);
    if (!f)
        return 1;
    char buf[LINE_MAX_BYTES];
    size_t len;
    int rc;
    while ((rc = mp_queue_get(&q, buf, sizeof buf, &len, -1)) == 0 && len > 0) {
        fprintf(f, "%.*s\n", (int)len, buf);
        atomic_fetch_add(&me->got, 1);
    }
    const char *how = rc == 0 ? "the sentinel (an empty item)" : rc == MP_QUEUE_END ? "the end of the stream (close)"
                                                                                    : strerror(-rc);
    mp_say("wrote %lu reversed dialogues, stopped by %s", (unsigned long)atomic_load(&me->got), how);
    mp_queue_detach(&q);
    return (rc == 0 || rc == MP_QUEUE_END) && mp_file_close(f, a->path) == 0 ? 0 : 1;
}

/* Line k of rev, reversed, is line k of fwd; the same number of lines. */
static bool files_match(const char *fwd, const char *rev, long *lines)
{
    FILE *a = fopen(fwd, "r"), *b = fopen(rev, "r");
    bool same = a && b;
    char la[LINE_MAX_BYTES + 2], lb[LINE_MAX_BYTES + 2];
    *lines = 0;
    while (same) {
        char *ra = fgets(la, sizeof la, a), *rb = fgets(lb, sizeof lb, b);
        if (!ra || !rb) {
            same = !ra && !rb;
            break;
        }
        size_t n = strcspn(lb, "\n");
        reverse(lb, n);
        same = strcmp(la, lb) == 0;
        ++*lines;
    }
    if (a)
        fclose(a);
    if (b)
        fclose(b);
    return same;
}

void part_dialogues(mp_lesson *L, dialogues_result *R)
{
    long n = L->o.quick ? 2000 : 20000;
    mp_lesson_part(L, "3. T2's two files: dialogues in order here, reversed by a writer process");
    R->dialogues = n;
    char fwd[PATH_MAX];
    CHECK(mp_out_path(fwd, sizeof fwd, L->o.out, "dialogues.txt"));
    for (int how = 0; how < 2; how++) { /* 0: a sentinel ends it; 1: close() does */
        board_clear();
        mp_queue q;
        CHECK(mp_queue_create(&q, 64, LINE_MAX_BYTES, false));
        child_args a = {.slot = 0};
        CHECK(mp_out_path(a.path, sizeof a.path, L->o.out, how ? "reversed-close.txt" : "reversed-sentinel.txt"));
        mp_process w;
        uint64_t t0 = mp_now_ns();
        start_child(&w, "writer", reversed_writer, &a, mp_queue_fd(&q));
        FILE *f = mp_file_create(fwd);
        if (!f)
            mp_lesson_abort();
        char line[LINE_MAX_BYTES];
        for (long i = 0; i < n; i++) {
            size_t len = dialogue(L->o.seed, i, line, sizeof line);
            fprintf(f, "%.*s\n", (int)len, line);
            reverse(line, len);
            CHECK(mp_queue_put(&q, line, len, -1));
        }
        if (how == 0)
            CHECK(mp_queue_put(&q, "", 0, -1)); /* the sentinel: T2's empty list */
        else
            mp_queue_close(&q);
        if (mp_file_close(f, fwd) != 0)
            mp_lesson_abort();
        CHECK(mp_lesson_join(&w, 60));
        long lines;
        R->match[how] = files_match(fwd, a.path, &lines);
        mp_say("%s: main (pid %d) wrote %ld dialogues, writer pid %d wrote %ld reversed, in %.3f s; reversed back, "
               "%s line by line", how ? "ended by close()" : "ended by a sentinel", (int)getpid(), n, w.pid, lines,
               mp_ns_to_s(mp_now_ns() - t0), R->match[how] ? "the files match" : "the files DIFFER");
        mp_queue_detach(&q);
    }
}
