#!/bin/sh
# SPDX-License-Identifier: MIT
#
# coop-deaf: a registered application that never answers is the victim at
# critical; it is asked to close, loses only its grace period (3 s here),
# and is killed at the deadline; the record says so. A hog holds memory
# between the critical and emergency lines, so only the deadline can be
# what kills it.
# shellcheck source=../lib.sh
. /vmtest/lib.sh

printf '[clients]\ngrace = 3s\n' >"$VMT_DIR/triage.conf"
oom_before=$(vmstat_get oom_kill)
start_triaged -c "$VMT_DIR/triage.conf"

sh -c 'echo 1000 > /proc/self/oom_score_adj && exec deaf -b 24' >"$VMT_DIR/deaf.out" 2>&1 &
deaf_pid=$!
wait_for_line "$VMT_DIR/deaf.out" '^deaf: registered' 20 "$deaf_pid" || fail "deaf did not register"

# Stop the hog with ~15 MiB available: below critical (10% of RAM, ~20 MiB),
# above emergency (5%, ~10 MiB).
avail_mib=$(($(meminfo_kib MemAvailable) / 1024))
start_hog hog -m $((avail_mib - 15)) 50
hog_pid=$HOG_PID

wait_dead "$deaf_pid" 60 || fail "deaf (pid $deaf_pid) still alive"
wait "$deaf_pid"
deaf_status=$?
[ "$deaf_status" = 137 ] || fail "deaf exited with $deaf_status, not SIGKILL"
grep -q '^deaf: asked to close' "$VMT_DIR/deaf.out" || fail "deaf was never asked to close"

record=$(triagectl -s "$TRIAGE_SOCKET" history --json | grep "\"pid\":$deaf_pid,") ||
        fail "no record for deaf (pid $deaf_pid)"
echo "$record" | grep -q '"outcome":"killed-at-deadline"' || fail "record does not say killed at deadline: $record"
echo "$record" | grep -q '"client":{"name":"deaf","saved":false' || fail "record does not say unsaved: $record"
grep -q "${TRIAGED_LINE}domain system: pid $deaf_pid did not close within its grace period" "$TRIAGED_LOG" ||
        fail "no deadline line in the log"
is_alive "$hog_pid" || fail "the hog was killed too, but memory was back after deaf"
kill -9 "$hog_pid"
[ "$(vmstat_get oom_kill)" = "$oom_before" ] || fail "the kernel OOM killer acted"
pass
