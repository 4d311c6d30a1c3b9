#!/usr/bin/env bash
# Freezing survives a crash: a process holding a freeze (frz-tool, built on
# src/freeze.c) is killed with SIGKILL while the activity is frozen; the
# activity stays frozen (nothing thawed it), and the recovery the daemon
# runs at start (freeze_thaw_recorded) thaws it: the workload runs again.
# Also: SIGTERM thaws (the daemon's exit path), and several freezes share
# one state file. Each method where this machine allows it: SIGSTOP always,
# a cgroup v2 (cgroup.freeze) and a v1 freezer cgroup when writable (else
# "SKIP: reason" and the rest goes on).
# Waits are blocking reads with a timeout that only bounds a failure.
# Usage: freeze.sh FRZ_TOOL
set -euo pipefail
FRZ=$1
WORK=$(mktemp -d /tmp/triage-frz.XXXXXX)
STATE=$WORK/frozen
WORKERS=() TOOLS=() CGROUPS=()

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

cleanup() {
        local cg p
        for cg in "${CGROUPS[@]}"; do
                [ -f "$cg/cgroup.freeze" ] && echo 0 > "$cg/cgroup.freeze"
                [ -f "$cg/freezer.state" ] && echo THAWED > "$cg/freezer.state"
        done
        for p in "${TOOLS[@]}" "${WORKERS[@]}"; do
                kill -KILL "$p" 2>/dev/null || true
                wait "$p" 2>/dev/null || true
        done
        for cg in "${CGROUPS[@]}"; do
                rmdir "$cg" 2>/dev/null || echo "warning: cannot remove $cg" >&2
        done
        rm -rf "$WORK"
}
trap cleanup EXIT

# start_worker NAME: a cat that echoes what it reads; $WORKER_PID. Both
# fifos stay open here read-write, so no open ever blocks.
start_worker() {
        mkfifo "$WORK/$1.in" "$WORK/$1.out"
        exec {fd_in}<>"$WORK/$1.in" {fd_out}<>"$WORK/$1.out"
        eval "IN_$1=$fd_in OUT_$1=$fd_out"
        cat "$WORK/$1.in" > "$WORK/$1.out" &
        WORKER_PID=$!
        WORKERS+=("$WORKER_PID")
}

# runs NAME: the worker answers (it is neither stopped nor frozen).
runs() {
        local in out line
        eval "in=\$IN_$1 out=\$OUT_$1"
        echo "ping-$1" >&"$in"
        read -r -t 10 -u "$out" line && [ "$line" = "ping-$1" ]
}

proc_state() { sed 's/.*) \(.\).*/\1/' "/proc/$1/stat"; }

# hold NAME ARGS...: frz-tool freeze STATE ARGS in the background; waits
# for its "frozen" line. $TOOL_PID.
hold() {
        local name=$1 line fd
        shift
        mkfifo "$WORK/$name.tool"
        exec {fd}<>"$WORK/$name.tool"
        "$FRZ" freeze "$STATE" "$@" > "$WORK/$name.tool" 2> "$WORK/$name.err" &
        TOOL_PID=$!
        TOOLS+=("$TOOL_PID")
        eval "TOOL_$name=$fd"
        read -r -t 10 -u "$fd" line || fail "$name: no answer from frz-tool: $(cat "$WORK/$name.err")"
        case $line in frozen*) ;; *) fail "$name: $line" ;; esac
        echo "   $name: $line"
}

crash() { kill -KILL "$1"; wait "$1" 2>/dev/null || true; }

