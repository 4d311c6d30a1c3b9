#!/usr/bin/env bash
# triagectl choose --notify: the chooser as desktop notifications, on a
# private session bus (a real dbus-daemon) with a fake notification server
# (fake-notifyd, which records every call and clicks the buttons it is
# told to) and the fake chooser daemon of choose.sh (three candidates:
# firefox 1111, the policy's choice; gimp 2222; a hostile "xterm\e[2J"
# 3333; serial 21).
#
#  - no session bus, no notification server, a server without actions:
#    exit 1 with the reason, and nothing registered with the daemon;
#  - the candidates offered as a critical notification with one action per
#    candidate and "Let triage decide", the names made harmless, expiring
#    at the deadline; clicking the second candidate picks its leader; the
#    result "Closing gimp: picked by you" shown after CHOOSE_DONE;
#  - "Let triage decide" -> PICK 0, "the policy decided";
#  - dismissed without an answer: no PICK, the deadline passes, exit 2,
#    "the policy decided (no answer)";
#  - left unanswered: closed by triagectl when the choice ends;
#  - a refused pick: offered again without it, with the reason, and the
#    next click picks;
#  - SIGTERM while a choice is open closes the notification;
#  - as a long-running watcher: a kill made without a choice (the policy
#    at the emergency floor) gets a notification saying what was closed
#    and why; after a pick, the notification "Closing gimp" is replaced
#    by "Closed gimp" with the reason.
# Usage: notify.sh TRIAGECTL FAKE_DAEMON FAKE_NOTIFYD
set -euo pipefail
TRIAGECTL=$1 FAKE=$2 NOTIFYD=$3

command -v dbus-daemon > /dev/null || { echo "SKIP: no dbus-daemon"; exit 77; }

WORK=$(mktemp -d /tmp/triage-notify.XXXXXX)
SOCK=$WORK/app.sock
DBUS_PID='' NOTIFYD_PID='' CTL_PID=''

# read_until; fail and pass are this test's own (below).
. "$(dirname "$0")/lib.sh"

fail() {
        echo "FAIL: $*" >&2
        for f in fake.out notifyd.err out err; do
                [ -s "$WORK/$f" ] && sed "s/^/  $f: /" "$WORK/$f" >&2
        done
        for f in "$WORK"/rec*; do
                [ -s "$f" ] && sed "s/^/  $(basename "$f"): /" "$f" >&2
        done
        exit 1
}
pass() { echo "ok: $*"; }

cleanup() {
        for p in $CTL_PID $NOTIFYD_PID $DBUS_PID; do
                kill "$p" 2> /dev/null || true
        done
        rm -rf "$WORK"
}
trap cleanup EXIT

"$TRIAGECTL" --help | grep -q -- '--notify' ||
        fail "triagectl has no --notify option (the call of choose_notify_run() in src/ctl/triagectl.c)"

# --- without a bus, and without a server -----------------------------------

rc=0
env -u XDG_RUNTIME_DIR DBUS_SESSION_BUS_ADDRESS="unix:path=$WORK/no-bus" \
        "$TRIAGECTL" choose --notify --once --app-socket "$SOCK" > "$WORK/out" 2> "$WORK/err" || rc=$?
[ "$rc" = 1 ] || fail "no session bus: exit status $rc, not 1"
grep -q 'no session bus' "$WORK/err" || fail "no session bus: no reason given"
pass "no session bus: exit 1, '$(cat "$WORK/err")'"

cat > "$WORK/session.conf" << CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <auth>EXTERNAL</auth>
  <listen>unix:path=$WORK/bus.sock</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
{ read -r ADDRESS; read -r DBUS_PID; } < <(dbus-daemon --config-file="$WORK/session.conf" --fork \
        --print-address=1 --print-pid=1)
{ [ -n "$ADDRESS" ] && [ -n "$DBUS_PID" ]; } || fail "dbus-daemon did not start"
export DBUS_SESSION_BUS_ADDRESS=$ADDRESS
pass "a private session bus on $ADDRESS"

