/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup.h"
#include "util.h"

#define UNLIMITED_V1 UINT64_C(9223372036854771712) /* 0x7ffffffffffff000 */

static int open_dir(const char *path)
{
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        return fd;
}

/* ---- detection ---- */

static void test_detect_v2(void **state)
{
        struct cgroup_mounts m;
        int fd = open_dir(FIXTURES "/cgroup-v2/sys");

        (void)state;
        assert_int_equal(cgroup_detect(fd, &m), 0);
        close(fd);
        assert_string_equal(m.v2, "fs/cgroup");
        assert_true(m.v2_has_memory);
        assert_string_equal(m.v1_memory, "");
}

static void test_detect_v1(void **state)
{
        struct cgroup_mounts m;
        int fd = open_dir(FIXTURES "/cgroup-v1/sys");

        (void)state;
        assert_int_equal(cgroup_detect(fd, &m), 0);
        close(fd);
        assert_string_equal(m.v2, "");
        assert_false(m.v2_has_memory);
        assert_string_equal(m.v1_memory, "fs/cgroup/memory");
}

static void test_detect_hybrid(void **state)
{
        struct cgroup_mounts m;
        int fd = open_dir(FIXTURES "/cgroup-hybrid/sys");

        (void)state;
        assert_int_equal(cgroup_detect(fd, &m), 0);
        close(fd);
        assert_string_equal(m.v2, "fs/cgroup/unified");
        /* unified/cgroup.controllers is "hugetlb": memory is bound to v1. */
        assert_false(m.v2_has_memory);
        assert_string_equal(m.v1_memory, "fs/cgroup/memory");
}

static void test_detect_none(void **state)
{
        struct cgroup_mounts m;
        /* The fixture's sys/fs: it has a cgroup/, but no fs/cgroup/. */
        int fd = open_dir(FIXTURES "/cgroup-v2/sys/fs");

        (void)state;
        assert_int_equal(cgroup_detect(fd, &m), -ENOENT);
        close(fd);
}

/* The running host: whatever it has must be found where it is. */
static void test_detect_real(void **state)
{
        struct cgroup_mounts m;
        int fd = open_dir("/sys");
        int r = cgroup_detect(fd, &m);

        (void)state;
        if (r == -ENOENT) {
                close(fd);
                print_message("skipped: no cgroup hierarchy under /sys/fs/cgroup\n");
                skip();
        }
        assert_int_equal(r, 0);
        if (faccessat(fd, "fs/cgroup/cgroup.controllers", F_OK, 0) == 0) {
                assert_string_equal(m.v2, "fs/cgroup");
        } else {
                if (faccessat(fd, "fs/cgroup/memory/memory.limit_in_bytes", F_OK, 0) == 0)
                        assert_string_equal(m.v1_memory, "fs/cgroup/memory");
                if (faccessat(fd, "fs/cgroup/unified/cgroup.controllers", F_OK, 0) == 0)
                        assert_string_equal(m.v2, "fs/cgroup/unified");
        }
        close(fd);
}

/* ---- pure parsers ---- */

static void test_parse_limit(void **state)
{
        uint64_t v = 0;

        (void)state;
        assert_int_equal(cgroup_parse_limit("max\n", &v), 0);
        assert_true(v == CGROUP_LIMIT_MAX);
        v = 0;
        assert_int_equal(cgroup_parse_limit("max", &v), 0);
        assert_true(v == CGROUP_LIMIT_MAX);
        assert_int_equal(cgroup_parse_limit("536870912\n", &v), 0);
        assert_int_equal(v, 536870912);
        assert_int_equal(cgroup_parse_limit("0\n", &v), 0);
        assert_int_equal(v, 0);
        /* v1 "unlimited" on x86-64 (4 KiB pages), arm64 with 64 KiB pages,
         * pre-3.19 kernels and 32-bit kernels. */
        assert_int_equal(cgroup_parse_limit("9223372036854771712\n", &v), 0);
        assert_true(v == CGROUP_LIMIT_MAX);
        v = 0;
        assert_int_equal(cgroup_parse_limit("9223372036854710272\n", &v), 0);
        assert_true(v == CGROUP_LIMIT_MAX);
        v = 0;
        assert_int_equal(cgroup_parse_limit("9223372036854775807\n", &v), 0);
        assert_true(v == CGROUP_LIMIT_MAX);
        v = 0;
        assert_int_equal(cgroup_parse_limit("18446744073709551615\n", &v), 0);
        assert_true(v == CGROUP_LIMIT_MAX);
        v = 0;
        assert_int_equal(cgroup_parse_limit("8796093018112\n", &v), 0);
        assert_true(v == CGROUP_LIMIT_MAX);
        /* A real 8 TiB limit one page below the 32-bit value stays a limit. */
        assert_int_equal(cgroup_parse_limit("8796093014016\n", &v), 0);
        assert_int_equal(v, UINT64_C(8796093014016));

        assert_int_equal(cgroup_parse_limit("", &v), -EINVAL);
        assert_int_equal(cgroup_parse_limit("maxx\n", &v), -EINVAL);
        assert_int_equal(cgroup_parse_limit("-1\n", &v), -EINVAL);
        assert_int_equal(cgroup_parse_limit("12 34\n", &v), -EINVAL);
        assert_int_equal(cgroup_parse_limit("18446744073709551616\n", &v), -ERANGE);
}

