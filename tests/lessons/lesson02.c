/* Lesson 02 run as a student runs it: included by tests/test_lessons.c. */

static void test_lesson02(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(run_lesson("02", dir, "--max-workers", "2"), 0);
    char *c = csv(dir, "speedup.csv");
    assert_header(c, "kind,workload,workers,median_s,min_s,max_s,speedup");
    int rows = 0, kinds[3] = {0}, loads[2] = {0};
    char *line = strchr(c, '\n') + 1;
    while (*line) {
        char kind[16], load[8];
        int workers;
        double med, min, max, speedup;
        if (sscanf(line, "%15[^,],%7[^,],%d,%lf,%lf,%lf,%lf", kind, load, &workers, &med, &min, &max, &speedup) != 7)
            fail_msg("bad row: %.*s", (int)strcspn(line, "\n"), line);
        assert_true(min <= med && med <= max && med > 0);
        kinds[strcmp(kind, "serial") == 0 ? 0 : strcmp(kind, "thread") == 0 ? 1 : 2]++;
        loads[strcmp(load, "cpu") == 0 ? 0 : 1]++;
        if (strcmp(kind, "serial") == 0)
            assert_true(fabs(speedup - 1.0) < 1e-9 && workers == 1);
        rows++;
        line = strchr(line, '\n') + 1;
    }
    /* cpu: serial + 2 workers x 2 kinds; io: serial + {1,2,4,8} x 2 kinds */
    assert_int_equal(rows, 5 + 9);
    assert_int_equal(kinds[0], 2);
    assert_int_equal(kinds[1], 6);
    assert_int_equal(kinds[2], 6);
    assert_int_equal(loads[0], 5);
    free(c);
    rm_tree(dir);
}

