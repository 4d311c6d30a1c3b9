/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "level.h"
#include "util.h"

#define KIB_PER_MIB UINT64_C(1024)
#define KIB_PER_GIB (UINT64_C(1024) * 1024)

static void test_defaults(void **state)
{
        struct level_config c;

        level_config_defaults(&c);
        assert_true(c.mem[TRIAGE_LEVEL_LOW].percent == 20);
        assert_true(c.mem[TRIAGE_LEVEL_MEDIUM].percent == 15);
        assert_true(c.mem[TRIAGE_LEVEL_CRITICAL].percent == 10);
        assert_true(c.mem[TRIAGE_LEVEL_EMERGENCY].percent == 5);
        for (int l = TRIAGE_LEVEL_LOW; l < _TRIAGE_LEVEL_MAX; l++)
                assert_int_equal(c.mem[l].bytes, 0);
        assert_true(c.psi_full_avg10[TRIAGE_LEVEL_LOW] < 0);
        assert_true(c.psi_full_avg10[TRIAGE_LEVEL_MEDIUM] < 0);
        assert_true(c.psi_full_avg10[TRIAGE_LEVEL_CRITICAL] == 40);
        assert_true(c.psi_full_avg10[TRIAGE_LEVEL_EMERGENCY] < 0);
        assert_true(c.hysteresis.percent == 2);
        assert_int_equal(c.hysteresis.bytes, 0);
}

/* 24 GiB: every percentage is above its cap. */
static void test_resolve_caps_24g(void **state)
{
        struct level_config c;
        struct level_thresholds t;

        level_config_defaults(&c);
        level_thresholds_resolve(&c, 24 * KIB_PER_GIB, &t);
        /* 20% of 25165824 KiB = 5033164.8 > 4 GiB, and so on. */
        assert_int_equal(t.mem_kib[TRIAGE_LEVEL_LOW], 4 * KIB_PER_GIB);
        assert_int_equal(t.mem_kib[TRIAGE_LEVEL_MEDIUM], 3 * KIB_PER_GIB);
        assert_int_equal(t.mem_kib[TRIAGE_LEVEL_CRITICAL], 2 * KIB_PER_GIB);
        assert_int_equal(t.mem_kib[TRIAGE_LEVEL_EMERGENCY], 1 * KIB_PER_GIB);
        /* 2% = 503316.48 KiB > 256 MiB */
        assert_int_equal(t.hysteresis_kib, 256 * KIB_PER_MIB);
        assert_true(t.psi_full_avg10[TRIAGE_LEVEL_CRITICAL] == 40);
        assert_true(t.psi_full_avg10[TRIAGE_LEVEL_LOW] < 0);
}

/* 256 MiB: plain percentages, rounded down to whole KiB. */
static void test_resolve_256m(void **state)
{
        struct level_config c;
        struct level_thresholds t;

        level_config_defaults(&c);
        level_thresholds_resolve(&c, 256 * KIB_PER_MIB, &t);
        assert_int_equal(t.mem_kib[TRIAGE_LEVEL_LOW], 52428);       /* 52428.8 */
        assert_int_equal(t.mem_kib[TRIAGE_LEVEL_MEDIUM], 39321);    /* 39321.6 */
        assert_int_equal(t.mem_kib[TRIAGE_LEVEL_CRITICAL], 26214);  /* 26214.4 */
        assert_int_equal(t.mem_kib[TRIAGE_LEVEL_EMERGENCY], 13107); /* 13107.2 */
        assert_int_equal(t.hysteresis_kib, 5242);                   /* 5242.88 */
}

/* Absolute sizes are used as given, above the caps too. */
static void test_resolve_absolute_uncapped(void **state)
{
        struct level_config c;
        struct level_thresholds t;

        level_config_defaults(&c);
        c.mem[TRIAGE_LEVEL_LOW] = (struct threshold){ .percent = -1, .bytes = UINT64_C(8) << 30 };
        c.hysteresis = (struct threshold){ .percent = -1, .bytes = UINT64_C(512) << 20 };
        level_thresholds_resolve(&c, 24 * KIB_PER_GIB, &t);
        assert_int_equal(t.mem_kib[TRIAGE_LEVEL_LOW], 8 * KIB_PER_GIB);
        assert_int_equal(t.mem_kib[TRIAGE_LEVEL_MEDIUM], 3 * KIB_PER_GIB);
        assert_int_equal(t.hysteresis_kib, 512 * KIB_PER_MIB);
}

