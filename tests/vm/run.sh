#!/bin/bash
# SPDX-License-Identifier: MIT
#
# run.sh BUILD_DIR [SCENARIO...]
#
# The VM suite: boots Debian's kernel in qemu (TCG, no KVM needed) with
# 256 MiB, pure cgroup v2 and PSI, and an initramfs holding busybox, the
# workload programs (tests/vm/progs), the scenarios and BUILD_DIR's triaged
# and triagectl with their shared libraries. Each scenario is one boot; the
# verdict is the line "VMTEST NAME PASS" or "VMTEST NAME FAIL: reason" in
# its console log, BUILD_DIR/vm/NAME.log. With no SCENARIO, runs them all.
#
# Environment:
#   TRIAGE_VM_CACHE    where the kernel is kept (default BUILD_DIR/vm-cache)
#   TRIAGE_VM_TIMEOUT  host-side limit per boot in seconds (default 120)
#   TRIAGE_VM_ACCEL    qemu accelerator (default tcg)
#
# Installs nothing: the tools it needs must be there (see README.md).
set -euo pipefail

die() {
        echo "vm: $*" >&2
        exit 2
}

[ $# -ge 1 ] || die "usage: run.sh BUILD_DIR [SCENARIO...]"
[ -d "$1" ] || die "no build directory $1"
build=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)
vm=$build/vm
cache=${TRIAGE_VM_CACHE:-$build/vm-cache}
boot_timeout=${TRIAGE_VM_TIMEOUT:-120}
accel=${TRIAGE_VM_ACCEL:-tcg}

# --- tools ---------------------------------------------------------------

need() {
        command -v "$1" >/dev/null || die "missing '$1': install $2"
}
need qemu-system-x86_64 qemu-system-x86
need busybox busybox-static
need cpio cpio
need gzip gzip
need cc gcc
need ldd libc-bin
need timeout coreutils
busybox=$(command -v busybox)
# A dynamic busybox (package busybox) would need its libraries in the image.
if ldd "$busybox" >/dev/null 2>&1; then
        die "$busybox is dynamically linked: install busybox-static"
fi

triaged=$build/src/triaged
triagectl=$build/src/ctl/triagectl
[ -x "$triagectl" ] || triagectl=$build/src/triagectl
[ -x "$triaged" ] || die "no $triaged: build the project first (ninja -C $build)"
[ -x "$triagectl" ] || die "no triagectl under $build/src: build the project first"

# --- scenarios -----------------------------------------------------------

if [ $# -eq 0 ]; then
        # boot first: when it fails, the others cannot mean much.
        set -- boot
        for f in "$here"/scenarios/*.sh; do
                n=$(basename "$f" .sh)
                [ "$n" = boot ] || set -- "$@" "$n"
        done
fi
for n in "$@"; do
        [ -f "$here/scenarios/$n.sh" ] || die "no scenario $n (tests/vm/scenarios/$n.sh)"
done

# --- kernel --------------------------------------------------------------

"$here/fetch-kernel.sh" "$cache" || die "cannot fetch the kernel"
echo "vm: kernel $(cat "$cache/kernel-version")"

# --- workload programs ---------------------------------------------------

mkdir -p "$vm/progs"
progs=()
for src in "$here"/progs/*.c; do
        p=$(basename "$src" .c)
        cc -static -O2 -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wvla \
                -Wmissing-prototypes -Wformat=2 -o "$vm/progs/$p" "$src" ||
                die "cannot build $src"
        progs+=("$vm/progs/$p")
done

# Programs that link libtriage: built statically from its sources, so the
# guest needs no libtriage.so (the build dir holds triage-paths.h).
src=$here/../..
for prog in "$src/examples/notes.c" "$here"/apps/*.c; do
        p=$(basename "$prog" .c)
        cc -static -O2 -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Werror -D_GNU_SOURCE \
                -I"$build" -I"$src/src" -I"$src/include" -o "$vm/progs/$p" \
                "$prog" "$src/lib/libtriage.c" "$src/src/proto.c" ||
                die "cannot build $prog"
        progs+=("$vm/progs/$p")
done

# --- initramfs -----------------------------------------------------------

root=$vm/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,proc,sys,dev,tmp,run,root,var/lib}
mkdir -p "$root/vmtest/scenarios"

cp "$busybox" "$root/bin/busybox"
# One symlink per applet at the path busybox gives for it (bin/sh,
# usr/bin/awk, sbin/poweroff...).
while read -r applet; do
        [ "$applet" = bin/busybox ] && continue
        mkdir -p "$root/$(dirname "$applet")"
        ln -sf /bin/busybox "$root/$applet"
done < <("$busybox" --list-full)

install -m 755 "$here/init" "$root/init"
install -m 644 "$here/lib.sh" "$root/vmtest/lib.sh"
install -m 755 "$here"/scenarios/*.sh "$root/vmtest/scenarios/"
install -m 755 "${progs[@]}" "$root/usr/local/bin/"
install -m 755 "$triaged" "$triagectl" "$root/usr/local/bin/"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"

# Every shared library the binaries need, at the path the loader looks for
# it, the loader itself included ("/lib64/ld-linux-x86-64.so.2 (0x...)").
copy_libs() {
        local lib
        while read -r lib; do
                [ -e "$root$lib" ] && continue
                mkdir -p "$root$(dirname "$lib")"
                cp -L "$lib" "$root$lib"
        done < <(ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
        if ldd "$1" 2>/dev/null | grep -q 'not found'; then
                die "$1: a library is not found: $(ldd "$1" | grep 'not found' | tr -s ' \t' ' ')"
        fi
}
copy_libs "$triaged"
copy_libs "$triagectl"

initrd=$vm/initramfs.img
(cd "$root" && find . -print0 | cpio --null -o -H newc --owner=0:0 --quiet) |
        gzip -1 >"$initrd.tmp"
mv "$initrd.tmp" "$initrd"
echo "vm: initramfs $(du -k "$initrd" | cut -f1) KiB"

# --- boots ---------------------------------------------------------------

passed=0
failed=0
failed_names=()
for n in "$@"; do
        log=$vm/$n.log
        start=$(date +%s.%N)
        rc=0
        timeout --kill-after=5 "$boot_timeout" qemu-system-x86_64 \
                -accel "$accel" -cpu max -smp 1 -m 256M \
                -nographic -no-reboot -net none \
                -kernel "$cache/vmlinuz" -initrd "$initrd" \
                -append "console=ttyS0 panic=-1 quiet triage.test=$n" \
                </dev/null >"$log" 2>&1 || rc=$?
        secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
        # The serial console ends lines with \r\n.
        verdict=$(tr -d '\r' <"$log" | grep -a -m 1 "VMTEST $n \(PASS\|FAIL\)" || true)
        verdict=${verdict#*VMTEST }
        if [ "$verdict" = "$n PASS" ]; then
                echo "vm: $n PASS (${secs} s)"
                passed=$((passed + 1))
                continue
        fi
        if [ -z "$verdict" ]; then
                if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
                        verdict="$n FAIL: no verdict, qemu killed after $boot_timeout s"
                else
                        verdict="$n FAIL: no verdict (qemu exit $rc)"
                fi
        fi
        echo "vm: $verdict (${secs} s); last lines of $log:"
        tr -d '\r' <"$log" | tail -n 40 | sed 's/^/    /'
        failed=$((failed + 1))
        failed_names+=("$n")
done

if [ "$failed" -gt 0 ]; then
        echo "vm: failed: ${failed_names[*]}"
fi
echo "vm: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
