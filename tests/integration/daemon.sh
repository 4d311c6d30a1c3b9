#!/usr/bin/env bash
# triaged on the host, through its real control socket: status, rank and
# why agree with the kernel, SIGHUP reload keeps the old configuration when
# the new one is broken, hostile clients do not stop it, SIGTERM exits
# cleanly and removes the socket.
# Usage: daemon.sh TRIAGED TRIAGECTL CTL_ABUSE
set -euo pipefail
TRIAGED=$1 TRIAGECTL=$2 ABUSE=$3
WORK=$(mktemp -d /tmp/triage-it.XXXXXX)
SOCK=$WORK/control.sock
# Other users reach the socket (the focus test runs as nobody).
chmod 755 "$WORK"
. "$(dirname "$0")/lib.sh"
trap 'stop_daemon; rm -rf "$WORK"' EXIT

cat > "$WORK/triage.conf" <<CONF
[daemon]
dry_run = no
[clients]
socket = $WORK/app.sock
bus = no
[domains]
auto_cgroups = no
CONF
start_daemon -c "$WORK/triage.conf" -s "$SOCK" --no-mlock
ctl() { "$TRIAGECTL" -s "$SOCK" "$@"; }

# status: the system domain, in text and JSON.
ctl status | grep -q '^domain system (system)' || fail "status shows no system domain"
ctl status --json | grep -q '"dry_run":false' || fail "status --json: dry_run"
pass "status"

# rank: this shell is a candidate and its score is the kernel's figure.
# (Both are read within moments; this shell is idle, so they agree unless
# the formula is wrong.)
line=$(ctl rank --processes --json | grep "\"pid\":$$,") || fail "rank --processes --json does not list pid $$"
score=$(printf '%s' "$line" | sed 's/.*"score":\([0-9]*\).*/\1/')
kernel=$(cat /proc/$$/oom_score)
[ "$score" = "$kernel" ] || fail "score $score for pid $$, kernel says $kernel"
pass "rank score equals /proc/$$/oom_score ($kernel)"

ctl why $$ | grep -q "score:      $kernel (kernel's oom_score: $kernel, agrees)" || fail "why $$"
out=$(ctl why 999999999 2>&1) && fail "why of a missing pid succeeded"
grep -q 'no process 999999999' <<<"$out" || fail "why of a missing pid: $out"
out=$(ctl --domain nosuch rank 2>&1) && fail "rank of a missing domain succeeded"
grep -q "no domain 'nosuch'" <<<"$out" || fail "rank of a missing domain: $out"
pass "why"

# rank --all lists PID 1... only when /proc shows it in this namespace.
ctl rank --processes --all --json | grep -q '"excluded":"triaged itself"' ||
        fail "rank --processes --all does not show the daemon as excluded"
pass "rank --processes --all shows excluded processes"

# Activities: this shell's process group is one, ranked with a tier; the
# daemon is protected (shown with --all only).
ctl rank --json | grep -q "\"processes\":\[[0-9,]*\b$$\b" || fail "rank --json: no activity holds pid $$"
ctl rank --json | grep -q '"protected":"triaged itself"' && fail "rank lists protected activities without --all"
ctl rank --all --json | grep -q '"protected":"triaged itself"' || fail "rank --all does not show the daemon as protected"
ctl why $$ | grep -q '^  tier:       tier ' || fail "why shows no tier"
pass "activities ranked, with tiers"

# Focus: reported for this shell, its activity is the foreground one.
ctl focus $$ | grep -q "focus: pid $$" || fail "focus $$"
ctl why $$ | grep -q 'tier foreground' || fail "a focused activity is not in the foreground tier: $(ctl why $$)"
out=$(setpriv --reuid 65534 --regid 65534 --clear-groups "$TRIAGECTL" -s "$SOCK" focus 1 2>&1) &&
        fail "an unprivileged user reported focus for pid 1"
grep -q "only root or the owner" <<<"$out" || fail "focus refused without the reason: $out"
pass "focus reports (root or the owner only)"

# Without the daemon: rank and why are computed locally, status says it
# is not running with exit status 3.
out=$("$TRIAGECTL" -s "$WORK/none.sock" rank 2>&1) || fail "local rank failed: $out"
grep -q "triaged is not running (no daemon at $WORK/none.sock); computed locally" <<<"$out" || fail "local rank: $out"
grep -qE "^ +[0-9]+ +$$ " <<<"$out" || fail "local rank does not list pid $$: $out"
"$TRIAGECTL" -s "$WORK/none.sock" --local why $$ | grep -q "kernel's oom_score: $(cat /proc/$$/oom_score), agrees" ||
        fail "local why"
rc=0
"$TRIAGECTL" -s "$WORK/none.sock" status 2>/dev/null || rc=$?
[ "$rc" = 3 ] || fail "status without a daemon exited $rc, not 3"
pass "without the daemon: local rank and why, status exits 3"

# SIGHUP with a broken file: rejected with file:line, old config kept.
printf '[daemon]\ndry_run = perhaps\n' > "$WORK/triage.conf"
kill -HUP "$DAEMON_PID"
wait_log 'new configuration rejected' || fail "broken config not rejected"
grep -q "$WORK/triage.conf:2" "$LOG" || fail "the rejection does not name file:line"
ctl status --json | grep -q '"dry_run":false' || fail "old configuration not kept"
pass "broken reload rejected, old configuration kept"

# SIGHUP with a good file: applied.
printf '[daemon]\ndry_run = yes\n[clients]\nsocket = %s\nbus = no\n[domains]\nauto_cgroups = no\n' "$WORK/app.sock" > "$WORK/triage.conf"
kill -HUP "$DAEMON_PID"
wait_log 'configuration reloaded' || fail "good config not reloaded"
ctl status --json | grep -q '"dry_run":true' || fail "new configuration not applied"
pass "reload applies a good file"

# Hostile clients: garbage, wrong sizes, floods, silent connections. The
# daemon must keep answering.
"$ABUSE" "$SOCK" || fail "control socket abuse test"
ctl status > /dev/null || fail "daemon stopped answering after abuse"
kill -0 "$DAEMON_PID" || fail "daemon died"
pass "hostile clients"

# Telling the kernel: the order is published as oom_score_adj (raising is
# allowed here; what the kernel refuses is counted with the reason).
written=$(ctl status --json | sed -n 's/.*"kernel_adj":{"publishing":[a-z]*,"written":\([0-9]*\),.*/\1/p')
[ -n "$written" ] || fail "status --json does not report the published oom_score_adj values"
ctl status | grep -q "^kernel:       $written oom_score_adj values published" || fail "status text: kernel line"
# Without CAP_SYS_RESOURCE (this host) nothing is published: a raised value
# could not be put back.
if ! grep -q '^CapEff:.*' /proc/self/status || [ $(( 0x$(sed -n 's/^CapEff:\t//p' /proc/self/status) >> 24 & 1 )) = 0 ]; then
        [ "$written" = 0 ] || fail "published $written values without CAP_SYS_RESOURCE"
        grep -q "not publishing the ranking as oom_score_adj" "$LOG" || fail "no log line saying it does not publish"
fi
pass "status reports $written oom_score_adj values published"

stop_daemon
[ ! -e "$SOCK" ] || fail "socket left behind after SIGTERM"
if [ "$written" -gt 0 ]; then
        grep -q "restored [0-9]* oom_score_adj values" "$LOG" || fail "published values not restored at exit"
        pass "published values restored at exit"
fi
pass "SIGTERM: clean exit"
echo "daemon: all passed"
