#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Focus from X: triaged follows the root window's _NET_ACTIVE_WINDOW on a
# real Xvfb. focus-client is an application with one window (its
# _NET_WM_PID set) that also plays the window manager: told "activate", it
# sets _NET_ACTIVE_WINDOW to its window. Checked with `triagectl --json why`:
#  - A, then B activated: B has the focus (tier foreground, last use from a
#    focus report); A no longer has it, and its last use is that report;
#  - C sets no _NET_WM_PID: its PID comes from X-Resource;
#  - D's _NET_WM_PID says it is A: X-Resource (the kernel's PID, through
#    the server) wins, D gets the focus, not A;
#  - on an Xvfb without X-Resource, _NET_WM_PID alone: E (no
#    WM_CLIENT_MACHINE) and F (WM_CLIENT_MACHINE this host) get the focus;
#    G, whose WM_CLIENT_MACHINE is another host, is not taken for the local
#    process its _NET_WM_PID names.
# The daemon runs with --dry-run and on the real /proc.
# Skips (77) when Xvfb is not installed, when the build has no xcb-res, or
# when the test's processes all sit in one systemd unit (a .scope or
# .service: then they are one activity and focus cannot tell them apart).
# Usage: focus.sh FOCUS_CLIENT TRIAGED TRIAGECTL
#        focus.sh --no-xcb-res
set -euo pipefail

if [ "${1:-}" = --no-xcb-res ]; then
        echo "SKIP: built without xcb and xcb-res (apt-get install libxcb1-dev libxcb-res0-dev)"
        exit 77
fi
# shellcheck disable=SC2034 # TRIAGED is for lib.sh
CLIENT=$1 TRIAGED=$2 TRIAGECTL=$3
if ! command -v Xvfb >/dev/null; then
        echo "SKIP: Xvfb is not installed (apt-get install xvfb)"
        exit 77
fi

WORK=$(mktemp -d /tmp/triage-focus.XXXXXX)
SOCK=$WORK/ctl.sock
# shellcheck source=../integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"

XVFB_PID='' DAEMON_PID=''
CLIENT_PIDS=()
stop_xvfb() {
        [ -n "$XVFB_PID" ] || return 0
        kill -TERM "$XVFB_PID" 2>/dev/null || true
        wait "$XVFB_PID" 2>/dev/null || true
        XVFB_PID=
}
cleanup() {
        [ -n "$DAEMON_PID" ] && stop_daemon
        for p in "${CLIENT_PIDS[@]}"; do
                kill "$p" 2>/dev/null || true
        done
        stop_xvfb
        rm -rf "$WORK"
}
trap cleanup EXIT

# start_xvfb [ARGS]: a server on a free display (-displayfd: Xvfb picks the
# number and writes it once it accepts connections).
start_xvfb() {
        rm -f "$WORK/displayfd"
        mkfifo "$WORK/displayfd"
        Xvfb -displayfd 5 -nolisten tcp -screen 0 640x480x24 "$@" 5>"$WORK/displayfd" 2>"$WORK/xvfb.log" &
        XVFB_PID=$!
        read -r -t 30 display_num <"$WORK/displayfd" || fail "Xvfb did not start: $(cat "$WORK/xvfb.log")"
        export DISPLAY=":$display_num"
}

# start_client NAME [ARGS]: a focus-client in a session (so a process
# group) of its own, so that it is an activity of its own. Sets NAME to
# its PID; "activate NAME" then gives it the focus.
start_client() {
        local name=$1 line
        shift
        mkfifo "$WORK/$name.in" "$WORK/$name.out"
        # Read-write: the open does not wait for the reader.
        exec {fd}<>"$WORK/$name.in"
        eval "IN_$name=$fd"
        setsid "$CLIENT" "$@" <"$WORK/$name.in" >"$WORK/$name.out" 2>"$WORK/$name.err" &
        CLIENT_PIDS+=($!)
        exec {fd}<"$WORK/$name.out"
        eval "OUT_$name=$fd"
        read -r -t 30 -u "$fd" line || fail "focus-client $name printed nothing: $(cat "$WORK/$name.err")"
        [[ $line =~ ^pid\ ([0-9]+)\ window\ 0x[0-9a-f]+$ ]] || fail "focus-client $name: '$line'"
        # setsid forks only for a group leader, which a background job of a
        # script is not; kill whichever PID it has.
        CLIENT_PIDS+=("${BASH_REMATCH[1]}")
        eval "$name=${BASH_REMATCH[1]}"
}

