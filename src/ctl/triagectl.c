/* SPDX-License-Identifier: MIT */
/*
 * triagectl: ask triaged what it sees and why it would act. See
 * triagectl(1). Every command is read-only. When the daemon is not running,
 * rank and why are computed locally from /proc with the same code.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "badness.h"
#include "choose.h"
#include "ctl.h"
#include "meminfo.h"
#include "notify.h"
#include "policy.h"
#include "proc.h"
#include "report.h"
#include "triage-paths.h"
#include "util.h"

/* Exit codes, as systemctl status uses 3 for "not running". */
#define EXIT_NOT_RUNNING 3

struct options {
        const char *socket_path;
        const char *proc_root;
        const char *domain;
        bool json;
        bool all;
        bool processes;
        bool local;
        enum badness_mode badness;
};

static void help(void)
{
        printf("Usage: triagectl [OPTION]... COMMAND [ARG]\n"
               "Show what triaged sees and why it would act.\n"
               "\n"
               "Commands:\n"
               "  status          domains, levels, pressure, thresholds, last kills\n"
               "  rank            candidates in kill order with their scores\n"
               "  why PID         how PID's score is made up and where it ranks\n"
               "  history         the kills (and dry-run decisions) on record\n"
               "  restart-list    closed applications, with what a shell needs to restart them\n"
               "  focus PID       report that PID's application is in use now (for shells and\n"
               "                  window managers; root or PID's owner)\n"
               "  choose          when memory is critical, let a person pick what to close\n"
               "                  (full screen on a terminal, one line per answer otherwise)\n"
               "\n"
               "Options:\n"
               "  -j, --json          print JSON (one candidate or record per line)\n"
               "  -a, --all           rank: also list what is never killed\n"
               "  -p, --processes     rank: processes alone, as the kernel scores them\n"
               "  -d, --domain=NAME   rank/why: a cgroup domain (name or cgroup path)\n"
               "  -s, --socket=PATH   the daemon's socket (default " TRIAGE_CONTROL_SOCKET ")\n"
               "  -l, --local         rank/why: compute here from /proc, do not ask the daemon\n"
               "      --badness=MODE  with --local: kernel (default) or 2010\n"
               "      --proc-root=DIR with --local: read processes from DIR\n"
               "      --app-socket=PATH  choose: the daemon's application socket\n"
               "                      (default $TRIAGE_APP_SOCKET or " TRIAGE_APP_SOCKET ")\n"
               "      --once          choose: exit after one choice (status 0 if it was\n"
               "                      answered, 2 if not)\n"
               "      --plain         choose: line by line even on a terminal\n"
               "      --notify        choose: as desktop notifications (session bus)\n"
               "  -h, --help          show this help and exit\n"
               "  -V, --version       show the version and exit\n"
               "\n"
               "Without a running daemon, rank and why are computed locally for the system\n"
               "domain; status, history and restart-list exit with status 3.\n");
}

static int print_fd(int fd)
{
        char buf[65536];
        off_t off = 0;
        ssize_t n;

        while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
                if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
                        return -EIO;
                off += n;
        }
        return n < 0 ? -errno : 0;
}

/* Returns 0 with the reply printed, the daemon's -errno, or the
 * connection's -errno (-ENOENT/-ECONNREFUSED: not running). */
static int ask_daemon(const struct options *o, enum ctl_command cmd, pid_t pid, int *ret_status)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct ctl_request req;
        int status, fd = -1, r;

        if (!strscpy(sa.sun_path, o->socket_path, sizeof(sa.sun_path)))
                return -ENAMETOOLONG;
        r = ctl_request_init(&req, cmd,
                             (o->json ? CTL_FLAG_JSON : 0) | (o->all ? CTL_FLAG_ALL : 0) |
                                     (o->processes ? CTL_FLAG_PROCESSES : 0),
                             pid, o->domain);
        if (r < 0)
                return r;
        int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return -errno;
        if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                r = -errno;
                close(sock);
                return r;
        }
        if (send(sock, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req)) {
                r = -errno;
                close(sock);
                return r ? r : -EIO;
        }
        r = ctl_reply_recv(sock, &status, &fd);
        close(sock);
        if (r < 0)
                return r;
        *ret_status = status;
        if (status == 0 && fd >= 0)
                r = print_fd(fd);
        if (fd >= 0)
                close(fd);
        return r;
}

static size_t count_processes(int procfd)
{
        size_t n = 0;
        int fd = fcntl(procfd, F_DUPFD_CLOEXEC, 3);
        DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;

        if (!dir) {
                if (fd >= 0)
                        close(fd);
                return 0;
        }
        for (struct dirent *de; (de = readdir(dir));)
                n += de->d_name[0] >= '0' && de->d_name[0] <= '9';
        closedir(dir);
        return n;
}

