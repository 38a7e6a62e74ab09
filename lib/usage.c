#include "usage.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

static double seconds(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

static int get_one(int who, mp_usage *u)
{
    struct rusage r;
    if (getrusage(who, &r) != 0)
        return -errno;
    u->user_s += seconds(r.ru_utime);
    u->sys_s += seconds(r.ru_stime);
    u->voluntary += r.ru_nvcsw;
    u->involuntary += r.ru_nivcsw;
    return 0;
}

int mp_usage_get(mp_usage_who who, mp_usage *u)
{
    memset(u, 0, sizeof *u);
    int rc = 0;
    if (who == MP_USAGE_SELF || who == MP_USAGE_BOTH)
        rc = get_one(RUSAGE_SELF, u);
    if (rc == 0 && (who == MP_USAGE_CHILDREN || who == MP_USAGE_BOTH))
        rc = get_one(RUSAGE_CHILDREN, u);
    if (rc != 0)
        memset(u, 0, sizeof *u);
    return rc;
}

mp_usage mp_usage_since(const mp_usage *before, const mp_usage *after)
{
    return (mp_usage){
        .user_s = after->user_s - before->user_s,
        .sys_s = after->sys_s - before->sys_s,
        .voluntary = after->voluntary - before->voluntary,
        .involuntary = after->involuntary - before->involuntary,
    };
}
