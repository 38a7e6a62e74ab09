/* Lesson 01's puzzle: a small program of fork() calls, if (fork() == 0)
 * branches, short loops and printf lines. How many lines does it print,
 * and which process prints which?
 *
 * The program is generated from the seed as C text and, at the same time,
 * as a list of instructions (fork_op). One interpreter runs the list two
 * ways: simulated (a fork copies the interpreter's state: program counter,
 * loop counters, what fork returned -- exactly what a real fork copies) and
 * for real (a fork is fork(): every process runs the rest of the program
 * itself and sends its lines through a pipe). The answer is the
 * simulation's; --solve shows the real run beside it.
 *
 * Processes are named by where they came from: "0" is the first, "0.2" its
 * second child, "0.2.1" that one's first child. Names, not PIDs, let the
 * two runs be compared line for line. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fork.h"

/* ---- generating the program ---- */

typedef struct gen {
    puzzle_rng *r;
    fork_state *st;
    size_t len;      /* of st->text */
    char next_letter;
    int loops;       /* loop counters in use (i, j) */
} gen;

static void emit_text(gen *g, int depth, const char *fmt, const char *s)
{
    g->len += (size_t)snprintf(g->st->text + g->len, sizeof g->st->text - g->len, "%*s", 4 * depth, "");
    g->len += (size_t)snprintf(g->st->text + g->len, sizeof g->st->text - g->len, fmt, s);
}

static int emit_op(gen *g, fork_op_kind kind, int arg, int reg)
{
    if (g->st->nops >= FORK_MAX_OPS - 1)
        return -1;
    g->st->ops[g->st->nops] = (fork_op){kind, arg, reg};
    return g->st->nops++;
}

static void gen_block(gen *g, int depth, int statements, bool in_child);

static void gen_print(gen *g, int depth)
{
    char line[32];
    snprintf(line, sizeof line, "printf(\"%c\\n\");\n", g->next_letter);
    emit_text(g, depth, "%s", line);
    emit_op(g, OP_PRINT, g->next_letter++, 0);
}

/* if (fork() == 0) { child } else { parent }: the else is optional */
static void gen_if(gen *g, int depth)
{
    emit_text(g, depth, "%s", "if (fork() == 0) {\n");
    emit_op(g, OP_FORK, 0, 0);
    int jparent = emit_op(g, OP_JPARENT, 0, 0);
    gen_block(g, depth + 1, puzzle_rng_range(g->r, 1, 2), true);
    bool has_else = puzzle_rng_range(g->r, 0, 1);
    if (has_else) {
        int jend = emit_op(g, OP_JMP, 0, 0);
        emit_text(g, depth, "%s", "} else {\n");
        if (jparent >= 0)
            g->st->ops[jparent].arg = g->st->nops;
        gen_block(g, depth + 1, puzzle_rng_range(g->r, 1, 2), false);
        if (jend >= 0)
            g->st->ops[jend].arg = g->st->nops;
    } else if (jparent >= 0) {
        g->st->ops[jparent].arg = g->st->nops;
    }
    emit_text(g, depth, "%s", "}\n");
}

/* for (int i = 0; i < k; i++) { body }: k is 2 or 3, so the body runs at
 * least once (a do-while in the instructions) */
static void gen_loop(gen *g, int depth)
{
    int reg = g->loops++;
    int k = puzzle_rng_range(g->r, 2, 3);
    char head[64], var = (char)('i' + reg);
    snprintf(head, sizeof head, "for (int %c = 0; %c < %d; %c++) {\n", var, var, k, var);
    emit_text(g, depth, "%s", head);
    emit_op(g, OP_SET, k, reg);
    int top = g->st->nops;
    gen_block(g, depth + 1, puzzle_rng_range(g->r, 1, 2), false);
    emit_op(g, OP_LOOP, top, reg);
    emit_text(g, depth, "%s", "}\n");
    g->loops--;
}

static void gen_block(gen *g, int depth, int statements, bool in_child)
{
    for (int s = 0; s < statements; s++) {
        int pick = puzzle_rng_range(g->r, 0, 99);
        bool last = s == statements - 1;
        if (in_child && last && depth > 1 && pick < 25) {
            emit_text(g, depth, "%s", "exit(0);\n"); /* a child that stops here */
            emit_op(g, OP_EXIT, 0, 0);
        } else if (pick < 35 || depth > 2) {
            gen_print(g, depth);
        } else if (pick < 55) {
            emit_text(g, depth, "%s", "fork();\n");
            emit_op(g, OP_FORK, 0, 0);
        } else if (pick < 80) {
            gen_if(g, depth);
        } else if (g->loops < 2) {
            gen_loop(g, depth);
        } else {
            gen_print(g, depth);
        }
    }
}

