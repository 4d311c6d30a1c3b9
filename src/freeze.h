/* SPDX-License-Identifier: MIT */
/*
 * Freezing an activity while a person picks what to close (critical level,
 * user present): the activity in use stops allocating, and is always
 * thawed afterwards. Three methods, chosen by freeze_start():
 *
 *   cgroup v2   write "1" to cgroup.freeze; frozen when cgroup.events says
 *               "frozen 1". cgroup.freeze is a core file of every non-root
 *               cgroup of the unified hierarchy (Linux >= 5.2), with or
 *               without controllers (it works in the hybrid layout's
 *               /sys/fs/cgroup/unified too). Descendant cgroups freeze too.
 *   cgroup v1   the freezer controller: "FROZEN" to freezer.state; it reads
 *               FREEZING until every task is frozen, then FROZEN.
 *   SIGSTOP     every process of the activity, through a pidfd opened and
 *               checked against the scanned start time (kill_pidfd_open()),
 *               and SIGCONT to thaw. Used when no cgroup holds exactly the
 *               activity. Weaker: a process forked between the caller's
 *               scan and the signal is not stopped, a shell sees its
 *               foreground job stop (and leaves it in the background after
 *               SIGCONT), and a process that was already stopped (job
 *               control, a debugger) is left out so that the thaw never
 *               resumes what someone else stopped.
 *
 * The cgroup is used when the caller says it holds exactly the activity
 * (target.cgroup_exact) and its freeze file can be opened; otherwise, or
 * if writing it fails, the processes are stopped (if the caller gave any).
 *
 * NOTHING HERE WAITS. freeze_start() asks; completion is reported by
 * freeze_check(), which re-reads the state (and retries a v1 FREEZING).
 * For v2 the daemon waits on freeze_event_fd() (cgroup.events) in its
 * epoll loop with EPOLLPRI *only* (kernfs files always poll readable, so
 * EPOLLIN would spin); freeze_check() reads the file, which clears the
 * EPOLLPRI condition. v1 freezer.state and stopped processes give no
 * event: re-check on a short timer, or do not wait at all (a freeze that
 * is still completing already keeps most of the activity off the CPU, and
 * the chooser does not need it complete to start).
 *
 * A frozen process cannot answer: thaw an activity before asking it to
 * save or close, and before killing it (SIGKILL reaches a v2-frozen or
 * stopped task, but a v1-frozen one dies only once thawed on older
 * kernels).
 *
 * CRASH SAFETY. Every freeze is written to a state file (the caller's
 * path, by default TRIAGE_STATE_DIR "/frozen") *before* it is done, one
 * line per target:
 *     v2 /sys/fs/cgroup/user.slice/user-1000.slice/.../app-foo.scope
 *     v1 /sys/fs/cgroup/freezer/kiosk
 *     pid 4242 1234567
 * ("pid PID STARTTICKS", the start time in clock ticks from
 * /proc/PID/stat field 22). Every thaw removes its lines *after* thawing,
 * and the file is removed when it has no line left, so a crash at any
 * point leaves at most a harmless extra thaw. Each update rewrites the file
 * to PATH.tmp and renames it over PATH (atomic). There is no fsync: a
 * freeze does not outlive a reboot, and the page cache outlives a crash of
 * the daemon. The daemon calls freeze_thaw_recorded() at start (and a unit
 * file can run it from ExecStopPost= so that even SIGKILL is covered).
 * Several freezes may share one state file (one per domain): each adds and
 * removes only its own lines (one occurrence per record, so the file always
 * matches what is in memory). The same target must not be frozen twice at
 * once: the first thaw would thaw it for both.
 *
 * The daemon must not freeze itself: a cgroup that contains the calling
 * process (per /proc/self/cgroup) is refused with -EDEADLK, and so is a
 * process list that names it.
 *
 * No allocation; every function returns 0 (or the documented positive
 * value) or -errno.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"

/* Absolute path of a frozen cgroup directory: a mount point (22 bytes for
 * /sys/fs/cgroup/unified) plus a CGROUP_PATH_MAX cgroup path, with room. */
#define FREEZE_PATH_MAX 512
/* One state file line: "v2 " + path + "\n" (pid lines are at most 35). */
#define FREEZE_LINE_MAX (FREEZE_PATH_MAX + 8)
/* Processes stopped one by one for a single activity. A browser with 40
 * tabs is about 60 processes; a build with -j64 a few hundred. 16 bytes
 * each (no fd is held: thaw re-opens and re-checks a pidfd). */
#define FREEZE_PIDS_MAX 512

enum freeze_kind {
        FREEZE_NONE = 0,
        FREEZE_CGROUP_V2,
        FREEZE_CGROUP_V1,
        FREEZE_SIGSTOP,
};

