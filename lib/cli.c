#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpus.h"
#include "process.h"

int mp_parse_long(const char *s, long min, long max, long *out)
{
    /* strtol would skip leading blanks and take "+5"; we take digits only */
    if (!s || !(*s == '-' || (*s >= '0' && *s <= '9')))
        return -EINVAL;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || end == s)
        return -EINVAL;
    if (errno == ERANGE || v < min || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

enum { OPT_WORKERS = 1000, OPT_MAX_WORKERS, OPT_REPEAT, OPT_QUICK, OPT_SEED, OPT_OUT,
       OPT_NO_PLOT, OPT_TRACE, OPT_START, OPT_NO_REFERENCE, OPT_HELP, OPT_EXTRA /* + index */ };

static const struct option shared_options[] = {
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"max-workers", required_argument, NULL, OPT_MAX_WORKERS},
    {"repeat", required_argument, NULL, OPT_REPEAT},
    {"quick", no_argument, NULL, OPT_QUICK},
    {"seed", required_argument, NULL, OPT_SEED},
    {"out", required_argument, NULL, OPT_OUT},
    {"no-plot", no_argument, NULL, OPT_NO_PLOT},
    {"trace", no_argument, NULL, OPT_TRACE},
    {"start", required_argument, NULL, OPT_START},
    {"no-reference", no_argument, NULL, OPT_NO_REFERENCE},
    {"help", no_argument, NULL, OPT_HELP},
};
#define NSHARED (int)(sizeof shared_options / sizeof shared_options[0])
#define MAX_EXTRA 16

static void choices_text(const char *const *choices, char *buf, size_t len)
{
    buf[0] = '\0';
    for (int i = 0; choices[i]; i++) {
        strncat(buf, i ? "|" : "", len - strlen(buf) - 1);
        strncat(buf, choices[i], len - strlen(buf) - 1);
    }
}

static void usage(const mp_cli *cli)
{
    char starts[128];
    choices_text(mp_start_names, starts, sizeof starts);
    printf("usage: %s [flags]\n%s\n\n", cli->prog, cli->summary);
    printf("  --workers N       workers for fixed-size experiments (default: usable CPUs, %d here)\n",
           mp_cpus_usable());
    if (cli->max_workers_per_cpu > 0)
        printf("  --max-workers N   largest worker count in a sweep (default: %d x the usable CPUs)\n",
               cli->max_workers_per_cpu);
    else
        printf("  --max-workers N   largest worker count in a sweep (default: --workers)\n");
    printf("  --repeat R        runs per measurement; medians with min/max (default 3)\n");
    printf("  --quick           small sizes: the whole lesson in under 5 seconds\n");
    printf("  --seed S          seed for anything random (default 1)\n");
    printf("  --out DIR         where CSV and PNG files go (default %s)\n", cli->default_out);
    printf("  --no-plot         write the data, do not run gnuplot\n");
    printf("  --no-reference    plots leave out the reference run (plots/reference/, make reference)\n");
    printf("  --trace           also record every experiment and draw its timeline\n");
    printf("  --start METHOD    how processes start: %s (default fork)\n", starts);
    for (int i = 0; i < cli->nflags; i++) {
        const mp_flag *f = &cli->flags[i];
        char arg[160] = "";
        if (f->type == MP_FLAG_CHOICE)
            choices_text(f->choices, arg, sizeof arg);
        else if (f->type == MP_FLAG_INT)
            snprintf(arg, sizeof arg, "%s", f->metavar ? f->metavar : "N");
        printf("  --%s %s\n      %s\n", f->name, arg, f->help);
    }
    printf("  --help            this text\n");
    for (const mp_unused *u = cli->unused; u && u->flag; u++)
        printf("%s --%s changes nothing in this lesson: %s\n", u == cli->unused ? "\n" : "", u->flag, u->why);
}

