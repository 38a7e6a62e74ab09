/* No exercise ships solved: each exercise's tests, linked against the
 * exercise as shipped, must fail (each solution's must pass, which
 * `make test` runs separately). One test here per exercise file found in
 * exercises/, so a new exercise is checked without touching this file.
 *
 * "As shipped" is what tests/exercises/SHIPPED.sha256 says (written by
 * `make exercises-manifest`): a student who solved an exercise has a file
 * that does not match it, and that file is not judged, only noted. With
 * CI=true in the environment every file must match its entry and every
 * entry must have its file: a mismatch there is a stale manifest.
 *
 * MPKIT_UNSOLVED_ROOT=DIR judges DIR/exercises against
 * DIR/tests/exercises/SHIPPED.sha256 instead (the self-tests below use it). */
#include "helpers.h"

#include <dirent.h>

#ifndef BUILD_DIR
#define BUILD_DIR "build"
#endif

#define MANIFEST "tests/exercises/SHIPPED.sha256"
#define RUN_LIMIT_S 30 /* an exercise as shipped must fail, not hang */

typedef struct exercise {
    char lesson[128], file[128]; /* "01-hello", "ex1-exitcode" */
    char hash[65];               /* the manifest's sha256, "" if none */
    bool on_disk, in_manifest;
} exercise;

enum { MAX_EX = 256 };
static exercise found[MAX_EX];
static int nfound;
static const char *root;
static bool manifest_missing;

static bool in_ci(void)
{
    const char *ci = getenv("CI");
    return ci && strcmp(ci, "true") == 0;
}

static exercise *lookup(const char *lesson, const char *file)
{
    for (int i = 0; i < nfound; i++)
        if (strcmp(found[i].lesson, lesson) == 0 && strcmp(found[i].file, file) == 0)
            return &found[i];
    if (nfound == MAX_EX)
        return NULL;
    exercise *e = &found[nfound++];
    memset(e, 0, sizeof *e);
    snprintf(e->lesson, sizeof e->lesson, "%s", lesson);
    snprintf(e->file, sizeof e->file, "%s", file);
    return e;
}

/* "ex1-exitcode.c" -> "ex1-exitcode"; false if the name is not exK-*.c */
static bool exercise_name(const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    if (strncmp(name, "ex", 2) != 0 || n <= 4 || strcmp(name + n - 2, ".c") != 0 || n - 2 >= cap)
        return false;
    snprintf(out, cap, "%.*s", (int)(n - 2), name);
    return true;
}

static void find_exercises(void)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/exercises", root);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *l;
    while ((l = readdir(d))) {
        if (l->d_name[0] == '.')
            continue;
        char sub[4500];
        snprintf(sub, sizeof sub, "%s/%s", dir, l->d_name);
        DIR *e = opendir(sub);
        if (!e)
            continue;
        struct dirent *f;
        char name[128];
        while ((f = readdir(e)))
            if (exercise_name(f->d_name, name, sizeof name)) {
                exercise *x = lookup(l->d_name, name);
                if (x)
                    x->on_disk = true;
            }
        closedir(e);
    }
    closedir(d);
}

/* Lines "HASH  exercises/NN-name/exK-what.c", as sha256sum writes them. */
static void read_manifest(void)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", root, MANIFEST);
    FILE *f = fopen(path, "r");
    if (!f) {
        manifest_missing = true;
        return;
    }
    char line[1024], hash[65], lesson[128], file[128];
    while (fgets(line, sizeof line, f)) {
        char name[128];
        if (sscanf(line, "%64[0-9a-f] exercises/%127[^/]/%127s", hash, lesson, file) != 3 ||
            !exercise_name(file, name, sizeof name))
            continue;
        exercise *x = lookup(lesson, name);
        if (x) {
            x->in_manifest = true;
            snprintf(x->hash, sizeof x->hash, "%s", hash);
        }
    }
    fclose(f);
}

