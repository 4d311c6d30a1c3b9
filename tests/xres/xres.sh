#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The X-pixmap charge against a real X server: Xvfb on a free display,
# pixmap-client holding 64 MiB of pixmaps over two connections, and
# xres-check asserting that its PID is charged 64 MiB, that the server's
# PID is reported apart, and that a stopped server makes the query time out.
# Skips (77) only when Xvfb is not installed, or when the build has no
# xcb-res (then xres.c is not built at all).
# Usage: xres.sh PIXMAP_CLIENT XRES_CHECK
#        xres.sh --no-xcb-res
set -euo pipefail

MIB=64
CONNECTIONS=2

if [ "${1:-}" = --no-xcb-res ]; then
        echo "SKIP: built without xcb and xcb-res (apt-get install libxcb1-dev libxcb-res0-dev)"
        exit 77
fi
CLIENT=$1 CHECK=$2 TRIAGED=${3:-} TRIAGECTL=${4:-}
if ! command -v Xvfb >/dev/null; then
        echo "SKIP: Xvfb is not installed (apt-get install xvfb)"
        exit 77
fi

WORK=$(mktemp -d /tmp/triage-xres.XXXXXX)
XVFB_PID= CLIENT_PID= CLIENT_IN=
fail() {
        echo "FAIL: $*" >&2
        [ -s "$WORK/xvfb.log" ] && sed 's/^/  Xvfb: /' "$WORK/xvfb.log" >&2
        exit 1
}
DAEMON_PID=
cleanup() {
        [ -n "$DAEMON_PID" ] && stop_daemon
        if [ -n "$CLIENT_PID" ]; then
                # End of file on its stdin: pixmap-client exits.
                eval "exec $CLIENT_IN>&-"
                wait "$CLIENT_PID" 2>/dev/null || true
        fi
        if [ -n "$XVFB_PID" ]; then
                # CONT first: xres-check stops the server for a moment.
                kill -CONT "$XVFB_PID" 2>/dev/null || true
                kill -TERM "$XVFB_PID" 2>/dev/null || true
                wait "$XVFB_PID" 2>/dev/null || true
        fi
        rm -rf "$WORK"
}
trap cleanup EXIT

# -displayfd: Xvfb picks a free display itself and writes its number once
# it accepts connections, so there is no race for a number and no waiting.
mkfifo "$WORK/displayfd"
Xvfb -displayfd 5 -nolisten tcp -screen 0 640x480x24 5>"$WORK/displayfd" 2>"$WORK/xvfb.log" &
XVFB_PID=$!
read -r -t 30 display_num <"$WORK/displayfd" || fail "Xvfb did not start"
export DISPLAY=":$display_num"
echo "ok: Xvfb pid $XVFB_PID on $DISPLAY"

base_rss=$(awk '/^RssAnon:/ { print $2 }' "/proc/$XVFB_PID/status")

coproc PIXMAPS { exec "$CLIENT" "$MIB" "$CONNECTIONS"; }
CLIENT_PID=$PIXMAPS_PID CLIENT_OUT=${PIXMAPS[0]} CLIENT_IN=${PIXMAPS[1]}
read -r -t 30 -u "$CLIENT_OUT" word pid || fail "pixmap-client printed nothing"
[ "$word $pid" = "pid $CLIENT_PID" ] || fail "pixmap-client says '$word $pid', its pid is $CLIENT_PID"
read -r -t 30 -u "$CLIENT_OUT" word || fail "pixmap-client is not ready"
[ "$word" = ready ] || fail "pixmap-client: '$word'"
echo "ok: pixmap-client pid $CLIENT_PID holds $MIB MiB of pixmaps over $CONNECTIONS connections"

"$CHECK" "$DISPLAY" "$CLIENT_PID" "$XVFB_PID" "$MIB" "$CONNECTIONS" "$base_rss" || fail "xres-check"

# The daemon charges the same: `triagectl why` of the client shows its
# pixmaps as memory the X server holds for it, and the server is credited
# (never charged) the same amount.
[ -n "$TRIAGED" ] || exit 0
cat >"$WORK/triage.conf" <<CONF
[daemon]
dry_run = yes
[clients]
socket = $WORK/app.sock
bus = no
[domains]
auto_cgroups = no
CONF
SOCK=$WORK/ctl.sock
# shellcheck source=../integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
start_daemon -c "$WORK/triage.conf" -s "$SOCK" --no-mlock
grep -q "X display $DISPLAY: charging X pixmaps" "$LOG" || fail "triaged does not charge X pixmaps"
why=$("$TRIAGECTL" -s "$WORK/ctl.sock" --json why "$CLIENT_PID") || fail "triagectl why $CLIENT_PID"
kib=$(sed -n 's/.*"charges":\[{"source":"x-pixmaps","peer":'"$XVFB_PID"',"kib":\([0-9]*\)}.*/\1/p' <<<"$why")
want=$((MIB * 1024))
[ -n "$kib" ] || fail "no X pixmap charge for pid $CLIENT_PID: $why"
# Within page rounding and the server's row padding (see xres-check.c).
[ "$kib" -ge "$want" ] && [ "$kib" -le $((want + want / 50)) ] || fail "charged $kib KiB, expected $want"
grep -q "\"charged_kib\":$kib," <<<"$why" || fail "charged_kib is not the pixmaps: $why"
"$TRIAGECTL" -s "$WORK/ctl.sock" why "$CLIENT_PID" | grep -q "charged:    +$kib KiB held for it by others: x-pixmaps" ||
        fail "text why does not show the charge"
echo "ok: triagectl why $CLIENT_PID: charged $kib KiB of X pixmaps"
server=$("$TRIAGECTL" -s "$WORK/ctl.sock" --json why "$XVFB_PID") || fail "triagectl why $XVFB_PID"
charged=$(sed -n 's/.*"charged_kib":\(-\{0,1\}[0-9]*\),"charges".*/\1/p' <<<"$server")
[ -n "$charged" ] && [ "$charged" -lt 0 ] || fail "the X server is charged $charged KiB (should be credited): $server"
echo "ok: the X server is credited $charged KiB, not charged"
echo "xres: all passed"
