/* SPDX-License-Identifier: MIT */
/*
 * The kernel's badness heuristic, reproduced exactly, and the 2010 variant.
 * Pure: no I/O, no allocation.
 *
 * Kernel mode follows mm/oom_kill.c oom_badness() (Linux >= 5.x, checked
 * against 6.1):
 *     points = rss(anon+file+shmem) + swapents + pgtables_bytes / PAGE_SIZE
 *     points += oom_score_adj * (totalpages / 1000)
 * and fs/proc/base.c proc_oom_score():
 *     oom_score = (1000 + points * 1000 / totalpages) * 2 / 3   (0..2000 scale
 *     shown as 0..1333), 0 when unkillable
 * where totalpages is RAM + swap for the system, or the cgroup's limit.
 *
 * 2010 mode follows the original rewrite (2.6.36):
 *     points = (rss + swap + pgtables) * 1000 / totalpages
 *     points -= 30 if root (the 3% bonus; uid 0 stands in for CAP_SYS_ADMIN)
 *     points += oom_score_adj, clamped to 1..1000 (0 when unkillable)
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "proc.h"

enum badness_mode {
        BADNESS_KERNEL,
        BADNESS_2010,
};

enum badness_unkillable {
        BADNESS_KILLABLE = 0,
        BADNESS_UNKILLABLE_INIT,    /* PID 1 */
        BADNESS_UNKILLABLE_KTHREAD, /* PF_KTHREAD */
        BADNESS_UNKILLABLE_NO_MM,   /* zombie / exiting: no memory */
        BADNESS_UNKILLABLE_ADJ_MIN, /* oom_score_adj == -1000 */
};

struct badness {
        enum badness_mode mode;
        enum badness_unkillable unkillable;
        unsigned page_kib;        /* 4 on x86-64 */
        uint64_t allowable_pages; /* "totalpages" */
        uint64_t rss_pages;       /* anon + file + shmem */
        uint64_t swap_pages;
        uint64_t pgtables_pages;
        uint64_t charged_pages;  /* memory others hold for it (charged_kib > 0),
                                           rounded up; 0 gives the kernel's figure */
        uint64_t credited_pages; /* memory it holds for others (charged_kib < 0),
                                           taken off its own, never below 0 */
        int oom_score_adj;
        int64_t adj_pages; /* the adj term in pages (kernel mode; 0 in
                                           2010 mode, where adj is added as is) */
        int64_t points;    /* kernel oom_badness() result in pages;
                                           2010 mode: the 1..1000 score */
        unsigned score;    /* kernel mode: /proc/PID/oom_score value;
                                           2010 mode: 0..1000 */
        bool root_bonus;   /* 2010 mode: the 3% root bonus was applied */
};

/*
 * Computes p's badness against allowable_pages. charged_kib (signed) is
 * memory held for p by others (> 0: an X client's pixmaps, its GPU buffers)
 * or by p for others (< 0: the X server; its own figure goes down, never
 * below 0). The rest of this comment: charged_kib > 0 is memory held
 * for p by others (X pixmaps, GPU); it is added to the memory parts (triage's
 * extension of the kernel formula), so pass 0 to match the kernel. Never
 * fails: an unkillable process gets ret->unkillable set, points 0 and score
 * 0 (the memory parts are still filled in for explanations). An
 * allowable_pages of 0 counts as 1 (a cgroup limit of 0) and a page_kib of 0
 * as 4.
 */
void badness_compute(const struct proc_entry *p, uint64_t allowable_pages, unsigned page_kib,
                     int64_t charged_kib, enum badness_mode mode, struct badness *ret);

/* Orders two results: > 0 if a is the worse (killed first), like the
 * kernel's oom_evaluate_task() comparison of points. Unkillable results
 * sort after every killable one; equal points are broken by the larger
 * rss_pages; 0 only when both match. */
int badness_compare(const struct badness *a, const struct badness *b);

/* Exact legacy conversions as fs/proc/base.c does them. oom_adj is
 * -17..15; inputs out of range are clamped first. */
int badness_oom_adj_to_score_adj(int oom_adj);
int badness_score_adj_to_oom_adj(int oom_score_adj);

/* A one-line explanation, e.g.
 *   "rss 81920 KiB (20480 pages) + swap 0 KiB + pgtables 168 KiB (42 pages)
 *    + adj 0 (0 pages) of allowable 262144 pages = 20522 points -> oom_score 718"
 * Returns the length snprintf() would have written. */
int badness_explain(const struct badness *b, char *buf, size_t size);

const char *badness_mode_to_string(enum badness_mode m);
int badness_mode_from_string(const char *s, enum badness_mode *ret);
const char *badness_unkillable_to_string(enum badness_unkillable u);
