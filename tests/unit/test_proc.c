/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

#define PROC_BASIC FIXTURES "/proc-basic/proc"

/* A real line (tests/fixtures/proc-basic/proc/1000/stat). */
static const char stat_normal[] =
        "1000 (sleep) S 900 7470 5185 0 -1 4194304 141 0 0 0 12 5 0 0 20 0 1 0 66305 2990080 "
        "388 18446744073709551615 94049369505792 94049369523721 140725088415792 0 0 0 0 6 0 1 "
        "0 0 17 0 0 0 0 0 0 94049369537808 94049369539072 94050183938048 140725088418438 "
        "140725088418448 140725088418448 140725088419817 0\n";

static int parse_stat_str(const char *s, struct proc_entry *e)
{
        memset(e, 0, sizeof(*e));
        return proc_parse_stat(s, strlen(s), e);
}

static void test_parse_stat_normal(void **state)
{
        struct proc_entry e;

        assert_int_equal(parse_stat_str(stat_normal, &e), 0);
        assert_int_equal(e.pid, 1000);
        assert_string_equal(e.comm, "sleep");
        assert_int_equal(e.state, 'S');
        assert_int_equal(e.ppid, 900);
        assert_int_equal(e.pgid, 7470);
        assert_int_equal(e.sid, 5185);
        assert_int_equal(e.flags, 4194304);
        assert_int_equal(e.cpu_ticks, 12 + 5);
        assert_int_equal(e.start_time_ticks, 66305);

        /* Without the trailing newline, and cut right after field 22. */
        const char *cut = "7 (x) R 1 7 7 0 -1 2129984 0 0 0 0 3 4 0 0 20 0 1 0 99";
        assert_int_equal(parse_stat_str(cut, &e), 0);
        assert_int_equal(e.flags, 2129984);
        assert_true(e.flags & PROC_PF_KTHREAD);
        assert_int_equal(e.cpu_ticks, 7);
        assert_int_equal(e.start_time_ticks, 99);
}

static void test_parse_stat_hostile(void **state)
{
        struct proc_entry e;

        /* comm "a) b (c": the first ')' is not the end. */
        assert_int_equal(parse_stat_str("1002 (a) b (c) S 900 7586 5185 0 -1 4194304 116 0 0 0 "
                                        "0 0 0 0 20 0 1 0 66868 2400256 276\n",
                                        &e),
                         0);
        assert_string_equal(e.comm, "a) b (c");
        assert_int_equal(e.state, 'S');
        assert_int_equal(e.ppid, 900);
        assert_int_equal(e.start_time_ticks, 66868);

        /* A name that imitates the fields that follow it. */
        assert_int_equal(parse_stat_str("5 (x) Z 9 9 9) R 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 "
                                        "0 77\n",
                                        &e),
                         0);
        assert_string_equal(e.comm, "x) Z 9 9 9");
        assert_int_equal(e.state, 'R');
        assert_int_equal(e.ppid, 1);
        assert_int_equal(e.start_time_ticks, 77);

        /* A newline inside the name (stat shows comm raw). */
        assert_int_equal(parse_stat_str("1003 (evil\nname) S 900 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 "
                                        "1 0 5\n",
                                        &e),
                         0);
        assert_string_equal(e.comm, "evil\nname");

        /* An empty name (prctl(PR_SET_NAME, "")). */
        assert_int_equal(parse_stat_str("8 () S 1 8 8 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5\n", &e), 0);
        assert_string_equal(e.comm, "");

        /* A longer name than TASK_COMM_LEN is cut to 15 bytes. */
        assert_int_equal(parse_stat_str("9 (0123456789abcdefghij) S 1 8 8 0 -1 0 0 0 0 0 0 0 0 0 "
                                        "20 0 1 0 5\n",
                                        &e),
                         0);
        assert_string_equal(e.comm, "0123456789abcde");

        /* A NUL inside the buffer does not end the parse: len does. */
        static const char with_nul[] = "10 (a\0b) S 1 8 8 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 6\n";
        memset(&e, 0, sizeof(e));
        assert_int_equal(proc_parse_stat(with_nul, sizeof(with_nul) - 1, &e), 0);
        assert_int_equal(e.pid, 10);
        assert_int_equal(e.start_time_ticks, 6);
        assert_memory_equal(e.comm, "a\0b", 4);
}