/* One line, naming the flag and the problem; the caller exits with 2. */
static bool bad(const mp_cli *cli, int *status, const char *flag, const char *value, const char *problem)
{
    if (value)
        fprintf(stderr, "%s: --%s '%s': %s\n", cli->prog, flag, value, problem);
    else
        fprintf(stderr, "%s: %s: %s\n", cli->prog, flag, problem);
    *status = 2;
    return false;
}

static bool parse_int(const mp_cli *cli, int *status, const char *flag, const char *s,
                      long min, long max, long *out)
{
    int rc = mp_parse_long(s, min, max, out);
    if (rc == 0)
        return true;
    char why[96];
    if (rc == -EINVAL)
        snprintf(why, sizeof why, "not a whole number");
    else
        snprintf(why, sizeof why, "out of range: must be from %ld to %ld", min, max);
    return bad(cli, status, flag, s, why);
}

/* An unknown word that looks like a flag: say which word, and why. getopt
 * reports a short flag (`-xz`) by its letter, a long flag that takes no
 * value but got one (`--no-plot=1`) like an unknown one: tell them apart. */
static bool unknown_flag(const mp_cli *cli, int *status, const char *word, const struct option *longopts)
{
    char flag[64];
    if (optopt > 0 && optopt < 256) { /* a short flag: long ones have values from OPT_WORKERS up */
        snprintf(flag, sizeof flag, "-%c", optopt > ' ' && optopt < 127 ? optopt : '?');
        return bad(cli, status, flag, NULL, "unknown flag (flags are long: --workers N; see --help)");
    }
    const char *eq = strchr(word, '=');
    if (word[0] == '-' && word[1] == '-' && eq) {
        size_t n = (size_t)(eq - word - 2);
        for (const struct option *lo = longopts; lo->name; lo++)
            if (strlen(lo->name) == n && strncmp(lo->name, word + 2, n) == 0 && lo->has_arg == no_argument) {
                snprintf(flag, sizeof flag, "--%s", lo->name);
                return bad(cli, status, flag, NULL, "takes no value");
            }
    }
    snprintf(flag, sizeof flag, "%s", word);
    return bad(cli, status, flag, NULL, "unknown flag (see --help)");
}

/* One line per shared flag given that this lesson does not use. */
static void say_unused(const mp_cli *cli, const mp_opts *o)
{
    for (const mp_unused *u = cli->unused; u && u->flag; u++)
        for (int i = 0; i < NSHARED; i++)
            if (strcmp(shared_options[i].name, u->flag) == 0 && (o->given & (1u << (shared_options[i].val - OPT_WORKERS))))
                printf("%s: --%s changes nothing in this lesson: %s\n", cli->prog, u->flag, u->why);
}

static int find_choice(const char *const *choices, const char *s)
{
    for (int i = 0; choices[i]; i++)
        if (strcmp(choices[i], s) == 0)
            return i;
    return -1;
}

