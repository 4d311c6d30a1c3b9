/* SPDX-License-Identifier: MIT */
/*
 * Activities: the applications triage ranks and kills, instead of lone
 * processes, their tiers, their order, and the oom_score_adj values that
 * tell the kernel the same order. Pure: everything comes in through struct
 * activity_input (a scanned process table, the registered clients, rule
 * verdicts, focus reports), nothing is read or written, and the ranking
 * allocates nothing (it sorts with its own heapsort on caller-provided
 * index arrays; glibc's qsort() may malloc).
 *
 * GROUPING. A process belongs to at most one activity; kernel threads,
 * zombies and processes outside the domain belong to none. In order of
 * precedence:
 *   1. a registered client: the client's process and all its descendants
 *      (by ppid chains in the table; the nearest registered ancestor wins,
 *      a client whose process has another start time than it registered
 *      with is a recycled PID and ignored). Id "client:<client id>".
 *   2. a systemd unit: the deepest component of the cgroup path (v2, or
 *      the v1 memory path when the process has no v2 path) that ends in
 *      ".scope" or ".service", unless a ".slice" follows it: so
 *      .../user@1000.service/app.slice/app-gnome-firefox-1234.scope groups
 *      the browser, user@1000.service groups only the processes directly in
 *      it (systemd --user), a process sitting in app.slice itself falls
 *      through to 3, and session-2.scope is a login session. Deeper cgroups
 *      that the unit made for itself (a delegated service, a container)
 *      stay in the unit. Id: the unit's cgroup path. A truncated cgroup
 *      path is not trusted (two long paths could share the kept part): its
 *      process falls through to 3.
 *   3. the process group: every process with the same pgid (a process
 *      group never spans sessions). A lone process is a group of its own.
 *      Id "pgid:<pgid>".
 * Ids never collide across kinds: cgroup paths start with '/'.
 *
 * PROTECTION is per process. A process is protected when it is PID 1, the
 * daemon itself, has oom_score_adj -1000 now, or when its rule verdict
 * says protect = yes or adj = -1000. A group whose members are all
 * protected is one protected activity; a protected process in a group with
 * unprotected ones is taken out of it into an activity of its own, kind
 * ACTIVITY_PROCESS, id "pid:<pid>". So a protection covers exactly the
 * processes it names: sshd's session process is never killed, and the
 * runaway build in the same session-N.scope still can be, and a child set
 * to -1000 cannot shield the rest of its application. (This departs on
 * purpose from "a protected member protects the whole activity".) Such a
 * split activity's cgroup no longer holds exactly its members, so
 * cgroup_exact is false and the daemon must kill it process by process.
 *
 * BADNESS of an activity: the kernel formula (badness_compute(), kernel or
 * 2010 mode as the domain says) on the sum of its members' memory parts
 * (rss anon + file + shmem, swap, page tables, plus the memory others hold
 * for them: X pixmaps, GPU buffers; minus what they hold for others) with
 * ONE oom_score_adj: the
 * rule's adj = N if a rule sets it, else the leader's *own* adj
 * (input.base_adj). The own adj matters: once triage has published its
 * plan, the current values are triage's, and ranking by them would only
 * confirm the previous ranking forever. The daemon keeps the value each
 * process had before triage first wrote to it.
 *
 * TIERS, decided in this order:
 *   PROTECTED   every member protected (see above); never a victim.
 *   (rule)      a rule's tier = / prefer = yes, when it is not auto.
 *   FOREGROUND  a focus report says the activity has the focus now.
 *   SYSTEM      its cgroup is under /system.slice or /init.scope, or its
 *               leader's uid is below 1000 and it is not under /user.slice
 *               (a system without systemd: uid decides). Registered
 *               clients are never SYSTEM: they declared themselves apps.
 *   RECENT      last used less than input.recent_usec ago (5 min default).
 *   BACKGROUND  everything else.
 * Kill order: PREFERRED, BACKGROUND, RECENT, FOREGROUND, SYSTEM; never
 * PROTECTED. An activity a rule marks "avoid" goes after every other of its
 * tier.
 *
 * ORDER WITHIN A TIER. In BACKGROUND the activity used longest ago goes
 * first, weighed by its memory:
 *     age_factor = 1 + log2(1 + idle_seconds / 60)
 *     weight     = points * age_factor       (points >= 0)
 *                = points / age_factor       (points < 0, so that age
 *                                             still pushes it forward)
 * idle now: factor 1; 10 min: 4.46; 1 h: 6.93; 1 day: 11.5. (The
 * minute is input.age_unit_usec, [policy] age_unit in triage.conf.) The log makes
 * age count less and less, so a big application still goes before a tiny
 * old one when the memory difference is large: 800 MiB idle 6 min
 * (factor 3.81, weight 3046) goes before 100 MiB idle 1 h (693), while
 * 150 MiB idle 6 min (571) goes after it. The factor is computed in fixed
 * point (per mille, no libm, no floating point). In the other tiers the
 * kernel badness decides (points, then rss, then the lower leader PID).
 *
 * LAST USE. From focus reports (struct activity_use: a pid or an activity
 * id, a time, whether it has the focus); an activity without any report
 * takes the latest input.last_active_usec of its members, which the
 * daemon derives from CPU use (activity_cpu_last_active()). 0 means "not
 * since the clock started": use CLOCK_MONOTONIC (or BOOTTIME) for all of
 * them, so that an activity never seen active counts as idle since boot.
 *
 * TELLING THE KERNEL (activity_plan_adj()). Each process gets the
 * oom_score_adj of its activity's place in the ranking:
 *     the first-ranked (killable) activity     1000
 *     PREFERRED                                 900 ..  800
 *     BACKGROUND                                700 ..  500
 *     RECENT                                    400 ..  300
 *     FOREGROUND                                200 ..  100
 *     SYSTEM       its own adj, capped at 0    (-999 ..    0)
 *     PROTECTED    left as it is
 * Within a band the activities are spread evenly from the top down in rank
 * order (one activity: the top). The kernel compares processes by
 *     points = rss + swap + pgtables + adj * allowable / 1000
 * so two processes whose adj differ by d are ordered by adj whenever their
 * memory differs by less than d/1000 of allowable memory: the 100 between
 * bands means a tier always wins over the next unless a process of the
 * lower tier is more than 10% of RAM (+swap, or the cgroup limit) bigger;
 * the first victim leads the rest by 100 or more; within a band the step
 * is width / (count - 1), so 11 background activities are 20 apart (2%).
 * What the kernel cannot be made to agree on: it picks one *process*, the
 * biggest of the top group, not the whole activity (unless memory.oom.group
 * is set); memory differences above the step reorder it; rule-protected
 * processes keep their own adj, so only -1000 keeps the kernel off them;
 * values are as old as the last scan; and without CAP_SYS_RESOURCE the
 * kernel refuses values below a process's oom_score_adj_min (the SYSTEM
 * band needs no write at all for a service at the default 0, which is why
 * SYSTEM keeps its own values rather than getting a band of its own).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "badness.h"
#include "cgroup.h"
#include "policy.h"
#include "proc.h"
#include "rules.h"

#define ACTIVITY_NAME_MAX 64
/* "client:18446744073709551615" is 27; a unit's id is its cgroup path. */
#define ACTIVITY_ID_MAX 32
#define ACTIVITY_NONE UINT32_MAX
#define ACTIVITY_RECENT_DEFAULT_USEC (5 * 60 * UINT64_C(1000000))
/* Words of input.scratch a table of n processes needs. */
#define ACTIVITY_SCRATCH_WORDS(n) (3 * (size_t)(n))