static void test_parse_stat_malformed(void **state)
{
        static const char *const bad[] = {
                "",
                "123",
                "123 (x",                                                     /* no ')' */
                "123 x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",           /* no '(' */
                "(x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",              /* no pid */
                "abc (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",          /* pid not a number */
                "-5 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",           /* negative pid */
                "123(x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",           /* no space before ( */
                "123 (x)S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",           /* no space after ) */
                "123 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0",            /* 21 fields */
                "123 (x) SS 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",         /* state of 2 bytes */
                "123 (x) S one 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",        /* ppid not a number */
                "123 (x) S -1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",         /* negative ppid */
                "123 (x) S 1 1 1 0 -1 4294967296 0 0 0 0 0 0 0 0 20 0 1 0 5", /* flags > 32 bits */
                "123 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 18446744073709551616", /* 2^64 */
                "123 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5x",                   /* junk in a number */
                "123 (x) S 1  1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 6",                   /* empty field */
                /* utime + stime overflows */
                "123 (x) S 1 1 1 0 -1 0 0 0 0 0 18446744073709551615 1 0 0 20 0 1 0 5",
        };

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                struct proc_entry e;
                int r = parse_stat_str(bad[i], &e);
                if (r != -EINVAL)
                        fail_msg("\"%s\": expected -EINVAL, got %d", bad[i], r);
        }
}

static const char status_normal[] =
        "Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t1000\nNgid:\t0\nPid:\t1000\n"
        "PPid:\t900\nTracerPid:\t0\nUid:\t1000\t1001\t1002\t1003\nGid:\t1000\t1000\t1000\t1000\n"
        "FDSize:\t256\nGroups:\t \nNStgid:\t1000\nNSpid:\t1000\nNSpgid:\t7470\nNSsid:\t5185\n"
        "Kthread:\t0\nVmPeak:\t    2920 kB\nVmSize:\t    2920 kB\nVmLck:\t       0 kB\n"
        "VmPin:\t       0 kB\nVmHWM:\t    1820 kB\nVmRSS:\t    1820 kB\nRssAnon:\t     108 kB\n"
        "RssFile:\t    1712 kB\nRssShmem:\t      64 kB\nVmData:\t     224 kB\n"
        "VmStk:\t     132 kB\nVmExe:\t      20 kB\nVmLib:\t    1528 kB\nVmPTE:\t      48 kB\n"
        "VmSwap:\t     512 kB\nHugetlbPages:\t       0 kB\nThreads:\t1\n";

static void test_parse_status(void **state)
{
        struct proc_entry e;

        memset(&e, 0, sizeof(e));
        assert_int_equal(proc_parse_status(status_normal, &e), 0);
        assert_int_equal(e.uid, 1000); /* the real uid, not effective 1001 */
        assert_true(e.has_mm);
        assert_int_equal(e.rss_anon_kib, 108);
        assert_int_equal(e.rss_file_kib, 1712);
        assert_int_equal(e.rss_shmem_kib, 64);
        assert_int_equal(e.swap_kib, 512);
        assert_int_equal(e.pte_kib, 48);

        /* A kernel thread: no Vm lines. Earlier values are reset. */
        assert_int_equal(proc_parse_status("Name:\tkthreadd\nUmask:\t0022\nState:\tS (sleeping)\n"
                                           "Tgid:\t2\nPid:\t2\nPPid:\t0\nUid:\t0\t0\t0\t0\n"
                                           "Kthread:\t1\nThreads:\t1\n",
                                           &e),
                         0);
        assert_int_equal(e.uid, 0);
        assert_false(e.has_mm);
        assert_int_equal(e.rss_anon_kib, 0);
        assert_int_equal(e.swap_kib, 0);
        assert_int_equal(e.pte_kib, 0);

        /* The last line without a newline is still read. */
        assert_int_equal(proc_parse_status("State:\tR\nUid:\t7\t7\t7\t7\nVmRSS:\t 8 kB\n"
                                           "VmPTE:\t      4 kB",
                                           &e),
                         0);
        assert_int_equal(e.uid, 7);
        assert_true(e.has_mm);
        assert_int_equal(e.pte_kib, 4);
}

