#!/usr/bin/env bash
# Choosing, end to end on this host: a real triaged watching a cgroup v1
# memory domain (128 MiB), a real `triagectl choose` in tmux or a GLib
# chooser on a private dbus-daemon, real memory pressure inside the cgroup.
# Seven cases:
#   pick:    the person picks notes (not the policy's first choice): notes
#            gets save-and-close, saves and exits; the record says "picked
#            by the person"; the application in use was frozen during the
#            choice (SIGSTOP: state T) and runs again afterwards.
#   timeout: nobody answers: the policy's first choice dies at the timeout,
#            and everything is thawed.
#   floor:   memory reaches the emergency floor during the choice: the
#            policy acts at once, long before the timeout.
#   back:    memory comes back during the choice (the hog is ended from
#            outside): the choice is cancelled, nothing is closed, and
#            everything is thawed.
#   crash:   triaged is killed (SIGKILL) during the choice: the application
#            in use stays frozen, as recorded in the state file beside the
#            control socket, and the restarted daemon thaws it.
#   bus:     the chooser is bus-chooser (tests/bus/bus-chooser.c) on D-Bus:
#            org.triage.Chooser1.Choose offers the candidates (the policy's
#            choice and the frozen application marked), it picks notes;
#            notes alone saves and closes; the record and the Killed signal
#            say the person decided; ChooseDone says "picked" and notes.
#   bus-error: a chooser that does not implement Chooser1 (its Choose gets
#            an error from the bus): the policy decides at once, it does
#            not keep the application in use frozen until the timeout.
# Skipped (77) without a writable v1 memory hierarchy or tmux; the bus
# cases are skipped without dbus-daemon or bus-chooser (built with gio),
# and the test then ends with 77 after the others passed.
# Usage: choose-e2e.sh TRIAGED TRIAGECTL HOLD HOG NOTES BUS_CHOOSER|'' SOURCE_ROOT
set -euo pipefail
TRIAGED=$1 TRIAGECTL=$2 HOLD=$3 HOG=$4 NOTES=$5 BUS_CHOOSER=$6 SRC=$7
V1=/sys/fs/cgroup/memory
command -v tmux >/dev/null || { echo "SKIP: tmux is not installed"; exit 77; }
[ -w $V1/cgroup.procs ] || { echo "SKIP: no writable cgroup v1 memory hierarchy at $V1"; exit 77; }

WORK=$(mktemp -d /tmp/triage-choose.XXXXXX)
SOCK=$WORK/ctl.sock
TMUX_NAME=triage-choose-$$
CG=
PIDS=() DAEMON_ARGS=()
CHOOSER_PID='' DBUS_PID=''
. "$SRC/tests/integration/lib.sh"
. "$SRC/tests/bus/lib-bus.sh"

BUS_SKIP=
if ! command -v dbus-daemon >/dev/null; then
        BUS_SKIP="no dbus-daemon"
elif [ -z "$BUS_CHOOSER" ] || [ ! -x "$BUS_CHOOSER" ]; then
        BUS_SKIP="no bus-chooser (gio was not found at build time)"
fi

cleanup() {
        tmux -L "$TMUX_NAME" kill-server 2>/dev/null || true
        for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill -KILL "$p" 2>/dev/null || true; done
        [ -n "$CHOOSER_PID" ] && { kill "$CHOOSER_PID" 2>/dev/null || true; }
        stop_daemon
        [ -n "$DBUS_PID" ] && { kill "$DBUS_PID" 2>/dev/null || true; }
        [ -n "$CG" ] && [ -d "$CG" ] && { rmdir "$CG" 2>/dev/null || true; }
        rm -rf "$WORK"
}
trap cleanup EXIT

state() { sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null; }

