/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "badness.h"
#include "proc.h"
#include "util.h"

/*
 * Unless said otherwise: a 1 GiB machine without swap, 4 KiB pages:
 *     totalpages T = 262144, T / 1000 = 262 (integer division).
 * Kernel mode:  points = rss + swap + pgtables (+ charged) + adj * 262
 *               score  = (1000 + points * 1000 / T) * 2 / 3, C truncation.
 */
#define T_1GIB 262144

static struct proc_entry proc(pid_t pid, uint64_t anon_kib, uint64_t file_kib, uint64_t shmem_kib,
                              uint64_t swap_kib, uint64_t pte_kib, int adj, uid_t uid)
{
        struct proc_entry e = {
                .pid = pid,
                .uid = uid,
                .state = 'S',
                .flags = 0x400000, /* PF_FORKNOEXEC, like a real process */
                .has_mm = true,
                .rss_anon_kib = anon_kib,
                .rss_file_kib = file_kib,
                .rss_shmem_kib = shmem_kib,
                .swap_kib = swap_kib,
                .pte_kib = pte_kib,
                .oom_score_adj = adj,
                .kernel_oom_score = -1,
        };
        strscpy(e.comm, "test", sizeof(e.comm));
        return e;
}

static struct badness kernel(const struct proc_entry *e, uint64_t total)
{
        struct badness b;
        badness_compute(e, total, 4, 0, BADNESS_KERNEL, &b);
        return b;
}

static void test_kernel_basic(void **state)
{
        /* rss 61440 + 16384 + 4096 KiB = 81920 KiB = 20480 pages,
         * pgtables 168 KiB = 42 pages: points 20522.
         * 20522 * 1000 / 262144 = 20522000 / 262144 = 78 (78.28)
         * (1000 + 78) * 2 / 3 = 2156 / 3 = 718 (718.67) */
        struct proc_entry e = proc(100, 61440, 16384, 4096, 0, 168, 0, 1000);
        struct badness b = kernel(&e, T_1GIB);

        assert_int_equal(b.unkillable, BADNESS_KILLABLE);
        assert_int_equal(b.mode, BADNESS_KERNEL);
        assert_int_equal(b.page_kib, 4);
        assert_int_equal(b.allowable_pages, 262144);
        assert_int_equal(b.rss_pages, 20480);
        assert_int_equal(b.swap_pages, 0);
        assert_int_equal(b.pgtables_pages, 42);
        assert_int_equal(b.charged_pages, 0);
        assert_int_equal(b.adj_pages, 0);
        assert_int_equal(b.points, 20522);
        assert_int_equal(b.score, 718);

        /* With swap: anon 204800 KiB = 51200 pages, swap 102400 KiB = 25600,
         * pgtables 400 KiB = 100: points 76900.
         * 76900000 / 262144 = 293 (293.35); 1293 * 2 / 3 = 2586 / 3 = 862 */
        e = proc(101, 204800, 0, 0, 102400, 400, 0, 1000);
        b = kernel(&e, T_1GIB);
        assert_int_equal(b.swap_pages, 25600);
        assert_int_equal(b.points, 76900);
        assert_int_equal(b.score, 862);

        /* Tiny: 100 pages. 100000 / 262144 = 0; 1000 * 2 / 3 = 666. */
        e = proc(102, 240, 160, 0, 0, 0, 0, 1000);
        b = kernel(&e, T_1GIB);
        assert_int_equal(b.points, 100);
        assert_int_equal(b.score, 666);

        /* The whole machine: 262144 pages. 1000 + 1000 = 2000 * 2 / 3 = 1333. */
        e = proc(103, 1048576, 0, 0, 0, 0, 0, 1000);
        b = kernel(&e, T_1GIB);
        assert_int_equal(b.score, 1333);

        /* Root gets no bonus in kernel mode: same as the uid 1000 case. */
        e = proc(104, 61440, 16384, 4096, 0, 168, 0, 0);
        b = kernel(&e, T_1GIB);
        assert_int_equal(b.points, 20522);
        assert_int_equal(b.score, 718);
}

