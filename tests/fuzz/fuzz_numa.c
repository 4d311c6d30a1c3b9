/* SPDX-License-Identifier: MIT */
/* Node lists (cpuset.mems, Mems_allowed_list, the configuration) and a
 * node's meminfo. A list that parses formats back to the same set. */
#include <errno.h>

#include "fuzz.h"
#include "numa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct numa_mask m, again;
        struct numa_meminfo mi;
        char text[1024];
        int node;
        char *buf = fuzz_strndup(data, size);

        if (!buf)
                return 0;
        if (numa_mask_parse(buf, &m) == 0) {
                numa_mask_format(&m, text, sizeof(text));
                if (strchr(text, '+') == NULL) {
                        FUZZ_CHECK(numa_mask_parse(text, &again) == 0);
                        FUZZ_CHECK(numa_mask_equal(&m, &again));
                }
        }
        int r = numa_meminfo_parse(buf, &mi, &node);
        FUZZ_CHECK(r == 0 || r == -EINVAL);
        free(buf);
        return 0;
}
