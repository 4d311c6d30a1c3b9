/* SPDX-License-Identifier: MIT */
#include "freeze.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kill.h"
#include "proc.h"
#include "util.h"

/* /proc/PID/stat is about 300 bytes; 52 fields of at most 20 digits and a
 * 64-byte comm stay under 1.2 KiB (proc.c uses the same size). */
#define STAT_BUF 2048
/* /proc/self/cgroup: 13 hierarchies on a hybrid host, each a short
 * controller list and a path of at most a few hundred bytes. A longer file
 * is truncated, which only hides our own path (then nothing matches). */
#define SELF_CGROUP_BUF 4096
/* Chunk size for streaming the state file. */
#define IO_CHUNK 4096

/* --- Records ----------------------------------------------------------- */

/* An absolute path of non-empty components, none "." or "..", without
 * control characters (a newline would split the record). */
static bool path_valid(const char *p, size_t len)
{
        size_t comp = 0;

        if (len == 0 || len >= FREEZE_PATH_MAX || p[0] != '/')
                return false;
        for (size_t i = 1; i <= len; i++) {
                if (i == len || p[i] == '/') {
                        const char *c = p + i - comp;
                        if (comp == 0 || (comp == 1 && c[0] == '.') ||
                            (comp == 2 && c[0] == '.' && c[1] == '.'))
                                return false;
                        comp = 0;
                        continue;
                }
                if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
                        return false;
                comp++;
        }
        return true;
}

/* Digits only (at least one, at most 20), no sign, no overflow. */
static int parse_span_u64(const char *s, size_t len, uint64_t *ret)
{
        uint64_t v = 0;

        if (len == 0 || len > 20)
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

int freeze_record_parse(const char *line, size_t len, struct freeze_record *ret)
{
        struct freeze_record r = { .kind = FREEZE_NONE };

        if (len >= 3 && line[0] == 'v' && (line[1] == '1' || line[1] == '2') && line[2] == ' ') {
                if (!path_valid(line + 3, len - 3))
                        return -EINVAL;
                r.kind = line[1] == '2' ? FREEZE_CGROUP_V2 : FREEZE_CGROUP_V1;
                memcpy(r.path, line + 3, len - 3);
                r.path[len - 3] = '\0';
        } else if (len >= 4 && memcmp(line, "pid ", 4) == 0) {
                const char *p = line + 4, *end = line + len;
                const char *sp = memchr(p, ' ', (size_t)(end - p));
                uint64_t pid;

                if (!sp || parse_span_u64(p, (size_t)(sp - p), &pid) < 0 || pid <= 1 || pid > INT_MAX ||
                    parse_span_u64(sp + 1, (size_t)(end - sp - 1), &r.start_time_ticks) < 0)
                        return -EINVAL;
                r.kind = FREEZE_SIGSTOP;
                r.pid = (pid_t)pid;
        } else {
                return -EINVAL;
        }
        *ret = r;
        return 0;
}

int freeze_record_format(const struct freeze_record *rec, char *buf, size_t size)
{
        int n;

        switch (rec->kind) {
        case FREEZE_CGROUP_V2:
        case FREEZE_CGROUP_V1:
                if (!path_valid(rec->path, strnlen(rec->path, FREEZE_PATH_MAX)))
                        return -EINVAL;
                n = snprintf(buf, size, "v%c %s\n", rec->kind == FREEZE_CGROUP_V2 ? '2' : '1', rec->path);
                break;
        case FREEZE_SIGSTOP:
                if (rec->pid <= 1)
                        return -EINVAL;
                n = snprintf(buf, size, "pid %d %" PRIu64 "\n", (int)rec->pid, rec->start_time_ticks);
                break;
        default:
                return -EINVAL;
        }
        if (n < 0)
                return -EINVAL;
        if ((size_t)n >= size)
                return -ENOBUFS;
        return n;
}

/* --- Line splitting ---------------------------------------------------- */

void freeze_lines_init(struct freeze_lines *s)
{
        s->len = 0;
        s->overlong = false;
        s->line_no = 0;
}

static int lines_emit(struct freeze_lines *s, bool complete, freeze_line_fn cb, void *userdata)
{
        struct freeze_record rec;
        bool ok = complete && !s->overlong && freeze_record_parse(s->line, s->len, &rec) == 0;

        s->line_no++;
        s->len = 0;
        s->overlong = false;
        return cb(ok ? &rec : NULL, s->line_no, userdata);
}

int freeze_lines_feed(struct freeze_lines *s, const char *buf, size_t len, freeze_line_fn cb, void *userdata)
{
        while (len > 0) {
                const char *nl = memchr(buf, '\n', len);
                size_t n = nl ? (size_t)(nl - buf) : len;

                if (!s->overlong) {
                        if (s->len + n > sizeof(s->line)) {
                                s->overlong = true;
                        } else {
                                memcpy(s->line + s->len, buf, n);
                                s->len += n;
                        }
                }
                if (!nl)
                        break;
                int r = lines_emit(s, true, cb, userdata);
                if (r < 0)
                        return r;
                buf = nl + 1;
                len -= n + 1;
        }
        return 0;
}

int freeze_lines_finish(struct freeze_lines *s, freeze_line_fn cb, void *userdata)
{
        if (s->len == 0 && !s->overlong)
                return 0;
        return lines_emit(s, false, cb, userdata);
}

int freeze_state_parse(const char *buf, size_t len, freeze_line_fn cb, void *userdata)
{
        struct freeze_lines s;

        freeze_lines_init(&s);
        int r = freeze_lines_feed(&s, buf, len, cb, userdata);
        if (r < 0)
                return r;
        return freeze_lines_finish(&s, cb, userdata);
}

/* Reads the file behind fd to its end through the splitter. */
static int lines_read_fd(int fd, freeze_line_fn cb, void *userdata)
{
        struct freeze_lines s;
        char buf[IO_CHUNK];

        freeze_lines_init(&s);
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                int r = freeze_lines_feed(&s, buf, (size_t)n, cb, userdata);
                if (r < 0)
                        return r;
        }
        return freeze_lines_finish(&s, cb, userdata);
}