/* Out-of-order thresholds are raised from the bottom up: the emergency
 * floor stays where the admin put it. */
static void test_resolve_ordering(void **state)
{
        struct level_config c;
        struct level_thresholds t;

        level_config_defaults(&c);
        c.mem[TRIAGE_LEVEL_LOW] = (struct threshold){ .percent = 5, .bytes = 0 };
        c.mem[TRIAGE_LEVEL_MEDIUM] = (struct threshold){ .percent = 10, .bytes = 0 };
        c.mem[TRIAGE_LEVEL_CRITICAL] = (struct threshold){ .percent = -1, .bytes = UINT64_C(1) << 30 };
        c.mem[TRIAGE_LEVEL_EMERGENCY] = (struct threshold){ .percent = -1, .bytes = UINT64_C(50) << 20 };
        level_thresholds_resolve(&c, 4 * KIB_PER_GIB, &t);
        assert_int_equal(t.mem_kib[TRIAGE_LEVEL_EMERGENCY], 50 * KIB_PER_MIB);
        assert_int_equal(t.mem_kib[TRIAGE_LEVEL_CRITICAL], KIB_PER_GIB);
        assert_int_equal(t.mem_kib[TRIAGE_LEVEL_MEDIUM], KIB_PER_GIB); /* was 419430 */
        assert_int_equal(t.mem_kib[TRIAGE_LEVEL_LOW], KIB_PER_GIB);    /* was 209715 */

        /* emergency above everything drags every level up to it */
        level_config_defaults(&c);
        c.mem[TRIAGE_LEVEL_EMERGENCY] = (struct threshold){ .percent = 30, .bytes = 0 };
        level_thresholds_resolve(&c, 1 * KIB_PER_GIB, &t);
        /* 30% of 1 GiB = 314572.8 KiB, under the 1 GiB emergency cap */
        for (int l = TRIAGE_LEVEL_LOW; l < _TRIAGE_LEVEL_MAX; l++)
                assert_int_equal(t.mem_kib[l], 314572);
}

static void test_resolve_kib(void **state)
{
        struct threshold pct = { .percent = 12.5, .bytes = 0 };
        struct threshold abs = { .percent = -1, .bytes = 1500 };
        struct threshold unset = { .percent = -1, .bytes = 0 };

        assert_int_equal(threshold_resolve_kib(&pct, 1000), 125);
        /* no cap in the plain resolver */
        assert_int_equal(threshold_resolve_kib(&pct, 64 * KIB_PER_GIB), 8 * KIB_PER_GIB);
        assert_int_equal(threshold_resolve_kib(&abs, 1000), 1);
        assert_int_equal(threshold_resolve_kib(&unset, 1000), 0);
}

/* Hand-made thresholds: LOW 1000, MEDIUM 800, CRITICAL 500, EMERGENCY 200
 * KiB, hysteresis 100 KiB, PSI 40% for CRITICAL only. */
static void make_thresholds(struct level_thresholds *t)
{
        memset(t, 0, sizeof(*t));
        t->mem_kib[TRIAGE_LEVEL_LOW] = 1000;
        t->mem_kib[TRIAGE_LEVEL_MEDIUM] = 800;
        t->mem_kib[TRIAGE_LEVEL_CRITICAL] = 500;
        t->mem_kib[TRIAGE_LEVEL_EMERGENCY] = 200;
        t->hysteresis_kib = 100;
        for (int l = 0; l < _TRIAGE_LEVEL_MAX; l++)
                t->psi_full_avg10[l] = -1;
        t->psi_full_avg10[TRIAGE_LEVEL_CRITICAL] = 40;
}

static enum triage_level eval_mem(const struct level_thresholds *t, enum triage_level cur, uint64_t avail)
{
        struct level_sample s = { .available_kib = avail, .has_psi = false };

        return level_evaluate(t, cur, &s);
}

static enum triage_level eval_psi(const struct level_thresholds *t, enum triage_level cur, uint64_t avail,
                                  double psi)
{
        struct level_sample s = { .available_kib = avail, .has_psi = true, .psi_full_avg10 = psi };

        return level_evaluate(t, cur, &s);
}

