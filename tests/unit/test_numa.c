/* SPDX-License-Identifier: MIT */
/* Node lists, node meminfo, cpusets and the memory of node sets, on the
 * numa-4node (v1 cpuset) and numa-v2 fixtures; expectations are worked
 * out in their READMEs. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "numa.h"
#include "util.h"

static int open_dir(const char *path)
{
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                fail_msg("open %s: %s", path, strerror(errno));
        return fd;
}

/* sys/ of a fixture. */
static int open_sys(const char *scenario)
{
        char path[512];

        snprintf(path, sizeof(path), "%s/%s/sys", FIXTURES, scenario);
        return open_dir(path);
}

/* The fixture's proc/meminfo, held open like the daemon holds it. */
static int open_meminfo(const char *scenario)
{
        char path[512];

        snprintf(path, sizeof(path), "%s/%s/proc/meminfo", FIXTURES, scenario);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                fail_msg("open %s: %s", path, strerror(errno));
        return fd;
}

static struct numa_mask mask_of(const char *list)
{
        struct numa_mask m;

        if (numa_mask_parse(list, &m) < 0)
                fail_msg("cannot parse '%s'", list);
        return m;
}

/* ---- node lists ----------------------------------------------------------- */

static void test_mask_parse(void **state)
{
        static const struct {
                const char *text;
                uint64_t bits;
                bool high;
        } good[] = {
                { "0", 0x1, false },
                { "0\n", 0x1, false },
                { "1", 0x2, false },
                { "0-3", 0xf, false },
                { "0-3,8,10-11", 0xf | 0x100 | 0xc00, false },
                { "2-2", 0x4, false },
                { " 0 , 2 - 3 ", 0xd, false },
                { "63", UINT64_C(1) << 63, false },
                { "0-63", UINT64_MAX, false },
                { "64", 0, true },
                { "62-65", UINT64_C(3) << 62, true },
                { "0,1023", 0x1, true },
                { "3,1", 0xa, false }, /* order does not matter */
                { "1,1-2", 0x6, false },
        };
        static const char *const bad[] = {
                "-1", "1-", "3-1", ",1", "1,", "1,,2", "a", "0x1", "1 2", "1\n\n", "1\n2", "1-2-3", "+1",
        };
        struct numa_mask m;

        for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
                memset(&m, 0xff, sizeof(m));
                if (numa_mask_parse(good[i].text, &m) != 0)
                        fail_msg("'%s' not parsed", good[i].text);
                if (m.bits != good[i].bits || m.high != good[i].high)
                        fail_msg("'%s': bits %#llx high %d", good[i].text, (unsigned long long)m.bits,
                                 m.high);
        }
        /* The empty list: a cpuset without memory, or "the parent's". */
        assert_int_equal(numa_mask_parse("", &m), 0);
        assert_true(numa_mask_empty(&m));
        assert_int_equal(numa_mask_parse("\n", &m), 0);
        assert_true(numa_mask_empty(&m));

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                m = (struct numa_mask){ 0x5a, false };
                if (numa_mask_parse(bad[i], &m) != -EINVAL)
                        fail_msg("'%s' accepted", bad[i]);
                assert_int_equal(m.bits, 0x5a); /* untouched on failure */
        }
        assert_int_equal(numa_mask_parse("65535", &m), 0);
        assert_true(m.high);
        assert_int_equal(numa_mask_parse("65536", &m), -ERANGE);
        assert_int_equal(numa_mask_parse("0-99999999999999999999", &m), -ERANGE);
}