static void test_parse_status_hostile(void **state)
{
        struct proc_entry e;

        /* The kernel escapes a newline in Name, but if a name ever reached
         * status raw it could forge lines; they come before the real State
         * line and are ignored. This zombie has no mm and uid 1000. */
        memset(&e, 0, sizeof(e));
        assert_int_equal(proc_parse_status("Name:\tx\nUid:\t0\nVmRSS:\t1\nRssAnon:\t999 kB\n"
                                           "State:\tfake\nState:\tZ (zombie)\nPid:\t5\n"
                                           "Uid:\t1000\t1000\t1000\t1000\nThreads:\t1\n",
                                           &e),
                         0);
        assert_int_equal(e.uid, 1000);
        assert_false(e.has_mm);
        assert_int_equal(e.rss_anon_kib, 0);

        /* Keys count only at a line start. */
        assert_int_equal(proc_parse_status("Name:\tVmRSS: 5\nState:\tS\nX-Uid:\t0\n"
                                           "Groups:\tVmSwap:\t9 kB\nUid:\t42\t0\t0\t0\n",
                                           &e),
                         0);
        assert_int_equal(e.uid, 42);
        assert_false(e.has_mm);
        assert_int_equal(e.swap_kib, 0);
}

static void test_parse_status_malformed(void **state)
{
        static const char *const bad[] = {
                "",
                "Name:\tx\nState:\tS\n",                  /* no Uid */
                "State:\tS\nUid:\t\n",                    /* empty Uid */
                "State:\tS\nUid:\tabc\t0\t0\t0\n",        /* Uid not a number */
                "State:\tS\nUid:\t4294967296\t0\t0\t0\n", /* Uid > 32 bits */
                "State:\tS\nUid:\t0\t0\t0\t0\nVmRSS:\t1 kB\nRssAnon:\tmany kB\n",
                "State:\tS\nUid:\t0\t0\t0\t0\nVmPTE:\t12x kB\n",
                "State:\tS\nUid:\t0\t0\t0\t0\nVmSwap:\t99999999999999999999 kB\n", /* > 2^64 */
        };

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                struct proc_entry e;
                memset(&e, 0, sizeof(e));
                int r = proc_parse_status(bad[i], &e);
                if (r != -EINVAL)
                        fail_msg("status #%zu: expected -EINVAL, got %d", i, r);
        }
}

static void test_parse_status_mems(void **state)
{
        static const char head[] = "State:\tS\nUid:\t0\t0\t0\t0\n";
        char buf[512];
        struct proc_entry e;

        /* As the kernel prints it, after Mems_allowed. */
        memset(&e, 0, sizeof(e));
        snprintf(buf, sizeof(buf),
                 "%sCpus_allowed_list:\t0-1\nMems_allowed:\t00000000,0000000d\n"
                 "Mems_allowed_list:\t0,2-3\nvoluntary_ctxt_switches:\t1\n",
                 head);
        assert_int_equal(proc_parse_status(buf, &e), 0);
        assert_int_equal(e.mems_allowed.bits, 0xd);
        assert_false(e.mems_allowed.high);

        /* Nodes past 63. */
        snprintf(buf, sizeof(buf), "%sMems_allowed_list:\t0-127\n", head);
        assert_int_equal(proc_parse_status(buf, &e), 0);
        assert_int_equal(e.mems_allowed.bits, UINT64_MAX);
        assert_true(e.mems_allowed.high);

        /* No line (a kernel without cpusets): unknown, and an earlier
         * value does not survive. */
        snprintf(buf, sizeof(buf), "%sThreads:\t1\n", head);
        assert_int_equal(proc_parse_status(buf, &e), 0);
        assert_true(numa_mask_empty(&e.mems_allowed));

        /* A line cut off by the end of the buffer: unknown, never "0-1"
         * for "0-127". */
        snprintf(buf, sizeof(buf), "%sMems_allowed_list:\t0-1", head);
        assert_int_equal(proc_parse_status(buf, &e), 0);
        assert_true(numa_mask_empty(&e.mems_allowed));

        /* Malformed: unknown, but the process is still read. */
        snprintf(buf, sizeof(buf), "%sMems_allowed_list:\t0-x\nVmRSS:\t4 kB\n", head);
        assert_int_equal(proc_parse_status(buf, &e), 0);
        assert_true(numa_mask_empty(&e.mems_allowed));
        assert_true(e.has_mm);

        /* A list longer than any of nodes 0-63 holds higher nodes. */
        int n = snprintf(buf, sizeof(buf), "%sMems_allowed_list:\t", head);
        for (int node = 0; node < 200; node += 2)
                n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s%d", node ? "," : "", node);
        snprintf(buf + n, sizeof(buf) - (size_t)n, "\n");
        assert_int_equal(proc_parse_status(buf, &e), 0);
        assert_true(e.mems_allowed.high);
        assert_false(numa_mask_subset(&e.mems_allowed, &(struct numa_mask){ UINT64_MAX, false }));
}