static void test_limit_is_set(void **state)
{
        (void)state;
        assert_true(cgroup_limit_is_set(0));
        assert_true(cgroup_limit_is_set(UINT64_C(67108864)));
        assert_true(cgroup_limit_is_set((UINT64_C(1) << 62) - 4096));
        assert_false(cgroup_limit_is_set(UINT64_C(1) << 62));
        assert_false(cgroup_limit_is_set(UNLIMITED_V1));
        assert_false(cgroup_limit_is_set(CGROUP_LIMIT_MAX));
}

static void test_parse_memory_events(void **state)
{
        struct cgroup_memory m = { .limit_bytes = 123, .events_oom = 99, .events_low = 98 };

        (void)state;
        /* oom_kill before oom: "oom" must not match "oom_kill" or back. */
        assert_int_equal(cgroup_parse_memory_events("oom_kill 5\nhigh 17\nmax 3\noom 1\n"
                                                    "oom_group_kill 8\nsock_throttled 4\n",
                                                    &m),
                         0);
        assert_int_equal(m.limit_bytes, 123);
        assert_int_equal(m.events_low, 0);
        assert_int_equal(m.events_high, 17);
        assert_int_equal(m.events_max, 3);
        assert_int_equal(m.events_oom, 1);
        assert_int_equal(m.events_oom_kill, 5);

        assert_int_equal(cgroup_parse_memory_events("", &m), 0);
        assert_int_equal(m.events_high + m.events_max + m.events_oom + m.events_oom_kill, 0);

        m.events_max = 7;
        assert_int_equal(cgroup_parse_memory_events("max x\n", &m), -EINVAL);
        assert_int_equal(m.events_max, 7);
        assert_int_equal(cgroup_parse_memory_events("max \n", &m), -EINVAL);
        assert_int_equal(cgroup_parse_memory_events("oom 123456789012345678901234567890\n", &m), -EINVAL);
}

static void test_parse_oom_control(void **state)
{
        struct cgroup_memory m = { .usage_bytes = 5, .events_oom = 99 };

        (void)state;
        assert_int_equal(cgroup_parse_oom_control("oom_kill_disable 1\nunder_oom 1\noom_kill 12\n", &m), 0);
        assert_int_equal(m.events_oom_kill, 12);
        assert_int_equal(m.events_oom, 0);
        assert_int_equal(m.usage_bytes, 5);
        /* Before 4.13 there is no oom_kill line. */
        assert_int_equal(cgroup_parse_oom_control("oom_kill_disable 0\nunder_oom 0\n", &m), 0);
        assert_int_equal(m.events_oom_kill, 0);
        assert_int_equal(cgroup_parse_oom_control("oom_kill -1\n", &m), -EINVAL);
}

/* ---- reading cgroup directories ---- */

static int read_at(const char *dir, enum cgroup_version v, struct cgroup_memory *m)
{
        int fd = open_dir(dir);
        int r = cgroup_read_memory(fd, v, m);

        close(fd);
        return r;
}

#define V2 FIXTURES "/cgroup-v2/sys/fs/cgroup"
#define V1 FIXTURES "/cgroup-v1/sys/fs/cgroup/memory"
#define HY FIXTURES "/cgroup-hybrid/sys/fs/cgroup/memory"

