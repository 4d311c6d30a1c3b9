/* SPDX-License-Identifier: MIT */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* A limit or usage file holds one number: 20 digits and a newline. */
#define CGROUP_NUMBER_BUF_SIZE 32

/* memory.events is six "key value" lines, ~100 bytes on 6.x; memory.oom_control
 * three (~50 bytes). 512 leaves room for keys added later. */
#define CGROUP_KEYS_BUF_SIZE 512

/* memory.stat is ~1.5 KiB on 6.1 (v2: 50 keys; v1: 36 keys plus their
 * total_ twins); the keys we need are within the first 1.2 KiB of both. */
#define CGROUP_STAT_BUF_SIZE 8192

/* cgroup.controllers lists at most a dozen short names (~80 bytes). */
#define CGROUP_CONTROLLERS_BUF_SIZE 256

/*
 * getdents64() buffer per level of the walk, on the stack. A v1 memory cgroup
 * directory has ~35 entries of 24-48 bytes each (~1.5 KiB); a smaller buffer
 * only costs another getdents64() call, so 2 KiB keeps the stack per level
 * small while reading a typical directory in one call.
 */
#define CGROUP_DENTS_BUF_SIZE 2048

/*
 * The "unlimited" v1 value is PAGE_COUNTER_MAX * PAGE_SIZE: LONG_MAX rounded
 * down to the page size on 64-bit kernels (0x7ffffffffffff000 with 4 KiB
 * pages, 0x7fffffffffff0000 with 64 KiB), LONG_MAX pages on 32-bit kernels
 * ((2^31 - 1) * 4096 = 0x7fffffff000), and RES_COUNTER_MAX (LLONG_MAX or
 * ULLONG_MAX) before 3.19. Anything at or above 2^62 bytes (4 EiB) cannot be
 * a real limit.
 */
#define CGROUP_V1_UNLIMITED_MIN (UINT64_C(1) << 62)
#define CGROUP_V1_UNLIMITED_32BIT UINT64_C(0x7fffffff000)

bool cgroup_limit_is_set(uint64_t limit_bytes)
{
        return limit_bytes < CGROUP_V1_UNLIMITED_MIN && limit_bytes != CGROUP_V1_UNLIMITED_32BIT;
}

int cgroup_parse_limit(const char *buf, uint64_t *ret_bytes)
{
        uint64_t v;
        int r;

        if (strcmp(buf, "max") == 0 || strcmp(buf, "max\n") == 0) {
                *ret_bytes = CGROUP_LIMIT_MAX;
                return 0;
        }
        r = parse_u64(buf, &v);
        if (r < 0)
                return r;
        *ret_bytes = cgroup_limit_is_set(v) ? v : CGROUP_LIMIT_MAX;
        return 0;
}

/* Parses "key value\n" lines, storing the values of the keys in `keys` at
 * their offsets in *mem. Unknown keys are skipped; a known key with a bad
 * value makes the whole file -EINVAL. */
struct key_offset {
        const char *key;
        size_t offset;
};

static int parse_keyed(const char *buf, const struct key_offset *keys, size_t n_keys,
                       struct cgroup_memory *mem)
{
        for (const char *line = buf; *line;) {
                const char *eol = strchrnul(line, '\n');
                const char *sp = memchr(line, ' ', (size_t)(eol - line));

                for (size_t i = 0; sp && i < n_keys; i++) {
                        size_t klen = strlen(keys[i].key);
                        char num[CGROUP_NUMBER_BUF_SIZE];
                        size_t nlen = (size_t)(eol - sp - 1);
                        uint64_t v;

                        if ((size_t)(sp - line) != klen || memcmp(line, keys[i].key, klen) != 0)
                                continue;
                        if (nlen >= sizeof(num))
                                return -EINVAL;
                        memcpy(num, sp + 1, nlen);
                        num[nlen] = '\0';
                        if (parse_u64(num, &v) < 0)
                                return -EINVAL;
                        memcpy((char *)mem + keys[i].offset, &v, sizeof(v));
                        break;
                }
                line = *eol ? eol + 1 : eol;
        }
        return 0;
}

static void events_clear(struct cgroup_memory *m)
{
        m->events_low = m->events_high = m->events_max = m->events_oom = m->events_oom_kill = 0;
}

