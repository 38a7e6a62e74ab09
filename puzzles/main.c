/* build/puzzle: a seeded predict-then-measure problem for a lesson.
 *
 *   puzzle N [--seed S] [--solve] [--answer X] [--no-run]
 *   puzzle --list
 *
 * Prints lesson N's problem for seed S (default 1) and asks for a
 * prediction. --solve prints the answer with its reasoning and, where the
 * puzzle can, runs the scenario on this machine (--no-run: the reasoning
 * only). --answer X checks a prediction without asking: exit status 0
 * right, 1 wrong. With no --solve and no --answer it reads the prediction
 * from stdin when stdin is a terminal; otherwise (tests, CI, a pipe) it
 * prints the problem and says how to go on, and does not wait.
 * Bad flags, a lesson without a puzzle, an answer that is not one: one
 * line on stderr and exit status 2.
 *
 * The flags are parsed with getopt_long and lib/cli's strict number
 * parser; not with mp_cli_parse, whose shared lesson flags (--workers,
 * --out, --quick...) mean nothing to a puzzle. */
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mp.h"
#include "puzzle.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: puzzle N [--seed S] [--solve] [--answer X] [--no-run]   (N: a lesson; puzzle --list)\n"
               "  --seed S     another problem (a whole number, default 1)\n"
               "  --solve      the answer, its reasoning, and a run on this machine beside it\n"
               "  --answer X   check the prediction X (exit status 0 right, 1 wrong)\n"
               "  --no-run     with --solve or --answer: the reasoning only, nothing is run\n"
               "  --list       the puzzles, one per lesson\n");
}

static void list(void)
{
    for (int i = 0; puzzles[i]; i++)
        printf("  %02d  %-12s %s\n", puzzles[i]->lesson, puzzles[i]->name, puzzles[i]->about);
}

static int bad(const char *msg, const char *what)
{
    fprintf(stderr, "puzzle: %s%s (see puzzle --help)\n", msg, what ? what : "");
    return 2;
}

/* The answer and how it was reached; then the run on this machine. */
static int solve(const puzzle *p, const void *st, bool run)
{
    printf("\n-- answer --\n");
    p->solve(st, stdout);
    if (run && p->measure) {
        printf("\n-- on this machine --\n");
        fflush(stdout);
        int rc = p->measure(st, stdout);
        if (rc < 0) {
            fprintf(stderr, "puzzle: the run on this machine failed: %s\n", strerror(-rc));
            return 1;
        }
    }
    return 0;
}

/* 1 right, 0 wrong; 2 (after one line) if it is not an answer. */
static int judge(const puzzle *p, const void *st, const char *answer)
{
    int ok = p->check(st, answer);
    if (ok < 0) {
        fprintf(stderr, "puzzle: '%s' is not an answer here: give %s\n", answer, p->answer_form);
        return 2;
    }
    char want[128];
    p->answer(st, want, sizeof want);
    if (ok)
        printf("\nyour prediction %s: right\n", answer);
    else
        printf("\nyour prediction %s: wrong, the answer is %s\n", answer, want);
    return ok;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"seed", required_argument, NULL, 's'},
                                             {"solve", no_argument, NULL, 'S'},
                                             {"answer", required_argument, NULL, 'a'},
                                             {"no-run", no_argument, NULL, 'n'},
                                             {"list", no_argument, NULL, 'l'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0}};
    long seed = 1;
    bool want_solve = false, no_run = false, want_list = false;
    const char *answer = NULL;
    int c;
    opterr = 0; /* our own messages, one line each */
    while ((optopt = 0, c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (mp_parse_long(optarg, 0, 0x7fffffffL, &seed) < 0)
                return bad("--seed takes a whole number from 0 to 2147483647, not ", optarg);
            break;
        case 'S': want_solve = true; break;
        case 'a': answer = optarg; break;
        case 'n': no_run = true; break;
        case 'l': want_list = true; break;
        case 'h': usage(stdout); printf("puzzles:\n"); list(); return 0;
        case ':': return bad("a value is missing after ", argv[optind - 1]);
        default: return bad("unknown flag ", argv[optind - 1]);
        }
    }
    if (want_list) {
        list();
        return 0;
    }
    if (optind != argc - 1)
        return bad(optind == argc ? "which lesson? give its number, e.g. puzzle 1" : "one lesson at a time, not also ",
                   optind == argc ? NULL : argv[optind + 1]);
    long lesson;
    const puzzle *p = NULL;
    if (mp_parse_long(argv[optind], 1, 99, &lesson) == 0)
        p = puzzle_for((int)lesson);
    if (!p) {
        char have[128] = "";
        for (int i = 0; puzzles[i]; i++)
            snprintf(have + strlen(have), sizeof have - strlen(have), " %d", puzzles[i]->lesson);
        fprintf(stderr, "puzzle: no puzzle for lesson '%s': puzzles exist for lessons%s\n", argv[optind], have);
        return 2;
    }

    void *st = calloc(1, PUZZLE_STATE_MAX);
    if (!st) {
        mp_syserr("calloc", ENOMEM);
        return 1;
    }
    p->make(st, (unsigned long)seed);
    printf("puzzle %02d (%s), seed %ld\n\n", p->lesson, p->name, seed);
    if (p->prepare && p->prepare(st, stdout) < 0) {
        free(st);
        return 1;
    }
    p->problem(st, stdout);
    fflush(stdout);

    int status = 0;
    char line[256];
    if (answer) {
        int ok = judge(p, st, answer);
        if (ok == 2) {
            free(st);
            return 2;
        }
        status = solve(p, st, !no_run) ? 1 : !ok;
    } else if (want_solve) {
        status = solve(p, st, !no_run);
    } else if (isatty(STDIN_FILENO)) {
        printf("\nyour prediction (%s): ", p->answer_form);
        fflush(stdout);
        if (!fgets(line, sizeof line, stdin)) {
            printf("\n");
            free(st);
            return 0;
        }
        line[strcspn(line, "\n")] = '\0';
        int ok;
        while ((ok = judge(p, st, line)) == 2) {
            printf("your prediction (%s): ", p->answer_form);
            fflush(stdout);
            if (!fgets(line, sizeof line, stdin)) {
                free(st);
                return 0;
            }
            line[strcspn(line, "\n")] = '\0';
        }
        status = solve(p, st, !no_run);
    } else {
        printf("\npredict, then check it with --answer X (X: %s), or see the answer with --solve:\n"
               "  make puzzle-%d ARGS=\"--seed %ld --answer X\"\n",
               p->answer_form, p->lesson, seed);
    }
    free(st);
    return status;
}
