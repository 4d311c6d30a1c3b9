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
 *   appsock.c  the application socket (libtriage clients)
 *   bus.c      D-Bus: org.freedesktop.LowMemoryMonitor and org.triage.Manager1
 *   survey.c   scanning, last use, charges, ranking activities, and
 *              publishing the order to the kernel as oom_score_adj
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include <stdio.h>

#include "activity.h"
#include "cgroup.h"
#include "charges.h"
#include "clients.h"
#include "config.h"
#include "ctl.h"
#include "freeze.h"
#include "history.h"
#include "level.h"
#include "meminfo.h"
#include "numa.h"
#include "policy.h"
#include "proc.h"
#include "psi.h"
#include "rules.h"
#include "tracker.h"

#define MANAGER_DOMAINS_MAX 64
#define DOMAIN_NAME_MAX 64
#define CONTROL_CONN_MAX 16
/* Focus reports kept: the focused activity and the last ones before it. */
#define FOCUS_MAX 64

enum domain_kind {
        DOMAIN_SYSTEM,
        DOMAIN_CGROUP_V1,
        DOMAIN_CGROUP_V2,
        DOMAIN_NODES, /* a NUMA node set: `nodes =` or a cpuset's (numa.h) */
};

struct manager;

struct domain {
        struct manager *manager;
        bool in_use;
        char name[DOMAIN_NAME_MAX];
        enum domain_kind kind;
        char cgroup_path[CGROUP_PATH_MAX]; /* relative to the hierarchy's root */
        bool configured;                   /* from the config or the command line */
        int cgfd;                          /* the cgroup's directory, -1 for the system */
        struct numa_domain numa;           /* DOMAIN_NODES: its node files, held open */

        struct level_config levels;
        struct level_thresholds thresholds;
        enum triage_level level;
        uint64_t allowable_kib;
        uint64_t available_kib;
        struct cgroup_memory cgmem;

        int psi_fd; /* for reading the averages */
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
        char watch[160]; /* how it is watched, for status */

        uint64_t event_usec; /* when the last sample was triggered */

        /* The action in flight: one per domain. A registered victim is
         * first asked to save and close (ACT_GRACE); SIGKILL follows at
         * the deadline, or at once if the emergency floor is reached. */
        enum act_phase {
                ACT_IDLE,
                ACT_GRACE,    /* asked to close, waiting */
                ACT_KILLED,   /* SIGKILL sent, waiting for the death */
                ACT_CHOOSING, /* a person is choosing what to close */
        } phase;
        enum kill_outcome outcome_on_exit; /* what its death will be recorded as */
        int victim_pidfd;                  /* the one watched: its exit ends the action */
        pid_t victim_pid;
        /* The activity's other processes, signalled with it. */
        int member_pidfds[HISTORY_MEMBERS_MAX];
        size_t n_member_pidfds;
        char victim_cgroup[CGROUP_PATH_MAX]; /* "" unless cgroup.kill is used */
        uint64_t victim_client_id;
        uint64_t victim_record_id;
        sd_event_source *victim_source;
        sd_event_source *victim_deadline;
        sd_event_source *holdoff_source; /* dry-run: wait before deciding again */
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
        const char *socket_path; /* NULL: from the config */
        bool dry_run;            /* --dry-run (or the config's) */
        bool advise_only;        /* --advise-only */
        bool no_auto_domains;
        bool no_mlock;
        bool badness_set;
        enum badness_mode badness;
        const char *domains[CONFIG_DOMAINS_MAX]; /* -d [NAME=]PATH */
        size_t n_domains;
};

struct appsock;
struct bus;
struct xres;
struct x11focus;

struct focus_report {
        pid_t pid;
        uint64_t start_time_ticks;
        uint64_t last_use_usec; /* CLOCK_BOOTTIME, like process start times */
        bool focused;
};

struct manager {
        sd_event *event;
        struct manager_options options;
        struct config config;

        int procfd;
        int sysfd;
        int meminfo_fd;
        struct cgroup_mounts mounts;
        int cgroup_v2_fd; /* root of the v2 hierarchy, -1 if none */
        int cgroup_v1_fd; /* root of the v1 memory hierarchy, -1 if none */
        unsigned page_kib;
        uint64_t start_usec;
        bool mlocked;
        int own_oom_score_adj;

        struct proc_table procs;
        struct candidate *ranked; /* procs.capacity entries */

        struct history history;
        struct domain domains[MANAGER_DOMAINS_MAX];

        int inotify_fd; /* cgroup discovery */
        sd_event_source *inotify_source;
        sd_event_source *rescan_source;

