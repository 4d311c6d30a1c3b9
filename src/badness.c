/* SPDX-License-Identifier: MIT */
#include "badness.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* include/uapi/linux/oom.h */
#define OOM_SCORE_ADJ_MIN (-1000)
#define OOM_SCORE_ADJ_MAX 1000
#define OOM_DISABLE (-17)
#define OOM_ADJUST_MAX 15

/* The 2010 heuristic's root bonus: 3% of 1000 (mm/oom_kill.c, 2.6.36). */
#define BADNESS_2010_ROOT_BONUS 30

/*
 * Memory amounts are capped here before any arithmetic, so that hostile or
 * corrupt input (a status line claiming 2^63 kB) cannot overflow the signed
 * 64-bit products below: with every term at most this, points * 1000 stays
 * under INT64_MAX / 2. Real systems are 6 orders of magnitude below it.
 */
#define BADNESS_PAGES_CAP ((uint64_t)INT64_MAX / 4000)

static uint64_t sat_add(uint64_t a, uint64_t b)
{
        return a > BADNESS_PAGES_CAP - MIN(b, BADNESS_PAGES_CAP) ? BADNESS_PAGES_CAP : a + b;
}

static uint64_t kib_to_pages(uint64_t kib, unsigned page_kib)
{
        return MIN(kib / page_kib, BADNESS_PAGES_CAP);
}

static enum badness_unkillable classify(const struct proc_entry *p, int adj)
{
        /* The order of mm/oom_kill.c: oom_unkillable_task() (global init,
         * PF_KTHREAD), then find_lock_task_mm() (no thread with an mm: a
         * zombie or an exiting task), then OOM_SCORE_ADJ_MIN. */
        if (p->pid == 1)
                return BADNESS_UNKILLABLE_INIT;
        if (p->flags & PROC_PF_KTHREAD)
                return BADNESS_UNKILLABLE_KTHREAD;
        if (!p->has_mm || p->state == 'Z')
                return BADNESS_UNKILLABLE_NO_MM;
        if (adj == OOM_SCORE_ADJ_MIN)
                return BADNESS_UNKILLABLE_ADJ_MIN;
        return BADNESS_KILLABLE;
}

static uint64_t memory_pages(const struct badness *b)
{
        uint64_t own = sat_add(sat_add(sat_add(b->rss_pages, b->swap_pages), b->pgtables_pages),
                               b->charged_pages);
        return own > b->credited_pages ? own - b->credited_pages : 0;
}

/* 2010 mode's per-mille share of allowable memory, before bonus and adj. */
static int64_t share_permille(const struct badness *b)
{
        return (int64_t)memory_pages(b) * 1000 / (int64_t)b->allowable_pages;
}