/* rank / why without the daemon: the system domain, from /proc. */
static int local_rank(const struct options *o, enum ctl_command cmd, pid_t pid)
{
        struct proc_table t = {};
        struct candidate *ranked = NULL;
        struct meminfo mi;
        int procfd, mfd, r;

        if (o->domain && o->domain[0]) {
                fprintf(stderr, "triagectl: --domain needs the daemon; --local ranks the system only\n");
                return EXIT_FAILURE;
        }
        procfd = open(o->proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (procfd < 0) {
                fprintf(stderr, "triagectl: cannot open %s: %s\n", o->proc_root, strerror(errno));
                return EXIT_FAILURE;
        }
        mfd = meminfo_open(procfd);
        r = mfd < 0 ? mfd : meminfo_read(mfd, &mi);
        if (r < 0) {
                fprintf(stderr, "triagectl: cannot read %s/meminfo: %s\n", o->proc_root, strerror(-r));
                goto out;
        }
        /* Room for the processes there are now and for some that start
         * while we read. */
        size_t cap = count_processes(procfd) + 256;
        r = proc_table_init(&t, cap);
        ranked = calloc(cap, sizeof(*ranked));
        if (r < 0 || !ranked) {
                fprintf(stderr, "triagectl: out of memory\n");
                r = -ENOMEM;
                goto out;
        }
        r = proc_scan(procfd, PROC_READ_ALL, &t);
        if (r < 0) {
                fprintf(stderr, "triagectl: cannot scan %s: %s\n", o->proc_root, strerror(-r));
                goto out;
        }
        struct policy_domain pd = {
                .allowable_kib = meminfo_allowable_kib(&mi),
                .page_kib = (unsigned)(sysconf(_SC_PAGESIZE) / 1024),
                .mode = o->badness,
                .self_pid = getpid(),
        };
        struct report_rank rr = {
                .domain = "system",
                .allowable_kib = pd.allowable_kib,
                .page_kib = pd.page_kib,
                .mode = pd.mode,
                .candidates = ranked,
                .n = policy_rank(&pd, &t, o->all || cmd == CTL_WHY, ranked, cap),
                .dropped = t.dropped,
                .viewer_uid = getuid(),
        };
        if (cmd == CTL_WHY) {
                r = report_why(stdout, &rr, pid, o->json);
                if (r == -ESRCH)
                        fprintf(stderr, "triagectl: no process %d in domain system\n", (int)pid);
        } else {
                report_rank(stdout, &rr, o->json);
                r = 0;
        }
out:
        free(ranked);
        proc_table_free(&t);
        if (mfd >= 0)
                close(mfd);
        close(procfd);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

int main(int argc, char *argv[])
{
        enum {
                ARG_BADNESS = 0x100,
                ARG_PROC_ROOT,
                ARG_APP_SOCKET,
                ARG_ONCE,
                ARG_PLAIN,
                ARG_NOTIFY,
        };
        static const struct option longopts[] = {
                { "json", no_argument, NULL, 'j' },
                { "all", no_argument, NULL, 'a' },
                { "processes", no_argument, NULL, 'p' },
                { "domain", required_argument, NULL, 'd' },
                { "socket", required_argument, NULL, 's' },
                { "local", no_argument, NULL, 'l' },
                { "badness", required_argument, NULL, ARG_BADNESS },
                { "proc-root", required_argument, NULL, ARG_PROC_ROOT },
                { "app-socket", required_argument, NULL, ARG_APP_SOCKET },
                { "once", no_argument, NULL, ARG_ONCE },
                { "plain", no_argument, NULL, ARG_PLAIN },
                { "notify", no_argument, NULL, ARG_NOTIFY },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        struct options o = {
                .socket_path = TRIAGE_CONTROL_SOCKET,
                .proc_root = "/proc",
                .badness = BADNESS_KERNEL,
        };
        struct choose_options choose = {};
        bool notify = false;
        enum ctl_command cmd;
        pid_t pid = 0;
        int c, r, status;

        while ((c = getopt_long(argc, argv, "japd:s:lhV", longopts, NULL)) >= 0) {
                switch (c) {
                case 'j':
                        o.json = true;
                        break;
                case 'a':
                        o.all = true;
                        break;
                case 'p':
                        o.processes = true;
                        break;
                case 'd':
                        o.domain = optarg;
                        break;
                case 's':
                        o.socket_path = optarg;
                        break;
                case 'l':
                        o.local = true;
                        break;
                case ARG_BADNESS:
                        if (badness_mode_from_string(optarg, &o.badness) < 0) {
                                fprintf(stderr, "triagectl: --badness: unknown mode '%s' (kernel or 2010)\n",
                                        optarg);
                                return EXIT_FAILURE;
                        }
                        break;
                case ARG_PROC_ROOT:
                        o.proc_root = optarg;
                        break;
                case ARG_APP_SOCKET:
                        choose.app_socket = optarg;
                        break;
                case ARG_ONCE:
                        choose.once = true;
                        break;
                case ARG_PLAIN:
                        choose.plain = true;
                        break;
                case ARG_NOTIFY:
                        notify = true;
                        break;
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                case 'V':
                        printf("triagectl %s\n", TRIAGE_VERSION);
                        return EXIT_SUCCESS;
                default:
                        fprintf(stderr, "Try 'triagectl --help'.\n");
                        return EXIT_FAILURE;
                }
        }
        if (optind >= argc) {
                fprintf(stderr, "triagectl: no command given; try 'triagectl --help'\n");
                return EXIT_FAILURE;
        }
        const char *verb = argv[optind++];
        if (strcmp(verb, "choose") == 0) {
                if (optind < argc) {
                        fprintf(stderr, "triagectl: unexpected argument '%s'\n", argv[optind]);
                        return EXIT_FAILURE;
                }
                if (notify)
                        return choose_notify_run(choose.app_socket, choose.once); /* src/ctl/notify.c */

                return choose_run(&choose); /* src/ctl/choose.c */
        }
        if (strcmp(verb, "status") == 0)
                cmd = CTL_STATUS;
        else if (strcmp(verb, "rank") == 0)
                cmd = CTL_RANK;
        else if (strcmp(verb, "why") == 0)
                cmd = CTL_WHY;
        else if (strcmp(verb, "history") == 0)
                cmd = CTL_HISTORY;
        else if (strcmp(verb, "restart-list") == 0)
                cmd = CTL_RESTART_LIST;
        else if (strcmp(verb, "focus") == 0)
                cmd = CTL_FOCUS;
        else {
                fprintf(stderr, "triagectl: unknown command '%s'; try 'triagectl --help'\n", verb);
                return EXIT_FAILURE;
        }
        if (cmd == CTL_WHY || cmd == CTL_FOCUS) {
                int v;
                if (optind >= argc || parse_int(argv[optind], &v) < 0 || v <= 0) {
                        fprintf(stderr, "triagectl: %s needs a PID, e.g. 'triagectl %s 1234'\n", verb, verb);
                        return EXIT_FAILURE;
                }
                pid = v;
                optind++;
        }
        if (optind < argc) {
                fprintf(stderr, "triagectl: unexpected argument '%s'\n", argv[optind]);
                return EXIT_FAILURE;
        }

        bool rankish = cmd == CTL_RANK || cmd == CTL_WHY;
        if (o.local) {
                if (!rankish) {
                        fprintf(stderr, "triagectl: --local works for rank and why only\n");
                        return EXIT_FAILURE;
                }
                return local_rank(&o, cmd, pid);
        }

        r = ask_daemon(&o, cmd, pid, &status);
        if (r == -ENOENT || r == -ECONNREFUSED) {
                if (rankish) {
                        fprintf(stderr,
                                "triagectl: triaged is not running (no daemon at %s); computed locally\n",
                                o.socket_path);
                        return local_rank(&o, cmd, pid);
                }
                fprintf(stderr, "triagectl: triaged is not running (no daemon at %s)\n", o.socket_path);
                return EXIT_NOT_RUNNING;
        }
        if (r < 0) {
                fprintf(stderr, "triagectl: cannot talk to triaged at %s: %s\n", o.socket_path, strerror(-r));
                return EXIT_FAILURE;
        }
        if (status == 0)
                return EXIT_SUCCESS;
        if (status == -ENOENT)
                fprintf(stderr, "triagectl: no domain '%s' (see 'triagectl status')\n",
                        o.domain ? o.domain : "");
        else if (status == -EPERM)
                fprintf(stderr, "triagectl: only root or the owner of pid %d may report its focus\n",
                        (int)pid);
        else if (status == -ESRCH)
                fprintf(stderr, "triagectl: no process %d in domain %s\n", (int)pid,
                        o.domain && o.domain[0] ? o.domain : "system");
        else
                fprintf(stderr, "triagectl: triaged answered: %s\n", strerror(-status));
        return EXIT_FAILURE;
}
