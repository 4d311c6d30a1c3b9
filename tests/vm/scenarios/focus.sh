#!/bin/sh
# SPDX-License-Identifier: MIT
#
# focus: with CAP_SYS_RESOURCE triaged publishes its order as oom_score_adj,
# and a focus change is published at once (within a second), not at the
# next 30 s survey: the focused application gets the lower value, and when
# the focus moves to the other one the values swap.
# shellcheck source=../lib.sh
. /vmtest/lib.sh

start_triaged -v
start_hold a 8 -u 1000
a=$HOLD_PID
start_hold b 8 -u 1000
b=$HOLD_PID
adj() { cat "/proc/$1/oom_score_adj"; }

# focus PID: reports it, and waits for the survey it causes to publish.
focus() {
        triagectl -s "$TRIAGE_SOCKET" focus "$1" >/dev/null || fail "focus $1"
        wait_for_line "$TRIAGED_LOG" "ranking published again after the focus moved to pid $1\$" 10 "$TRIAGED_PID" ||
                fail "no survey after the focus moved to pid $1"
}

focus "$a"
info "focus on a: adj a=$(adj "$a") b=$(adj "$b")"
[ "$(adj "$a")" -lt "$(adj "$b")" ] || fail "focused a (pid $a) does not rank below b: $(adj "$a") >= $(adj "$b")"
focus "$b"
info "focus on b: adj a=$(adj "$a") b=$(adj "$b")"
[ "$(adj "$b")" -lt "$(adj "$a")" ] || fail "focused b (pid $b) does not rank below a: $(adj "$b") >= $(adj "$a")"
pass
