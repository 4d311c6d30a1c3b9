/* SPDX-License-Identifier: MIT */
#include "charges.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* getdents64 buffer for /proc/PID/fdinfo: an entry for a short numeric
 * name is 24 bytes, so one call returns ~170 fds. */
#define CHARGES_DENTS_BUF 4096
/* "PID/fdinfo" and "PID/fd": 10 digits and a name. */
#define CHARGES_PATH_MAX 32
/* Only the prefix of an fd's link is compared, so a longer target being
 * cut by readlink() does not matter. */
#define CHARGES_LINK_MAX 64

static const char drm_dev_prefix[] = "/dev/dri/";

/* ---- DRM fdinfo parser --------------------------------------------------- */

static bool is_blank(char c)
{
        return c == ' ' || c == '\t';
}

static uint64_t sat_add_u64(uint64_t a, uint64_t b)
{
        uint64_t r;
        return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* Copies [s, end) into dst (size bytes), cut and NUL-terminated. */
static void copy_span(char *dst, size_t size, const char *s, const char *end)
{
        size_t len = MIN((size_t)(end - s), size - 1);
        memcpy(dst, s, len);
        dst[len] = '\0';
}

/* A <uint> of the whole span [s, end): digits only. */
static int parse_span_u64(const char *s, const char *end, uint64_t *ret)
{
        uint64_t v = 0;

        if (s == end)
                return -EINVAL;
        for (; s < end; s++) {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
                        return -ERANGE;
        }
        *ret = v;
        return 0;
}

/* "<uint>[ KiB|MiB|GiB]" in bytes. The unit may follow the number with or
 * without blanks. */
static int parse_span_size(const char *s, const char *end, uint64_t *ret_bytes)
{
        static const struct {
                const char *unit;
                unsigned shift;
        } units[] = {
                { "KiB", 10 },
                { "MiB", 20 },
                { "GiB", 30 },
        };
        const char *p = s;
        uint64_t v;
        int r;

        while (p < end && *p >= '0' && *p <= '9')
                p++;
        r = parse_span_u64(s, p, &v);
        if (r < 0)
                return r;
        while (p < end && is_blank(*p))
                p++;
        if (p == end) {
                *ret_bytes = v;
                return 0;
        }
        for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
                size_t len = strlen(units[i].unit);
                if ((size_t)(end - p) != len || memcmp(p, units[i].unit, len) != 0)
                        continue;
                if (v > (UINT64_MAX >> units[i].shift))
                        return -ERANGE;
                *ret_bytes = v << units[i].shift;
                return 0;
        }
        return -EINVAL;
}

/* True if the key [key, end) is prefix followed by a non-empty region. */
static bool key_has_region(const char *key, const char *end, const char *prefix)
{
        size_t len = strlen(prefix);
        return (size_t)(end - key) > len && memcmp(key, prefix, len) == 0;
}

static bool key_is(const char *key, const char *end, const char *name)
{
        size_t len = strlen(name);
        return (size_t)(end - key) == len && memcmp(key, name, len) == 0;
}

/* One line [line, eol). Returns 0 or the error of a malformed value; sets
 * *is_drm on the drm-driver line. */
static int parse_drm_line(const char *line, const char *eol, struct drm_fdinfo *info, bool *is_drm)
{
        const char *colon = memchr(line, ':', (size_t)(eol - line));
        const char *v, *vend = eol;
        uint64_t *sum = NULL;
        unsigned key = 0;
        uint64_t bytes;
        int r;

        /* Keys start the line, contain no blanks and begin with "drm-". */
        if (!colon || (size_t)(colon - line) < 4 || memcmp(line, "drm-", 4) != 0)
                return 0;
        for (const char *k = line; k < colon; k++)
                if (is_blank(*k))
                        return 0;
        v = colon + 1;
        while (v < vend && is_blank(*v))
                v++;
        while (vend > v && (is_blank(vend[-1]) || vend[-1] == '\r'))
                vend--;

        if (key_is(line, colon, "drm-driver")) {
                if (!*is_drm)
                        copy_span(info->driver, sizeof(info->driver), v, vend);
                *is_drm = true;
                return 0;
        }
        if (key_is(line, colon, "drm-pdev")) {
                copy_span(info->pdev, sizeof(info->pdev), v, vend);
                return 0;
        }
        if (key_is(line, colon, "drm-client-id")) {
                r = parse_span_u64(v, vend, &info->client_id);
                if (r < 0)
                        return r;
                info->has_client_id = true;
                return 0;
        }
        if (key_has_region(line, colon, "drm-resident-")) {
                sum = &info->resident_bytes;
                key = DRM_FDINFO_RESIDENT;
        } else if (key_has_region(line, colon, "drm-memory-")) {
                sum = &info->memory_bytes;
                key = DRM_FDINFO_MEMORY;
        } else if (key_has_region(line, colon, "drm-total-") &&
                   !key_has_region(line, colon, "drm-total-cycles-")) {
                /* drm-total-cycles-<engine> counts GPU cycles. */
                sum = &info->total_bytes;
                key = DRM_FDINFO_TOTAL;
        } else {
                return 0;
        }
        r = parse_span_size(v, vend, &bytes);
        if (r < 0)
                return r;
        *sum = sat_add_u64(*sum, bytes);
        info->keys |= key;
        return 0;
}