# activate NAME: focus-client NAME sets _NET_ACTIVE_WINDOW and answers
# once the server has processed it; then waits for the daemon to take the
# report. The daemon reads the PropertyNotify in its own loop: with -v it
# logs "focus: pid N (comm)" when it has recorded the report, and that
# line (read as it is written, see lib.sh) is what we wait on, not a timer.
activate() {
        local in out line pid=${!1}
        eval "in=\$IN_$1 out=\$OUT_$1"
        echo activate >&"$in"
        read -r -t 30 -u "$out" line || fail "focus-client $1 did not answer"
        [ "$line" = activated ] || fail "focus-client $1: '$line'"
        wait_log "focus: pid $pid \\(" 10 || fail "the daemon took no focus report for $1 (pid $pid)"
}

why() {
        WHY=$("$TRIAGECTL" -s "$SOCK" --json why "$1") || fail "triagectl why $1"
}

# has PID PATTERN...: each pattern is in `triagectl --json why PID`.
has() {
        local pid=$1 p
        shift
        why "$pid"
        for p in "$@"; do
                grep -qF -- "$p" <<<"$WHY" || fail "why $pid has no $p: $WHY"
        done
}

cat >"$WORK/triage.conf" <<CONF
[daemon]
dry_run = yes
[clients]
socket = $WORK/app.sock
bus = no
[domains]
auto_cgroups = no
CONF

# --- with X-Resource -----------------------------------------------------------
start_xvfb
pass "Xvfb pid $XVFB_PID on $DISPLAY"
start_client A
start_client B
start_client C --no-wm-pid
start_client D --wm-pid="$A"
start_daemon -c "$WORK/triage.conf" -s "$SOCK" --no-mlock -v
grep -q "X display $DISPLAY: following _NET_ACTIVE_WINDOW for focus (PIDs from X-Resource" "$LOG" ||
        fail "triaged does not follow _NET_ACTIVE_WINDOW with X-Resource"
pass "triaged follows _NET_ACTIVE_WINDOW on $DISPLAY"

why "$A"
id_a=$(sed -n 's/.*"activity":{[^}]*"id":"\([^"]*\)".*/\1/p' <<<"$WHY")
why "$B"
id_b=$(sed -n 's/.*"activity":{[^}]*"id":"\([^"]*\)".*/\1/p' <<<"$WHY")
[ -n "$id_a" ] || fail "no activity for A: $WHY"
if [ "$id_a" = "$id_b" ]; then
        echo "SKIP: the focus clients are one activity ($id_a): run the test outside a systemd scope or service"
        exit 77
fi

activate A
has "$A" '"focused":true' '"tier":"foreground"' '"last_use":"focus"'
activate B
has "$B" '"focused":true' '"tier":"foreground"' '"last_use":"focus"'
has "$A" '"focused":false' '"last_use":"focus"'
pass "A then B activated: B is focused (foreground, last use from focus), A is not but was used by focus"

activate C
has "$C" '"focused":true' '"tier":"foreground"' '"last_use":"focus"'
has "$B" '"focused":false'
pass "C without _NET_WM_PID: its PID from X-Resource"

activate D
has "$D" '"focused":true' '"tier":"foreground"'
has "$A" '"focused":false'
pass "D claiming A's PID in _NET_WM_PID: X-Resource's PID wins"

stop_daemon
for p in "${CLIENT_PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
done
CLIENT_PIDS=()
stop_xvfb

# --- without X-Resource: _NET_WM_PID -----------------------------------------------
start_xvfb -extension X-Resource
start_client E
start_client F --client-machine="$(uname -n)"
start_client G --client-machine=elsewhere.invalid
start_daemon -c "$WORK/triage.conf" -s "$SOCK" --no-mlock -v
grep -q "X display $DISPLAY: following _NET_ACTIVE_WINDOW for focus (PIDs from _NET_WM_PID)" "$LOG" ||
        fail "triaged does not follow _NET_ACTIVE_WINDOW without X-Resource"
activate E
has "$E" '"focused":true' '"tier":"foreground"' '"last_use":"focus"'
pass "without X-Resource, E's PID from _NET_WM_PID"

# G's look-up ends in this log line (the only one, and lookups are done in
# order), so waiting for it is not waiting for nothing.
echo activate >&"$IN_G"
read -r -t 30 -u "$OUT_G" line && [ "$line" = activated ] || fail "focus-client G did not activate"
wait_log "X focus: the focused window has no process here" 10 || fail "no look-up of G's window"
grep -q "focus: pid $G (" "$LOG" && fail "G's _NET_WM_PID taken though WM_CLIENT_MACHINE is another host"
has "$G" '"focused":false'
activate F
has "$F" '"focused":true' '"tier":"foreground"'
has "$E" '"focused":false' '"last_use":"focus"'
pass "_NET_WM_PID taken with WM_CLIENT_MACHINE $(uname -n), not with another host's"
echo "focus: all passed"
