/* SPDX-License-Identifier: MIT */
#include "psi.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* A PSI file is two lines of at most ~75 bytes
 * ("full avg10=100.00 avg60=100.00 avg300=100.00 total=18446744073709551615"). */
#define PSI_BUF_SIZE 256

/* The kernel copies at most 32 bytes of a trigger (psi_write()). */
#define PSI_TRIGGER_MAX 32

/* Windows the kernel accepts without CAP_SYS_RESOURCE are multiples of this. */
#define PSI_UNPRIV_WINDOW_USEC (2 * USEC_PER_SEC)

/*
 * Parses a fixed-point "12.34" up to a blank or the end of the line. Done by
 * hand rather than with strtod() so that a locale with a decimal comma
 * cannot break it.
 */
static int parse_percent(const char *p, const char *end, double *ret)
{
        double v = 0, scale = 1;
        bool digits = false, dot = false;

        for (; p < end && *p != ' '; p++) {
                if (*p == '.' && !dot) {
                        dot = true;
                        continue;
                }
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                digits = true;
                if (dot) {
                        scale /= 10;
                        v += (*p - '0') * scale;
                } else {
                        v = v * 10 + (*p - '0');
                }
        }
        if (!digits)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_total(const char *p, const char *end, uint64_t *ret)
{
        uint64_t v = 0;

        if (p == end || *p == ' ')
                return -EINVAL;
        for (; p < end && *p != ' '; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                uint64_t d = (uint64_t)(*p - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

/* Parses the fields after "some "/"full ": key=value pairs separated by one
 * blank; unknown keys are ignored, the four known ones are required. */
static int parse_line(const char *p, const char *eol, struct psi_line *ret)
{
        struct psi_line l = { 0 };
        unsigned seen = 0;

        while (p < eol) {
                const char *end = memchr(p, ' ', (size_t)(eol - p));
                if (!end)
                        end = eol;
                const char *eq = memchr(p, '=', (size_t)(end - p));
                if (!eq)
                        return -EINVAL;
                size_t klen = (size_t)(eq - p);
                int r = 0;

                if (klen == 5 && memcmp(p, "avg10", 5) == 0) {
                        r = parse_percent(eq + 1, end, &l.avg10);
                        seen |= 1;
                } else if (klen == 5 && memcmp(p, "avg60", 5) == 0) {
                        r = parse_percent(eq + 1, end, &l.avg60);
                        seen |= 2;
                } else if (klen == 6 && memcmp(p, "avg300", 6) == 0) {
                        r = parse_percent(eq + 1, end, &l.avg300);
                        seen |= 4;
                } else if (klen == 5 && memcmp(p, "total", 5) == 0) {
                        r = parse_total(eq + 1, end, &l.total_usec);
                        seen |= 8;
                }
                if (r < 0)
                        return -EINVAL;
                p = end < eol ? end + 1 : end;
        }
        if (seen != 0xf)
                return -EINVAL;
        *ret = l;
        return 0;
}

int psi_parse(const char *buf, struct psi_stats *ret)
{
        struct psi_stats s = { 0 };
        bool has_some = false;

        for (const char *line = buf; *line;) {
                const char *eol = strchrnul(line, '\n');
                int r = 0;

                if (eol - line > 5 && memcmp(line, "some ", 5) == 0) {
                        r = parse_line(line + 5, eol, &s.some);
                        has_some = true;
                } else if (eol - line > 5 && memcmp(line, "full ", 5) == 0) {
                        r = parse_line(line + 5, eol, &s.full);
                        s.has_full = true;
                }
                if (r < 0)
                        return r;
                line = *eol ? eol + 1 : eol;
        }
        if (!has_some)
                return -EINVAL;
        *ret = s;
        return 0;
}

int psi_read(int fd, struct psi_stats *ret)
{
        char buf[PSI_BUF_SIZE];
        ssize_t n = pread_file(fd, buf, sizeof(buf));

        if (n < 0)
                return (int)n;
        return psi_parse(buf, ret);
}

/* Writes the trigger in one write() including the terminating NUL: the
 * kernel overwrites the last byte it copies with a NUL, so without it the
 * last digit of the window would be lost (see psi.rst's example). */
static int trigger_write(int fd, enum psi_kind kind, uint64_t stall_usec, uint64_t window_usec)
{
        char buf[PSI_TRIGGER_MAX];
        int len = snprintf(buf, sizeof(buf), "%s %" PRIu64 " %" PRIu64, kind == PSI_FULL ? "full" : "some",
                           stall_usec, window_usec);

        if (len < 0 || (size_t)len + 1 > sizeof(buf))
                return -EINVAL;
        for (;;) {
                ssize_t n = write(fd, buf, (size_t)len + 1);
                if (n >= 0)
                        return n == len + 1 ? 0 : -EIO;
                if (errno != EINTR)
                        return -errno;
        }
}

int psi_trigger_open(int dirfd, const char *path, enum psi_kind kind, uint64_t stall_usec,
                     uint64_t window_usec, uint64_t *ret_window_usec)
{
        /* The kernel reads both as unsigned int and wants 0 < stall <= window. */
        if (stall_usec == 0 || stall_usec > window_usec || window_usec > UINT32_MAX)
                return -EINVAL;
        if (kind != PSI_SOME && kind != PSI_FULL)
                return -EINVAL;

        int fd = openat(dirfd, path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        uint64_t window = window_usec;
        int r = trigger_write(fd, kind, stall_usec, window);
        if (r == -EINVAL && window % PSI_UNPRIV_WINDOW_USEC != 0) {
                /* Unprivileged: keep the share of the window, at least 1 us.
                 * A failed write leaves no trigger behind, so the same fd can
                 * take the second one. */
                uint64_t stall = stall_usec * PSI_UNPRIV_WINDOW_USEC / window_usec;

                window = PSI_UNPRIV_WINDOW_USEC;
                r = trigger_write(fd, kind, MAX(stall, UINT64_C(1)), window);
        }
        if (r < 0) {
                close(fd);
                return r;
        }
        if (ret_window_usec)
                *ret_window_usec = window;
        return fd;
}
