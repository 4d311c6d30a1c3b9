/* SPDX-License-Identifier: MIT */
/* /proc/PID/stat: a (buf, len) parser; comm is chosen by the process and may
 * hold spaces, parentheses, newlines and NULs. */
#include <errno.h>

#include "fuzz.h"
#include "proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct proc_entry e;
        char *buf;

        if (size > FUZZ_INPUT_MAX)
                return 0;
        buf = fuzz_memdup(data, size);
        if (!buf)
                return 0;
        memset(&e, 0, sizeof(e));
        int r = proc_parse_stat(buf, size, &e);
        FUZZ_CHECK(r == 0 || r == -EINVAL);
        if (r == 0) {
                FUZZ_CHECK(FUZZ_TERMINATED(e.comm));
                FUZZ_CHECK(e.pid >= 0 && e.ppid >= 0 && e.pgid >= 0 && e.sid >= 0);
        }
        free(buf);
        return 0;
}
