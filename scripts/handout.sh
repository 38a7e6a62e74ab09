#!/bin/bash
# make handout: the students' archive, everything they need and no answers.
#
#   scripts/handout.sh ARCHIVE        (make handout: build/mpkit-handout.tar.gz)
#
# The files are the instructor's git clone's (git ls-files: a new lesson or
# exercise is in as soon as git knows it), as they are in the work tree,
# minus what is left out below; the archive unpacks to mpkit/. It adds
# tests/exercises/WITHHELD: how many instructor-only tests each exercise
# lost (tests/instructor.h), which make check-N and make progress report.
#
# It refuses (status 1) to make a handout that would mislead: an exercise
# that does not match tests/exercises/SHIPPED.sha256 (a student's
# make progress would call it edited), or any file whose content is a
# solution's, wherever it lies.
set -euo pipefail
if [ "$#" -ne 1 ]; then echo "usage: scripts/handout.sh ARCHIVE" >&2; exit 2; fi
archive="$1"

# Left out of the handout, as shell patterns on paths (* matches / too).
# Add a line for any other instructor-only file.
left_out=(
    'solutions/*'                  # the solutions
    'tests/exercises/*.instructor.c' # instructor-only tests
    'tests/test_unsolved.c'        # proves the shipped exercises fail: the instructor's check
    'tests/test_handout.c'         # makes and tries a handout: needs solutions/ and git
    '.ci/*'                        # the kit's own CI
    'mk/grade.mk'                  # make grade: grading a class is the instructor's
    'scripts/grade.sh'
    'tools/grade-sandbox.c'
    'tests/grading/*'              # make grade's test and its sample submissions
)
is_left_out() {
    local p
    for p in "${left_out[@]}"; do
        # shellcheck disable=SC2254 # the pattern is meant to match
        case "$1" in $p) return 0 ;; esac
    done
    return 1
}

if [ ! -d solutions ]; then
    echo "make handout: this tree is a handout already (no solutions/): make handout runs in the instructor's clone" >&2
    exit 2
fi
if ! top=$(git rev-parse --show-toplevel 2>&1) || [ "$top" != "$(pwd -P)" ]; then
    echo "make handout: $(pwd) is not the top of a git clone (git: $(echo "$top" | head -1)):" \
        "the handout's files are what git ls-files lists" >&2
    exit 2
fi

# ---- refuse a misleading handout ----
manifest=tests/exercises/SHIPPED.sha256
if ! bad=$(sha256sum --quiet --check "$manifest" 2>&1); then
    echo "make handout: exercises do not match $manifest (run make exercises-manifest after changing one):" >&2
    echo "$bad" | sed 's/^/  /' >&2
    exit 1
fi
unlisted=$(comm -13 <(awk '{ print $2 }' "$manifest" | sort) <(ls exercises/*/ex*.c | sort))
if [ -n "$unlisted" ]; then
    echo "make handout: not in $manifest (run make exercises-manifest): $(echo "$unlisted" | tr "\n" " ")" >&2
    exit 1
fi

files=(); left=()
while IFS= read -r -d '' f; do
    [ -f "$f" ] || continue # deleted in the work tree, not yet in git
    if is_left_out "$f"; then left+=("$f"); else files+=("$f"); fi
done < <(git ls-files -z)

solution_sums=$(find solutions -type f -exec sha256sum {} + | awk '{ print $1 }' | sort -u)
leaks=$(sha256sum "${files[@]}" | awk 'NR == FNR { sol[$1] = 1; next } sol[$1] { print $2 }' <(echo "$solution_sums") -)
if [ -n "$leaks" ]; then
    echo "make handout: these files hold a solution, word for word: $(echo "$leaks" | paste -sd " ")" >&2
    exit 1
fi

# ---- stage, add WITHHELD, pack ----
stage=$(mktemp -d /tmp/mpkit-handout-XXXXXX)
trap 'rm -rf "$stage" "$archive.part"' EXIT # also after Ctrl-C: nothing half-made is left
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir "$stage/mpkit"
printf '%s\0' "${files[@]}" | tar --null -T - -cf - | tar -xf - -C "$stage/mpkit"
commit=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- "${files[@]}" || commit="$commit, with changes not yet committed"
withheld=$(scripts/instructor-tests.sh count)
{
    echo "# Instructor-only tests left out of this handout (made from commit $commit)."
    echo "# One line per exercise: tests/exercises/NAME.c lost N tests, which run at grading."
    echo "# make check-N and make progress read it."
    [ -n "$withheld" ] && echo "$withheld"
} >"$stage/mpkit/tests/exercises/WITHHELD"

mkdir -p "$(dirname "$archive")"
tar --sort=name --owner=0 --group=0 --numeric-owner -czf "$archive.part" -C "$stage" mpkit
mv -f "$archive.part" "$archive"

n_tests=$(printf '%s\n' "$withheld" | awk '{ n += $2 } END { print n + 0 }')
echo "$archive: ${#files[@]} files from commit $commit, unpacked into mpkit/ by: tar xzf $(basename "$archive")"
echo "left out, ${#left[@]} files: $(printf '%s\n' "${left[@]}" | sed 's|^solutions/.*|solutions/|' | uniq -c |
    awk '{ printf "%s%s", sep, ($1 > 1 ? $2 " (" $1 " files)" : $2); sep = ", " }')"
echo "instructor-only tests withheld: $n_tests (tests/exercises/WITHHELD in the archive lists them)"
untracked=$(git ls-files --others --exclude-standard)
if [ -n "$untracked" ]; then
    echo "note: not in the handout, since git does not know them (git add them to include them): $(echo "$untracked" | paste -sd " ")"
fi