static void test_kernel_adj(void **state)
{
        struct proc_entry e;
        struct badness b;

        /* adj -500 on the 20522-page process: adj_pages = -500 * 262 = -131000.
         * points = 20522 - 131000 = -110478.
         * -110478000 / 262144 = -421 (-421.44, truncated toward zero; a floor
         * would give -422 and score 385).
         * (1000 - 421) * 2 / 3 = 1158 / 3 = 386 */
        e = proc(200, 61440, 16384, 4096, 0, 168, -500, 1000);
        b = kernel(&e, T_1GIB);
        assert_int_equal(b.oom_score_adj, -500);
        assert_int_equal(b.adj_pages, -131000);
        assert_int_equal(b.points, -110478);
        assert_int_equal(b.score, 386);

        /* adj 1000: adj_pages = 262000, points = 282522.
         * 282522000 / 262144 = 1077 (1077.74); 2077 * 2 / 3 = 4154 / 3 = 1384 */
        e = proc(201, 61440, 16384, 4096, 0, 168, 1000, 1000);
        b = kernel(&e, T_1GIB);
        assert_int_equal(b.adj_pages, 262000);
        assert_int_equal(b.points, 282522);
        assert_int_equal(b.score, 1384);

        /* adj 1000 on an empty mm: 262000000 / 262144 = 999 (999.45);
         * 1999 * 2 / 3 = 3998 / 3 = 1332 */
        e = proc(202, 0, 0, 0, 0, 0, 1000, 1000);
        b = kernel(&e, T_1GIB);
        assert_int_equal(b.points, 262000);
        assert_int_equal(b.score, 1332);

        /* adj -999, 25 pages: adj_pages = -999 * 262 = -261738,
         * points = -261713; -261713000 / 262144 = -998 (-998.36);
         * (1000 - 998) * 2 / 3 = 4 / 3 = 1 */
        e = proc(203, 100, 0, 0, 0, 0, -999, 1000);
        b = kernel(&e, T_1GIB);
        assert_int_equal(b.unkillable, BADNESS_KILLABLE);
        assert_int_equal(b.adj_pages, -261738);
        assert_int_equal(b.points, -261713);
        assert_int_equal(b.score, 1);

        /* 1 GiB RAM + 512 MiB swap: T = 393216, T / 1000 = 393.
         * adj 500: 196500; points = 20522 + 196500 = 217022.
         * 217022000 / 393216 = 551 (551.92); 1551 * 2 / 3 = 3102 / 3 = 1034 */
        e = proc(204, 61440, 16384, 4096, 0, 168, 500, 1000);
        b = kernel(&e, 393216);
        assert_int_equal(b.adj_pages, 196500);
        assert_int_equal(b.points, 217022);
        assert_int_equal(b.score, 1034);

        /* A small cgroup: T = 999 pages, T / 1000 = 0, so adj has no effect:
         * 500 pages -> 500000 / 999 = 500 (500.5); 1500 * 2 / 3 = 1000 */
        e = proc(205, 2000, 0, 0, 0, 0, 800, 1000);
        b = kernel(&e, 999);
        assert_int_equal(b.adj_pages, 0);
        assert_int_equal(b.points, 500);
        assert_int_equal(b.score, 1000);

        /* A limit of 0 counts as 1 page: 10 pages -> 10000; 11000 * 2 / 3 = 7333 */
        e = proc(206, 40, 0, 0, 0, 0, 0, 1000);
        b = kernel(&e, 0);
        assert_int_equal(b.allowable_pages, 1);
        assert_int_equal(b.score, 7333);
}