        char socket_path[CONFIG_PATH_MAX];
        int listen_fd;
        sd_event_source *listen_source;
        sd_event_source *listen_pause_source;
        struct control_conn conns[CONTROL_CONN_MAX];

        /* Activities: everything below has procs.capacity entries (the
         * member lists and the per-process arrays index the table). */
        struct rules rules;
        struct tracker tracker;
        struct charge_table charges;
        struct xres *xres;                /* NULL without an X display */
        struct x11focus *x11focus;        /* _NET_ACTIVE_WINDOW; NULL without */
        sd_event_source *x11focus_source; /* its connection's fd */
        struct activity *acts;
        uint32_t *members;
        uint32_t *act_scratch; /* ACTIVITY_SCRATCH_WORDS(capacity) */
        struct rule_verdict *verdicts;
        int *base_adj;
        uint64_t *last_active;
        int64_t *charged;
        int *plan_adj;
        struct focus_report focus[FOCUS_MAX];
        size_t n_focus;
        sd_event_source *survey_source;
        sd_event_source *survey_soon_source;
        sd_event_source *survey_focus_source; /* publish after a focus change */
        bool adj_publish;                     /* CAP_SYS_RESOURCE (values can be put back) or advise-only */
        uint64_t adj_written;                 /* oom_score_adj values published */
        uint64_t adj_refused;                 /* ... refused by the kernel (lowering) */
        int adj_refused_errno;

        /* The chooser: one choice at a time, on the most recent chooser;
         * the foreground activity frozen meanwhile. */
        uint64_t chooser_id;     /* client id, 0 when none */
        struct domain *choosing; /* the domain whose choice is open */
        uint32_t choose_serial;
        struct choice choices[CHOICES_MAX];
        size_t n_choices;
        sd_event_source *choose_deadline;
        sd_event_source *freeze_source; /* cgroup.events of a v2 freeze */
        pid_t frozen_leader;            /* the activity frozen during the choice */
        struct freeze freeze;
        char freeze_state_path[CONFIG_PATH_MAX];

