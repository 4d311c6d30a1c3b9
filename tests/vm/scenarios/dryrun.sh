#!/bin/sh
# SPDX-License-Identifier: MIT
#
# dryrun: with --dry-run triaged says whom it would kill and kills nobody.
# A hog grows to leave 7.5% of RAM available, between the default critical
# (10%) and emergency (5%) levels, and stops there by itself (-m), so that
# neither triaged nor the kernel has a reason to kill it except triaged's
# would-be victim choice.
# shellcheck source=../lib.sh
. /vmtest/lib.sh

HOG_RATE=50
# The hog needs about 4 s to grow; give it and triaged far more.
HOG_DEADLINE_SEC=30
DRYRUN_DEADLINE_SEC=15

start_triaged --dry-run
oom_before=$(vmstat_get oom_kill)

total_kib=$(meminfo_kib MemTotal)
avail_kib=$(meminfo_kib MemAvailable)
# Leave total * 7.5% available.
max_mib=$(((avail_kib - total_kib * 75 / 1000) / 1024))
[ "$max_mib" -gt 0 ] || fail "no room for a hog: MemAvailable $avail_kib kB of $total_kib kB"
info "MemTotal $total_kib kB, MemAvailable $avail_kib kB: hog up to $max_mib MiB"

start_hog hog -m "$max_mib" "$HOG_RATE"
hog_pid=$HOG_PID
wait_for_line "$VMT_DIR/hog.out" "^hog paused $max_mib" "$HOG_DEADLINE_SEC" "$hog_pid" ||
        fail "the hog did not reach $max_mib MiB within $HOG_DEADLINE_SEC s (alive: $(is_alive "$hog_pid" && echo yes || echo no))"
info "hog paused at $max_mib MiB at $(uptime_sec) s, MemAvailable $(meminfo_kib MemAvailable) kB"

wait_for_line "$TRIAGED_LOG" "${TRIAGED_LINE}dry-run: would kill pid=$hog_pid " "$DRYRUN_DEADLINE_SEC" "$TRIAGED_PID" ||
        fail "no 'dry-run: would kill pid=$hog_pid' in triaged's log within $DRYRUN_DEADLINE_SEC s"
grep -m 1 "${TRIAGED_LINE}dry-run: would kill pid=$hog_pid " "$TRIAGED_LOG"
is_alive "$hog_pid" || fail "the hog (pid $hog_pid) died in a dry run"
if grep -q "${TRIAGED_LINE}kill pid=" "$TRIAGED_LOG"; then
        fail "triaged killed in a dry run: $(grep -m 1 "${TRIAGED_LINE}kill pid=" "$TRIAGED_LOG")"
fi
[ "$(vmstat_get oom_kill)" = "$oom_before" ] ||
        fail "the kernel OOM killer acted: oom_kill $oom_before -> $(vmstat_get oom_kill)"
is_alive "$TRIAGED_PID" || fail "triaged died"
pass