static void test_kernel_charged(void **state)
{
        struct proc_entry e = proc(300, 61440, 16384, 4096, 0, 168, 0, 1000);
        struct badness b;

        /* 40960 KiB charged = 10240 pages: points 30762.
         * 30762000 / 262144 = 117 (117.35); 1117 * 2 / 3 = 2234 / 3 = 744 */
        badness_compute(&e, T_1GIB, 4, 40960, BADNESS_KERNEL, &b);
        assert_int_equal(b.charged_pages, 10240);
        assert_int_equal(b.rss_pages, 20480);
        assert_int_equal(b.points, 30762);
        assert_int_equal(b.score, 744);

        /* Charges are rounded up to whole pages: 1 KiB -> 1 page, 5 KiB -> 2. */
        badness_compute(&e, T_1GIB, 4, 1, BADNESS_KERNEL, &b);
        assert_int_equal(b.charged_pages, 1);
        assert_int_equal(b.points, 20523);
        badness_compute(&e, T_1GIB, 4, 5, BADNESS_KERNEL, &b);
        assert_int_equal(b.charged_pages, 2);

        /* 64 KiB pages (arm64, ppc64): 81920 KiB rss = 1280 pages, 168 KiB of
         * page tables = 2 pages (integer division). T = 16384 (1 GiB), T/1000 =
         * 16. points 1282; 1282000 / 16384 = 78 (78.25); 1078 * 2 / 3 = 718 */
        badness_compute(&e, 16384, 64, 0, BADNESS_KERNEL, &b);
        assert_int_equal(b.rss_pages, 1280);
        assert_int_equal(b.pgtables_pages, 2);
        assert_int_equal(b.points, 1282);
        assert_int_equal(b.score, 718);
}

static void test_kernel_unkillable(void **state)
{
        struct proc_entry e;
        struct badness b;

        e = proc(400, 61440, 16384, 4096, 0, 168, -1000, 1000);
        b = kernel(&e, T_1GIB);
        assert_int_equal(b.unkillable, BADNESS_UNKILLABLE_ADJ_MIN);
        assert_int_equal(b.score, 0);
        assert_int_equal(b.points, 0);
        /* the parts are still there for the explanation */
        assert_int_equal(b.rss_pages, 20480);

        /* init, even with memory and adj 1000 */
        e = proc(1, 61440, 16384, 4096, 0, 168, 1000, 0);
        b = kernel(&e, T_1GIB);
        assert_int_equal(b.unkillable, BADNESS_UNKILLABLE_INIT);
        assert_int_equal(b.score, 0);

        /* kernel thread */
        e = proc(2, 0, 0, 0, 0, 0, 0, 0);
        e.has_mm = false;
        e.flags = 2129984; /* kthreadd's real flags: 0x208040 */
        b = kernel(&e, T_1GIB);
        assert_int_equal(b.unkillable, BADNESS_UNKILLABLE_KTHREAD);
        assert_int_equal(b.score, 0);

        /* zombie: state Z (even if a stale status claimed memory) */
        e = proc(401, 4, 0, 0, 0, 0, 0, 1000);
        e.state = 'Z';
        b = kernel(&e, T_1GIB);
        assert_int_equal(b.unkillable, BADNESS_UNKILLABLE_NO_MM);
        assert_int_equal(b.score, 0);

        /* exiting: no mm any more, not yet a zombie */
        e = proc(402, 0, 0, 0, 0, 0, 0, 1000);
        e.has_mm = false;
        b = kernel(&e, T_1GIB);
        assert_int_equal(b.unkillable, BADNESS_UNKILLABLE_NO_MM);
        assert_int_equal(b.score, 0);

        /* out-of-range adj is clamped: -2000 is -1000 */
        e = proc(403, 400, 0, 0, 0, 0, -2000, 1000);
        b = kernel(&e, T_1GIB);
        assert_int_equal(b.unkillable, BADNESS_UNKILLABLE_ADJ_MIN);
        assert_int_equal(b.oom_score_adj, -1000);

        /* absurd input does not overflow (UBSan would say so) */
        e = proc(404, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, 1000, 1000);
        badness_compute(&e, UINT64_MAX, 4, UINT64_MAX, BADNESS_KERNEL, &b);
        assert_int_equal(b.unkillable, BADNESS_KILLABLE);
        assert_true(b.points > 0);
        assert_true(b.score > 0);
}

