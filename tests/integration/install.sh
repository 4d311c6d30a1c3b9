#!/usr/bin/env bash
# `meson install` with a DESTDIR puts every file in place: the programs,
# the library and its header and pkg-config file, the systemd unit, the
# D-Bus policy, the commented default configuration and the man pages.
# Usage: install.sh BUILD_DIR
set -euo pipefail
BUILD=$1
DEST=$(mktemp -d /tmp/triage-install.XXXXXX)
trap 'rm -rf "$DEST"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

meson install -C "$BUILD" --destdir "$DEST" --no-rebuild --quiet >/dev/null || fail "meson install"
prefix=$(meson introspect "$BUILD" --buildoptions | python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))' 2>/dev/null ||
        echo /usr/local)
for f in sbin/triaged bin/triagectl include/triage.h; do
        [ -e "$DEST$prefix/$f" ] || fail "$prefix/$f not installed"
done
find "$DEST" -name 'libtriage.so*' | grep -q . || fail "libtriage not installed"
find "$DEST" -name 'libtriage.pc' | grep -q . || fail "libtriage.pc not installed"
find "$DEST" -name 'triaged.service' | grep -q . || fail "the systemd unit is not installed"
find "$DEST" -path '*dbus-1/system.d/org.triage.Manager1.conf' | grep -q . || fail "the D-Bus policy is not installed"
conf=$(find "$DEST" -path '*/triage/triage.conf') || true
[ -n "$conf" ] || fail "the default configuration is not installed"
"$BUILD/src/triaged" --check-config -c "$conf" >/dev/null || fail "the installed configuration does not load"
for m in triaged.8 triagectl.1 triage.conf.5 triage-dbus.7 libtriage.3; do
        find "$DEST" -name "$m*" | grep -q . || fail "man page $m not installed"
done
unit=$(find "$DEST" -name triaged.service)
grep -q "^ExecStart=$prefix/sbin/triaged$" "$unit" || fail "the unit's ExecStart is not $prefix/sbin/triaged"
grep -q "^OOMScoreAdjust=-1000$" "$unit" || fail "the unit does not set OOMScoreAdjust=-1000"
echo "install: all passed"
