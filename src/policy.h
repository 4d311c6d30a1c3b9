/* SPDX-License-Identifier: MIT */
/*
 * Ranking candidates within a domain. Pure: takes a scanned process table
 * and the domain's figures, returns candidates worst first. No I/O.
 *
 * A process is a candidate of a domain when it is inside the domain (any
 * process for the system; at or below the cgroup for a cgroup domain; for
 * a node-set domain, one whose Mems_allowed lies within the nodes: the
 * kernel's cpuset-constrained OOM looks at the tasks that may allocate
 * there, and one that may also allocate elsewhere is not limited by them). It
 * is never a victim when it is PID 1, a kernel thread, has no memory
 * (zombie), has oom_score_adj -1000, or is the daemon itself: such entries
 * are kept in the ranking only when asked for (`include_excluded`), last,
 * with the reason.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "badness.h"
#include "cgroup.h"
#include "numa.h"
#include "proc.h"

enum policy_exclusion {
        POLICY_CANDIDATE = 0,
        POLICY_EXCLUDED_UNKILLABLE, /* see badness.unkillable */
        POLICY_EXCLUDED_SELF,       /* triaged itself */
};

struct candidate {
        const struct proc_entry *proc;
        struct badness badness;
        enum policy_exclusion exclusion;
};

struct policy_domain {
        /* NULL for the system domain; else the cgroup path processes must be
         * in, compared against the v2 or v1 path per `version`. */
        const char *cgroup_path;
        enum cgroup_version version;
        /* A node-set domain (has_nodes): only processes whose
         * mems_allowed is a subset of `nodes` (numa_mask_subset()). */
        bool has_nodes;
        struct numa_mask nodes;
        uint64_t allowable_kib;
        unsigned page_kib;
        enum badness_mode mode;
        pid_t self_pid;
};

/*
 * Fills out (capacity out_capacity, at least t->n) with the processes of t
 * that belong to the domain, sorted worst first (badness_compare), the
 * excluded ones after all candidates when include_excluded is true and
 * dropped otherwise. Returns the number stored.
 */
size_t policy_rank(const struct policy_domain *d, const struct proc_table *t, bool include_excluded,
                   struct candidate *out, size_t out_capacity);

/* The first real candidate of a ranking, or NULL when there is none. */
const struct candidate *policy_pick_victim(const struct candidate *ranked, size_t n);

/* Whether p belongs to the domain. */
bool policy_domain_contains(const struct policy_domain *d, const struct proc_entry *p);

const char *policy_exclusion_to_string(const struct candidate *c);
