#!/usr/bin/env bash
# NUMA node-set domains through the real daemon and its control socket:
#  1. on this machine: [domain n0] nodes = 0 starts (dry run), shows in
#     triagectl status with node 0's MemTotal (plus swap) as allowable, and a
#     cpuset domain on the root cpuset shows the cpuset's nodes;
#  2. on a four-node fixture (--proc-root/--sys-root on a scratch copy of
#     tests/fixtures/numa-4node): the exact figures of the fixture, a cpuset
#     whose nodes change is followed, and starving two nodes raises the
#     level of their domain only;
#  3. a node that does not exist, or a domain that is two things at once,
#     stops the daemon at start with the reason.
# Skipped (exit 77) where there is no /sys/devices/system/node.
# Usage: nodes.sh TRIAGED TRIAGECTL
set -euo pipefail
TRIAGED=$1 TRIAGECTL=$2
FIXTURE=$(cd "$(dirname "$0")/../fixtures/numa-4node" && pwd)
NODES=/sys/devices/system/node
WORK=$(mktemp -d /tmp/triage-it.XXXXXX)
SOCK=$WORK/control.sock
. "$(dirname "$0")/lib.sh"
trap 'stop_daemon; rm -rf "$WORK"' EXIT

if [ ! -r $NODES/node0/meminfo ]; then
        echo "SKIP: no $NODES/node0/meminfo"
        exit 77
fi
ctl() { "$TRIAGECTL" -s "$SOCK" "$@"; }

# domain_json NAME: the domain's object in status --json.
domain_json() {
        ctl status --json | grep -o "{\"name\":\"$1\",\"kind\":\"[a-z0-9-]*\"[^}]*" || true
}
json_number() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }

# node_memtotal N: MemTotal of node N in KiB.
node_memtotal() { awk '$3 == "MemTotal:" { print $4 }' "$NODES/node$1/meminfo"; }

# expand_list "0-2,5": 0 1 2 5
expand_list() {
        local part
        local -a parts
        IFS=, read -ra parts <<<"$1"
        for part in "${parts[@]}"; do
                if [[ $part == *-* ]]; then seq "${part%-*}" "${part#*-}"; else echo "$part"; fi
        done
}

swap_total=$(awk '$1 == "SwapTotal:" { print $2 }' /proc/meminfo)

# ---- 1. this machine ------------------------------------------------------
cat > "$WORK/triage.conf" <<CONF
[daemon]
dry_run = yes
[clients]
socket = $WORK/app.sock
bus = no
[domains]
auto_cgroups = no
[domain n0]
nodes = 0
CONF
# The root cpuset, where there is one (v2: the controller is listed at the
# root; v1: its own hierarchy).
has_cpuset=no
if grep -qw cpuset /sys/fs/cgroup/cgroup.controllers 2>/dev/null ||
        grep -qw cpuset /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null ||
        [ -r /sys/fs/cgroup/cpuset/cpuset.mems ]; then
        has_cpuset=yes
        printf '[domain cs]\ncpuset = /\n' >> "$WORK/triage.conf"
fi
start_daemon -c "$WORK/triage.conf" -s "$SOCK" --no-mlock --dry-run
grep -q 'domain n0 (nodes): allowable' "$LOG" || fail "domain n0 not started"
ctl status | grep -q '^domain n0 (nodes)$' || fail "status does not show domain n0: $(ctl status)"
ctl status | grep -q '^  watch:      nodes 0, with the system domain, headroom timer' || fail "status: watch of n0"

json=$(domain_json n0)
allowable=$(json_number allowable_kib <<<"$json")
available=$(json_number available_kib <<<"$json")
expected=$(($(node_memtotal 0) + swap_total))
[ "$allowable" = "$expected" ] || fail "n0: allowable $allowable KiB, node 0's MemTotal + swap is $expected"
[ "$available" -gt 0 ] && [ "$available" -le "$allowable" ] || fail "n0: available $available of $allowable"
pass "domain n0: allowable $allowable KiB = node 0's MemTotal + SwapTotal, available $available KiB"

# Candidates: the processes that may allocate only on node 0. This shell is
# one exactly when its Mems_allowed_list is "0".
mems=$(awk '$1 == "Mems_allowed_list:" { print $2 }' /proc/$$/status)
if [ "$mems" = 0 ]; then
        ctl --domain n0 rank --processes --json | grep -q "\"pid\":$$," ||
                fail "n0: this shell (Mems_allowed_list 0) is not a candidate"
else
        ctl --domain n0 rank --processes --json | grep -q "\"pid\":$$," &&
                fail "n0: this shell (Mems_allowed_list $mems) is a candidate"
fi
ctl --domain n0 rank | grep -q "^domain n0: allowable " || fail "rank of domain n0"
pass "domain n0 ranks the processes bound to node 0 (this shell: nodes $mems)"

if [ $has_cpuset = yes ]; then
        watch=$(ctl status | sed -n '/^domain cs (nodes)$/,/^  watch:/s/^  watch:      //p')
        [ -n "$watch" ] || fail "status does not show domain cs"
        file=$(sed -n 's/^nodes [0-9,-]* (\([^)]*\)).*/\1/p' <<<"$watch")
        list=$(sed -n 's/^nodes \([0-9,-]*\) .*/\1/p' <<<"$watch")
        [ -r "/sys/$file" ] || fail "cs: watch '$watch' names no readable file"
        [ "$(tr -d '\n' < "/sys/$file")" = "$list" ] || fail "cs: nodes $list, /sys/$file says $(cat "/sys/$file")"
        expected=$swap_total
        for n in $(expand_list "$list"); do expected=$((expected + $(node_memtotal "$n"))); done
        allowable=$(domain_json cs | json_number allowable_kib)
        [ "$allowable" = "$expected" ] || fail "cs: allowable $allowable KiB, its nodes' MemTotal + swap is $expected"
        pass "domain cs: the root cpuset's nodes $list (from /sys/$file), allowable $allowable KiB"