void badness_compute(const struct proc_entry *p, uint64_t allowable_pages, unsigned page_kib,
                     int64_t charged_kib, enum badness_mode mode, struct badness *ret)
{
        uint64_t charged = charged_kib > 0 ? (uint64_t)charged_kib : 0;
        /* Credits round down: never take off more than is held. */
        uint64_t credited = charged_kib < 0 ? (uint64_t) - (charged_kib + 1) + 1 : 0;

        int adj = p->oom_score_adj;

        if (adj < OOM_SCORE_ADJ_MIN)
                adj = OOM_SCORE_ADJ_MIN;
        if (adj > OOM_SCORE_ADJ_MAX)
                adj = OOM_SCORE_ADJ_MAX;
        if (page_kib == 0)
                page_kib = 4;

        /* A memory cgroup may have a limit of 0: never divide by it. */
        if (allowable_pages == 0)
                allowable_pages = 1;

        *ret = (struct badness){
                .mode = mode,
                .page_kib = page_kib,
                .allowable_pages = MIN(allowable_pages, BADNESS_PAGES_CAP),
                /* get_mm_rss(): MM_FILEPAGES + MM_ANONPAGES + MM_SHMEMPAGES;
                 * status prints each as pages << (PAGE_SHIFT - 10). */
                .rss_pages = sat_add(sat_add(kib_to_pages(p->rss_anon_kib, page_kib),
                                             kib_to_pages(p->rss_file_kib, page_kib)),
                                     kib_to_pages(p->rss_shmem_kib, page_kib)),
                .swap_pages = kib_to_pages(p->swap_kib, page_kib),
                /* mm_pgtables_bytes(mm) / PAGE_SIZE; VmPTE is bytes >> 10. */
                .pgtables_pages = kib_to_pages(p->pte_kib, page_kib),
                /* Charges are byte counts from others: round up to pages. */
                .charged_pages = kib_to_pages(sat_add(charged, page_kib - 1), page_kib),
                .credited_pages = kib_to_pages(credited, page_kib),
                .oom_score_adj = adj,
        };
        ret->unkillable = classify(p, adj);
        if (ret->unkillable != BADNESS_KILLABLE)
                return;

        int64_t total = (int64_t)ret->allowable_pages;
        int64_t points;

        if (mode == BADNESS_2010) {
                /* 2.6.36 oom_badness(): share in per mille, root bonus, adj,
                 * then clamped: never 0 for a killable task, at most 1000. */
                points = share_permille(ret);
                if (p->uid == 0) {
                        points -= BADNESS_2010_ROOT_BONUS;
                        ret->root_bonus = true;
                }
                points += adj;
                if (points <= 0)
                        points = 1;
                if (points > 1000)
                        points = 1000;
                ret->points = points;
                ret->score = (unsigned)points;
                return;
        }

        /* 6.1 oom_badness(): adj is long, "adj *= totalpages / 1000" divides
         * first (unsigned), then "points += adj". */
        ret->adj_pages = (int64_t)adj * (total / 1000);
        points = (int64_t)memory_pages(ret) + ret->adj_pages;
        ret->points = points;

        /* proc_oom_score(): (1000 + badness * 1000 / (long)totalpages) * 2 / 3,
         * in signed long arithmetic (C division truncates toward zero). The
         * adj term is at least -999/1000 of totalpages, so this is >= 0. */
        int64_t score = (1000 + points * 1000 / total) * 2 / 3;
        ret->score = score < 0 ? 0 : score > (int64_t)UINT32_MAX ? UINT32_MAX : (unsigned)score;
}

int badness_compare(const struct badness *a, const struct badness *b)
{
        bool a_kill = a->unkillable == BADNESS_KILLABLE;
        bool b_kill = b->unkillable == BADNESS_KILLABLE;

        if (a_kill != b_kill)
                return a_kill ? 1 : -1;
        if (a_kill && a->points != b->points)
                return a->points > b->points ? 1 : -1;
        if (a->rss_pages != b->rss_pages)
                return a->rss_pages > b->rss_pages ? 1 : -1;
        return 0;
}

/* fs/proc/base.c oom_adj_write(): OOM_ADJUST_MAX maps to OOM_SCORE_ADJ_MAX
 * so that the maximum stays reachable; everything else is scaled by
 * 1000 / 17 with C's truncation toward zero (-16 -> -941). */
int badness_oom_adj_to_score_adj(int oom_adj)
{
        if (oom_adj < OOM_DISABLE)
                oom_adj = OOM_DISABLE;
        if (oom_adj > OOM_ADJUST_MAX)
                oom_adj = OOM_ADJUST_MAX;
        if (oom_adj == OOM_ADJUST_MAX)
                return OOM_SCORE_ADJ_MAX;
        return (oom_adj * OOM_SCORE_ADJ_MAX) / -OOM_DISABLE;
}

/* fs/proc/base.c oom_adj_read(): the inverse scaling, also truncating, so
 * a round trip may not return the value written (-16 -> -941 -> -15). */
int badness_score_adj_to_oom_adj(int oom_score_adj)
{
        if (oom_score_adj < OOM_SCORE_ADJ_MIN)
                oom_score_adj = OOM_SCORE_ADJ_MIN;
        if (oom_score_adj > OOM_SCORE_ADJ_MAX)
                oom_score_adj = OOM_SCORE_ADJ_MAX;
        if (oom_score_adj == OOM_SCORE_ADJ_MAX)
                return OOM_ADJUST_MAX;
        return (oom_score_adj * -OOM_DISABLE) / OOM_SCORE_ADJ_MAX;
}

