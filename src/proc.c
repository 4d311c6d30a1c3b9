/* SPDX-License-Identifier: MIT */
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/*
 * Buffer sizes, measured on 6.x x86-64 (one buffer per file, on the stack,
 * never allocated):
 *  - stat: 52 fields of at most 20 digits plus separators (~1.1 KiB) and the
 *    comm (16 bytes, or up to 64 for a kernel thread's full name); the
 *    longest seen is ~330 bytes. 2 KiB leaves a wide margin.
 *  - status: ~1.5 KiB on 6.x (the Mems_allowed line alone is 288 bytes with
 *    1024 nodes possible). 4 KiB.
 *  - cgroup: a v1/v2 hybrid has ~14 lines; container paths are ~100 bytes
 *    each. 4 KiB; a longer file is truncated and flagged.
 *  - cmdline: 4 KiB, so that a 4 KiB command line is seen as truncated and
 *    trailing NULs can be trimmed; we keep only PROC_CMDLINE_MAX of it.
 *  - oom_score_adj / oom_score: "-1000\n" at most; 16 bytes.
 */
#define PROC_STAT_BUF 2048
#define PROC_STATUS_BUF 4096
#define PROC_CGROUP_BUF 4096
#define PROC_CMDLINE_BUF 4096
#define PROC_NUMBER_BUF 16

/* getdents64 buffer: an entry for a numeric name is 24-32 bytes, so one
 * call returns ~250 pids. */
#define PROC_DENTS_BUF 8192

/* "/proc/PID" fits in 11 digits plus a file name. */
#define PROC_PATH_MAX 64

int proc_table_init(struct proc_table *t, size_t capacity)
{
        *t = (struct proc_table){ 0 };
        if (capacity == 0)
                return -EINVAL;
        t->entries = calloc(capacity, sizeof(*t->entries));
        if (!t->entries)
                return -ENOMEM;
        t->capacity = capacity;
        return 0;
}

void proc_table_free(struct proc_table *t)
{
        free(t->entries);
        *t = (struct proc_table){ 0 };
}

/* ---- pure parsers -------------------------------------------------------- */