# in_box CMD...: runs CMD in its own session inside the cgroup; sets PID.
# (Without the chooser's stdin, so that it ends when the test closes it.)
in_box() {
        setsid sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG" "$@" </dev/null >>"$WORK/box.out" 2>&1 \
                7>&- 8<&- &
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

# start_bus_chooser ARGS...: bus-chooser with ARGS (its mode), its stdin on
# fd 7 and its stdout on fd 8; sets CHOOSER_PID. It registers, and becomes
# the chooser, as soon as triaged owns org.triage.Manager1.
start_bus_chooser() {
        mkfifo "$WORK/chooser.in" "$WORK/chooser.out"
        exec 7<>"$WORK/chooser.in"
        "$BUS_CHOOSER" "$@" <"$WORK/chooser.in" >"$WORK/chooser.out" 2>"$WORK/chooser.err" 3<&- 4>&- 7>&- &
        CHOOSER_PID=$!
        exec 8<"$WORK/chooser.out"
        wait_line 8 '^connected ' 10 || fail_all "bus-chooser did not connect: $(cat "$WORK/chooser.err")"
        wait_line 8 '^(chooser$|error )' 10 ||
                fail_all "bus-chooser did not become the chooser: $(cat "$WORK/chooser.err")"
        [ "$MATCHED" = chooser ] || fail_all "bus-chooser: $MATCHED"
        wait_log "chooser bus-chooser \(pid $CHOOSER_PID, uid 0\) registered" ||
                fail "the daemon did not take bus-chooser as the chooser"
}

# setup NAME CHOOSE_TIMEOUT [BUS_CHOOSER_ARGS...]: the daemon, the chooser
# (triagectl choose in tmux, or bus-chooser with these arguments), F (in
# use), A (the policy's choice) and notes.
setup() {
        local bus=no
        [ $# -gt 2 ] && bus=yes
        CG=$V1/triage-choose-$$-$1
        mkdir "$CG"
        echo $((128 << 20)) >"$CG/memory.limit_in_bytes"
        [ -f "$CG/memory.memsw.limit_in_bytes" ] && echo $((128 << 20)) >"$CG/memory.memsw.limit_in_bytes"
        cat >"$WORK/triage.conf" <<CONF
[daemon]
mlock = no
[clients]
socket = $WORK/app.sock
bus = $bus
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
        DAEMON_ARGS=(-c "$WORK/triage.conf" -s "$SOCK" -d "box=/${CG#$V1/}")
        start_daemon "${DAEMON_ARGS[@]}"
        if [ $# -gt 2 ]; then
                start_bus_chooser "${@:3}"
        else
                # A private tmux server (-L), its output away from the test's.
                # choose.rc is a fifo: its exit status is an event (chooser_exit).
                mkfifo "$WORK/choose.rc"
                tmux -L "$TMUX_NAME" new-session -d -s "$TMUX_NAME" -x 120 -y 30 \
                        "'$TRIAGECTL' choose --app-socket '$WORK/app.sock' --once; echo exit=\$? > '$WORK/choose.rc'" \
                        </dev/null >/dev/null 2>&1
                wait_log "chooser triagectl-choose \(pid [0-9]+, uid 0\) registered" ||
                        fail "the chooser did not register"
        fi
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
        if [ -n "$CHOOSER_PID" ]; then
                exec 7>&-   # end of input: bus-chooser exits
                wait "$CHOOSER_PID" || fail "bus-chooser failed: $(cat "$WORK/chooser.err")"
                CHOOSER_PID=
                exec 8<&-
                rm -f "$WORK/chooser.in" "$WORK/chooser.out"
        fi
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

# pressure_critical: a hog that stops with ~9 MiB of the box left: below
# critical (12.8 MiB), above the emergency floor (6.4 MiB).
pressure_critical() {
        pressure $(((128 * 1024 - 9 * 1024 - $(used_kib)) / 1024)) 20
}

# chooser_exit: "exit=N" from the tmux chooser (--once) when it has ended,
# in CHOOSER_EXIT (empty if it has not within 10 s). The fifo's write end
# waits for this reader.
chooser_exit() {
        CHOOSER_EXIT=
        IFS= read -r -t 10 CHOOSER_EXIT <>"$WORK/choose.rc" || true
}

# --- pick ----------------------------------------------------------------
setup pick 60s
pressure_critical
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
chooser_exit
[ "$CHOOSER_EXIT" = exit=0 ] || fail "pick: triagectl choose --once did not exit 0 (${CHOOSER_EXIT:-still running})"
pass "pick: the person's pick saved and closed; the application in use was frozen, then thawed"
teardown

# --- timeout -------------------------------------------------------------
setup timeout 3s
pressure_critical
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

# --- back ----------------------------------------------------------------
setup back 60s
pressure_critical
wait_log "asked triagectl-choose \(pid [0-9]+\) to choose among" 30 || fail "back: no choice offered"
[ "$(state "$F")" = T ] || fail "back: pid $F not frozen"
# Memory comes back without triage: the hog is ended from outside.
kill -KILL "$HOG_PID"
wait_log "memory came back \([a-z]+\) during the choice: nothing is closed" 30 ||
        fail "back: the choice was not cancelled when memory came back"
[ "$(state "$F")" != T ] || fail "back: pid $F still frozen"
for p in "$F" "$A" "$N"; do kill -0 "$p" || fail "back: pid $p died, though nothing was to be closed"; done
! grep -qE '(^| )kill pid=' "$LOG" || fail "back: something was killed: $(grep 'kill pid=' "$LOG")"
# 2: the choice ended without an answer (triagectl(1)).
chooser_exit
[ "$CHOOSER_EXIT" = exit=2 ] ||
        fail "back: triagectl choose --once did not end with the choice (exit 2): ${CHOOSER_EXIT:-still running}"
pass "back: memory came back during the choice: cancelled, nothing closed, everything thawed"
teardown

# --- crash ---------------------------------------------------------------
setup crash 60s
pressure_critical
wait_log "asked triagectl-choose \(pid [0-9]+\) to choose among" 30 || fail "crash: no choice offered"
[ "$(state "$F")" = T ] || fail "crash: pid $F not frozen"
kill -KILL "$DAEMON_PID"
while IFS= read -r -t 10 _ <&3; do :; done # until the log's end: the daemon is gone
DAEMON_PID=
[ "$(state "$F")" = T ] || fail "crash: pid $F was thawed by something else than the daemon"
grep -q "$F" "$WORK/frozen" || fail "crash: $WORK/frozen does not record pid $F: $(cat "$WORK/frozen" 2>&1)"
start_daemon "${DAEMON_ARGS[@]}"
grep -qE "thawed 1 activity that a previous triaged left frozen \(0 gone, 0 failed, 0 bad lines in $WORK/frozen\)" \
        "$LOG" || fail "crash: the restarted daemon did not thaw what was recorded"
[ "$(state "$F")" != T ] || fail "crash: pid $F still frozen after the restart"
pass "crash: SIGKILL during the choice left the application in use frozen; the restarted daemon thawed it"
teardown

if [ -n "$BUS_SKIP" ]; then
        echo "SKIP: the bus cases: $BUS_SKIP (the other cases passed)"
        exit 77
fi
start_test_bus "$SRC" || fail "dbus-daemon did not start"

# --- bus -------------------------------------------------------------------
# bus-chooser picks notes, but only when told (--wait), as a person takes
# their time: the frozen application is looked at meanwhile.
setup bus 60s --wait "$SRC/data/org.triage.Manager1.xml" pick notes
pressure_critical
wait_line 8 '^choose ' 30 || fail_all "bus: no Choose call"
read -r _ serial deadline n candidates <<<"$MATCHED"
wait_log "asked bus-chooser \(pid $CHOOSER_PID\) to choose among $n candidates within 60000 ms" ||
        fail_all "bus: the daemon does not say it asked bus-chooser ($MATCHED)"
[ "$deadline" = 60000 ] || fail_all "bus: deadline $deadline ms, choose_timeout is 60 s"
[ "$(state "$F")" = T ] || fail_all "bus: the application in use (pid $F) is not frozen: state $(state "$F")"
# LEADER:UID:MEMORY_KIB:IDLE_SEC:FLAGS:NAME
grep -qE "(^| )$N:0:[0-9]+:[0-9]+:[s-]*:notes( |$)" <<<"$candidates" ||
        fail_all "bus: notes (pid $N) is not offered, or is the policy's choice: $candidates"
grep -qE "(^| )$A:1000:[0-9]+:[0-9]+:[s]*r[s]*:hold( |$)" <<<"$candidates" ||
        fail_all "bus: A (pid $A) is not offered as the policy's choice: $candidates"
grep -qE "(^| )$F:1000:[0-9]+:[0-9]+:[sr]*f:hold( |$)" <<<"$candidates" ||
        fail_all "bus: F (pid $F) is not offered as frozen: $candidates"
[ "$(wc -w <<<"$candidates")" = "$n" ] || fail_all "bus: $n candidates announced: $candidates"
pass "bus: Choose($serial, 60000, $n candidates) over D-Bus: A recommended, F frozen (state T), notes offered"
echo answer >&7
wait_line 8 "^answer $serial " 10 || fail_all "bus: bus-chooser did not answer"
[ "$MATCHED" = "answer $serial $N" ] || fail_all "bus: bus-chooser answered '$MATCHED', not notes (pid $N)"
wait_log "the user picked notes \(pid $N\)" || fail_all "bus: the pick did not reach the daemon"
wait_line 8 "^choose-done $serial " 10 || fail_all "bus: no ChooseDone"
[ "$MATCHED" = "choose-done $serial picked $N" ] || fail_all "bus: $MATCHED, not 'picked $N'"
wait_log "kill pid=$N comm=notes .*outcome=closed-by-itself" 20 || fail_all "bus: notes did not close by itself"
[ "$(state "$F")" != T ] || fail_all "bus: pid $F still frozen after the choice"
kill -0 "$A" || fail_all "bus: the policy's choice (pid $A) died too"
[ "$(grep -cE '(^| )kill pid=' "$LOG")" = 1 ] || fail_all "bus: not exactly one kill: $(grep 'kill pid=' "$LOG")"
grep -qx "a line that must survive" "$WORK/notes.txt" || fail_all "bus: notes did not save its text"
"$TRIAGECTL" -s "$SOCK" history --json | grep "\"pid\":$N," | grep -q '"decided_by":"person"' ||
        fail_all "bus: the record does not say the person decided"
wait_line 8 "^killed $N " 10 || fail_all "bus: no Killed signal for notes"
# killed PID ACTIVITY DECIDED_BY OUTCOME SAVED FREED_KIB COMM DOMAIN EXPLANATION
read -r _ _ activity decided_by outcome saved freed comm domain explanation <<<"$MATCHED"
[ "$activity $decided_by $outcome $comm $domain" = "notes person closed-by-itself notes box" ] ||
        fail_all "bus: Killed: $MATCHED"
[[ $explanation == rss\ * ]] || fail_all "bus: Killed without the explanation: $MATCHED"
pass "bus: notes, picked over D-Bus, alone saved and closed; ChooseDone picked $N;" \
        "Killed: decided by the person (saved=$saved, $freed KiB)"
teardown

# --- bus-error -------------------------------------------------------------
# A chooser that never exported org.triage.Chooser1: the bus answers Choose
# with UnknownMethod, and the policy decides then, not at the 60 s timeout.
setup bus-error 60s "$SRC/data/org.triage.Manager1.xml" unexported
pressure_critical
wait_log "asked bus-chooser \(pid $CHOOSER_PID\) to choose among" 30 || fail "bus-error: no choice offered"
start=$SECONDS
wait_log "bus: chooser .* answered Choose with an error, org.freedesktop.DBus.Error.UnknownMethod" 10 ||
        fail "bus-error: the error answer was not taken as the policy's turn"
wait_log "kill pid=$A comm=hold .*outcome=died" 20 || fail "bus-error: the policy's choice (pid $A) was not killed"
[ $((SECONDS - start)) -lt 30 ] || fail "bus-error: the policy acted only after $((SECONDS - start)) s"
[ "$(state "$F")" != T ] || fail "bus-error: pid $F still frozen"
kill -0 "$F" || fail "bus-error: the frozen application died"
kill -0 "$N" || fail "bus-error: notes died"
pass "bus-error: Choose answered with UnknownMethod: the policy decided at once, everything thawed"
teardown
echo "choose-e2e: all passed"