static void test_evaluate_enter(void **state)
{
        struct level_thresholds t;

        make_thresholds(&t);
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_NORMAL, 5000), TRIAGE_LEVEL_NORMAL);
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_NORMAL, 1001), TRIAGE_LEVEL_NORMAL);
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_NORMAL, 1000), TRIAGE_LEVEL_LOW);
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_LOW, 801), TRIAGE_LEVEL_LOW);
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_LOW, 800), TRIAGE_LEVEL_MEDIUM);
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_MEDIUM, 500), TRIAGE_LEVEL_CRITICAL);
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_CRITICAL, 200), TRIAGE_LEVEL_EMERGENCY);
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_EMERGENCY, 0), TRIAGE_LEVEL_EMERGENCY);
        /* a sudden drop skips the levels in between */
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_NORMAL, 150), TRIAGE_LEVEL_EMERGENCY);
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_LOW, 450), TRIAGE_LEVEL_CRITICAL);
}

static void test_evaluate_hysteresis(void **state)
{
        struct level_thresholds t;

        make_thresholds(&t);
        /* LOW is left only above 1000 + 100 */
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_LOW, 1050), TRIAGE_LEVEL_LOW);
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_LOW, 1100), TRIAGE_LEVEL_LOW);
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_LOW, 1101), TRIAGE_LEVEL_NORMAL);
        /* EMERGENCY held up to 300, then CRITICAL (301 <= 500 enters it) */
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_EMERGENCY, 250), TRIAGE_LEVEL_EMERGENCY);
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_EMERGENCY, 300), TRIAGE_LEVEL_EMERGENCY);
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_EMERGENCY, 301), TRIAGE_LEVEL_CRITICAL);
        /* CRITICAL at 550: inside its hysteresis, stays */
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_CRITICAL, 550), TRIAGE_LEVEL_CRITICAL);
        /* a level-by-level recovery with the same numbers */
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_CRITICAL, 601), TRIAGE_LEVEL_MEDIUM);
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_MEDIUM, 900), TRIAGE_LEVEL_MEDIUM);
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_MEDIUM, 901), TRIAGE_LEVEL_LOW);
}

static void test_evaluate_multi_drop(void **state)
{
        struct level_thresholds t;

        make_thresholds(&t);
        /* well above everything: straight back to normal */
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_EMERGENCY, 5000), TRIAGE_LEVEL_NORMAL);
        /* 850: above EMERGENCY+h (300) and CRITICAL+h (600), but within
         * MEDIUM+h (900): two levels down, held at MEDIUM */
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_EMERGENCY, 850), TRIAGE_LEVEL_MEDIUM);
        /* 1050: within LOW+h only */
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_EMERGENCY, 1050), TRIAGE_LEVEL_LOW);
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_CRITICAL, 1101), TRIAGE_LEVEL_NORMAL);
}

static void test_evaluate_psi(void **state)
{
        struct level_thresholds t;

        make_thresholds(&t);
        /* PSI-driven entry with plenty of memory */
        assert_int_equal(eval_psi(&t, TRIAGE_LEVEL_NORMAL, 5000, 39.9), TRIAGE_LEVEL_NORMAL);
        assert_int_equal(eval_psi(&t, TRIAGE_LEVEL_NORMAL, 5000, 40), TRIAGE_LEVEL_CRITICAL);
        assert_int_equal(eval_psi(&t, TRIAGE_LEVEL_LOW, 900, 75), TRIAGE_LEVEL_CRITICAL);
        /* without has_psi the stall figure is ignored */
        assert_int_equal(eval_mem(&t, TRIAGE_LEVEL_NORMAL, 5000), TRIAGE_LEVEL_NORMAL);
        struct level_sample s = { .available_kib = 5000, .has_psi = false, .psi_full_avg10 = 90 };
        assert_int_equal(level_evaluate(&t, TRIAGE_LEVEL_NORMAL, &s), TRIAGE_LEVEL_NORMAL);
        /* held while the stall stays at or above 40 */
        assert_int_equal(eval_psi(&t, TRIAGE_LEVEL_CRITICAL, 5000, 40), TRIAGE_LEVEL_CRITICAL);
        /* the stall is over and memory is fine: back to normal at once */
        assert_int_equal(eval_psi(&t, TRIAGE_LEVEL_CRITICAL, 5000, 39.9), TRIAGE_LEVEL_NORMAL);
        /* stall over, memory within LOW: LOW */
        assert_int_equal(eval_psi(&t, TRIAGE_LEVEL_CRITICAL, 950, 10), TRIAGE_LEVEL_LOW);
        /* PSI holds CRITICAL from EMERGENCY even with memory above its hysteresis */
        assert_int_equal(eval_psi(&t, TRIAGE_LEVEL_EMERGENCY, 5000, 50), TRIAGE_LEVEL_CRITICAL);
        /* a PSI threshold on EMERGENCY wins over the CRITICAL one */
        t.psi_full_avg10[TRIAGE_LEVEL_EMERGENCY] = 60;
        assert_int_equal(eval_psi(&t, TRIAGE_LEVEL_NORMAL, 5000, 60), TRIAGE_LEVEL_EMERGENCY);
        assert_int_equal(eval_psi(&t, TRIAGE_LEVEL_EMERGENCY, 5000, 59), TRIAGE_LEVEL_CRITICAL);
}