bool mp_cli_parse(const mp_cli *cli, int argc, char **argv, mp_opts *o, int *status)
{
    *status = 0;
    memset(o, 0, sizeof *o);
    o->workers = mp_cpus_usable();
    o->max_workers = 0; /* 0: follow --workers */
    o->repeat = 0;      /* 0: 3, or 1 with --quick */
    o->seed = 1;
    snprintf(o->out, sizeof o->out, "%s", cli->default_out);
    o->start = 0;

    if (cli->nflags > MAX_EXTRA)
        return bad(cli, status, "mp_cli", NULL, "too many lesson flags");
    struct option longopts[NSHARED + MAX_EXTRA + 1];
    memcpy(longopts, shared_options, sizeof shared_options);
    for (int i = 0; i < cli->nflags; i++)
        longopts[NSHARED + i] = (struct option){cli->flags[i].name,
            cli->flags[i].type == MP_FLAG_BOOL ? no_argument : required_argument, NULL, OPT_EXTRA + i};
    memset(&longopts[NSHARED + cli->nflags], 0, sizeof longopts[0]);

    opterr = 0; /* we print our own one-line messages */
    optind = 0; /* glibc: 0 restarts parsing from scratch (tests parse many times) */
    long v;
    int c;
    int most = cli->workers_limit > 0 && cli->workers_limit < MP_MAX_WORKERS ? cli->workers_limit : MP_MAX_WORKERS;
    while ((optopt = 0, c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        const char *a = optarg;
        if (c >= OPT_WORKERS && c < OPT_HELP)
            o->given |= 1u << (c - OPT_WORKERS);
        /* `--out --quick`: the next word is a flag, not the value */
        if (a && a[0] == '-' && a[1] == '-') {
            char flag[64];
            snprintf(flag, sizeof flag, "%s", argv[optind - 2]);
            return bad(cli, status, flag, NULL, "needs a value (the next word is a flag)");
        }
        switch (c) {
        case OPT_WORKERS:
            if (!parse_int(cli, status, "workers", a, 1, most, &v)) return false;
            o->workers = (int)v;
            break;
        case OPT_MAX_WORKERS:
            if (!parse_int(cli, status, "max-workers", a, 1, most, &v)) return false;
            o->max_workers = (int)v;
            break;
        case OPT_REPEAT:
            if (!parse_int(cli, status, "repeat", a, 1, MP_MAX_REPEAT, &v)) return false;
            o->repeat = (int)v;
            break;
        case OPT_SEED:
            if (!parse_int(cli, status, "seed", a, 0, LONG_MAX, &v)) return false;
            o->seed = (unsigned long)v;
            break;
        case OPT_OUT:
            if (!*a)
                return bad(cli, status, "out", a, "must not be empty");
            if (strlen(a) >= sizeof o->out - 64)
                return bad(cli, status, "out", "...", "path too long");
            snprintf(o->out, sizeof o->out, "%s", a);
            break;
        case OPT_START: {
            int i = find_choice(mp_start_names, a);
            if (i < 0) {
                char why[160], list[128];
                choices_text(mp_start_names, list, sizeof list);
                snprintf(why, sizeof why, "unknown start method: choose %s", list);
                return bad(cli, status, "start", a, why);
            }
            o->start = i;
            break;
        }
        case OPT_QUICK: o->quick = true; break;
        case OPT_NO_PLOT: o->no_plot = true; break;
        case OPT_TRACE: o->trace = true; break;
        case OPT_NO_REFERENCE: o->no_reference = true; break;
        case OPT_HELP:
            usage(cli);
            *status = 0;
            return false;
        case ':':
            return bad(cli, status, argv[optind - 1], NULL, "needs a value");
        case '?':
            return unknown_flag(cli, status, argv[optind - 1], longopts);
        default: {
            const mp_flag *f = &cli->flags[c - OPT_EXTRA];
            if (f->type == MP_FLAG_BOOL) {
                *f->value = 1;
            } else if (f->type == MP_FLAG_INT) {
                if (!parse_int(cli, status, f->name, a, f->min, f->max, &v)) return false;
                *f->value = v;
            } else {
                int i = find_choice(f->choices, a);
                if (i < 0) {
                    char why[200], list[160];
                    choices_text(f->choices, list, sizeof list);
                    snprintf(why, sizeof why, "choose one of %s", list);
                    return bad(cli, status, f->name, a, why);
                }
                *f->value = i;
            }
        }
        }
    }
    if (optind < argc)
        return bad(cli, status, argv[optind], NULL, "unexpected argument (flags start with --)");
    if (o->max_workers == 0 && cli->max_workers_per_cpu > 0) /* a sweep past the CPUs, within the limit */
        o->max_workers = cli->max_workers_per_cpu * mp_cpus_usable() < most ? cli->max_workers_per_cpu * mp_cpus_usable()
                                                                              : most;
    if (o->max_workers == 0)
        o->max_workers = o->workers;
    if (o->repeat == 0)
        o->repeat = o->quick ? 1 : 3;
    say_unused(cli, o);
    return true;
}