static void test_parse_cgroup(void **state)
{
        struct proc_entry e;

        memset(&e, 0, sizeof(e));
        /* A systemd v1/v2 hybrid, as on Debian 11 or this build host. */
        assert_int_equal(proc_parse_cgroup("13:misc:/\n12:rdma:/\n11:net_cls,net_prio:/\n"
                                           "7:pids:/user.slice/user-1000.slice/session-2.scope\n"
                                           "6:cpu,cpuacct:/user.slice\n"
                                           "4:memory:/user.slice/user-1000.slice/session-2.scope\n"
                                           "1:name=systemd:/user.slice/user-1000.slice/s.scope\n"
                                           "0::/user.slice/user-1000.slice/session-2.scope\n",
                                           &e),
                         0);
        assert_string_equal(e.cgroup_v1_memory, "/user.slice/user-1000.slice/session-2.scope");
        assert_string_equal(e.cgroup_v2, "/user.slice/user-1000.slice/session-2.scope");
        assert_false(e.cgroup_truncated);

        /* Pure v2: no v1 memory path. Earlier values are reset. */
        assert_int_equal(proc_parse_cgroup("0::/system.slice/ssh.service\n", &e), 0);
        assert_string_equal(e.cgroup_v2, "/system.slice/ssh.service");
        assert_string_equal(e.cgroup_v1_memory, "");

        /* memory co-mounted with other controllers; lookalikes ignored;
         * a ':' inside the path. */
        assert_int_equal(proc_parse_cgroup("9:memoryx:/no\n8:name=memory:/no\n"
                                           "5:cpu,memory,blkio:/lxc/c1\n0::/a:b\n",
                                           &e),
                         0);
        assert_string_equal(e.cgroup_v1_memory, "/lxc/c1");
        assert_string_equal(e.cgroup_v2, "/a:b");
        assert_int_equal(proc_parse_cgroup("4:hugetlb,memory:/x\n", &e), 0);
        assert_string_equal(e.cgroup_v1_memory, "/x");
        assert_string_equal(e.cgroup_v2, "");

        /* v1 only (no unified hierarchy), and an empty file. */
        assert_int_equal(proc_parse_cgroup("3:memory:/\n2:cpu:/\n", &e), 0);
        assert_string_equal(e.cgroup_v1_memory, "/");
        assert_string_equal(e.cgroup_v2, "");
        assert_int_equal(proc_parse_cgroup("", &e), 0);
        assert_string_equal(e.cgroup_v1_memory, "");
        assert_string_equal(e.cgroup_v2, "");

        /* A path longer than PROC_CGROUP_MAX - 1 is cut and flagged. */
        char buf[512];
        char want[PROC_CGROUP_MAX];
        memcpy(buf, "0::/", 4);
        memset(buf + 4, 'p', 300);
        strcpy(buf + 304, "\n");
        want[0] = '/';
        memset(want + 1, 'p', PROC_CGROUP_MAX - 2);
        want[PROC_CGROUP_MAX - 1] = '\0';
        assert_int_equal(proc_parse_cgroup(buf, &e), 0);
        assert_true(e.cgroup_truncated);
        assert_int_equal(strlen(e.cgroup_v2), PROC_CGROUP_MAX - 1);
        assert_string_equal(e.cgroup_v2, want);
}

static void test_parse_cgroup_malformed(void **state)
{
        static const char *const bad[] = {
                "garbage\n",        "0:/\n", /* one colon */
                "x::/\n",                    /* id not a number */
                ":memory:/\n",               /* empty id */
                "0::relative\n",             /* path must be absolute */
                "4:memory:\n",               /* empty path */
                "0::/\nnonsense\n",          /* a good line then a bad one */
        };

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                struct proc_entry e;
                memset(&e, 0, sizeof(e));
                int r = proc_parse_cgroup(bad[i], &e);
                if (r != -EINVAL)
                        fail_msg("\"%s\": expected -EINVAL, got %d", bad[i], r);
        }
}

