/* SPDX-License-Identifier: MIT */
#include "policy.h"

#include <stdlib.h>

bool policy_domain_contains(const struct policy_domain *d, const struct proc_entry *p)
{
        if (d->has_nodes && !numa_mask_subset(&p->mems_allowed, &d->nodes))
                return false;
        if (!d->cgroup_path)
                return true;
        const char *member = d->version == CGROUP_V2 ? p->cgroup_v2 : p->cgroup_v1_memory;
        if (member[0] == '\0')
                return false;
        return cgroup_path_contains(d->cgroup_path, member);
}

static int candidate_cmp(const void *a, const void *b)
{
        const struct candidate *ca = a, *cb = b;

        /* Real candidates before excluded ones, then worst first. */
        if ((ca->exclusion != POLICY_CANDIDATE) != (cb->exclusion != POLICY_CANDIDATE))
                return ca->exclusion != POLICY_CANDIDATE ? 1 : -1;
        int r = badness_compare(&cb->badness, &ca->badness);
        if (r != 0)
                return r;
        /* Stable, deterministic order for equal badness: lower PID first. */
        return (ca->proc->pid > cb->proc->pid) - (ca->proc->pid < cb->proc->pid);
}

size_t policy_rank(const struct policy_domain *d, const struct proc_table *t, bool include_excluded,
                   struct candidate *out, size_t out_capacity)
{
        uint64_t allowable_pages = d->allowable_kib / d->page_kib;
        size_t n = 0;

        for (size_t i = 0; i < t->n && n < out_capacity; i++) {
                const struct proc_entry *p = &t->entries[i];
                struct candidate *c = &out[n];

                if (!policy_domain_contains(d, p))
                        continue;
                c->proc = p;
                badness_compute(p, allowable_pages, d->page_kib, 0, d->mode, &c->badness);
                if (c->badness.unkillable != BADNESS_KILLABLE)
                        c->exclusion = POLICY_EXCLUDED_UNKILLABLE;
                else if (p->pid == d->self_pid)
                        c->exclusion = POLICY_EXCLUDED_SELF;
                else
                        c->exclusion = POLICY_CANDIDATE;
                if (c->exclusion != POLICY_CANDIDATE && !include_excluded)
                        continue;
                n++;
        }
        qsort(out, n, sizeof(out[0]), candidate_cmp);
        return n;
}

const struct candidate *policy_pick_victim(const struct candidate *ranked, size_t n)
{
        if (n == 0 || ranked[0].exclusion != POLICY_CANDIDATE)
                return NULL;
        return &ranked[0];
}

const char *policy_exclusion_to_string(const struct candidate *c)
{
        switch (c->exclusion) {
        case POLICY_CANDIDATE:
                return "candidate";
        case POLICY_EXCLUDED_SELF:
                return "triaged itself";
        case POLICY_EXCLUDED_UNKILLABLE:
                return badness_unkillable_to_string(c->badness.unkillable);
        }
        return "unknown";
}
