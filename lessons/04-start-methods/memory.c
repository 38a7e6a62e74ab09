/* Lesson 04, part 3: what an idle child really uses, and copy on write.
 *
 * /proc/PID/smaps_rollup gives RSS (every page mapped, shared or not) and
 * PSS (each shared page divided among its sharers). A forked child maps
 * all of its parent's pages, shared until one side writes. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lesson04.h"

/* A child that waits for orders on a passed socket: 'w' writes a quarter of
 * the pages it inherited (none, unless forked), 'q' quits. It answers each
 * order on the same socket. */
int idle_child(void *arg)
{
    (void)arg;
    int sock = mp_child_fd(0);
    char c;
    while (read(sock, &c, 1) == 1 && c != 'q') {
        mp_trace_begin(c == 'w' ? "write a quarter" : "answer");
        if (c == 'w')
            for (size_t i = 0; i < big_len / 4; i += 4096)
                big[i] ^= 2; /* each write copies a page: copy on write */
        mp_trace_end(c == 'w' ? "write a quarter" : "answer");
        if (write(sock, &c, 1) != 1)
            return 1;
    }
    return 0;
}

/* Send an order and wait for its answer; a child that died says so. A
 * socket, not a pipe: writing to a dead child's socket is an error we
 * report (mp_write_full sends with MSG_NOSIGNAL), not a SIGPIPE that would
 * kill the lesson without a word. */
static void order(mp_process *p, int sock, char c)
{
    if (mp_write_full(sock, &c, 1) != 0 || mp_read_full(sock, &c, 1) != 0) {
        int rc = mp_process_join(p, 5.0);
        mp_error("the idle child %s (pid %d) did not answer: %s", p->name, (int)p->pid,
                 rc == 0 ? "it ended" : "its pipe broke");
        if (rc == 0)
            mp_error("it ended with exit code %d%s", p->exitcode, p->exitcode < 0 ? " (killed by a signal)" : "");
        mp_lesson_abort();
    }
}

void experiment_memory(mp_lesson *L, memory_result *M)
{
    size_t mib = big_len >> 20;
    mp_lesson_part(L, "3. memory of an idle child of a %zu MiB parent, from /proc/PID/smaps_rollup", mib);
    long rss, pss;
    CHECK(mp_proc_memory(getpid(), &rss, &pss));
    M->parent_rss = rss;
    mp_say("the parent: RSS %ld MiB", rss / 1024);
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "memory.csv", "method,parent_mib,phase,child_rss_kib,child_pss_kib"));
    mp_table tab;
    mp_table_header(&tab, "method    |phase      |child RSS MiB|child PSS MiB");
    for (int m = MP_START_FORK; m <= MP_START_FORKSERVER; m++) {
        int sv[2];
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0 ? 0 : -errno);
        mp_process p;
        mp_process_init(&p, "idle", idle_child, NULL);
        p.start = m;
        mp_process_pass_fd(&p, sv[1]);
        CHECK(mp_process_start(&p));
        close(sv[1]);
        order(&p, sv[0], 'i'); /* it is up and idle */
        for (int phase = 0; phase < (m == MP_START_FORK ? 2 : 1); phase++) {
            if (phase == 1)
                order(&p, sv[0], 'w');
            CHECK(mp_proc_memory(p.pid, &rss, &pss));
            const char *ph = phase ? "after-write" : "idle";
            mp_table_row(&tab, "%s|%s|%.1f|%.1f", mp_start_names[m], ph, rss / 1024.0, pss / 1024.0);
            CHECK(mp_csv_row(&csv, "%s,%zu,%s,%ld,%ld", mp_start_names[m], mib, ph, rss, pss));
            if (m == MP_START_FORK && phase == 0)
                M->fork_idle_pss = pss;
            if (m == MP_START_FORK && phase == 1)
                M->fork_written_pss = pss;
            if (m == MP_START_SPAWN)
                M->spawn_rss = rss;
        }
        char q = 'q';
        CHECK(mp_write_full(sv[0], &q, 1));
        close(sv[0]);
        CHECK(mp_process_join(&p, 10.0));
    }
    CHECK(mp_csv_close(&csv));
    mp_say("RSS counts every page mapped, shared or not; PSS splits a shared page among its sharers. An idle "
           "forked child shares all of the parent's pages (copy on write): big RSS, PSS about half of it. Each "
           "page it writes becomes its own copy.");
}