static void test_parse_cmdline(void **state)
{
        struct proc_entry e;
        char buf[4096];

        memset(&e, 0, sizeof(e));
        proc_parse_cmdline("/usr/bin/foo\0--bar\0baz\0", 23, &e);
        assert_string_equal(e.cmdline, "/usr/bin/foo --bar baz");
        assert_false(e.cmdline_truncated);

        /* Trailing NULs (setproctitle padding) go; inner empty args stay. */
        proc_parse_cmdline("a\0\0b\0\0\0\0", 8, &e);
        assert_string_equal(e.cmdline, "a  b");

        /* No terminating NUL (a process that rewrote its argv). */
        proc_parse_cmdline("sshd: listener", 14, &e);
        assert_string_equal(e.cmdline, "sshd: listener");

        /* A newline inside an argument is kept as is. */
        proc_parse_cmdline("./sleep\0evil\nname\0", 18, &e);
        assert_string_equal(e.cmdline, "./sleep evil\nname");

        /* Kernel threads have an empty cmdline. */
        proc_parse_cmdline("", 0, &e);
        assert_string_equal(e.cmdline, "");
        assert_false(e.cmdline_truncated);
        proc_parse_cmdline("\0\0", 2, &e);
        assert_string_equal(e.cmdline, "");

        /* Exactly PROC_CMDLINE_MAX - 1 bytes fit; one more does not. */
        memset(buf, 'a', sizeof(buf));
        buf[PROC_CMDLINE_MAX - 1] = '\0';
        proc_parse_cmdline(buf, PROC_CMDLINE_MAX, &e);
        assert_int_equal(strlen(e.cmdline), PROC_CMDLINE_MAX - 1);
        assert_false(e.cmdline_truncated);
        memset(buf, 'a', sizeof(buf));
        proc_parse_cmdline(buf, PROC_CMDLINE_MAX, &e);
        assert_int_equal(strlen(e.cmdline), PROC_CMDLINE_MAX - 1);
        assert_true(e.cmdline_truncated);

        /* A 4 KiB command line. */
        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = i % 10 == 9 ? '\0' : 'x';
        proc_parse_cmdline(buf, sizeof(buf), &e);
        assert_true(e.cmdline_truncated);
        assert_int_equal(strlen(e.cmdline), PROC_CMDLINE_MAX - 1);
        assert_memory_equal(e.cmdline, "xxxxxxxxx xxxxxxxxx ", 20);
}

/* ---- the fixture tree ---- */

