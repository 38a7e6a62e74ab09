#include "procfs.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* /proc/PID/stat is "pid (comm) S ppid ...", where comm may hold spaces and
 * parentheses: parse from the last ')'. */
static int read_stat(pid_t pid, char *state, pid_t *ppid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    int pp;
    if (!p || sscanf(p + 1, " %c %d", state, &pp) != 2)
        return -EIO;
    *ppid = pp;
    return 0;
}

char mp_proc_state(pid_t pid)
{
    char s;
    pid_t pp;
    return read_stat(pid, &s, &pp) == 0 ? s : '\0';
}

pid_t mp_proc_ppid(pid_t pid)
{
    char s;
    pid_t pp;
    int rc = read_stat(pid, &s, &pp);
    return rc == 0 ? pp : rc;
}

int mp_proc_count_children(int *zombies)
{
    return mp_proc_children_of(getpid(), NULL, 0, zombies);
}

int mp_proc_children_of(pid_t parent, pid_t *pids, int max, int *zombies)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -errno;
    int n = 0, z = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0)
            continue;
        char s;
        pid_t pp;
        if (read_stat((pid_t)pid, &s, &pp) == 0 && pp == parent) {
            if (n < max)
                pids[n] = (pid_t)pid;
            n++;
            z += (s == 'Z');
        }
    }
    closedir(d);
    if (zombies)
        *zombies = z;
    return n;
}

int mp_proc_memory(pid_t pid, long *rss_kib, long *pss_kib)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    *rss_kib = *pss_kib = -1;
    while (fgets(line, sizeof line, f)) {
        long v;
        if (sscanf(line, "Rss: %ld kB", &v) == 1)
            *rss_kib = v;
        else if (sscanf(line, "Pss: %ld kB", &v) == 1)
            *pss_kib = v;
    }
    fclose(f);
    return *rss_kib >= 0 && *pss_kib >= 0 ? 0 : -EIO;
}
