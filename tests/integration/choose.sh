#!/usr/bin/env bash
# triagectl choose against a fake daemon (app-fake-chooser-daemon, which
# speaks the chooser's side of the application protocol): this host cannot
# safely be brought to the critical level, so the daemon's side is faked
# and the real one is tested in the VM.
#
# Line mode (--plain), as scripts and the VM use it: a pick read from
# stdin (sent before the choice even opened); as a long-running watcher,
# what was closed and why (a kill at the floor without a choice, and the
# pick once it closed); "p" for the policy, wrong
# answers and a refused pick answered again, end of input running into the
# deadline (exit 2), no daemon (exit 1); a hostile name is shown harmless.
# Full screen, driven through tmux: the waiting screen (with the last
# kill, what and why), the candidates,
# the highlight moving, a live countdown, a redraw on resize, Down Down
# Enter picking the second candidate, Escape leaving it to the policy,
# digits, a refusal, no key at all (the countdown reaches 0, exit 2), and
# SIGTERM; the terminal's settings are the same after as before.
# Usage: choose.sh TRIAGECTL FAKE
set -euo pipefail
TRIAGECTL=$1 FAKE=$2
WORK=$(mktemp -d /tmp/triage-choose.XXXXXX)
SOCK=$WORK/app.sock
SRV=triage-choose-$$
unset TMUX

# read_until; fail and pass are this test's own (below).
. "$(dirname "$0")/lib.sh"

fail() {
        echo "FAIL: $*" >&2
        [ -f "$WORK/fake.out" ] && sed 's/^/  fake: /' "$WORK/fake.out" >&2
        [ -f "$WORK/out" ] && sed 's/^/  out: /' "$WORK/out" >&2
        [ -f "$WORK/err" ] && sed 's/^/  err: /' "$WORK/err" >&2
        if tmux -L "$SRV" has-session 2> /dev/null; then
                tmux -L "$SRV" capture-pane -p -t t | sed 's/^/  pane: /' >&2
        fi
        exit 1
}
pass() { echo "ok: $*"; }

cleanup() {
        tmux -L "$SRV" kill-server 2> /dev/null || true
        rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SRV"
        exec 7>&- 2> /dev/null || true
        rm -rf "$WORK"
}
trap cleanup EXIT

# start_fake ARGS...: the fake daemon in the background, its report
# readable line by line on fd 3 and kept in $WORK/fake.out; its stdin is
# $WORK/go (for --wait-go) or /dev/null.
start_fake() {
        local in=/dev/null
        : > "$WORK/fake.out"
        if [[ " $* " == *" --wait-go "* ]]; then
                rm -f "$WORK/go"
                mkfifo "$WORK/go"
                in=$WORK/go
        fi
        exec 3< <(exec "$FAKE" "$SOCK" "$@" < "$in" 2>&1 | tee -a "$WORK/fake.out")
        if [ "$in" != /dev/null ]; then
                exec 7> "$WORK/go"
        fi
        expect_fake '^listening$'
}

# expect_fake PATTERN: reads the fake's report until a line matches (a
# blocking read; the timeout only bounds a broken client).
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

# --- line mode ---

# An answer piped in ahead: it waits in the pipe until the choice opens.
start_fake --deadline 10000
rc=0
echo 2 | "$TRIAGECTL" choose --plain --once --app-socket "$SOCK" > "$WORK/out" 2> "$WORK/err" || rc=$?
[ "$rc" = 0 ] || fail "--plain --once with a pick: exit status $rc"
expect_fake '^registered triagectl-choose pid [0-9]+$'
expect_fake '^chooser$'
expect_fake '^pick 21 2222$'
expect_fake '^bye$'
grep -qx 'waiting for memory pressure (5 registered applications)' "$WORK/out" || fail "no waiting line"
grep -qx '  1  firefox  pid 1111  1536 MiB  used 1 h ago  saved  recommended' "$WORK/out" ||
        fail "firefox not shown as saved and recommended"
grep -qx '  2  gimp  pid 2222  512 MiB  used 2 min ago' "$WORK/out" || fail "gimp not shown"
grep -qx '  3  xterm?\[2J  pid 3333  8192 KiB  used just now  frozen' "$WORK/out" ||
        fail "the third name not shown sanitized and frozen"
! grep -q $'\x1b' "$WORK/out" || fail "an escape byte from a process name reached the output"
grep -qx 'asked triaged to close gimp (pid 2222)' "$WORK/out" || fail "no word of the pick"
grep -qx 'closed gimp (picked)' "$WORK/out" || fail "no result line"
pass "plain: the pick read from stdin is sent (PICK 21 2222), the result shown, exit 0"

