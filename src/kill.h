/* SPDX-License-Identifier: MIT */
/*
 * Killing one process safely: by pidfd, never by a PID that may have been
 * recycled since the scan. The caller watches the pidfd in its event loop
 * (it polls readable when the process has exited) with a deadline: nothing
 * here waits.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Opens a pidfd for pid and confirms it is the process that was scanned:
 * the start time read from procfd *after* pidfd_open() must equal
 * start_time_ticks (a recycled PID has another start time). Returns the
 * pidfd (O_CLOEXEC), -ESRCH if the process is gone or is not the same one,
 * -ENOSYS on kernels without pidfd_open (< 5.3).
 */
int kill_pidfd_open(int procfd, pid_t pid, uint64_t start_time_ticks);

/* pidfd_send_signal(). Returns 0, -ESRCH if it already exited. */
int kill_pidfd_signal(int pidfd, int sig);

/*
 * process_mrelease(): frees the address space of a killed process now
 * rather than when its last thread has left the kernel. Returns 0,
 * -ENOSYS (< 5.15), -EINVAL when the process is not yet (or no longer)
 * exiting, -ESRCH when it is gone. All of these are fine for the caller.
 */
int kill_mrelease(int pidfd);

/* Whether the process behind pidfd has exited (poll, no waiting). */
bool kill_pidfd_exited(int pidfd);
