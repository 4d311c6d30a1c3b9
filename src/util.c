/* SPDX-License-Identifier: MIT */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

ssize_t pread_file(int fd, char *buf, size_t size)
{
        size_t len = 0;

        if (size == 0)
                return -EINVAL;
        while (len < size - 1) {
                ssize_t n = pread(fd, buf + len, size - 1 - len, (off_t)len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = '\0';
        return (ssize_t)len;
}

ssize_t read_file_at(int dirfd, const char *path, char *buf, size_t size)
{
        int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        ssize_t r = pread_file(fd, buf, size);
        close(fd);
        return r;
}

int write_file_at(int dirfd, const char *path, const char *s)
{
        int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        size_t len = strlen(s);
        ssize_t n = write(fd, s, len);
        int r = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
        close(fd);
        return r;
}

static const char *skip_newline(const char *end)
{
        if (*end == '\n')
                end++;
        return end;
}

int parse_u64(const char *s, uint64_t *ret)
{
        char *end;

        if (!s || !isdigit((unsigned char)*s))
                return -EINVAL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (end == s || *skip_newline(end) != '\0')
                return -EINVAL;
        *ret = v;
        return 0;
}

int parse_i64(const char *s, int64_t *ret)
{
        char *end;

        if (!s || !(isdigit((unsigned char)*s) || ((*s == '-' || *s == '+') && isdigit((unsigned char)s[1]))))
                return -EINVAL;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (end == s || *skip_newline(end) != '\0')
                return -EINVAL;
        *ret = v;
        return 0;
}

int parse_int(const char *s, int *ret)
{
        int64_t v;
        int r = parse_i64(s, &v);
        if (r < 0)
                return r;
        if (v < INT_MIN || v > INT_MAX)
                return -ERANGE;
        *ret = (int)v;
        return 0;
}

int parse_size_bytes(const char *s, uint64_t *ret_bytes)
{
        static const struct {
                const char *suffix;
                unsigned shift;
        } table[] = {
                { "", 0 },     { "B", 0 },   { "K", 10 },   { "KB", 10 },  { "KiB", 10 },
                { "M", 20 },   { "MB", 20 }, { "MiB", 20 }, { "G", 30 },   { "GB", 30 },
                { "GiB", 30 }, { "T", 40 },  { "TB", 40 },  { "TiB", 40 },
        };
        char *end;

        if (!s || !isdigit((unsigned char)*s))
                return -EINVAL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        while (*end == ' ')
                end++;
        for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
                if (strcasecmp(end, table[i].suffix) != 0)
                        continue;
                if (table[i].shift && v > (UINT64_MAX >> table[i].shift))
                        return -ERANGE;
                *ret_bytes = (uint64_t)v << table[i].shift;
                return 0;
        }
        return -EINVAL;
}

int parse_duration_usec(const char *s, uint64_t *ret_usec)
{
        static const struct {
                const char *suffix;
                uint64_t usec;
        } table[] = {
                { "", USEC_PER_SEC },    { "s", USEC_PER_SEC },        { "sec", USEC_PER_SEC },
                { "ms", USEC_PER_MSEC }, { "msec", USEC_PER_MSEC },    { "us", 1 },
                { "usec", 1 },           { "min", 60 * USEC_PER_SEC }, { "m", 60 * USEC_PER_SEC },
        };
        char *end;

        if (!s || !isdigit((unsigned char)*s))
                return -EINVAL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        while (*end == ' ')
                end++;
        for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
                if (strcmp(end, table[i].suffix) != 0)
                        continue;
                if (v > UINT64_MAX / table[i].usec)
                        return -ERANGE;
                *ret_usec = (uint64_t)v * table[i].usec;
                return 0;
        }
        return -EINVAL;
}

int parse_bool(const char *s, bool *ret)
{
        static const char *const yes[] = { "1", "yes", "y", "true", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "off" };

        for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
        for (size_t i = 0; i < ARRAY_SIZE(no); i++)
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        return -EINVAL;
}

uint64_t now_usec(clockid_t clock)
{
        struct timespec ts;

        if (clock_gettime(clock, &ts) < 0)
                return 0;
        return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

bool strscpy(char *dst, const char *src, size_t size)
{
        size_t len = strnlen(src, size);

        if (size == 0)
                return false;
        if (len >= size) {
                memcpy(dst, src, size - 1);
                dst[size - 1] = '\0';
                return false;
        }
        memcpy(dst, src, len + 1);
        return true;
}

char *strstrip(char *s)
{
        while (isspace((unsigned char)*s))
                s++;
        size_t len = strlen(s);
        while (len > 0 && isspace((unsigned char)s[len - 1]))
                s[--len] = '\0';
        return s;
}

const char *format_kib(uint64_t kib, char *buf, size_t size)
{
        if (kib >= UINT64_C(10) << 20)
                snprintf(buf, size, "%.1f GiB", (double)kib / (1 << 20));
        else if (kib >= UINT64_C(10) << 10)
                snprintf(buf, size, "%" PRIu64 " MiB", kib >> 10);
        else
                snprintf(buf, size, "%" PRIu64 " KiB", kib);
        return buf;
}

int mkdir_parent(const char *path)
{
        char dir[PATH_MAX];

        if (!strscpy(dir, path, sizeof(dir)))
                return -ENAMETOOLONG;
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return 0;
        *slash = '\0';
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}