# A long-running watcher: told what was closed and why, with or without a
# choice; SIGTERM ends it (its input is read only while a choice is open).
start_fake --deadline 10000 --killed
mkfifo "$WORK/in" "$WORK/ctl.out"
"$TRIAGECTL" choose --plain --app-socket "$SOCK" < "$WORK/in" > "$WORK/ctl.out" 2> "$WORK/err" &
ctl=$!
exec 8> "$WORK/in" 5< "$WORK/ctl.out"
echo 2 >&8
: > "$WORK/out"
read_until 5 '^Closed gimp \(pid 2222\)\. ' || fail "the watcher did not say gimp was closed"
kill -TERM "$ctl"
rc=0
wait "$ctl" || rc=$?
exec 8>&- 5<&-
[ "$rc" = 0 ] || fail "the watcher: exit status $rc after SIGTERM"
expect_fake '^pick 21 2222$'
expect_fake '^bye$'
grep -qxF "Killed chromium (pid 4444). Memory reached the emergency floor in sys?[2Jtem (5120 KiB left). It was the policy's choice (background tier, badness 640 of 1000). It was killed; about 900 MiB freed." "$WORK/out" ||
        fail "the kill at the floor (no choice) not told"
grep -qxF "Closed gimp (pid 2222). Memory was critically low in system (9216 KiB left). It was picked in the chooser. It saved its state and closed itself; about 512 MiB freed." "$WORK/out" ||
        fail "the pick's end not told"
! grep -q $'\x1b' "$WORK/out" || fail "an escape byte from a domain name reached the output"
pass "plain watcher: a kill without a choice and the pick's end are told, what and why; SIGTERM ends it"
rm -f "$WORK/in" "$WORK/ctl.out"

start_fake --deadline 10000
rc=0
echo p | "$TRIAGECTL" choose --plain --once --app-socket "$SOCK" > "$WORK/out" 2> "$WORK/err" || rc=$?
[ "$rc" = 0 ] || fail "--plain --once with p: exit status $rc"
expect_fake '^pick 21 0$'
expect_fake '^bye$'
grep -qx 'the policy closed firefox (it was left to decide)' "$WORK/out" || fail "no result line"
pass "plain: p lets the policy decide (PICK 21 0)"

# Wrong answers are asked again; a refused pick (the candidate went away)
# is picked again.
start_fake --deadline 10000 --refuse-first
rc=0
printf '9\nnonsense\n2\n1\n' | "$TRIAGECTL" choose --plain --once --app-socket "$SOCK" > "$WORK/out" \
        2> "$WORK/err" || rc=$?
[ "$rc" = 0 ] || fail "a refused pick: exit status $rc"
expect_fake '^refused 2222$'
expect_fake '^pick 21 1111$'
expect_fake '^bye$'
grep -qx "'9': answer a number from 1 to 3, p (let the policy decide) or q" "$WORK/out" || fail "9 accepted"
grep -qx "'nonsense': answer a number from 1 to 3, p (let the policy decide) or q" "$WORK/out" ||
        fail "nonsense accepted"
grep -qx 'that one is no longer a candidate: pick another' "$WORK/out" || fail "the refusal not shown"
grep -qx 'closed firefox (picked)' "$WORK/out" || fail "no result line after the second pick"
pass "plain: wrong answers asked again, a refused pick (ESRCH) picked again"

# No answer: end of input, then the deadline; the policy decides.
start_fake --deadline 1500 --done-delay 300
rc=0
"$TRIAGECTL" choose --plain --once --app-socket "$SOCK" < /dev/null > "$WORK/out" 2> "$WORK/err" || rc=$?
[ "$rc" = 2 ] || fail "no answer: exit status $rc, not 2"
expect_fake '^timeout$'
expect_fake '^bye$'
grep -qx 'no answer in time: the policy decides' "$WORK/out" || fail "the deadline not shown"
grep -qx 'the policy closed firefox (no answer)' "$WORK/out" || fail "no result line"
grep -qx 'triagectl: end of input: the policy decides at the deadline' "$WORK/err" || fail "end of input not said"
pass "plain: no answer: the deadline passes, the policy's result is shown, exit 2"

rc=0
"$TRIAGECTL" choose --plain --once --app-socket "$WORK/none.sock" < /dev/null > "$WORK/out" 2> "$WORK/err" ||
        rc=$?