/* sha256 of a file, as sha256sum computes it; false if it could not. */
static bool sha256_of(const char *path, char out[65])
{
    char cmd[4600];
    snprintf(cmd, sizeof cmd, "sha256sum < '%.4500s'", path);
    FILE *p = popen(cmd, "r");
    if (!p)
        return false;
    bool ok = fscanf(p, "%64[0-9a-f]", out) == 1 && strlen(out) == 64;
    return pclose(p) == 0 && ok;
}

/* BUILD/tests/exercises/NN/exK (what = "exercises"), or the sha256 of the
 * source it was built from, BUILD/tests/sources/exercises/NN/exK.c.sha256
 * (what = "sources/exercises", ext = ".c.sha256"): the Makefile writes both. */
static void build_path(const exercise *ex, const char *what, const char *ext, char *out, size_t cap)
{
    if (BUILD_DIR[0] == '/')
        snprintf(out, cap, "%s/tests/%s/%s/%s%s", BUILD_DIR, what, ex->lesson, ex->file, ext);
    else
        snprintf(out, cap, "%s/%s/tests/%s/%s/%s%s", MP_ROOT, BUILD_DIR, what, ex->lesson, ex->file, ext);
}

/* Build it (the Makefile did), run it: it must fail its tests. */
static void check_fails_as_shipped(const exercise *ex)
{
    char bin[4400], marker[4500], stamp[4400];
    build_path(ex, "exercises", "", bin, sizeof bin);
    build_path(ex, "sources/exercises", ".c.sha256", stamp, sizeof stamp);
    snprintf(marker, sizeof marker, "%s.compile-error", bin);
    char *built_from = read_file(stamp);
    bool other_copy = built_from && strncmp(built_from, ex->hash, 64) != 0;
    free(built_from);
    if (other_copy)
        fail_msg("%s was built from another copy of exercises/%s/%s.c: run make test again", bin, ex->lesson,
                 ex->file);
    if (access(bin, X_OK) != 0) {
        char *errors = read_file(marker);
        if (errors) {
            print_error("%s", errors);
            free(errors);
            fail_msg("exercises/%s/%s.c as shipped does not compile (above)", ex->lesson, ex->file);
        }
        fail_msg("%s was not built: does tests/exercises/%s/%s.c exist?", bin, ex->lesson, ex->file);
    }
    char *dir = make_tmpdir();
    char *argv[] = {bin, NULL};
    int rc = run_program(argv, dir, RUN_LIMIT_S);
    rm_tree(dir);
    if (rc == 0)
        fail_msg("exercises/%s/%s.c passes its tests untouched: it ships solved", ex->lesson, ex->file);
    if (rc == -1000)
        fail_msg("exercises/%s/%s.c as shipped did not end within %d s: a student would see a time-out, "
                 "not failed tests", ex->lesson, ex->file, RUN_LIMIT_S);
}

static void judge(void **state)
{
    const exercise *ex = *state;
    const char *stale = "the manifest is stale: run `make exercises-manifest` (and commit " MANIFEST ")";
    if (manifest_missing)
        fail_msg("%s/%s is missing: run `make exercises-manifest`", root, MANIFEST);
    if (!ex->on_disk) {
        if (in_ci())
            fail_msg("%s lists exercises/%s/%s.c, which does not exist: %s", MANIFEST, ex->lesson, ex->file,
                     stale);
        print_message("note: exercises/%s/%s.c is in %s but not on disk: not judged\n", ex->lesson, ex->file,
                      MANIFEST);
        return;
    }
    if (!ex->in_manifest) {
        if (in_ci())
            fail_msg("exercises/%s/%s.c has no entry in %s: %s", ex->lesson, ex->file, MANIFEST, stale);
        print_message("note: exercises/%s/%s.c is not in %s: not judged\n", ex->lesson, ex->file, MANIFEST);
        return;
    }
    char path[4500], hash[65] = "";
    snprintf(path, sizeof path, "%s/exercises/%s/%s.c", root, ex->lesson, ex->file);
    if (!sha256_of(path, hash))
        fail_msg("could not compute the sha256 of %s (sha256sum)", path);
    if (strcmp(hash, ex->hash) != 0) {
        if (in_ci())
            fail_msg("exercises/%s/%s.c does not match its entry in %s: %s", ex->lesson, ex->file, MANIFEST,
                     stale);
        print_message("note: exercises/%s/%s.c is edited, not the shipped copy: not judged\n", ex->lesson,
                      ex->file);
        return;
    }
    check_fails_as_shipped(ex);
}