int cgroup_parse_memory_events(const char *buf, struct cgroup_memory *ret)
{
        static const struct key_offset keys[] = {
                { "low", offsetof(struct cgroup_memory, events_low) },
                { "high", offsetof(struct cgroup_memory, events_high) },
                { "max", offsetof(struct cgroup_memory, events_max) },
                { "oom", offsetof(struct cgroup_memory, events_oom) },
                { "oom_kill", offsetof(struct cgroup_memory, events_oom_kill) },
        };
        struct cgroup_memory m = *ret;

        events_clear(&m);
        int r = parse_keyed(buf, keys, ARRAY_SIZE(keys), &m);
        if (r < 0)
                return r;
        *ret = m;
        return 0;
}

int cgroup_parse_oom_control(const char *buf, struct cgroup_memory *ret)
{
        /* "oom_kill_disable 0\nunder_oom 0\noom_kill N\n"; oom_kill since 4.13. */
        static const struct key_offset keys[] = {
                { "oom_kill", offsetof(struct cgroup_memory, events_oom_kill) },
        };
        struct cgroup_memory m = *ret;

        events_clear(&m);
        int r = parse_keyed(buf, keys, ARRAY_SIZE(keys), &m);
        if (r < 0)
                return r;
        *ret = m;
        return 0;
}

int cgroup_parse_memory_stat(const char *buf, enum cgroup_version v, struct cgroup_memory *ret)
{
        static const struct key_offset v2_keys[] = {
                { "inactive_file", offsetof(struct cgroup_memory, inactive_file_bytes) },
        };
        /* v1's own inactive_file leaves out the children; total_ is the
         * hierarchy's, which is what the limit applies to. */
        static const struct key_offset v1_keys[] = {
                { "total_inactive_file", offsetof(struct cgroup_memory, inactive_file_bytes) },
        };
        struct cgroup_memory m = *ret;

        m.inactive_file_bytes = 0;
        int r = parse_keyed(buf, v == CGROUP_V2 ? v2_keys : v1_keys, 1, &m);
        if (r < 0)
                return r;
        *ret = m;
        return 0;
}

/* memory.stat is optional: without it nothing counts as reclaimable. */
static int read_memory_stat(int cgfd, enum cgroup_version v, struct cgroup_memory *m)
{
        char buf[CGROUP_STAT_BUF_SIZE];
        ssize_t n = read_file_at(cgfd, "memory.stat", buf, sizeof(buf));

        if (n == -ENOENT)
                return 0;
        if (n < 0)
                return (int)n;
        /* A cut-off last line would parse as a smaller number: drop it. */
        if ((size_t)n == sizeof(buf) - 1) {
                char *nl = strrchr(buf, '\n');
                if (nl)
                        nl[1] = '\0';
        }
        return cgroup_parse_memory_stat(buf, v, m);
}

/* Reads and parses a limit file; -ENOENT passes through for the caller to
 * decide whether the file is optional. */
static int read_limit(int cgfd, const char *file, uint64_t *ret)
{
        char buf[CGROUP_NUMBER_BUF_SIZE];
        ssize_t n = read_file_at(cgfd, file, buf, sizeof(buf));

        if (n < 0)
                return (int)n;
        return cgroup_parse_limit(buf, ret);
}

static int read_keyed(int cgfd, const char *file, int (*parse)(const char *, struct cgroup_memory *),
                      struct cgroup_memory *m)
{
        char buf[CGROUP_KEYS_BUF_SIZE];
        ssize_t n = read_file_at(cgfd, file, buf, sizeof(buf));

        if (n < 0)
                return (int)n;
        return parse(buf, m);
}

static int read_memory_v2(int cgfd, struct cgroup_memory *m)
{
        int r;

        r = read_limit(cgfd, "memory.max", &m->limit_bytes);
        if (r < 0)
                return r;
        r = read_limit(cgfd, "memory.current", &m->usage_bytes);
        if (r < 0)
                return r;
        /* No memory.swap.max without swap accounting (swapaccount=0). */
        r = read_limit(cgfd, "memory.swap.max", &m->swap_limit_bytes);
        if (r == -ENOENT)
                m->swap_limit_bytes = CGROUP_LIMIT_MAX;
        else if (r < 0)
                return r;
        return read_keyed(cgfd, "memory.events", cgroup_parse_memory_events, m);
}

static int read_memory_v1(int cgfd, struct cgroup_memory *m)
{
        uint64_t memsw;
        int r;

        r = read_limit(cgfd, "memory.limit_in_bytes", &m->limit_bytes);
        if (r < 0)
                return r;
        r = read_limit(cgfd, "memory.usage_in_bytes", &m->usage_bytes);
        if (r < 0)
                return r;
        /* memsw is memory + swap; it exists only with swap accounting. */
        m->swap_limit_bytes = CGROUP_LIMIT_MAX;
        r = read_limit(cgfd, "memory.memsw.limit_in_bytes", &memsw);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r == 0 && cgroup_limit_is_set(memsw) && cgroup_limit_is_set(m->limit_bytes) &&
            memsw >= m->limit_bytes)
                m->swap_limit_bytes = memsw - m->limit_bytes;
        return read_keyed(cgfd, "memory.oom_control", cgroup_parse_oom_control, m);
}

