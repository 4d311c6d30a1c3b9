/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "psi.h"

#define assert_near(a, b) assert_true((a) - (b) < 1e-9 && (b) - (a) < 1e-9)

static void test_parse_both(void **state)
{
        struct psi_stats s;

        (void)state;
        assert_int_equal(psi_parse("some avg10=12.34 avg60=5.06 avg300=0.70 total=987654321\n"
                                   "full avg10=100.00 avg60=0.01 avg300=0.00 total=18446744073709551615\n",
                                   &s),
                         0);
        assert_near(s.some.avg10, 12.34);
        assert_near(s.some.avg60, 5.06);
        assert_near(s.some.avg300, 0.70);
        assert_int_equal(s.some.total_usec, 987654321);
        assert_true(s.has_full);
        assert_near(s.full.avg10, 100.0);
        assert_near(s.full.avg60, 0.01);
        assert_near(s.full.avg300, 0.0);
        assert_true(s.full.total_usec == UINT64_MAX);
}

/* /proc/pressure/cpu before 5.13, and old kernels: no "full" line. */
static void test_parse_some_only(void **state)
{
        struct psi_stats s;

        (void)state;
        memset(&s, 0xff, sizeof(s));
        assert_int_equal(psi_parse("some avg10=0.50 avg60=0.25 avg300=0.00 total=42", &s), 0);
        assert_false(s.has_full);
        assert_near(s.some.avg10, 0.5);
        assert_near(s.some.avg60, 0.25);
        assert_int_equal(s.some.total_usec, 42);
        assert_near(s.full.avg10, 0.0);
        assert_int_equal(s.full.total_usec, 0);
}

/* Keys a later kernel might add are skipped; so are unknown lines. */
static void test_parse_tolerant(void **state)
{
        struct psi_stats s;

        (void)state;
        assert_int_equal(psi_parse("some avg10=1.00 avg60=2.00 avg300=3.00 total=4 avg1=9.99\n"
                                   "irq avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
                                   &s),
                         0);
        assert_near(s.some.avg300, 3.0);
        assert_int_equal(s.some.total_usec, 4);
        assert_false(s.has_full);
}

static void test_parse_rejects(void **state)
{
        struct psi_stats s;

        (void)state;
        assert_int_equal(psi_parse("", &s), -EINVAL);
        assert_int_equal(psi_parse("full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", &s), -EINVAL);
        /* Missing field. */
        assert_int_equal(psi_parse("some avg10=0.00 avg60=0.00 total=0\n", &s), -EINVAL);
        /* Bad numbers. */
        assert_int_equal(psi_parse("some avg10=x avg60=0.00 avg300=0.00 total=0\n", &s), -EINVAL);
        assert_int_equal(psi_parse("some avg10=1.2.3 avg60=0.00 avg300=0.00 total=0\n", &s), -EINVAL);
        assert_int_equal(psi_parse("some avg10= avg60=0.00 avg300=0.00 total=0\n", &s), -EINVAL);
        assert_int_equal(psi_parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=-1\n", &s), -EINVAL);
        assert_int_equal(psi_parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=18446744073709551616\n", &s),
                         -EINVAL);
        assert_int_equal(psi_parse("some avg10 avg60=0.00 avg300=0.00 total=0\n", &s), -EINVAL);
        /* A bad full line spoils the file too. */
        assert_int_equal(psi_parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                                   "full avg10=0.00\n",
                                   &s),
                         -EINVAL);
}

/* psi_read() on a cgroup's memory.pressure in the v2 fixture tree. */
static void test_read_fixture(void **state)
{
        struct psi_stats s;
        int fd = open(FIXTURES "/cgroup-v2/sys/fs/cgroup/memory.pressure", O_RDONLY | O_CLOEXEC);

        (void)state;
        assert_true(fd >= 0);
        assert_int_equal(psi_read(fd, &s), 0);
        /* Twice on the same fd: pread() from offset 0. */
        assert_int_equal(psi_read(fd, &s), 0);
        close(fd);
        assert_near(s.some.avg10, 1.25);
        assert_near(s.some.avg60, 0.50);
        assert_near(s.some.avg300, 0.10);
        assert_int_equal(s.some.total_usec, 123456);
        assert_true(s.has_full);
        assert_near(s.full.avg10, 0.75);
        assert_near(s.full.avg60, 0.25);
        assert_near(s.full.avg300, 0.05);
        assert_int_equal(s.full.total_usec, 65432);
}

static void test_read_real(void **state)
{
        struct psi_stats s;
        int fd = open("/proc/pressure/memory", O_RDONLY | O_CLOEXEC);

        (void)state;
        if (fd < 0) {
                print_message("skipped: /proc/pressure/memory: %s\n", strerror(errno));
                skip();
        }
        assert_int_equal(psi_read(fd, &s), 0);
        close(fd);
        /* memory has had a "full" line since PSI exists (4.20). */
        assert_true(s.has_full);
        assert_true(s.some.avg10 >= 0 && s.some.avg10 <= 100);
        assert_true(s.full.total_usec <= s.some.total_usec);
}