/* Parses [s, s + len) as a decimal number with an optional leading '-'. */
static int parse_span_i64(const char *s, size_t len, int64_t *ret)
{
        bool neg = false;
        uint64_t v = 0;

        if (len > 0 && s[0] == '-') {
                neg = true;
                s++;
                len--;
        }
        if (len == 0)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                unsigned d = (unsigned)(s[i] - '0');
                if (v > ((uint64_t)INT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = neg ? -(int64_t)v : (int64_t)v;
        return 0;
}

static int parse_span_u64(const char *s, size_t len, uint64_t *ret)
{
        uint64_t v = 0;

        if (len == 0)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                unsigned d = (unsigned)(s[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

static int parse_span_pid(const char *s, size_t len, pid_t *ret)
{
        int64_t v;
        int r = parse_span_i64(s, len, &v);

        if (r < 0)
                return r;
        if (v < 0 || v > INT_MAX)
                return -ERANGE;
        *ret = (pid_t)v;
        return 0;
}

/* Steps over one ' ' and returns the next field, which ends at a space, a
 * newline or the end of the buffer. */
static bool stat_next_field(const char **p, const char *end, const char **ret_s, size_t *ret_len)
{
        const char *s;

        if (*p >= end || **p != ' ')
                return false;
        s = ++*p;
        while (*p < end && **p != ' ' && **p != '\n')
                ++*p;
        if (*p == s)
                return false;
        *ret_s = s;
        *ret_len = (size_t)(*p - s);
        return true;
}

int proc_parse_stat(const char *buf, size_t len, struct proc_entry *e)
{
        const char *end = buf + len;
        const char *open, *close, *p;
        pid_t pid;
        pid_t ppid = 0, pgid = 0, sid = 0;
        uint64_t flags = 0, utime = 0, stime = 0, start = 0;
        char state = 0;
        int r;

        /* "PID (comm) S ...": comm is whatever lies between the first '('
         * and the last ')', since comm itself may hold either. */
        open = memchr(buf, '(', len);
        if (!open || open < buf + 2 || open[-1] != ' ')
                return -EINVAL;
        close = NULL;
        for (const char *q = end; q > open + 1;) {
                q--;
                if (*q == ')') {
                        close = q;
                        break;
                }
        }
        if (!close)
                return -EINVAL;
        r = parse_span_pid(buf, (size_t)(open - 1 - buf), &pid);
        if (r < 0)
                return -EINVAL;

        /* Fields 3.. by position; field 3 follows ") ". */
        p = close + 1;
        for (unsigned field = 3; field <= 22; field++) {
                const char *s;
                size_t n;
                int64_t v;

                if (!stat_next_field(&p, end, &s, &n))
                        return -EINVAL;
                switch (field) {
                case 3:
                        if (n != 1)
                                return -EINVAL;
                        state = s[0];
                        break;
                case 4:
                        r = parse_span_pid(s, n, &ppid);
                        break;
                case 5:
                        r = parse_span_pid(s, n, &pgid);
                        break;
                case 6:
                        r = parse_span_pid(s, n, &sid);
                        break;
                case 9:
                        r = parse_span_u64(s, n, &flags);
                        if (r == 0 && flags > UINT_MAX)
                                r = -ERANGE;
                        break;
                case 14:
                        r = parse_span_u64(s, n, &utime);
                        break;
                case 15:
                        r = parse_span_u64(s, n, &stime);
                        break;
                case 22:
                        r = parse_span_u64(s, n, &start);
                        break;
                default:
                        /* Still a number (tty_nr and tpgid may be -1). */
                        r = parse_span_i64(s, n, &v);
                        if (r == -ERANGE)
                                r = parse_span_u64(s, n, &(uint64_t){ 0 });
                        break;
                }
                if (r < 0)
                        return -EINVAL;
        }

        e->pid = pid;
        e->ppid = ppid;
        e->pgid = pgid;
        e->sid = sid;
        e->state = state;
        e->flags = (unsigned)flags;
        if (utime > UINT64_MAX - stime)
                return -EINVAL;
        e->cpu_ticks = utime + stime;
        e->start_time_ticks = start;

        size_t comm_len = (size_t)(close - open - 1);
        if (comm_len > PROC_COMM_MAX - 1)
                comm_len = PROC_COMM_MAX - 1;
        memcpy(e->comm, open + 1, comm_len);
        e->comm[comm_len] = '\0';
        return 0;
}

/* "Key:\t   1234 kB" -> 1234. The unit is not checked: every key we read is
 * in kB. */
static int status_value(const char *s, const char *eol, uint64_t *ret)
{
        const char *digits;

        while (s < eol && (*s == ' ' || *s == '\t'))
                s++;
        digits = s;
        while (s < eol && *s >= '0' && *s <= '9')
                s++;
        if (s == digits)
                return -EINVAL;
        if (s < eol && *s != ' ' && *s != '\t')
                return -EINVAL;
        return parse_span_u64(digits, (size_t)(s - digits), ret) < 0 ? -EINVAL : 0;
}

/* Finds where the kernel's own lines start. The Name line comes first and
 * shows comm, which the kernel escapes, but a fixture or another kernel
 * might not: a name "x\nUid:\t0" would then forge a line. Every real key
 * we read comes after the State line, and anything forged in Name comes
 * before the real State line, so we start at the *last* "\nState:". */
static const char *status_body(const char *buf)
{
        const char *body = buf;

        for (const char *p = buf; (p = strstr(p, "\nState:")) != NULL; p++)
                body = p + 1;
        return body;
}

/* The node list after "Mems_allowed_list:" up to eol. Only a whole line
 * counts: one cut off by the buffer could read "0-1" for "0-127". A list
 * too long for nodes 0-63 holds higher nodes. A malformed list is unknown
 * (empty) rather than an error, so the process is still seen. */
static struct numa_mask status_mems(const char *s, const char *eol)
{
        struct numa_mask m = { 0, false };
        char list[NUMA_MASK_TEXT_MAX];
        size_t len = (size_t)(eol - s);

        if (*eol != '\n')
                return m;
        if (len >= sizeof(list)) {
                m.high = true;
                return m;
        }
        memcpy(list, s, len);
        list[len] = '\0';
        if (numa_mask_parse(list, &m) < 0)
                m = (struct numa_mask){ 0, false };
        return m;
}

int proc_parse_status(const char *buf, struct proc_entry *e)
{
        static const struct {
                const char *key;
                size_t offset;
        } keys[] = {
                { "RssAnon:", offsetof(struct proc_entry, rss_anon_kib) },
                { "RssFile:", offsetof(struct proc_entry, rss_file_kib) },
                { "RssShmem:", offsetof(struct proc_entry, rss_shmem_kib) },
                { "VmSwap:", offsetof(struct proc_entry, swap_kib) },
                { "VmPTE:", offsetof(struct proc_entry, pte_kib) },
        };
        uint64_t values[ARRAY_SIZE(keys)] = { 0 };
        bool have_uid = false, have_mm = false;
        uint64_t uid = 0;
        struct numa_mask mems = { 0, false };

        for (const char *line = status_body(buf); *line;) {
                const char *eol = strchrnul(line, '\n');
                size_t n = (size_t)(eol - line);

                if (n > 4 && memcmp(line, "Uid:", 4) == 0) {
                        if (status_value(line + 4, eol, &uid) < 0 || uid > UINT32_MAX)
                                return -EINVAL;
                        have_uid = true;
                } else if (n > 6 && memcmp(line, "VmRSS:", 6) == 0) {
                        have_mm = true;
                } else if (n >= 18 && memcmp(line, "Mems_allowed_list:", 18) == 0) {
                        mems = status_mems(line + 18, eol);
                } else {
                        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                                size_t k = strlen(keys[i].key);
                                if (n > k && memcmp(line, keys[i].key, k) == 0) {
                                        if (status_value(line + k, eol, &values[i]) < 0)
                                                return -EINVAL;
                                        have_mm = true;
                                        break;
                                }
                        }
                }
                line = *eol ? eol + 1 : eol;
        }
        if (!have_uid)
                return -EINVAL;

        e->uid = (uid_t)uid;
        e->has_mm = have_mm;
        e->mems_allowed = mems;
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
                memcpy((char *)e + keys[i].offset, &values[i], sizeof(uint64_t));
        return 0;
}

/* Copies [s, s + n) into dst (PROC_CGROUP_MAX), flagging truncation. */
static void cgroup_copy(char *dst, const char *s, size_t n, bool *truncated)
{
        if (n > PROC_CGROUP_MAX - 1) {
                n = PROC_CGROUP_MAX - 1;
                *truncated = true;
        }
        memcpy(dst, s, n);
        dst[n] = '\0';
}

/* True if the comma-separated list [s, s + n) holds exactly "memory". */
static bool controllers_have_memory(const char *s, size_t n)
{
        const char *end = s + n;

        while (s < end) {
                const char *comma = memchr(s, ',', (size_t)(end - s));
                const char *item_end = comma ? comma : end;

                if (item_end - s == 6 && memcmp(s, "memory", 6) == 0)
                        return true;
                s = item_end + 1;
        }
        return false;
}

int proc_parse_cgroup(const char *buf, struct proc_entry *e)
{
        char v2[PROC_CGROUP_MAX] = "";
        char v1[PROC_CGROUP_MAX] = "";
        bool have_v2 = false, have_v1 = false, truncated = false;

        for (const char *line = buf; *line;) {
                const char *eol = strchrnul(line, '\n');
                const char *c1 = memchr(line, ':', (size_t)(eol - line));
                const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;
                const char *path;
                uint64_t id;

                if (eol == line) { /* tolerate blank lines */
                        line = *eol ? eol + 1 : eol;
                        continue;
                }
                /* "ID:controllers:/path"; the path may itself hold ':'. */
                if (!c2 || parse_span_u64(line, (size_t)(c1 - line), &id) < 0)
                        return -EINVAL;
                path = c2 + 1;
                if (path == eol || *path != '/')
                        return -EINVAL;

                /* The first matching line wins: a hostile cgroup name with a
                 * newline can only add lines after the real one in the
                 * pure-v2 layout. */
                if (id == 0 && c2 == c1 + 1) {
                        if (!have_v2)
                                cgroup_copy(v2, path, (size_t)(eol - path), &truncated);
                        have_v2 = true;
                } else if (controllers_have_memory(c1 + 1, (size_t)(c2 - c1 - 1))) {
                        if (!have_v1)
                                cgroup_copy(v1, path, (size_t)(eol - path), &truncated);
                        have_v1 = true;
                }
                line = *eol ? eol + 1 : eol;
        }

        memcpy(e->cgroup_v2, v2, sizeof(v2));
        memcpy(e->cgroup_v1_memory, v1, sizeof(v1));
        e->cgroup_truncated = truncated;
        return 0;
}

void proc_parse_cmdline(const char *buf, size_t len, struct proc_entry *e)
{
        size_t n = 0;

        /* Trailing NULs: the terminator of the last argument, and the
         * padding of a process that shortened its argv. */
        while (len > 0 && buf[len - 1] == '\0')
                len--;
        for (; n < len && n < PROC_CMDLINE_MAX - 1; n++)
                e->cmdline[n] = buf[n] == '\0' ? ' ' : buf[n];
        e->cmdline[n] = '\0';
        e->cmdline_truncated = len > n;
}

/* ---- reading ------------------------------------------------------------- */

static int read_stat(int pidfd, struct proc_entry *e)
{
        char buf[PROC_STAT_BUF];
        ssize_t n = read_file_at(pidfd, "stat", buf, sizeof(buf));

        if (n < 0)
                return (int)n;
        return proc_parse_stat(buf, (size_t)n, e);
}

static int read_status(int pidfd, struct proc_entry *e)
{
        char buf[PROC_STATUS_BUF];
        ssize_t n = read_file_at(pidfd, "status", buf, sizeof(buf));

        if (n < 0)
                return (int)n;
        return proc_parse_status(buf, e);
}

static int read_number(int pidfd, const char *name, int *ret)
{
        char buf[PROC_NUMBER_BUF];
        ssize_t n = read_file_at(pidfd, name, buf, sizeof(buf));

        if (n < 0)
                return (int)n;
        return parse_int(buf, ret) < 0 ? -EINVAL : 0;
}

static int read_cgroup(int pidfd, struct proc_entry *e)
{
        char buf[PROC_CGROUP_BUF];
        ssize_t n = read_file_at(pidfd, "cgroup", buf, sizeof(buf));
        bool cut;
        int r;

        if (n < 0)
                return (int)n;
        /* A full buffer means the file went on: drop the partial last line. */
        cut = (size_t)n == sizeof(buf) - 1;
        if (cut) {
                char *nl = strrchr(buf, '\n');
                if (nl)
                        nl[1] = '\0';
                else
                        buf[0] = '\0';
        }
        r = proc_parse_cgroup(buf, e);
        if (r < 0)
                return r;
        e->cgroup_truncated |= cut;
        return 0;
}

static int read_cmdline(int pidfd, struct proc_entry *e)
{
        char buf[PROC_CMDLINE_BUF];
        ssize_t n = read_file_at(pidfd, "cmdline", buf, sizeof(buf));

        if (n < 0)
                return (int)n;
        proc_parse_cmdline(buf, (size_t)n, e);
        if ((size_t)n == sizeof(buf) - 1)
                e->cmdline_truncated = true;
        return 0;
}

static int open_pid_dir(int procfd, pid_t pid)
{
        char name[PROC_PATH_MAX];
        int fd;

        if (pid <= 0)
                return -EINVAL;
        snprintf(name, sizeof(name), "%d", (int)pid);
        fd = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

static int read_pid_files(int pidfd, pid_t pid, unsigned what, struct proc_entry *e)
{
        int r;

        r = read_stat(pidfd, e);
        if (r < 0)
                return r;
        if (e->pid != pid)
                return -EINVAL;
        r = read_status(pidfd, e);
        if (r < 0)
                return r;
        r = read_number(pidfd, "oom_score_adj", &e->oom_score_adj);
        if (r < 0)
                return r;
        if (what & PROC_READ_OOM_SCORE) {
                r = read_number(pidfd, "oom_score", &e->kernel_oom_score);
                if (r < 0)
                        return r;
        }
        if (what & PROC_READ_CGROUP) {
                r = read_cgroup(pidfd, e);
                if (r < 0)
                        return r;
        }
        if (what & PROC_READ_CMDLINE) {
                r = read_cmdline(pidfd, e);
                if (r < 0)
                        return r;
        }

        /* No second read of stat to see whether it exited meanwhile: pidfd
         * pins the process we started with (a recycled PID gets a new
         * directory, and reads through this one fail with ESRCH), and a
         * process that exits mid-read shows no memory (has_mm false) and
         * is never a candidate. The re-read cost a quarter of the scan
         * (bench/README.md). A victim is checked again at kill time by
         * its pidfd and start time. */
        return 0;
}

int proc_read_pid(int procfd, pid_t pid, unsigned what, struct proc_entry *ret)
{
        int pidfd, r;

        *ret = (struct proc_entry){ .kernel_oom_score = -1 };
        pidfd = open_pid_dir(procfd, pid);
        if (pidfd < 0)
                return pidfd;
        r = read_pid_files(pidfd, pid, what, ret);
        close(pidfd);
        return r;
}

int proc_read_start_time(int procfd, pid_t pid, uint64_t *ret_ticks)
{
        char path[PROC_PATH_MAX];
        char buf[PROC_STAT_BUF];
        struct proc_entry e;
        ssize_t n;
        int r;

        if (pid <= 0)
                return -EINVAL;
        snprintf(path, sizeof(path), "%d/stat", (int)pid);
        n = read_file_at(procfd, path, buf, sizeof(buf));
        if (n < 0)
                return (int)n;
        r = proc_parse_stat(buf, (size_t)n, &e);
        if (r < 0)
                return r;
        *ret_ticks = e.start_time_ticks;
        return 0;
}

/* A directory entry name that is a PID: digits only, no leading zero. */
static bool parse_pid_name(const char *name, pid_t *ret)
{
        if (name[0] < '1' || name[0] > '9')
                return false;
        return parse_span_pid(name, strlen(name), ret) == 0;
}

/* Errors that are about us, not about the process being read. */
static bool is_fatal(int r)
{
        return r == -EMFILE || r == -ENFILE || r == -ENOMEM;
}

int proc_scan(int procfd, unsigned what, struct proc_table *t)
{
        _Alignas(struct dirent64) char buf[PROC_DENTS_BUF];
        int dirfd, r = 0;

        t->n = 0;
        t->dropped = 0;

        /* A fresh open file description of procfd's directory: the listing
         * offset is then our own (a dup() would share procfd's), and procfd
         * may be an O_PATH fd. */
        dirfd = openat(procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return -errno;

        for (;;) {
                ssize_t n = getdents64(dirfd, buf, sizeof(buf));

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (n == 0)
                        break;
                for (ssize_t off = 0; off < n;) {
                        const struct dirent64 *d = (const struct dirent64 *)(buf + off);
                        pid_t pid;

                        off += d->d_reclen;
                        if (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN)
                                continue;
                        if (!parse_pid_name(d->d_name, &pid))
                                continue;
                        if (t->n >= t->capacity) {
                                /* Count only live processes, like a read
                                 * would: one cheap lookup, no parsing. */
                                char path[PROC_PATH_MAX];
                                snprintf(path, sizeof(path), "%d/stat", (int)pid);
                                if (faccessat(procfd, path, F_OK, 0) == 0)
                                        t->dropped++;
                                continue;
                        }
                        int k = proc_read_pid(procfd, pid, what, &t->entries[t->n]);
                        if (k == 0)
                                t->n++;
                        else if (is_fatal(k)) {
                                r = k;
                                goto out;
                        }
                        /* else: gone, unreadable or malformed: skipped. */
                }
        }
out:
        close(dirfd);
        if (r < 0)
                return r;
        return t->n > INT_MAX ? INT_MAX : (int)t->n;
}
