/* Tests for exercise 13.1: the sum, scattered and reduced, on 2 and on 3
 * ranks, for n = 0, 1, 7, 1000, 1001 (shares that cannot be equal, and
 * fewer numbers than ranks). Run for real: the test binary runs itself as
 * the ranks (mpirun.h). Asserted: the total at rank 0, and that every rank
 * added up a fair share (n / size, or one more) -- the numbers are only on
 * rank 0, so the others can only have got theirs by a message. */
#include "helpers.h"

#include "ex1-scatter-sum.h"
#include "mpirun.h"

static const int sizes[] = {0, 1, 7, 1000, 1001};
#define NSIZES (int)(sizeof sizes / sizeof sizes[0])

/* ---- in a rank: `--rank sum` runs every n in turn ---- */
static int rank_main(int argc, char **argv)
{
    int rank, size;
    rank_start(&argc, &argv, &rank, &size);
    int status = 0;
    for (int k = 0; k < NSIZES; k++) {
        int n = sizes[k];
        long *data = NULL;
        if (rank == 0) {
            data = malloc(sizeof *data * (size_t)(n > 0 ? n : 1));
            for (int i = 0; data && i < n; i++)
                data[i] = 3l * i + 1 - (i % 5 == 0 ? 1000 : 0); /* some negative */
        }
        long long total = -1;
        int mine = -1;
        int rc = scatter_sum(data, n, MPI_COMM_WORLD, &total, &mine);
        free(data);
        printf("mine %d %d %d %d\n", n, rank, mine, rc);
        if (rank == 0)
            printf("sum %d %lld\n", n, total);
        if (rc != 0)
            status = 3;
    }
    MPI_Finalize();
    return status;
}

/* ---- the tests ---- */
static long long expected(int n)
{
    long long s = 0;
    for (int i = 0; i < n; i++)
        s += 3l * i + 1 - (i % 5 == 0 ? 1000 : 0);
    return s;
}

static void check_sums(int ranks)
{
    static char out[1 << 16];
    const char *args[] = {"sum", NULL};
    int rc = mpirun_self(ranks, args, out, sizeof out);
    if (rc == -1000)
        fail_msg("%d ranks did not end within %.0f s: does every rank make the same MPI calls (Scatterv, Reduce) "
                 "in the same order? A rank that skips one leaves the others waiting. They printed:\n%s", ranks,
                 MPIRUN_LIMIT_S, out);
    for (int k = 0; k < NSIZES; k++) {
        int n = sizes[k];
        char want[64];
        snprintf(want, sizeof want, "sum %d %lld\n", n, expected(n));
        int total = 0;
        for (int r = 0; r < ranks; r++) {
            char prefix[48];
            snprintf(prefix, sizeof prefix, "mine %d %d ", n, r);
            const char *line = strstr(out, prefix);
            int mine = -1, status = -1;
            if (!line || sscanf(line + strlen(prefix), "%d %d", &mine, &status) != 2)
                fail_msg("%d ranks, n = %d: rank %d printed nothing (exit %d). They printed:\n%s", ranks, n, r, rc,
                         out);
            if (status != 0)
                fail_msg("%d ranks, n = %d: scatter_sum returned %d on rank %d (a TODO left?)", ranks, n, status, r);
            if (mine < n / ranks || mine > n / ranks + (n % ranks ? 1 : 0))
                fail_msg("%d ranks, n = %d: rank %d added up %d numbers; a fair share is %d%s", ranks, n, r, mine,
                         n / ranks, n % ranks ? " or one more" : "");
            total += mine;
        }
        if (total != n)
            fail_msg("%d ranks, n = %d: the shares add up to %d numbers", ranks, n, total);
        if (!strstr(out, want)) {
            const char *got = strstr(out, "sum ");
            fail_msg("%d ranks, n = %d: rank 0 should print %.*s; it printed:\n%s", ranks, n,
                     (int)strlen(want) - 1, want, got ? got : out);
        }
    }
    if (rc != 0)
        fail_msg("%d ranks: mpiexec ended with %d. They printed:\n%s", ranks, rc, out);
}

static void test_sum_on_2_ranks(void **state)
{
    (void)state;
    check_sums(2);
}

static void test_sum_on_3_ranks(void **state)
{
    (void)state;
    check_sums(3);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--rank") == 0)
        return rank_main(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_sum_on_2_ranks, teardown_children),
        cmocka_unit_test_teardown(test_sum_on_3_ranks, teardown_children),
    };
    return cmocka_run_group_tests_name("exercise 13.1: scatter, sum, reduce", tests, NULL, NULL);
}