static void test_read_v2(void **state)
{
        struct cgroup_memory m;

        (void)state;
        assert_int_equal(read_at(V2 "/system.slice/foo.service", CGROUP_V2, &m), 0);
        assert_int_equal(m.limit_bytes, 536870912);
        assert_int_equal(m.swap_limit_bytes, 268435456);
        assert_int_equal(m.usage_bytes, 409600000);
        assert_int_equal(m.events_low, 0);
        assert_int_equal(m.events_high, 7);
        assert_int_equal(m.events_max, 42);
        assert_int_equal(m.events_oom, 3);
        assert_int_equal(m.events_oom_kill, 2);
        /* memory.stat inactive_file: 144 MiB of cache the kernel drops first. */
        assert_int_equal(m.inactive_file_bytes, 150994944);

        assert_int_equal(read_at(V2 "/system.slice", CGROUP_V2, &m), 0);
        /* No memory.stat: nothing counts as reclaimable. */
        assert_int_equal(m.inactive_file_bytes, 0);
        assert_true(m.limit_bytes == CGROUP_LIMIT_MAX);
        assert_true(m.swap_limit_bytes == CGROUP_LIMIT_MAX);
        assert_int_equal(m.usage_bytes, 734003200);
        assert_int_equal(m.events_max, 0);

        /* memory.swap.max = 0: no swap allowed. */
        assert_int_equal(read_at(V2 "/user.slice/user-1000.slice/app.slice/firefox.scope", CGROUP_V2, &m), 0);
        assert_int_equal(m.limit_bytes, 2147483648);
        assert_int_equal(m.swap_limit_bytes, 0);

        /* The root and a cgroup without the memory controller have no memory.max. */
        assert_int_equal(read_at(V2, CGROUP_V2, &m), -ENOENT);
        assert_int_equal(read_at(V2 "/nomem.slice", CGROUP_V2, &m), -ENOENT);
        assert_int_equal(read_at(V2 "/system.slice", 3, &m), -EINVAL);
}

static void test_parse_memory_stat(void **state)
{
        struct cgroup_memory m = { .inactive_file_bytes = 99 };

        (void)state;
        /* v1 takes the hierarchical total_ key, not the cgroup's own. */
        assert_int_equal(
                cgroup_parse_memory_stat("inactive_file 100\ntotal_inactive_file 300\n", CGROUP_V1, &m), 0);
        assert_int_equal(m.inactive_file_bytes, 300);
        assert_int_equal(
                cgroup_parse_memory_stat("inactive_file 100\ntotal_inactive_file 300\n", CGROUP_V2, &m), 0);
        assert_int_equal(m.inactive_file_bytes, 100);
        /* Absent key: 0, not the old value. */
        assert_int_equal(cgroup_parse_memory_stat("anon 5\n", CGROUP_V2, &m), 0);
        assert_int_equal(m.inactive_file_bytes, 0);
        m.inactive_file_bytes = 7;
        assert_int_equal(cgroup_parse_memory_stat("inactive_file x\n", CGROUP_V2, &m), -EINVAL);
        assert_int_equal(m.inactive_file_bytes, 7);
}

static void test_read_v1_stat(void **state)
{
        struct cgroup_memory m;

        (void)state;
        assert_int_equal(read_at(V1 "/system.slice", CGROUP_V1, &m), 0);
        assert_int_equal(m.inactive_file_bytes, 83886080);
}

