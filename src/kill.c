/* SPDX-License-Identifier: MIT */
#include "kill.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proc.h"

/* The raw system calls: glibc 2.36 wraps pidfd_open/pidfd_send_signal but
 * not process_mrelease, and older libcs wrap none of them. */
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_process_mrelease
#define SYS_process_mrelease 448
#endif

int kill_pidfd_open(int procfd, pid_t pid, uint64_t start_time_ticks)
{
        uint64_t ticks;

        if (pid <= 1)
                return -EINVAL;
        /* PIDFD_NONBLOCK is not needed: the fd is only polled and signalled.
         * pidfds are always close-on-exec. */
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0)
                return -errno;

        int r = proc_read_start_time(procfd, pid, &ticks);
        if (r < 0 || ticks != start_time_ticks) {
                close(pidfd);
                return r < 0 && r != -ENOENT ? r : -ESRCH;
        }
        return pidfd;
}

int kill_pidfd_signal(int pidfd, int sig)
{
        if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
                return -errno;
        return 0;
}

int kill_mrelease(int pidfd)
{
        if (syscall(SYS_process_mrelease, pidfd, 0) < 0)
                return -errno;
        return 0;
}

bool kill_pidfd_exited(int pidfd)
{
        struct pollfd p = { .fd = pidfd, .events = POLLIN };

        return poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP));
}
