/* SPDX-License-Identifier: MIT */
/*
 * The daemon's state: one struct manager owns the event loop (sd-event),
 * the configuration, the domains, the process table, the kill history and
 * the control socket. Everything runs in the one loop; nothing sleeps.
 *
 *   main.c     arguments, start, loop, exit
 *   manager.c  set-up, self-protection, signals, reload, domain discovery
 *   domain.c   one domain: its pressure sources, sampling, levels
 *   act.c      choosing and killing a victim, waiting for its death
 *   control.c  the control socket (triagectl)
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "cgroup.h"
#include "config.h"
#include "history.h"
#include "level.h"
#include "meminfo.h"
#include "policy.h"
#include "proc.h"
#include "psi.h"

#define MANAGER_DOMAINS_MAX 64
#define DOMAIN_NAME_MAX 64
#define CONTROL_CONN_MAX 16

enum domain_kind {
        DOMAIN_SYSTEM,
        DOMAIN_CGROUP_V1,
        DOMAIN_CGROUP_V2,
};

struct manager;

struct domain {
        struct manager *manager;
        bool in_use;
        char name[DOMAIN_NAME_MAX];
        enum domain_kind kind;
        char cgroup_path[CGROUP_PATH_MAX];  /* relative to the hierarchy's root */
        bool configured;                    /* from the config or the command line */
        int cgfd;                           /* the cgroup's directory, -1 for the system */

        struct level_config levels;
        struct level_thresholds thresholds;
        enum triage_level level;
        uint64_t allowable_kib;
        uint64_t available_kib;
        struct cgroup_memory cgmem;

        int psi_fd;                         /* for reading the averages */
        int psi_trigger_fd;
        uint64_t psi_window_usec;
        bool has_psi;
        struct psi_stats psi;
        sd_event_source *psi_source;
        /* v2: inotify on memory.events; v1: eventfds for pressure_level,
         * usage crossing the low, critical and emergency thresholds, and
         * oom_control. */
        int event_fds[5];
        sd_event_source *event_sources[5];
        sd_event_source *timer_source;
        uint64_t poll_usec;
        char watch[160];                    /* how it is watched, for status */

        uint64_t event_usec;                /* when the last sample was triggered */

        /* The action in flight: one per domain. */
        int victim_pidfd;
        pid_t victim_pid;
        uint64_t victim_record_id;
        sd_event_source *victim_source;
        sd_event_source *victim_deadline;
        sd_event_source *holdoff_source;    /* dry-run: wait before deciding again */
        uint64_t kills;
        uint64_t no_candidate_logged_usec;
};

struct control_conn {
        struct manager *manager;
        int fd;
        uid_t uid;
        pid_t pid;
        sd_event_source *io_source;
        sd_event_source *timeout_source;
};

struct manager_options {
        const char *config_path;
        const char *proc_root;
        const char *sys_root;
        const char *socket_path;            /* NULL: from the config */
        bool dry_run;                       /* --dry-run (or the config's) */
        bool no_auto_domains;
        bool no_mlock;
        bool badness_set;
        enum badness_mode badness;
        const char *domains[CONFIG_DOMAINS_MAX]; /* -d [NAME=]PATH */
        size_t n_domains;
};

struct manager {
        sd_event *event;
        struct manager_options options;
        struct config config;

        int procfd;
        int sysfd;
        int meminfo_fd;
        struct cgroup_mounts mounts;
        int cgroup_v2_fd;                   /* root of the v2 hierarchy, -1 if none */
        int cgroup_v1_fd;                   /* root of the v1 memory hierarchy, -1 if none */
        unsigned page_kib;
        uint64_t start_usec;
        bool mlocked;
        int own_oom_score_adj;

        struct proc_table procs;
        struct candidate *ranked;           /* procs.capacity entries */

        struct history history;
        struct domain domains[MANAGER_DOMAINS_MAX];

        int inotify_fd;                     /* cgroup discovery */
        sd_event_source *inotify_source;
        sd_event_source *rescan_source;

        char socket_path[CONFIG_PATH_MAX];
        int listen_fd;
        sd_event_source *listen_source;
        sd_event_source *listen_pause_source;
        struct control_conn conns[CONTROL_CONN_MAX];
};

/* manager.c */
int manager_new(const struct manager_options *o, struct manager **ret);
struct manager *manager_free(struct manager *m);
int manager_run(struct manager *m);
/* Loads the configuration file (and the command-line overrides). On
 * failure *m->config is untouched. */
int manager_load_config(const struct manager_options *o, struct config *ret);
/* Finds a domain by name or cgroup path; NULL or "" is the system. */
struct domain *manager_find_domain(struct manager *m, const char *name);
/* Scans /proc for the domain and ranks it into m->ranked; returns count. */
int manager_rank(struct manager *m, const struct domain *d, unsigned what, bool include_excluded,
                 size_t *ret_n);
void manager_policy_domain(const struct manager *m, const struct domain *d, struct policy_domain *ret);

/* domain.c */
int domain_start(struct domain *d);
void domain_stop(struct domain *d);
/* Reads the domain's memory (and PSI averages) and re-evaluates its level;
 * logs transitions. Returns 0 or -errno (-ENOENT/-ENODEV: cgroup gone). */
int domain_sample(struct domain *d);
/* Samples and, at CRITICAL or worse, acts. Called from every event. */
void domain_check(struct domain *d);
const char *domain_kind_to_string(enum domain_kind k);

/* act.c */
/* Chooses and kills a victim for the domain if none is in flight. */
int act_on_domain(struct domain *d);
/* Forgets the action in flight (the domain is going away). */
void act_cancel(struct domain *d);

/* control.c */
int control_open(struct manager *m);
void control_close(struct manager *m);