static void test_read_v1(void **state)
{
        struct cgroup_memory m;

        (void)state;
        /* memsw 768 MiB - limit 512 MiB = 256 MiB of swap. */
        assert_int_equal(read_at(V1 "/system.slice/foo.service", CGROUP_V1, &m), 0);
        assert_int_equal(m.limit_bytes, 536870912);
        assert_int_equal(m.swap_limit_bytes, 268435456);
        assert_int_equal(m.usage_bytes, 104857600);
        assert_int_equal(m.events_oom_kill, 3);
        assert_int_equal(m.events_oom + m.events_max + m.events_high + m.events_low, 0);

        /* Limited memory, unlimited memsw: swap unlimited. */
        assert_int_equal(read_at(V1 "/user.slice", CGROUP_V1, &m), 0);
        assert_int_equal(m.limit_bytes, 4294967296);
        assert_true(m.swap_limit_bytes == CGROUP_LIMIT_MAX);
        assert_int_equal(m.events_oom_kill, 1);

        /* memsw == limit: no swap. */
        assert_int_equal(read_at(V1 "/user.slice/user-1000.slice/session-2.scope", CGROUP_V1, &m), 0);
        assert_int_equal(m.swap_limit_bytes, 0);

        /* The root: 9223372036854771712 is "unlimited". */
        assert_int_equal(read_at(V1, CGROUP_V1, &m), 0);
        assert_true(m.limit_bytes == CGROUP_LIMIT_MAX);
        assert_true(m.swap_limit_bytes == CGROUP_LIMIT_MAX);
        assert_int_equal(m.usage_bytes, 2147483648);

        /* Pre-3.19 LLONG_MAX and no oom_kill line. */
        assert_int_equal(read_at(V1 "/old-kernel", CGROUP_V1, &m), 0);
        assert_true(m.limit_bytes == CGROUP_LIMIT_MAX);
        assert_int_equal(m.usage_bytes, 4096);
        assert_int_equal(m.events_oom_kill, 0);

        /* Hybrid host without swap accounting: no memsw files at all. */
        assert_int_equal(read_at(HY "/process_api/d5999deec59bb3000605610a8e772b30/job", CGROUP_V1, &m), 0);
        assert_int_equal(m.limit_bytes, 67108864);
        assert_true(m.swap_limit_bytes == CGROUP_LIMIT_MAX);
        assert_int_equal(m.usage_bytes, 1048576);

        /* A v2 directory read as v1. */
        assert_int_equal(read_at(V2 "/system.slice/foo.service", CGROUP_V1, &m), -ENOENT);
}

/* ---- find_limited ---- */

#define MAX_FOUND 16

struct found {
        unsigned n;
        char path[MAX_FOUND][CGROUP_PATH_MAX];
        struct cgroup_memory mem[MAX_FOUND];
        int stop_with; /* returned by the callback when non-zero */
};

static int collect(const char *path, const struct cgroup_memory *mem, void *userdata)
{
        struct found *f = userdata;

        assert_true(f->n < MAX_FOUND);
        assert_true(strscpy(f->path[f->n], path, sizeof(f->path[0])));
        f->mem[f->n] = *mem;
        f->n++;
        return f->stop_with;
}

static const struct cgroup_memory *lookup(const struct found *f, const char *path)
{
        for (unsigned i = 0; i < f->n; i++)
                if (strcmp(f->path[i], path) == 0)
                        return &f->mem[i];
        return NULL;
}

static int find(const char *root, enum cgroup_version v, unsigned depth, struct found *f)
{
        int fd = open_dir(root);
        int r;

        memset(f, 0, sizeof(*f));
        r = cgroup_find_limited(fd, v, depth, collect, f);
        close(fd);
        return r;
}

static void test_find_v2(void **state)
{
        struct found f;
        const struct cgroup_memory *m;

        (void)state;
        assert_int_equal(find(V2, CGROUP_V2, 0, &f), 0);
        assert_int_equal(f.n, 0);

        assert_int_equal(find(V2, CGROUP_V2, 1, &f), 1);
        assert_int_equal(f.n, 1);
        assert_non_null(lookup(&f, "/user.slice"));

        assert_int_equal(find(V2, CGROUP_V2, 3, &f), 2);
        assert_non_null(lookup(&f, "/user.slice"));
        assert_non_null(m = lookup(&f, "/system.slice/foo.service"));
        assert_int_equal(m->limit_bytes, 536870912);
        assert_int_equal(m->events_max, 42);

        assert_int_equal(find(V2, CGROUP_V2, 4, &f), 3);
        assert_int_equal(f.n, 3);
        assert_non_null(lookup(&f, "/user.slice"));
        assert_non_null(lookup(&f, "/system.slice/foo.service"));
        assert_non_null(m = lookup(&f, "/user.slice/user-1000.slice/app.slice/firefox.scope"));
        assert_int_equal(m->limit_bytes, 2147483648);
        assert_int_equal(m->usage_bytes, 850000000);
        assert_int_equal(find(V2, CGROUP_V2, 64, &f), 3);
}

