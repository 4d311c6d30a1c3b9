/* SPDX-License-Identifier: MIT */
#include "tracker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int tracker_init(struct tracker *t, size_t max_processes)
{
        size_t cap = 16;

        while (cap < 2 * max_processes)
                cap <<= 1;
        t->slots = calloc(cap, sizeof(*t->slots));
        if (!t->slots)
                return -ENOMEM;
        t->capacity = cap;
        t->generation = 0;
        return 0;
}

void tracker_free(struct tracker *t)
{
        free(t->slots);
        t->slots = NULL;
        t->capacity = 0;
}

static size_t slot_of(const struct tracker *t, pid_t pid)
{
        /* Knuth's multiplicative hash: PIDs are dense and sequential. */
        return ((uint32_t)pid * UINT32_C(2654435761)) & (t->capacity - 1);
}

struct tracked *tracker_find(struct tracker *t, pid_t pid, uint64_t start_time_ticks)
{
        for (size_t i = slot_of(t, pid), n = 0; n < t->capacity; i = (i + 1) & (t->capacity - 1), n++) {
                struct tracked *e = &t->slots[i];
                if (e->pid == 0)
                        return NULL;
                if (e->pid == pid && e->start_time_ticks == start_time_ticks)
                        return e;
        }
        return NULL;
}

/* The entry of whatever process has this PID now. */
static struct tracked *find_pid(struct tracker *t, pid_t pid)
{
        for (size_t i = slot_of(t, pid), n = 0; n < t->capacity; i = (i + 1) & (t->capacity - 1), n++) {
                if (t->slots[i].pid == 0)
                        return NULL;
                if (t->slots[i].pid == pid)
                        return &t->slots[i];
        }
        return NULL;
}

struct tracked *tracker_get(struct tracker *t, const struct proc_entry *p)
{
        struct tracked *reuse = NULL;

        for (size_t i = slot_of(t, p->pid), n = 0; n < t->capacity; i = (i + 1) & (t->capacity - 1), n++) {
                struct tracked *e = &t->slots[i];
                if (e->pid == p->pid && e->start_time_ticks == p->start_time_ticks)
                        return e;
                if (e->pid == p->pid) {
                        /* A recycled PID: what we knew was another process's. */
                        reuse = e;
                        break;
                }
                if (e->pid == 0) {
                        reuse = e;
                        break;
                }
        }
        if (!reuse)
                return NULL;
        *reuse = (struct tracked){
                .pid = p->pid,
                .start_time_ticks = p->start_time_ticks,
                .seen_generation = t->generation,
                .own_adj = p->oom_score_adj,
                .cpu_ticks = p->cpu_ticks,
        };
        return reuse;
}

/* Removes slot i and moves later entries of its probe run back, so that
 * lookups never stop early at the hole (no tombstones needed). */
static void remove_slot(struct tracker *t, size_t i)
{
        size_t mask = t->capacity - 1;

        t->slots[i].pid = 0;
        for (size_t j = (i + 1) & mask; t->slots[j].pid != 0; j = (j + 1) & mask) {
                size_t home = slot_of(t, t->slots[j].pid);
                /* Move j into the hole i when its home is not in (i, j]. */
                bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
                if (between)
                        continue;
                t->slots[i] = t->slots[j];
                t->slots[j].pid = 0;
                i = j;
        }
}

void tracker_update(struct tracker *t, const struct proc_table *procs, uint64_t now_usec, uint64_t min_ticks,
                    uint64_t ticks_per_sec, int *base_adj, uint64_t *last_active)
{
        t->generation++;
        for (size_t i = 0; i < procs->n; i++) {
                const struct proc_entry *p = &procs->entries[i];
                struct tracked *e = tracker_get(t, p);

                if (!e) {
                        if (base_adj)
                                base_adj[i] = p->oom_score_adj;
                        if (last_active)
                                last_active[i] = 0;
                        continue;
                }
                bool is_new = e->seen_generation == t->generation && e->last_active_usec == 0;
                if (is_new) {
                        /* A child inherits oom_score_adj: if its parent
                         * has the value triage wrote, so does the child,
                         * and its own is the parent's own. */
                        struct tracked *parent = p->ppid > 0 ? find_pid(t, p->ppid) : NULL;
                        if (parent && parent->start_time_ticks <= p->start_time_ticks &&
                            parent->adj_written && parent->written_adj == p->oom_score_adj) {
                                e->own_adj = parent->own_adj;
                                e->adj_written = true;
                                e->written_adj = parent->written_adj;
                        }
                }
                if (is_new && ticks_per_sec)
                        /* New: active when it started. */
                        e->last_active_usec = p->start_time_ticks * 1000000 / ticks_per_sec;
                else if (e->seen_generation != t->generation && p->cpu_ticks >= e->cpu_ticks + min_ticks &&
                         p->cpu_ticks > e->cpu_ticks)
                        e->last_active_usec = now_usec;
                e->cpu_ticks = p->cpu_ticks;
                e->seen_generation = t->generation;
                /* Someone else changed it since we wrote: theirs is now its own. */
                if (e->adj_written && p->oom_score_adj != e->written_adj) {
                        e->adj_written = false;
                        e->own_adj = p->oom_score_adj;
                }
                if (!e->adj_written)
                        e->own_adj = p->oom_score_adj;
                if (base_adj)
                        base_adj[i] = e->own_adj;
                if (last_active)
                        last_active[i] = e->last_active_usec;
        }
        for (size_t i = 0; i < t->capacity; i++)
                while (t->slots[i].pid != 0 && t->slots[i].seen_generation != t->generation)
                        remove_slot(t, i);
}
