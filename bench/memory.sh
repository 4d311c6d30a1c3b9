#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Resident and locked memory of an idle triaged, and its idle wake-ups:
#
#   bench/memory.sh BUILD_DIR [IDLE_SECONDS]
#
# Starts BUILD_DIR/src/triaged in dry-run mode (it never signals anything)
# with --no-auto-domains, a private control socket and a temporary config,
# waits for its "ready" log line, then reports VmRSS, VmLck, VmHWM (and
# VmSize, RssAnon, RssFile) from /proc/PID/status, counts its context
# switches over IDLE_SECONDS (default 10) of idleness (an idle daemon should
# not wake up at all), then asks it for one full ranking with
# `triagectl rank --all` and reports the figures again. Stops it with
# SIGTERM (SIGKILL after 5 s) on every path. Not a test: it prints figures
# for bench/README.md.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
        echo "usage: $0 BUILD_DIR [IDLE_SECONDS]" >&2
        exit 2
fi
build=$1
idle=${2:-10}
daemon=$build/src/triaged
if [ ! -x "$daemon" ]; then
        echo "memory.sh: $daemon not built (ninja -C $build src/triaged)" >&2
        exit 1
fi

tmp=$(mktemp -d /tmp/triage-memory.XXXXXX)
pid=
cleanup() {
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
                kill -TERM "$pid" 2>/dev/null || true
                for _ in $(seq 50); do
                        kill -0 "$pid" 2>/dev/null || break
                        sleep 0.1
                done
                kill -KILL "$pid" 2>/dev/null || true
                wait "$pid" 2>/dev/null || true
        fi
        rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$tmp/triage.conf" <<CONF
[daemon]
dry_run = yes
CONF

"$daemon" --dry-run --no-auto-domains -s "$tmp/control.sock" -c "$tmp/triage.conf" 2>"$tmp/log" &
pid=$!

# Wait for "ready" (at most 10 s); a script may poll, the daemon may not.
for _ in $(seq 100); do
        grep -q 'ready' "$tmp/log" && break
        if ! kill -0 "$pid" 2>/dev/null; then
                echo "memory.sh: triaged exited before it was ready:" >&2
                cat "$tmp/log" >&2
                exit 1
        fi
        sleep 0.1
done
if ! grep -q 'ready' "$tmp/log"; then
        echo "memory.sh: no 'ready' line after 10 s:" >&2
        cat "$tmp/log" >&2
        exit 1
fi

field() {
        sed -n "s/^$1:[[:space:]]*//p" "/proc/$pid/status"
}
switches() {
        local v n
        v=$(field voluntary_ctxt_switches)
        n=$(field nonvoluntary_ctxt_switches)
        echo $((v + n))
}

echo "triaged $pid: $(grep -m1 'ready' "$tmp/log" | sed 's/^.*ready/ready/')"
echo "kernel $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%d)"
for k in VmRSS VmLck VmHWM VmSize RssAnon RssFile; do
        printf '  %-8s %s\n' "$k:" "$(field "$k")"
done

before=$(switches)
sleep "$idle"
after=$(switches)
printf '  %-8s %d context switches in %d s idle (%s per second)\n' "wakeups:" \
        $((after - before)) "$idle" "$(awk -v n=$((after - before)) -v s="$idle" 'BEGIN { printf "%.2f", n / s }')"

if ! kill -0 "$pid" 2>/dev/null; then
        echo "memory.sh: triaged died while idle:" >&2
        cat "$tmp/log" >&2
        exit 1
fi

# One full scan and ranking of every process (what a critical level does),
# through the control socket: the working set after real work.
ctl=$build/src/ctl/triagectl
if [ -x "$ctl" ]; then
        if "$ctl" -s "$tmp/control.sock" rank --all >/dev/null 2>"$tmp/ctl.err"; then
                echo "after one 'triagectl rank --all' ($(ls /proc | grep -c '^[0-9]') processes on the machine):"
                for k in VmRSS VmLck VmHWM; do
                        printf '  %-8s %s\n' "$k:" "$(field "$k")"
                done
        else
                echo "memory.sh: triagectl rank failed: $(cat "$tmp/ctl.err")" >&2
                exit 1
        fi
fi
