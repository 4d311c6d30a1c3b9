#!/bin/sh
# SPDX-License-Identifier: MIT
#
# runaway-fast: the runaway scenario with a hog that allocates as fast as it
# can (rate 0), the hardest case for a daemon that must act before the
# kernel's OOM killer.
# shellcheck disable=SC2034 # read by runaway.sh
HOG_RATE=0
# shellcheck source=runaway.sh
. /vmtest/scenarios/runaway.sh
