#!/bin/bash
# SPDX-License-Identifier: MIT
#
# fetch-kernel.sh CACHE_DIR
#
# Put the kernel of Debian's linux-image-amd64 into CACHE_DIR for the VM
# suite: CACHE_DIR/vmlinuz, CACHE_DIR/config (the kernel's .config) and
# CACHE_DIR/kernel-version ("<package> <version>"). The package is
# downloaded with `apt-get download` and unpacked with `dpkg -x`; nothing
# is installed on the host. A complete cache is reused as it is.
set -euo pipefail

die() {
        echo "fetch-kernel: $*" >&2
        exit 1
}

[ $# -eq 1 ] || die "usage: fetch-kernel.sh CACHE_DIR"
cache=$1

for tool in apt-cache apt-get dpkg dpkg-deb; do
        command -v "$tool" >/dev/null || die "missing tool '$tool' (a Debian host is needed)"
done

if [ -s "$cache/vmlinuz" ] && [ -s "$cache/kernel-version" ]; then
        exit 0
fi
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

# linux-image-amd64 is a metapackage; the kernel is in the one package it
# depends on, e.g. linux-image-6.1.0-18-amd64 (or its -unsigned twin).
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: *\(linux-image-[^ <>]*\).*/\1/p' | head -n 1)
[ -n "$pkg" ] || die "cannot resolve linux-image-amd64 (run 'apt-get update' first)"

work=$(mktemp -d "$cache/fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "fetch-kernel: downloading $pkg" >&2
# apt-get download writes into the current directory as the sandbox user
# _apt, which cannot write to a private temporary directory: download as
# the caller instead.
(cd "$work" && apt-get download -q -o APT::Sandbox::User="$(id -un)" "$pkg" >&2) || die "apt-get download $pkg failed"
deb=$(find "$work" -maxdepth 1 -name '*.deb' | head -n 1)
[ -n "$deb" ] || die "apt-get download $pkg produced no .deb"

version=$(dpkg-deb -f "$deb" Version)
dpkg -x "$deb" "$work/root" || die "dpkg -x $deb failed"

vmlinuz=$(find "$work/root/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n 1)
config=$(find "$work/root/boot" -maxdepth 1 -name 'config-*' | head -n 1)
[ -n "$vmlinuz" ] || die "$pkg contains no /boot/vmlinuz-*"

cp "$vmlinuz" "$cache/vmlinuz.tmp"
if [ -n "$config" ]; then
        cp "$config" "$cache/config"
fi
echo "$pkg $version" >"$cache/kernel-version.tmp"
# Rename last so an interrupted fetch never looks like a complete cache.
mv "$cache/vmlinuz.tmp" "$cache/vmlinuz"
mv "$cache/kernel-version.tmp" "$cache/kernel-version"
echo "fetch-kernel: $(cat "$cache/kernel-version") -> $cache/vmlinuz" >&2
