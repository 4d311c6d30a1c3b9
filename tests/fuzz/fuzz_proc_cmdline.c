/* SPDX-License-Identifier: MIT */
/* /proc/PID/cmdline: a (buf, len) parser of argv as the process left it
 * (NUL separators, any bytes, any length). */
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
        memset(&e, 0xa5, sizeof(e));
        proc_parse_cmdline(buf, size, &e);
        FUZZ_CHECK(FUZZ_TERMINATED(e.cmdline));
        /* NUL separators become spaces: the result is one string whose
         * length is the input's without trailing NULs, cut to fit. */
        size_t len = size;
        while (len > 0 && buf[len - 1] == '\0')
                len--;
        size_t n = strlen(e.cmdline);
        FUZZ_CHECK(n == (len < PROC_CMDLINE_MAX ? len : PROC_CMDLINE_MAX - 1));
        FUZZ_CHECK(e.cmdline_truncated == (len > n));
        free(buf);
        return 0;
}
