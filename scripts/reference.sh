#!/bin/bash
# Store this machine's results as the reference run: `make reference`.
#
#   scripts/reference.sh BUILD_DIR REFERENCE_DIR "LESSON ARGS" "LESSONS"
#
# Runs every lesson (or those LESSONS names: "1 9", "01,04") with its default
# sizes (or LESSON ARGS, e.g. --quick) into a temporary folder, then, only if
# every one of them succeeded, replaces REFERENCE_DIR/NN-name/ of each with
# its CSV data, its plots (PNG) and the data files the plots read (.dat),
# and describes the machine in REFERENCE_DIR/machine.txt (a copy goes in
# each lesson's folder: the label line names the machine in the plots' key).
# Timelines' span files and traces (JSON) are left out: no overlay reads
# them, and they are the large ones.
#
# A lesson that fails stops the run: it is named, the end of its output is
# shown, the reference is left as it was, and the status is 1. A bad
# LESSONS word is one line and status 2. The lessons run with
# --no-reference: a reference shows one machine's run, not two.
set -u
build="$1" refdir="$2" args="$3" wanted="$4"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1

die() { echo "reference: $*" >&2; exit 2; }

# ---- which lessons ----
all=$(cd lessons && ls -d [0-9][0-9]-* | sort)
if [ -z "$wanted" ]; then
    names="$all"
else
    names=""
    for n in $(echo "$wanted" | tr ',' ' '); do
        case "$n" in ''|*[!0-9]*) die "LESSONS: '$n' is not a lesson number (say LESSONS=\"1 9\")" ;; esac
        nn=$(printf '%02d' "$((10#$n))")
        d=$(echo "$all" | grep "^$nn-" | head -1)
        [ -n "$d" ] || die "LESSONS: there is no lesson $n (lessons: $(echo "$all" | sed 's/-.*//; s/^0//' | paste -sd ' '))"
        names="$names $d"
    done
fi
for d in $names; do
    [ -x "$build/lesson-${d%%-*}" ] || die "$build/lesson-${d%%-*} is not built (make reference builds it)"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mpkit-reference.XXXXXX") || exit 1
# the temporary folder goes, whatever happens; Ctrl-C also stops the lesson
# (it is in our process group) and leaves the reference as it was
trap 'rm -rf "$tmp"' EXIT
trap 'echo "reference: interrupted: the reference is unchanged" >&2; exit 130' INT TERM HUP

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')

# ---- run them ----
for d in $names; do
    bin="$build/lesson-${d%%-*}"
    printf '== %s%s --out %s --no-reference ... ' "$bin" "${args:+ $args}" "$tmp/$d"
    t0=$(date +%s)
    # shellcheck disable=SC2086 # ARGS is a list of flags
    "$bin" $args --out "$tmp/$d" --no-reference >"$tmp/$d.log" 2>&1
    rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "failed"
        tail -n 15 "$tmp/$d.log" | sed 's/^/    /'
        echo "reference: lesson ${d%%-*} ($d) failed with exit status $rc: $refdir/ is unchanged" >&2
        exit 1
    fi
    echo "ok, $(($(date +%s) - t0)) s"
done

# ---- describe the machine ----
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
[ -n "$cpu" ] || cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
[ -n "$cpu" ] || cpu=$(uname -m)
# the key's label: the model without its trademarks and clock, the CPUs
# this run could use, the day (no quotes: it goes into gnuplot's)
short=$(echo "$cpu" | sed 's/([RrTtMm]*)//g; s/ CPU//; s/ @.*//; s/ Processor//; s/  */ /g; s/["'\'']//g')
usable=$(nproc)
label="$short, $usable CPU$([ "$usable" -eq 1 ] || echo s), $(date -u +%Y-%m-%d)"
mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
os=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-}")
machine="$tmp/machine.txt"
{
    echo "label: $label"
    echo "date: $started"
    echo "cpu: $cpu"
    echo "cpus: $(getconf _NPROCESSORS_ONLN) online, $usable usable by the lessons"
    echo "memory: $mem"
    echo "kernel: $(uname -s) $(uname -r) $(uname -m)"
    echo "os: ${os:-unknown}"
    echo "compiler: $(${CC:-gcc} --version 2>/dev/null | head -n 1)"
    echo "gnuplot: $(gnuplot --version 2>/dev/null || echo 'not installed (no plots)')"
    echo "load average: $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (1, 5, 15 min)"
    echo "lessons: $(echo $names)"
    echo "args: ${args:-(none: the default sizes)}"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
} >"$machine"

# ---- replace each lesson's reference, only now that all have succeeded ----
mkdir -p "$refdir" || exit 1
for d in $names; do
    new="$refdir/.$d.new" old="$refdir/.$d.old"
    rm -rf "$new" "$old"
    mkdir -p "$new" || exit 1
    for f in "$tmp/$d"/*.csv "$tmp/$d"/*.png "$tmp/$d"/*.dat; do
        [ -f "$f" ] || continue
        # a timeline's or a task schedule's spans: "# lane start_ms end_ms ..."
        case "$f" in *.dat) head -n 1 "$f" | grep -q '^# lane ' && continue ;; esac
        cp "$f" "$new/" || exit 1
    done
    cp "$machine" "$new/machine.txt" || exit 1
    if [ -e "$refdir/$d" ]; then mv "$refdir/$d" "$old" || exit 1; fi
    mv "$new" "$refdir/$d" || exit 1
    rm -rf "$old"
done
cp "$machine" "$refdir/machine.txt" || exit 1
echo "reference: $(echo $names | wc -w) lesson(s) in $refdir/, made on: $label"
echo "reference: the machine is described in $refdir/machine.txt ($(cut -d' ' -f1-3 /proc/loadavg) load average now)"
