#!/usr/bin/env bash
# triaged on a real dbus-daemon (a private bus with the system bus's default
# policy and triage's policy file), driven through low, medium and critical
# by rewriting the meminfo of a fixture /proc:
#  - a GLib GMemoryMonitor application hears LowMemoryWarning 50, 100, 255
#    in that order, and a level is not sent again within 15 s;
#  - a GLib application registers over org.triage.Manager1, gets SaveState
#    at medium and its answer reaches the daemon; it cannot register twice;
#    Unregister and leaving the bus end the registration;
#  - an application that hangs on SaveState does not hold anything up, and
#    a bad name is refused;
#  - LevelChanged follows the levels; the JSON views answer;
#  - ReportFocus makes bus-app the focused (foreground) activity; another
#    user may report the focus of its own process, not of root's;
#  - RegisterChooser: only for a registered connection, twice is harmless;
#  - the policy: another user may call the manager but not own its names
#    nor call an application's org.triage.Client1 or org.triage.Chooser1.
# --dry-run: fixture PIDs are real PIDs, and nothing is ever signalled.
# Usage: bus.sh TRIAGED TRIAGECTL GMM_CLIENT BUS_APP SOURCE_ROOT
set -euo pipefail
TRIAGED=$1 TRIAGECTL=$2 GMM=$3 APP=$4 SRC=$5

command -v dbus-daemon > /dev/null || { echo "SKIP: no dbus-daemon"; exit 77; }
command -v gdbus > /dev/null || { echo "SKIP: no gdbus"; exit 77; }
# The policy under test lets only root own the names.
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (the bus policy lets only root own the names)"; exit 77; }

WORK=$(mktemp -d /tmp/triage-bus.XXXXXX)
chmod 755 "$WORK"   # another user connects to the bus socket in there
SOCK=$WORK/control.sock
. "$SRC/tests/integration/lib.sh"
. "$SRC/tests/bus/lib-bus.sh"

DBUS_PID='' GMM_PID='' APP_PID='' MUTE_PID='' NOBODY_PID=''
cleanup() {
        exec 5>&- 7>&- 9>&-
        stop_daemon || true
        for p in $GMM_PID $APP_PID $MUTE_PID $NOBODY_PID $DBUS_PID; do
                kill "$p" 2>/dev/null || true
        done
        rm -rf "$WORK"
}
trap cleanup EXIT

# --- the bus -------------------------------------------------------------------
start_test_bus "$SRC" || fail "dbus-daemon did not start"
pass "dbus-daemon on $DBUS_SYSTEM_BUS_ADDRESS"

# --- the fixture /proc: only meminfo, and the registered app's files -------------
mkdir -p "$WORK/proc" "$WORK/sys"
# 1 GiB, no swap: low <= 20% (209715 KiB), medium <= 15% (157286),
# critical <= 10% (104857), emergency <= 5% (52428). Written in place with
# the same length, so the daemon's open fd always reads a whole file.
set_available() {
        printf 'MemTotal:        1048576 kB\nMemFree:      %9d kB\nMemAvailable: %9d kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n' \
                "$1" "$1" 1<> "$WORK/proc/meminfo"
}
: > "$WORK/proc/meminfo"
set_available 800000

cat > "$WORK/triage.conf" <<CONF
[daemon]
dry_run = yes
[monitor]
poll_min = 20ms
poll_max = 100ms
[clients]
socket = $WORK/app.sock
[charges]
trusted = root
[domains]
auto_cgroups = no
CONF

# --- the daemon -----------------------------------------------------------------
start_daemon -c "$WORK/triage.conf" -s "$SOCK" --no-mlock --dry-run --proc-root="$WORK/proc" \
        --sys-root="$WORK/sys"