/* The oom_score_adj of the first-ranked activity, and of each band. */
#define ACTIVITY_ADJ_FIRST 1000
#define ACTIVITY_ADJ_SYSTEM_MAX 0

enum activity_kind {
        ACTIVITY_CLIENT,  /* "client:<id>" */
        ACTIVITY_UNIT,    /* its cgroup path */
        ACTIVITY_PGID,    /* "pgid:<pgid>" */
        ACTIVITY_PROCESS, /* "pid:<pid>": a protected process split off, or a
                                   process with no process group */
};

enum activity_protection {
        ACTIVITY_KILLABLE,
        ACTIVITY_PROTECTED_INIT,    /* PID 1 */
        ACTIVITY_PROTECTED_SELF,    /* triaged itself */
        ACTIVITY_PROTECTED_ADJ_MIN, /* oom_score_adj -1000 now */
        ACTIVITY_PROTECTED_RULE,    /* protect = yes or adj = -1000 */
};

/* A registered client, as the daemon's client table knows it. */
struct activity_client {
        pid_t pid;
        uint64_t start_time_ticks; /* 0: not checked */
        uint64_t client_id;
        const char *name; /* as it registered; NULL or "": the comm */
};

/* A focus report. */
struct activity_use {
        pid_t pid;              /* any process of the activity, or 0 ... */
        const char *id;         /* ... and the activity's id instead */
        uint64_t last_use_usec; /* same clock as input.now_usec */
        bool focused;           /* has the focus now */
};

struct activity_input {
        const struct proc_table *procs;
        /* Which processes take part, allowable memory, page size, badness
         * mode and the daemon's own PID. */
        const struct policy_domain *domain;

        const struct activity_client *clients;
        size_t n_clients;
        /* One per process of procs (same index), each optional (NULL). */
        const struct rule_verdict *verdicts; /* rules_match() of each process */
        const int *base_adj;                 /* own oom_score_adj; NULL: the current */
        const uint64_t *last_active_usec;    /* last CPU use, the fallback */
        const int64_t *charged_kib;          /* memory others hold for it (> 0), or it
                                                holds for others (< 0): see charges.h */

        const struct activity_use *uses;
        size_t n_uses;
        uint64_t now_usec;
        uint64_t recent_usec; /* ACTIVITY_RECENT_DEFAULT_USEC */
        /* The "minute" of the age factor (0: a minute): the factor of an
         * activity idle for idle_usec is that of idle_usec * 1 min /
         * age_unit_usec. Shorter units make age count more. */
        uint64_t age_unit_usec;