static void test_find_v1(void **state)
{
        struct found f;
        const struct cgroup_memory *m;

        (void)state;
        assert_int_equal(find(V1, CGROUP_V1, 1, &f), 1);
        assert_non_null(lookup(&f, "/user.slice"));

        assert_int_equal(find(V1, CGROUP_V1, 2, &f), 2);
        assert_non_null(lookup(&f, "/system.slice/foo.service"));

        assert_int_equal(find(V1, CGROUP_V1, 3, &f), 3);
        assert_non_null(lookup(&f, "/user.slice/user-1000.slice/session-2.scope"));

        assert_int_equal(find(V1, CGROUP_V1, 10, &f), 4);
        assert_int_equal(f.n, 4);
        assert_non_null(lookup(&f, "/user.slice"));
        assert_non_null(lookup(&f, "/system.slice/foo.service"));
        assert_non_null(lookup(&f, "/user.slice/user-1000.slice/session-2.scope"));
        assert_non_null(m = lookup(&f, "/user.slice/user-1000.slice/session-2.scope/inner"));
        assert_int_equal(m->limit_bytes, 268435456);
        assert_int_equal(m->swap_limit_bytes, 268435456);
        /* Unlimited ones are not reported. */
        assert_null(lookup(&f, "/old-kernel"));
        assert_null(lookup(&f, "/system.slice"));
        assert_null(lookup(&f, "/system.slice/bar.service"));
        assert_null(lookup(&f, "/user.slice/user-1000.slice"));
}

static void test_find_hybrid(void **state)
{
        struct found f;

        (void)state;
        assert_int_equal(find(HY, CGROUP_V1, 8, &f), 2);
        assert_non_null(lookup(&f, "/process_api/d5999deec59bb3000605610a8e772b30"));
        assert_non_null(lookup(&f, "/process_api/d5999deec59bb3000605610a8e772b30/job"));
        /* The unified hierarchy has no memory controller: nothing limited. */
        assert_int_equal(find(FIXTURES "/cgroup-hybrid/sys/fs/cgroup/unified", CGROUP_V2, 8, &f), 0);
}

static void test_find_stops(void **state)
{
        struct found f;
        int fd = open_dir(V1);

        (void)state;
        memset(&f, 0, sizeof(f));
        f.stop_with = -ECANCELED;
        assert_int_equal(cgroup_find_limited(fd, CGROUP_V1, 10, collect, &f), -ECANCELED);
        assert_int_equal(f.n, 1);
        assert_int_equal(cgroup_find_limited(fd, 7, 10, collect, &f), -EINVAL);
        /* The walk did not move rootfd's own directory offset. */
        assert_int_equal(lseek(fd, 0, SEEK_CUR), 0);
        close(fd);
}

/* ---- path_contains ---- */

static void test_path_contains(void **state)
{
        (void)state;
        assert_true(cgroup_path_contains("/a", "/a"));
        assert_true(cgroup_path_contains("/a", "/a/b"));
        assert_true(cgroup_path_contains("/a", "/a/b/c"));
        assert_false(cgroup_path_contains("/a", "/ab"));
        assert_false(cgroup_path_contains("/a", "/ab/c"));
        assert_false(cgroup_path_contains("/a/b", "/a"));
        assert_false(cgroup_path_contains("/a/b", "/a/bc/d"));
        assert_true(cgroup_path_contains("/", "/"));
        assert_true(cgroup_path_contains("/", "/a"));
        assert_true(cgroup_path_contains("/", "/system.slice/foo.service"));
        assert_true(cgroup_path_contains("/a/", "/a"));
        assert_true(cgroup_path_contains("/a/", "/a/b"));
        assert_false(cgroup_path_contains("/a/", "/ab"));
        assert_true(cgroup_path_contains("/system.slice", "/system.slice/foo.service"));
        assert_false(cgroup_path_contains("/system.slice", "/system.slice2/foo.service"));
        assert_false(cgroup_path_contains("", "/a"));
        assert_false(cgroup_path_contains("/a", ""));
        assert_false(cgroup_path_contains("/a", "a/b"));
        assert_false(cgroup_path_contains("a", "a/b"));
}

/* ---- v1 notifications ---- */

static int lowest_free_fd(void)
{
        int fd = dup(0);
        close(fd);
        return fd;
}