static void test_mask_format(void **state)
{
        static const char *const lists[] = {
                "0", "0-3", "0-3,8,10-11", "1,3,5", "63", "0-63", "62-63", "0,2-4,6",
        };
        char buf[NUMA_MASK_TEXT_MAX];

        for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
                struct numa_mask m = mask_of(lists[i]);
                assert_string_equal(numa_mask_format(&m, buf, sizeof(buf)), lists[i]);
        }
        /* Normalized: sorted and merged. */
        struct numa_mask m = mask_of("3,0-1,2");
        assert_string_equal(numa_mask_format(&m, buf, sizeof(buf)), "0-3");
        m = (struct numa_mask){ 0, false };
        assert_string_equal(numa_mask_format(&m, buf, sizeof(buf)), "");
        m = mask_of("1,70");
        assert_string_equal(numa_mask_format(&m, buf, sizeof(buf)), "1,64+");
        /* The longest list of nodes 0-63 (pairs with gaps: 121
         * characters), with the high flag too, fits. */
        m = (struct numa_mask){ UINT64_C(0xb6db6db6db6db6db), true };
        numa_mask_format(&m, buf, sizeof(buf));
        assert_int_equal(strlen(buf), 125);
        assert_int_equal(strncmp(buf, "0-1,3-4,6-7,9-10,12-13,", 23), 0);
        assert_string_equal(buf + strlen(buf) - 13, ",60-61,63,64+");
        m = (struct numa_mask){ UINT64_C(0x5555555555555555), false };
        numa_mask_format(&m, buf, sizeof(buf));
        assert_int_equal(strlen(buf), 90);
        assert_int_equal(strncmp(buf, "0,2,4,", 6), 0);
        assert_string_equal(buf + strlen(buf) - 3, ",62");
        /* A small buffer is cut, never overrun. */
        char small[4];
        m = mask_of("0-3,8,10-11");
        numa_mask_format(&m, small, sizeof(small));
        assert_true(strlen(small) < sizeof(small));
}

static void test_mask_subset(void **state)
{
        struct numa_mask n01 = mask_of("0-1"), n0 = mask_of("0"), n1 = mask_of("1"), n012 = mask_of("0-2");
        struct numa_mask empty = { 0, false }, high = mask_of("0,64"), all = mask_of("0-1023");

        assert_true(numa_mask_subset(&n0, &n01));
        assert_true(numa_mask_subset(&n01, &n01));
        assert_true(numa_mask_subset(&n01, &n012));
        assert_false(numa_mask_subset(&n012, &n01)); /* may allocate on node 2 too */
        assert_false(numa_mask_subset(&n01, &n1));
        /* Unknown (no Mems_allowed_list): in no domain. */
        assert_false(numa_mask_subset(&empty, &n01));
        /* Nodes past 63 are not in a set of low nodes. */
        assert_false(numa_mask_subset(&high, &n01));
        assert_false(numa_mask_subset(&all, &n012));
        assert_true(numa_mask_subset(&n01, &all));
        assert_true(numa_mask_equal(&n01, &n01));
        assert_false(numa_mask_equal(&n01, &n012));
}

/* ---- meminfo -------------------------------------------------------------- */

static void read_fixture_file(const char *rel, char *buf, size_t size)
{
        char path[512];

        snprintf(path, sizeof(path), "%s/%s", FIXTURES, rel);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                fail_msg("open %s: %s", path, strerror(errno));
        ssize_t n = pread_file(fd, buf, size);
        close(fd);
        assert_true(n > 0);
}

static void test_meminfo_parse_node(void **state)
{
        char buf[4096];
        struct numa_meminfo mi;
        int node = -5;

        read_fixture_file("numa-4node/sys/devices/system/node/node0/meminfo", buf, sizeof(buf));
        assert_int_equal(numa_meminfo_parse(buf, &mi, &node), 0);
        assert_int_equal(node, 0);
        assert_int_equal(mi.mem_total_kib, 4194304);
        assert_int_equal(mi.mem_free_kib, 1048576);
        assert_int_equal(mi.active_file_kib, 262144);
        assert_int_equal(mi.inactive_file_kib, 524288);
        assert_int_equal(mi.kreclaimable_kib, 131072); /* not SReclaimable's 120000 */
        assert_int_equal(mi.mem_available_kib, 0);
        assert_int_equal(mi.swap_total_kib, 0);

        read_fixture_file("numa-4node/sys/devices/system/node/node3/meminfo", buf, sizeof(buf));
        assert_int_equal(numa_meminfo_parse(buf, &mi, &node), 0);
        assert_int_equal(node, 3);
        assert_int_equal(mi.mem_free_kib, 1024);

        /* Before 4.20 there is no KReclaimable: SReclaimable stands in. */
        assert_int_equal(numa_meminfo_parse("Node 12 MemTotal:  100 kB\nNode 12 MemFree:  50 kB\n"
                                            "Node 12 Active(file):  4 kB\nNode 12 Inactive(file):  6 kB\n"
                                            "Node 12 SReclaimable:  7 kB\nNode 12 HugePages_Total:     0\n",
                                            &mi, &node),
                         0);
        assert_int_equal(node, 12);
        assert_int_equal(mi.kreclaimable_kib, 7);
        assert_int_equal(mi.mem_total_kib, 100);
}