/* One line of the state file. */
struct freeze_record {
        enum freeze_kind kind;
        char path[FREEZE_PATH_MAX]; /* absolute cgroup directory (v1, v2) */
        pid_t pid;                  /* SIGSTOP */
        uint64_t start_time_ticks;  /* SIGSTOP */
};

/* A process of the activity, as the caller's scan saw it. */
struct freeze_pid {
        pid_t pid;
        uint64_t start_time_ticks;
};

/* What the caller knows about the activity to freeze. */
struct freeze_target {
        /* The cgroup: mount point ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"
         * or "/sys/fs/cgroup/freezer") and the cgroup's path below it
         * ("/user.slice/.../app-foo.scope", as /proc/PID/cgroup shows it).
         * NULL when there is none. Not the root cgroup. */
        const char *cgroup_mount;
        const char *cgroup_path;
        enum cgroup_version cgroup_version;
        /* The cgroup (with its descendants) holds the activity's processes
         * and nothing else. Without it the cgroup is never frozen. */
        bool cgroup_exact;
        /* Every process of the activity (for SIGSTOP, and as the fallback
         * when the cgroup cannot be frozen). May be NULL/0 when the cgroup
         * is exact. */
        const struct freeze_pid *pids;
        size_t n_pids;
};

enum freeze_phase {
        FREEZE_IDLE = 0,
        FREEZE_FREEZING, /* asked, not yet complete */
        FREEZE_FROZEN,   /* freeze_check() saw it complete */
};

/* One freeze in flight. Plain data, sized at build time (about 9 KiB):
 * the daemon keeps one per domain. */
struct freeze {
        /* Set by freeze_init(), owned by the caller, outlive the struct. */
        int procfd; /* O_DIRECTORY fd of /proc */
        const char *state_path;

        enum freeze_kind kind; /* FREEZE_NONE when idle */
        enum freeze_phase phase;
        uint64_t started_usec; /* CLOCK_MONOTONIC at freeze_start() */
        /* Why the cgroup was not used when the caller offered one and the
         * processes were stopped instead (-errno; 0 if it was not tried). */
        int cgroup_error;

        /* cgroup kinds */
        char path[FREEZE_PATH_MAX]; /* absolute directory */
        int cgfd;                   /* O_DIRECTORY|O_PATH, -1 when none */
        int events_fd;              /* v2 cgroup.events, -1 when none */

        /* SIGSTOP: the processes this freeze stopped (and recorded). */
        struct freeze_pid procs[FREEZE_PIDS_MAX];
        size_t n_procs;
};

/* Idle, no fds. procfd and state_path are kept (not copied). */
void freeze_init(struct freeze *f, int procfd, const char *state_path);

static inline bool freeze_active(const struct freeze *f)
{
        return f->kind != FREEZE_NONE;
}

/*
 * Freezes the target: picks the method, records it in the state file, then
 * asks the kernel. Returns 1 when the freeze is already complete, 0 when it
 * is under way (see freeze_check()), or -errno with nothing frozen and
 * nothing left recorded:
 *   -EBUSY          f is already in use
 *   -EINVAL         nothing to freeze (no exact cgroup and no processes),
 *                   a PID <= 1, or a path with a newline or ".."
 *   -EDEADLK        the target contains the calling process
 *   -E2BIG          more than FREEZE_PIDS_MAX processes to stop
 *   -ENAMETOOLONG   the cgroup path does not fit FREEZE_PATH_MAX
 *   -ESRCH          every process is gone (or was already stopped)
 *   other           the state file cannot be written (a freeze that could
 *                   not be undone after a crash is not done at all), or the
 *                   cgroup's error when there were no processes to fall back
 *                   on.
 * Processes that vanish (or whose start time differs) are skipped.
 */
int freeze_start(struct freeze *f, const struct freeze_target *t);

/* The fd to watch for EPOLLPRI (v2 cgroup.events), or -1 (v1, SIGSTOP,
 * idle): then re-check on a timer if completion matters. */
int freeze_event_fd(const struct freeze *f);

/*
 * Re-reads the state: 1 when frozen (v2 "frozen 1", v1 "FROZEN", every
 * process stopped, exited or replaced), 0 while still freezing (a v1
 * FREEZING is retried by writing FROZEN again, as the kernel documents),
 * -ECANCELED when someone else thawed the cgroup (cgroup.freeze reads 0,
 * freezer.state THAWED; f stays active: call freeze_thaw() to clean up),
 * -ENOENT when the cgroup was removed, -EINVAL when idle. Stopped
 * processes cannot tell "not yet stopped" from "resumed by someone": 0.
 */
int freeze_check(struct freeze *f);