/* --- Other pure parsers ------------------------------------------------ */

/* Finds "key value" lines: returns a pointer to the value or NULL. */
static const char *find_key(const char *buf, const char *key)
{
        size_t klen = strlen(key);

        for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                if (strncmp(p, key, klen) == 0 && p[klen] == ' ')
                        return p + klen + 1;
        }
        return NULL;
}

int freeze_parse_cgroup_events(const char *buf)
{
        const char *v = find_key(buf, "frozen");

        if (!v || (v[0] != '0' && v[0] != '1') || (v[1] != '\n' && v[1] != '\0'))
                return -EINVAL;
        return v[0] == '1';
}

static bool word_is(const char *buf, const char *word)
{
        size_t n = strlen(word);

        return strncmp(buf, word, n) == 0 && (buf[n] == '\0' || buf[n] == '\n');
}

int freeze_parse_v1_state(const char *buf)
{
        if (word_is(buf, "FROZEN"))
                return 1;
        if (word_is(buf, "FREEZING"))
                return 0;
        if (word_is(buf, "THAWED"))
                return -ECANCELED;
        return -EINVAL;
}

/* Whether the comma-separated list [s, s + len) holds word. */
static bool list_has(const char *s, size_t len, const char *word)
{
        size_t wlen = strlen(word);
        const char *end = s + len;

        while (s < end) {
                const char *comma = memchr(s, ',', (size_t)(end - s));
                size_t n = comma ? (size_t)(comma - s) : (size_t)(end - s);
                if (n == wlen && memcmp(s, word, n) == 0)
                        return true;
                if (!comma)
                        break;
                s = comma + 1;
        }
        return false;
}

int freeze_parse_proc_cgroup(const char *buf, enum cgroup_version v, char *ret, size_t size)
{
        for (const char *p = buf; *p;) {
                const char *eol = strchrnul(p, '\n');
                const char *c1 = memchr(p, ':', (size_t)(eol - p));
                const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;

                if (c2) {
                        bool match = v == CGROUP_V2 ? (c1 - p == 1 && p[0] == '0' && c2 == c1 + 1)
                                                    : list_has(c1 + 1, (size_t)(c2 - c1 - 1), "freezer");
                        if (match) {
                                size_t n = (size_t)(eol - c2 - 1);
                                if (n >= size)
                                        return -ENAMETOOLONG;
                                memcpy(ret, c2 + 1, n);
                                ret[n] = '\0';
                                return 0;
                        }
                }
                p = *eol ? eol + 1 : eol;
        }
        return -ENOENT;
}

