# shellcheck shell=bash
# Shared by the tests that need a D-Bus system bus (tests/bus/bus.sh,
# tests/integration/choose-e2e.sh): a private dbus-daemon under the system
# bus's default policy and triage's policy file, and reading a test
# program's output line by line. Needs $WORK; sourced after
# tests/integration/lib.sh (fail).

# start_test_bus SOURCE_ROOT: starts dbus-daemon on $WORK/bus.sock with
# data/org.triage.Manager1.conf; sets DBUS_PID and exports
# DBUS_SYSTEM_BUS_ADDRESS (for triaged and the clients). Returns 1 if it
# did not start.
start_test_bus() {
        local address=''
        sed -e "s|@SOCKET@|$WORK/bus.sock|" -e "s|@POLICY@|$1/data/org.triage.Manager1.conf|" \
                "$1/tests/bus/system-test.conf.in" > "$WORK/bus.conf"
        DBUS_PID=''
        { read -r address || true; read -r DBUS_PID || true; } < <(dbus-daemon \
                --config-file="$WORK/bus.conf" --fork --print-address=1 --print-pid=1)
        { [ -n "$address" ] && [ -n "$DBUS_PID" ]; } || return 1
        export DBUS_SYSTEM_BUS_ADDRESS=$address
}

# wait_line FD PATTERN [SECONDS]: reads lines from FD until one matches
# (grep -E); the line is left in MATCHED. Returns 1 on timeout or EOF.
# Every line read is kept in $WORK/lines for fail_all.
wait_line() {
        local line
        while IFS= read -r -t "${3:-20}" line <&"$1"; do
                echo "  [fd $1] $line" >> "$WORK/lines"
                if printf '%s\n' "$line" | grep -qE -- "$2"; then
                        MATCHED=$line
                        return 0
                fi
        done
        return 1
}

# next_line FD [SECONDS]: the very next line of FD, in LINE.
next_line() {
        IFS= read -r -t "${2:-20}" LINE <&"$1" || return 1
        echo "  [fd $1] $LINE" >> "$WORK/lines"
}

# fail_all MESSAGE: fail, with the lines the programs said so far.
fail_all() {
        [ -f "$WORK/lines" ] && { echo "lines read so far:" >&2; cat "$WORK/lines" >&2; }
        fail "$@"
}
