/* SPDX-License-Identifier: MIT */
/* cgroup v2 memory.events: "key value" lines. */
#include "cgroup.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct cgroup_memory m, before;
        char *buf = fuzz_strndup(data, size);

        if (!buf)
                return 0;
        memset(&m, 0x5a, sizeof(m));
        before = m;
        int r = cgroup_parse_memory_events(buf, &m);
        FUZZ_CHECK(r <= 0);
        /* Only the event counters are this file's; the limits are not. */
        FUZZ_CHECK(m.limit_bytes == before.limit_bytes && m.usage_bytes == before.usage_bytes &&
                   m.swap_limit_bytes == before.swap_limit_bytes);
        free(buf);
        return 0;
}