int charges_parse_drm_fdinfo(const char *buf, struct drm_fdinfo *ret)
{
        struct drm_fdinfo info = { 0 };
        bool is_drm = false;
        int err = 0;

        for (const char *line = buf; *line;) {
                const char *eol = strchrnul(line, '\n');
                int r = parse_drm_line(line, eol, &info, &is_drm);
                if (r < 0 && err == 0)
                        err = r;
                line = *eol ? eol + 1 : eol;
        }
        /* A malformed value only matters in a DRM file, whichever line
         * comes first. */
        if (!is_drm) {
                *ret = (struct drm_fdinfo){ 0 };
                return 0;
        }
        if (err < 0) {
                *ret = (struct drm_fdinfo){ 0 };
                return err;
        }
        *ret = info;
        return 1;
}

uint64_t charges_drm_fdinfo_kib(const struct drm_fdinfo *info)
{
        uint64_t bytes = 0;

        if (info->keys & DRM_FDINFO_RESIDENT)
                bytes = info->resident_bytes;
        else if (info->keys & DRM_FDINFO_MEMORY)
                bytes = info->memory_bytes;
        else if (info->keys & DRM_FDINFO_TOTAL)
                bytes = info->total_bytes;
        return bytes / 1024 + (bytes % 1024 != 0);
}

/* ---- DRM fdinfo reader --------------------------------------------------- */

struct drm_client_key {
        char pdev[DRM_PDEV_MAX];
        uint64_t id;
};

/* Remembers (pdev, id) in seen[]. Returns true if it is new and was
 * stored, false if it was seen before or there is no room left. */
static bool remember_client(struct drm_client_key *seen, size_t *n, const struct drm_fdinfo *info)
{
        for (size_t i = 0; i < *n; i++)
                if (seen[i].id == info->client_id && strcmp(seen[i].pdev, info->pdev) == 0)
                        return false;
        if (*n >= CHARGES_DRM_CLIENTS_MAX)
                return false;
        memcpy(seen[*n].pdev, info->pdev, sizeof(seen[*n].pdev));
        seen[*n].id = info->client_id;
        (*n)++;
        return true;
}

static bool is_fd_name(const char *name)
{
        if (name[0] < '0' || name[0] > '9')
                return false;
        for (const char *p = name; *p; p++)
                if (*p < '0' || *p > '9')
                        return false;
        return true;
}

/* Whether fd `name` may be a DRM node: its link is under /dev/dri/, or the
 * link cannot be read (fixtures have no fd/ links; then fdinfo decides).
 * False for an fd closed meanwhile. */
static bool maybe_drm_fd(int fdfd, const char *name)
{
        char link[CHARGES_LINK_MAX];
        ssize_t n;

        if (fdfd < 0)
                return true;
        n = readlinkat(fdfd, name, link, sizeof(link) - 1);
        if (n < 0)
                return errno != ENOENT;
        link[n] = '\0';
        return strncmp(link, drm_dev_prefix, sizeof(drm_dev_prefix) - 1) == 0;
}

/* Reads one fdinfo file, cut at its last whole line. Returns the parse
 * result, 0 for a file closed meanwhile, or -errno. */
static int read_drm_fdinfo(int dirfd, const char *name, char *buf, size_t size, struct drm_fdinfo *ret)
{
        ssize_t n = read_file_at(dirfd, name, buf, size);

        if (n == -ENOENT)
                return 0;
        if (n < 0)
                return (int)n;
        if ((size_t)n == size - 1) {
                char *nl = memrchr(buf, '\n', (size_t)n);
                if (nl)
                        nl[1] = '\0';
        }
        return charges_parse_drm_fdinfo(buf, ret);
}

