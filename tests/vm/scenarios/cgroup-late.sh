#!/bin/sh
# SPDX-License-Identifier: MIT
#
# cgroup-late: a memory cgroup created and limited after triaged started
# is found (inotify on the hierarchy) and becomes a domain of its own; a
# hog inside it is killed by triaged before the cgroup's OOM killer acts.
# A limit removed again ends the domain.
# shellcheck source=../lib.sh
. /vmtest/lib.sh

box=/sys/fs/cgroup/late
start_triaged

mkdir "$box" || fail "cannot create $box"
echo 64M >"$box/memory.max" || fail "cannot set $box/memory.max"
[ -f "$box/memory.swap.max" ] && echo 0 >"$box/memory.swap.max"
wait_for_line "$TRIAGED_LOG" "${TRIAGED_LINE}found memory cgroup /late with a limit of 64 MiB" 10 ||
        fail "triaged did not notice the new limited cgroup"
triagectl -s "$TRIAGE_SOCKET" status | grep -q '^domain /late (cgroup-v2 /late)' || fail "no domain /late in status"

start_hog_in_cgroup "$box" hog 20
hog_pid=$HOG_PID
wait_dead "$hog_pid" 30 || fail "the hog in $box was not killed"
grep -q "${TRIAGED_LINE}kill pid=$hog_pid comm=hog .*domain=/late " "$TRIAGED_LOG" ||
        fail "the hog was not killed by triaged for the domain /late"
[ "$(cgroup_key "$box/memory.events" oom_kill)" = 0 ] || fail "the cgroup's own OOM killer acted"

echo max >"$box/memory.max"
wait_for_line "$TRIAGED_LOG" "${TRIAGED_LINE}domain /late: cgroup has no memory limit any more" 10 ||
        fail "the domain was not dropped when its limit went"
pass
