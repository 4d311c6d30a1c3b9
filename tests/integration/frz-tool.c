/* SPDX-License-Identifier: MIT */
/*
 * Holds a freeze in a process of its own, so that freeze.sh can crash it
 * for real (SIGKILL) or stop it the way the daemon stops (SIGTERM), and
 * runs the crash recovery as the daemon does at start.
 *
 *   frz-tool freeze STATE [--v1|--v2 MOUNT PATH] [PID...]
 *       Freezes (the cgroup, as holding exactly the activity, else the
 *       PIDs), waits until it is complete as the daemon would (EPOLLPRI on
 *       cgroup.events for v2, a 10 ms timer otherwise), prints
 *       "frozen <description>", then waits for SIGTERM or SIGINT, thaws,
 *       prints "thawed" and exits 0.
 *   frz-tool recover STATE
 *       freeze_thaw_recorded(): one line per record, then
 *       "thawed=N gone=N failed=N bad=N".
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "freeze.h"
#include "proc.h"
#include "util.h"

static int usage(void)
{
        fprintf(stderr, "usage: frz-tool freeze STATE [--v1|--v2 MOUNT PATH] [PID...]\n"
                        "       frz-tool recover STATE\n");
        return 2;
}

static void note(const struct freeze_record *rec, unsigned line_no, int result, void *userdata)
{
        if (!rec)
                printf("line %u: bad\n", line_no);
        else if (rec->kind == FREEZE_SIGSTOP)
                printf("line %u: pid %d: %s\n", line_no, (int)rec->pid,
                       result == 0 ? "thawed" : strerror(-result));
        else
                printf("line %u: %s %s: %s\n", line_no, freeze_kind_name(rec->kind), rec->path,
                       result == 0 ? "thawed" : strerror(-result));
}

static int recover(const char *state, int procfd)
{
        struct freeze_recovery rep;
        int r = freeze_thaw_recorded(state, procfd, note, NULL, &rep);

        if (r < 0) {
                fprintf(stderr, "frz-tool: recover %s: %s\n", state, strerror(-r));
                return 1;
        }
        printf("thawed=%u gone=%u failed=%u bad=%u\n", rep.thawed, rep.gone, rep.failed, rep.bad_lines);
        return 0;
}

/* Waits until the freeze is complete or a signal asks to stop. Returns 1
 * when frozen, 0 on a signal, -errno. */
static int wait_frozen(struct freeze *f, int sfd)
{
        int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
        struct itimerspec every_10ms = {
                .it_interval = { .tv_nsec = 10000000 },
                .it_value = { .tv_nsec = 10000000 },
        };
        int r = 0;

        if (tfd < 0)
                return -errno;
        if (freeze_event_fd(f) < 0)
                timerfd_settime(tfd, 0, &every_10ms, NULL);
        while (r == 0) {
                struct pollfd p[] = {
                        { .fd = sfd, .events = POLLIN },
                        { .fd = freeze_event_fd(f) >= 0 ? freeze_event_fd(f) : tfd,
                          .events = freeze_event_fd(f) >= 0 ? POLLPRI : POLLIN },
                };
                if (poll(p, 2, -1) < 0) {
                        r = -errno;
                        break;
                }
                if (p[0].revents)
                        break;
                if (p[1].fd == tfd) {
                        uint64_t n;
                        if (read(tfd, &n, sizeof(n)) < 0)
                                r = -errno;
                }
                if (r == 0)
                        r = freeze_check(f);
        }
        close(tfd);
        return r;
}

static int hold(int argc, char **argv, int procfd)
{
        struct freeze_pid pids[64];
        struct freeze_target t = { .pids = pids };
        struct freeze f;
        struct signalfd_siginfo si;
        sigset_t mask;
        char desc[256];
        int i = 3;

        if (argc > i + 2 && (strcmp(argv[i], "--v1") == 0 || strcmp(argv[i], "--v2") == 0)) {
                t.cgroup_version = argv[i][3] == '1' ? CGROUP_V1 : CGROUP_V2;
                t.cgroup_mount = argv[i + 1];
                t.cgroup_path = argv[i + 2];
                t.cgroup_exact = true;
                i += 3;
        }
        for (; i < argc && t.n_pids < ARRAY_SIZE(pids); i++) {
                struct freeze_pid *p = &pids[t.n_pids++];
                int r = parse_int(argv[i], &p->pid);
                if (r == 0)
                        r = proc_read_start_time(procfd, p->pid, &p->start_time_ticks);
                if (r < 0) {
                        fprintf(stderr, "frz-tool: pid %s: %s\n", argv[i], strerror(-r));
                        return 1;
                }
        }

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (sfd < 0)
                return 1;

        freeze_init(&f, procfd, argv[2]);
        int r = freeze_start(&f, &t);
        if (r == 0)
                r = wait_frozen(&f, sfd);
        if (r < 0) {
                fprintf(stderr, "frz-tool: freeze: %s\n", strerror(-r));
                freeze_thaw(&f);
                return 1;
        }
        if (r == 1) {
                printf("frozen %s\n", freeze_describe(&f, desc, sizeof(desc)));
                fflush(stdout);
                while (read(sfd, &si, sizeof(si)) < 0 && errno == EINTR)
                        ;
        }
        r = freeze_thaw(&f);
        if (r < 0) {
                fprintf(stderr, "frz-tool: thaw: %s\n", strerror(-r));
                return 1;
        }
        printf("thawed\n");
        return 0;
}

int main(int argc, char **argv)
{
        if (argc < 3)
                return usage();
        int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (procfd < 0)
                return 1;
        if (strcmp(argv[1], "recover") == 0 && argc == 3)
                return recover(argv[2], procfd);
        if (strcmp(argv[1], "freeze") == 0)
                return hold(argc, argv, procfd);
        return usage();
}
