/* SPDX-License-Identifier: MIT */
/* memory.max, memory.swap.max, memory.current, memory.limit_in_bytes,
 * memory.usage_in_bytes: a number or "max". */
#include "cgroup.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        uint64_t v = 0;
        char *buf = fuzz_strndup(data, size);

        if (!buf)
                return 0;
        int r = cgroup_parse_limit(buf, &v);
        FUZZ_CHECK(r <= 0);
        free(buf);
        return 0;
}
