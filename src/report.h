/* SPDX-License-Identifier: MIT */
/*
 * What triaged and triagectl show people and scripts: status, rank, why and
 * history, as aligned text or as JSON. Takes plain snapshots, so the same
 * code renders the daemon's state and triagectl's local ranking.
 *
 * JSON documents put one candidate or record per line, so line-oriented
 * tools can read them too.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "activity.h"
#include "badness.h"
#include "charges.h"
#include "history.h"
#include "level.h"
#include "policy.h"
#include "psi.h"

struct report_domain {
        const char *name;
        const char *kind;        /* "system", "cgroup-v2", "cgroup-v1" */
        const char *cgroup_path; /* "" for the system */
        uint64_t allowable_kib;
        uint64_t available_kib;
        enum triage_level level;
        struct level_thresholds thresholds;
        bool has_psi;
        struct psi_stats psi;
        const char *watch;  /* how it is watched, for people */
        uint64_t poll_usec; /* current meminfo/usage poll period */
        uint64_t kills;
        pid_t dying_pid; /* victim being waited for, 0 if none */
};

struct report_client {
        uint64_t id;
        const char *name;
        pid_t pid;
        uid_t uid;
        const char *transport; /* "socket" or "D-Bus" */
        bool saved;
        const char *state_ref;
        const char *pending; /* "none", "save", "close" */
};

struct report_status {
        const char *version;
        pid_t pid;
        uint64_t uptime_usec;
        bool dry_run;
        enum badness_mode mode;
        bool mlocked;
        int oom_score_adj; /* triaged's own */
        size_t process_capacity;
        const struct report_domain *domains;
        size_t n_domains;
        const struct history *history;
        const struct report_client *clients;
        size_t n_clients;
        bool bus;               /* connected to the system bus */
        const char *app_socket; /* "" when not listening */
        /* Telling the kernel: oom_score_adj values written, and refused
         * (lowering needs CAP_SYS_RESOURCE), with the reason. */
        bool advise_only;
        bool adj_publish; /* false: not published (no CAP_SYS_RESOURCE) */
        uint64_t adj_written;
        uint64_t adj_refused;
        const char *adj_refused_reason;
        const char *chooser; /* its name, "" when none */
        const char *frozen;  /* what is frozen now, "" when nothing */
};

struct report_rank {
        const char *domain;
        uint64_t allowable_kib;
        unsigned page_kib;
        enum badness_mode mode;
        const struct candidate *candidates;
        size_t n;
        size_t dropped; /* processes the scan could not hold */
        /* Command lines of processes owned by others are hidden from
         * non-root viewers (the daemon reads /proc as root). */
        uid_t viewer_uid;
};

void report_status(FILE *f, const struct report_status *s, bool json);
void report_rank(FILE *f, const struct report_rank *r, bool json);
/* Returns 0, or -ESRCH when pid is not in the ranking (nothing written). */
int report_why(FILE *f, const struct report_rank *r, pid_t pid, bool json);
void report_history(FILE *f, const struct history *h, uid_t viewer_uid, bool json);
/* The processes that were closed or killed, newest first, with what a shell
 * needs to start them again: name, command line, saved-state reference.
 * Non-root viewers see only their own. */
void report_restart_list(FILE *f, const struct history *h, uid_t viewer_uid, bool json);

struct report_activities {
        const char *domain;
        uint64_t allowable_kib;
        unsigned page_kib;
        enum badness_mode mode;
        const struct activity *acts;
        size_t n;
        const uint32_t *members;
        const struct proc_table *procs;
        const int64_t *charged;             /* per process of procs, or NULL */
        const struct charge_table *charges; /* for the sources, or NULL */
        uid_t viewer_uid;
};

/* Activities in kill order: rank, name, tier, idle time, processes,
 * memory, score; protected ones last with --all. */
void report_activities(FILE *f, const struct report_activities *r, bool all, bool json);
/* A process: the kernel's formula for it alone (which /proc/PID/oom_score
 * shows), what is charged to it and by whom, and its activity: tier, last
 * use, weight, place in the ranking. Returns -ESRCH when pid is not in the
 * table. */
int report_why_process(FILE *f, const struct report_activities *r, pid_t pid, bool json);
