/* SPDX-License-Identifier: MIT */
/* cgroup v1 memory.oom_control: "key value" lines. */
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
        int r = cgroup_parse_oom_control(buf, &m);
        FUZZ_CHECK(r <= 0);
        FUZZ_CHECK(m.limit_bytes == before.limit_bytes && m.usage_bytes == before.usage_bytes &&
                   m.swap_limit_bytes == before.swap_limit_bytes);
        free(buf);
        return 0;
}
