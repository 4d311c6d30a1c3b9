#!/bin/sh
# SPDX-License-Identifier: MIT
#
# lru: three background applications used in a known order and a
# foreground one; under pressure triaged kills the one used longest ago
# first: not the foreground one (the biggest), and not the biggest of the
# background ones. The applications belong to a user (uid 1000), as on a
# desktop; focus reports come from `triagectl focus`, as a window manager
# would send them. [policy] makes the test's seconds count as minutes.
# shellcheck source=../lib.sh
. /vmtest/lib.sh

printf '[policy]\nrecent = 500ms\nage_unit = 1s\n' >"$VMT_DIR/triage.conf"
oom_before=$(vmstat_get oom_kill)
start_triaged -c "$VMT_DIR/triage.conf"
focus() { triagectl -s "$TRIAGE_SOCKET" focus "$1" >/dev/null || fail "focus $1"; }

start_hold a 16 -u 1000
a=$HOLD_PID
focus "$a"
start_hold b 16 -u 1000
b=$HOLD_PID
focus "$b"
# a was last used now; b and c will be used 15 s later. With a 1 s age
# unit a weighs 16 MiB * (1 + log2(1 + ~17)) ~ 83, c 18 MiB * (1 + log2(1
# + ~2)) ~ 46: the oldest goes first although c is bigger (and still
# would 30 s later: 95 against 90).
info "letting a age for 15 s"
sleep 15
start_hold c 18 -u 1000
c=$HOLD_PID
focus "$c"
start_hold d 40 -u 1000
d=$HOLD_PID
focus "$d"
triagectl -s "$TRIAGE_SOCKET" rank

# Pressure from a process triage may not kill (oom_score_adj -1000).
start_hog hog -a -1000 20
hog_pid=$HOG_PID
wait_dead "$a" 40 || fail "the oldest background application (a, pid $a) was not killed"
for p in "$b" "$c" "$d"; do
        is_alive "$p" || fail "pid $p died too (a=$a b=$b c=$c d=$d)"
done
kill -9 "$hog_pid"
record=$(triagectl -s "$TRIAGE_SOCKET" history --json | grep "\"pid\":$a,") || fail "no record for a"
echo "$record" | grep -q '"tier":"background"' || fail "a was not killed as a background activity: $record"
[ "$(vmstat_get oom_kill)" = "$oom_before" ] || fail "the kernel OOM killer acted"
echo "$record"
pass