static void test_evaluate_bad_current(void **state)
{
        struct level_thresholds t;

        make_thresholds(&t);
        /* an out-of-range current level counts as EMERGENCY */
        assert_int_equal(eval_mem(&t, (enum triage_level)42, 250), TRIAGE_LEVEL_EMERGENCY);
        assert_int_equal(eval_mem(&t, (enum triage_level)42, 5000), TRIAGE_LEVEL_NORMAL);
}

static void test_headroom(void **state)
{
        struct level_thresholds t;

        make_thresholds(&t);
        assert_int_equal(level_headroom_kib(&t, 1000), 800);
        assert_int_equal(level_headroom_kib(&t, 201), 1);
        assert_int_equal(level_headroom_kib(&t, 200), 0);
        assert_int_equal(level_headroom_kib(&t, 0), 0);
}

static void test_strings(void **state)
{
        static const char *const names[] = { "normal", "low", "medium", "critical", "emergency" };
        static const unsigned bytes[] = { 0, 50, 100, 255, 255 };
        enum triage_level l;

        for (int i = 0; i < _TRIAGE_LEVEL_MAX; i++) {
                assert_string_equal(level_to_string((enum triage_level)i), names[i]);
                assert_int_equal(level_to_lmm_byte((enum triage_level)i), bytes[i]);
                assert_int_equal(level_from_string(names[i], &l), 0);
                assert_int_equal(l, i);
        }
        assert_int_equal(level_from_string("CRITICAL", &l), 0);
        assert_int_equal(l, TRIAGE_LEVEL_CRITICAL);
        l = TRIAGE_LEVEL_LOW;
        assert_int_equal(level_from_string("severe", &l), -EINVAL);
        assert_int_equal(level_from_string("", &l), -EINVAL);
        assert_int_equal(l, TRIAGE_LEVEL_LOW);
        assert_string_equal(level_to_string(_TRIAGE_LEVEL_MAX), "invalid");
}

static void test_threshold_parse_ok(void **state)
{
        static const struct {
                const char *text;
                double percent;
                uint64_t bytes;
        } cases[] = {
                { "15%", 15, 0 },
                { "12.5%", 12.5, 0 },
                { "0%", 0, 0 },
                { "100%", 100, 0 },
                { "100.000%", 100, 0 },
                { "0.1%", 0.1, 0 },
                { "007%", 7, 0 },
                { "0.000000001%", 1e-9, 0 },
                { "512M", -1, UINT64_C(512) << 20 },
                { "1G", -1, UINT64_C(1) << 30 },
                { "1048576", -1, 1048576 },
                { "64KiB", -1, 65536 },
                { "2 GiB", -1, UINT64_C(2) << 30 },
                { "0", -1, 0 },
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct threshold t = { .percent = 77, .bytes = 77 };
                assert_int_equal(threshold_parse(cases[i].text, &t), 0);
                if (cases[i].percent >= 0) {
                        assert_true(t.percent == cases[i].percent);
                        assert_int_equal(t.bytes, 0);
                } else {
                        assert_true(t.percent < 0);
                        assert_int_equal(t.bytes, cases[i].bytes);
                }
        }
}