        /* Work space, at least ACTIVITY_SCRATCH_WORDS(procs->n) words. */
        uint32_t *scratch;
        size_t scratch_cap;
};

struct activity {
        enum activity_kind kind;
        char id_text[ACTIVITY_ID_MAX]; /* read it with activity_id() */
        char name[ACTIVITY_NAME_MAX];  /* unit name without suffix, client name, or comm;
                                           control bytes shown as '?' */
        uint64_t client_id;            /* ACTIVITY_CLIENT */
        uint32_t rank;                 /* its place in the ranking, 0 = worst */

        uint32_t leader; /* index into the table */
        pid_t leader_pid;
        uid_t uid; /* the leader's */
        /* Its processes: members[first_member .. first_member + n_members),
         * indices into the table, in PID order. */
        uint32_t first_member;
        uint32_t n_members;
        uint32_t worst_member; /* highest kernel points of its own: kill = process */

        uint64_t rss_anon_kib, rss_file_kib, rss_shmem_kib, swap_kib, pte_kib;
        int64_t charged_kib;  /* the members' charges, added to its badness */
        int adj_min, adj_max; /* current oom_score_adj of its members */
        int adj;              /* the one its badness uses */
        bool adj_from_rule;

        enum activity_protection protection;
        const char *protect_rule; /* the rule, for ACTIVITY_PROTECTED_RULE */

        /* The unit's cgroup, or the one all members share; "" for none. */
        char cgroup[PROC_CGROUP_MAX];
        enum cgroup_version cgroup_version;
        /* Every process of the table at or below cgroup is a member (and
         * the table is complete): cgroup.kill hits exactly this activity,
         * as of this scan. */
        bool cgroup_exact;

        enum tier tier;
        const char *tier_rule; /* the rule that set the tier, or NULL */
        bool focused;
        bool avoid;
        enum rule_kill kill;
        bool has_grace;
        uint64_t grace_usec;

        bool reported; /* last use from a focus report, not CPU */
        uint64_t last_use_usec;
        uint64_t idle_usec;
        unsigned age_factor_milli; /* 1000 = 1.0 */

        struct badness badness; /* on the summed memory */
        int64_t weight;         /* what ranks it within its tier */
};

/*
 * Groups, classifies and ranks the processes of in->procs, worst first,
 * into acts (the killable ones, then the protected ones). members receives
 * the member lists. Returns the number of activities, or -ENOBUFS when
 * members_cap or in->scratch_cap is below what is documented above or the
 * activities do not fit in cap (cap >= procs->n always suffices), -EINVAL
 * for a table of 2^32 - 1 processes or more. Allocates nothing.
 */
ssize_t activity_rank(const struct activity_input *in, struct activity *acts, size_t cap, uint32_t *members,
                      size_t members_cap);

/* The first killable activity of a ranking, or NULL. */
const struct activity *activity_victim(const struct activity *acts, size_t n);

/* The activity process `index` of the table belongs to, or NULL. */
const struct activity *activity_of_proc(const struct activity *acts, size_t n, const uint32_t *members,
                                        uint32_t index);

/*
 * The oom_score_adj plan (see TELLING THE KERNEL) for acts as ranked by
 * activity_rank() from table t: ret_adj[i] for every process i of t.
 * Processes in no activity and protected ones get their current value, so
 * the daemon writes only where ret_adj[i] differs from it. base_adj as in
 * the input (NULL: the current values).
 */
void activity_plan_adj(const struct activity *acts, size_t n, const uint32_t *members,
                       const struct proc_table *t, const int *base_adj, int *ret_adj);

/* The band of a tier; SYSTEM and PROTECTED have none (returns false). */
bool activity_tier_band(enum tier t, int *ret_top, int *ret_bottom);

/* "tier background, idle 12 min, factor 4.5, points 1234 -> weight 5502"
 * and the like. Returns the length snprintf() would have written. */
int activity_explain(const struct activity *a, char *buf, size_t size);

/* Its id: the cgroup path of a unit, else "client:N", "pgid:N", "pid:N". */
const char *activity_id(const struct activity *a);

/* 1000 * (1 + log2(1 + idle_seconds / 60)), rounded. */
unsigned activity_age_factor_milli(uint64_t idle_usec);
/* The BACKGROUND weight of points at that factor, saturated. */
int64_t activity_weight(int64_t points, unsigned age_factor_milli);

/* The length of the unit prefix of a cgroup path (see GROUPING), 0 when it
 * names no unit: "/a.slice/b.scope/c" -> 16. */
size_t activity_unit_path_len(const char *path);

/* The CPU fallback for last use: scan_usec when the process used at least
 * min_ticks of CPU since the previous scan, else the previous value. */
uint64_t activity_cpu_last_active(uint64_t prev_last_active_usec, uint64_t prev_cpu_ticks, uint64_t cpu_ticks,
                                  uint64_t scan_usec, uint64_t min_ticks);

const char *activity_kind_to_string(enum activity_kind k);
const char *activity_protection_to_string(enum activity_protection p);