[ "$rc" = 1 ] || fail "no daemon: exit status $rc, not 1"
grep -qx "triagectl: triaged is not running (no daemon at $WORK/none.sock)" "$WORK/err" || fail "no daemon not said"
pass "plain: no daemon: exit 1"
rm -f "$WORK/out" "$WORK/err"

# --- full screen, through tmux ---

if ! command -v tmux > /dev/null; then
        echo "skip: the full-screen tests need tmux (apt-get install tmux)"
        exit 77
fi
printf 'set -g status off\n' > "$WORK/tmux.conf"

# run_tui: triagectl choose --once in a fresh 100x30 tmux pane; its exit
# status goes to $WORK/rc, the terminal's settings before and after to
# $WORK/stty.before and .after. The pane then stays open (sleep): tmux can
# lose the last output of a pane whose process has exited.
run_tui() {
        tmux -L "$SRV" kill-server 2> /dev/null || true
        rm -f "$WORK/rc" "$WORK/stty.before" "$WORK/stty.after"
        tmux -L "$SRV" -f "$WORK/tmux.conf" new-session -d -s t -x 100 -y 30 \
                "stty -g > '$WORK/stty.before'; '$TRIAGECTL' choose --once --app-socket '$SOCK';
                 echo \$? > '$WORK/rc.tmp'; stty -g > '$WORK/stty.after'; mv '$WORK/rc.tmp' '$WORK/rc';
                 exec sleep 300"
}

pane() { tmux -L "$SRV" capture-pane -p -t t "$@"; }

# wait_pane PATTERN [SECONDS]: until the screen shows a line matching
# (grep -E). tmux has no way to wait for the screen to change: this looks
# ten times a second.
wait_pane() {
        local i
        for ((i = 0; i < ${2:-20} * 10; i++)); do
                pane | grep -qE -- "$1" && return 0
                sleep 0.1
        done
        return 1
}

# wait_rc STATUS: until triagectl has exited; checks its status and that
# the terminal was given back as it was.
wait_rc() {
        local i
        for ((i = 0; i < 200; i++)); do
                [ -f "$WORK/rc" ] && break
                sleep 0.1
        done
        [ -f "$WORK/rc" ] || fail "triagectl choose did not exit"
        [ "$(cat "$WORK/rc")" = "$1" ] || fail "exit status $(cat "$WORK/rc"), not $1"
        cmp -s "$WORK/stty.before" "$WORK/stty.after" ||
                fail "terminal settings changed: $(cat "$WORK/stty.before") -> $(cat "$WORK/stty.after")"
}

# The seconds the countdown shows now, or nothing.
countdown() { pane | sed -n 's/^ answer within \([0-9]*\) s, then the policy decides$/\1/p'; }

# 1. Waiting, then the candidates; the highlight moves; Down Down Enter
#    closes the second candidate.
start_fake --deadline 30000 --wait-go --killed
run_tui
wait_pane '^ waiting for memory pressure \(5 registered applications, memory level normal\)$' ||
        fail "no waiting screen"
expect_fake '^chooser$'
wait_pane '^ Killed chromium \(pid 4444\)\.$' || fail "the kill at the floor not shown"
pane | grep -qx '   Memory reached the emergency floor in sys?\[2Jtem (5120 KiB left). It was the policy.s choice' ||
        fail "the reason is not shown wrapped"
pane | grep -qx '   (background tier, badness 640 of 1000). It was killed; about 900 MiB freed.' ||
        fail "the end of the reason is not shown"
pass "full screen: the waiting screen tells the last kill, what and why"
echo go >&7
wait_pane '^ answer within [0-9]+ s, then the policy decides$' || fail "no countdown"
screen=$(pane)
printf '%s\n' "$screen" | grep -qx ' Memory is critically low: pick an application to close' || fail "no title"
printf '%s\n' "$screen" | grep -qE '^ +1 +firefox +1111 +1536 MiB +1 h ago +saved +<- the policy.s choice$' ||
        fail "firefox not shown as saved and the policy's choice"
printf '%s\n' "$screen" | grep -qE '^ +2 +gimp +2222 +512 MiB +2 min ago$' || fail "gimp not shown"
printf '%s\n' "$screen" | grep -qE '^ +3 +xterm\?\[2J +3333 +8192 KiB +just now +frozen$' ||
        fail "the third name not shown sanitized and frozen"
# Nothing is highlighted until the person moves.
! pane -e | grep -q $'\x1b''\[[0-9;]*7m' || fail "something is highlighted before any key"
first=$(countdown)
if [ -z "$first" ] || [ "$first" -gt 30 ]; then
        fail "countdown shows '$first'"
