/* SPDX-License-Identifier: MIT */
/* /proc/PID/cgroup: cgroup names are chosen by whoever may create cgroups
 * (any user under systemd's delegation) and may hold ':' and newlines. */
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
        int r = proc_parse_cgroup(buf, &e);
        FUZZ_CHECK(r == 0 || r == -EINVAL);
        if (r == 0) {
                FUZZ_CHECK(FUZZ_TERMINATED(e.cgroup_v2));
                FUZZ_CHECK(FUZZ_TERMINATED(e.cgroup_v1_memory));
                FUZZ_CHECK(e.cgroup_v2[0] == '\0' || e.cgroup_v2[0] == '/');
                FUZZ_CHECK(e.cgroup_v1_memory[0] == '\0' || e.cgroup_v1_memory[0] == '/');
        }
        free(buf);
        return 0;
}
