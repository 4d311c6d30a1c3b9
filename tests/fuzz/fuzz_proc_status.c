/* SPDX-License-Identifier: MIT */
/* /proc/PID/status: its Name line shows a comm the process chose. */
#include <errno.h>

#include "fuzz.h"
#include "proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct proc_entry e;
        char *buf = fuzz_strndup(data, size);

        if (!buf)
                return 0;
        memset(&e, 0, sizeof(e));
        int r = proc_parse_status(buf, &e);
        FUZZ_CHECK(r == 0 || r == -EINVAL);
        free(buf);
        return 0;
}
