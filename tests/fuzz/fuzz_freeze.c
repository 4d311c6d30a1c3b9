/* SPDX-License-Identifier: MIT */
/* The freeze state file: written by triaged, but a crash or a disk error
 * can leave anything there, and it is read at start. Every record that
 * parses must format back to a line that parses to the same record. */
#include <errno.h>

#include "freeze.h"
#include "fuzz.h"

static int on_line(const struct freeze_record *rec, unsigned line_no, void *userdata)
{
        char line[FREEZE_LINE_MAX + 2];
        struct freeze_record again;

        if (!rec) /* a bad line: reported, skipped */
                return 0;
        int n = freeze_record_format(rec, line, sizeof(line));
        FUZZ_CHECK(n > 0 && line[n - 1] == '\n');
        FUZZ_CHECK(freeze_record_parse(line, (size_t)n - 1, &again) == 0);
        FUZZ_CHECK(memcmp(rec, &again, sizeof(again)) == 0);
        (*(unsigned *)userdata)++;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        unsigned n = 0;

        int r = freeze_state_parse((const char *)data, size, on_line, &n);
        FUZZ_CHECK(r >= 0 || r == -EINVAL);
        return 0;
}
