/* SPDX-License-Identifier: MIT */
/*
 * triaged: the low-memory manager daemon. See triaged(8).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "manager.h"
#include "triage-paths.h"

static void help(void)
{
        printf("Usage: triaged [OPTION]...\n"
               "Keeps the machine out of the kernel OOM killer: watches memory pressure in\n"
               "every domain (the system and limited memory cgroups) and kills the process the\n"
               "kernel's own badness ranks first, early, by pidfd, and explains why.\n"
               "\n"
               "  -c, --config=FILE        configuration file (default " TRIAGE_CONFIG_PATH ")\n"
               "  -n, --dry-run            say what would be killed, kill nothing\n"
               "      --advise-only        tell the kernel triage's order (oom_score_adj), kill nothing\n"
               "  -d, --domain=[NAME=]CGROUP\n"
               "                           also watch this memory cgroup (path under the cgroup\n"
               "                           mount, e.g. /app.slice); may be repeated\n"
               "      --no-auto-domains    do not watch every memory cgroup that has a limit\n"
               "      --badness=MODE       kernel (default) or 2010\n"
               "  -s, --socket=PATH        control socket (default " TRIAGE_CONTROL_SOCKET ")\n"
               "      --no-mlock           do not lock the daemon's memory\n"
               "      --proc-root=DIR      read processes from DIR instead of /proc\n"
               "      --sys-root=DIR       read cgroups from DIR/fs/cgroup instead of /sys/fs/cgroup\n"
               "      --check-config       check the configuration file, print it, and exit\n"
               "  -v, --verbose            log debug messages\n"
               "  -h, --help               show this help and exit\n"
               "  -V, --version            show the version and exit\n"
               "\n"
               "Signals: SIGTERM/SIGINT exit, SIGHUP reloads the configuration (a broken file is\n"
               "rejected and the old configuration kept). See triaged(8), triage.conf(5).\n");
}

enum {
        ARG_NO_AUTO_DOMAINS = 0x100,
        ARG_BADNESS,
        ARG_NO_MLOCK,
        ARG_PROC_ROOT,
        ARG_SYS_ROOT,
        ARG_CHECK_CONFIG,
        ARG_ADVISE_ONLY,
};

static int check_config(const struct manager_options *o)
{
        struct config c;
        char buf[CONFIG_DUMP_MAX];

        int r = manager_load_config(o, &c);
        if (r < 0)
                return EXIT_FAILURE;
        if (config_dump(&c, buf, sizeof(buf)) < 0) {
                log_error("cannot print the configuration");
                return EXIT_FAILURE;
        }
        fputs(buf, stdout);
        return EXIT_SUCCESS;
}

int main(int argc, char *argv[])
{
        static const struct option longopts[] = {
                { "config", required_argument, NULL, 'c' },
                { "dry-run", no_argument, NULL, 'n' },
                { "advise-only", no_argument, NULL, ARG_ADVISE_ONLY },
                { "domain", required_argument, NULL, 'd' },
                { "no-auto-domains", no_argument, NULL, ARG_NO_AUTO_DOMAINS },
                { "badness", required_argument, NULL, ARG_BADNESS },
                { "socket", required_argument, NULL, 's' },
                { "no-mlock", no_argument, NULL, ARG_NO_MLOCK },
                { "proc-root", required_argument, NULL, ARG_PROC_ROOT },
                { "sys-root", required_argument, NULL, ARG_SYS_ROOT },
                { "check-config", no_argument, NULL, ARG_CHECK_CONFIG },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        struct manager_options o = {
                .config_path = TRIAGE_CONFIG_PATH,
                .proc_root = "/proc",
                .sys_root = "/sys",
        };
        bool do_check = false;
        struct manager *m = NULL;
        int c, r;

        log_setup("triaged");
        while ((c = getopt_long(argc, argv, "c:nd:s:vhV", longopts, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        o.config_path = optarg;
                        break;
                case 'n':
                        o.dry_run = true;
                        break;
                case ARG_ADVISE_ONLY:
                        o.advise_only = true;
                        break;
                case 'd':
                        if (o.n_domains >= CONFIG_DOMAINS_MAX) {
                                log_error("--domain: at most %d", CONFIG_DOMAINS_MAX);
                                return EXIT_FAILURE;
                        }
                        o.domains[o.n_domains++] = optarg;
                        break;
                case ARG_NO_AUTO_DOMAINS:
                        o.no_auto_domains = true;
                        break;
                case ARG_BADNESS:
                        if (badness_mode_from_string(optarg, &o.badness) < 0) {
                                log_error("--badness: unknown mode '%s' (expected kernel or 2010)", optarg);
                                return EXIT_FAILURE;
                        }
                        o.badness_set = true;
                        break;
                case 's':
                        o.socket_path = optarg;
                        break;
                case ARG_NO_MLOCK:
                        o.no_mlock = true;
                        break;
                case ARG_PROC_ROOT:
                        o.proc_root = optarg;
                        break;
                case ARG_SYS_ROOT:
                        o.sys_root = optarg;
                        break;
                case ARG_CHECK_CONFIG:
                        do_check = true;
                        break;
                case 'v':
                        log_set_max_level(LOG_DEBUG);
                        break;
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                case 'V':
                        printf("triaged %s\n", TRIAGE_VERSION);
                        return EXIT_SUCCESS;
                default:
                        fprintf(stderr, "Try 'triaged --help'.\n");
                        return EXIT_FAILURE;
                }
        }
        if (optind < argc) {
                log_error("unexpected argument '%s'; try 'triaged --help'", argv[optind]);
                return EXIT_FAILURE;
        }
        if (do_check)
                return check_config(&o);

        r = manager_new(&o, &m);
        if (r >= 0)
                r = manager_run(m);
        manager_free(m);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