static void test_meminfo_parse_system(void **state)
{
        char buf[4096];
        struct numa_meminfo mi;
        int node = 7;

        read_fixture_file("numa-4node/proc/meminfo", buf, sizeof(buf));
        assert_int_equal(numa_meminfo_parse(buf, &mi, &node), 0);
        assert_int_equal(node, -1);
        assert_int_equal(mi.mem_total_kib, 25165824);
        assert_int_equal(mi.mem_free_kib, 7341056);
        assert_int_equal(mi.mem_available_kib, 10173440);
        assert_int_equal(mi.active_file_kib, 919552);
        assert_int_equal(mi.inactive_file_kib, 1839104);
        assert_int_equal(mi.kreclaimable_kib, 466944);
        assert_int_equal(mi.swap_total_kib, 2097152);
        assert_int_equal(mi.swap_free_kib, 1048576);
        /* ret_node is optional. */
        assert_int_equal(numa_meminfo_parse(buf, &mi, NULL), 0);
}

static void test_meminfo_parse_malformed(void **state)
{
        static const char *const bad[] = {
                "",
                /* a required key missing (Inactive(file)) */
                "Node 0 MemTotal: 1 kB\nNode 0 MemFree: 1 kB\nNode 0 Active(file): 1 kB\n",
                /* lines of two nodes */
                "Node 0 MemTotal: 1 kB\nNode 1 MemFree: 1 kB\nNode 0 Active(file): 1 kB\n"
                "Node 0 Inactive(file): 1 kB\n",
                /* a node's lines and a system line */
                "Node 0 MemTotal: 1 kB\nMemFree: 1 kB\nNode 0 Active(file): 1 kB\n"
                "Node 0 Inactive(file): 1 kB\n",
                /* "Node" without a number */
                "Node x MemTotal: 1 kB\n",
                "Node 0MemTotal: 1 kB\n",
                /* bad values */
                "Node 0 MemTotal: many kB\nNode 0 MemFree: 1 kB\nNode 0 Active(file): 1 kB\n"
                "Node 0 Inactive(file): 1 kB\n",
                "Node 0 MemTotal: 1 MB\nNode 0 MemFree: 1 kB\nNode 0 Active(file): 1 kB\n"
                "Node 0 Inactive(file): 1 kB\n",
                "Node 0 MemTotal: 99999999999999999999 kB\nNode 0 MemFree: 1 kB\n"
                "Node 0 Active(file): 1 kB\nNode 0 Inactive(file): 1 kB\n",
                /* /proc/meminfo without MemAvailable (before 3.14) */
                "MemTotal: 10 kB\nMemFree: 5 kB\nActive(file): 1 kB\nInactive(file): 1 kB\n",
        };
        struct numa_meminfo mi;

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                if (numa_meminfo_parse(bad[i], &mi, NULL) != -EINVAL)
                        fail_msg("meminfo #%zu accepted", i);
}

