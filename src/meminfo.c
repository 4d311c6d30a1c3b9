/* SPDX-License-Identifier: MIT */
#include "meminfo.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/*
 * /proc/meminfo on 6.x is about 1.5 KiB (1503 bytes on a 6.18 x86-64 host,
 * 58 lines). 4 KiB leaves room for new keys; the keys we need are all in the
 * first ten lines, so a file that fills the buffer is still fine: only the
 * cut-off last line is dropped.
 */
#define MEMINFO_BUF_SIZE 4096

#define MEMINFO_REQUIRED 1u

/* One row per key we keep: name (with the colon), where it goes, and
 * whether its absence makes the file unusable. */
static const struct {
        const char *name;
        size_t offset;
        unsigned flags;
} meminfo_keys[] = {
        { "MemTotal:", offsetof(struct meminfo, mem_total_kib), MEMINFO_REQUIRED },
        { "MemFree:", offsetof(struct meminfo, mem_free_kib), 0 },
        { "MemAvailable:", offsetof(struct meminfo, mem_available_kib), MEMINFO_REQUIRED },
        { "SwapTotal:", offsetof(struct meminfo, swap_total_kib), 0 },
        { "SwapFree:", offsetof(struct meminfo, swap_free_kib), 0 },
};

int meminfo_parse_kib(const char *s, const char *eol, uint64_t *ret)
{
        uint64_t v = 0;
        const char *p = s;

        while (p < eol && *p == ' ')
                p++;
        if (p == eol || *p < '0' || *p > '9')
                return -EINVAL;
        for (; p < eol && *p >= '0' && *p <= '9'; p++) {
                uint64_t d = (uint64_t)(*p - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        if (eol - p == 3 && memcmp(p, " kB", 3) == 0)
                p += 3;
        if (p != eol)
                return -EINVAL;
        *ret = v;
        return 0;
}

int meminfo_parse(const char *buf, struct meminfo *ret)
{
        struct meminfo m = { 0 };
        unsigned seen = 0;

        for (const char *line = buf; *line;) {
                const char *eol = strchrnul(line, '\n');
                const char *colon = memchr(line, ':', (size_t)(eol - line));

                for (size_t i = 0; colon && i < ARRAY_SIZE(meminfo_keys); i++) {
                        size_t len = strlen(meminfo_keys[i].name);
                        uint64_t v;

                        if ((size_t)(colon + 1 - line) != len || memcmp(line, meminfo_keys[i].name, len) != 0)
                                continue;
                        if (meminfo_parse_kib(colon + 1, eol, &v) < 0)
                                return -EINVAL;
                        memcpy((char *)&m + meminfo_keys[i].offset, &v, sizeof(v));
                        seen |= 1u << i;
                        break;
                }
                line = *eol ? eol + 1 : eol;
        }

        for (size_t i = 0; i < ARRAY_SIZE(meminfo_keys); i++)
                if ((meminfo_keys[i].flags & MEMINFO_REQUIRED) && !(seen & (1u << i)))
                        return -EINVAL;
        *ret = m;
        return 0;
}

int meminfo_open(int procfd)
{
        int fd = openat(procfd, "meminfo", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        return fd < 0 ? -errno : fd;
}

int meminfo_read(int fd, struct meminfo *ret)
{
        char buf[MEMINFO_BUF_SIZE];
        ssize_t n = pread_file(fd, buf, sizeof(buf));

        if (n < 0)
                return (int)n;
        if ((size_t)n == sizeof(buf) - 1) {
                /* Full buffer: drop the last, possibly cut, line. */
                char *nl = strrchr(buf, '\n');
                if (nl)
                        nl[1] = '\0';
        }
        return meminfo_parse(buf, ret);
}

uint64_t meminfo_available_kib(const struct meminfo *m)
{
        return m->mem_available_kib + m->swap_free_kib;
}

uint64_t meminfo_allowable_kib(const struct meminfo *m)
{
        return m->mem_total_kib + m->swap_total_kib;
}
