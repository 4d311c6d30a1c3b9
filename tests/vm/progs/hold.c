/* SPDX-License-Identifier: MIT */
/*
 * hold [-a ADJ] [-n NAME] MIB
 *
 * A steady process for the VM scenarios: allocates and touches MIB MiB,
 * optionally sets its oom_score_adj and comm name, prints "hold ready MIB"
 * and then waits in pause() until it is killed. Its RSS and adj are known,
 * so a scenario can check the badness triage computes for it and whether
 * it survived.
 */
#include "workload.h"

static void usage(void)
{
        fprintf(stderr, "usage: hold [-a ADJ] [-n NAME] MIB\n");
        exit(2);
}

int main(int argc, char **argv)
{
        const char *name = NULL;
        long adj = 0;
        bool has_adj = false;
        int opt;

        while ((opt = getopt(argc, argv, "a:n:")) != -1) {
                switch (opt) {
                case 'a':
                        adj = workload_parse_long("hold", "adj", optarg, -1000, 1000);
                        has_adj = true;
                        break;
                case 'n':
                        name = optarg;
                        break;
                default:
                        usage();
                }
        }
        if (optind != argc - 1)
                usage();
        /* 16 GiB is far beyond any VM; the bound only catches typos. */
        long mib = workload_parse_long("hold", "size", argv[optind], 0, 16384);

        if (name)
                workload_set_name("hold", name);
        if (has_adj)
                workload_set_adj("hold", adj);
        for (long i = 0; i < mib; i++)
                workload_touch_mib("hold");
        workload_say("hold ready %ld", mib);
        for (;;)
                pause();
}