static void test_estimate(void **state)
{
        struct numa_meminfo system = {
                .mem_total_kib = 1000000,
                .mem_free_kib = 300000,
                .active_file_kib = 100000,
                .inactive_file_kib = 100000,
                .kreclaimable_kib = 50000,
                .mem_available_kib = 500000, /* 50000 of reserves */
                .swap_total_kib = 200000,
                .swap_free_kib = 150000,
        };
        struct numa_meminfo quarter = {
                .mem_total_kib = 250000,
                .mem_free_kib = 100000,
                .active_file_kib = 20000,
                .inactive_file_kib = 30000,
                .kreclaimable_kib = 10000,
        };
        uint64_t allowable;

        /* A quarter of the memory takes a quarter of the reserves:
         * 160000 - 12500 + 150000 of swap. */
        assert_int_equal(numa_estimate(&quarter, &system, &allowable), 297500);
        assert_int_equal(allowable, 450000);

        /* The whole machine: exactly MemAvailable + SwapFree. */
        assert_int_equal(numa_estimate(&system, &system, &allowable), 650000);
        assert_int_equal(allowable, 1200000);

        /* Reserves larger than what the nodes have: 0, plus the swap. */
        quarter.mem_free_kib = 1000;
        quarter.active_file_kib = quarter.inactive_file_kib = quarter.kreclaimable_kib = 0;
        assert_int_equal(numa_estimate(&quarter, &system, &allowable), 150000);

        /* MemAvailable above the gross figure (it never is): no negative
         * reserve. */
        system.mem_available_kib = 900000;
        quarter.mem_free_kib = 100000;
        assert_int_equal(numa_estimate(&quarter, &system, &allowable), 250000);

        /* Petabyte figures do not overflow. */
        struct numa_meminfo big = {
                .mem_total_kib = UINT64_C(1) << 50,
                .mem_free_kib = UINT64_C(1) << 49,
                .mem_available_kib = (UINT64_C(1) << 49) - (UINT64_C(1) << 40),
        };
        struct numa_meminfo half = {
                .mem_total_kib = UINT64_C(1) << 49,
                .mem_free_kib = UINT64_C(1) << 48,
        };
        assert_int_equal(numa_estimate(&half, &big, &allowable), (UINT64_C(1) << 48) - (UINT64_C(1) << 39));
        assert_int_equal(allowable, UINT64_C(1) << 49);
}

/* ---- cpusets -------------------------------------------------------------- */

static void test_cpuset_v1(void **state)
{
        int sysfd = open_sys("numa-4node");
        char file[NUMA_PATH_MAX];
        struct numa_mask m;

        /* The hybrid's v2 hierarchy has no cpuset: v1 answers. */
        assert_int_equal(numa_cpuset_read(sysfd, "fs/cgroup/unified", "/web", &m, file), 0);
        assert_int_equal(m.bits, 0xc);
        assert_string_equal(file, "fs/cgroup/cpuset/web/cpuset.effective_mems");
        /* The effective nodes, not the configured ones. */
        assert_int_equal(numa_cpuset_read(sysfd, "fs/cgroup/unified", "/web/child", &m, file), 0);
        assert_int_equal(m.bits, 0xc);
        /* Without cpuset.effective_mems: cpuset.mems. */
        assert_int_equal(numa_cpuset_read(sysfd, NULL, "/old", &m, file), 0);
        assert_int_equal(m.bits, 0x2);
        assert_string_equal(file, "fs/cgroup/cpuset/old/cpuset.mems");
        /* The root. */
        assert_int_equal(numa_cpuset_read(sysfd, "", "/", &m, NULL), 0);
        assert_int_equal(m.bits, 0xf);

        assert_int_equal(numa_cpuset_read(sysfd, NULL, "/nosuch", &m, NULL), -ENOENT);
        assert_int_equal(numa_cpuset_read(sysfd, NULL, "/bad", &m, NULL), -EINVAL);
        assert_int_equal(numa_cpuset_read(sysfd, NULL, "web", &m, NULL), -EINVAL); /* not absolute */
        assert_int_equal(numa_cpuset_read(sysfd, NULL, "/empty", &m, NULL), 0);
        assert_true(numa_mask_empty(&m));

        char longpath[NUMA_PATH_MAX + 8];
        memset(longpath, 'a', sizeof(longpath) - 1);
        longpath[0] = '/';
        longpath[sizeof(longpath) - 1] = '\0';
        assert_int_equal(numa_cpuset_read(sysfd, NULL, longpath, &m, NULL), -ENAMETOOLONG);
        close(sysfd);
}

static void test_cpuset_v2(void **state)
{
        int sysfd = open_sys("numa-v2");
        char file[NUMA_PATH_MAX];
        struct numa_mask m;

        assert_int_equal(numa_cpuset_read(sysfd, "fs/cgroup", "/db", &m, file), 0);
        assert_int_equal(m.bits, 0x2);
        assert_string_equal(file, "fs/cgroup/db/cpuset.mems.effective");
        /* An empty cpuset.mems means the parent's: effective counts. */
        assert_int_equal(numa_cpuset_read(sysfd, "fs/cgroup", "/app", &m, NULL), 0);
        assert_int_equal(m.bits, 0x3);
        assert_int_equal(numa_cpuset_read(sysfd, "fs/cgroup", "/", &m, file), 0);
        assert_int_equal(m.bits, 0x3);
        assert_string_equal(file, "fs/cgroup/cpuset.mems.effective");
        /* cpuset not enabled for that cgroup, and no v1 hierarchy. */
        assert_int_equal(numa_cpuset_read(sysfd, "fs/cgroup", "/nocpuset", &m, NULL), -ENOENT);
        close(sysfd);
}

