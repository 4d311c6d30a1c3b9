#!/usr/bin/env bash
# Choosing, end to end on this host: a real triaged watching a cgroup v1
# memory domain (128 MiB), a real `triagectl choose` in tmux, real memory
# pressure inside the cgroup. Three cases:
#   pick:    the person picks notes (not the policy's first choice): notes
#            gets save-and-close, saves and exits; the record says "picked
#            by the person"; the application in use was frozen during the
#            choice (SIGSTOP: state T) and runs again afterwards.
#   timeout: nobody answers: the policy's first choice dies at the timeout,
#            and everything is thawed.
#   floor:   memory reaches the emergency floor during the choice: the
#            policy acts at once, long before the timeout.
# Skipped (77) without a writable v1 memory hierarchy or tmux.
# Usage: choose-e2e.sh TRIAGED TRIAGECTL HOLD HOG NOTES
set -euo pipefail
TRIAGED=$1 TRIAGECTL=$2 HOLD=$3 HOG=$4 NOTES=$5
V1=/sys/fs/cgroup/memory
command -v tmux >/dev/null || { echo "SKIP: tmux is not installed"; exit 77; }
[ -w $V1/cgroup.procs ] || { echo "SKIP: no writable cgroup v1 memory hierarchy at $V1"; exit 77; }

WORK=$(mktemp -d /tmp/triage-choose.XXXXXX)
SOCK=$WORK/ctl.sock
TMUX_NAME=triage-choose-$$
CG=
PIDS=()
. "$(dirname "$0")/lib.sh"

cleanup() {
        tmux -L "$TMUX_NAME" kill-server 2>/dev/null || true
        for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill -KILL "$p" 2>/dev/null || true; done
        stop_daemon
        [ -n "$CG" ] && [ -d "$CG" ] && { rmdir "$CG" 2>/dev/null || true; }
        rm -rf "$WORK"
}
trap cleanup EXIT

state() { sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null; }

# in_box CMD...: runs CMD in its own session inside the cgroup; sets PID.
in_box() {
        setsid sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG" "$@" </dev/null >>"$WORK/box.out" 2>&1 &
        PID=$!
        PIDS+=("$PID")
}

# used_kib: what the domain counts as used (usage minus reclaimable cache).
used_kib() {
        local usage cache
        usage=$(cat "$CG/memory.usage_in_bytes")
        cache=$(sed -n 's/^total_inactive_file //p' "$CG/memory.stat")
        echo $(((usage - cache) / 1024))
}

# setup CHOOSE_TIMEOUT: the daemon, the chooser, F (in use), A (the
# policy's choice) and notes.
setup() {
        CG=$V1/triage-choose-$$-$1
        mkdir "$CG"
        echo $((128 << 20)) >"$CG/memory.limit_in_bytes"
        [ -f "$CG/memory.memsw.limit_in_bytes" ] && echo $((128 << 20)) >"$CG/memory.memsw.limit_in_bytes"
        cat >"$WORK/triage.conf" <<CONF
[daemon]
mlock = no
[clients]
socket = $WORK/app.sock
bus = no
grace = 5s
choose_timeout = $2
[domains]
auto_cgroups = no
# The hog makes the pressure and must not be the victim. (A rule: lowering
# its oom_score_adj to -1000 needs CAP_SYS_RESOURCE, which this host lacks.)
[rule hog]
name = hog
protect = yes
CONF
        start_daemon -c "$WORK/triage.conf" -s "$SOCK" -d "box=/${CG#$V1/}"
        # A private tmux server (-L), its output away from the test's.
        tmux -L "$TMUX_NAME" new-session -d -s "$TMUX_NAME" -x 120 -y 30 \
                "'$TRIAGECTL' choose --app-socket '$WORK/app.sock' --once; echo exit=\$? > '$WORK/choose.rc'" \
                </dev/null >/dev/null 2>&1
        wait_log "chooser triagectl-choose \(pid [0-9]+, uid 0\) registered" || fail "the chooser did not register"
        in_box "$HOLD" -u 1000 8
        F=$PID
        in_box "$HOLD" -u 1000 -a 1000 24
        A=$PID
        mkfifo "$WORK/notes.in"
        in_box sh -c 'exec "$0" -o "$1" -n notes -b 16 -s "$3" < "$2"' "$NOTES" "$WORK/notes.txt" "$WORK/notes.in" "$WORK/app.sock"
        N=$PID
        exec 4>"$WORK/notes.in"
        echo "a line that must survive" >&4
        wait_log "client notes registered: pid $N" || fail "notes did not register"
        # Wait for the holds to be resident: their "ready" lines.
        for _ in $(seq 100); do
                [ "$(grep -c '^hold ready' "$WORK/box.out")" -ge 2 ] && break
                read -r -t 0.1 <> <(:) || true
        done
        "$TRIAGECTL" -s "$SOCK" focus "$F" >/dev/null || fail "focus $F"
}