static int open_fixture(void)
{
        int fd = open(PROC_BASIC, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                fail_msg("open %s: %s", PROC_BASIC, strerror(errno));
        return fd;
}

static void test_read_fixture_normal(void **state)
{
        int fd = open_fixture();
        struct proc_entry e;

        assert_int_equal(proc_read_pid(fd, 1000, PROC_READ_ALL, &e), 0);
        assert_int_equal(e.pid, 1000);
        assert_int_equal(e.ppid, 900);
        assert_int_equal(e.pgid, 7470);
        assert_int_equal(e.sid, 5185);
        assert_int_equal(e.uid, 1000);
        assert_int_equal(e.state, 'S');
        assert_int_equal(e.flags, 4194304);
        assert_int_equal(e.start_time_ticks, 66305);
        assert_int_equal(e.cpu_ticks, 17);
        assert_string_equal(e.comm, "sleep");
        assert_true(e.has_mm);
        assert_int_equal(e.rss_anon_kib, 108);
        assert_int_equal(e.rss_file_kib, 1712);
        assert_int_equal(e.rss_shmem_kib, 0);
        assert_int_equal(e.swap_kib, 0);
        assert_int_equal(e.pte_kib, 48);
        assert_int_equal(e.oom_score_adj, 0);
        assert_int_equal(e.kernel_oom_score, 666);
        assert_string_equal(e.cgroup_v2, "/user.slice/user-1000.slice/session-2.scope");
        assert_string_equal(e.cgroup_v1_memory, "/user.slice/user-1000.slice/session-2.scope");
        assert_string_equal(e.cmdline, "sleep 300");
        assert_false(e.cmdline_truncated);
        assert_int_equal(e.mems_allowed.bits, 0x1); /* node 0 */
        assert_false(e.mems_allowed.high);

        /* Without the optional files, their fields stay empty. */
        assert_int_equal(proc_read_pid(fd, 1000, 0, &e), 0);
        assert_int_equal(e.kernel_oom_score, -1);
        assert_string_equal(e.cgroup_v2, "");
        assert_string_equal(e.cmdline, "");
        assert_int_equal(e.rss_file_kib, 1712);
        close(fd);
}

static void test_read_fixture_special(void **state)
{
        int fd = open_fixture();
        struct proc_entry e;

        /* pid 1 */
        assert_int_equal(proc_read_pid(fd, 1, PROC_READ_ALL, &e), 0);
        assert_int_equal(e.pid, 1);
        assert_int_equal(e.ppid, 0);
        assert_string_equal(e.comm, "systemd");
        assert_string_equal(e.cmdline, "/sbin/init");
        assert_string_equal(e.cgroup_v2, "/init.scope");
        assert_string_equal(e.cgroup_v1_memory, "/init.scope");
        assert_int_equal(e.kernel_oom_score, 0);

        /* kernel thread: PF_KTHREAD, no mm, empty cmdline */
        assert_int_equal(proc_read_pid(fd, 2, PROC_READ_ALL, &e), 0);
        assert_string_equal(e.comm, "kthreadd");
        assert_int_equal(e.flags, 2129984);
        assert_true(e.flags & PROC_PF_KTHREAD);
        assert_false(e.has_mm);
        assert_int_equal(e.rss_anon_kib + e.rss_file_kib + e.pte_kib, 0);
        assert_string_equal(e.cmdline, "");
        assert_string_equal(e.cgroup_v2, "/");
        assert_string_equal(e.cgroup_v1_memory, "/");

        /* zombie */
        assert_int_equal(proc_read_pid(fd, 1001, PROC_READ_ALL, &e), 0);
        assert_int_equal(e.state, 'Z');
        assert_int_equal(e.ppid, 1000);
        assert_false(e.has_mm);
        assert_false(e.flags & PROC_PF_KTHREAD);
        assert_string_equal(e.cmdline, "");
        assert_int_equal(e.kernel_oom_score, 0);

        /* "a) b (c", cgroup v2 only */
        assert_int_equal(proc_read_pid(fd, 1002, PROC_READ_ALL, &e), 0);
        assert_string_equal(e.comm, "a) b (c");
        assert_int_equal(e.state, 'S');
        assert_int_equal(e.start_time_ticks, 66868);
        assert_string_equal(e.cgroup_v2, "/user.slice/user-1000.slice/user@1000.service/app.slice/"
                                         "app-gnome-firefox\\x2desr-2216.scope");
        assert_string_equal(e.cgroup_v1_memory, "");
        assert_true(e.has_mm);
        assert_int_equal(e.rss_anon_kib, 96);
        assert_int_equal(e.mems_allowed.bits, 0x2); /* node 1 only */

        /* newline in the name */
        assert_int_equal(proc_read_pid(fd, 1003, PROC_READ_ALL, &e), 0);
        assert_string_equal(e.comm, "evil\nname");
        assert_int_equal(e.state, 'S');
        assert_int_equal(e.uid, 1000);
        assert_int_equal(e.rss_anon_kib, 92);
        assert_string_equal(e.cmdline, "./sleep evil\nname");

        /* a 5028-byte command line: bash -c 'sleep 300; :' bash 3000*x 2000*y */
        assert_int_equal(proc_read_pid(fd, 1004, PROC_READ_ALL, &e), 0);
        assert_true(e.cmdline_truncated);
        assert_int_equal(strlen(e.cmdline), PROC_CMDLINE_MAX - 1);
        assert_memory_equal(e.cmdline, "bash -c sleep 300; : bash xxxx", 30);
        assert_int_equal(e.cmdline[PROC_CMDLINE_MAX - 2], 'x');

        /* oom_score_adj -1000 */
        assert_int_equal(proc_read_pid(fd, 1005, PROC_READ_ALL, &e), 0);
        assert_string_equal(e.comm, "sshd");
        assert_int_equal(e.oom_score_adj, -1000);
        assert_int_equal(e.kernel_oom_score, 0);
        assert_int_equal(e.uid, 0);
        assert_string_equal(e.cgroup_v2, "/system.slice/ssh.service");
        assert_string_equal(e.cmdline, "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups");

        close(fd);
}

static void test_read_fixture_gone(void **state)
{
        int fd = open_fixture();
        struct proc_entry e;
        uint64_t ticks = 0;

        /* 1006 lost its stat: it exited while we looked. */
        assert_int_equal(proc_read_pid(fd, 1006, PROC_READ_ALL, &e), -ENOENT);
        assert_int_equal(proc_read_pid(fd, 4242, 0, &e), -ENOENT);
        /* Not processes. */
        assert_int_equal(proc_read_pid(fd, 0, 0, &e), -EINVAL);
        assert_int_equal(proc_read_pid(fd, -3, 0, &e), -EINVAL);

        assert_int_equal(proc_read_start_time(fd, 1000, &ticks), 0);
        assert_int_equal(ticks, 66305);
        assert_int_equal(proc_read_start_time(fd, 1002, &ticks), 0);
        assert_int_equal(ticks, 66868);
        assert_int_equal(proc_read_start_time(fd, 1006, &ticks), -ENOENT);
        assert_int_equal(proc_read_start_time(fd, 4242, &ticks), -ENOENT);
        close(fd);
}

static bool table_has(const struct proc_table *t, pid_t pid)
{
        for (size_t i = 0; i < t->n; i++)
                if (t->entries[i].pid == pid)
                        return true;
        return false;
}

static void test_scan_fixture(void **state)
{
        /* 1, 2, 1000..1005 are readable; 1006 vanished; "cmdline" and
         * "12abc" are not processes. */
        static const pid_t live[] = { 1, 2, 1000, 1001, 1002, 1003, 1004, 1005 };
        int fd = open_fixture();
        struct proc_table t;

        assert_int_equal(proc_table_init(&t, 16), 0);
        assert_int_equal(t.capacity, 16);
        assert_int_equal(proc_scan(fd, PROC_READ_ALL, &t), 8);
        assert_int_equal(t.n, 8);
        assert_int_equal(t.dropped, 0);
        for (size_t i = 0; i < ARRAY_SIZE(live); i++)
                assert_true(table_has(&t, live[i]));
        assert_false(table_has(&t, 1006));
        for (size_t i = 0; i < t.n; i++)
                if (t.entries[i].pid == 1004)
                        assert_true(t.entries[i].cmdline_truncated);

        /* A rescan gives the same (the listing is rewound). */
        assert_int_equal(proc_scan(fd, 0, &t), 8);
        assert_int_equal(t.dropped, 0);
        proc_table_free(&t);
        assert_null(t.entries);

        /* Exactly full. */
        assert_int_equal(proc_table_init(&t, 8), 0);
        assert_int_equal(proc_scan(fd, 0, &t), 8);
        assert_int_equal(t.dropped, 0);
        proc_table_free(&t);

        /* Too small: 3 stored, the other 5 live ones counted, the vanished
         * one not. */
        assert_int_equal(proc_table_init(&t, 3), 0);
        assert_int_equal(proc_scan(fd, PROC_READ_ALL, &t), 3);
        assert_int_equal(t.n, 3);
        assert_int_equal(t.dropped, 5);
        for (size_t i = 0; i < t.n; i++)
                assert_true(t.entries[i].pid != 1006 && t.entries[i].start_time_ticks > 0);
        proc_table_free(&t);

        assert_int_equal(proc_table_init(&t, 0), -EINVAL);
        close(fd);
}

/* ---- the real /proc ---- */

static int open_real_proc(void)
{
        int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        return fd;
}

static void test_read_self(void **state)
{
        int fd = open_real_proc();
        struct proc_entry e;
        uint64_t ticks = 0;

        assert_int_equal(proc_read_pid(fd, getpid(), PROC_READ_ALL, &e), 0);
        assert_int_equal(e.pid, getpid());
        assert_int_equal(e.ppid, getppid());
        assert_int_equal(e.uid, getuid());
        /* comm is the executable's name cut to 15 bytes. */
        assert_string_equal(e.comm, "test_proc");
        assert_true(e.start_time_ticks > 0);
        assert_true(e.has_mm);
        assert_true(e.rss_anon_kib + e.rss_file_kib > 0);
        assert_int_equal(e.state, 'R');
        assert_non_null(strstr(e.cmdline, "test_proc"));
        assert_true(e.kernel_oom_score >= 0);
        assert_true(e.cgroup_v2[0] == '/' || e.cgroup_v1_memory[0] == '/');
        /* Every kernel with cpusets prints the nodes; a task may always
         * allocate somewhere. */
        char status[4096];
        if (read_file_at(fd, "self/status", status, sizeof(status)) > 0 &&
            strstr(status, "\nMems_allowed_list:"))
                assert_false(numa_mask_empty(&e.mems_allowed));

        assert_int_equal(proc_read_start_time(fd, getpid(), &ticks), 0);
        assert_int_equal(ticks, e.start_time_ticks);

        /* A pid above any pid_max does not exist. */
        assert_int_equal(proc_read_pid(fd, INT_MAX - 1, 0, &e), -ENOENT);
        close(fd);
}

/* A real child seen alive, as a zombie, and gone once reaped. */
static void test_read_child_lifecycle(void **state)
{
        int fd = open_real_proc();
        struct proc_entry e;
        int pipefd[2];
        pid_t child;
        siginfo_t si;

        assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
        child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                char c;
                close(pipefd[1]);
                /* Blocks until the parent closes the write end. */
                _exit(read(pipefd[0], &c, 1) == 0 ? 0 : 1);
        }
        close(pipefd[0]);

        assert_int_equal(proc_read_pid(fd, child, PROC_READ_ALL, &e), 0);
        assert_int_equal(e.pid, child);
        assert_int_equal(e.ppid, getpid());
        assert_true(e.has_mm);
        assert_true(e.state != 'Z');

        close(pipefd[1]);
        /* Wait for the exit without reaping: the child is now a zombie. */
        memset(&si, 0, sizeof(si));
        assert_int_equal(waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT), 0);
        assert_int_equal(proc_read_pid(fd, child, PROC_READ_ALL, &e), 0);
        assert_int_equal(e.state, 'Z');
        assert_false(e.has_mm);

        assert_int_equal(waitpid(child, NULL, 0), child);
        int r = proc_read_pid(fd, child, PROC_READ_ALL, &e);
        assert_true(r == -ENOENT || r == -ESRCH);
        close(fd);
}

