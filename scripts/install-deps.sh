#!/bin/sh
# Install the Debian packages mpkit needs, only the missing ones.
#
#   scripts/install-deps.sh [gnuplot] [cmocka] [mpi]   (no argument: gnuplot and cmocka)
#
# mpi is MPICH (lesson 13): its compiler wrapper and launcher by their MPICH
# names, mpicc.mpich and mpiexec.mpich, and its headers.
#
# As root it runs apt-get (update first). Otherwise it prints the exact
# command to run and exits with status 2: we never guess at sudo.
set -eu

want="${*:-gnuplot cmocka}"
missing=""
for dep in $want; do
    case "$dep" in
    gnuplot) command -v gnuplot >/dev/null 2>&1 || missing="$missing gnuplot-nox" ;;
    cmocka)  { [ -f /usr/include/cmocka.h ] && ls /usr/lib/*/libcmocka.so* >/dev/null 2>&1; } \
                 || missing="$missing libcmocka-dev" ;;
    mpi)     { command -v mpicc.mpich && command -v mpiexec.mpich && ls /usr/include/*/mpich/mpi.h; } >/dev/null 2>&1 \
                 || missing="$missing mpich libmpich-dev" ;;
    *) echo "install-deps: unknown dependency '$dep' (known: gnuplot cmocka mpi)" >&2; exit 2 ;;
    esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing Debian packages:$missing" >&2
    echo "install-deps: run: sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 2
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "install-deps: done"
