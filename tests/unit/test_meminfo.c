/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "meminfo.h"

static int open_proc(const char *scenario)
{
        char path[512];

        snprintf(path, sizeof(path), "%s/%s/proc", FIXTURES, scenario);
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        return fd;
}

/* Opens and reads <scenario>/proc/meminfo through the real code path. */
static int read_fixture(const char *scenario, struct meminfo *m)
{
        int procfd = open_proc(scenario);
        int fd = meminfo_open(procfd);
        int r;

        close(procfd);
        assert_true(fd >= 0);
        r = meminfo_read(fd, m);
        close(fd);
        return r;
}

/* A snapshot of the 6.18 build host: 24 GiB, no swap. */
static void test_read_6x(void **state)
{
        struct meminfo m;

        (void)state;
        assert_int_equal(read_fixture("meminfo-6x", &m), 0);
        assert_int_equal(m.mem_total_kib, 24683656);
        assert_int_equal(m.mem_free_kib, 24230420);
        assert_int_equal(m.mem_available_kib, 24339852);
        assert_int_equal(m.swap_total_kib, 0);
        assert_int_equal(m.swap_free_kib, 0);
        assert_int_equal(meminfo_available_kib(&m), 24339852);
        assert_int_equal(meminfo_allowable_kib(&m), 24683656);
}

/* 256 MiB device with 128 MiB of swap. */
static void test_read_swap(void **state)
{
        struct meminfo m;

        (void)state;
        assert_int_equal(read_fixture("meminfo-swap", &m), 0);
        assert_int_equal(m.mem_total_kib, 249412);
        assert_int_equal(m.mem_free_kib, 10236);
        assert_int_equal(m.mem_available_kib, 31560);
        assert_int_equal(m.swap_total_kib, 131068);
        assert_int_equal(m.swap_free_kib, 47612);
        /* 31560 + 47612 */
        assert_int_equal(meminfo_available_kib(&m), 79172);
        /* 249412 + 131068 */
        assert_int_equal(meminfo_allowable_kib(&m), 380480);
}

/* CONFIG_SWAP=n: no Swap lines at all. */
static void test_read_noswap(void **state)
{
        struct meminfo m;

        (void)state;
        memset(&m, 0xff, sizeof(m));
        assert_int_equal(read_fixture("meminfo-noswap", &m), 0);
        assert_int_equal(m.mem_total_kib, 504636);
        assert_int_equal(m.mem_free_kib, 301920);
        assert_int_equal(m.mem_available_kib, 402112);
        assert_int_equal(m.swap_total_kib, 0);
        assert_int_equal(m.swap_free_kib, 0);
        assert_int_equal(meminfo_available_kib(&m), 402112);
        assert_int_equal(meminfo_allowable_kib(&m), 504636);
}

/* Linux 3.10 has no MemAvailable: the file is refused. */
static void test_read_no_memavailable(void **state)
{
        struct meminfo m;

        (void)state;
        assert_int_equal(read_fixture("meminfo-3.10", &m), -EINVAL);
}

/* A file larger than the 4 KiB read buffer still gives the keys at the top. */
static void test_read_big(void **state)
{
        struct meminfo m;

        (void)state;
        assert_int_equal(read_fixture("meminfo-big", &m), 0);
        assert_int_equal(m.mem_total_kib, 8046176);
        assert_int_equal(m.mem_free_kib, 512000);
        assert_int_equal(m.mem_available_kib, 3145728);
        assert_int_equal(m.swap_total_kib, 4194300);
        assert_int_equal(m.swap_free_kib, 4000000);
}

/*
 * The line cut by a full buffer must not be parsed: a file whose byte 4095
 * falls inside "SwapFree:   77777 kB" keeps the earlier SwapFree value.
 */
static void test_read_cut_line_dropped(void **state)
{
        char text[8192];
        size_t len = 0;
        int fd;
        struct meminfo m;

        (void)state;
        len += (size_t)snprintf(text, sizeof(text),
                                "MemTotal: 1000 kB\nMemAvailable: 500 kB\nSwapFree: 1000 kB\n");
        /* Pad with 10-byte lines up to exactly 4080 bytes... */
        while (len + 10 <= 4080)
                len += (size_t)snprintf(text + len, sizeof(text) - len, "Pad:    0\n");
        assert_true(len <= 4080);
        while (len < 4080)
                text[len++] = '\n';
        /* ...so that the buffer (4095 bytes) ends after "SwapFree:     77". */
        len += (size_t)snprintf(text + len, sizeof(text) - len, "SwapFree:     77777 kB\n");
        assert_true(len > 4095);
        assert_memory_equal(text + 4080, "SwapFree:     77", 4095 - 4080);

        fd = memfd_create("meminfo", MFD_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, len), (ssize_t)len);
        assert_int_equal(meminfo_read(fd, &m), 0);
        close(fd);
        assert_int_equal(m.swap_free_kib, 1000);
}