/* ---- running it: one interpreter, two ways to fork ---- */

typedef struct vm {
    int pc;
    int regs[2];
    bool in_parent;  /* what the last fork() returned: != 0 */
    int children;
    char name[FORK_NAME_LEN];
} vm;

/* What a fork does to the interpreter's state: the child is a copy, named
 * after its parent; fork() returns 0 in the child. */
static void vm_fork(vm *parent, vm *child)
{
    *child = *parent;
    parent->children++;
    snprintf(child->name, sizeof child->name, "%.30s.%d", parent->name, parent->children & 0xff); /* at most 16 */
    child->children = 0;
    child->in_parent = false;
    parent->in_parent = true;
}

/* Run until a fork (returns 1: the caller forks and calls again), a print
 * (returns 2 with *letter), or the end (returns 0). */
static int vm_step(const fork_state *st, vm *m, char *letter)
{
    for (;;) {
        const fork_op *op = &st->ops[m->pc++];
        switch (op->kind) {
        case OP_FORK: return 1;
        case OP_JPARENT: if (m->in_parent) m->pc = op->arg; break;
        case OP_JMP: m->pc = op->arg; break;
        case OP_PRINT: *letter = (char)op->arg; return 2;
        case OP_SET: m->regs[op->reg] = op->arg; break;
        case OP_LOOP: if (--m->regs[op->reg] > 0) m->pc = op->arg; break;
        case OP_EXIT:
        case OP_END: return 0;
        }
    }
}

/* "0.10" after "0.9": numbers compared as numbers, part by part. */
static int name_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        long x = strtol(a, (char **)&a, 10), y = strtol(b, (char **)&b, 10);
        if (x != y)
            return x < y ? -1 : 1;
        if (*a == '.')
            a++;
        if (*b == '.')
            b++;
    }
    return (*a != 0) - (*b != 0);
}
static int procs_cmp(const void *a, const void *b) { return name_cmp(a, b); }
static int lines_cmp(const void *a, const void *b)
{
    const char *x = a, *y = b;
    char nx[FORK_NAME_LEN], ny[FORK_NAME_LEN];
    sscanf(x, "%39s", nx);
    sscanf(y, "%39s", ny);
    int c = name_cmp(nx, ny);
    return c ? c : strcmp(x, y);
}

static void outcome_sort(fork_outcome *o)
{
    qsort(o->procs, (size_t)o->nprocs, sizeof o->procs[0], procs_cmp);
    qsort(o->lines, (size_t)o->nlines, sizeof o->lines[0], lines_cmp);
}

/* The simulation: a list of processes still to run; a fork adds the copy.
 * Returns -E2BIG if the program makes too many processes or lines for a
 * puzzle (the generator then draws another). */
static int simulate(const fork_state *st, fork_outcome *o)
{
    vm todo[FORK_MAX_PROCS];
    int ntodo = 1;
    memset(o, 0, sizeof *o);
    todo[0] = (vm){.name = "0"};
    while (ntodo > 0) {
        vm m = todo[--ntodo];
        snprintf(o->procs[o->nprocs++], FORK_NAME_LEN, "%s", m.name);
        char letter;
        int r;
        while ((r = vm_step(st, &m, &letter)) != 0) {
            if (r == 1) {
                if (o->nprocs + ntodo >= FORK_MAX_PROCS)
                    return -E2BIG;
                vm_fork(&m, &todo[ntodo++]);
            } else {
                if (o->nlines >= FORK_MAX_LINES)
                    return -E2BIG;
                o->order[o->nlines] = letter;
                snprintf(o->lines[o->nlines++], sizeof o->lines[0], "%s %c", m.name, letter);
            }
        }
    }
    outcome_sort(o);
    o->real_tree_ok = 1;
    return 0;
}

static void make(void *state, unsigned long seed)
{
    fork_state *st = state;
    puzzle_rng r = puzzle_rng_seeded(seed, "fork");
    for (;;) { /* draw until the program is puzzle-sized: 2 to 16 processes, 3 to 40 lines */
        memset(st, 0, sizeof *st);
        gen g = {.r = &r, .st = st, .next_letter = 'A'};
        emit_text(&g, 0, "%s", "int main(void)\n{\n");
        gen_block(&g, 1, puzzle_rng_range(&r, 3, 4), false);
        emit_text(&g, 1, "%s", "return 0;\n");
        emit_text(&g, 0, "%s", "}\n");
        if (emit_op(&g, OP_END, 0, 0) < 0 || g.next_letter > 'Z')
            continue;
        if (simulate(st, &st->model) == 0 && st->model.nprocs >= 2 && st->model.nlines >= 3 &&
            st->model.nprocs <= FORK_MAX_PROCS)
            return;
    }
}

