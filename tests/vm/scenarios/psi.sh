#!/bin/sh
# SPDX-License-Identifier: MIT
#
# psi: with full capabilities (the VM runs triaged as root with
# CAP_SYS_RESOURCE) the system domain gets the PSI trigger it asks for,
# 100 ms of stall in a 1 s window, without the 2 s fallback that hosts
# lacking CAP_SYS_RESOURCE need.
# shellcheck source=../lib.sh
. /vmtest/lib.sh

start_triaged

trigger="${TRIAGED_LINE}domain system: PSI trigger 'some 100000 1000000' on /proc/pressure/memory"
grep -q "$trigger" "$TRIAGED_LOG" || fail "no line matching \"$trigger\" in the log"
if grep -q 'refused' "$TRIAGED_LOG"; then
        fail "a PSI trigger was refused: $(grep 'refused' "$TRIAGED_LOG" | head -n 1)"
fi
is_alive "$TRIAGED_PID" || fail "triaged died"
pass