# make_cgroup MOUNT: a cgroup for this test, or 1 (and the reason).
make_cgroup() {
        CG=$1/triage-it-freeze-$$-${#CGROUPS[@]}
        mkdir "$CG" 2>/dev/null || { SKIPPED="cannot create a cgroup in $1"; return 1; }
        CGROUPS+=("$CG")
}

v2_mount() {
        if [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo /sys/fs/cgroup
        elif [ -f /sys/fs/cgroup/unified/cgroup.controllers ]; then echo /sys/fs/cgroup/unified
        fi
}

# --- SIGSTOP: crash, then recovery ------------------------------------
start_worker a
A=$WORKER_PID
runs a || fail "worker a does not run"
hold a "$A"
[ "$(proc_state "$A")" = T ] || fail "worker a is not stopped"
ticks=$(sed 's/.*) //' "/proc/$A/stat" | cut -d' ' -f20)
[ "$(cat "$STATE")" = "pid $A $ticks" ] || fail "state file: $(cat "$STATE")"
crash "$TOOL_PID"
[ "$(proc_state "$A")" = T ] || fail "the crash thawed worker a"
[ -f "$STATE" ] || fail "the crash lost the state file"
pass "SIGSTOP: frz-tool killed with SIGKILL, worker a still stopped and recorded"
out=$("$FRZ" recover "$STATE")
echo "$out" | sed 's/^/   /'
echo "$out" | grep -qx "thawed=1 gone=0 failed=0 bad=0" || fail "recovery: $out"
[ ! -e "$STATE" ] || fail "recovery left the state file"
runs a || fail "worker a does not run after the recovery"
pass "recovery thawed worker a: it runs"

# --- SIGTERM thaws (the daemon's exit path) ---------------------------
hold term "$A"
[ "$(proc_state "$A")" = T ] || fail "worker a is not stopped"
kill -TERM "$TOOL_PID"
read -r -t 10 -u "$TOOL_term" line || fail "no answer to SIGTERM"
[ "$line" = thawed ] || fail "SIGTERM: $line"
wait "$TOOL_PID" || fail "frz-tool exited with $?"
[ ! -e "$STATE" ] || fail "the thaw left the state file"
runs a || fail "worker a does not run after SIGTERM"
pass "SIGTERM: thawed, state file removed, worker a runs"

# --- cgroup v2 ----------------------------------------------------------
V2=$(v2_mount)
start_worker b
B=$WORKER_PID
have_v2=
if [ -z "$V2" ]; then
        echo "SKIP: cgroup v2: no unified hierarchy"
elif ! make_cgroup "$V2"; then
        echo "SKIP: cgroup v2: $SKIPPED"
elif [ ! -f "$CG/cgroup.freeze" ]; then
        echo "SKIP: cgroup v2: no cgroup.freeze (Linux < 5.2)"
else
        CG_B=$CG
        echo "$B" > "$CG_B/cgroup.procs"
        hold b --v2 "$V2" "${CG_B#"$V2"}"
        grep -qx "frozen 1" "$CG_B/cgroup.events" || fail "cgroup.events: $(cat "$CG_B/cgroup.events")"
        crash "$TOOL_PID"
        grep -qx "frozen 1" "$CG_B/cgroup.events" || fail "the crash thawed $CG_B"
        [ "$(cat "$STATE")" = "v2 $CG_B" ] || fail "state file: $(cat "$STATE")"
        out=$("$FRZ" recover "$STATE")
        echo "$out" | grep -qx "thawed=1 gone=0 failed=0 bad=0" || fail "recovery: $out"
        grep -qx "frozen 0" "$CG_B/cgroup.events" || fail "not thawed: $(cat "$CG_B/cgroup.events")"
        runs b || fail "worker b does not run after the recovery"
        pass "cgroup v2 $CG_B: frozen, survived the crash, thawed by the recovery, runs"
        have_v2=1
fi

# --- cgroup v1 freezer ----------------------------------------------------
V1=/sys/fs/cgroup/freezer
start_worker c
C=$WORKER_PID
have_v1=
if [ ! -f "$V1/tasks" ]; then
        echo "SKIP: cgroup v1: no freezer hierarchy at $V1"
elif ! make_cgroup "$V1"; then
        echo "SKIP: cgroup v1: $SKIPPED"
else
        CG_C=$CG
        echo "$C" > "$CG_C/cgroup.procs"
        hold c --v1 "$V1" "${CG_C#"$V1"}"
        [ "$(cat "$CG_C/freezer.state")" = FROZEN ] || fail "freezer.state: $(cat "$CG_C/freezer.state")"
        crash "$TOOL_PID"
        [ "$(cat "$CG_C/freezer.state")" = FROZEN ] || fail "the crash thawed $CG_C"
        out=$("$FRZ" recover "$STATE")
        echo "$out" | grep -qx "thawed=1 gone=0 failed=0 bad=0" || fail "recovery: $out"
        [ "$(cat "$CG_C/freezer.state")" = THAWED ] || fail "not thawed: $(cat "$CG_C/freezer.state")"
        runs c || fail "worker c does not run after the recovery"
        pass "cgroup v1 $CG_C: frozen, survived the crash, thawed by the recovery, runs"
        have_v1=1
fi

# --- all at once, one state file, all crashed ------------------------------
n=1
hold all_a "$A"
crash "$TOOL_PID"
if [ -n "$have_v2" ]; then
        hold all_b --v2 "$V2" "${CG_B#"$V2"}"
        crash "$TOOL_PID"
        n=$((n + 1))
fi
if [ -n "$have_v1" ]; then
        hold all_c --v1 "$V1" "${CG_C#"$V1"}"
        crash "$TOOL_PID"
        n=$((n + 1))
fi
[ "$(wc -l < "$STATE")" = "$n" ] || fail "state file: $(cat "$STATE")"
# A line a torn write could leave: skipped and counted, not fatal.
printf 'v2 /sys/fs/cgroup/unified/tor' >> "$STATE"
out=$("$FRZ" recover "$STATE")
echo "$out" | sed 's/^/   /'
echo "$out" | grep -qx "thawed=$n gone=0 failed=0 bad=1" || fail "recovery: $out"
runs a || fail "worker a does not run"
[ -z "$have_v2" ] || runs b || fail "worker b does not run"
[ -z "$have_v1" ] || runs c || fail "worker c does not run"
pass "$n freezes crashed with one state file: all thawed, the torn line skipped"
echo "freeze: all passed"