/* ---- the memory of node sets ---------------------------------------------- */

static void test_domain_nodes(void **state)
{
        int sysfd = open_sys("numa-4node"), meminfo_fd = open_meminfo("numa-4node");
        struct numa_domain nd;
        struct numa_memory mem;
        struct numa_mask m;

        m = mask_of("2-3");
        assert_int_equal(numa_domain_open_nodes(&nd, sysfd, &m), 0);
        assert_int_equal(nd.n_nodes, 2);
        assert_int_equal(numa_domain_read(&nd, meminfo_fd, &mem), 0);
        assert_int_equal(mem.allowable_kib, 18874368);
        assert_int_equal(mem.available_kib, 6831104);
        assert_int_equal(mem.nodes.mem_total_kib, 16777216);
        assert_int_equal(mem.nodes.mem_free_kib, 4195328);
        assert_false(nd.mask_changed);
        /* Read again from the same fds: the same figures. */
        assert_int_equal(numa_domain_read(&nd, meminfo_fd, &mem), 0);
        assert_int_equal(mem.available_kib, 6831104);
        numa_domain_close(&nd);
        assert_false(nd.open);
        numa_domain_close(&nd); /* twice is fine */
        assert_int_equal(numa_domain_read(&nd, meminfo_fd, &mem), -EBADF);

        m = mask_of("1");
        assert_int_equal(numa_domain_open_nodes(&nd, sysfd, &m), 0);
        assert_int_equal(numa_domain_read(&nd, meminfo_fd, &mem), 0);
        assert_int_equal(mem.allowable_kib, 6291456);
        assert_int_equal(mem.available_kib, 3538944);
        numa_domain_close(&nd);

        /* Node 4 does not exist; empty and high sets are refused. */
        m = mask_of("2,4");
        assert_int_equal(numa_domain_open_nodes(&nd, sysfd, &m), -ENOENT);
        assert_false(nd.open);
        m = mask_of("");
        assert_int_equal(numa_domain_open_nodes(&nd, sysfd, &m), -EINVAL);
        m = mask_of("0,64");
        assert_int_equal(numa_domain_open_nodes(&nd, sysfd, &m), -ERANGE);

        /* A zeroed struct closes safely. */
        memset(&nd, 0, sizeof(nd));
        numa_domain_close(&nd);
        close(meminfo_fd);
        close(sysfd);
}

static void test_domain_v2_whole_machine(void **state)
{
        int sysfd = open_sys("numa-v2"), meminfo_fd = open_meminfo("numa-v2");
        struct numa_domain nd;
        struct numa_memory mem;

        /* /db: node 1. */
        assert_int_equal(numa_domain_open_cpuset(&nd, sysfd, "fs/cgroup", "/db"), 0);
        assert_int_equal(nd.mask.bits, 0x2);
        assert_string_equal(nd.cpuset_file, "fs/cgroup/db/cpuset.mems.effective");
        assert_int_equal(numa_domain_read(&nd, meminfo_fd, &mem), 0);
        assert_false(nd.mask_changed);
        assert_int_equal(mem.allowable_kib, 2097152);
        assert_int_equal(mem.available_kib, 1736704);
        numa_domain_close(&nd);

        /* All the nodes: the kernel's MemAvailable exactly. */
        assert_int_equal(numa_domain_open_cpuset(&nd, sysfd, "fs/cgroup", "/"), 0);
        assert_int_equal(numa_domain_read(&nd, meminfo_fd, &mem), 0);
        assert_int_equal(mem.allowable_kib, 4194304);
        assert_int_equal(mem.available_kib, 2654208);
        numa_domain_close(&nd);

        assert_int_equal(numa_domain_open_cpuset(&nd, sysfd, "fs/cgroup", "/nocpuset"), -ENOENT);
        close(meminfo_fd);
        close(sysfd);

        /* v1: an empty cpuset and one on a node that does not exist. */
        sysfd = open_sys("numa-4node");
        assert_int_equal(numa_domain_open_cpuset(&nd, sysfd, NULL, "/empty"), -EINVAL);
        assert_int_equal(numa_domain_open_cpuset(&nd, sysfd, NULL, "/far"), -ENOENT);
        assert_int_equal(numa_domain_open_cpuset(&nd, sysfd, NULL, "/bad"), -EINVAL);
        assert_false(nd.open);
        close(sysfd);
}