rc=0
"$TRIAGECTL" choose --notify --once --app-socket "$SOCK" > "$WORK/out" 2> "$WORK/err" || rc=$?
[ "$rc" = 1 ] || fail "no notification server: exit status $rc, not 1"
grep -q 'no notification server' "$WORK/err" || fail "no notification server: no reason given"
pass "no notification server: exit 1, '$(cat "$WORK/err")'"

# start_notifyd RECORD ARGS...: fake-notifyd in the background, once it
# owns the name (it waits in the queue while the previous one leaves).
start_notifyd() {
        stop_notifyd
        exec 4< <(exec "$NOTIFYD" "$@" 2> "$WORK/notifyd.err")
        NOTIFYD_PID=$!
        local line
        IFS= read -r -t 20 line <&4 || fail "fake-notifyd did not start"
        [ "$line" = "owning org.freedesktop.Notifications" ] || fail "fake-notifyd said '$line'"
}

stop_notifyd() {
        [ -n "$NOTIFYD_PID" ] || return 0
        kill "$NOTIFYD_PID" 2> /dev/null || true
        # End of file on its stdout: it has exited.
        while IFS= read -r -t 10 _ <&4; do :; done
        exec 4<&-
        NOTIFYD_PID=''
}

start_notifyd "$WORK/rec0" --no-actions
rc=0
"$TRIAGECTL" choose --notify --once --app-socket "$SOCK" > "$WORK/out" 2> "$WORK/err" || rc=$?
[ "$rc" = 1 ] || fail "a server without actions: exit status $rc, not 1"
grep -q 'does not support actions' "$WORK/err" || fail "a server without actions: no reason given"
[ ! -s "$WORK/rec0" ] || fail "a server without actions was sent a notification"
pass "a server without actions: exit 1 before registering, '$(cat "$WORK/err")'"

# --- the fake daemon (as in choose.sh): its report on fd 3 -------------------

start_fake() {
        : > "$WORK/fake.out"
        exec 3< <(exec "$FAKE" "$SOCK" "$@" < /dev/null 2>&1 | tee -a "$WORK/fake.out")
        expect_fake '^listening$'
}

# expect_fake PATTERN: reads the fake's report until a line matches.
expect_fake() {
        local line
        while IFS= read -r -t 20 line <&3; do
                if printf '%s\n' "$line" | grep -qE -- "$1"; then
                        MATCHED=$line
                        return 0
                fi
        done
        fail "the fake daemon did not report '$1'"
}

# choose EXPECTED_STATUS: triagectl choose --notify --once, to the end.
choose() {
        local rc=0
        "$TRIAGECTL" choose --notify --once --app-socket "$SOCK" > "$WORK/out" 2> "$WORK/err" || rc=$?
        [ "$rc" = "$1" ] || fail "triagectl choose --notify: exit status $rc, not $1"
}

# notification REC N: the Nth (1-based) notification recorded in REC,
# from its "notify" line to its "end", into NOTE.
notification() {
        NOTE=$(awk -v n="$2" '/^notify /{k++} k==n{print} k==n && /^end$/{exit}' "$1")
        [ -n "$NOTE" ] || fail "no notification $2 in $(basename "$1")"
}

has() { grep -qxF -- "$1" <<< "$NOTE" || fail "$2: no line '$1' in:"$'\n'"$NOTE"; }
hasnt() { ! grep -qF -- "$1" <<< "$NOTE" || fail "$2: '$1' in:"$'\n'"$NOTE"; }

# --- a click on the second candidate ------------------------------------------

start_notifyd "$WORK/rec1" --invoke pick-2222
start_fake --deadline 10000
choose 0
expect_fake '^registered triagectl-notify pid [0-9]+$'
expect_fake '^chooser$'
expect_fake '^pick 21 2222$'
expect_fake '^bye$'
pass "the second candidate's button picked its leader (PICK 21 2222)"

notification "$WORK/rec1" 1
sed -n 1p <<< "$NOTE" | grep -qE '^notify [0-9]+ replaces 0 app triage icon dialog-warning urgency 2 expire [0-9]+$' ||
        fail "the offer's header: $(sed -n 1p <<< "$NOTE")"