static void test_threshold_parse_bad(void **state)
{
        static const struct {
                const char *text;
                int error;
        } cases[] = {
                { "110%", -ERANGE },
                { "100.5%", -ERANGE },
                { "100.0000001%", -ERANGE },
                { "1000%", -ERANGE },
                { "-5%", -EINVAL },
                { "-5", -EINVAL },
                { "-1G", -EINVAL },
                { "", -EINVAL },
                { "%", -EINVAL },
                { "15%%", -EINVAL },
                { "15 %", -EINVAL },
                { " 15%", -EINVAL },
                { "12.%", -EINVAL },
                { ".5%", -EINVAL },
                { "1e1%", -EINVAL },
                { "0x10%", -EINVAL },
                { "nan%", -EINVAL },
                { "inf%", -EINVAL },
                { "0.0000000001%", -EINVAL }, /* 10 decimals */
                { "12.5M", -EINVAL },
                { "5X", -EINVAL },
                { "abc", -EINVAL },
                { "99999999999999999999G", -ERANGE },
                { "17179869184G", -ERANGE }, /* 2^34 GiB = 2^64 bytes */
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct threshold t = { .percent = 77, .bytes = 77 };
                int r = threshold_parse(cases[i].text, &t);
                if (r != cases[i].error)
                        fail_msg("threshold_parse(\"%s\") = %d, expected %d", cases[i].text, r,
                                 cases[i].error);
                /* untouched on failure */
                assert_true(t.percent == 77);
                assert_int_equal(t.bytes, 77);
        }
}

static void test_percent(void **state)
{
        char buf[32];
        double p = -3;

        assert_int_equal(threshold_parse_percent("40", &p), 0);
        assert_true(p == 40);
        assert_int_equal(threshold_parse_percent("12.25%", &p), 0);
        assert_true(p == 12.25);
        assert_int_equal(threshold_parse_percent("off", &p), -EINVAL);
        assert_int_equal(threshold_parse_percent("101", &p), -ERANGE);
        assert_true(p == 12.25);

        assert_string_equal(threshold_format_percent(40, buf, sizeof(buf)), "40");
        assert_string_equal(threshold_format_percent(12.5, buf, sizeof(buf)), "12.5");
        assert_string_equal(threshold_format_percent(0.1, buf, sizeof(buf)), "0.1");
        assert_string_equal(threshold_format_percent(0, buf, sizeof(buf)), "0");
        assert_string_equal(threshold_format_percent(100, buf, sizeof(buf)), "100");
        assert_string_equal(threshold_format_percent(1e-9, buf, sizeof(buf)), "0.000000001");
        assert_string_equal(threshold_format_percent(-1, buf, sizeof(buf)), "off");
}

static void test_threshold_format(void **state)
{
        static const struct {
                struct threshold t;
                const char *text;
        } cases[] = {
                { { 15, 0 }, "15%" },
                { { 12.5, 0 }, "12.5%" },
                { { 0, 0 }, "0%" },
                { { 33.333, 0 }, "33.333%" },
                { { -1, UINT64_C(512) << 20 }, "512 MiB" },
                { { -1, UINT64_C(3) << 29 }, "1536 MiB" },
                { { -1, UINT64_C(1) << 30 }, "1 GiB" },
                { { -1, UINT64_C(2) << 40 }, "2 TiB" },
                { { -1, 3072 }, "3 KiB" },
                { { -1, 1000 }, "1000" },
                { { -1, 0 }, "0" },
        };
        char buf[64];

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct threshold back;
                assert_string_equal(threshold_format(&cases[i].t, buf, sizeof(buf)), cases[i].text);
                /* and the text reads back to the same threshold */
                assert_int_equal(threshold_parse(buf, &back), 0);
                assert_true(back.percent == cases[i].t.percent);
                assert_int_equal(back.bytes, cases[i].t.bytes);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_resolve_caps_24g),
                cmocka_unit_test(test_resolve_256m),
                cmocka_unit_test(test_resolve_absolute_uncapped),
                cmocka_unit_test(test_resolve_ordering),
                cmocka_unit_test(test_resolve_kib),
                cmocka_unit_test(test_evaluate_enter),
                cmocka_unit_test(test_evaluate_hysteresis),
                cmocka_unit_test(test_evaluate_multi_drop),
                cmocka_unit_test(test_evaluate_psi),
                cmocka_unit_test(test_evaluate_bad_current),
                cmocka_unit_test(test_headroom),
                cmocka_unit_test(test_strings),
                cmocka_unit_test(test_threshold_parse_ok),
                cmocka_unit_test(test_threshold_parse_bad),
                cmocka_unit_test(test_percent),
                cmocka_unit_test(test_threshold_format),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