static void problem(const void *state, FILE *out)
{
    const fork_state *st = state;
    fprintf(out, "This program runs in a terminal (fork() always succeeds; stdout is line-buffered there, so\n"
                 "each line leaves at its \\n and no fork copies a line not yet printed):\n\n%s\n",
            st->text);
    fprintf(out, "How many lines does it print? And which process prints which letter (draw the tree)?\n");
}

static int check(const void *state, const char *answer)
{
    const fork_state *st = state;
    return puzzle_check_long(answer, st->model.nlines);
}

static void answer(const void *state, char *buf, size_t len)
{
    const fork_state *st = state;
    snprintf(buf, len, "%d", st->model.nlines);
}

static int depth_of(const char *name)
{
    int d = 0;
    for (; *name; name++)
        d += *name == '.';
    return d;
}

/* The tree, a process a line, indented under its parent, with its letters. */
static void print_tree(const fork_outcome *o, FILE *out)
{
    for (int p = 0; p < o->nprocs; p++) {
        fprintf(out, "  %*sprocess %-8s prints:", 2 * depth_of(o->procs[p]), "", o->procs[p]);
        int n = 0;
        for (int l = 0; l < o->nlines; l++) {
            char name[FORK_NAME_LEN], letter;
            if (sscanf(o->lines[l], "%39s %c", name, &letter) == 2 && !strcmp(name, o->procs[p])) {
                fprintf(out, " %c", letter);
                n++;
            }
        }
        fprintf(out, "%s\n", n ? "" : " (nothing)");
    }
}

static void solve(const void *state, FILE *out)
{
    const fork_state *st = state;
    const fork_outcome *o = &st->model;
    fprintf(out, "%d lines, from %d processes.\n\n", o->nlines, o->nprocs);
    fprintf(out, "How: fork() copies the calling process as it is at that moment -- the line it is on, the\n"
                 "loop counters -- and both copies go on from the same point. In the child fork() returns\n"
                 "0, in the parent the child's PID, so `if (fork() == 0)` sends only the child into the\n"
                 "braces; after them both copies carry on below. Each fork inside a loop forks every copy\n"
                 "that reaches it, also copies made in earlier rounds. Following every copy (process 0 is\n"
                 "the first, 0.2 the second child of process 0, and so on):\n\n");
    print_tree(o, out);
    fprintf(out, "\nThe number of lines and who prints what are fixed; the order they appear in is the\n"
                 "scheduler's (run it twice on a real machine and it may change).\n");
}

/* ---- the real run ---- */

/* One line to the pipe: a single write() of at most PIPE_BUF bytes, so
 * lines from different processes never mix. */
static int send_line(int fd, const char *fmt, const char *name, long a, long b)
{
    char buf[128];
    int n = snprintf(buf, sizeof buf, fmt, name, a, b);
    return write(fd, buf, (size_t)n) == n ? 0 : -1;
}

/* Wait for each child of this process; false if any failed. */
static bool reap_all(void)
{
    bool ok = true;
    int status;
    pid_t pid;
    while ((pid = wait(&status)) > 0 || (pid < 0 && errno == EINTR))
        if (pid > 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
            ok = false;
    return ok;
}

/* This process's part of the program. A child ends here (_exit, after
 * reaping its own children, so that none is ever orphaned); the first
 * process returns. */
static int run_as(const fork_state *st, vm m, int fd, bool first)
{
    char letter;
    int r, err = 0;
    if (send_line(fd, "P %s %ld %ld\n", m.name, (long)getpid(), (long)getppid()) < 0)
        err = -errno;
    while (!err && (r = vm_step(st, &m, &letter)) != 0) {
        if (r == 2) {
            if (send_line(fd, "L %s %ld %c\n", m.name, 0, letter) < 0)
                err = -errno;
            continue;
        }
        vm child;
        vm_fork(&m, &child);
        pid_t pid = fork();
        if (pid < 0) {
            err = -errno;
        } else if (pid == 0) {
            /* the child: die with the parent (a killed puzzle leaves nothing) */
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() == 1)
                _exit(1);
            m = child;
            first = false;
            if (send_line(fd, "P %s %ld %ld\n", m.name, (long)getpid(), (long)getppid()) < 0)
                err = -errno;
        }
    }
    bool ok = reap_all();
    if (!first)
        _exit(err || !ok ? 1 : 0);
    return err ? err : ok ? 0 : -ECHILD;
}

