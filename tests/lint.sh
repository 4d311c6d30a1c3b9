#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Static checks, run by `make lint` and CI:
#   1. cppcheck (warning, performance, portability) over the C sources;
#   2. clang-format 14 --dry-run --Werror against .clang-format.
#
#   tests/lint.sh [cppcheck|format]     (default: both)
#
# Prints each command it runs, the findings, and "lint: N passed, N failed";
# exits non-zero if any check has findings. Changes nothing: to fix the
# formatting run `clang-format -i` on the files it lists.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2

what=${1:-all}
case $what in
all | cppcheck | format) ;;
*)
        echo "usage: $0 [cppcheck|format]" >&2
        exit 2
        ;;
esac

# The source directories that exist (lib/ and include/ may not yet).
dirs=()
for d in src lib include tests bench; do
        [ -d "$d" ] && dirs+=("$d")
done

passed=0
failed=0

run_cppcheck() {
        local cmd=(cppcheck --quiet --enable=warning,performance,portability --error-exitcode=1
                   --inline-suppr --suppress=missingIncludeSystem -I src -I include)
        [ -f .cppcheck-suppressions ] && cmd+=(--suppressions-list=.cppcheck-suppressions)
        cmd+=("${dirs[@]}")

        if ! command -v cppcheck >/dev/null; then
                echo "lint: cppcheck not installed (apt-get install cppcheck)"
                return 1
        fi
        echo "+ ${cmd[*]}"
        "${cmd[@]}"
}

run_format() {
        local cf="" v files=() bad=()

        for c in clang-format-14 clang-format; do
                if command -v "$c" >/dev/null; then
                        cf=$c
                        break
                fi
        done
        if [ -z "$cf" ]; then
                echo "lint: clang-format not installed (apt-get install clang-format)"
                return 1
        fi
        # Other versions lay some constructs out differently: the style is
        # pinned to what Debian 12 ships.
        v=$("$cf" --version | sed -n 's/.*version \([0-9]*\).*/\1/p')
        if [ "$v" != 14 ]; then
                echo "lint: warning: $cf is version ${v:-?}, .clang-format is checked with 14"
        fi

        mapfile -t files < <(find "${dirs[@]}" -type f \( -name '*.c' -o -name '*.h' \) | sort)
        echo "+ $cf --dry-run --Werror <${#files[@]} files under ${dirs[*]}>"
        for f in "${files[@]}"; do
                if ! "$cf" --dry-run --Werror "$f" >/dev/null 2>&1; then
                        bad+=("$f")
                fi
        done
        if [ ${#bad[@]} -gt 0 ]; then
                echo "clang-format: ${#bad[@]} of ${#files[@]} files differ from .clang-format:"
                for f in "${bad[@]}"; do
                        echo "  $f ($("$cf" "$f" | diff "$f" - | grep -c '^<') lines)"
                done
                echo "(see a diff with: $cf FILE | diff FILE -; fix with: $cf -i FILE)"
                return 1
        fi
        echo "clang-format: ${#files[@]} files clean"
}

if [ "$what" != format ]; then
        if run_cppcheck; then
                echo "cppcheck: clean"
                passed=$((passed + 1))
        else
                echo "cppcheck: FAILED"
                failed=$((failed + 1))
        fi
fi
if [ "$what" != cppcheck ]; then
        if run_format; then
                passed=$((passed + 1))
        else
                failed=$((failed + 1))
        fi
fi

echo "lint: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
