/* cli: the flags every lesson shares, parsed strictly.
 *
 * Layer 2 (memory and records).
 *
 * Mirrors argparse. Every lesson accepts
 *   --workers N  --max-workers N  --repeat R  --quick  --seed S  --out DIR
 *   --no-plot  --no-reference  --trace  --start METHOD  --help
 * plus flags of its own (declared as an mp_flag table). A bad value -- zero
 * workers, letters where a number belongs, an absurd size, an unknown flag --
 * gets one line naming the flag and the problem, and exit status 2, like
 * argparse. The library never exits: mp_cli_parse says what to do.
 */
#ifndef MP_CLI_H
#define MP_CLI_H

#include <stdbool.h>

#define MP_MAX_WORKERS 1024
#define MP_MAX_REPEAT 1000

typedef struct mp_opts {
    int workers;      /* --workers: default, CPUs usable by this process */
    int max_workers;  /* --max-workers: top of a sweep; default, --workers */
    int repeat;       /* --repeat: runs per measurement (default 3; 1 with --quick) */
    bool quick;       /* --quick: small sizes, the whole lesson in under 5 s */
    unsigned long seed; /* --seed: for anything random (default 1) */
    char out[4096];   /* --out: where CSV and PNG files go */
    bool no_plot;     /* --no-plot: write data, skip gnuplot */
    bool trace;       /* --trace: also record and draw a timeline of everything */
    int start;        /* --start: index into mp_start_names (see process.h) */
    bool no_reference; /* --no-reference: plots leave out the reference run (plot.h) */
    unsigned given;   /* which shared flags were on the command line: 1u << MP_OPT_... */
} mp_opts;

/* The shared flags, as bits of mp_opts.given. */
enum { MP_OPT_WORKERS, MP_OPT_MAX_WORKERS, MP_OPT_REPEAT, MP_OPT_QUICK, MP_OPT_SEED, MP_OPT_OUT, MP_OPT_NO_PLOT,
       MP_OPT_TRACE, MP_OPT_START, MP_OPT_NO_REFERENCE };

/* A lesson's own flag. For MP_FLAG_INT the value must lie in [min, max];
 * for MP_FLAG_CHOICE it is the index of the word in choices (NULL-ended);
 * MP_FLAG_BOOL takes no value and sets 1. */
typedef enum { MP_FLAG_INT, MP_FLAG_CHOICE, MP_FLAG_BOOL } mp_flag_type;

typedef struct mp_flag {
    const char *name;    /* without the dashes: "switch-interval" */
    mp_flag_type type;
    const char *metavar; /* "US" */
    const char *help;
    long min, max;
    const char *const *choices;
    long *value;         /* holds the default on entry */
} mp_flag;

/* A shared flag this lesson has no use for, and why: given on the command
 * line, it is accepted (scripts pass the same flags to every lesson) and one
 * line says it changes nothing here. */
typedef struct mp_unused {
    const char *flag; /* "seed" */
    const char *why;  /* "nothing in this lesson is random" */
} mp_unused;

typedef struct mp_cli {
    const char *prog;        /* "lesson-02" */
    const char *summary;     /* one line: what the lesson asks */
    const char *default_out; /* "plots/out/02-threads-vs-processes" */
    const mp_flag *flags;    /* the lesson's own, may be NULL */
    int nflags;
    const mp_unused *unused; /* ends with {0}; may be NULL */
    int workers_limit;       /* the most --workers/--max-workers it can honour (0: MP_MAX_WORKERS) */
    int max_workers_per_cpu; /* default --max-workers: this many times the usable CPUs (0: --workers) */
} mp_cli;

/* Parse argv into opts (defaults filled first). Returns true when the lesson
 * should run; false when it should return *status (0 after --help, 2 after a
 * bad flag, with the message already printed to stderr). */
bool mp_cli_parse(const mp_cli *cli, int argc, char **argv, mp_opts *opts, int *status);

/* Strict whole-number parsing: the entire string, base 10, within [min, max].
 * Returns 0, or -EINVAL (not a number) or -ERANGE (out of range). */
int mp_parse_long(const char *s, long min, long max, long *out);

#endif
