/* SPDX-License-Identifier: MIT */
/* /proc/meminfo: kernel-written, but its keys change between versions and a
 * container runtime (lxcfs) may serve its own. */
#include <errno.h>

#include "fuzz.h"
#include "meminfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct meminfo m;
        char *buf = fuzz_strndup(data, size);

        if (!buf)
                return 0;
        memset(&m, 0, sizeof(m));
        int r = meminfo_parse(buf, &m);
        FUZZ_CHECK(r == 0 || r == -EINVAL);
        if (r == 0) {
                (void)meminfo_available_kib(&m);
                (void)meminfo_allowable_kib(&m);
        }
        free(buf);
        return 0;
}