static void test_v1_events_errors(void **state)
{
        int before = lowest_free_fd();
        int fd = open_dir(V2 "/system.slice");

        (void)state;
        /* No memory.usage_in_bytes etc. in a v2 directory: nothing written. */
        assert_int_equal(cgroup_v1_usage_threshold_open(fd, 1 << 20), -ENOENT);
        assert_int_equal(cgroup_v1_oom_control_open(fd), -ENOENT);
        assert_int_equal(cgroup_v1_pressure_level_open(fd, "low"), -ENOENT);
        /* A level that could inject more into the control line. */
        assert_int_equal(cgroup_v1_pressure_level_open(fd, "low 5"), -EINVAL);
        assert_int_equal(cgroup_v1_pressure_level_open(fd, "low\n"), -EINVAL);
        assert_int_equal(cgroup_v1_pressure_level_open(fd, ""), -EINVAL);
        close(fd);
        /* Every error path closed its eventfd. */
        assert_int_equal(lowest_free_fd(), before);
}

/*
 * The real v1 memory controller: a child cgroup with a 64 MiB limit, a 1 MiB
 * usage threshold and an OOM eventfd. A child process that touches 4 MiB
 * inside it must fire the threshold (and not the OOM notification).
 */
#define REAL_V1 "/sys/fs/cgroup/memory"
#define TOUCH_BYTES (4u << 20)

struct real_v1 {
        int memfd, cgfd;
        int thr, oom, lvl;
        int go[2], done[2];
        pid_t child;
        char name[64];
        bool created;
};

/* *state is main()'s struct real_v1, given as the test's initial state. */
static int real_v1_setup(void **state)
{
        struct real_v1 *rv = *state;

        memset(rv, 0, sizeof(*rv));
        rv->memfd = rv->cgfd = rv->thr = rv->oom = rv->lvl = -1;
        rv->go[0] = rv->go[1] = rv->done[0] = rv->done[1] = -1;
        snprintf(rv->name, sizeof(rv->name), "triage-test-%d", (int)getpid());
        return 0;
}

static void close_fd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

static int real_v1_teardown(void **state)
{
        struct real_v1 *rv = *state;

        if (rv->child > 0) {
                kill(rv->child, SIGKILL);
                waitpid(rv->child, NULL, 0);
                rv->child = 0;
        }
        close_fd(&rv->thr);
        close_fd(&rv->oom);
        close_fd(&rv->lvl);
        close_fd(&rv->go[0]);
        close_fd(&rv->go[1]);
        close_fd(&rv->done[0]);
        close_fd(&rv->done[1]);
        close_fd(&rv->cgfd);
        if (rv->created && unlinkat(rv->memfd, rv->name, AT_REMOVEDIR) < 0)
                print_message("warning: rmdir %s/%s: %s\n", REAL_V1, rv->name, strerror(errno));
        close_fd(&rv->memfd);
        return 0;
}

/* In the child: wait for "go", touch TOUCH_BYTES, say "done", wait to die.
 * Never returns into cmocka. */
