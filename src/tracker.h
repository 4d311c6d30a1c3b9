/* SPDX-License-Identifier: MIT */
/*
 * Facts about processes that outlive one scan: the oom_score_adj a process
 * had before triage first wrote to it (so ranking never feeds on its own
 * output, and the value can be restored when the daemon exits), its CPU
 * ticks at the previous scan and when it last used the CPU (the fallback
 * for "last used"), and memory others hold for it (charges).
 *
 * A fixed-size open-addressing table keyed by (pid, start time), sized at
 * start; a process that is not seen in a scan is forgotten. Pure: no I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proc.h"

struct tracked {
        pid_t pid; /* 0: free slot */
        uint64_t start_time_ticks;
        uint64_t seen_generation;
        int own_adj;               /* before triage wrote to it */
        bool adj_written;          /* triage has changed its oom_score_adj */
        int written_adj;           /* the value triage wrote */
        uint64_t cpu_ticks;        /* at the last scan */
        uint64_t last_active_usec; /* CLOCK_BOOTTIME; starts at the process's start */
        int64_t charged_kib;       /* X pixmaps, GPU, reports; < 0 for a server */
};

struct tracker {
        struct tracked *slots;
        size_t capacity; /* a power of two, twice the process table */
        uint64_t generation;
};

int tracker_init(struct tracker *t, size_t max_processes);
void tracker_free(struct tracker *t);

/* The entry for p, created (own_adj = p's current adj, last active =
 * never) when it is new or its PID was recycled. NULL only when the table
 * is full, which sizing at twice the process table rules out. */
struct tracked *tracker_get(struct tracker *t, const struct proc_entry *p);
struct tracked *tracker_find(struct tracker *t, pid_t pid, uint64_t start_time_ticks);

/*
 * Records a scan at now_usec (CLOCK_BOOTTIME): for every process of the
 * table, its entry is marked seen and its CPU use since the previous scan
 * moves last_active_usec to now when it used at least min_ticks. A process
 * seen for the first time was last active when it started (start time in
 * clock ticks since boot, ticks_per_sec of them a second): a new
 * application counts as just used. Then entries not seen are forgotten.
 * Fills base_adj[i] (own adj) and last_active[i] for each process i (either
 * may be NULL).
 */
void tracker_update(struct tracker *t, const struct proc_table *procs, uint64_t now_usec, uint64_t min_ticks,
                    uint64_t ticks_per_sec, int *base_adj, uint64_t *last_active);
