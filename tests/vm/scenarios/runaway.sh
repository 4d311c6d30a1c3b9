#!/bin/sh
# SPDX-License-Identifier: MIT
#
# runaway: a process that allocates without limit is killed by triaged
# before the kernel's OOM killer acts, and nothing else is. A `hold` of
# 8 MiB with oom_score_adj 0 plays the key process; this shell must survive
# too, or no verdict is printed at all.
#
# HOG_RATE (MiB/s, 0 = as fast as it can) may be set by a scenario that
# sources this one (runaway-fast).
# shellcheck source=../lib.sh
. /vmtest/lib.sh

: "${HOG_RATE:=50}"
# A hog at 50 MiB/s fills the guest's ~200 MiB in about 4 s; allow far more.
HOG_DEADLINE_SEC=30

start_hold key 8 -a 0
key_pid=$HOLD_PID
oom_before=$(vmstat_get oom_kill)

start_triaged
start_hog hog "$HOG_RATE"
hog_pid=$HOG_PID

if ! wait_dead "$hog_pid" "$HOG_DEADLINE_SEC"; then
        kill -9 "$hog_pid"
        fail "the hog (pid $hog_pid, $HOG_RATE MiB/s) was still alive after $HOG_DEADLINE_SEC s"
fi
info "hog dead at $(uptime_sec) s"
# Collect the zombie; a SIGKILL shows as 137.
wait "$hog_pid"
hog_status=$?
oom_after=$(vmstat_get oom_kill)

grep -q "${TRIAGED_LINE}kill pid=$hog_pid comm=hog " "$TRIAGED_LOG" ||
        fail "no 'kill pid=$hog_pid comm=hog' in triaged's log (hog exit status $hog_status, oom_kill $oom_before -> $oom_after)"
[ "$oom_after" = "$oom_before" ] ||
        fail "the kernel OOM killer acted: oom_kill $oom_before -> $oom_after"
is_alive "$key_pid" || fail "the key process (hold, pid $key_pid) was killed"
is_alive "$TRIAGED_PID" || fail "triaged died"
grep "${TRIAGED_LINE}kill pid=$hog_pid " "$TRIAGED_LOG"
pass
