/* SPDX-License-Identifier: MIT */
/* A control-socket request: any local user who can reach the socket sends
 * these bytes. */
#include <errno.h>

#include "ctl.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf;

        if (size > FUZZ_INPUT_MAX)
                return 0;
        /* An exact-size copy (no slack) so ASan sees a read past len. */
        buf = fuzz_memdup(data, size);
        if (!buf)
                return 0;
        int r = ctl_request_validate(buf, size);
        FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -EPROTONOSUPPORT || r == -EINVAL);
        if (r == 0) {
                struct ctl_request req, again;

                FUZZ_CHECK(size == sizeof(req));
                memcpy(&req, buf, sizeof(req));
                FUZZ_CHECK(FUZZ_TERMINATED(req.domain));
                /* What was accepted can be rebuilt with ctl_request_init()
                 * and is accepted again. */
                FUZZ_CHECK(ctl_request_init(&again, (enum ctl_command)req.hdr.type, req.flags, req.pid,
                                            req.domain) == 0);
                FUZZ_CHECK(ctl_request_validate(&again, sizeof(again)) == 0);
        }
        free(buf);
        return 0;
}