static struct badness mode2010(const struct proc_entry *e, uint64_t total)
{
        struct badness b;
        badness_compute(e, total, 4, 0, BADNESS_2010, &b);
        return b;
}

static void test_2010(void **state)
{
        struct proc_entry e;
        struct badness b;

        /* 2010: points = pages * 1000 / T, - 30 if root, + adj, clamped 1..1000. */

        /* 20522 pages: 20522000 / 262144 = 78; uid 1000, adj 0 -> 78 */
        e = proc(500, 61440, 16384, 4096, 0, 168, 0, 1000);
        b = mode2010(&e, T_1GIB);
        assert_int_equal(b.mode, BADNESS_2010);
        assert_false(b.root_bonus);
        assert_int_equal(b.points, 78);
        assert_int_equal(b.score, 78);

        /* the same as root: 78 - 30 = 48 */
        e.uid = 0;
        b = mode2010(&e, T_1GIB);
        assert_true(b.root_bonus);
        assert_int_equal(b.score, 48);

        /* adj 300, uid 1000: 78 + 300 = 378 */
        e = proc(501, 61440, 16384, 4096, 0, 168, 300, 1000);
        assert_int_equal(mode2010(&e, T_1GIB).score, 378);

        /* half the machine, adj -100: 131072000 / 262144 = 500; 500 - 100 = 400 */
        e = proc(502, 524288, 0, 0, 0, 0, -100, 1000);
        assert_int_equal(mode2010(&e, T_1GIB).score, 400);

        /* swap and page tables count: 51200 + 25600 + 100 = 76900 pages;
         * 76900000 / 262144 = 293 */
        e = proc(503, 204800, 0, 0, 102400, 400, 0, 1000);
        assert_int_equal(mode2010(&e, T_1GIB).score, 293);

        /* tiny root process: 100 pages -> 0 - 30 = -30 -> clamped to 1 */
        e = proc(504, 400, 0, 0, 0, 0, 0, 0);
        b = mode2010(&e, T_1GIB);
        assert_int_equal(b.points, 1);
        assert_int_equal(b.score, 1);

        /* adj -500, uid 1000: 78 - 500 = -422 -> 1 */
        e = proc(505, 61440, 16384, 4096, 0, 168, -500, 1000);
        assert_int_equal(mode2010(&e, T_1GIB).score, 1);

        /* all of memory + adj 1000: 1000 + 1000 = 2000 -> clamped to 1000 */
        e = proc(506, 1048576, 0, 0, 0, 0, 1000, 1000);
        assert_int_equal(mode2010(&e, T_1GIB).score, 1000);

        /* 2010 has no adj_pages: adj is added in per mille */
        assert_int_equal(mode2010(&e, T_1GIB).adj_pages, 0);

        /* unkillable -> 0, not the clamp's 1 */
        e = proc(507, 61440, 16384, 4096, 0, 168, -1000, 1000);
        b = mode2010(&e, T_1GIB);
        assert_int_equal(b.unkillable, BADNESS_UNKILLABLE_ADJ_MIN);
        assert_int_equal(b.score, 0);
        e = proc(2, 0, 0, 0, 0, 0, 0, 0);
        e.flags = 0x00200000;
        e.has_mm = false;
        assert_int_equal(mode2010(&e, T_1GIB).score, 0);
        e = proc(1, 400, 0, 0, 0, 0, 0, 0);
        assert_int_equal(mode2010(&e, T_1GIB).score, 0);
}