static void child_main(int go, int done)
{
        char c;
        char *p;

        if (read(go, &c, 1) != 1)
                _exit(1);
        p = mmap(NULL, TOUCH_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                _exit(2);
        memset(p, 0x5a, TOUCH_BYTES);
        if (write(done, "d", 1) != 1)
                _exit(3);
        for (;;)
                pause();
}

static int on_limited(const char *path, const struct cgroup_memory *mem, void *userdata)
{
        const char *want = userdata;

        if (strcmp(path + 1, want) == 0 && mem->limit_bytes == (UINT64_C(64) << 20))
                return -EEXIST; /* found: stop */
        return 0;
}

static void test_v1_events_real(void **state)
{
        struct real_v1 *rv = *state;
        struct cgroup_memory mem;
        struct pollfd p;
        uint64_t count;
        char pid[32], c;

        rv->memfd = open(REAL_V1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rv->memfd < 0 || faccessat(rv->memfd, "cgroup.event_control", F_OK, 0) < 0) {
                print_message("skipped: no cgroup v1 memory hierarchy at %s\n", REAL_V1);
                skip();
        }
        if (mkdirat(rv->memfd, rv->name, 0755) < 0) {
                print_message("skipped: cannot create %s/%s: %s\n", REAL_V1, rv->name, strerror(errno));
                skip();
        }
        rv->created = true;
        rv->cgfd = openat(rv->memfd, rv->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(rv->cgfd >= 0);
        assert_int_equal(write_file_at(rv->cgfd, "memory.limit_in_bytes", "67108864"), 0);

        rv->thr = cgroup_v1_usage_threshold_open(rv->cgfd, UINT64_C(1) << 20);
        assert_true(rv->thr >= 0);
        rv->oom = cgroup_v1_oom_control_open(rv->cgfd);
        assert_true(rv->oom >= 0);
        rv->lvl = cgroup_v1_pressure_level_open(rv->cgfd, "low");
        assert_true(rv->lvl >= 0);
        /* Both kinds of fd are non-blocking eventfds with nothing yet. */
        assert_int_equal(read(rv->thr, &count, sizeof(count)), -1);
        assert_int_equal(errno, EAGAIN);
        /* The kernel refuses an unknown level. */
        assert_int_equal(cgroup_v1_pressure_level_open(rv->cgfd, "severe"), -EINVAL);

        /* The cgroup shows up in the walk of the real hierarchy. */
        assert_int_equal(cgroup_find_limited(rv->memfd, CGROUP_V1, 1, on_limited, rv->name), -EEXIST);

        assert_int_equal(pipe2(rv->go, O_CLOEXEC), 0);
        assert_int_equal(pipe2(rv->done, O_CLOEXEC), 0);
        rv->child = fork();
        assert_true(rv->child >= 0);
        if (rv->child == 0)
                child_main(rv->go[0], rv->done[1]);

        snprintf(pid, sizeof(pid), "%d", (int)rv->child);
        assert_int_equal(write_file_at(rv->cgfd, "cgroup.procs", pid), 0);
        assert_int_equal(write(rv->go[1], "g", 1), 1);

        /* Failure bounds, not sleeps: each poll returns as soon as the event is there. */
        p = (struct pollfd){ .fd = rv->done[0], .events = POLLIN };
        assert_int_equal(poll(&p, 1, 5000), 1);
        assert_int_equal(read(rv->done[0], &c, 1), 1);

        p = (struct pollfd){ .fd = rv->thr, .events = POLLIN };
        assert_int_equal(poll(&p, 1, 5000), 1);
        assert_true(p.revents & POLLIN);
        assert_int_equal(read(rv->thr, &count, sizeof(count)), (ssize_t)sizeof(count));
        assert_true(count >= 1);

        /* 4 MiB is far below 64 MiB: no OOM notification. */
        p = (struct pollfd){ .fd = rv->oom, .events = POLLIN };
        assert_int_equal(poll(&p, 1, 0), 0);

        /* The readers agree with what was done. */
        assert_int_equal(cgroup_read_memory(rv->cgfd, CGROUP_V1, &mem), 0);
        assert_int_equal(mem.limit_bytes, 67108864);
        assert_true(mem.usage_bytes >= TOUCH_BYTES);
        assert_true(mem.usage_bytes <= mem.limit_bytes);
        assert_int_equal(mem.events_oom_kill, 0);

        /* Removing the cgroup signals the remaining eventfds once. */
        assert_int_equal(kill(rv->child, SIGKILL), 0);
        assert_int_equal(waitpid(rv->child, NULL, 0), rv->child);
        rv->child = 0;
        close_fd(&rv->cgfd);
        assert_int_equal(unlinkat(rv->memfd, rv->name, AT_REMOVEDIR), 0);
        rv->created = false;
        p = (struct pollfd){ .fd = rv->oom, .events = POLLIN };
        assert_int_equal(poll(&p, 1, 5000), 1);
        assert_int_equal(read(rv->oom, &count, sizeof(count)), (ssize_t)sizeof(count));
        assert_int_equal(count, 1);
}

int main(void)
{
        struct real_v1 rv;
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_detect_v2),
                cmocka_unit_test(test_detect_v1),
                cmocka_unit_test(test_detect_hybrid),
                cmocka_unit_test(test_detect_none),
                cmocka_unit_test(test_detect_real),
                cmocka_unit_test(test_parse_limit),
                cmocka_unit_test(test_limit_is_set),
                cmocka_unit_test(test_parse_memory_events),
                cmocka_unit_test(test_parse_oom_control),
                cmocka_unit_test(test_read_v2),
                cmocka_unit_test(test_read_v1),
                cmocka_unit_test(test_parse_memory_stat),
                cmocka_unit_test(test_read_v1_stat),
                cmocka_unit_test(test_find_v2),
                cmocka_unit_test(test_find_v1),
                cmocka_unit_test(test_find_hybrid),
                cmocka_unit_test(test_find_stops),
                cmocka_unit_test(test_path_contains),
                cmocka_unit_test(test_v1_events_errors),
                cmocka_unit_test_prestate_setup_teardown(test_v1_events_real, real_v1_setup, real_v1_teardown,
                                                         &rv),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