/* Appends to buf at *len like snprintf, keeping the would-be length. */
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(*len < size ? buf + *len : NULL, *len < size ? size - *len : 0, fmt, ap);
        va_end(ap);
        if (n > 0)
                *len += (size_t)n;
}

int badness_explain(const struct badness *b, char *buf, size_t size)
{
        uint64_t k = b->page_kib;
        size_t len = 0;

        if (size > 0)
                buf[0] = '\0';
        if (b->unkillable != BADNESS_KILLABLE)
                append(buf, size, &len, "unkillable (%s): ", badness_unkillable_to_string(b->unkillable));

        append(buf, size, &len,
               "rss %" PRIu64 " KiB (%" PRIu64 " pages) + swap %" PRIu64 " KiB (%" PRIu64
               " pages) + pgtables %" PRIu64 " KiB (%" PRIu64 " pages)",
               b->rss_pages * k, b->rss_pages, b->swap_pages * k, b->swap_pages, b->pgtables_pages * k,
               b->pgtables_pages);
        if (b->charged_pages)
                append(buf, size, &len, " + charged %" PRIu64 " KiB (%" PRIu64 " pages)",
                       b->charged_pages * k, b->charged_pages);
        if (b->credited_pages)
                append(buf, size, &len, " - held for others %" PRIu64 " KiB (%" PRIu64 " pages)",
                       b->credited_pages * k, b->credited_pages);

        if (b->unkillable != BADNESS_KILLABLE) {
                append(buf, size, &len, ", adj %d, of allowable %" PRIu64 " pages -> %s 0", b->oom_score_adj,
                       b->allowable_pages, b->mode == BADNESS_KERNEL ? "oom_score" : "score");
        } else if (b->mode == BADNESS_KERNEL) {
                append(buf, size, &len,
                       " + adj %d (%" PRId64 " pages) of allowable %" PRIu64 " pages = %" PRId64
                       " points -> oom_score %u",
                       b->oom_score_adj, b->adj_pages, b->allowable_pages, b->points, b->score);
        } else {
                int64_t share = share_permille(b);
                int64_t raw = share - (b->root_bonus ? BADNESS_2010_ROOT_BONUS : 0) + b->oom_score_adj;

                append(buf, size, &len,
                       " = %" PRIu64 " pages of allowable %" PRIu64 " pages = %" PRId64
                       " per mille%s + adj %d = %" PRId64 " -> score %u%s",
                       memory_pages(b), b->allowable_pages, share, b->root_bonus ? " - 30 root bonus" : "",
                       b->oom_score_adj, raw, b->score,
                       raw != (int64_t)b->score ? " (clamped to 1..1000)" : "");
        }
        return len > INT32_MAX ? INT32_MAX : (int)len;
}

const char *badness_mode_to_string(enum badness_mode m)
{
        switch (m) {
        case BADNESS_KERNEL:
                return "kernel";
        case BADNESS_2010:
                return "2010";
        }
        return "unknown";
}

int badness_mode_from_string(const char *s, enum badness_mode *ret)
{
        if (strcmp(s, "kernel") == 0)
                *ret = BADNESS_KERNEL;
        else if (strcmp(s, "2010") == 0)
                *ret = BADNESS_2010;
        else
                return -EINVAL;
        return 0;
}

const char *badness_unkillable_to_string(enum badness_unkillable u)
{
        switch (u) {
        case BADNESS_KILLABLE:
                return "killable";
        case BADNESS_UNKILLABLE_INIT:
                return "init";
        case BADNESS_UNKILLABLE_KTHREAD:
                return "kernel thread";
        case BADNESS_UNKILLABLE_NO_MM:
                return "no memory: zombie or exiting";
        case BADNESS_UNKILLABLE_ADJ_MIN:
                return "oom_score_adj -1000";
        }
        return "unknown";
}