static void test_legacy_oom_adj(void **state)
{
        /* oom_adj written -> oom_score_adj, hand-computed from
         * fs/proc/base.c oom_adj_write(): 15 -> 1000, else adj * 1000 / 17
         * truncated toward zero (1000 / 17 = 58.82). Next to it the value
         * oom_adj_read() shows afterwards: 1000 -> 15, else
         * score_adj * 17 / 1000 truncated (e.g. -941 * 17 = -15997 -> -15). */
        static const struct {
                int oom_adj, score_adj, read_back;
        } table[] = {
                { -17, -1000, -17 },               /* OOM_DISABLE: -17000 / 17; -17000 / 1000 */
                { -16, -941, -15 },                /* -941.18; -15997 / 1000 = -15.997 */
                { -15, -882, -14 },                /* -882.35; -14994 */
                { -14, -823, -13 },                /* -823.53; -13991 */
                { -13, -764, -12 },                /* -764.71; -12988 */
                { -12, -705, -11 },                /* -705.88; -11985 */
                { -11, -647, -10 },                /* -647.06; -10999 */
                { -10, -588, -9 },                 /* -588.24; -9996 */
                { -9, -529, -8 },                  /* -529.41; -8993 */
                { -8, -470, -7 },                  /* -470.59; -7990 */
                { -7, -411, -6 },                  /* -411.76; -6987 */
                { -6, -352, -5 },                  /* -352.94; -5984 */
                { -5, -294, -4 },                  /* -294.12; -4998 */
                { -4, -235, -3 },                  /* -235.29; -3995 */
                { -3, -176, -2 },                  /* -176.47; -2992 */
                { -2, -117, -1 },                  /* -117.65; -1989 */
                { -1, -58, 0 },                    /* -58.82; -986 */
                { 0, 0, 0 },         { 1, 58, 0 }, /* 58.82; 986 */
                { 2, 117, 1 },                     /* 117.65; 1989 */
                { 3, 176, 2 },       { 4, 235, 3 },   { 5, 294, 4 }, /* 294.12; 4998 */
                { 6, 352, 5 },       { 7, 411, 6 },   { 8, 470, 7 },
                { 9, 529, 8 },       { 10, 588, 9 },  { 11, 647, 10 }, /* 647.06; 10999 */
                { 12, 705, 11 },     { 13, 764, 12 }, { 14, 823, 13 }, /* 823.53; 13991 */
                { 15, 1000, 15 }, /* OOM_ADJUST_MAX: the special case both ways */
        };

        assert_int_equal(ARRAY_SIZE(table), 33); /* every value -17..15 */
        for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
                int s = badness_oom_adj_to_score_adj(table[i].oom_adj);
                int a = badness_score_adj_to_oom_adj(table[i].score_adj);
                if (s != table[i].score_adj || a != table[i].read_back)
                        fail_msg("oom_adj %d: score_adj %d (want %d), read back %d (want %d)",
                                 table[i].oom_adj, s, table[i].score_adj, a, table[i].read_back);
        }

        /* Reads of values no oom_adj write produces. */
        assert_int_equal(badness_score_adj_to_oom_adj(999), 16);   /* 16983 / 1000 */
        assert_int_equal(badness_score_adj_to_oom_adj(500), 8);    /* 8500 / 1000 */
        assert_int_equal(badness_score_adj_to_oom_adj(-500), -8);  /* -8500 / 1000 */
        assert_int_equal(badness_score_adj_to_oom_adj(-999), -16); /* -16983 / 1000 */
        assert_int_equal(badness_score_adj_to_oom_adj(59), 1);     /* 1003 / 1000 */

        /* Out of range is clamped first. */
        assert_int_equal(badness_oom_adj_to_score_adj(-100), -1000);
        assert_int_equal(badness_oom_adj_to_score_adj(16), 1000);
        assert_int_equal(badness_score_adj_to_oom_adj(-5000), -17);
        assert_int_equal(badness_score_adj_to_oom_adj(5000), 15);
}

static int cmp_desc(const void *a, const void *b)
{
        return -badness_compare(a, b);
}

