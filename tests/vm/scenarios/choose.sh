#!/bin/sh
# SPDX-License-Identifier: MIT
#
# choose: freeze and choose on pure cgroup v2 with full capabilities. The
# application in use (F, a hold in its own app-f.scope) is frozen through
# cgroup.freeze while `triagectl choose --plain` offers the candidates of
# a 128 MiB box under pressure; the person picks notes, which is not the
# policy's first choice (A, oom_score_adj 1000). notes alone gets
# save-and-close, saves and exits; F's cgroup.events says "frozen 1" during
# the choice and "frozen 0" after it, and F runs again; A lives.
# shellcheck source=../lib.sh
. /vmtest/lib.sh

box=/sys/fs/cgroup/box
fscope=$box/app-f.scope
NOTES=$VMT_DIR/notes.txt

mkdir "$box" "$fscope" || fail "cannot create $box and $fscope"
echo 128M >"$box/memory.max" || fail "cannot set $box/memory.max"
[ -f "$box/memory.swap.max" ] && echo 0 >"$box/memory.swap.max"
cat >"$VMT_DIR/triage.conf" <<EOF
[clients]
grace = 5s
choose_timeout = 60s
[domains]
auto_cgroups = no
# The hog makes the pressure and must not be the victim.
[rule hog]
name = hog
protect = yes
EOF
start_triaged -v -c "$VMT_DIR/triage.conf" -d box=/box

# The chooser, answering from a fifo.
mkfifo "$VMT_DIR/choose.in"
triagectl choose --plain --once <"$VMT_DIR/choose.in" >"$VMT_DIR/choose.out" 2>&1 &
chooser_pid=$!
exec 3>"$VMT_DIR/choose.in"
wait_for_line "$TRIAGED_LOG" "chooser triagectl-choose (pid $chooser_pid, uid 0) registered" 20 "$chooser_pid" ||
        fail "triagectl choose did not register"

spawn_in_cgroup "$fscope" f hold -u 1000 8
f_pid=$SPAWN_PID
spawn_in_cgroup "$box" a hold -u 1000 -a 1000 24
a_pid=$SPAWN_PID
mkfifo "$VMT_DIR/notes.in"
# (notes's shell opens the fifo, and waits there until it is opened below.)
SPAWN_IN=$VMT_DIR/notes.in
spawn_in_cgroup "$box" notes notes -o "$NOTES" -b 16
notes_pid=$SPAWN_PID
SPAWN_IN=
exec 4>"$VMT_DIR/notes.in"
echo "a line that must survive" >&4
for n in f a; do
        wait_for_line "$VMT_DIR/$n.out" '^hold ready' 20 || fail "hold $n not ready"
done
wait_for_line "$VMT_DIR/notes.out" '^notes: registered' 20 "$notes_pid" || fail "notes did not register"
triagectl -s "$TRIAGE_SOCKET" focus "$f_pid" >/dev/null || fail "focus $f_pid"
info "F pid $f_pid in $fscope, A pid $a_pid, notes pid $notes_pid"

# Pressure: a hog stopping with ~9 MiB of the box left, below critical
# (10%: 12.8 MiB) and above the emergency floor (5%: 6.4 MiB).
used_kib=$(($(cat "$box/memory.current") / 1024 - $(cgroup_key "$box/memory.stat" inactive_file) / 1024))
start_hog_in_cgroup "$box" hog -m $(((128 * 1024 - 9 * 1024 - used_kib) / 1024)) 20

wait_for_line "$VMT_DIR/choose.out" '^pick 1-' 40 "$chooser_pid" || fail "no choice offered"
cat "$VMT_DIR/choose.out"
line=$(grep -E "^  [0-9]+  notes  pid $notes_pid " "$VMT_DIR/choose.out") || fail "notes is not offered"
case $line in *recommended*) fail "notes is the policy's choice; the test needs another: $line" ;; esac
grep -E "^  [0-9]+  hold  pid $a_pid .*recommended" "$VMT_DIR/choose.out" >/dev/null ||
        fail "A (pid $a_pid) is not the policy's choice"
grep -E "^  [0-9]+  .*  pid $f_pid .*  frozen" "$VMT_DIR/choose.out" >/dev/null ||
        fail "F (pid $f_pid) is not shown frozen"
# Frozen by cgroup v2: the kernel says so in cgroup.events.
wait_for_line "$TRIAGED_LOG" "cgroup-v2 $fscope frozen" 10 || fail "triaged did not freeze F by cgroup v2"
[ "$(cgroup_key "$fscope/cgroup.events" frozen)" = 1 ] || fail "$fscope is not frozen: $(cat "$fscope/cgroup.events")"
info "F frozen during the choice: $(tr '\n' ' ' <"$fscope/cgroup.events")"

num=$(echo "$line" | awk '{ print $1 }')
echo "$num" >&3
wait_for_line "$TRIAGED_LOG" "the user picked notes (pid $notes_pid)" 10 || fail "the pick did not reach triaged"
wait_for_line "$TRIAGED_LOG" "kill pid=$notes_pid comm=notes .*outcome=closed-by-itself" 30 ||
        fail "notes did not close by itself"
[ "$(cgroup_key "$fscope/cgroup.events" frozen)" = 0 ] || fail "$fscope still frozen: $(cat "$fscope/cgroup.events")"
grep -qx "a line that must survive" "$NOTES" || fail "notes did not save its text"
is_alive "$a_pid" || fail "the policy's choice (pid $a_pid) died too"
is_alive "$f_pid" || fail "the frozen application (pid $f_pid) died"
[ "$(proc_state "$f_pid")" != T ] || fail "F (pid $f_pid) is stopped"
[ "$(grep -c "kill pid=" "$TRIAGED_LOG")" = 1 ] || fail "not exactly one kill: $(grep "kill pid=" "$TRIAGED_LOG")"
triagectl -s "$TRIAGE_SOCKET" history --json | grep "\"pid\":$notes_pid," | grep -q '"decided_by":"person"' ||
        fail "the record does not say the person decided"
exec 3>&- 4>&-
pass
