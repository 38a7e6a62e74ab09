/* Lesson 09 -- Shared memory: Value, Array, the lost update, copy or share,
 * named segments.
 *
 * The question: processes share nothing unless you ask (lesson 01). When
 * they do share memory, what can go wrong, what does it cost, and when is
 * sharing worth it?
 *   1. T0's Value and Array: a child squares and uppercases, the parent
 *      sees it (t0.c);
 *   2. the lost update: processes adding to one counter with no lock, a
 *      lock, an atomic add, and partial sums -- side by side, then padded
 *      against false sharing (counter.c);
 *   3. copy or share: bytes through a pipe and a queue against written
 *      into shared memory, 1 KiB to 256 MiB (copy.c);
 *   4. named segments: attach by name; who may unlink, and CPython's
 *      gh-82300 (named.c).
 * The closing verdicts check each claim against this run's numbers.
 */
#include <math.h>

#include "lesson09.h"

static const mp_entry entries[] = {MP_ENTRY(t0_modify), MP_ENTRY(counter_worker), MP_ENTRY(copy_reader),
                                   MP_ENTRY(named_reader), MP_ENTRY(named_creator), {0}};

mp_csv counter_csv, copy_csv;

static void counter_verdicts(mp_lesson *L, const counter_result *C)
{
    long lost = C->expected[C_NONE] - C->final_value[C_NONE];
    /* the race needs no second CPU (a worker switched out between its read
     * and its write undoes the other's increments), so no excuse here: if
     * nothing was lost, the line says NO */
    mp_verdict(L, lost > 0, 0, NULL,
               "without a lock the counter falls short: %ld of %ld (%ld increments lost, %.1f%%; a deliberate race; "
               "the workers had %.1f CPUs between them)",
               C->final_value[C_NONE], C->expected[C_NONE], lost, 100.0 * (double)lost / (double)C->expected[C_NONE],
               C->cpus[C_NONE]);
    bool exact = true;
    for (int m = C_LOCK; m < NMETHODS; m++)
        exact = exact && C->final_value[m] == C->expected[m];
    mp_verdict(L, exact, 0, NULL, "with a lock, an atomic add or partial sums the total is exact (%ld, %ld, %ld, %ld)",
               C->final_value[C_LOCK], C->final_value[C_ATOMIC], C->final_value[C_PARTIAL], C->final_value[C_PADDED]);
    /* false sharing needs the workers on two CPUs at once: a cache line
     * moves between CPUs, never between processes taking turns on one */
    double r = C->time[C_PARTIAL].median / C->time[C_PADDED].median;
    double sp = fmax(mp_spread(&C->time[C_PARTIAL]), mp_spread(&C->time[C_PADDED]));
    double side_by_side = fmin(C->cpus[C_PARTIAL], C->cpus[C_PADDED]);
    char why[160];
    const char *not_here = NULL;
    if (mp_cpus_usable() < 2)
        not_here = "only 1 CPU is usable: no cache line moves between CPUs";
    else if (side_by_side < 1.5) {
        snprintf(why, sizeof why, "the workers had %.1f CPUs between them (the machine is busy): taking turns, they "
                 "move no cache line between CPUs", side_by_side);
        not_here = why;
    }
    mp_verdict(L, r > 1, mp_decisive(r, 1, sp), not_here,
               "false sharing: partial sums in one cache line took %.1fx the time of sums a line apart", r);
    mp_say("per increment, the work included: %.1f ns under the lock, %.1f ns atomic, %.1f ns in a padded "
           "partial sum", C->time[C_LOCK].median * 1e9 / (double)C->expected[C_LOCK],
           C->time[C_ATOMIC].median * 1e9 / (double)C->expected[C_ATOMIC],
           C->time[C_PADDED].median * 1e9 / (double)C->expected[C_PADDED]);
}

static void copy_verdicts(mp_lesson *L, const copy_result *X)
{
    int top = X->sizes - 1;
    double rp = X->time[X_PIPE][top].median / X->time[X_SHARED][top].median;
    double rq = X->time[X_QUEUE][top].median / X->time[X_SHARED][top].median;
    double sp = fmax(mp_spread(&X->time[X_SHARED][top]), mp_spread(&X->time[X_PIPE][top]));
    mp_verdict(L, rp > 1 && X->all_right, mp_decisive(rp, 1, sp), NULL,
               "for %zu MiB sharing beats the pipe: the pipe took %.1fx the time of writing into shared memory (the "
               "queue: %.2fx, %s)", X->bytes[top] >> 20, rp, rq,
               rq < 1 ? "faster still: its reader works on the first items while the writer copies the next"
                      : "it copies twice too, without system calls");
    double r0 = X->time[X_PIPE][0].median / X->time[X_SHARED][0].median;
    double sp0 = fmax(mp_spread(&X->time[X_PIPE][0]), mp_spread(&X->time[X_SHARED][0]));
    mp_verdict(L, r0 < 2, mp_decisive(r0, 2, sp0), NULL,
               "T0's 'not necessarily faster': for %zu bytes the pipe took %.2fx the time of sharing (under 2x: the "
               "message that says the data is there costs about as much as the data)", X->bytes[0], r0);
}

static void named_verdicts(mp_lesson *L, const named_result *N)
{
    mp_verdict(L, N->reader_saw && N->kept_after_reader, 0, NULL,
               "a spawned reader attached by name, read, exited -- and the segment stayed (the kit's rule against "
               "CPython's gh-82300)");
    mp_verdict(L, N->gone_after_creator && N->mapping_kept, 0, NULL,
               "the creator's exit unlinked its segment, and the reader's mapping still held the bytes");
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries); /* the guard: a spawned child never gets past this line */
    static const mp_unused unused[] = {{"max-workers", "part 2 uses --workers processes (at least 2)"},
                                       {"seed", "nothing in this lesson is random"},
                                       {0}};
    static const mp_cli cli = {
        .prog = "lesson-09",
        .summary = "Shared memory: T0's Value and Array, the lost update, false sharing, copy or share, named "
                   "segments",
        .default_out = "plots/out/09-shared-memory",
        .unused = unused,
        .workers_limit = 16,
    };
    mp_lesson L;
    int status;
    if (!mp_lesson_begin(&L, &cli, argc, argv, &status))
        return status;
    CHECK(mp_csv_open(&counter_csv, L.o.out, "counter.csv", "method,workers,increments,final_value,expected,median_s"));
    CHECK(mp_csv_open(&copy_csv, L.o.out, "copy-share.csv", "method,bytes,median_s,gb_per_s"));

    t0_result t0;
    counter_result counter;
    copy_result copy;
    named_result named;
    part_t0(&L, &t0);
    part_counter(&L, &counter);
    part_copy(&L, &copy);
    part_named(&L, &named);
    CHECK(mp_csv_close(&counter_csv));
    CHECK(mp_csv_close(&copy_csv));

    mp_lesson_verdicts(&L);
    mp_verdict(&L, t0.right, 0, NULL,
               "T0's example: the child's changes are the parent's: n = %d, x = %.4f, s = %s, the Points squared",
               t0.n, t0.x, t0.s);
    counter_verdicts(&L, &counter);
    copy_verdicts(&L, &copy);
    named_verdicts(&L, &named);
    return mp_lesson_end(&L);
}