static void test_compare(void **state)
{
        struct proc_entry e[6];
        struct badness b[6];

        e[0] = proc(600, 4000, 0, 0, 0, 0, 0, 1000);       /* 1000 pages */
        e[1] = proc(601, 40000, 0, 0, 0, 0, 0, 1000);      /* 10000 pages */
        e[2] = proc(602, 400000, 0, 0, 0, 0, -1000, 1000); /* big but unkillable */
        e[3] = proc(603, 4000, 0, 0, 0, 0, 100, 1000);     /* 1000 + 26200 */
        e[4] = proc(604, 3000, 0, 0, 1000, 0, 0, 1000);    /* 1000 pages, 750 of them rss */
        e[5] = proc(605, 4000, 0, 0, 0, 0, -100, 1000);    /* 1000 - 26200 */
        for (size_t i = 0; i < 6; i++)
                b[i] = kernel(&e[i], T_1GIB);

        assert_true(badness_compare(&b[1], &b[0]) > 0);
        assert_true(badness_compare(&b[0], &b[1]) < 0);
        assert_true(badness_compare(&b[0], &b[2]) > 0); /* unkillable last */
        assert_true(badness_compare(&b[2], &b[5]) < 0); /* even below negative points */
        assert_true(badness_compare(&b[0], &b[4]) > 0); /* tie: larger rss first */
        assert_int_equal(badness_compare(&b[0], &b[0]), 0);

        qsort(b, 6, sizeof(b[0]), cmp_desc);
        /* worst first: 603 (27200), 601 (10000), 600 (1000, rss 1000),
         * 604 (1000, rss 750), 605 (-25200), 602 (unkillable) */
        static const int64_t want_points[] = { 27200, 10000, 1000, 1000, -25200, 0 };
        static const uint64_t want_rss[] = { 1000, 10000, 1000, 750, 1000, 100000 };
        for (size_t i = 0; i < 6; i++) {
                assert_int_equal(b[i].points, want_points[i]);
                assert_int_equal(b[i].rss_pages, want_rss[i]);
        }
        assert_int_equal(b[5].unkillable, BADNESS_UNKILLABLE_ADJ_MIN);
}

static void test_explain(void **state)
{
        struct proc_entry e = proc(700, 61440, 16384, 4096, 0, 168, 0, 1000);
        struct badness b = kernel(&e, T_1GIB);
        char buf[512];
        const char *want = "rss 81920 KiB (20480 pages) + swap 0 KiB (0 pages) + pgtables 168 KiB "
                           "(42 pages) + adj 0 (0 pages) of allowable 262144 pages = 20522 "
                           "points -> oom_score 718";

        assert_int_equal(badness_explain(&b, buf, sizeof(buf)), (int)strlen(want));
        assert_string_equal(buf, want);

        /* Too small a buffer: cut, NUL-terminated, full length returned. */
        char small[16];
        assert_int_equal(badness_explain(&b, small, sizeof(small)), (int)strlen(want));
        assert_string_equal(small, "rss 81920 KiB (");

        /* Negative adj, swap and a charge. */
        e = proc(701, 61440, 16384, 4096, 8192, 168, -500, 1000);
        badness_compute(&e, T_1GIB, 4, 4096, BADNESS_KERNEL, &b);
        /* 20480 + 2048 + 42 + 1024 - 131000 = -107406;
         * -107406000 / 262144 = -409 (-409.72); 591 * 2 / 3 = 394 */
        badness_explain(&b, buf, sizeof(buf));
        assert_string_equal(buf, "rss 81920 KiB (20480 pages) + swap 8192 KiB (2048 pages) + "
                                 "pgtables 168 KiB (42 pages) + charged 4096 KiB (1024 pages) + "
                                 "adj -500 (-131000 pages) of allowable 262144 pages = -107406 "
                                 "points -> oom_score 394");

        /* Unkillable says why. */
        e = proc(702, 61440, 16384, 4096, 0, 168, -1000, 0);
        b = kernel(&e, T_1GIB);
        badness_explain(&b, buf, sizeof(buf));
        assert_string_equal(buf, "unkillable (oom_score_adj -1000): rss 81920 KiB (20480 pages) "
                                 "+ swap 0 KiB (0 pages) + pgtables 168 KiB (42 pages), adj -1000, "
                                 "of allowable 262144 pages -> oom_score 0");

        /* 2010 mode with the root bonus and a clamp. */
        e = proc(703, 61440, 16384, 4096, 0, 168, 0, 0);
        b = mode2010(&e, T_1GIB);
        badness_explain(&b, buf, sizeof(buf));
        assert_string_equal(buf, "rss 81920 KiB (20480 pages) + swap 0 KiB (0 pages) + pgtables "
                                 "168 KiB (42 pages) = 20522 pages of allowable 262144 pages = 78 "
                                 "per mille - 30 root bonus + adj 0 = 48 -> score 48");
        e.oom_score_adj = -100;
        b = mode2010(&e, T_1GIB);
        badness_explain(&b, buf, sizeof(buf));
        assert_non_null(strstr(buf, "+ adj -100 = -52 -> score 1 (clamped to 1..1000)"));
}