/* ---- self-tests: this program run on a made-up tree ---- */

/* A scratch tree: DIR/exercises/01-hello/ and DIR/tests/exercises/. */
static char *scratch_tree(void)
{
    char *dir = make_tmpdir(), path[4200];
    snprintf(path, sizeof path, "%s/exercises", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/exercises/01-hello", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/tests", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/tests/exercises", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    return dir;
}

/* The real ex1-exitcode.c, with `extra` appended; and its real manifest line. */
static char *copy_of_ex1(const char *extra)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/exercises/01-hello/ex1-exitcode.c", MP_ROOT);
    char *text = read_file(path);
    assert_non_null(text);
    char *out = malloc(strlen(text) + strlen(extra) + 1);
    strcpy(out, text);
    strcat(out, extra);
    free(text);
    return out;
}

static char *manifest_line_of_ex1(void)
{
    char path[4200], line[1024];
    snprintf(path, sizeof path, "%s/%s", MP_ROOT, MANIFEST);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("%s is missing: run `make exercises-manifest`", path);
    char *found_line = NULL;
    while (fgets(line, sizeof line, f))
        if (strstr(line, " exercises/01-hello/ex1-exitcode.c"))
            found_line = strdup(line);
    fclose(f);
    if (!found_line)
        fail_msg("%s has no line for exercises/01-hello/ex1-exitcode.c", path);
    return found_line;
}

/* Run this program on tree `dir`, with CI=true or without CI; returns its
 * exit code and what it printed (stdout and stderr). */
static int run_on(const char *dir, bool ci, char **output)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(n > 0);
    self[n] = '\0';
    char *saved_ci = getenv("CI") ? strdup(getenv("CI")) : NULL;
    setenv("MPKIT_UNSOLVED_ROOT", dir, 1);
    if (ci)
        setenv("CI", "true", 1);
    else
        unsetenv("CI");
    char *runs = make_tmpdir();
    char *argv[] = {self, NULL};
    int rc = run_program(argv, runs, 120);
    unsetenv("MPKIT_UNSOLVED_ROOT");
    if (saved_ci)
        setenv("CI", saved_ci, 1);
    else
        unsetenv("CI");
    free(saved_ci);
    char path[4200];
    snprintf(path, sizeof path, "%s/out.txt", runs);
    char *out = read_file(path);
    snprintf(path, sizeof path, "%s/err.txt", runs);
    char *err = read_file(path);
    *output = malloc(strlen(out ? out : "") + strlen(err ? err : "") + 1);
    strcpy(*output, out ? out : "");
    strcat(*output, err ? err : "");
    free(out);
    free(err);
    rm_tree(runs);
    return rc;
}

/* A student's edited copy: noted and not judged; in CI, a stale manifest. */
static void test_edited_copy_is_not_judged(void **state)
{
    (void)state;
    char *dir = scratch_tree(), *text = copy_of_ex1("/* solved, says the student */\n");
    char *line = manifest_line_of_ex1(), sub[4200], *out;
    snprintf(sub, sizeof sub, "%s/exercises/01-hello", dir);
    write_file_in(sub, "ex1-exitcode.c", text);
    snprintf(sub, sizeof sub, "%s/tests/exercises", dir);
    write_file_in(sub, "SHIPPED.sha256", line);

    int rc = run_on(dir, false, &out);
    assert_contains(out, "note: exercises/01-hello/ex1-exitcode.c is edited, not the shipped copy: not judged");
    assert_int_equal(rc, 0);
    free(out);

    rc = run_on(dir, true, &out);
    assert_contains(out, "exercises/01-hello/ex1-exitcode.c does not match its entry");
    assert_contains(out, "make exercises-manifest");
    assert_int_not_equal(rc, 0);
    free(out);
    free(text);
    free(line);
    rm_tree(dir);
}

