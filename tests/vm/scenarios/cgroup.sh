#!/bin/sh
# SPDX-License-Identifier: MIT
#
# cgroup: a memory cgroup with memory.max is a domain of its own. A hog
# inside /sys/fs/cgroup/box (64 MiB, no swap) is killed by triaged for the
# box's domain before the cgroup's own OOM killer acts, while a hold outside
# the box, which the system as a whole does not need to shed, lives.
# shellcheck source=../lib.sh
. /vmtest/lib.sh

box=/sys/fs/cgroup/box
# 20 MiB/s: the box fills in about 3 s.
HOG_RATE=20
HOG_DEADLINE_SEC=30

mkdir "$box" || fail "cannot create $box"
echo 64M >"$box/memory.max" || fail "cannot set $box/memory.max"
if [ -f "$box/memory.swap.max" ]; then
        echo 0 >"$box/memory.swap.max" || fail "cannot set $box/memory.swap.max"
fi
oom_before=$(vmstat_get oom_kill)

start_hold outside 8 -a 0
outside_pid=$HOLD_PID

start_triaged
start_hog_in_cgroup "$box" hog "$HOG_RATE"
hog_pid=$HOG_PID

if ! wait_dead "$hog_pid" "$HOG_DEADLINE_SEC"; then
        kill -9 "$hog_pid"
        fail "the hog in $box (pid $hog_pid) was still alive after $HOG_DEADLINE_SEC s"
fi
info "hog dead at $(uptime_sec) s, box memory.current $(cat "$box/memory.current")"
wait "$hog_pid"
hog_status=$?
box_oom=$(cgroup_key "$box/memory.events" oom_kill)

kill_line=$(grep "${TRIAGED_LINE}kill pid=$hog_pid comm=hog " "$TRIAGED_LOG" | head -n 1)
[ -n "$kill_line" ] ||
        fail "no 'kill pid=$hog_pid comm=hog' in triaged's log (hog exit status $hog_status, box oom_kill $box_oom)"
echo "$kill_line"
case $kill_line in
*" domain="*box" "* | *" domain="*box) ;;
*) fail "the kill was not made for the box's domain: $kill_line" ;;
esac
[ "$box_oom" = 0 ] || fail "the cgroup OOM killer acted in $box: oom_kill $box_oom"
[ "$(vmstat_get oom_kill)" = "$oom_before" ] ||
        fail "the kernel OOM killer acted: oom_kill $oom_before -> $(vmstat_get oom_kill)"
is_alive "$outside_pid" || fail "the hold outside the box (pid $outside_pid) was killed"
is_alive "$TRIAGED_PID" || fail "triaged died"
pass