# Manager1 is asked for first; the bus answers in order.
wait_log 'bus: owning org.freedesktop.LowMemoryMonitor' 10 || fail "LowMemoryMonitor not owned"
grep -q 'bus: owning org.triage.Manager1' "$LOG" || fail "org.triage.Manager1 not owned"
pass "triaged owns org.triage.Manager1 and org.freedesktop.LowMemoryMonitor"

# --- the registered application (its /proc files go into the fixture before
# it registers) --------------------------------------------------------------------
# Its stdin and stdout are FIFOs: we write commands on fd 5, read it on fd 6.
# (Children must not inherit fd 5, or its input never ends.)
mkfifo "$WORK/app.in" "$WORK/app.out" "$WORK/gmm.in" "$WORK/gmm.out" "$WORK/mute.in" "$WORK/mute.out"
exec 5<> "$WORK/app.in"
"$APP" "$SRC/data/org.triage.Manager1.xml" bus-app bus-app:state-1 < "$WORK/app.in" > "$WORK/app.out" \
        2> "$WORK/app.err" 5>&- &
APP_PID=$!
exec 6< "$WORK/app.out"
wait_line 6 '^connected ' 10 || fail_all "bus-app did not connect: $(cat "$WORK/app.err")"
read -r _ APP_NAME app_pid <<< "$MATCHED"
[ "$app_pid" = "$APP_PID" ] || fail "bus-app says pid $app_pid, started as $APP_PID"
copy_proc() {
        mkdir "$WORK/proc/$1"
        for f in stat status cmdline oom_score_adj oom_score cgroup; do
                cat "/proc/$1/$f" > "$WORK/proc/$1/$f"
        done
}
copy_proc "$APP_PID"

# A second one that takes the daemon's calls and never answers (fds 9, 10).
exec 9<> "$WORK/mute.in"
"$APP" "$SRC/data/org.triage.Manager1.xml" mute mute:never "silent" < "$WORK/mute.in" > "$WORK/mute.out" \
        2> "$WORK/mute.err" 5>&- 6<&- 9>&- &
MUTE_PID=$!
exec 10< "$WORK/mute.out"
wait_line 10 '^connected ' 10 || fail_all "the silent bus-app did not connect: $(cat "$WORK/mute.err")"
copy_proc "$MUTE_PID"

# --- the GLib GMemoryMonitor application ----------------------------------------
exec 7<> "$WORK/gmm.in"
GIO_USE_MEMORY_MONITOR=dbus "$GMM" < "$WORK/gmm.in" > "$WORK/gmm.out" 2> "$WORK/gmm.err" 5>&- 6<&- 7>&- 9>&- 10<&- &
GMM_PID=$!
exec 8< "$WORK/gmm.out"
next_line 8 10 || fail_all "gmm-client said nothing: $(cat "$WORK/gmm.err")"
[ "$LINE" = ready ] || fail_all "gmm-client: '$LINE' instead of 'ready'"
grep -q 'monitor GMemoryMonitorD[Bb]us' "$WORK/gmm.err" || fail "gmm-client: not GLib's D-Bus monitor"
pass "GLib's GMemoryMonitorDBus listens"

