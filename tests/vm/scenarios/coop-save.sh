#!/bin/sh
# SPDX-License-Identifier: MIT
#
# coop-save: a registered application (examples/notes over libtriage)
# holding unsaved text is the victim when memory turns critical; it is
# asked to save and close, saves the complete text and exits by itself;
# the record says "saved, closed by itself"; the kernel OOM killer never
# acts.
# shellcheck source=../lib.sh
. /vmtest/lib.sh

LINES=200
NOTES=$VMT_DIR/notes.txt
oom_before=$(vmstat_get oom_kill)
start_triaged

# notes is made the victim: 24 MiB of ballast and oom_score_adj 1000.
mkfifo "$VMT_DIR/notes.in"
sh -c 'echo 1000 > /proc/self/oom_score_adj && exec notes -o "$1" -b 24' sh "$NOTES" \
        <"$VMT_DIR/notes.in" >"$VMT_DIR/notes.out" 2>&1 &
notes_pid=$!
exec 3>"$VMT_DIR/notes.in"
wait_for_line "$VMT_DIR/notes.out" '^notes: registered' 20 "$notes_pid" || fail "notes did not register"
i=1
while [ "$i" -le "$LINES" ]; do
        echo "line $i of the notes" >&3
        i=$((i + 1))
done
exec 3>&-
wait_for_line "$VMT_DIR/notes.out" "^notes: end of input, holding $LINES lines" 20 "$notes_pid" ||
        fail "notes did not read its $LINES lines"
[ -e "$NOTES" ] && fail "notes saved before it was asked to"

start_hog hog 20
hog_pid=$HOG_PID
wait_dead "$notes_pid" 60 || fail "notes (pid $notes_pid) still alive 60 s after the hog started"
wait "$notes_pid"
notes_status=$?
info "notes exited with status $notes_status at $(uptime_sec) s"

[ "$notes_status" = 0 ] || fail "notes did not exit by itself (status $notes_status: killed?)"
grep -q '^notes: closing' "$VMT_DIR/notes.out" || fail "notes never said it was closing"
[ "$(wc -l <"$NOTES")" = "$LINES" ] || fail "the saved file has $(wc -l <"$NOTES") lines, not $LINES"
[ "$(tail -n 1 "$NOTES")" = "line $LINES of the notes" ] || fail "the saved file does not end with the last line"

record=$(triagectl -s "$TRIAGE_SOCKET" history --json | grep "\"pid\":$notes_pid,") ||
        fail "no record for notes (pid $notes_pid)"
echo "$record" | grep -q '"outcome":"closed-by-itself"' || fail "record does not say closed by itself: $record"
echo "$record" | grep -q '"client":{"name":"notes","saved":true,"state_ref":"'"$NOTES"'"}' ||
        fail "record does not say saved to $NOTES: $record"

# The hog goes next, by triaged, not by the kernel.
wait_dead "$hog_pid" 60 || fail "the hog (pid $hog_pid) still alive"
[ "$(vmstat_get oom_kill)" = "$oom_before" ] || fail "the kernel OOM killer acted"
is_alive "$TRIAGED_PID" || fail "triaged died"
grep "${TRIAGED_LINE}kill pid=$notes_pid " "$TRIAGED_LOG"
pass
