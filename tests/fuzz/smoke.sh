#!/bin/bash
# SPDX-License-Identifier: MIT
#
# A short fuzzing run of every libFuzzer target in BUILD_DIR, for CI and
# `make fuzz`:
#
#   tests/fuzz/smoke.sh BUILD_DIR SECONDS
#
# SECONDS is the total budget, split evenly between the targets (at least
# 2 s each). Each target starts from a copy of its seed corpus
# (tests/fuzz/corpus/NAME) made under BUILD_DIR/fuzz-smoke, so nothing is
# ever written into the source tree. Saved reproducers under
# tests/fuzz/crashes/NAME/ are replayed first as regression inputs.
# Exits non-zero if any target crashes, leaks, times out or fails a
# property; the crashing input is left in BUILD_DIR/fuzz-smoke/NAME/.
set -u

if [ $# -ne 2 ] || ! [[ $2 =~ ^[0-9]+$ ]]; then
        echo "usage: $0 BUILD_DIR SECONDS" >&2
        exit 2
fi
build=$1
total=$2
here=$(cd "$(dirname "$0")" && pwd)
fuzzdir=$build/tests/fuzz
workdir=$build/fuzz-smoke

targets=()
for f in "$fuzzdir"/fuzz_*; do
        [ -f "$f" ] && [ -x "$f" ] && targets+=("$f")
done
if [ ${#targets[@]} -eq 0 ]; then
        echo "smoke.sh: no fuzz targets in $fuzzdir (configure with CC=clang -Dfuzz=true)" >&2
        echo "fuzz: 0 passed, 1 failed"
        exit 1
fi

per=$((total / ${#targets[@]}))
[ "$per" -lt 2 ] && per=2
echo "fuzz: ${#targets[@]} targets, ${per}s each"

# Leak checks stay on (a parser must not leak); UBSan already aborts on the
# first finding (-fno-sanitize-recover=all).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

rm -rf "$workdir"
passed=0
failed=0
for exe in "${targets[@]}"; do
        name=$(basename "$exe")
        dir=$workdir/$name
        mkdir -p "$dir/corpus"
        if [ -d "$here/corpus/$name" ]; then
                cp -R "$here/corpus/$name/." "$dir/corpus/"
        else
                echo "  $name: warning: no seed corpus in tests/fuzz/corpus/$name"
        fi
        log=$dir/log
        status=ok

        # Known reproducers first: each must now run clean.
        if [ -d "$here/crashes/$name" ] && [ -n "$(ls -A "$here/crashes/$name")" ]; then
                if ! "$exe" -runs=1 "$here/crashes/$name"/* >"$dir/regress.log" 2>&1; then
                        status="a saved reproducer in tests/fuzz/crashes/$name still fails"
                        log=$dir/regress.log
                fi
        fi

        if [ "$status" = ok ]; then
                # timeout(1) is the backstop if one input hangs past
                # -max_total_time; -rss_limit_mb keeps a runaway from
                # hurting the host (it has no swap).
                timeout --signal=KILL $((per + 60)) "$exe" \
                        -max_total_time="$per" -timeout=10 -rss_limit_mb=1024 \
                        -print_final_stats=1 -artifact_prefix="$dir/" \
                        "$dir/corpus" >"$log" 2>&1
                rc=$?
                if [ $rc -ne 0 ]; then
                        artifact=$(ls "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* 2>/dev/null | head -n 1)
                        status="exit $rc${artifact:+, input $artifact}"
                fi
        fi

        if [ "$status" = ok ]; then
                runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
                cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
                echo "  PASS $name (${runs:-?} runs, ${cov:-cov: ?})"
                passed=$((passed + 1))
        else
                echo "  FAIL $name: $status"
                if [ -f "$log" ]; then
                        grep -aE 'Running:|ERROR|SUMMARY|failed|runtime error|^ *#[0-9]+ ' "$log" | head -n 30 | cut -c1-200 | sed 's/^/    /'
                fi
                failed=$((failed + 1))
        fi
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