/*
 * Thaws whatever f froze, then removes its lines from the state file.
 * Always leaves f idle, even on error, and tries every process. A removed
 * cgroup or a vanished process is not an error. Returns 0 or the first
 * -errno (a thaw that failed, or a state file that could not be updated:
 * the thaw is done then and the next start thaws it once more).
 */
int freeze_thaw(struct freeze *f);

/* One line for status and logs: "cgroup-v2 /sys/fs/.../x.scope frozen",
 * "SIGSTOP 3 processes (4242 4250 4251) freezing", "not frozen". Returns
 * buf, truncated to size. */
const char *freeze_describe(const struct freeze *f, char *buf, size_t size);

/* "cgroup-v2", "cgroup-v1", "sigstop", "none". */
const char *freeze_kind_name(enum freeze_kind kind);

/*
 * Crash recovery: thaws every target listed in the state file at
 * state_path, then removes the file (and a leftover PATH.tmp, which never
 * describes anything frozen: the rename comes before the freeze). A process
 * that is gone, or whose start time differs (a recycled PID), is not sent
 * SIGCONT; a removed cgroup is skipped. Bad lines (malformed, longer than
 * FREEZE_LINE_MAX, or a last line without its newline) are skipped and
 * counted. cb, if not NULL, is called for every line: rec is NULL for a bad
 * line; result is 0 (thawed), -ESRCH/-ENOENT (gone) or the thaw's -errno.
 * Returns 0 (also when there is no file), or -errno when the file can be
 * neither read nor removed; failed thaws are only counted.
 */
struct freeze_recovery {
        unsigned thawed;
        unsigned gone;   /* vanished processes, recycled PIDs, removed cgroups */
        unsigned failed; /* thaw refused: first error in `error` */
        unsigned bad_lines;
        unsigned first_bad_line; /* 1-based, 0 when none */
        int error;
};
typedef void (*freeze_recovery_fn)(const struct freeze_record *rec, unsigned line_no, int result,
                                   void *userdata);
int freeze_thaw_recorded(const char *state_path, int procfd, freeze_recovery_fn cb, void *userdata,
                         struct freeze_recovery *ret);

/* --- Pure parts, for tests and fuzzers. ------------------------------- */

/*
 * Parses one state file line (without its newline; len bytes, which need
 * not be NUL-terminated). Strict: exactly "v2 PATH", "v1 PATH" or
 * "pid PID STARTTICKS" with single spaces; PATH absolute, no "." or ".."
 * component, no control character, shorter than FREEZE_PATH_MAX; PID > 1.
 * Returns 0 or -EINVAL.
 */
int freeze_record_parse(const char *line, size_t len, struct freeze_record *ret);

/* Formats rec as its line, newline included. Returns the length, or
 * -EINVAL (a record freeze_record_parse() would refuse), -ENOBUFS. */
int freeze_record_format(const struct freeze_record *rec, char *buf, size_t size);

/* Called for each line of a state file; rec is NULL for a bad line.
 * A negative return stops the parse and is returned by it. */
typedef int (*freeze_line_fn)(const struct freeze_record *rec, unsigned line_no, void *userdata);

/* Splits a state file into lines as it arrives in chunks of any size. */
struct freeze_lines {
        char line[FREEZE_LINE_MAX];
        size_t len;
        bool overlong;    /* the current line did not fit: bad */
        unsigned line_no; /* lines completed so far */
};
void freeze_lines_init(struct freeze_lines *s);
int freeze_lines_feed(struct freeze_lines *s, const char *buf, size_t len, freeze_line_fn cb, void *userdata);
/* End of file: a pending line without its newline is torn, hence bad. */
int freeze_lines_finish(struct freeze_lines *s, freeze_line_fn cb, void *userdata);

/* A whole buffer at once (init + feed + finish). */
int freeze_state_parse(const char *buf, size_t len, freeze_line_fn cb, void *userdata);

/* cgroup.events: 1 for "frozen 1", 0 for "frozen 0", -EINVAL without a
 * frozen key (a kernel older than 5.2). */
int freeze_parse_cgroup_events(const char *buf);

/* freezer.state: 1 FROZEN, 0 FREEZING, -ECANCELED THAWED, -EINVAL else. */
int freeze_parse_v1_state(const char *buf);

/*
 * From /proc/PID/cgroup text, the path in the hierarchy that freezes the
 * given way: the "0::" line for v2, the line whose controller list names
 * "freezer" for v1. Returns 0, -ENOENT when there is no such line,
 * -ENAMETOOLONG when it does not fit size.
 */
int freeze_parse_proc_cgroup(const char *buf, enum cgroup_version v, char *ret, size_t size);

/* Whether cgroup path `inner` is `outer` or below it ("/a" holds "/a" and
 * "/a/b", not "/ab"). Both as /proc/PID/cgroup shows them. */
bool freeze_cgroup_contains(const char *outer, const char *inner);
