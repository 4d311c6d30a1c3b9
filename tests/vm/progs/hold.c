/* SPDX-License-Identifier: MIT */
/*
 * hold [-a ADJ] [-n NAME] [-u UID] MIB
 *
 * A steady process for the VM scenarios: allocates and touches MIB MiB,
 * optionally sets its oom_score_adj and comm name, prints "hold ready MIB"
 * and then waits in pause() until it is killed. With -u it drops to that
 * user (uid and gid) after setting its adj: a user's application, not a
 * system service, in triage's tiers. Its RSS and adj are known,
 * so a scenario can check the badness triage computes for it and whether
 * it survived.
 */
#include "workload.h"

static void usage(void)
{
        fprintf(stderr, "usage: hold [-a ADJ] [-n NAME] [-u UID] MIB\n");
        exit(2);
}

int main(int argc, char **argv)
{
        const char *name = NULL;
        long adj = 0;
        bool has_adj = false;
        long uid = -1;
        int opt;

        while ((opt = getopt(argc, argv, "a:n:u:")) != -1) {
                switch (opt) {
                case 'a':
                        adj = workload_parse_long("hold", "adj", optarg, -1000, 1000);
                        has_adj = true;
                        break;
                case 'n':
                        name = optarg;
                        break;
                case 'u':
                        uid = workload_parse_long("hold", "uid", optarg, 1, 65534);
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
        if (uid > 0 && (setgid((gid_t)uid) < 0 || setuid((uid_t)uid) < 0))
                workload_die("hold", "cannot become uid %ld: %s", uid, strerror(errno));
        for (long i = 0; i < mib; i++)
                workload_touch_mib("hold");
        workload_say("hold ready %ld", mib);
        for (;;)
                pause();
}