teardown() {
        exec 4>&-
        tmux -L "$TMUX_NAME" kill-server 2>/dev/null || true
        for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill -KILL "$p" 2>/dev/null || true; done
        for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
        PIDS=()
        stop_daemon
        rmdir "$CG" 2>/dev/null || true
        CG=
        rm -f "$WORK/notes.in" "$WORK/choose.rc" "$WORK/box.out"
}

# pressure MIB RATE: a hog that triage may not kill, up to MIB (0: no end).
pressure() {
        if [ "$1" = 0 ]; then in_box "$HOG" "$2"; else in_box "$HOG" -m "$1" "$2"; fi
        HOG_PID=$PID
}

# --- pick ----------------------------------------------------------------
setup pick 60s
# Stop the hog with ~9 MiB left: below critical (12.8 MiB), above the floor (6.4).
pressure $(((128 * 1024 - 9 * 1024 - $(used_kib)) / 1024)) 20
wait_log "asked triagectl-choose \(pid [0-9]+\) to choose among" 30 || fail "pick: no choice offered"
[ "$(state "$F")" = T ] || fail "pick: the application in use (pid $F) is not frozen: state $(state "$F")"
screen=$(tmux -L "$TMUX_NAME" capture-pane -p -t "$TMUX_NAME")
grep -q "the policy's choice" <<<"$screen" || fail "pick: the chooser does not show the policy's choice: $screen"
line=$(grep -E "^ +(>| ) +[0-9]+ +notes " <<<"$screen") || fail "pick: notes not offered: $screen"
num=$(sed -E 's/^ +(>| ) +([0-9]+) .*/\2/' <<<"$line")
grep -E "^ +(>| ) +[0-9]+ " <<<"$screen" | grep -v notes | grep -q "the policy's choice" ||
        fail "pick: notes is the policy's choice; the test needs another: $screen
$("$TRIAGECTL" -s "$SOCK" --domain box why "$A" 2>&1)"
tmux -L "$TMUX_NAME" send-keys -t "$TMUX_NAME" "$num"
wait_log "the user picked notes \(pid $N\)" || fail "pick: the pick did not reach the daemon"
wait_log "kill pid=$N comm=notes .*outcome=closed-by-itself" 20 || fail "pick: notes did not close by itself"
[ "$(state "$F")" != T ] || fail "pick: pid $F still frozen after the choice"
kill -0 "$A" || fail "pick: the policy's choice (pid $A) died too"
grep -qx "a line that must survive" "$WORK/notes.txt" || fail "pick: notes did not save its text"
"$TRIAGECTL" -s "$SOCK" history --json | grep "\"pid\":$N," | grep -q '"decided_by":"person"' ||
        fail "pick: the record does not say the person decided"
for _ in $(seq 50); do [ -f "$WORK/choose.rc" ] && break; read -r -t 0.1 <> <(:) || true; done
grep -qx "exit=0" "$WORK/choose.rc" || fail "pick: triagectl choose --once did not exit 0"
pass "pick: the person's pick saved and closed; the application in use was frozen, then thawed"
teardown

# --- timeout -------------------------------------------------------------
setup timeout 3s
pressure $(((128 * 1024 - 9 * 1024 - $(used_kib)) / 1024)) 20
wait_log "asked triagectl-choose \(pid [0-9]+\) to choose among" 30 || fail "timeout: no choice offered"
[ "$(state "$F")" = T ] || fail "timeout: pid $F not frozen"
wait_log "no pick within 3000 ms: the policy decides" 10 || fail "timeout: no timeout"
wait_log "kill pid=$A comm=hold .*outcome=died" 10 || fail "timeout: the policy's choice (pid $A) was not killed"
[ "$(state "$F")" != T ] || fail "timeout: pid $F still frozen"
kill -0 "$F" || fail "timeout: the frozen application died"
kill -0 "$N" || fail "timeout: notes died"
pass "timeout: the policy's victim died at the timeout, everything thawed"
teardown

# --- floor ---------------------------------------------------------------
setup floor 60s
pressure 0 10
wait_log "asked triagectl-choose \(pid [0-9]+\) to choose among" 30 || fail "floor: no choice offered"
start=$SECONDS
wait_log "kill pid=$A comm=hold .*outcome=died" 30 || fail "floor: the policy did not act"
[ $((SECONDS - start)) -lt 60 ] || fail "floor: the policy acted only at the timeout"
grep -q "level critical -> emergency\|level .* -> emergency" "$LOG" || fail "floor: the floor was never reached"
[ "$(state "$F")" != T ] || fail "floor: pid $F still frozen"
kill -0 "$F" || fail "floor: the frozen application died"
pass "floor: memory at the floor ended the choice; the policy acted at once"
teardown
echo "choose-e2e: all passed"