/* ---- a cpuset that changes, in a scratch copy ---------------------------- */

struct scratch {
        char dir[64];
        int sysfd;
        int meminfo_fd;
};

static void write_text(const char *dir, const char *rel, const char *text)
{
        char path[512];

        snprintf(path, sizeof(path), "%s/%s", dir, rel);
        /* mkdir -p of the parents */
        for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
                *p = '\0';
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        fail_msg("mkdir %s: %s", path, strerror(errno));
                *p = '/';
        }
        /* In place, not by rename: the domain's open fd must see it, as it
         * sees the kernel's cpuset file change. */
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                fail_msg("open %s: %s", path, strerror(errno));
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
}

static void copy_fixture_file(const char *dir, const char *scenario, const char *rel)
{
        char buf[4096], src[256];

        snprintf(src, sizeof(src), "%s/%s", scenario, rel);
        read_fixture_file(src, buf, sizeof(buf));
        write_text(dir, rel, buf);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        return remove(path);
}

static int scratch_setup(void **state)
{
        struct scratch *s = calloc(1, sizeof(*s));

        assert_non_null(s);
        strcpy(s->dir, "/tmp/test_numa.XXXXXX");
        assert_non_null(mkdtemp(s->dir));
        for (int n = 0; n < 4; n++) {
                char rel[64];
                snprintf(rel, sizeof(rel), "sys/devices/system/node/node%d/meminfo", n);
                copy_fixture_file(s->dir, "numa-4node", rel);
        }
        copy_fixture_file(s->dir, "numa-4node", "proc/meminfo");
        write_text(s->dir, "sys/fs/cgroup/cpuset/web/cpuset.effective_mems", "2-3\n");

        char path[128];
        snprintf(path, sizeof(path), "%s/sys", s->dir);
        s->sysfd = open_dir(path);
        snprintf(path, sizeof(path), "%s/proc/meminfo", s->dir);
        s->meminfo_fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(s->meminfo_fd >= 0);
        *state = s;
        return 0;
}

