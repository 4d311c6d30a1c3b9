/* SPDX-License-Identifier: MIT */
/*
 * Pressure stall information: parsing the text of /proc/pressure/memory or
 * a cgroup's memory.pressure, and opening PSI triggers (poll for
 * POLLPRI/EPOLLPRI; see Documentation/accounting/psi.rst).
 *
 * Without CAP_SYS_RESOURCE the kernel (>= 6.1) accepts only trigger windows
 * that are multiples of 2 s and answers EINVAL otherwise; psi_trigger_open()
 * then retries with a 2 s window and the same stall share, and reports the
 * window it got so the caller can log the fallback.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct psi_line {
        double avg10; /* percent */
        double avg60;
        double avg300;
        uint64_t total_usec;
};

struct psi_stats {
        struct psi_line some;
        struct psi_line full;
        bool has_full;
};

enum psi_kind {
        PSI_SOME,
        PSI_FULL,
};

/* Parses "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull ...".
 * Returns 0 or -EINVAL. */
int psi_parse(const char *buf, struct psi_stats *ret);

/* pread()s and parses the file behind fd. */
int psi_read(int fd, struct psi_stats *ret);

/*
 * Opens dirfd/path (O_RDWR|O_NONBLOCK|O_CLOEXEC) and writes the trigger
 * "<some|full> <stall_usec> <window_usec>". On EINVAL with a window that is
 * not a multiple of 2 s, retries with window 2 s and the stall scaled to the
 * same share. Returns the fd (poll it for EPOLLPRI; EPOLLERR means the
 * file's cgroup is gone), with the window the kernel accepted in
 * *ret_window_usec; or -errno: -ENOENT when there is no PSI (kernel without
 * CONFIG_PSI, or psi=0), -EOPNOTSUPP when triggers are not supported.
 */
int psi_trigger_open(int dirfd, const char *path, enum psi_kind kind, uint64_t stall_usec,
                     uint64_t window_usec, uint64_t *ret_window_usec);
