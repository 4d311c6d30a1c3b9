#!/bin/sh
# SPDX-License-Identifier: MIT
#
# coop-floor: a registered application that never answers is asked to
# close with a long grace period (30 s) while a hog keeps allocating; the
# emergency floor is reached within the grace period and the application
# is killed at once, with no kernel OOM kill.
# shellcheck source=../lib.sh
. /vmtest/lib.sh

printf '[clients]\ngrace = 30s\n' >"$VMT_DIR/triage.conf"
oom_before=$(vmstat_get oom_kill)
start_triaged -c "$VMT_DIR/triage.conf"

sh -c 'echo 1000 > /proc/self/oom_score_adj && exec deaf -b 24' >"$VMT_DIR/deaf.out" 2>&1 &
deaf_pid=$!
wait_for_line "$VMT_DIR/deaf.out" '^deaf: registered' 20 "$deaf_pid" || fail "deaf did not register"

start_hog hog 20
hog_pid=$HOG_PID
started=$(cut -d. -f1 /proc/uptime)

# Well before the 30 s deadline.
wait_dead "$deaf_pid" 25 || fail "deaf (pid $deaf_pid) still alive after 25 s"
wait "$deaf_pid"
[ $(($(cut -d. -f1 /proc/uptime) - started)) -lt 30 ] || fail "deaf died only after its grace period"

record=$(triagectl -s "$TRIAGE_SOCKET" history --json | grep "\"pid\":$deaf_pid,") ||
        fail "no record for deaf (pid $deaf_pid)"
echo "$record" | grep -q '"outcome":"killed-by-floor"' || fail "record does not say killed by the floor: $record"
grep -q '^deaf: asked to close' "$VMT_DIR/deaf.out" || fail "deaf was never asked to close"

wait_dead "$hog_pid" 60 || fail "the hog (pid $hog_pid) still alive"
[ "$(vmstat_get oom_kill)" = "$oom_before" ] || fail "the kernel OOM killer acted"
is_alive "$TRIAGED_PID" || fail "triaged died"
pass
