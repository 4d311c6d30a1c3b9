#!/bin/sh
# SPDX-License-Identifier: MIT
#
# boot: the guest is what the other scenarios assume. PSI is there and
# readable, cgroup v2 alone is mounted with the memory controller enabled
# for children, /proc/vmstat counts OOM kills, the workload programs run and
# can set their oom_score_adj, and triaged and triagectl start (which proves
# that every shared library they need is in the image).
# shellcheck source=../lib.sh
. /vmtest/lib.sh

[ -r /proc/pressure/memory ] || fail "no /proc/pressure/memory"
# With psi=0 the file exists but reading it fails with EOPNOTSUPP.
grep -q '^some avg10=' /proc/pressure/memory || fail "/proc/pressure/memory unreadable (PSI disabled?)"

grep -q '^cgroup2 /sys/fs/cgroup cgroup2 ' /proc/mounts || fail "cgroup2 not mounted at /sys/fs/cgroup"
if grep -q ' cgroup ' /proc/mounts; then
        fail "a cgroup v1 hierarchy is mounted"
fi
grep -qw memory /sys/fs/cgroup/cgroup.controllers || fail "no memory controller in cgroup2"
grep -qw memory /sys/fs/cgroup/cgroup.subtree_control || fail "memory not in cgroup.subtree_control"

[ -n "$(vmstat_get oom_kill)" ] || fail "/proc/vmstat has no oom_kill"
[ "$(meminfo_kib SwapTotal)" = 0 ] || fail "the guest has swap"

start_hold hold 4 -a 123 -n boothold
[ "$(cat "/proc/$HOLD_PID/oom_score_adj")" = 123 ] || fail "hold did not set oom_score_adj 123"
[ "$(cat "/proc/$HOLD_PID/comm")" = boothold ] || fail "hold did not set its name"
kill "$HOLD_PID"
wait "$HOLD_PID"

version=$(triaged --version 2>&1) || fail "triaged --version failed: $version"
[ -n "$version" ] || fail "triaged --version printed nothing"
info "triaged --version: $version"

# triagectl has no daemon to talk to here; what matters is that the loader
# found its libraries: 127 (not found) or 126 (cannot execute) says not.
triagectl --help >/dev/null 2>&1
rc=$?
case $rc in
126 | 127) fail "triagectl cannot run (exit $rc)" ;;
esac

info "kernel $(uname -r), MemTotal $(meminfo_kib MemTotal) kB, up $(uptime_sec) s"
pass
