#!/bin/sh
# SPDX-License-Identifier: MIT
#
# protect: a process a rule protects survives although it is the biggest
# candidate, while bigger-growing ones die.
# shellcheck source=../lib.sh
. /vmtest/lib.sh

printf '[rule keeper]\nname = keeper\nprotect = yes\n' >"$VMT_DIR/triage.conf"
oom_before=$(vmstat_get oom_kill)
start_triaged -c "$VMT_DIR/triage.conf"

# The keeper: 48 MiB and oom_score_adj 1000, the kernel's first choice.
start_hold keeper 48 -n keeper -a 1000
keeper=$HOLD_PID
start_hold other 24 -u 1000
other=$HOLD_PID
triagectl -s "$TRIAGE_SOCKET" why "$keeper" | grep -q "never killed: rule" || fail "keeper is not shown as protected"

start_hog hog 20
hog_pid=$HOG_PID
wait_dead "$hog_pid" 40 || fail "the hog was not killed"
is_alive "$keeper" || fail "the protected keeper (pid $keeper) was killed"
grep "${TRIAGED_LINE}kill pid=$keeper " "$TRIAGED_LOG" && fail "triaged killed the keeper"
[ "$(vmstat_get oom_kill)" = "$oom_before" ] || fail "the kernel OOM killer acted"
info "other (pid $other) $(is_alive "$other" && echo alive || echo killed)"
pass