# --- registration -----------------------------------------------------------------
echo register >&5
wait_line 6 '^(registered|error) ' 10 || fail_all "no answer to Register"
[[ $MATCHED == registered\ * ]] || fail_all "Register: $MATCHED"
CLIENT_ID=${MATCHED#registered }
wait_log "client bus-app registered: pid $APP_PID, uid $(id -u), over D-Bus" 10 ||
        fail "the daemon did not log the registration"
echo register >&5
wait_line 6 '^(registered|error) ' 10 || fail_all "no answer to the second Register"
[ "$MATCHED" = "error org.triage.Manager1.Error.AlreadyRegistered" ] || fail_all "second Register: $MATCHED"
pass "Register (client $CLIENT_ID, pid and uid from the bus), once only"

printf 'register-as bad\001name\n' >&9
wait_line 10 '^(registered|error) ' 10 || fail_all "no answer to Register with a bad name"
[ "$MATCHED" = "error org.freedesktop.DBus.Error.InvalidArgs" ] || fail_all "Register with a bad name: $MATCHED"
echo register >&9
wait_line 10 '^(registered|error) ' 10 || fail_all "no answer to the silent app's Register"
[[ $MATCHED == registered\ * ]] || fail_all "silent app's Register: $MATCHED"
pass "a name with a control byte is refused; a second application registers"

# --- low, medium, critical --------------------------------------------------------
set_available 180000
next_line 8 || fail_all "gmm-client heard nothing at low"
[ "$LINE" = 50 ] || fail_all "gmm-client at low: '$LINE', expected 50"
LOW_SENT=$(date +%s)
wait_line 6 '^level-changed ' || fail_all "no LevelChanged at low"
[ "$MATCHED" = "level-changed system low 50" ] || fail_all "LevelChanged at low: $MATCHED"

set_available 130000
next_line 8 || fail_all "gmm-client heard nothing at medium"
[ "$LINE" = 100 ] || fail_all "gmm-client at medium: '$LINE', expected 100"
wait_line 6 '^level-changed ' || fail_all "no LevelChanged at medium"
[ "$MATCHED" = "level-changed system medium 100" ] || fail_all "LevelChanged at medium: $MATCHED"
wait_line 6 '^save-state ' 10 || fail_all "bus-app was not asked to save at medium"
[ "$MATCHED" = "save-state 5000" ] || fail_all "SaveState deadline: $MATCHED (save_timeout is 5 s)"
# The silent one holds its call for 5 s; nothing waits for it: the other
# answer is taken and the daemon answers calls meanwhile.
wait_line 10 '^save-state ' 10 || fail_all "the silent app was not asked to save at medium"
[ "$MATCHED" = "save-state 5000 (not answered)" ] || fail_all "silent app: $MATCHED"
t0=$(date +%s%N)
wait_log "client bus-app \\(pid $APP_PID\\) saved its state to bus-app:state-1" 10 ||
        fail "the daemon did not take bus-app's 'saved' answer"
gdbus call --system --dest org.triage.Manager1 --object-path /org/triage/Manager1 \
        --method org.triage.Manager1.GetStatus > /dev/null || fail "GetStatus while an app hangs"
elapsed_msec=$((($(date +%s%N) - t0) / 1000000))
[ "$elapsed_msec" -lt 4000 ] || fail "${elapsed_msec} ms for an answer while an app hangs on SaveState"
! grep -q 'client mute .*saved' "$LOG" || fail "the silent app is said to have saved"
pass "medium: SaveState(5000) answered saved=true, 'bus-app:state-1' reached the daemon; a hung app held nothing up"

set_available 80000
next_line 8 || fail_all "gmm-client heard nothing at critical"
[ "$LINE" = 255 ] || fail_all "gmm-client at critical: '$LINE', expected 255"
wait_line 6 '^level-changed ' || fail_all "no LevelChanged at critical"
[ "$MATCHED" = "level-changed system critical 255" ] || fail_all "LevelChanged at critical: $MATCHED"
pass "GMemoryMonitor heard 50, 100, 255; LevelChanged low, medium, critical"

# --- the same level again within 15 s is not sent again ---------------------------
set_available 800000
wait_line 6 '^level-changed system normal 0$' || fail_all "no LevelChanged back to normal"
set_available 180000
wait_line 6 '^level-changed system low 50$' || fail_all "no LevelChanged at low again"
# Everything triaged sent the GLib client before the ping's reply is read
# before "pong".
echo ping >&7
next_line 8 || fail_all "gmm-client: no pong"
if [ $(($(date +%s) - LOW_SENT)) -lt 14 ]; then
        [ "$LINE" = pong ] || fail_all "gmm-client: '$LINE' before pong: low sent again within 15 s"
        pass "low again within 15 s: no second LowMemoryWarning(50)"
else
        echo "note: more than 14 s since the first warning; the resend check is skipped"
fi
set_available 800000
wait_line 6 '^level-changed system normal 0$' || fail_all "no LevelChanged back to normal"

# --- the introspection file says what the daemon exports --------------------------
echo check-introspection >&5
wait_line 6 '^introspection-' 10 || fail_all "no introspection check"
[ "$MATCHED" = introspection-ok ] || fail_all "data/org.triage.Manager1.xml and the daemon differ: $MATCHED"
pass "data/org.triage.Manager1.xml matches the daemon's org.triage.Manager1"

# --- the JSON views -----------------------------------------------------------------
call() { gdbus call --system --dest org.triage.Manager1 --object-path /org/triage/Manager1 \
        --method "org.triage.Manager1.$1" "${@:2}" 2>&1; }
out=$(call GetStatus) || fail "GetStatus: $out"
grep -q '"dry_run":true' <<< "$out" || fail "GetStatus: $out"
out=$(call GetCandidates "''") || fail "GetCandidates: $out"
# Candidates are activities: a registered app is one of its own.
grep -q "\"name\":\"bus-app\",\"id\":\"client:[0-9]*\",\"kind\":\"client\".*\"leader\":$APP_PID," <<< "$out" ||
        fail "GetCandidates does not list bus-app: $out"
out=$(call Explain "$APP_PID") || fail "Explain: $out"
grep -q "\"pid\":$APP_PID" <<< "$out" || fail "Explain $APP_PID: $out"
out=$(call GetHistory) || fail "GetHistory: $out"
out=$(call GetCandidates nosuch) && fail "GetCandidates of a missing domain succeeded"
grep -q 'org.triage.Manager1.Error.NoSuchDomain' <<< "$out" || fail "GetCandidates nosuch: $out"
out=$(call Explain 999999999) && fail "Explain of a missing pid succeeded"
grep -q 'org.triage.Manager1.Error.NoSuchProcess' <<< "$out" || fail "Explain 999999999: $out"
out=$(call Unregister) && fail "Unregister of a connection never registered succeeded"
grep -q 'org.triage.Manager1.Error.NotRegistered' <<< "$out" || fail "Unregister: $out"
out=$(call RegisterChooser) && fail "RegisterChooser of a connection never registered succeeded"
grep -q 'org.triage.Manager1.Error.NotRegistered' <<< "$out" || fail "RegisterChooser: $out"
pass "GetStatus, GetCandidates, Explain, GetHistory; errors by name"

# --- RegisterChooser: a registered connection, twice is harmless -------------------
echo register-chooser >&5
wait_line 6 '^(chooser|error)' 10 || fail_all "no answer to RegisterChooser"
[ "$MATCHED" = chooser ] || fail_all "RegisterChooser: $MATCHED"
wait_log "chooser bus-app \\(pid $APP_PID, uid $(id -u)\\) registered" 10 ||
        fail "the daemon did not make bus-app the chooser"
echo register-chooser >&5
wait_line 6 '^(chooser|error)' 10 || fail_all "no answer to the second RegisterChooser"
[ "$MATCHED" = chooser ] || fail_all "second RegisterChooser: $MATCHED"
out=$("$TRIAGECTL" -s "$SOCK" --json status) || fail "triagectl status"
grep -q '"chooser":"bus-app"' <<< "$out" || fail "status does not name bus-app the chooser: $out"
pass "RegisterChooser: only after Register; a second call is harmless"

# --- focus reports -------------------------------------------------------------------
# why PID: `triagectl --json why PID` into WHY.
why() { WHY=$("$TRIAGECTL" -s "$SOCK" --json why "$1") || fail "triagectl why $1"; }
why "$APP_PID"
grep -q '"focused":false' <<< "$WHY" || fail "bus-app has the focus before any report: $WHY"
out=$(call ReportFocus "$APP_PID") || fail "ReportFocus $APP_PID: $out"
why "$APP_PID"
for want in '"focused":true' '"tier":"foreground"' '"last_use":"focus"'; do
        grep -qF "$want" <<< "$WHY" || fail "after ReportFocus($APP_PID), no $want: $WHY"
done
out=$(call ReportFocus 999999999) && fail "ReportFocus of a missing pid succeeded"
grep -q 'org.triage.Manager1.Error.NoSuchProcess' <<< "$out" || fail "ReportFocus 999999999: $out"
out=$(call ReportFocus 0) && fail "ReportFocus of pid 0 succeeded"
grep -q 'org.triage.Manager1.Error.NoSuchProcess' <<< "$out" || fail "ReportFocus 0: $out"

# ReportCharge: root is trusted ([charges] trusted = root): a server says it
# holds 64 MiB for bus-app, which `why` then shows charged to bus-app.
out=$(call ReportCharge "$APP_PID" 67108864) || fail "ReportCharge: $out"
why "$APP_PID"
grep -qE '"charges":\[\{"source":"reported","peer":[0-9]+,"kib":65536\}\]' <<< "$WHY" ||
        fail "ReportCharge: no 64 MiB charge for bus-app: $WHY"
grep -q '"charged_kib":65536,' <<< "$WHY" || fail "ReportCharge: charged_kib: $WHY"
out=$(call ReportCharge 999999999 1) && fail "ReportCharge for a missing pid succeeded"
grep -q 'org.triage.Manager1.Error.NoSuchProcess' <<< "$out" || fail "ReportCharge 999999999: $out"
pass "ReportCharge from a trusted user is charged to the client"
pass "ReportFocus: bus-app has the focus (foreground, last use from focus); missing pids refused"

# --- the policy, as another user ------------------------------------------------------
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if "${NOBODY[@]}" true 2> /dev/null; then
        out=$("${NOBODY[@]}" gdbus call --system --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
                --method org.freedesktop.DBus.RequestName org.triage.Manager1 0 2>&1) &&
                fail "nobody could ask for org.triage.Manager1: $out"
        grep -q AccessDenied <<< "$out" || fail "RequestName as nobody: $out"
        out=$("${NOBODY[@]}" gdbus call --system --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
                --method org.freedesktop.DBus.RequestName org.freedesktop.LowMemoryMonitor 0 2>&1) &&
                fail "nobody could ask for org.freedesktop.LowMemoryMonitor: $out"
        grep -q AccessDenied <<< "$out" || fail "RequestName as nobody: $out"
        out=$("${NOBODY[@]}" gdbus call --system --dest org.triage.Manager1 --object-path /org/triage/Manager1 \
                --method org.triage.Manager1.GetStatus 2>&1) || fail "GetStatus as nobody: $out"
        out=$("${NOBODY[@]}" gdbus call --system --dest "$APP_NAME" --object-path /org/triage/Client1 \
                --method org.triage.Client1.SaveState 1000 2>&1) && fail "nobody could call SaveState: $out"
        grep -q AccessDenied <<< "$out" || fail "SaveState as nobody: $out"
        out=$("${NOBODY[@]}" gdbus call --system --dest "$APP_NAME" --object-path /org/triage/Chooser1 \
                --method org.triage.Chooser1.Choose 1 1000 '@a(uusttbbb) []' 2>&1) &&
                fail "nobody could call Choose: $out"
        grep -q AccessDenied <<< "$out" || fail "Choose as nobody: $out"
        pass "policy: others may call the manager, not own its names nor call Client1 or Chooser1"

        # A process of nobody's in the fixture /proc, copied once it runs as
        # nobody (it says its pid after setpriv has switched).
        mkfifo "$WORK/nobody.out"
        "${NOBODY[@]}" sh -c 'echo $$; exec sleep 600' > "$WORK/nobody.out" 3<&- 5>&- 6<&- 7>&- 8<&- 9>&- 10<&- &
        NOBODY_PID=$!
        read -r -t 10 pid < "$WORK/nobody.out" || fail "the process of nobody's did not start"
        [ "$pid" = "$NOBODY_PID" ] || fail "nobody's process says pid $pid, started as $NOBODY_PID"
        copy_proc "$NOBODY_PID"
        out=$("${NOBODY[@]}" gdbus call --system --dest org.triage.Manager1 --object-path /org/triage/Manager1 \
                --method org.triage.Manager1.ReportFocus "$APP_PID" 2>&1) &&
                fail "nobody could report the focus of root's bus-app: $out"
        # The daemon's refusal, not the bus policy's.
        grep -q "AccessDenied: Only root or the process's owner" <<< "$out" || fail "ReportFocus as nobody: $out"
        out=$("${NOBODY[@]}" gdbus call --system --dest org.triage.Manager1 --object-path /org/triage/Manager1 \
                --method org.triage.Manager1.ReportCharge "$APP_PID" 1024 2>&1) &&
                fail "nobody (not trusted) could report a charge: $out"
        grep -q "AccessDenied: Only servers of users trusted" <<< "$out" || fail "ReportCharge as nobody: $out"
        why "$APP_PID"
        grep -q '"focused":true' <<< "$WHY" || fail "a refused ReportFocus took the focus from bus-app: $WHY"
        out=$("${NOBODY[@]}" gdbus call --system --dest org.triage.Manager1 --object-path /org/triage/Manager1 \
                --method org.triage.Manager1.ReportFocus "$NOBODY_PID" 2>&1) ||
                fail "nobody's ReportFocus of its own process: $out"
        why "$NOBODY_PID"
        grep -q '"focused":true' <<< "$WHY" || fail "nobody's process is not focused after its report: $WHY"
        why "$APP_PID"
        grep -q '"focused":false' <<< "$WHY" && grep -q '"last_use":"focus"' <<< "$WHY" ||
                fail "bus-app after losing the focus: $WHY"
        kill "$NOBODY_PID"
        wait "$NOBODY_PID" 2> /dev/null || true
        NOBODY_PID=
        pass "ReportFocus as nobody: of its own process yes, of root's no (AccessDenied)"
else
        echo "note: cannot switch to uid 65534; policy checks as another user skipped"
fi

# --- leaving ---------------------------------------------------------------------------
echo unregister >&5
wait_line 6 '^(unregistered|error)' 10 || fail_all "no answer to Unregister"
[ "$MATCHED" = unregistered ] || fail_all "Unregister: $MATCHED"
wait_log "client bus-app \\(pid $APP_PID\\) unregistered" 10 || fail "the daemon did not log Unregister"
echo register >&5
wait_line 6 '^(registered|error) ' 10 || fail_all "no answer to Register after Unregister"
[[ $MATCHED == registered\ * ]] || fail_all "Register after Unregister: $MATCHED"
[ "${MATCHED#registered }" -gt "$CLIENT_ID" ] || fail "client id reused: $MATCHED after $CLIENT_ID"
exec 5>&-   # end of input: bus-app exits and leaves the bus
wait_log "client bus-app \\(pid $APP_PID\\) unregistered" 10 || fail "leaving the bus did not unregister"
wait "$APP_PID" || fail "bus-app failed: $(cat "$WORK/app.err")"
APP_PID=
pass "Unregister, register again, leaving the bus unregisters"

exec 9>&-
wait_log "client mute \\(pid $MUTE_PID\\) unregistered" 10 || fail "the silent app's leaving did not unregister"
wait "$MUTE_PID" || fail "the silent bus-app failed: $(cat "$WORK/mute.err")"
MUTE_PID=

exec 7>&-
wait "$GMM_PID" || fail "gmm-client failed: $(cat "$WORK/gmm.err")"
GMM_PID=
stop_daemon
grep -E 'bus: .*(cannot|error)' "$LOG" && fail "bus errors in the log"
echo "bus: all passed"
