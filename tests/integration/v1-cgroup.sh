#!/usr/bin/env bash
# A child in its own cgroup v1 memory cgroup (64 MiB limit) allocates
# without end; triaged, watching that cgroup as a domain, must kill it
# before the memory controller's own OOM killer fires (oom_kill stays 0),
# and must leave everything outside the cgroup alone.
# Skipped (exit 77) where there is no writable v1 memory hierarchy.
# Usage: v1-cgroup.sh TRIAGED TRIAGECTL HOG
set -euo pipefail
TRIAGED=$1 TRIAGECTL=$2 HOG=$3
V1=/sys/fs/cgroup/memory
NAME=triage-it-$$
CG=$V1/$NAME
WORK=$(mktemp -d /tmp/triage-it.XXXXXX)
SOCK=$WORK/control.sock
HOG_PID=
. "$(dirname "$0")/lib.sh"

cleanup() {
        [ -n "$HOG_PID" ] && kill -KILL "$HOG_PID" 2>/dev/null && wait "$HOG_PID" 2>/dev/null
        stop_daemon
        [ -d "$CG" ] && rmdir "$CG"
        rm -rf "$WORK"
}
trap cleanup EXIT

if [ ! -f $V1/memory.limit_in_bytes ] || ! mkdir "$CG" 2>/dev/null; then
        echo "SKIP: no writable cgroup v1 memory hierarchy at $V1"
        exit 77
fi
echo $((64 << 20)) > "$CG/memory.limit_in_bytes"
# No swap for the child either, where the kernel accounts it.
[ -f "$CG/memory.memsw.limit_in_bytes" ] && echo $((64 << 20)) > "$CG/memory.memsw.limit_in_bytes"

printf '[clients]\nsocket = %s\nbus = no\n[domains]\nauto_cgroups = no\n' "$WORK/app.sock" > "$WORK/triage.conf"
start_daemon -c "$WORK/triage.conf" -s "$SOCK" --no-mlock -d "it=/$NAME"
grep -q "domain it (cgroup-v1 /$NAME)" "$LOG" || fail "the cgroup is not watched as a domain"
grep -q "domain it.*usage threshold" "$LOG" && fail "usage thresholds could not be set"
pass "cgroup $CG watched as domain 'it'"

# The hog joins the cgroup, then allocates 100 MiB/s until it is stopped.
sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" 100' sh "$CG" "$HOG" > "$WORK/hog.out" 2>&1 &
HOG_PID=$!

wait_log "kill pid=$HOG_PID comm=hog .*domain=it .*outcome=died" 60 || fail "triaged did not kill the hog"
pass "triaged killed the hog: $MATCHED"
wait "$HOG_PID" 2>/dev/null || true
HOG_PID=
oom_kills=$(sed -n 's/^oom_kill //p' "$CG/memory.oom_control")
[ "${oom_kills:-0}" = 0 ] || fail "the kernel's memcg OOM killer fired $oom_kills time(s)"
pass "memory.oom_control oom_kill is 0"
kill -0 "$DAEMON_PID" || fail "triaged died"
"$TRIAGECTL" -s "$SOCK" history | grep -q "died pid [0-9]* (hog) .* in it" || fail "history does not record the kill"
pass "history records the kill"
echo "v1-cgroup: all passed"
