/* Lesson 09, part 1 -- T0's Value and Array, in C.
 *
 * T0:
 *     def modify(n, x, s, A):
 *         n.value **= 2
 *         x.value **= 2
 *         s.value = s.value.upper()
 *         for a in A:
 *             a.x **= 2
 *             a.y **= 2
 *
 *     lock = Lock()
 *     n = Value('i', 7)
 *     x = Value(c_double, 1.0/3.0, lock=False)
 *     s = Array('c', b'hello world', lock=lock)
 *     A = Array(Point, [(1.875,-6.25), (-5.75,2.0), (2.375,9.5)], lock=lock)
 *     p = Process(target=modify, args=(n, x, s, A)); p.start(); p.join()
 *
 * The same four objects with mp_value (lib/value.h); the child attaches
 * them from the descriptors it was handed (under spawn and forkserver it
 * has no other way to see them; under fork too, for the same code). */
#include "lesson09.h"

int t0_modify(void *arg)
{
    (void)arg;
    mp_value n, x, s, a;
    CHECK(mp_value_attach(&n, mp_child_fd(0)));
    CHECK(mp_value_attach(&x, mp_child_fd(1)));
    CHECK(mp_value_attach(&s, mp_child_fd(2)));
    CHECK(mp_value_attach(&a, mp_child_fd(3)));
    /* n.value **= 2 under n's lock: a read-modify-write */
    CHECK(mp_lock_acquire(mp_value_lock(&n), -1));
    int *np = mp_value_ptr(&n);
    *np = *np * *np;
    CHECK(mp_lock_release(mp_value_lock(&n)));
    double *xp = mp_value_ptr(&x); /* lock=False: no lock to take */
    *xp = *xp * *xp;
    CHECK(mp_lock_acquire(mp_value_lock(&s), -1));
    for (char *c = mp_value_ptr(&s); *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
    CHECK(mp_lock_release(mp_value_lock(&s)));
    point *ap = mp_value_ptr(&a);
    CHECK(mp_lock_acquire(mp_value_lock(&a), -1));
    for (size_t i = 0; i < mp_value_len(&a); i++)
        ap[i] = (point){ap[i].x * ap[i].x, ap[i].y * ap[i].y};
    CHECK(mp_lock_release(mp_value_lock(&a)));
    mp_say("child: squared n and x, uppercased s, squared the %zu Points", mp_value_len(&a));
    return 0;
}

void part_t0(mp_lesson *L, t0_result *R)
{
    mp_lesson_part(L, "1. T0's Value and Array: a child changes them, the parent sees it");
    *R = (t0_result){0};
    int seven = 7;
    double third = 1.0 / 3;
    char hello[12] = "hello world";
    point pts[3] = {{1.875, -6.25}, {-5.75, 2.0}, {2.375, 9.5}};
    mp_value n, x, s, a;
    CHECK(mp_value_create(&n, sizeof seven, 1, &seven, true));
    CHECK(mp_value_create(&x, sizeof third, 1, &third, false));
    CHECK(mp_value_create(&s, 1, sizeof hello, hello, true));
    CHECK(mp_value_create(&a, sizeof(point), 3, pts, true));
    mp_say("n = Value('i', 7); x = Value(c_double, 1/3, lock=False); s = Array('c', b'hello world'); A = three "
           "Points");
    int fds[] = {mp_value_fd(&n), mp_value_fd(&x), mp_value_fd(&s), mp_value_fd(&a)};
    mp_process p;
    mp_lesson_child(&p, "modify", t0_modify, NULL, 0, fds, 4);
    R->child = p.pid;
    mp_say("started the child, pid %d (%s), with the four objects", (int)p.pid, mp_start_names[L->o.start]);
    CHECK(mp_lesson_join(&p, 30));
    CHECK(mp_value_get(&n, 0, &R->n));
    CHECK(mp_value_get(&x, 0, &R->x));
    memcpy(R->s, mp_value_ptr(&s), sizeof hello);
    for (int i = 0; i < 3; i++)
        CHECK(mp_value_get(&a, (size_t)i, &R->a[i]));
    mp_say("parent (pid %d): n.value = %d, x.value = %.17g, s.value = %s", (int)getpid(), R->n, R->x, R->s);
    mp_say("[(a.x, a.y) for a in A] = [(%g, %g), (%g, %g), (%g, %g)]", R->a[0].x, R->a[0].y, R->a[1].x, R->a[1].y,
           R->a[2].x, R->a[2].y);
    mp_say("T0 prints: 49, 0.1111111111111111, HELLO WORLD, [(3.515625, 39.0625), (33.0625, 4.0), (5.640625, "
           "90.25)]");
    R->right = R->n == 49 && R->x == third * third && strcmp(R->s, "HELLO WORLD") == 0 && R->a[0].x == 3.515625 &&
               R->a[0].y == 39.0625 && R->a[1].x == 33.0625 && R->a[1].y == 4.0 && R->a[2].x == 5.640625 &&
               R->a[2].y == 90.25;
    mp_value_close(&n);
    mp_value_close(&x);
    mp_value_close(&s);
    mp_value_close(&a);
}