bool freeze_cgroup_contains(const char *outer, const char *inner)
{
        size_t n = strlen(outer);

        while (n > 0 && outer[n - 1] == '/')
                n--;
        if (n == 0)
                return true; /* the root holds everything */
        return strncmp(outer, inner, n) == 0 && (inner[n] == '\0' || inner[n] == '/');
}

/* --- The state file ---------------------------------------------------- */

/* A set of records of one freeze: one cgroup, or some processes. */
struct record_set {
        enum freeze_kind kind;
        const char *path;
        const struct freeze_pid *pids;
        size_t n; /* 1 for a cgroup */
};

struct rewrite {
        const struct record_set *remove;
        bool removed[FREEZE_PIDS_MAX];
        int fd;
        size_t lines; /* lines written to the new file */
        size_t wlen;
        char wbuf[IO_CHUNK];
};

static int rewrite_flush(struct rewrite *w)
{
        size_t off = 0;

        while (off < w->wlen) {
                ssize_t n = write(w->fd, w->wbuf + off, w->wlen - off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                off += (size_t)n;
        }
        w->wlen = 0;
        return 0;
}

static int rewrite_put(struct rewrite *w, const struct freeze_record *rec)
{
        char line[FREEZE_LINE_MAX];
        int n = freeze_record_format(rec, line, sizeof(line));

        if (n < 0)
                return n;
        if (w->wlen + (size_t)n > sizeof(w->wbuf)) {
                int r = rewrite_flush(w);
                if (r < 0)
                        return r;
        }
        memcpy(w->wbuf + w->wlen, line, (size_t)n);
        w->wlen += (size_t)n;
        w->lines++;
        return 0;
}

/* Marks and returns whether rec is one of the set's records not yet
 * removed (one occurrence each). */
static bool rewrite_take(struct rewrite *w, const struct freeze_record *rec)
{
        const struct record_set *s = w->remove;

        if (!s || rec->kind != s->kind)
                return false;
        if (s->kind != FREEZE_SIGSTOP) {
                if (w->removed[0] || strcmp(rec->path, s->path) != 0)
                        return false;
                w->removed[0] = true;
                return true;
        }
        for (size_t i = 0; i < s->n; i++) {
                if (!w->removed[i] && s->pids[i].pid == rec->pid &&
                    s->pids[i].start_time_ticks == rec->start_time_ticks) {
                        w->removed[i] = true;
                        return true;
                }
        }
        return false;
}

/* Copies the old file's good lines, except those being removed. Bad lines
 * are dropped: nothing could act on them. */
static int rewrite_line(const struct freeze_record *rec, unsigned line_no, void *userdata)
{
        struct rewrite *w = userdata;

        if (!rec || rewrite_take(w, rec))
                return 0;
        return rewrite_put(w, rec);
}

static void set_record(const struct record_set *s, size_t i, struct freeze_record *rec)
{
        rec->kind = s->kind;
        if (s->kind == FREEZE_SIGSTOP) {
                rec->path[0] = '\0';
                rec->pid = s->pids[i].pid;
                rec->start_time_ticks = s->pids[i].start_time_ticks;
        } else {
                strscpy(rec->path, s->path, sizeof(rec->path));
                rec->pid = 0;
                rec->start_time_ticks = 0;
        }
}

static int tmp_path(const char *state_path, char *buf, size_t size)
{
        int n = snprintf(buf, size, "%s.tmp", state_path);

        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/*
 * Rewrites the state file with the records of `add` appended and one
 * occurrence of each record of `remove` taken out: to PATH.tmp, then
 * renamed over PATH. A file left empty is removed instead. The rewrite
 * goes through a fixed buffer: nothing is allocated and the file may have
 * any length.
 */
static int state_rewrite(const char *state_path, const struct record_set *add,
                         const struct record_set *remove)
{
        char tmp[FREEZE_PATH_MAX + 8];
        struct rewrite w = { .remove = remove, .fd = -1 };
        struct freeze_record rec;
        int r = tmp_path(state_path, tmp, sizeof(tmp));

        if (r < 0)
                return r;
        if (remove && remove->n > FREEZE_PIDS_MAX)
                return -E2BIG;
        w.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (w.fd < 0)
                return -errno;

        int old = open(state_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (old >= 0) {
                r = lines_read_fd(old, rewrite_line, &w);
                close(old);
        } else if (errno != ENOENT) {
                r = -errno;
        }
        for (size_t i = 0; r >= 0 && add && i < add->n; i++) {
                set_record(add, i, &rec);
                r = rewrite_put(&w, &rec);
        }
        if (r >= 0)
                r = rewrite_flush(&w);
        if (close(w.fd) < 0 && r >= 0)
                r = -errno;
        if (r >= 0 && w.lines == 0) {
                /* Nothing frozen any more: no file at all. */
                unlink(tmp);
                if (unlink(state_path) < 0 && errno != ENOENT)
                        return -errno;
                return 0;
        }
        if (r >= 0 && rename(tmp, state_path) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        return r;
}

/* --- Freezing ---------------------------------------------------------- */

void freeze_init(struct freeze *f, int procfd, const char *state_path)
{
        memset(f, 0, sizeof(*f));
        f->procfd = procfd;
        f->state_path = state_path;
        f->cgfd = -1;
        f->events_fd = -1;
}

static void freeze_reset(struct freeze *f)
{
        if (f->events_fd >= 0)
                close(f->events_fd);
        if (f->cgfd >= 0)
                close(f->cgfd);
        f->events_fd = -1;
        f->cgfd = -1;
        f->kind = FREEZE_NONE;
        f->phase = FREEZE_IDLE;
        f->path[0] = '\0';
        f->n_procs = 0;
}

static struct record_set freeze_set(const struct freeze *f)
{
        if (f->kind == FREEZE_SIGSTOP)
                return (struct record_set){ .kind = f->kind, .pids = f->procs, .n = f->n_procs };
        return (struct record_set){ .kind = f->kind, .path = f->path, .n = 1 };
}

/* Reads stat of pid: its state letter, if it is still the process with
 * that start time. Returns 0, -ESRCH when it is gone or replaced. */
static int read_state(int procfd, const struct freeze_pid *p, char *ret_state)
{
        char path[32];
        char buf[STAT_BUF];
        struct proc_entry e;

        snprintf(path, sizeof(path), "%d/stat", (int)p->pid);
        ssize_t n = read_file_at(procfd, path, buf, sizeof(buf));
        if (n == -ENOENT)
                return -ESRCH;
        if (n < 0)
                return (int)n;
        int r = proc_parse_stat(buf, (size_t)n, &e);
        if (r < 0)
                return r;
        if (e.start_time_ticks != p->start_time_ticks)
                return -ESRCH;
        *ret_state = e.state;
        return 0;
}

static bool state_is_stopped(char s)
{
        return s == 'T' || s == 't';
}

static bool state_is_dead(char s)
{
        return s == 'Z' || s == 'X' || s == 'x';
}

/* -EDEADLK if the cgroup rel (in the hierarchy of version v) holds us. */
static int check_not_self(int procfd, enum cgroup_version v, const char *rel)
{
        char buf[SELF_CGROUP_BUF];
        char self[CGROUP_PATH_MAX * 2];
        ssize_t n = read_file_at(procfd, "self/cgroup", buf, sizeof(buf));

        if (n < 0)
                return (int)n;
        int r = freeze_parse_proc_cgroup(buf, v, self, sizeof(self));
        if (r == -ENOENT)
                return 0; /* we are in no cgroup of that hierarchy */
        if (r < 0)
                return r;
        return freeze_cgroup_contains(rel, self) ? -EDEADLK : 0;
}

static int start_cgroup(struct freeze *f, const struct freeze_target *t)
{
        size_t mlen = strlen(t->cgroup_mount);
        bool v2 = t->cgroup_version == CGROUP_V2;
        int r;

        if (t->cgroup_version != CGROUP_V1 && !v2)
                return -EINVAL;
        while (mlen > 0 && t->cgroup_mount[mlen - 1] == '/')
                mlen--;
        r = snprintf(f->path, sizeof(f->path), "%.*s%s", (int)mlen, t->cgroup_mount, t->cgroup_path);
        if (r < 0 || (size_t)r >= sizeof(f->path))
                return -ENAMETOOLONG;
        /* Absolute, no "..", and not the mount itself (the root cgroup). */
        if (t->cgroup_path[0] != '/' || !path_valid(t->cgroup_path, strlen(t->cgroup_path)) ||
            !path_valid(f->path, strlen(f->path)))
                return -EINVAL;
        r = check_not_self(f->procfd, t->cgroup_version, t->cgroup_path);
        if (r < 0)
                return r;

        f->cgfd = open(f->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (f->cgfd < 0)
                return -errno;
        const char *file = v2 ? "cgroup.freeze" : "freezer.state";
        if (faccessat(f->cgfd, file, F_OK, 0) < 0)
                return errno == ENOENT ? -EOPNOTSUPP : -errno;
        if (v2) {
                /* Opened before the write: the kernel's event count is
                 * sampled at open, so the change cannot be missed. */
                f->events_fd = openat(f->cgfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
                if (f->events_fd < 0)
                        return errno == ENOENT ? -EOPNOTSUPP : -errno;
        }

        f->kind = v2 ? FREEZE_CGROUP_V2 : FREEZE_CGROUP_V1;
        struct record_set set = freeze_set(f);
        r = state_rewrite(f->state_path, &set, NULL);
        if (r < 0)
                return r;
        r = write_file_at(f->cgfd, file, v2 ? "1" : "FROZEN");
        if (r < 0) {
                /* Not frozen: take the record back (if that fails too, the
                 * next start thaws a cgroup that was never frozen). */
                state_rewrite(f->state_path, NULL, &set);
                return r;
        }
        return 0;
}

static int start_sigstop(struct freeze *f, const struct freeze_target *t)
{
        size_t k = 0;
        int error = 0;
        int r;

        if (t->n_pids > FREEZE_PIDS_MAX)
                return -E2BIG;
        if (t->n_pids == 0)
                return -EINVAL;
        memcpy(f->procs, t->pids, t->n_pids * sizeof(t->pids[0]));
        f->n_procs = t->n_pids;
        f->kind = FREEZE_SIGSTOP;

        struct record_set all = freeze_set(f);
        r = state_rewrite(f->state_path, &all, NULL);
        if (r < 0)
                return r;

        /* Those stopped go to the front, the others to the back. */
        for (size_t i = 0; i < f->n_procs; i++) {
                struct freeze_pid p = f->procs[i];
                char state = '?';
                int pidfd = kill_pidfd_open(f->procfd, p.pid, p.start_time_ticks);

                if (pidfd < 0) {
                        if (pidfd != -ESRCH && error == 0)
                                error = pidfd;
                        continue;
                }
                r = read_state(f->procfd, &p, &state);
                if (r == 0 && state_is_stopped(state)) {
                        /* Someone else's stop: not ours to undo. */
                        close(pidfd);
                        continue;
                }
                r = kill_pidfd_signal(pidfd, SIGSTOP);
                close(pidfd);
                if (r < 0) {
                        if (r != -ESRCH && error == 0)
                                error = r;
                        continue;
                }
                f->procs[i] = f->procs[k];
                f->procs[k++] = p;
        }
        if (k < f->n_procs) {
                struct record_set rest = {
                        .kind = FREEZE_SIGSTOP,
                        .pids = f->procs + k,
                        .n = f->n_procs - k,
                };
                /* Best effort: a leftover line only costs a SIGCONT to a
                 * process that was already stopped, at the next start. */
                state_rewrite(f->state_path, NULL, &rest);
        }
        f->n_procs = k;
        if (k == 0)
                return error < 0 ? error : -ESRCH;
        return 0;
}

int freeze_start(struct freeze *f, const struct freeze_target *t)
{
        pid_t self = getpid();
        int r = -EINVAL;

        if (freeze_active(f))
                return -EBUSY;
        if (t->n_pids > 0 && !t->pids)
                return -EINVAL;
        for (size_t i = 0; i < t->n_pids; i++) {
                if (t->pids[i].pid <= 1)
                        return -EINVAL;
                if (t->pids[i].pid == self)
                        return -EDEADLK;
        }
        f->cgroup_error = 0;

        if (t->cgroup_exact && t->cgroup_mount && t->cgroup_path) {
                r = start_cgroup(f, t);
                if (r < 0) {
                        freeze_reset(f);
                        f->cgroup_error = r;
                }
                /* A cgroup holding the daemon holds it among "exactly the
                 * activity": a caller's mistake, refused whole. */
                if (r == -EDEADLK || (r < 0 && t->n_pids == 0))
                        return r;
        }
        if (r < 0) {
                r = start_sigstop(f, t);
                if (r < 0) {
                        freeze_reset(f);
                        return r;
                }
        }
        f->phase = FREEZE_FREEZING;
        f->started_usec = now_usec(CLOCK_MONOTONIC);
        /* A check that fails now is reported by the caller's next one:
         * the freeze itself was asked. */
        r = freeze_check(f);
        return r < 0 ? 0 : r;
}

int freeze_event_fd(const struct freeze *f)
{
        return f->kind == FREEZE_CGROUP_V2 ? f->events_fd : -1;
}

static int check_v2(struct freeze *f)
{
        char buf[256]; /* "populated 1\nfrozen 1\n" */
        ssize_t n = pread_file(f->events_fd, buf, sizeof(buf));

        if (n < 0)
                return n == -ENODEV ? -ENOENT : (int)n;
        int r = freeze_parse_cgroup_events(buf);
        if (r != 0)
                return r;
        n = read_file_at(f->cgfd, "cgroup.freeze", buf, sizeof(buf));
        if (n < 0)
                return n == -ENODEV ? -ENOENT : (int)n;
        return buf[0] == '0' ? -ECANCELED : 0;
}

static int check_v1(struct freeze *f)
{
        char buf[32];
        ssize_t n = read_file_at(f->cgfd, "freezer.state", buf, sizeof(buf));

        if (n < 0)
                return n == -ENODEV ? -ENOENT : (int)n;
        int r = freeze_parse_v1_state(buf);
        if (r == 0) {
                /* Tasks that could not be frozen yet (busy in the kernel):
                 * writing FROZEN again retries them. */
                int w = write_file_at(f->cgfd, "freezer.state", "FROZEN");
                if (w < 0)
                        return w == -ENODEV ? -ENOENT : w;
        }
        return r;
}

static int check_sigstop(struct freeze *f)
{
        for (size_t i = 0; i < f->n_procs; i++) {
                char state;
                int r = read_state(f->procfd, &f->procs[i], &state);
                if (r == -ESRCH)
                        continue;
                if (r < 0)
                        return r;
                if (!state_is_stopped(state) && !state_is_dead(state))
                        return 0;
        }
        return 1;
}

int freeze_check(struct freeze *f)
{
        int r;

        switch (f->kind) {
        case FREEZE_CGROUP_V2:
                r = check_v2(f);
                break;
        case FREEZE_CGROUP_V1:
                r = check_v1(f);
                break;
        case FREEZE_SIGSTOP:
                r = check_sigstop(f);
                break;
        default:
                return -EINVAL;
        }
        if (r == 1)
                f->phase = FREEZE_FROZEN;
        return r;
}

static bool is_gone(int r)
{
        return r == -ENOENT || r == -ENODEV || r == -ESRCH;
}

/* SIGCONT to a process if it is still the one recorded. */
static int thaw_pid(int procfd, pid_t pid, uint64_t start_time_ticks)
{
        int pidfd = kill_pidfd_open(procfd, pid, start_time_ticks);

        if (pidfd < 0)
                return pidfd;
        int r = kill_pidfd_signal(pidfd, SIGCONT);
        close(pidfd);
        return r;
}

int freeze_thaw(struct freeze *f)
{
        int error = 0;
        int r;

        if (!freeze_active(f))
                return 0;
        switch (f->kind) {
        case FREEZE_CGROUP_V2:
                r = write_file_at(f->cgfd, "cgroup.freeze", "0");
                if (r < 0 && !is_gone(r))
                        error = r;
                break;
        case FREEZE_CGROUP_V1:
                r = write_file_at(f->cgfd, "freezer.state", "THAWED");
                if (r < 0 && !is_gone(r))
                        error = r;
                break;
        case FREEZE_SIGSTOP:
                for (size_t i = 0; i < f->n_procs; i++) {
                        r = thaw_pid(f->procfd, f->procs[i].pid, f->procs[i].start_time_ticks);
                        if (r < 0 && !is_gone(r) && error == 0)
                                error = r;
                }
                break;
        default:
                break;
        }
        struct record_set set = freeze_set(f);
        r = state_rewrite(f->state_path, NULL, &set);
        if (r < 0 && error == 0)
                error = r;
        freeze_reset(f);
        return error;
}

const char *freeze_kind_name(enum freeze_kind kind)
{
        switch (kind) {
        case FREEZE_CGROUP_V2:
                return "cgroup-v2";
        case FREEZE_CGROUP_V1:
                return "cgroup-v1";
        case FREEZE_SIGSTOP:
                return "sigstop";
        default:
                return "none";
        }
}

/* snprintf at *pos, advancing it but never past size - 1. */
static void append(char *buf, size_t size, size_t *pos, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t size, size_t *pos, const char *fmt, ...)
{
        va_list ap;

        if (*pos >= size - 1)
                return;
        va_start(ap, fmt);
        int n = vsnprintf(buf + *pos, size - *pos, fmt, ap);
        va_end(ap);
        if (n > 0)
                *pos = MIN(*pos + (size_t)n, size - 1);
}

const char *freeze_describe(const struct freeze *f, char *buf, size_t size)
{
        const char *phase = f->phase == FREEZE_FROZEN ? "frozen" : "freezing";
        size_t pos = 0;

        if (size == 0)
                return buf;
        buf[0] = '\0';
        if (!freeze_active(f)) {
                append(buf, size, &pos, "not frozen");
                return buf;
        }
        if (f->kind != FREEZE_SIGSTOP) {
                append(buf, size, &pos, "%s %s %s", freeze_kind_name(f->kind), f->path, phase);
                return buf;
        }
        append(buf, size, &pos, "sigstop %zu process%s (", f->n_procs, f->n_procs == 1 ? "" : "es");
        for (size_t i = 0; i < f->n_procs; i++) {
                /* Stop listing while there is room to say so. */
                if (pos + 32 >= size) {
                        append(buf, size, &pos, "...");
                        break;
                }
                append(buf, size, &pos, "%s%d", i ? " " : "", (int)f->procs[i].pid);
        }
        append(buf, size, &pos, ") %s", phase);
        if (f->cgroup_error < 0)
                append(buf, size, &pos, "; cgroup not used: %s", strerror(-f->cgroup_error));
        return buf;
}

/* --- Crash recovery ---------------------------------------------------- */

struct recovery {
        int procfd;
        freeze_recovery_fn cb;
        void *userdata;
        struct freeze_recovery *report;
};

static int thaw_cgroup_path(const char *dir, const char *file, const char *value)
{
        char path[FREEZE_PATH_MAX + 32];
        int n = snprintf(path, sizeof(path), "%s/%s", dir, file);

        if (n < 0 || (size_t)n >= sizeof(path))
                return -ENAMETOOLONG;
        return write_file_at(AT_FDCWD, path, value);
}

static int recover_line(const struct freeze_record *rec, unsigned line_no, void *userdata)
{
        struct recovery *rc = userdata;
        struct freeze_recovery *rep = rc->report;
        int r;

        if (!rec) {
                rep->bad_lines++;
                if (rep->first_bad_line == 0)
                        rep->first_bad_line = line_no;
                if (rc->cb)
                        rc->cb(NULL, line_no, -EINVAL, rc->userdata);
                return 0;
        }
        switch (rec->kind) {
        case FREEZE_CGROUP_V2:
                r = thaw_cgroup_path(rec->path, "cgroup.freeze", "0");
                break;
        case FREEZE_CGROUP_V1:
                r = thaw_cgroup_path(rec->path, "freezer.state", "THAWED");
                break;
        default:
                r = thaw_pid(rc->procfd, rec->pid, rec->start_time_ticks);
                break;
        }
        if (r == 0) {
                rep->thawed++;
        } else if (is_gone(r)) {
                r = r == -ENODEV ? -ENOENT : r;
                rep->gone++;
        } else {
                rep->failed++;
                if (rep->error == 0)
                        rep->error = r;
        }
        if (rc->cb)
                rc->cb(rec, line_no, r, rc->userdata);
        return 0;
}

int freeze_thaw_recorded(const char *state_path, int procfd, freeze_recovery_fn cb, void *userdata,
                         struct freeze_recovery *ret)
{
        char tmp[FREEZE_PATH_MAX + 8];
        struct recovery rc = { .procfd = procfd, .cb = cb, .userdata = userdata, .report = ret };
        int r = tmp_path(state_path, tmp, sizeof(tmp));

        memset(ret, 0, sizeof(*ret));
        if (r < 0)
                return r;
        int fd = open(state_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                if (errno != ENOENT)
                        return -errno;
        } else {
                r = lines_read_fd(fd, recover_line, &rc);
                close(fd);
                /* Unread lines may name something frozen: keep the file
                 * for the next attempt (thawing twice is harmless). */
                if (r < 0)
                        return r;
        }
        if (unlink(tmp) < 0 && errno != ENOENT)
                return -errno;
        if (fd >= 0 && unlink(state_path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}