static int scratch_teardown(void **state)
{
        struct scratch *s = *state;

        close(s->sysfd);
        close(s->meminfo_fd);
        nftw(s->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(s);
        return 0;
}

static void test_domain_follows_cpuset(void **state)
{
        struct scratch *s = *state;
        struct numa_domain nd;
        struct numa_memory mem;

        assert_int_equal(numa_domain_open_cpuset(&nd, s->sysfd, NULL, "/web"), 0);
        assert_int_equal(numa_domain_read(&nd, s->meminfo_fd, &mem), 0);
        assert_false(nd.mask_changed);
        assert_int_equal(mem.available_kib, 6831104);

        /* The cpuset moves to node 1: the next read follows. */
        write_text(s->dir, "sys/fs/cgroup/cpuset/web/cpuset.effective_mems", "1\n");
        assert_int_equal(numa_domain_read(&nd, s->meminfo_fd, &mem), 0);
        assert_true(nd.mask_changed);
        assert_int_equal(nd.mask.bits, 0x2);
        assert_int_equal(nd.n_nodes, 1);
        assert_int_equal(mem.allowable_kib, 6291456);
        assert_int_equal(mem.available_kib, 3538944);
        assert_int_equal(numa_domain_read(&nd, s->meminfo_fd, &mem), 0);
        assert_false(nd.mask_changed);

        /* To a node that does not exist: an error, and the old nodes stay. */
        write_text(s->dir, "sys/fs/cgroup/cpuset/web/cpuset.effective_mems", "1,7\n");
        assert_int_equal(numa_domain_read(&nd, s->meminfo_fd, &mem), -ENOENT);
        assert_int_equal(nd.mask.bits, 0x2);
        /* Garbage and an empty set are errors too. */
        write_text(s->dir, "sys/fs/cgroup/cpuset/web/cpuset.effective_mems", "x\n");
        assert_int_equal(numa_domain_read(&nd, s->meminfo_fd, &mem), -EINVAL);
        write_text(s->dir, "sys/fs/cgroup/cpuset/web/cpuset.effective_mems", "\n");
        assert_int_equal(numa_domain_read(&nd, s->meminfo_fd, &mem), -EINVAL);

        /* Back to two nodes. */
        write_text(s->dir, "sys/fs/cgroup/cpuset/web/cpuset.effective_mems", "2-3\n");
        assert_int_equal(numa_domain_read(&nd, s->meminfo_fd, &mem), 0);
        assert_true(nd.mask_changed);
        assert_int_equal(mem.available_kib, 6831104);
        numa_domain_close(&nd);
}

static void test_domain_wrong_node_file(void **state)
{
        struct scratch *s = *state;
        struct numa_domain nd;
        struct numa_memory mem;
        struct numa_mask m = mask_of("1-2");

        /* node2/meminfo holding node 0's lines: refused, not summed. */
        copy_fixture_file(s->dir, "numa-4node", "sys/devices/system/node/node0/meminfo");
        char src[4096];
        read_fixture_file("numa-4node/sys/devices/system/node/node0/meminfo", src, sizeof(src));
        write_text(s->dir, "sys/devices/system/node/node2/meminfo", src);
        assert_int_equal(numa_domain_open_nodes(&nd, s->sysfd, &m), 0);
        assert_int_equal(numa_domain_read(&nd, s->meminfo_fd, &mem), -EINVAL);
        numa_domain_close(&nd);
}

/* ---- this machine --------------------------------------------------------- */

static void test_real_node0(void **state)
{
        struct numa_domain nd;
        struct numa_memory mem;
        struct numa_meminfo node0, system;
        struct numa_mask m = mask_of("0");
        char buf[4096];
        int sysfd, meminfo_fd;

        if (access("/sys/devices/system/node/node0/meminfo", R_OK) < 0)
                skip();
        sysfd = open_dir("/sys");
        meminfo_fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
        assert_true(meminfo_fd >= 0);
        assert_int_equal(numa_domain_open_nodes(&nd, sysfd, &m), 0);
        assert_int_equal(numa_domain_read(&nd, meminfo_fd, &mem), 0);

        /* MemTotal and SwapTotal do not move: allowable is node 0's
         * MemTotal plus the swap, read here independently. */
        int fd = open("/sys/devices/system/node/node0/meminfo", O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_true(pread_file(fd, buf, sizeof(buf)) > 0);
        close(fd);
        assert_int_equal(numa_meminfo_parse(buf, &node0, NULL), 0);
        assert_true(pread_file(meminfo_fd, buf, sizeof(buf)) > 0);
        assert_int_equal(numa_meminfo_parse(buf, &system, NULL), 0);
        assert_int_equal(mem.allowable_kib, node0.mem_total_kib + system.swap_total_kib);
        assert_true(mem.available_kib > 0);
        assert_true(mem.available_kib <= mem.allowable_kib);
        numa_domain_close(&nd);
        close(meminfo_fd);
        close(sysfd);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mask_parse),
                cmocka_unit_test(test_mask_format),
                cmocka_unit_test(test_mask_subset),
                cmocka_unit_test(test_meminfo_parse_node),
                cmocka_unit_test(test_meminfo_parse_system),
                cmocka_unit_test(test_meminfo_parse_malformed),
                cmocka_unit_test(test_estimate),
                cmocka_unit_test(test_cpuset_v1),
                cmocka_unit_test(test_cpuset_v2),
                cmocka_unit_test(test_domain_nodes),
                cmocka_unit_test(test_domain_v2_whole_machine),
                cmocka_unit_test_setup_teardown(test_domain_follows_cpuset, scratch_setup, scratch_teardown),
                cmocka_unit_test_setup_teardown(test_domain_wrong_node_file, scratch_setup, scratch_teardown),
                cmocka_unit_test(test_real_node0),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