expire=$(sed -n '1s/.* expire //p' <<< "$NOTE")
{ [ "$expire" -gt 9000 ] && [ "$expire" -le 10000 ]; } || fail "the offer expires in $expire ms, not ~10000"
has "summary Low memory: pick an application to close" "the offer"
has "body 1. firefox: 1536 MiB, last used 1 h ago, state saved (triage's choice)" "the offer"
has "body 2. gimp: 512 MiB, last used 2 min ago" "the offer"
has "body 3. xterm?[2J: 8192 KiB, in use now, frozen" "the offer"
grep -qE '^body Answer within (9|10) s \(by [0-9]{2}:[0-9]{2}:[0-9]{2}\), or triage.s policy decides\.$' \
        <<< "$NOTE" || fail "no countdown in the offer:"$'\n'"$NOTE"
[ "$(grep '^action ' <<< "$NOTE")" = "action pick-1111 firefox (1536 MiB)
action pick-2222 gimp (512 MiB)
action pick-3333 xterm?[2J (8192 KiB)
action policy Let triage decide" ] || fail "the offer's actions:"$'\n'"$NOTE"
! grep -q $'\x1b' "$WORK/rec1" || fail "an escape character reached the notification server"
pass "the offer: critical, expiring at the deadline, 3 candidates with memory and last use, 4 actions, names made harmless"

notification "$WORK/rec1" 2
sed -n 1p <<< "$NOTE" | grep -qE '^notify [0-9]+ replaces 0 app triage icon dialog-information urgency 1 expire -1$' ||
        fail "the result's header: $(sed -n 1p <<< "$NOTE")"
has "summary Closing gimp: picked by you" "the result"
has "body It used about 512 MiB (pid 2222)." "the result"
hasnt "action " "the result"
[ "$(grep -c '^notify ' "$WORK/rec1")" = 2 ] || fail "more than two notifications"
pass "after CHOOSE_DONE: 'Closing gimp: picked by you'"

# --- "Let triage decide" --------------------------------------------------------

start_notifyd "$WORK/rec2" --invoke policy --markup
start_fake --deadline 10000
choose 0
expect_fake '^pick 21 0$'
expect_fake '^bye$'
notification "$WORK/rec2" 2
has "summary Closing firefox: the policy decided (you left it to triage)" "the result"
has "body It used about 1536 MiB (pid 1111) and had saved its state." "the result"
pass "'Let triage decide' sent PICK 0; 'Closing firefox: the policy decided (you left it to triage)'"

# --- dismissed: no answer ----------------------------------------------------------

start_notifyd "$WORK/rec3" --dismiss
start_fake --deadline 1500
choose 2
expect_fake '^(timeout|pick .*)$'
[ "$MATCHED" = timeout ] || fail "a dismissed notification answered: $MATCHED"
expect_fake '^bye$'
grep -q 'closed without an answer (dismissed)' "$WORK/out" || fail "the dismissal was not noticed"
notification "$WORK/rec3" 2
has "summary Closing firefox: the policy decided (no answer)" "the result"
grep -q '^close ' "$WORK/rec3" && fail "a dismissed notification was closed again"
pass "dismissed: no PICK, exit 2, 'Closing firefox: the policy decided (no answer)'"

# --- left unanswered: closed when the choice ends ------------------------------------

start_notifyd "$WORK/rec4"
start_fake --deadline 1500
choose 2
expect_fake '^(timeout|pick .*)$'
[ "$MATCHED" = timeout ] || fail "an unanswered notification answered: $MATCHED"
notification "$WORK/rec4" 1
id=$(sed -n '1s/^notify \([0-9]*\) .*/\1/p' <<< "$NOTE")
[ "$(grep -E '^(close|notify) ' "$WORK/rec4" | cut -d' ' -f1-2 | tr '\n' ' ')" = "notify $id close $id notify $((id + 1)) " ] ||
        fail "the offer was not closed before the result was shown"
pass "an unanswered offer is closed (CloseNotification $id) when the choice ends"

# --- a refused pick: offered again without it ------------------------------------------

start_notifyd "$WORK/rec5" --invoke pick-2222 --invoke pick-3333
start_fake --deadline 10000 --refuse-first
choose 0
expect_fake '^refused 2222$'
expect_fake '^pick 21 3333$'
notification "$WORK/rec5" 2
has "summary Low memory: pick an application to close" "the second offer"
has "body gimp is no longer a candidate: pick another." "the second offer"
has "body 2. xterm?[2J: 8192 KiB, in use now, frozen" "the second offer"
[ "$(grep '^action ' <<< "$NOTE")" = "action pick-1111 firefox (1536 MiB)
action pick-3333 xterm?[2J (8192 KiB)
action policy Let triage decide" ] || fail "the second offer's actions:"$'\n'"$NOTE"
notification "$WORK/rec5" 3
has "summary Closing xterm?[2J: picked by you" "the result"
pass "a refused pick is offered again without it, with the reason; the next click picks (PICK 21 3333)"

# --- SIGTERM while a choice is open ---------------------------------------------------

# start_ctl ARGS...: triagectl choose --notify ARGS in the background, its
# output readable line by line on fd 5 (and kept in $WORK/out).
start_ctl() {
        rm -f "$WORK/ctl.out"
        mkfifo "$WORK/ctl.out"
        : > "$WORK/out"
        "$TRIAGECTL" choose --notify "$@" --app-socket "$SOCK" > "$WORK/ctl.out" 2> "$WORK/err" &
        CTL_PID=$!
        exec 5< "$WORK/ctl.out"
}

# stop_ctl: SIGTERM to it; its exit status in rc.
stop_ctl() {
        kill -TERM "$CTL_PID"
        rc=0
        wait "$CTL_PID" || rc=$?
        CTL_PID=''
        exec 5<&-
}

start_notifyd "$WORK/rec6"
start_fake --deadline 10000
start_ctl --once
read_until 5 '^notification ([0-9]+) shown$' || fail "the offer was not shown"
shown=${BASH_REMATCH[1]}
stop_ctl
[ "$rc" = 2 ] || fail "SIGTERM during a choice: exit status $rc, not 2"
grep -qx "close $shown" "$WORK/rec6" || fail "the offer was left up after SIGTERM"
pass "SIGTERM during a choice: exit 2, the offer closed (CloseNotification $shown)"

# --- kill notifications, as a long-running watcher ----------------------------------

start_notifyd "$WORK/rec7" --invoke pick-2222
start_fake --deadline 10000 --killed
start_ctl
read_until 5 '^Closed gimp \(pid 2222\): ' || fail "the watcher did not report gimp closed"
stop_ctl
[ "$rc" = 0 ] || fail "SIGTERM while waiting: exit status $rc, not 0"
expect_fake '^pick 21 2222$'
expect_fake '^bye$'
notification "$WORK/rec7" 1
has "summary Killed chromium" "the kill at the floor"
has "body Memory reached the emergency floor in sys?[2Jtem (5120 KiB left). It was the policy's choice (background tier, badness 640 of 1000). It was killed; about 900 MiB freed." "the kill at the floor"
hasnt "action " "the kill at the floor"
pass "a kill without a choice: 'Killed chromium' with what and why, names made harmless"
notification "$WORK/rec7" 3
has "summary Closing gimp: picked by you" "the result"
closing_id=$(sed -n '1s/^notify \([0-9]*\) .*/\1/p' <<< "$NOTE")
notification "$WORK/rec7" 4
sed -n 1p <<< "$NOTE" | grep -qE "^notify [0-9]+ replaces $closing_id app triage icon dialog-information urgency 1 expire -1$" ||
        fail "'Closed gimp' does not replace 'Closing gimp' ($closing_id): $(sed -n 1p <<< "$NOTE")"
has "summary Closed gimp" "the kill after the pick"
has "body Memory was critically low in system (9216 KiB left). It was picked in the chooser. It saved its state and closed itself; about 512 MiB freed." "the kill after the pick"
[ "$(grep -c '^notify ' "$WORK/rec7")" = 4 ] || fail "not four notifications in rec7"
pass "after the pick: 'Closed gimp' with the reason replaces 'Closing gimp'"

stop_notifyd
echo "notify: all passed"