static void test_strings(void **state)
{
        enum badness_mode m = BADNESS_2010;

        assert_string_equal(badness_mode_to_string(BADNESS_KERNEL), "kernel");
        assert_string_equal(badness_mode_to_string(BADNESS_2010), "2010");
        assert_int_equal(badness_mode_from_string("kernel", &m), 0);
        assert_int_equal(m, BADNESS_KERNEL);
        assert_int_equal(badness_mode_from_string("2010", &m), 0);
        assert_int_equal(m, BADNESS_2010);
        assert_int_equal(badness_mode_from_string("2011", &m), -EINVAL);
        assert_int_equal(badness_mode_from_string("", &m), -EINVAL);
        assert_int_equal(m, BADNESS_2010);

        assert_string_equal(badness_unkillable_to_string(BADNESS_KILLABLE), "killable");
        assert_string_equal(badness_unkillable_to_string(BADNESS_UNKILLABLE_INIT), "init");
        assert_string_equal(badness_unkillable_to_string(BADNESS_UNKILLABLE_KTHREAD), "kernel thread");
        assert_non_null(strstr(badness_unkillable_to_string(BADNESS_UNKILLABLE_NO_MM), "zombie"));
        assert_string_equal(badness_unkillable_to_string(BADNESS_UNKILLABLE_ADJ_MIN), "oom_score_adj -1000");
}

/* The fixture's oom_score files are the kernel's own (6.18, MemTotal
 * 24683656 kB, no swap: T = 6170914 pages), so they check the whole chain
 * proc_read_pid() -> badness_compute() against a real kernel. */
static void test_fixture_kernel_scores(void **state)
{
        static const struct {
                pid_t pid;
                enum badness_unkillable why;
        } cases[] = {
                { 1, BADNESS_UNKILLABLE_INIT }, { 2, BADNESS_UNKILLABLE_KTHREAD },
                { 1000, BADNESS_KILLABLE },     { 1001, BADNESS_UNKILLABLE_NO_MM },
                { 1002, BADNESS_KILLABLE },     { 1003, BADNESS_KILLABLE },
                { 1004, BADNESS_KILLABLE },     { 1005, BADNESS_UNKILLABLE_ADJ_MIN },
        };
        int fd = open(FIXTURES "/proc-basic/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        assert_true(fd >= 0);
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct proc_entry e;
                struct badness b;

                assert_int_equal(proc_read_pid(fd, cases[i].pid, PROC_READ_OOM_SCORE, &e), 0);
                badness_compute(&e, 6170914, 4, 0, BADNESS_KERNEL, &b);
                assert_int_equal(b.unkillable, cases[i].why);
                assert_int_equal(b.score, (unsigned)e.kernel_oom_score);
        }
        close(fd);
}

/* A child that touches `bytes` of anonymous memory, says so on ready[1]
 * and waits until every write end of block is closed. */
static pid_t spawn_holder(size_t bytes, const int ready[2], const int block[2])
{
        pid_t pid = fork();

        if (pid != 0)
                return pid;
        close(ready[0]);
        close(block[1]);
        int ready_fd = ready[1], block_fd = block[0];
        /* volatile: the compiler must not elide a buffer nobody reads. */
        volatile char *p = bytes ? malloc(bytes) : NULL;
        char c = 1;
        for (size_t i = 0; p && i < bytes; i += 4096)
                p[i] = 1;
        if (write(ready_fd, &c, 1) != 1)
                _exit(1);
        while (read(block_fd, &c, 1) > 0)
                ;
        free((void *)p);
        _exit(0);
}