int charges_read_drm(int procfd, pid_t pid, uint64_t *ret_kib)
{
        _Alignas(struct dirent64) char dents[CHARGES_DENTS_BUF];
        char buf[CHARGES_FDINFO_BUF];
        struct drm_client_key seen[CHARGES_DRM_CLIENTS_MAX];
        char path[CHARGES_PATH_MAX];
        size_t nseen = 0, examined = 0;
        uint64_t kib = 0;
        int dirfd, fdfd, clients = 0, r = 0;

        *ret_kib = 0;
        if (pid <= 0)
                return -EINVAL;
        snprintf(path, sizeof(path), "%d/fdinfo", (int)pid);
        dirfd = openat(procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return -errno;
        snprintf(path, sizeof(path), "%d/fd", (int)pid);
        fdfd = openat(procfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);

        while (examined < CHARGES_DRM_FDS_MAX) {
                ssize_t n = getdents64(dirfd, dents, sizeof(dents));

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (n == 0)
                        break;
                for (ssize_t off = 0; off < n && examined < CHARGES_DRM_FDS_MAX;) {
                        const struct dirent64 *d = (const struct dirent64 *)(dents + off);
                        struct drm_fdinfo info;

                        off += d->d_reclen;
                        if (!is_fd_name(d->d_name))
                                continue;
                        examined++;
                        if (!maybe_drm_fd(fdfd, d->d_name))
                                continue;
                        int k = read_drm_fdinfo(dirfd, d->d_name, buf, sizeof(buf), &info);
                        if (k == -EINVAL || k == -ERANGE || k == 0)
                                continue; /* malformed, not DRM, or closed */
                        if (k < 0) {
                                r = k;
                                goto out;
                        }
                        if (info.has_client_id && !remember_client(seen, &nseen, &info))
                                continue;
                        kib = sat_add_u64(kib, charges_drm_fdinfo_kib(&info));
                        clients++;
                }
        }
out:
        if (fdfd >= 0)
                close(fdfd);
        close(dirfd);
        if (r < 0)
                return r;
        *ret_kib = kib;
        return clients;
}

/* ---- the charge table ---------------------------------------------------- */

/* Saturates at +-INT64_MAX (never INT64_MIN, so a result can be negated). */
static int64_t sat_add_i64(int64_t a, int64_t b)
{
        int64_t r;
        if (__builtin_add_overflow(a, b, &r))
                return b > 0 ? INT64_MAX : -INT64_MAX;
        return r < -INT64_MAX ? -INT64_MAX : r;
}

static int key_cmp(const struct charge *e, pid_t pid, enum charge_source source, pid_t peer)
{
        if (e->pid != pid)
                return e->pid < pid ? -1 : 1;
        if (e->source != source)
                return e->source < source ? -1 : 1;
        if (e->peer != peer)
                return e->peer < peer ? -1 : 1;
        return 0;
}

/* Index of the first entry whose key is >= (pid, source, peer). */
static size_t lower_bound(const struct charge_table *t, pid_t pid, enum charge_source source, pid_t peer)
{
        size_t lo = 0, hi = t->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (key_cmp(&t->entries[mid], pid, source, peer) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static size_t first_of_pid(const struct charge_table *t, pid_t pid)
{
        /* Sources start at 0 and peers are >= 0. */
        return lower_bound(t, pid, (enum charge_source)0, -1);
}

static bool lookup(const struct charge_table *t, pid_t pid, enum charge_source source, pid_t peer,
                   size_t *ret_idx)
{
        size_t i = lower_bound(t, pid, source, peer);
        *ret_idx = i;
        return i < t->n && key_cmp(&t->entries[i], pid, source, peer) == 0;
}

static void remove_at(struct charge_table *t, size_t i)
{
        memmove(&t->entries[i], &t->entries[i + 1], (t->n - i - 1) * sizeof(t->entries[0]));
        t->n--;
}

static void remove_key(struct charge_table *t, pid_t pid, enum charge_source source, pid_t peer)
{
        size_t i;
        if (lookup(t, pid, source, peer, &i))
                remove_at(t, i);
}

/* Sets an entry; the caller has checked there is room for a new one. */
static void upsert(struct charge_table *t, pid_t pid, enum charge_source source, pid_t peer, int64_t kib)
{
        size_t i;

        if (!lookup(t, pid, source, peer, &i)) {
                memmove(&t->entries[i + 1], &t->entries[i], (t->n - i) * sizeof(t->entries[0]));
                t->n++;
        }
        t->entries[i] = (struct charge){ .pid = pid, .peer = peer, .kib = kib, .source = source };
}

/* Keeps the entries for which drop() is false, in order. */
static void filter(struct charge_table *t, bool (*drop)(const struct charge *e, const void *arg),
                   const void *arg)
{
        size_t out = 0;

        for (size_t i = 0; i < t->n; i++)
                if (!drop(&t->entries[i], arg))
                        t->entries[out++] = t->entries[i];
        t->n = out;
}

void charges_init(struct charge_table *t)
{
        t->n = 0;
        t->dropped = 0;
}

static bool drop_source(const struct charge *e, const void *arg)
{
        return e->source == *(const enum charge_source *)arg;
}

void charges_clear(struct charge_table *t, enum charge_source source)
{
        filter(t, drop_source, &source);
}

int charges_set(struct charge_table *t, enum charge_source source, pid_t client, pid_t holder, uint64_t kib)
{
        int64_t v = kib > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)kib;
        size_t i, need = 0;

        if (client <= 0 || holder < 0 || (unsigned)source >= CHARGE_SOURCE_MAX)
                return -EINVAL;
        if (client == holder)
                return 0;
        if (v == 0) {
                remove_key(t, client, source, holder);
                if (holder > 0)
                        remove_key(t, holder, source, client);
                return 0;
        }
        need += !lookup(t, client, source, holder, &i);
        if (holder > 0)
                need += !lookup(t, holder, source, client, &i);
        if (t->n + need > CHARGES_MAX) {
                t->dropped++;
                return -ENOSPC;
        }
        upsert(t, client, source, holder, v);
        if (holder > 0)
                upsert(t, holder, source, client, -v);
        return 0;
}

struct holder_arg {
        enum charge_source source;
        pid_t holder;
};

static bool drop_holder(const struct charge *e, const void *arg)
{
        const struct holder_arg *h = arg;
        if (e->source != h->source)
                return false;
        /* The holder's side is negative, its clients' sides positive: a
         * holder that is itself a client of another keeps that charge. */
        return (e->pid == h->holder && e->kib < 0) || (e->peer == h->holder && e->kib > 0);
}

void charges_forget_holder(struct charge_table *t, enum charge_source source, pid_t holder)
{
        struct holder_arg h = { .source = source, .holder = holder };
        if (holder > 0)
                filter(t, drop_holder, &h);
}

static bool drop_pid(const struct charge *e, const void *arg)
{
        pid_t pid = *(const pid_t *)arg;
        return e->pid == pid || e->peer == pid;
}

void charges_forget(struct charge_table *t, pid_t pid)
{
        if (pid > 0)
                filter(t, drop_pid, &pid);
}

int64_t charges_source_kib(const struct charge_table *t, pid_t pid, enum charge_source source)
{
        int64_t sum = 0;

        for (size_t i = lower_bound(t, pid, source, -1);
             i < t->n && t->entries[i].pid == pid && t->entries[i].source == source; i++)
                sum = sat_add_i64(sum, t->entries[i].kib);
        return sum;
}

int64_t charges_net_kib(const struct charge_table *t, pid_t pid, uint64_t own_kib)
{
        int64_t sum = 0;
        int64_t floor = own_kib > (uint64_t)INT64_MAX ? -INT64_MAX : -(int64_t)own_kib;

        for (size_t i = first_of_pid(t, pid); i < t->n && t->entries[i].pid == pid; i++)
                sum = sat_add_i64(sum, t->entries[i].kib);
        return sum < floor ? floor : sum;
}

const struct charge *charges_find(const struct charge_table *t, pid_t pid, size_t *ret_n)
{
        size_t first = first_of_pid(t, pid), i = first;

        while (i < t->n && t->entries[i].pid == pid)
                i++;
        *ret_n = i - first;
        return i > first ? &t->entries[first] : NULL;
}

const char *charge_source_to_string(enum charge_source source)
{
        switch (source) {
        case CHARGE_X_PIXMAPS:
                return "x-pixmaps";
        case CHARGE_GPU:
                return "gpu";
        case CHARGE_REPORTED:
                return "reported";
        case CHARGE_SOURCE_MAX:
                break;
        }
        return "unknown";
}
