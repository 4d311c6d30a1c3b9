/* SPDX-License-Identifier: MIT */
/* triage.conf through libinih: written by an admin, but a typo, a stray
 * binary file or a truncated write must give an error, never a crash. */
#include <errno.h>

#include "config.h"
#include "fuzz.h"

/* Big enough for a full dump: 32 domains of a few hundred bytes each. */
#define DUMP_SIZE (64u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct config *c = NULL, *again = NULL;
        char *dump = NULL, *dump2 = NULL;
        char err[CONFIG_ERROR_MAX];
        char *buf = fuzz_strndup(data, size);

        if (!buf)
                return 0;
        c = calloc(1, sizeof(*c));
        again = calloc(1, sizeof(*again));
        dump = malloc(DUMP_SIZE);
        dump2 = malloc(DUMP_SIZE);
        if (!c || !again || !dump || !dump2)
                goto out;

        memset(err, 0x5a, sizeof(err));
        int r = config_load_string("fuzz.conf", buf, c, err, sizeof(err));
        FUZZ_CHECK(r == 0 || r == -EINVAL);
        if (r < 0) {
                FUZZ_CHECK(FUZZ_TERMINATED(err));
                goto out;
        }
        FUZZ_CHECK(c->n_domains <= CONFIG_DOMAINS_MAX);
        for (size_t i = 0; i < c->n_domains; i++) {
                FUZZ_CHECK(FUZZ_TERMINATED(c->domains[i].name));
                FUZZ_CHECK(FUZZ_TERMINATED(c->domains[i].cgroup));
        }
        FUZZ_CHECK(FUZZ_TERMINATED(c->control_socket));

        /* What was accepted dumps to a file that loads back to the same
         * configuration (compared through a second dump). */
        int n = config_dump(c, dump, DUMP_SIZE);
        FUZZ_CHECK(n >= 0 && (size_t)n < DUMP_SIZE);
        r = config_load_string("dump.conf", dump, again, err, sizeof(err));
        if (r != 0)
                fprintf(stderr, "reloading the dump failed: %s\n--- dump:\n%s\n", err, dump);
        FUZZ_CHECK(r == 0);
        n = config_dump(again, dump2, DUMP_SIZE);
        FUZZ_CHECK(n >= 0 && (size_t)n < DUMP_SIZE);
        if (strcmp(dump, dump2) != 0)
                fprintf(stderr, "--- first dump:\n%s\n--- second dump:\n%s\n", dump, dump2);
        FUZZ_CHECK(strcmp(dump, dump2) == 0);
out:
        free(dump2);
        free(dump);
        free(again);
        free(c);
        free(buf);
        return 0;
}