/* Argument checks happen before anything is opened. */
static void test_trigger_bad_args(void **state)
{
        uint64_t w = 0;

        (void)state;
        assert_int_equal(psi_trigger_open(AT_FDCWD, "/nonexistent/psi", PSI_SOME, 0, 2000000, &w), -EINVAL);
        assert_int_equal(psi_trigger_open(AT_FDCWD, "/nonexistent/psi", PSI_SOME, 2000001, 2000000, &w),
                         -EINVAL);
        assert_int_equal(psi_trigger_open(AT_FDCWD, "/nonexistent/psi", PSI_SOME, 1, UINT64_C(1) << 33, &w),
                         -EINVAL);
        assert_int_equal(psi_trigger_open(AT_FDCWD, "/nonexistent/psi", PSI_SOME, 100000, 2000000, &w),
                         -ENOENT);
        assert_int_equal(w, 0);
}

/* Writes one trigger by hand; returns 0 or -errno. */
static int raw_trigger(int fd, const char *trigger)
{
        return write(fd, trigger, strlen(trigger) + 1) < 0 ? -errno : 0;
}

/* A trigger fd must now refuse a second trigger (EBUSY) and not report
 * POLLERR, which is what poll() says about a PSI fd without a trigger. */
static void assert_is_trigger(int fd)
{
        struct pollfd p = { .fd = fd, .events = POLLPRI };

        assert_int_equal(poll(&p, 1, 0) >= 0, 1);
        assert_false(p.revents & POLLERR);
        assert_int_equal(raw_trigger(fd, "some 200000 2000000"), -EBUSY);
}

/*
 * The real kernel. Without CAP_SYS_RESOURCE (the build host) a 1 s window is
 * refused with EINVAL and psi_trigger_open() must fall back to 2 s.
 */
static void test_trigger_real(void **state)
{
        const char *path = "/proc/pressure/memory";
        uint64_t window = 0;
        int probe, fd, r;

        (void)state;
        probe = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (probe < 0) {
                print_message("skipped: %s: %s\n", path, strerror(errno));
                skip();
        }
        /* A trigger without the trailing NUL loses its last digit in the
         * kernel ("2000000" -> "200000", below the 500 ms minimum). */
        assert_int_equal(write(probe, "some 200000 2000000", 19) < 0 ? -errno : 0, -EINVAL);
        r = raw_trigger(probe, "some 100000 1000000");
        close(probe);

        if (r == 0) {
                /* Privileged: no fallback happens. */
                fd = psi_trigger_open(AT_FDCWD, path, PSI_SOME, 100000, 1000000, &window);
                assert_true(fd >= 0);
                assert_int_equal(window, 1000000);
                assert_is_trigger(fd);
                close(fd);
                print_message("skipped: 2 s fallback: this process may write 1 s windows "
                              "(CAP_SYS_RESOURCE)\n");
                skip();
        }
        assert_int_equal(r, -EINVAL);

        /* Fallback: 100 ms of 1 s becomes 200 ms of 2 s. */
        fd = psi_trigger_open(AT_FDCWD, path, PSI_SOME, 100000, 1000000, &window);
        assert_true(fd >= 0);
        assert_int_equal(window, 2000000);
        assert_is_trigger(fd);
        close(fd);

        /* A window that is already a multiple of 2 s is kept. */
        window = 0;
        fd = psi_trigger_open(AT_FDCWD, path, PSI_FULL, 300000, 4000000, &window);
        assert_true(fd >= 0);
        assert_int_equal(window, 4000000);
        assert_is_trigger(fd);
        close(fd);

        /* 1 us of 3 s scales to 0.67 us: it must be raised to 1 us, since
         * the kernel refuses a zero stall. */
        window = 0;
        fd = psi_trigger_open(AT_FDCWD, path, PSI_SOME, 1, 3000000, &window);
        assert_true(fd >= 0);
        assert_int_equal(window, 2000000);
        assert_is_trigger(fd);
        close(fd);

        /* Outside the kernel's 500 ms .. 10 s: the retry does not hide it
         * when the window is a multiple of 2 s. */
        assert_int_equal(psi_trigger_open(AT_FDCWD, path, PSI_SOME, 100000, 12000000, &window), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_both),       cmocka_unit_test(test_parse_some_only),
                cmocka_unit_test(test_parse_tolerant),   cmocka_unit_test(test_parse_rejects),
                cmocka_unit_test(test_read_fixture),     cmocka_unit_test(test_read_real),
                cmocka_unit_test(test_trigger_bad_args), cmocka_unit_test(test_trigger_real),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