/* Informative only: the host kernel may differ from 6.1 (and status and
 * oom_score are read at different instants); the VM suite is the proof.
 * Two children add variety: one holding 32 MiB (score above 666 on a
 * small machine), one with oom_score_adj raised to 500 (raising needs no
 * privilege). */
static void test_live_kernel(void **state)
{
        char buf[4096];
        uint64_t mem_kib = 0, swap_kib = 0;
        long page = sysconf(_SC_PAGESIZE);
        int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct proc_table t;
        unsigned match = 0, printed = 0;

        assert_true(fd >= 0);
        if (read_file_at(fd, "meminfo", buf, sizeof(buf)) < 0) {
                close(fd);
                skip();
        }
        for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
                unsigned long long v;
                if (sscanf(line, "MemTotal: %llu kB", &v) == 1)
                        mem_kib = v;
                else if (sscanf(line, "SwapTotal: %llu kB", &v) == 1)
                        swap_kib = v;
        }
        unsigned page_kib = (unsigned)(page / 1024);
        uint64_t totalpages = mem_kib / page_kib + swap_kib / page_kib;

        int ready[2], block[2];
        pid_t kids[2];
        char c, path[64];

        assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
        assert_int_equal(pipe2(block, O_CLOEXEC), 0);
        kids[0] = spawn_holder(32 << 20, ready, block);
        kids[1] = spawn_holder(0, ready, block);
        assert_true(kids[0] > 0 && kids[1] > 0);
        close(block[0]);
        assert_int_equal(read(ready[0], &c, 1), 1);
        assert_int_equal(read(ready[0], &c, 1), 1);
        snprintf(path, sizeof(path), "%d/oom_score_adj", (int)kids[1]);
        if (write_file_at(fd, path, "500") < 0)
                print_message("could not raise oom_score_adj of %d\n", (int)kids[1]);

        /* Every process on the host (a few hundred at most here). */
        assert_int_equal(proc_table_init(&t, 4096), 0);
        assert_true(proc_scan(fd, PROC_READ_OOM_SCORE, &t) > 0);
        for (size_t i = 0; i < t.n; i++) {
                const struct proc_entry *e = &t.entries[i];
                struct badness b;
                char why[512];

                badness_compute(e, totalpages, page_kib, 0, BADNESS_KERNEL, &b);
                if (e->pid == kids[0] || e->pid == kids[1])
                        print_message("live child %d: adj %d, kernel %d, ours %u\n", (int)e->pid,
                                      e->oom_score_adj, e->kernel_oom_score, b.score);
                if ((int)b.score == e->kernel_oom_score) {
                        match++;
                        continue;
                }
                if (printed++ >= 10)
                        continue;
                badness_explain(&b, why, sizeof(why));
                print_message("live pid %d (%s): kernel says %d, we say %u: %s\n", (int)e->pid, e->comm,
                              e->kernel_oom_score, b.score, why);
        }
        print_message("live kernel check: %u of %zu processes match /proc/PID/oom_score\n", match, t.n);
        proc_table_free(&t);
        close(block[1]);
        close(ready[0]);
        close(ready[1]);
        waitpid(kids[0], NULL, 0);
        waitpid(kids[1], NULL, 0);
        close(fd);
}

int main(void)
{
        /* clang-format off */
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kernel_basic),
                cmocka_unit_test(test_kernel_adj),
                cmocka_unit_test(test_kernel_charged),
                cmocka_unit_test(test_kernel_unkillable),
                cmocka_unit_test(test_2010),
                cmocka_unit_test(test_legacy_oom_adj),
                cmocka_unit_test(test_compare),
                cmocka_unit_test(test_explain),
                cmocka_unit_test(test_strings),
                cmocka_unit_test(test_fixture_kernel_scores),
                cmocka_unit_test(test_live_kernel),
        };
        /* clang-format on */

        return cmocka_run_group_tests(tests, NULL, NULL);
}
