/* SPDX-License-Identifier: MIT */
/*
 * The process scanner: reads /proc/PID/{stat,status,oom_score_adj,cgroup,
 * cmdline} relative to a directory fd, so a fixture tree and the real /proc
 * go through the same code. Parsing (proc_parse_*) is pure and separate from
 * reading (proc_read_pid, proc_scan).
 *
 * A process that exits while it is read is normal: proc_read_pid() returns
 * -ESRCH or -ENOENT and proc_scan() skips it. Hostile names ("a) b (c",
 * newlines, 4 KiB command lines) are handled: comm is taken between the
 * first '(' and the *last* ')' of stat.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "numa.h"

/* TASK_COMM_LEN is 16; stat shows the raw bytes. Room for 15 + NUL. */
#define PROC_COMM_MAX 16
/* Enough for the paths systemd makes for app scopes (~100 bytes measured
 * on a GNOME session); longer paths are truncated and flagged. */
#define PROC_CGROUP_MAX 192
/* Shown to people and matched by rules; longer command lines are truncated
 * (the flag says so) rather than allocated. */
#define PROC_CMDLINE_MAX 256

/* PF_KTHREAD from include/linux/sched.h, reported in stat field 9. */
#define PROC_PF_KTHREAD 0x00200000u

/* What proc_read_pid()/proc_scan() read besides stat and status. */
enum {
        PROC_READ_CMDLINE = 1u << 0,
        PROC_READ_CGROUP = 1u << 1,
        PROC_READ_OOM_SCORE = 1u << 2, /* the kernel's own /proc/PID/oom_score */
        PROC_READ_ALL = PROC_READ_CMDLINE | PROC_READ_CGROUP | PROC_READ_OOM_SCORE,
};

struct proc_entry {
        pid_t pid;
        pid_t ppid;
        pid_t pgid;
        pid_t sid;
        uid_t uid;                 /* real uid, from status */
        char state;                /* stat field 3: R, S, D, Z, ... */
        unsigned flags;            /* stat field 9 (PF_*) */
        uint64_t start_time_ticks; /* stat field 22, clock ticks since boot */
        uint64_t cpu_ticks;        /* utime + stime (stat 14 + 15) */
        char comm[PROC_COMM_MAX];  /* as in stat, control bytes kept raw */

        /* From status, in KiB as the kernel prints them (pages << 2). */
        bool has_mm; /* status has Vm* lines: not a kthread or zombie */
        uint64_t rss_anon_kib;
        uint64_t rss_file_kib;
        uint64_t rss_shmem_kib;
        uint64_t swap_kib; /* VmSwap */
        uint64_t pte_kib;  /* VmPTE: page-table bytes >> 10 */
        /* Mems_allowed_list: the nodes its cpuset lets it allocate on.
         * Empty when unknown (no CONFIG_CPUSETS, a malformed list, or the
         * line cut off by a status file longer than the buffer). */
        struct numa_mask mems_allowed;

        int oom_score_adj;    /* -1000..1000 */
        int kernel_oom_score; /* /proc/PID/oom_score, -1 when not read */

        /* From /proc/PID/cgroup: the v2 path ("0::/path") and the v1 memory
         * controller's path ("N:memory:/path"); "" when absent. */
        char cgroup_v2[PROC_CGROUP_MAX];
        char cgroup_v1_memory[PROC_CGROUP_MAX];
        bool cgroup_truncated;

        /* NUL separators replaced by spaces; "" for kernel threads. */
        char cmdline[PROC_CMDLINE_MAX];
        bool cmdline_truncated;
};

/* A fixed-capacity table, allocated once at start (never grown: a scan that
 * finds more processes than fit logs it and counts them in `dropped`). */
struct proc_table {
        struct proc_entry *entries;
        size_t n;
        size_t capacity;
        size_t dropped; /* processes not stored in the last scan */
};

int proc_table_init(struct proc_table *t, size_t capacity);
void proc_table_free(struct proc_table *t);

/* Pure parsers. Each returns 0 or -EINVAL for malformed input; they fill
 * only the fields their file provides. `len` is the byte count (stat may
 * hold NULs in hostile cases). */
int proc_parse_stat(const char *buf, size_t len, struct proc_entry *e);
int proc_parse_status(const char *buf, struct proc_entry *e);
int proc_parse_cgroup(const char *buf, struct proc_entry *e);
void proc_parse_cmdline(const char *buf, size_t len, struct proc_entry *e);

/* Reads one process. procfd is an O_DIRECTORY fd of a /proc (or fixture).
 * `what` is a mask of PROC_READ_*. Returns 0, -ESRCH/-ENOENT if the process
 * is gone (or is gone by the end of the read), -EINVAL if a file is
 * malformed. */
int proc_read_pid(int procfd, pid_t pid, unsigned what, struct proc_entry *ret);

/* Rescans every numeric entry of procfd into t (t->n reset first). Vanished
 * processes are skipped silently, and so are unreadable or malformed ones;
 * t->dropped counts the live processes that did not fit. Returns the number
 * stored, or -errno if procfd itself cannot be listed or we run out of fds
 * or memory (-EMFILE, -ENFILE, -ENOMEM). Allocates nothing. */
int proc_scan(int procfd, unsigned what, struct proc_table *t);

/* Re-reads only the start time of pid (for identity checks before a kill).
 * Returns 0, -ESRCH/-ENOENT if gone. */
int proc_read_start_time(int procfd, pid_t pid, uint64_t *ret_ticks);