static void test_read_rewinds(void **state)
{
        struct meminfo a, b;
        int procfd = open_proc("meminfo-swap");
        int fd = meminfo_open(procfd);

        (void)state;
        close(procfd);
        assert_true(fd >= 0);
        assert_int_equal(meminfo_read(fd, &a), 0);
        assert_int_equal(meminfo_read(fd, &b), 0);
        close(fd);
        assert_memory_equal(&a, &b, sizeof(a));
        assert_int_equal(b.mem_total_kib, 249412);
}

static void test_open_missing(void **state)
{
        int procfd = open_proc("meminfo-6x");
        int fd;

        (void)state;
        fd = openat(procfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        close(procfd);
        assert_true(fd >= 0);
        /* meminfo-6x/ itself has no "meminfo", only proc/ has. */
        assert_int_equal(meminfo_open(fd), -ENOENT);
        close(fd);
}

static void test_parse_minimal(void **state)
{
        struct meminfo m;

        (void)state;
        /* No trailing newline, no "kB", unknown lines around. */
        assert_int_equal(meminfo_parse("Foo: 1 kB\nMemTotal: 2048 kB\nBar(x):   7\n"
                                       "MemAvailable:1024",
                                       &m),
                         0);
        assert_int_equal(m.mem_total_kib, 2048);
        assert_int_equal(m.mem_available_kib, 1024);
        assert_int_equal(m.mem_free_kib, 0);
        assert_int_equal(m.swap_total_kib, 0);
}

static void test_parse_rejects(void **state)
{
        struct meminfo m;

        (void)state;
        assert_int_equal(meminfo_parse("", &m), -EINVAL);
        assert_int_equal(meminfo_parse("MemAvailable: 1 kB\n", &m), -EINVAL);
        assert_int_equal(meminfo_parse("MemTotal: 1 kB\n", &m), -EINVAL);
        /* Look-alike keys do not count. */
        assert_int_equal(meminfo_parse("MemTotalX: 1 kB\nMemAvailable: 1 kB\n", &m), -EINVAL);
        assert_int_equal(meminfo_parse("XMemTotal: 1 kB\nMemAvailable: 1 kB\n", &m), -EINVAL);
        /* Malformed values of a needed key. */
        assert_int_equal(meminfo_parse("MemTotal: abc kB\nMemAvailable: 1 kB\n", &m), -EINVAL);
        assert_int_equal(meminfo_parse("MemTotal: \nMemAvailable: 1 kB\n", &m), -EINVAL);
        assert_int_equal(meminfo_parse("MemTotal: 12 MB\nMemAvailable: 1 kB\n", &m), -EINVAL);
        assert_int_equal(meminfo_parse("MemTotal: -5 kB\nMemAvailable: 1 kB\n", &m), -EINVAL);
        assert_int_equal(meminfo_parse("MemTotal: 18446744073709551616 kB\nMemAvailable: 1 kB\n", &m),
                         -EINVAL);
        assert_int_equal(meminfo_parse("MemTotal: 18446744073709551615 kB\nMemAvailable: 1 kB\n", &m), 0);
        assert_true(m.mem_total_kib == UINT64_MAX);
}

/* The real file: present, parsable and self-consistent. */
static void test_read_real(void **state)
{
        struct meminfo m;
        int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int fd;

        (void)state;
        assert_true(procfd >= 0);
        fd = meminfo_open(procfd);
        close(procfd);
        assert_true(fd >= 0);
        assert_int_equal(meminfo_read(fd, &m), 0);
        close(fd);
        assert_true(m.mem_total_kib > 0);
        assert_true(m.mem_available_kib <= m.mem_total_kib);
        assert_true(m.swap_free_kib <= m.swap_total_kib);
        assert_true(meminfo_available_kib(&m) <= meminfo_allowable_kib(&m));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_read_6x),       cmocka_unit_test(test_read_swap),
                cmocka_unit_test(test_read_noswap),   cmocka_unit_test(test_read_no_memavailable),
                cmocka_unit_test(test_read_big),      cmocka_unit_test(test_read_cut_line_dropped),
                cmocka_unit_test(test_read_rewinds),  cmocka_unit_test(test_open_missing),
                cmocka_unit_test(test_parse_minimal), cmocka_unit_test(test_parse_rejects),
                cmocka_unit_test(test_read_real),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