/* The same file untouched is judged: it runs the built exercise, which fails. */
static void test_shipped_copy_is_judged(void **state)
{
    (void)state;
    char *dir = scratch_tree(), *text = copy_of_ex1("");
    char *line = manifest_line_of_ex1(), sub[4200], *out;
    snprintf(sub, sizeof sub, "%s/exercises/01-hello", dir);
    write_file_in(sub, "ex1-exitcode.c", text);
    snprintf(sub, sizeof sub, "%s/tests/exercises", dir);
    write_file_in(sub, "SHIPPED.sha256", line);
    for (int ci = 0; ci < 2; ci++) {
        int rc = run_on(dir, ci, &out);
        if (strstr(out, "note:"))
            fail_msg("the shipped copy was not judged:\n%s", out);
        assert_contains(out, "[  PASSED  ] 1 test(s).");
        assert_int_equal(rc, 0);
        free(out);
    }
    free(text);
    free(line);
    rm_tree(dir);
}

/* In CI, an entry with no file and a file with no entry are errors. */
static void test_manifest_and_files_must_agree_in_ci(void **state)
{
    (void)state;
    char *dir = scratch_tree(), *line = manifest_line_of_ex1(), sub[4200], *out;
    snprintf(sub, sizeof sub, "%s/tests/exercises", dir);
    write_file_in(sub, "SHIPPED.sha256", line); /* an entry, no file */
    int rc = run_on(dir, true, &out);
    assert_contains(out, "lists exercises/01-hello/ex1-exitcode.c, which does not exist");
    assert_int_not_equal(rc, 0);
    free(out);
    rc = run_on(dir, false, &out);
    assert_int_equal(rc, 0);
    free(out);

    write_file_in(sub, "SHIPPED.sha256", ""); /* a file, no entry */
    snprintf(sub, sizeof sub, "%s/exercises/01-hello", dir);
    write_file_in(sub, "ex9-new.c", "int x;\n");
    rc = run_on(dir, true, &out);
    assert_contains(out, "exercises/01-hello/ex9-new.c has no entry");
    assert_int_not_equal(rc, 0);
    free(out);
    rc = run_on(dir, false, &out);
    assert_contains(out, "note: exercises/01-hello/ex9-new.c is not in");
    assert_int_equal(rc, 0);
    free(out);
    free(line);
    rm_tree(dir);
}

static int by_name(const void *a, const void *b)
{
    const exercise *x = a, *y = b;
    int c = strcmp(x->lesson, y->lesson);
    return c ? c : strcmp(x->file, y->file);
}

int main(void)
{
    const char *other = getenv("MPKIT_UNSOLVED_ROOT");
    root = other ? other : MP_ROOT;
    find_exercises();
    read_manifest();
    qsort(found, (size_t)nfound, sizeof found[0], by_name);
    static struct CMUnitTest tests[MAX_EX + 3];
    static char names[MAX_EX][300];
    size_t n = 0;
    for (int i = 0; i < nfound; i++) {
        snprintf(names[i], sizeof names[i], "exercise %.127s/%.127s as shipped fails its tests",
                 found[i].lesson, found[i].file);
        tests[n++] = (struct CMUnitTest){names[i], judge, NULL, NULL, &found[i]};
    }
    if (!other) {
        if (nfound == 0) {
            fprintf(stderr, "no exercises found under %s/exercises\n", root);
            return 1;
        }
        tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_edited_copy_is_not_judged);
        tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_shipped_copy_is_judged);
        tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_manifest_and_files_must_agree_in_ci);
    }
    return _cmocka_run_group_tests("unsolved exercises", tests, n, NULL, NULL);
}