fi

# A reload keeps the node domains.
kill -HUP "$DAEMON_PID"
wait_log 'configuration reloaded' || fail "reload"
ctl status | grep -q '^domain n0 (nodes)$' || fail "domain n0 gone after a reload"
pass "reload keeps domain n0"
stop_daemon

# ---- 2. four nodes (a scratch copy of the fixture) ------------------------
cp -r "$FIXTURE" "$WORK/fx"
FX=$WORK/fx
cat > "$WORK/triage.conf" <<CONF
[daemon]
dry_run = yes
[clients]
socket = $WORK/app.sock
bus = no
[domains]
auto_cgroups = no
[domain n23]
nodes = 2-3
[domain web]
cpuset = /web
[domain n1]
nodes = 1
CONF
start_daemon -c "$WORK/triage.conf" -s "$SOCK" --no-mlock --dry-run --proc-root "$FX/proc" --sys-root "$FX/sys"

# figures (KiB) worked out in tests/fixtures/numa-4node/README
check_figures() { # NAME ALLOWABLE AVAILABLE
        local json
        json=$(domain_json "$1")
        [ "$(json_number allowable_kib <<<"$json")" = "$2" ] &&
                [ "$(json_number available_kib <<<"$json")" = "$3" ] ||
                fail "domain $1: expected allowable $2 and available $3: $json"
}
check_figures n23 18874368 6831104
check_figures web 18874368 6831104
check_figures n1 6291456 3538944
ctl status | grep -q '^  watch:      nodes 2-3 (fs/cgroup/cpuset/web/cpuset.effective_mems)' ||
        fail "status: watch of web"
pass "four nodes: nodes 2-3 and cpuset /web have 18874368 KiB allowable, 6831104 available; node 1 6291456, 3538944"

# The cpuset moves to node 1 (written in place, as the kernel's file changes).
echo 1 > "$FX/sys/fs/cgroup/cpuset/web/cpuset.effective_mems"
wait_log 'domain web: fs/cgroup/cpuset/web/cpuset.effective_mems now allows nodes 1' ||
        fail "the change of the cpuset's nodes was not followed"
check_figures web 6291456 3538944
ctl status | grep -q '^  watch:      nodes 1 (fs/cgroup/cpuset/web/cpuset.effective_mems)' ||
        fail "status: watch of web after the change"
pass "cpuset /web moved to node 1: followed"

# Nodes 2 and 3 run out (nothing free, no cache): only their domain rises.
for n in 2 3; do
        sed -E 's/^(Node [0-9]+ (MemFree|Active\(file\)|Inactive\(file\)|KReclaimable): +)[0-9]+/\10/' \
                "$FX/sys/devices/system/node/node$n/meminfo" > "$WORK/meminfo"
        cat "$WORK/meminfo" > "$FX/sys/devices/system/node/node$n/meminfo"
done
# available: 0 of the nodes + 1 GiB of free swap: below critical (1843 MiB)
wait_log 'domain n23: level normal -> critical' || fail "n23 did not reach critical"
check_figures n23 18874368 1048576
ctl status | sed -n '/^domain n1 (nodes)$/,/level:/p' | grep -q 'level:      normal' || fail "n1 left normal"
ctl status | sed -n '/^domain web (nodes)$/,/level:/p' | grep -q 'level:      normal' || fail "web left normal"
pass "nodes 2-3 starved: domain n23 critical, nodes 1 and cpuset /web normal"
stop_daemon

# ---- 3. refused at start ---------------------------------------------------
absent=
for n in $(seq 0 63); do [ -e "$NODES/node$n" ] || { absent=$n; break; }; done
if [ -n "$absent" ]; then
        printf '[clients]\nsocket = %s\nbus = no\n[domain far]\nnodes = %s\n' "$WORK/app.sock" "$absent" > "$WORK/triage.conf"
        rc=0
        out=$(timeout 20 "$TRIAGED" -c "$WORK/triage.conf" -s "$SOCK" --no-mlock --dry-run 2>&1) || rc=$?
        [ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "started with node $absent, which does not exist (rc $rc)"
        grep -q "domain far: cannot open the meminfo of nodes $absent (no such node)" <<<"$out" ||
                fail "no reason given: $out"
        pass "a node that does not exist ($absent): refused with the reason"
fi

printf '[domain x]\nnodes = 0\ncpuset = /\n' > "$WORK/triage.conf"
rc=0
out=$(timeout 20 "$TRIAGED" -c "$WORK/triage.conf" -s "$SOCK" --no-mlock --dry-run 2>&1) || rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "started with a domain that is nodes and a cpuset (rc $rc)"
grep -q "$WORK/triage.conf:3: conflicting keys 'cpuset' and 'nodes' in section \[domain x\]" <<<"$out" ||
        fail "conflict not reported with file:line: $out"
pass "a domain with both nodes and cpuset: refused with file:line"
echo "nodes: all passed"