static void test_scan_real(void **state)
{
        int fd = open_real_proc();
        struct proc_table t;

        assert_int_equal(proc_table_init(&t, 4096), 0);
        int n = proc_scan(fd, PROC_READ_ALL, &t);
        assert_true(n >= 1);
        assert_int_equal((size_t)n, t.n);
        /* Other work on the host may run more processes than fit. */
        if (t.dropped == 0)
                assert_true(table_has(&t, getpid()));
        else
                assert_int_equal(t.n, t.capacity);
        proc_table_free(&t);

        /* One slot: we are counted as dropped or stored, never lost. */
        assert_int_equal(proc_table_init(&t, 1), 0);
        assert_int_equal(proc_scan(fd, 0, &t), 1);
        assert_true(t.dropped >= 1 || n == 1);
        proc_table_free(&t);
        close(fd);
}

int main(void)
{
        /* clang-format off */
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_stat_normal),
                cmocka_unit_test(test_parse_stat_hostile),
                cmocka_unit_test(test_parse_stat_malformed),
                cmocka_unit_test(test_parse_status),
                cmocka_unit_test(test_parse_status_hostile),
                cmocka_unit_test(test_parse_status_malformed),
                cmocka_unit_test(test_parse_status_mems),
                cmocka_unit_test(test_parse_cgroup),
                cmocka_unit_test(test_parse_cgroup_malformed),
                cmocka_unit_test(test_parse_cmdline),
                cmocka_unit_test(test_read_fixture_normal),
                cmocka_unit_test(test_read_fixture_special),
                cmocka_unit_test(test_read_fixture_gone),
                cmocka_unit_test(test_scan_fixture),
                cmocka_unit_test(test_read_self),
                cmocka_unit_test(test_read_child_lifecycle),
                cmocka_unit_test(test_scan_real),
        };
        /* clang-format on */

        return cmocka_run_group_tests(tests, NULL, NULL);
}
