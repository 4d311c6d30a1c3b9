#!/bin/sh
# SPDX-License-Identifier: MIT
#
# group: an activity of several processes dies as a whole: a unit cgroup
# (fam.scope, killed through cgroup.kill) holding a shell and three
# processes, made the first victim; every one of its processes dies, a
# process outside it lives.
# shellcheck source=../lib.sh
. /vmtest/lib.sh

oom_before=$(vmstat_get oom_kill)
start_triaged
start_hold outside 8
outside=$HOLD_PID

cg=/sys/fs/cgroup/fam.scope
mkdir "$cg" || fail "cannot create $cg"
# oom_score_adj 999: a value of its own. (1000 is what triage publishes for
# its first victim; a child of such a process inherits it, and triage
# takes an inherited value for its parent's.)
setsid sh -c 'echo $$ > "$1/cgroup.procs"; echo 999 > /proc/self/oom_score_adj
        hold 8 & hold 8 & hold 16 & wait' sh "$cg" >"$VMT_DIR/fam.out" 2>&1 &
fam=$!
tries=100
while [ "$(grep -c '^hold ready' "$VMT_DIR/fam.out")" -lt 3 ]; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || fail "the family did not start"
        sleep 0.1
done
members=$(cat "$cg/cgroup.procs" | tr '\n' ' ')
info "family: $members"
triagectl -s "$TRIAGE_SOCKET" rank

start_hog hog 20
hog_pid=$HOG_PID
for p in $members; do
        wait_dead "$p" 40 || fail "family member $p survived"
done
is_alive "$outside" || fail "the process outside the activity died"
record=$(triagectl -s "$TRIAGE_SOCKET" history --json | grep '"activity_id":"/fam.scope"') ||
        fail "no record for the family"
echo "$record" | grep -q '"n_members":4' || fail "the record does not list 4 members: $record"
echo "$record" | grep -q '"cgroup_kill":true' || fail "not killed through cgroup.kill: $record"
echo "$record" | grep -q '"outcome":"died"' || fail "the record does not say died: $record"
kill -9 "$hog_pid" 2>/dev/null
[ "$(vmstat_get oom_kill)" = "$oom_before" ] || fail "the kernel OOM killer acted"
echo "$record"
pass
