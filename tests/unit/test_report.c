/* SPDX-License-Identifier: MIT */
/* Rendering: JSON stays valid whatever the process names, text shows every
 * part, the history ring keeps the newest records in order. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "history.h"
#include "json.h"
#include "report.h"

/* Renders with fn into a string the test frees. */
#define RENDER(call)                                                                                         \
        ({                                                                                                   \
                char *_buf = NULL;                                                                           \
                size_t _len = 0;                                                                             \
                FILE *f = open_memstream(&_buf, &_len);                                                      \
                assert_non_null(f);                                                                          \
                call;                                                                                        \
                fclose(f);                                                                                   \
                _buf;                                                                                        \
        })

static void test_json_escaping(void **state)
{
        /* Quote, backslash, newline, a control byte, valid UTF-8 (é) and
         * an invalid byte (0xff). */
        char *s = RENDER(json_string(f, "a\"b\\c\nd\x01"
                                        "e\xc3\xa9"
                                        "f\xff"));

        assert_string_equal(s, "\"a\\\"b\\\\c\\nd\\u0001e\xc3\xa9"
                               "f\\u00ff\"");
        free(s);
        /* A truncated UTF-8 sequence and an overlong encoding are escaped. */
        s = RENDER(json_string(f, "\xe2\x82"
                                  "x"
                                  "\xc0\xaf"));
        assert_string_equal(s, "\"\\u00e2\\u0082x\\u00c0\\u00af\"");
        free(s);
}

static struct proc_entry procs[2];
static struct candidate cands[2];

static void make_ranking(struct report_rank *rr)
{
        memset(procs, 0, sizeof(procs));
        procs[0].pid = 42;
        procs[0].uid = 1000;
        procs[0].has_mm = true;
        procs[0].rss_anon_kib = 40960;
        procs[0].pte_kib = 80;
        procs[0].kernel_oom_score = 694;
        strcpy(procs[0].comm, "a) \"b\n");
        strcpy(procs[0].cmdline, "secret --token");
        procs[1].pid = 1;
        procs[1].has_mm = true;
        procs[1].kernel_oom_score = -1;
        strcpy(procs[1].comm, "init");
        for (size_t i = 0; i < 2; i++) {
                cands[i].proc = &procs[i];
                badness_compute(&procs[i], 262144, 4, 0, BADNESS_KERNEL, &cands[i].badness);
        }
        cands[0].exclusion = POLICY_CANDIDATE;
        cands[1].exclusion = POLICY_EXCLUDED_UNKILLABLE;
        *rr = (struct report_rank){
                .domain = "system",
                .allowable_kib = 1048576,
                .page_kib = 4,
                .mode = BADNESS_KERNEL,
                .candidates = cands,
                .n = 2,
                .viewer_uid = 0,
        };
}

static void test_rank_json(void **state)
{
        struct report_rank rr;

        make_ranking(&rr);
        /* 40960 KiB = 10240 pages + 20 pages of page tables = 10260 points;
         * (1000 + 10260 * 1000 / 262144) * 2 / 3 = (1000 + 39) * 2 / 3 = 692. */
        assert_int_equal(cands[0].badness.score, 692);
        char *s = RENDER(report_rank(f, &rr, true));
        assert_non_null(strstr(s, "{\"domain\":\"system\",\"allowable_kib\":1048576"));
        assert_non_null(strstr(s, "\"pid\":42,\"uid\":1000,\"comm\":\"a) \\\"b\\n\""));
        assert_non_null(strstr(s, "\"score\":692,\"points\":10260"));
        assert_non_null(strstr(s, "\"kernel_oom_score\":694}"));
        assert_non_null(strstr(s, "\"pid\":1,"));
        assert_non_null(strstr(s, "\"excluded\":\"init\""));
        assert_non_null(strstr(s, "\"kernel_oom_score\":null}"));
        /* One candidate per line: no raw newline inside a string. */
        size_t lines = 0;
        for (const char *p = s; *p; p++)
                lines += *p == '\n';
        assert_int_equal(lines, 4);
        free(s);
}

static void test_rank_text_marks_disagreement(void **state)
{
        struct report_rank rr;

        make_ranking(&rr);
        char *s = RENDER(report_rank(f, &rr, false));
        /* The kernel says 694, we say 692: marked with "!". */
        assert_non_null(strstr(s, "  692   694!"));
        assert_non_null(strstr(s, "secret --token"));
        free(s);
}

static void test_cmdline_hidden_from_others(void **state)
{
        struct report_rank rr;

        make_ranking(&rr);
        rr.viewer_uid = 1001;
        char *s = RENDER(report_rank(f, &rr, true));
        assert_null(strstr(s, "secret"));
        free(s);
        rr.viewer_uid = 1000; /* the owner sees it */
        s = RENDER(report_rank(f, &rr, true));
        assert_non_null(strstr(s, "secret"));
        free(s);
}

static void test_why(void **state)
{
        struct report_rank rr;
        int r = 0;

        make_ranking(&rr);
        char *s = RENDER(r = report_why(f, &rr, 42, false));
        assert_int_equal(r, 0);
        assert_non_null(strstr(s, "memory:     anon 40960 KiB + file 0 KiB + shmem 0 KiB = 10240 pages"));
        assert_non_null(strstr(s, "pagetables: 20 pages"));
        assert_non_null(strstr(s, "allowable:  262144 pages"));
        assert_non_null(strstr(s, "score:      692 (kernel's oom_score: 694, DIFFERS)"));
        assert_non_null(strstr(s, "verdict:    first victim (rank 1 of 1 candidates)"));
        free(s);
        s = RENDER(r = report_why(f, &rr, 1, false));
        assert_non_null(strstr(s, "verdict:    never killed: init"));
        free(s);
        s = RENDER(r = report_why(f, &rr, 7, false));
        assert_int_equal(r, -ESRCH);
        assert_string_equal(s, "");
        free(s);
}

static void test_history_ring(void **state)
{
        struct history *h = calloc(1, sizeof(*h));
        struct kill_record r = { 0 };

        assert_non_null(h);
        assert_null(history_get(h, 0));
        for (int i = 0; i < HISTORY_MAX + 5; i++) {
                r.pid = 1000 + i;
                assert_int_equal(history_add(h, &r)->id, (uint64_t)i + 1);
        }
        assert_int_equal(h->count, HISTORY_MAX);
        assert_int_equal(h->total, HISTORY_MAX + 5);
        /* Oldest held first: the first five are gone. */
        assert_int_equal(history_get(h, 0)->pid, 1005);
        assert_int_equal(history_get(h, HISTORY_MAX - 1)->pid, 1000 + HISTORY_MAX + 4);
        assert_null(history_get(h, HISTORY_MAX));
        assert_null(history_find(h, 3));
        assert_int_equal(history_find(h, 10)->pid, 1009);

        char *s = RENDER(report_history(f, h, 0, false));
        assert_non_null(strstr(s, "(5 older records dropped)"));
        free(s);
        free(h);
}

static void test_history_json_empty(void **state)
{
        struct history *h = calloc(1, sizeof(*h));

        assert_non_null(h);
        char *s = RENDER(report_history(f, h, 0, true));
        assert_string_equal(s, "{\"total\":0,\"records\":[\n]}\n");
        free(s);
        free(h);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_json_escaping),
                cmocka_unit_test(test_rank_json),
                cmocka_unit_test(test_rank_text_marks_disagreement),
                cmocka_unit_test(test_cmdline_hidden_from_others),
                cmocka_unit_test(test_why),
                cmocka_unit_test(test_history_ring),
                cmocka_unit_test(test_history_json_empty),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