fi
wait_pane "^ answer within $((first - 1)) s, then the policy decides\$" 3 || fail "the countdown does not move"
pass "full screen: waiting screen, candidates with flags, a hostile name defused, countdown $first -> $((first - 1))"

tmux -L "$SRV" send-keys -t t Down
for ((i = 0; i < 50; i++)); do
        pane -e | grep -qE $'\x1b''\[([0-9]+;)*7m +> +1 +firefox' && break
        sleep 0.1
done
pane -e | grep -qE $'\x1b''\[([0-9]+;)*7m +> +1 +firefox' || fail "Down does not highlight the first"
# A narrower terminal: SIGWINCH, and the lines are cut to the new width.
help=' Up/Down or j/k: move   Enter: close the highlighted one   1-3: close that one'
tmux -L "$SRV" resize-window -t t -x 70 -y 24
wait_pane "^${help:0:69}\$" || fail "no redraw at 70 columns"
! pane | grep -q 'close that one' || fail "a line longer than the terminal"
pass "full screen: Down highlights the first candidate; a resize is redrawn to the new width"
tmux -L "$SRV" send-keys -t t Down
for ((i = 0; i < 50; i++)); do
        pane -e | grep -qE $'\x1b''\[([0-9]+;)*7m +> +2 +gimp' && break
        sleep 0.1
done
pane -e | grep -qE $'\x1b''\[([0-9]+;)*7m +> +2 +gimp' || fail "Down does not move to the second"
tmux -L "$SRV" send-keys -t t Enter
expect_fake '^pick 21 2222$'
expect_fake '^bye$'
wait_rc 0
wait_pane '^triagectl: closed gimp \(picked\)$' || fail "no result line after the exit"
pass "full screen: Down Down Enter picks the second candidate (PICK 21 2222), exit 0, terminal restored"

# 2. Escape: the policy decides.
start_fake --deadline 30000
run_tui
wait_pane '^ answer within [0-9]+ s' || fail "no candidates"
tmux -L "$SRV" send-keys -t t Escape
expect_fake '^pick 21 0$'
wait_rc 0
wait_pane '^triagectl: the policy closed firefox \(it was left to decide\)$' || fail "no result line"
pass "full screen: Escape lets the policy decide (PICK 21 0)"

# 3. Digits, and a refused pick picked again.
start_fake --deadline 30000 --refuse-first
run_tui
wait_pane '^ answer within [0-9]+ s' || fail "no candidates"
tmux -L "$SRV" send-keys -t t 3
expect_fake '^refused 3333$'
wait_pane '^ that one is no longer a candidate: pick another$' || fail "the refusal not shown"
wait_pane '^ answer within [0-9]+ s' || fail "not back to choosing after the refusal"
tmux -L "$SRV" send-keys -t t 1
expect_fake '^pick 21 1111$'
wait_rc 0
wait_pane '^triagectl: closed firefox \(picked\)$' || fail "no result line"
pass "full screen: 3 picks the third, refused (ESRCH) and shown; 1 then picks the first"

# 4. No key: the countdown runs down to 0, the daemon's policy decides,
#    exit 2.
start_fake --deadline 3000 --done-delay 1500
run_tui
seen=
for ((i = 0; i < 100; i++)); do
        s=$(countdown)
        [ -n "$s" ] && [ "${seen##* }" != "$s" ] && seen="$seen $s"
        pane | grep -qx ' time is up (0 s): the policy decides' && break
        sleep 0.1
done
pane | grep -qx ' time is up (0 s): the policy decides' || fail "the countdown did not reach 0 (saw:$seen)"
[ "$seen" = " 3 2 1" ] || fail "the countdown showed:$seen, not 3 2 1"
expect_fake '^timeout$'
wait_rc 2
wait_pane '^triagectl: the policy closed firefox \(no answer\)$' || fail "no result line"
pass "full screen: no key: the countdown shows 3 2 1 0, the policy decides, exit 2"

# 5. SIGTERM while waiting: the terminal is given back; no answer, exit 2.
start_fake --wait-go
run_tui
wait_pane '^ waiting for memory pressure' || fail "no waiting screen"
expect_fake '^registered triagectl-choose pid [0-9]+$'
pid=${MATCHED##* }
kill -TERM "$pid"
wait_rc 2
! pane | grep -q 'waiting for memory pressure' || fail "the chooser's screen was left on the terminal"
exec 7>&-
pass "full screen: SIGTERM restores the terminal, exit 2"

echo "choose: all passed"
