/* No exercise ships solved: each exercise's tests, linked against the
 * untouched student file, must fail (and each solution's must pass, which
 * `make test` runs separately). One test here per exercise file found in
 * exercises/, so a new exercise is checked without touching this file. */
#include "helpers.h"

#include <dirent.h>

#ifndef BUILD_DIR
#define BUILD_DIR "build"
#endif

typedef struct exercise {
    char lesson[256], file[256];
} exercise;

static exercise found[256];
static int nfound;

static void find_exercises(void)
{
    char root[4200];
    snprintf(root, sizeof root, "%s/exercises", MP_ROOT);
    DIR *d = opendir(root);
    if (!d)
        return;
    struct dirent *l;
    while ((l = readdir(d)) && nfound < 256) {
        if (l->d_name[0] == '.')
            continue;
        char sub[4500];
        snprintf(sub, sizeof sub, "%s/%s", root, l->d_name);
        DIR *e = opendir(sub);
        if (!e)
            continue;
        struct dirent *f;
        while ((f = readdir(e)) && nfound < 256) {
            size_t n = strlen(f->d_name);
            if (strncmp(f->d_name, "ex", 2) == 0 && n > 2 && strcmp(f->d_name + n - 2, ".c") == 0) {
                snprintf(found[nfound].lesson, sizeof found[nfound].lesson, "%s", l->d_name);
                snprintf(found[nfound].file, sizeof found[nfound].file, "%.*s", (int)(n - 2), f->d_name);
                nfound++;
            }
        }
        closedir(e);
    }
    closedir(d);
}

static void check_fails(void **state)
{
    const exercise *ex = *state;
    char bin[4400];
    if (BUILD_DIR[0] == '/')
        snprintf(bin, sizeof bin, "%s/tests/exercises/%s/%s", BUILD_DIR, ex->lesson, ex->file);
    else
        snprintf(bin, sizeof bin, "%s/%s/tests/exercises/%s/%s", MP_ROOT, BUILD_DIR, ex->lesson, ex->file);
    if (access(bin, X_OK) != 0)
        fail_msg("%s was not built: does tests/exercises/%s/%s.c exist?", bin, ex->lesson, ex->file);
    char *dir = make_tmpdir();
    char *argv[] = {bin, NULL};
    int rc = run_program(argv, dir, 60);
    rm_tree(dir);
    if (rc == 0)
        fail_msg("exercises/%s/%s.c passes its tests untouched: it ships solved", ex->lesson, ex->file);
}

int main(void)
{
    find_exercises();
    struct CMUnitTest tests[256];
    for (int i = 0; i < nfound; i++) {
        static char names[256][600];
        snprintf(names[i], sizeof names[i], "unsolved %.250s/%.250s fails its tests", found[i].lesson, found[i].file);
        tests[i] = (struct CMUnitTest){names[i], check_fails, NULL, NULL, &found[i]};
    }
    if (nfound == 0) {
        fprintf(stderr, "no exercises found under %s/exercises\n", MP_ROOT);
        return 1;
    }
    return _cmocka_run_group_tests("unsolved exercises", tests, (size_t)nfound, NULL, NULL);
}