        struct clients clients;  /* registered applications */
        struct appsock *appsock; /* NULL when not listening */
        struct bus *bus;         /* NULL without a bus */
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

/*
 * For transports (appsock.c, bus.c). pid and uid come from the kernel.
 * register: checks the process exists (reading its start time from /proc)
 * and adds it; returns NULL with *ret_err (see clients_add(), -ESRCH).
 * unregister: the transport is going away (disconnect, name lost).
 * saved/closing: the client's answers, checked against what is pending.
 */
struct client *manager_client_register(struct manager *m, enum client_transport t,
                                       const struct client_ops *ops, void *transport_data, pid_t pid,
                                       uid_t uid, const char *name, int *ret_err);
void manager_client_unregister(struct manager *m, struct client *c);
int manager_client_saved(struct manager *m, struct client *c, uint32_t serial, const char *state_ref);
int manager_client_closing(struct manager *m, struct client *c, uint32_t serial);
/*
 * Choosers (issue: freeze and choose). A registered client becomes a
 * chooser; at CRITICAL, above the emergency floor, the daemon freezes the
 * foreground activity and offers the ranked candidates to the most recent
 * chooser (send_choose), with a deadline. The pick names an activity by its
 * leader's PID (0: let the policy decide). A chooser running as a user may
 * see and pick only that user's activities; root's, any. Returns 0,
 * -EPROTO (nothing pending with that serial), -EPERM (not theirs), -ESRCH
 * (not a candidate).
 */
int manager_chooser_register(struct manager *m, struct client *c);
int manager_chooser_pick(struct manager *m, struct client *c, uint32_t serial, pid_t leader);

/* chooser.c: the daemon's side of choosing (see above). */
/* Whether a choice should be offered now (a chooser, not dry-run, above
 * the floor); if so starts it: freezes the foreground activity, sends the
 * candidates, arms the deadline. Returns 1 when a choice was started. */
int chooser_maybe_start(struct domain *d, const struct activity *acts, size_t n);
/* Ends the open choice of d: thaws, tells the chooser, then (except when
 * cancelled) closes the picked activity or lets the policy act. */
void chooser_end(struct domain *d, enum choose_result result, pid_t leader);
/* At start: thaw what a crashed daemon left frozen. At exit: thaw. */
void chooser_recover(struct manager *m);
/* Tells every chooser that may see it (root's, or the owner's) that r's
 * activity was closed or killed. */
void chooser_tell_killed(struct manager *m, const struct kill_record *r);
void chooser_stop(struct manager *m);

/* Renders what triagectl's commands show (status, rank, why, history,
 * restart list) into f, for the control socket and the bus's read-only
 * methods. Returns 0, -ENOENT (no such domain), -ESRCH (no such pid). */
int manager_render(struct manager *m, enum ctl_command cmd, uint32_t flags, pid_t pid, const char *domain,
                   uid_t viewer_uid, FILE *f);

/* survey.c */
/* Scans the domain's processes and ranks its activities into m->acts
 * (worst first) with their members in m->members; returns the count or
 * -errno. Uses the charges and last-use facts of the last survey. */
ssize_t manager_rank_activities(struct manager *m, const struct domain *d, unsigned what);
/* The periodic survey (every SURVEY_INTERVAL_USEC, and when a domain's
 * level rises): refreshes charges and last use, and publishes the system
 * domain's order as oom_score_adj (not in dry-run mode). */
int survey_start(struct manager *m);
void survey_stop(struct manager *m);
void survey_now(struct manager *m);
/* survey_now() at the next turn of the loop (once, however often asked). */
void survey_soon(struct manager *m);
/* After a focus change, when the ranking is published: survey_now() in
 * SURVEY_FOCUS_DELAY_USEC, once for however many changes come meanwhile
 * (switching windows quickly costs one survey), so the kernel's order
 * follows the focus within about a second instead of the next survey. */
void survey_after_focus(struct manager *m);
/* Puts back every oom_score_adj triaged changed (at exit). */
void survey_restore_adj(struct manager *m);
/* A focus report: pid's activity is in use now. The requester must be
 * root or pid's owner. Returns 0, -ESRCH, -EPERM. */
int manager_focus(struct manager *m, pid_t pid, uid_t requester);
/* A trusted server (its uid in [charges] trusted) says it holds bytes of
 * memory for client: charged to the client, credited to the server, until
 * its next report (0 ends it). Returns 0, -EPERM (not trusted), -ESRCH (no
 * such client), -ENOSPC (the charge table is full). */
int manager_report_charge(struct manager *m, pid_t holder, uid_t holder_uid, pid_t client, uint64_t bytes);

/* domain.c */
int domain_start(struct domain *d);
void domain_stop(struct domain *d);
/* Reads the domain's memory (and PSI averages) and re-evaluates its level;
 * logs transitions. Returns 0 or -errno (-ENOENT/-ENODEV: cgroup gone). */
int domain_sample(struct domain *d);
/* Samples and, at CRITICAL or worse, acts. Called from every event. */
void domain_check(struct domain *d);
const char *domain_kind_to_string(enum domain_kind k);

/* ladder.c: what each level asks of applications. */
/* Called by domain_sample() on every level change. */
void ladder_level_changed(struct domain *d, enum triage_level old, enum triage_level level);
/* Whether the process is in the domain (reads its cgroup). */
bool domain_has_pid(struct domain *d, pid_t pid);

/* act.c */
/* At CRITICAL or worse: chooses a victim if none is in flight and asks it
 * to close (registered apps, CRITICAL) or kills it; in a grace period,
 * kills at once when the domain reaches EMERGENCY. During a choice: the
 * floor ends it (the policy acts), and a level below CRITICAL cancels it. */
int act_on_domain(struct domain *d);
/* Closes or kills this activity of m->acts (freshly ranked) now. decided_by
 * is recorded: "policy", "person". */
int act_take(struct domain *d, const struct activity *a, const char *decided_by);
/* A registered victim answered: copy what it said into its record. */
void act_client_answered(struct manager *m, const struct client *c);
/* Forgets the action in flight (the domain is going away). */
void act_cancel(struct domain *d);

/* appsock.c: the libtriage socket (path from the config). */
int appsock_open(struct manager *m, struct appsock **ret);
struct appsock *appsock_free(struct appsock *a);

/* bus.c: connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured),
 * owns the names, exports the objects. Returns -errno when there is no bus;
 * the daemon then runs without it. */
int bus_open(struct manager *m, struct bus **ret);
struct bus *bus_free(struct bus *b);
/* org.freedesktop.LowMemoryMonitor.LowMemoryWarning(y): 50, 100 or 255. */
void bus_emit_low_memory_warning(struct bus *b, enum triage_level level);
/* org.triage.Manager1 signals. */
void bus_emit_level_changed(struct bus *b, const char *domain, enum triage_level level);
void bus_emit_killed(struct bus *b, const struct kill_record *r);

/* control.c */
int control_open(struct manager *m);
void control_close(struct manager *m);