int fork_run_real(const fork_state *st, fork_outcome *o)
{
    int fds[2];
    if (pipe(fds) < 0)
        return -errno;
    memset(o, 0, sizeof *o);
    fflush(NULL); /* nothing buffered to be copied into the children */
    /* The first process of the program is a child of the puzzle, so that
     * the program's processes are the only children it waits for. */
    pid_t first = fork();
    if (first < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return -e;
    }
    if (first == 0) {
        close(fds[0]);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        vm m = {.name = "0"};
        _exit(run_as(st, m, fds[1], true) == 0 ? 0 : 1);
    }
    close(fds[1]);
    /* Read until every copy of the write end is closed: every process has ended. */
    FILE *in = fdopen(fds[0], "r");
    if (!in) {
        int e = errno;
        close(fds[0]);
        waitpid(first, NULL, 0);
        return -e;
    }
    char line[160];
    long pids[FORK_MAX_PROCS * 2], ppids[FORK_MAX_PROCS * 2];
    char names[FORK_MAX_PROCS * 2][FORK_NAME_LEN];
    int np = 0, err = 0;
    while (fgets(line, sizeof line, in)) {
        char name[FORK_NAME_LEN], letter;
        long a, b;
        if (sscanf(line, "P %39s %ld %ld", name, &a, &b) == 3) {
            if (o->nprocs >= FORK_MAX_PROCS || np >= FORK_MAX_PROCS * 2) {
                err = -E2BIG;
                continue;
            }
            snprintf(o->procs[o->nprocs++], FORK_NAME_LEN, "%s", name);
            snprintf(names[np], FORK_NAME_LEN, "%s", name);
            pids[np] = a;
            ppids[np++] = b;
        } else if (sscanf(line, "L %39s %ld %c", name, &a, &letter) == 3) {
            if (o->nlines >= FORK_MAX_LINES) {
                err = -E2BIG;
                continue;
            }
            o->order[o->nlines] = letter;
            snprintf(o->lines[o->nlines++], sizeof o->lines[0], "%s %c", name, letter);
        }
    }
    fclose(in);
    int status;
    while (waitpid(first, &status, 0) < 0 && errno == EINTR)
        ;
    if (!err && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        err = -ECHILD;
    /* The tree as the kernel saw it: the parent PID of "0.2.1" is the PID of "0.2". */
    o->real_tree_ok = 1;
    for (int i = 0; i < np; i++) {
        char *dot = strrchr(names[i], '.');
        if (!dot)
            continue;
        bool found = false;
        for (int j = 0; j < np; j++)
            if ((size_t)(dot - names[i]) == strlen(names[j]) && !strncmp(names[j], names[i], strlen(names[j])))
                found = pids[j] == ppids[i];
        if (!found)
            o->real_tree_ok = 0;
    }
    outcome_sort(o);
    return err;
}

static bool same_outcome(const fork_outcome *a, const fork_outcome *b)
{
    if (a->nprocs != b->nprocs || a->nlines != b->nlines)
        return false;
    for (int i = 0; i < a->nprocs; i++)
        if (strcmp(a->procs[i], b->procs[i]))
            return false;
    for (int i = 0; i < a->nlines; i++)
        if (strcmp(a->lines[i], b->lines[i]))
            return false;
    return true;
}

static int measure(const void *state, FILE *out)
{
    const fork_state *st = state;
    fork_outcome real;
    int rc = fork_run_real(st, &real);
    if (rc < 0)
        return rc;
    fprintf(out, "Run for real (each fork() a real fork, each line sent through a pipe, every child reaped):\n");
    fprintf(out, "  predicted: %2d lines from %2d processes\n", st->model.nlines, st->model.nprocs);
    fprintf(out, "  measured:  %2d lines from %2d processes, in this order: %.*s\n", real.nlines, real.nprocs,
            real.nlines, real.order);
    bool same = same_outcome(&st->model, &real);
    fprintf(out, "  %s\n", same && real.real_tree_ok
                               ? "the same processes printed the same letters, and each one's parent PID was its "
                                 "parent's"
                               : "the real run differs from the prediction: a bug in the puzzle, please report it");
    if (!same) {
        fprintf(out, "  real tree:\n");
        print_tree(&real, out);
    }
    return 0;
}

const puzzle puzzle_fork = {
    .lesson = 1,
    .name = "fork",
    .about = "how many lines a fork() program prints, and which process tree prints them",
    .answer_form = "a whole number of lines",
    .make = make,
    .problem = problem,
    .check = check,
    .answer = answer,
    .solve = solve,
    .measure = measure,
};
