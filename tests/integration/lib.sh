# Shared by the integration tests: start triaged with its stderr on a pipe
# and wait for log lines as they are written (no sleeping, no polling: a
# blocking read with a timeout that only bounds a broken daemon).

fail() { echo "FAIL: $*" >&2; [ -n "${LOG:-}" ] && [ -f "$LOG" ] && sed 's/^/  log: /' "$LOG" >&2; exit 1; }
pass() { echo "ok: $*"; }

# start_daemon ARGS...: runs triaged in the background; its log is tee'd to
# $LOG and readable line by line on fd 3.
start_daemon() {
        LOG=$WORK/triaged.log
        : > "$LOG"
        exec 3< <(exec "$TRIAGED" "$@" 2>&1 | tee -a "$LOG")
        DAEMON_PIPE_PID=$!
        wait_log 'triaged: ready' || fail "triaged did not become ready"
        DAEMON_PID=$(sed -n 's/^triaged [^,]*, pid \([0-9]*\),.*/\1/p' <("$TRIAGECTL" -s "$SOCK" status))
        [ -n "$DAEMON_PID" ] || fail "no daemon pid from triagectl status"
}

# wait_log PATTERN [SECONDS]: reads log lines from fd 3 until one matches
# (grep -E). Returns 1 on timeout or end of the log.
wait_log() {
        local line
        while IFS= read -r -t "${2:-20}" line <&3; do
                if printf '%s\n' "$line" | grep -qE -- "$1"; then
                        MATCHED=$line
                        return 0
                fi
        done
        return 1
}

stop_daemon() {
        [ -n "${DAEMON_PID:-}" ] || return 0
        kill -TERM "$DAEMON_PID" 2>/dev/null || true
        wait_log 'received Terminated, exiting' 10 || true
        # The reader sees end-of-file when the daemon has closed stderr.
        while IFS= read -r -t 10 _ <&3; do :; done
        DAEMON_PID=
}

# read_until FD REGEX [SECONDS]: reads lines from FD (a program's output),
# appending each to $WORK/out, until one matches the bash regular
# expression REGEX; its groups are left in BASH_REMATCH. Returns 1 on
# timeout or end of file.
read_until() {
        local line
        while IFS= read -r -t "${3:-20}" line <&"$1"; do
                echo "$line" >> "$WORK/out"
                [[ $line =~ $2 ]] && return 0
        done
        return 1
}
