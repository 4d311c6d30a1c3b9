/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

static void test_parse_u64(void **state)
{
        uint64_t v;

        assert_int_equal(parse_u64("0", &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(parse_u64("18446744073709551615\n", &v), 0);
        assert_true(v == UINT64_MAX);
        assert_int_equal(parse_u64("18446744073709551616", &v), -ERANGE);
        assert_int_equal(parse_u64("", &v), -EINVAL);
        assert_int_equal(parse_u64("-1", &v), -EINVAL);
        assert_int_equal(parse_u64(" 1", &v), -EINVAL);
        assert_int_equal(parse_u64("1 ", &v), -EINVAL);
        assert_int_equal(parse_u64("1\n\n", &v), -EINVAL);
        assert_int_equal(parse_u64("12x", &v), -EINVAL);
}

static void test_parse_int(void **state)
{
        int v;

        assert_int_equal(parse_int("-1000\n", &v), 0);
        assert_int_equal(v, -1000);
        assert_int_equal(parse_int("+15", &v), 0);
        assert_int_equal(v, 15);
        assert_int_equal(parse_int("2147483648", &v), -ERANGE);
        assert_int_equal(parse_int("-", &v), -EINVAL);
        assert_int_equal(parse_int("--1", &v), -EINVAL);
}

static void test_parse_size(void **state)
{
        uint64_t v;

        assert_int_equal(parse_size_bytes("512M", &v), 0);
        assert_true(v == 536870912);
        assert_int_equal(parse_size_bytes("1GiB", &v), 0);
        assert_true(v == 1073741824);
        assert_int_equal(parse_size_bytes("4 k", &v), 0);
        assert_true(v == 4096);
        assert_int_equal(parse_size_bytes("100", &v), 0);
        assert_true(v == 100);
        assert_int_equal(parse_size_bytes("1X", &v), -EINVAL);
        assert_int_equal(parse_size_bytes("M", &v), -EINVAL);
        assert_int_equal(parse_size_bytes("17179869184T", &v), -ERANGE);
}

static void test_parse_duration(void **state)
{
        uint64_t v;

        assert_int_equal(parse_duration_usec("5", &v), 0);
        assert_true(v == 5000000);
        assert_int_equal(parse_duration_usec("100ms", &v), 0);
        assert_true(v == 100000);
        assert_int_equal(parse_duration_usec("250us", &v), 0);
        assert_true(v == 250);
        assert_int_equal(parse_duration_usec("2min", &v), 0);
        assert_true(v == 120000000);
        assert_int_equal(parse_duration_usec("5 s", &v), 0);
        assert_true(v == 5000000);
        assert_int_equal(parse_duration_usec("5h", &v), -EINVAL);
        assert_int_equal(parse_duration_usec("ms", &v), -EINVAL);
}

static void test_parse_bool(void **state)
{
        bool b;

        assert_int_equal(parse_bool("Yes", &b), 0);
        assert_true(b);
        assert_int_equal(parse_bool("off", &b), 0);
        assert_false(b);
        assert_int_equal(parse_bool("maybe", &b), -EINVAL);
}

static void test_strscpy(void **state)
{
        char buf[4];

        assert_true(strscpy(buf, "abc", sizeof(buf)));
        assert_string_equal(buf, "abc");
        assert_false(strscpy(buf, "abcd", sizeof(buf)));
        assert_string_equal(buf, "abc");
}

static void test_strstrip(void **state)
{
        char s[] = "  a b \n";

        assert_string_equal(strstrip(s), "a b");
}

static void test_format_kib(void **state)
{
        char buf[32];

        assert_string_equal(format_kib(64, buf, sizeof(buf)), "64 KiB");
        assert_string_equal(format_kib(10240, buf, sizeof(buf)), "10 MiB");
        assert_string_equal(format_kib(UINT64_C(24) << 20, buf, sizeof(buf)), "24.0 GiB");
}

static void test_read_file_truncates(void **state)
{
        char buf[8];
        int dirfd = open(FIXTURES, O_RDONLY | O_DIRECTORY);

        assert_true(dirfd >= 0);
        /* /proc/self/cmdline-like behaviour: a longer file fills the
         * buffer and stays NUL-terminated. */
        ssize_t n = read_file_at(dirfd, "../unit/test_util.c", buf, sizeof(buf));
        assert_int_equal(n, sizeof(buf) - 1);
        assert_int_equal(buf[7], '\0');
        assert_int_equal(read_file_at(dirfd, "does-not-exist", buf, sizeof(buf)), -ENOENT);
        close(dirfd);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_u64),
                cmocka_unit_test(test_parse_int),
                cmocka_unit_test(test_parse_size),
                cmocka_unit_test(test_parse_duration),
                cmocka_unit_test(test_parse_bool),
                cmocka_unit_test(test_strscpy),
                cmocka_unit_test(test_strstrip),
                cmocka_unit_test(test_format_kib),
                cmocka_unit_test(test_read_file_truncates),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
