#!/bin/sh
# SPDX-License-Identifier: MIT
#
# badness: the score triage computes for each process equals the kernel's
# own /proc/PID/oom_score. Four `hold` processes of different sizes and
# oom_score_adj values give known, distinct scores; every candidate that
# `triagectl rank --all --json` lists and that is still alive is compared,
# and the allowable memory must be the kernel's (RAM + swap, no limit).
# shellcheck source=../lib.sh
. /vmtest/lib.sh

start_hold h8 8 -a 0
pid8=$HOLD_PID
start_hold h32 32 -a 500
pid32=$HOLD_PID
start_hold h16 16 -a -500
pid16=$HOLD_PID
start_hold h4 4 -a 1000
pid4=$HOLD_PID

start_triaged

rank=$VMT_DIR/rank.json
triagectl -s "$TRIAGE_SOCKET" rank --processes --all --json >"$rank" 2>"$VMT_DIR/triagectl.err" &
ctl_pid=$!
wait "$ctl_pid" || fail "triagectl rank --processes --all --json failed: $(cat "$VMT_DIR/triagectl.err")"
info "rank: $(wc -l <"$rank") lines"

# The system domain: the kernel's allowable memory is totalram + swap pages,
# i.e. MemTotal + SwapTotal.
allowable=$(sed -n 's/.*"allowable_kib": *\([0-9]*\).*/\1/p' "$rank" | head -n 1)
want_allowable=$(($(meminfo_kib MemTotal) + $(meminfo_kib SwapTotal)))
[ "$allowable" = "$want_allowable" ] ||
        fail "allowable_kib '$allowable', want MemTotal + SwapTotal = $want_allowable"

# One candidate object per line: take its "pid" and "score" members (the
# leading [{,] keeps "oom_score" or "score_adj" keys from matching).
compared=0
mismatches=
holds_seen=
while read -r line; do
        pid=$(echo "$line" | sed -n 's/.*[{,] *"pid": *\([0-9]*\) *[,}].*/\1/p')
        score=$(echo "$line" | sed -n 's/.*[{,] *"score": *\(-\{0,1\}[0-9]*\) *[,}].*/\1/p')
        [ -n "$pid" ] || continue
        [ -n "$score" ] || fail "candidate without a score: $line"
        [ "$pid" = "$ctl_pid" ] && continue
        # A process that exited since the scan has nothing to compare to.
        kernel=$(cat "/proc/$pid/oom_score" 2>/dev/null) || continue
        is_alive "$pid" || continue
        compared=$((compared + 1))
        if [ "$score" != "$kernel" ]; then
                mismatches="$mismatches pid $pid ($(cat "/proc/$pid/comm" 2>/dev/null)): triage $score kernel $kernel;"
        elif [ "$score" != 0 ]; then
                # Kernel threads all score 0: show only the telling ones.
                info "pid $pid $(cat "/proc/$pid/comm"): score $score = oom_score"
        fi
        case " $pid8 $pid32 $pid16 $pid4 " in
        *" $pid "*) holds_seen="$holds_seen $pid" ;;
        esac
done <"$rank"

[ -z "$mismatches" ] || fail "score differs from /proc/PID/oom_score:$mismatches"
for pid in $pid8 $pid32 $pid16 $pid4; do
        case "$holds_seen " in
        *" $pid "*) ;;
        *) fail "hold pid $pid is not among the candidates ($compared compared)" ;;
        esac
done
[ "$compared" -ge 4 ] || fail "only $compared processes compared"
info "$compared scores equal /proc/PID/oom_score"
pass
