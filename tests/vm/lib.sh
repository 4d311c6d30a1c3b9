# SPDX-License-Identifier: MIT
# shellcheck shell=sh
#
# Helpers for the VM scenarios (busybox sh). Sourced by every
# tests/vm/scenarios/NAME.sh, which runs as a child of /init with
# VMTEST_NAME set. A scenario ends with pass or fail "reason"; both print
# the one verdict line the host looks for.
#
# Waiting: the guest has no event to wait on for "a line appeared in a log
# file" or "a process died", so the helpers poll every 0.1 s, always with a
# bound, and report which bound was hit.

VMT_DIR=/tmp/vmtest
TRIAGED_LOG=$VMT_DIR/triaged.log
TRIAGE_SOCKET=/run/triage/control.sock
TRIAGED_PID=
# The start of a line of triaged's log, as a basic regular expression:
# "triaged: " and an optional priority word ("warning: ", "notice: ").
TRIAGED_LINE='^triaged: \([a-z]*: \)\{0,1\}'

mkdir -p "$VMT_DIR" /run/triage

info() {
        echo "vmtest: $*"
}

# Prints the tail of triaged's log and of every workload's output, for the
# person reading a failed run's console log.
dump_logs() {
        for f in "$VMT_DIR"/*.out; do
                [ -f "$f" ] || continue
                echo "--- $f (tail) ---"
                tail -n 10 "$f"
        done
        if [ -f "$TRIAGED_LOG" ]; then
                echo "--- $TRIAGED_LOG (tail) ---"
                tail -n 60 "$TRIAGED_LOG"
        fi
        echo "--- /proc/meminfo (head) ---"
        head -n 5 /proc/meminfo
}

# The verdict goes to the console for the host and to /tmp/vmtest.verdict
# for /init, which prints a FAIL line of its own when there is none.
pass() {
        echo "VMTEST $VMTEST_NAME PASS" | tee /tmp/vmtest.verdict
        exit 0
}

fail() {
        dump_logs
        echo "VMTEST $VMTEST_NAME FAIL: $*" | tee /tmp/vmtest.verdict
        exit 1
}

# Seconds since boot with two decimals, for log lines.
uptime_sec() {
        cut -d' ' -f1 /proc/uptime
}

# wait_for_line FILE PATTERN SECONDS [PID]: 0 once a line of FILE matches
# the basic regular expression PATTERN, 1 after SECONDS, 2 as soon as PID
# (the process writing FILE) has died without writing it.
wait_for_line() {
        _tries=$(($3 * 10))
        while [ "$_tries" -gt 0 ]; do
                if [ -f "$1" ] && grep -q -- "$2" "$1"; then
                        return 0
                fi
                if [ -n "${4:-}" ] && ! is_alive "$4"; then
                        # One last look: it may have written the line and then exited.
                        grep -q -- "$2" "$1" 2>/dev/null && return 0
                        return 2
                fi
                sleep 0.1
                _tries=$((_tries - 1))
        done
        return 1
}

# The state letter of PID from /proc/PID/stat (R, S, D, Z...), or nothing
# when it is gone. The name may contain spaces and ')', so cut after the
# last ')'.
proc_state() {
        _stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
        _stat=${_stat##*") "}
        echo "${_stat%% *}"
}

# 0 when PID exists and is not a zombie. A killed child of this shell stays
# a zombie until it is waited for, so `kill -0` alone would say alive.
is_alive() {
        case $(proc_state "$1") in
        "" | Z | X) return 1 ;;
        *) return 0 ;;
        esac
}

# wait_dead PID SECONDS: 0 once PID is dead (zombie or gone), 1 after
# SECONDS.
wait_dead() {
        _tries=$(($2 * 10))
        while [ "$_tries" -gt 0 ]; do
                is_alive "$1" || return 0
                sleep 0.1
                _tries=$((_tries - 1))
        done
        return 1
}

# The value of KEY in /proc/vmstat (e.g. oom_kill).
vmstat_get() {
        awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat
}

# The value in kB of FIELD in /proc/meminfo (e.g. MemAvailable).
meminfo_kib() {
        awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo
}

# The value of KEY in a flat-keyed cgroup file such as memory.events.
cgroup_key() {
        awk -v k="$2" '$1 == k { print $2 }' "$1"
}

# start_triaged [ARGS...]: starts triaged in the background with its log in
# TRIAGED_LOG and waits up to 30 s for "triaged: ready". Sets TRIAGED_PID.
start_triaged() {
        info "starting triaged${*:+ $*} at $(uptime_sec) s"
        triaged -s "$TRIAGE_SOCKET" "$@" </dev/null >"$TRIAGED_LOG" 2>&1 &
        TRIAGED_PID=$!
        wait_for_line "$TRIAGED_LOG" "${TRIAGED_LINE}ready" 30 "$TRIAGED_PID"
        case $? in
        0) ;;
        2) fail "triaged exited during start-up" ;;
        *) fail "triaged did not say ready within 30 s" ;;
        esac
        info "triaged (pid $TRIAGED_PID) ready at $(uptime_sec) s"
}

# Workloads run in sessions of their own (setsid): without systemd, triage
# groups processes into activities by process group, and a background job
# of this shell would otherwise be one activity with the shell itself.

# start_hold NAME MIB [ARGS...]: starts `hold ARGS MIB` with its output in
# VMT_DIR/NAME.out, waits up to 20 s for "hold ready" and sets HOLD_PID.
start_hold() {
        _name=$1
        _mib=$2
        shift 2
        setsid hold "$@" "$_mib" </dev/null >"$VMT_DIR/$_name.out" 2>&1 &
        HOLD_PID=$!
        wait_for_line "$VMT_DIR/$_name.out" "^hold ready $_mib" 20 "$HOLD_PID" ||
                fail "hold $_name ($_mib MiB $*) not ready within 20 s"
        info "hold $_name: pid $HOLD_PID, $_mib MiB $*"
}

# start_hog NAME [ARGS...] RATE: starts `hog ARGS RATE` with its output in
# VMT_DIR/NAME.out, waits up to 10 s for "hog ready" and sets HOG_PID.
start_hog() {
        _name=$1
        shift
        setsid hog "$@" </dev/null >"$VMT_DIR/$_name.out" 2>&1 &
        HOG_PID=$!
        wait_for_line "$VMT_DIR/$_name.out" '^hog ready' 10 "$HOG_PID" ||
                fail "hog $_name ($*) not ready within 10 s"
        info "hog $_name: pid $HOG_PID, $* at $(uptime_sec) s"
}

# spawn_in_cgroup CGROUP_DIR NAME CMD...: starts CMD in a session of its
# own inside CGROUP_DIR: a subshell moves itself there and then execs CMD,
# so nothing of CMD runs (or allocates) outside the cgroup. Its input is
# SPAWN_IN (default /dev/null; a fifo is opened by the child, so this does
# not wait for its writer), its output VMT_DIR/NAME.out. Sets SPAWN_PID.
spawn_in_cgroup() {
        _cg=$1
        _name=$2
        shift 2
        # shellcheck disable=SC2016 # $$ is the subshell's pid, on purpose
        setsid sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$_cg" "$@" \
                <"${SPAWN_IN:-/dev/null}" >"$VMT_DIR/$_name.out" 2>&1 &
        SPAWN_PID=$!
}

# start_hog_in_cgroup CGROUP_DIR NAME [ARGS...] RATE: like start_hog, but
# the hog starts inside CGROUP_DIR (spawn_in_cgroup).
start_hog_in_cgroup() {
        _cg=$1
        _name=$2
        shift 2
        spawn_in_cgroup "$_cg" "$_name" hog "$@"
        HOG_PID=$SPAWN_PID
        wait_for_line "$VMT_DIR/$_name.out" '^hog ready' 10 "$HOG_PID" ||
                fail "hog $_name ($*) in $_cg not ready within 10 s"
        grep -qx "$HOG_PID" "$_cg/cgroup.procs" ||
                fail "hog $_name (pid $HOG_PID) is not in $_cg"
        info "hog $_name: pid $HOG_PID in $_cg, $* at $(uptime_sec) s"
}
