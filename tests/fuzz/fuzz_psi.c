/* SPDX-License-Identifier: MIT */
/* /proc/pressure/memory and a cgroup's memory.pressure. */
#include <errno.h>

#include "fuzz.h"
#include "psi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct psi_stats s;
        char *buf = fuzz_strndup(data, size);

        if (!buf)
                return 0;
        memset(&s, 0, sizeof(s));
        int r = psi_parse(buf, &s);
        FUZZ_CHECK(r == 0 || r == -EINVAL);
        if (r == 0) {
                /* Hand-parsed fixed point: never negative, never NaN. */
                FUZZ_CHECK(s.some.avg10 >= 0 && s.some.avg60 >= 0 && s.some.avg300 >= 0);
                FUZZ_CHECK(s.full.avg10 >= 0 && s.full.avg60 >= 0 && s.full.avg300 >= 0);
        }
        free(buf);
        return 0;
}
