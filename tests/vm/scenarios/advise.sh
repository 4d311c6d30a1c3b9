#!/bin/sh
# SPDX-License-Identifier: MIT
#
# advise: triaged --advise-only kills nothing but publishes its order as
# oom_score_adj; when memory runs out the kernel's own OOM killer kills the
# activity triage ranks first (here the user application used longest ago,
# not the biggest process).
# shellcheck source=../lib.sh
. /vmtest/lib.sh

printf '[policy]\nrecent = 500ms\nage_unit = 1s\n' >"$VMT_DIR/triage.conf"
oom_before=$(vmstat_get oom_kill)
start_triaged --advise-only -c "$VMT_DIR/triage.conf"
focus() { triagectl -s "$TRIAGE_SOCKET" focus "$1" >/dev/null || fail "focus $1"; }

start_hold a 16 -u 1000
a=$HOLD_PID
focus "$a"
start_hold b 16 -u 1000
b=$HOLD_PID
focus "$b"
sleep 5
start_hold c 48 -u 1000
c=$HOLD_PID
focus "$c"

start_hog hog 20
hog_pid=$HOG_PID
wait_dead "$a" 60 || fail "a (pid $a), ranked first, was not killed"
grep "${TRIAGED_LINE}kill pid=" "$TRIAGED_LOG" | grep -v "dry-run" && fail "triaged killed in advise-only mode"
[ "$(vmstat_get oom_kill)" != "$oom_before" ] || fail "a died but not by the kernel OOM killer"
first=$(dmesg | sed -n 's/.*Killed process \([0-9]*\) .*/\1/p' | head -n 1)
[ "$first" = "$a" ] || fail "the kernel killed pid $first first, not a (pid $a; b=$b c=$c hog=$hog_pid)"
dmesg | grep "Killed process $a "
kill -9 "$hog_pid" 2>/dev/null
pass