int cgroup_read_memory(int cgfd, enum cgroup_version v, struct cgroup_memory *ret)
{
        struct cgroup_memory m = { 0 };
        int r;

        if (v == CGROUP_V2)
                r = read_memory_v2(cgfd, &m);
        else if (v == CGROUP_V1)
                r = read_memory_v1(cgfd, &m);
        else
                r = -EINVAL;
        if (r >= 0)
                r = read_memory_stat(cgfd, v, &m);
        if (r < 0)
                return r;
        *ret = m;
        return 0;
}

static bool exists_at(int dirfd, const char *path)
{
        return faccessat(dirfd, path, F_OK, 0) == 0;
}

/* Whether the word "memory" is in a v2 cgroup.controllers file. */
static bool controllers_have_memory(int sysfd, const char *path)
{
        char buf[CGROUP_CONTROLLERS_BUF_SIZE];
        char *save = NULL;

        if (read_file_at(sysfd, path, buf, sizeof(buf)) < 0)
                return false;
        for (char *w = strtok_r(buf, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
                if (strcmp(w, "memory") == 0)
                        return true;
        return false;
}

int cgroup_detect(int sysfd, struct cgroup_mounts *ret)
{
        struct cgroup_mounts m = { 0 };

        if (exists_at(sysfd, "fs/cgroup/cgroup.controllers")) {
                strscpy(m.v2, "fs/cgroup", sizeof(m.v2));
                m.v2_has_memory = controllers_have_memory(sysfd, "fs/cgroup/cgroup.controllers");
        } else {
                /* Hybrid (systemd's "unified" mount) or pure v1. */
                const char *unified = "fs/cgroup/unified/cgroup.controllers";

                if (exists_at(sysfd, unified)) {
                        strscpy(m.v2, "fs/cgroup/unified", sizeof(m.v2));
                        m.v2_has_memory = controllers_have_memory(sysfd, unified);
                }
                if (exists_at(sysfd, "fs/cgroup/memory/memory.limit_in_bytes"))
                        strscpy(m.v1_memory, "fs/cgroup/memory", sizeof(m.v1_memory));
        }
        if (!m.v2[0] && !m.v1_memory[0])
                return -ENOENT;
        *ret = m;
        return 0;
}

/* The walk's state shared by every level: one path buffer, extended and cut
 * back as the walk goes down and up. */
struct walk {
        enum cgroup_version version;
        unsigned max_depth;
        cgroup_found_fn cb;
        void *userdata;
        int found;
        char path[CGROUP_PATH_MAX];
};

static bool is_dir_entry(int dirfd, const struct dirent64 *d)
{
        struct stat st;

        if (d->d_type == DT_DIR)
                return true;
        if (d->d_type != DT_UNKNOWN)
                return false;
        return fstatat(dirfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* A cgroup that vanished between getdents64() and the read is skipped:
 * kernfs answers ENOENT for a removed directory, ENODEV for a removed file
 * already open. */
static bool is_vanished(int r)
{
        return r == -ENOENT || r == -ENODEV;
}

static int walk_dir(struct walk *w, int dirfd, unsigned depth);

/* Looks at one child directory: reports it if limited, then descends. */
static int walk_child(struct walk *w, int parentfd, const char *name, unsigned depth)
{
        size_t len = strlen(w->path);
        struct cgroup_memory mem;
        uint64_t limit;
        int r, fd;

        /* "/" + name must fit; a deeper path than CGROUP_PATH_MAX is skipped
         * since it could not be reported. */
        if (len + 1 + strlen(name) >= sizeof(w->path))
                return 0;
        fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return is_vanished(-errno) ? 0 : -errno;

        w->path[len] = '/';
        strcpy(w->path + len + 1, name);

        r = read_limit(fd, w->version == CGROUP_V2 ? "memory.max" : "memory.limit_in_bytes", &limit);
        if (r == 0 && cgroup_limit_is_set(limit)) {
                r = cgroup_read_memory(fd, w->version, &mem);
                if (r == 0) {
                        r = w->cb(w->path, &mem, w->userdata);
                        if (r < 0)
                                goto out;
                        w->found++;
                }
        }
        /* A v2 child without memory.max (controller not enabled) or a
         * vanished one is not an error; anything else is. */
        if (r < 0 && !is_vanished(r))
                goto out;
        r = depth < w->max_depth ? walk_dir(w, fd, depth + 1) : 0;
out:
        w->path[len] = '\0';
        close(fd);
        return r;
}

/* Walks the children of the directory dirfd, which are at `depth`. Uses its
 * own open file description so the caller's offset is untouched. */
static int walk_dir(struct walk *w, int dirfd, unsigned depth)
{
        _Alignas(struct dirent64) char buf[CGROUP_DENTS_BUF_SIZE];
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r = 0;

        if (fd < 0)
                return is_vanished(-errno) ? 0 : -errno;
        for (;;) {
                ssize_t n = getdents64(fd, buf, sizeof(buf));
                if (n < 0) {
                        r = is_vanished(-errno) ? 0 : -errno;
                        break;
                }
                if (n == 0)
                        break;
                for (ssize_t off = 0; off < n;) {
                        const struct dirent64 *d = (const struct dirent64 *)(buf + off);

                        off += d->d_reclen;
                        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
                                continue;
                        if (!is_dir_entry(fd, d))
                                continue;
                        r = walk_child(w, fd, d->d_name, depth);
                        if (r < 0)
                                goto out;
                }
        }
out:
        close(fd);
        return r;
}

int cgroup_find_limited(int rootfd, enum cgroup_version v, unsigned max_depth, cgroup_found_fn cb,
                        void *userdata)
{
        struct walk w = {
                .version = v,
                .max_depth = max_depth,
                .cb = cb,
                .userdata = userdata,
        };
        int r;

        if ((v != CGROUP_V1 && v != CGROUP_V2) || !cb)
                return -EINVAL;
        if (max_depth == 0)
                return 0;
        r = walk_dir(&w, rootfd, 1);
        return r < 0 ? r : w.found;
}

/*
 * Registers an event: "<event_fd> <fd of file> [args]" written to
 * cgroup.event_control (cgroup-v1/memory.rst, "Memory thresholds",
 * "OOM Control", "Memory Pressure"). The kernel keeps its own reference to
 * the eventfd only, so the target file is closed again at once; the event
 * goes away when the eventfd is closed or the cgroup is removed (which also
 * signals the eventfd once).
 */
static int event_control_open(int cgfd, const char *file, const char *args)
{
        char buf[64];
        int efd, tfd, r;

        efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (efd < 0)
                return -errno;
        tfd = openat(cgfd, file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (tfd < 0) {
                r = -errno;
                goto fail;
        }
        if (args)
                r = snprintf(buf, sizeof(buf), "%d %d %s", efd, tfd, args);
        else
                r = snprintf(buf, sizeof(buf), "%d %d", efd, tfd);
        if (r < 0 || (size_t)r >= sizeof(buf))
                r = -EINVAL;
        else
                r = write_file_at(cgfd, "cgroup.event_control", buf);
        close(tfd);
        if (r < 0)
                goto fail;
        return efd;
fail:
        close(efd);
        return r;
}

int cgroup_v1_pressure_level_open(int cgfd, const char *level)
{
        /* "<level>[,<mode>]": low|medium|critical, optionally
         * ,default|hierarchy|local. Letters and one comma only, so nothing
         * else can be smuggled into the control line. */
        size_t len = level ? strlen(level) : 0;

        if (len == 0 || len > 32 || strspn(level, "abcdefghijklmnopqrstuvwxyz,") != len)
                return -EINVAL;
        return event_control_open(cgfd, "memory.pressure_level", level);
}

int cgroup_v1_usage_threshold_open(int cgfd, uint64_t threshold_bytes)
{
        char arg[24];

        snprintf(arg, sizeof(arg), "%" PRIu64, threshold_bytes);
        return event_control_open(cgfd, "memory.usage_in_bytes", arg);
}

int cgroup_v1_oom_control_open(int cgfd)
{
        return event_control_open(cgfd, "memory.oom_control", NULL);
}

bool cgroup_path_contains(const char *path, const char *member)
{
        size_t len;

        if (!path || !member || path[0] != '/' || member[0] != '/')
                return false;
        len = strlen(path);
        while (len > 0 && path[len - 1] == '/')
                len--;
        /* "/" (len 0 now) contains every absolute path. */
        if (strncmp(member, path, len) != 0)
                return false;
        return member[len] == '\0' || member[len] == '/';
}
