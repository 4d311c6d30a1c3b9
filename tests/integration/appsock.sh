#!/usr/bin/env bash
# triaged's application socket on the host: the notes example registers
# through libtriage; hostile clients (garbage, wrong sizes, wrong order, a
# second REGISTER, forged serials, floods, 300 connections, a client that
# never reads) are each refused or cut off while the well-behaved clients
# stay registered; running out of fds pauses accepting; a client that goes
# away is unregistered; SIGTERM removes the socket.
# Usage: appsock.sh TRIAGED TRIAGECTL NOTES APP_ABUSE
set -euo pipefail
TRIAGED=$1 TRIAGECTL=$2 NOTES=$3 ABUSE=$4
WORK=$(mktemp -d /tmp/triage-it.XXXXXX)
chmod 755 "$WORK"   # other uids connect to the socket in it
SOCK=$WORK/control.sock
APPSOCK=$WORK/app.sock
NOTES_PID=
. "$(dirname "$0")/lib.sh"

cleanup() {
        [ -n "$NOTES_PID" ] && kill -KILL "$NOTES_PID" 2>/dev/null
        exec 4>&- 5>&- 2>/dev/null || true
        stop_daemon
        rm -rf "$WORK"
}
trap cleanup EXIT

cat > "$WORK/triage.conf" <<CONF
[daemon]
dry_run = yes
[domains]
auto_cgroups = no
[clients]
socket = $APPSOCK
CONF
start_daemon -c "$WORK/triage.conf" -s "$SOCK" --no-mlock -v
[ -S "$APPSOCK" ] || fail "no application socket at $APPSOCK"
[ "$(stat -c %a "$APPSOCK")" = 666 ] || fail "the application socket is not mode 0666"
pass "application socket listening, mode 0666"

# The example registers, and holds its notes (stdin stays open on fd 4).
mkfifo "$WORK/notes.in"
"$NOTES" -s "$APPSOCK" -o "$WORK/notes.txt" -n notes < "$WORK/notes.in" 2> "$WORK/notes.err" &
NOTES_PID=$!
exec 4> "$WORK/notes.in"
echo "a note" >&4
wait_log "client notes registered: pid $NOTES_PID, uid $(id -u), over socket" ||
        fail "notes did not register"
grep -q '^notes: registered$' "$WORK/notes.err" || fail "notes did not say it registered"
pass "notes registers through libtriage"

"$ABUSE" "$APPSOCK" || fail "hostile application clients"
kill -0 "$DAEMON_PID" || fail "daemon died"
"$TRIAGECTL" -s "$SOCK" status > /dev/null || fail "daemon stopped answering after the abuse"
kill -0 "$NOTES_PID" || fail "notes died"
! grep -q "client notes (pid $NOTES_PID) unregistered" "$LOG" || fail "notes was unregistered by the abuse"
grep -q 'app socket: pid [0-9]* (uid [0-9]*): over the message rate limit, disconnected' "$LOG" ||
        fail "the flood is not in the debug log"
pass "hostile clients refused; notes still registered"

# Out of fds: lower the daemon's soft limit to what it uses plus a few
# (lowering needs no privilege), so that 20 connections exhaust it.
if command -v prlimit > /dev/null; then
        nofile=$(prlimit --pid "$DAEMON_PID" --nofile --noheadings --output SOFT)
        used=$(ls /proc/"$DAEMON_PID"/fd | wc -l)
        prlimit --pid "$DAEMON_PID" --nofile=$((used + 4)):
        mkfifo "$WORK/emfile.go"
        "$ABUSE" "$APPSOCK" --emfile < "$WORK/emfile.go" > "$WORK/emfile.out" &
        EMFILE_PID=$!
        exec 5> "$WORK/emfile.go"
        wait_log 'app socket: cannot accept, pausing for a second' || fail "no pause when out of fds"
        prlimit --pid "$DAEMON_PID" --nofile="$nofile":
        exec 5>&-
        wait "$EMFILE_PID" || { cat "$WORK/emfile.out"; fail "no registration after running out of fds"; }
        pauses=$(grep -c 'app socket: cannot accept, pausing' "$LOG")
        [ "$pauses" -le 10 ] || fail "$pauses pauses: accepting spins when out of fds"
        kill -0 "$DAEMON_PID" || fail "daemon died out of fds"
        pass "out of fds: accepting paused ($pauses time(s)), then resumed"
else
        echo "skip: out of fds (no prlimit)"
fi

# triagectl choose registers as a chooser (line mode: stdin is not a
# terminal), counts notes as the one application, is shown by status, and
# SIGTERM ends it cleanly (exit 0 without --once) and unregisters it.
"$TRIAGECTL" choose --app-socket "$APPSOCK" < /dev/null > "$WORK/choose.out" 2>&1 &
CHOOSE_PID=$!
wait_log "chooser triagectl-choose \\(pid $CHOOSE_PID, uid $(id -u)\\) registered" ||
        fail "triagectl choose did not register as a chooser"
for _ in $(seq 50); do
        grep -q 'waiting for memory pressure' "$WORK/choose.out" && break
        sleep 0.1
done
grep -qx 'waiting for memory pressure (1 registered application)' "$WORK/choose.out" ||
        fail "triagectl choose: $(cat "$WORK/choose.out")"
"$TRIAGECTL" -s "$SOCK" status > "$WORK/status.out"
grep -q '^chooser: *triagectl-choose' "$WORK/status.out" || fail "status does not show the chooser"
kill -TERM "$CHOOSE_PID"
rc=0
wait "$CHOOSE_PID" || rc=$?
[ "$rc" = 0 ] || fail "triagectl choose exited with $rc on SIGTERM"
wait_log "client triagectl-choose \\(pid $CHOOSE_PID\\) unregistered" || fail "the chooser was not unregistered"
pass "triagectl choose registers as a chooser, is shown by status, leaves on SIGTERM"

# A client that goes away is unregistered.
kill -TERM "$NOTES_PID"
wait "$NOTES_PID" 2>/dev/null || true
NOTES_PID=
wait_log "client notes \\([^)]*\\) unregistered" || fail "notes not unregistered when it exited"
pass "a client that exits is unregistered"

stop_daemon
[ ! -e "$APPSOCK" ] || fail "application socket left behind after SIGTERM"
pass "SIGTERM: application socket removed"
echo "appsock: all passed"
