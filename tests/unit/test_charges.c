/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "charges.h"
#include "util.h"

#define DRM_PROC FIXTURES "/drm-basic/proc"

/* ---- parser -------------------------------------------------------------- */

/* amdgpu_fdinfo.c as of 6.1 (tests/fixtures/drm-basic/proc/100/fdinfo/5). */
static const char amdgpu_old[] = "pos:\t0\nflags:\t02100002\nmnt_id:\t25\nino:\t621\npasid:\t32770\n"
                                 "drm-driver:\tamdgpu\ndrm-pdev:\t0000:03:00.0\ndrm-client-id:\t7\n"
                                 "drm-memory-vram:\t131072 KiB\ndrm-memory-gtt: \t65536 KiB\n"
                                 "drm-memory-cpu: \t0 KiB\namd-memory-visible-vram:\t131072 KiB\n"
                                 "amd-requested-gtt:\t65536 KiB\ndrm-engine-gfx:\t1183744021 ns\n";

static void test_parse_amdgpu(void **state)
{
        struct drm_fdinfo info;

        assert_int_equal(charges_parse_drm_fdinfo(amdgpu_old, &info), 1);
        assert_string_equal(info.driver, "amdgpu");
        assert_string_equal(info.pdev, "0000:03:00.0");
        assert_true(info.has_client_id);
        assert_int_equal(info.client_id, 7);
        assert_int_equal(info.keys, DRM_FDINFO_MEMORY);
        /* amd-* keys are the driver's own: not summed. */
        assert_int_equal(info.memory_bytes, (131072 + 65536) * UINT64_C(1024));
        assert_int_equal(info.resident_bytes, 0);
        assert_int_equal(info.total_bytes, 0);
        assert_int_equal(charges_drm_fdinfo_kib(&info), 196608);
}

static void test_parse_i915_resident_preferred(void **state)
{
        struct drm_fdinfo info;

        assert_int_equal(charges_parse_drm_fdinfo("drm-driver:\ti915\ndrm-client-id:\t39\n"
                                                  "drm-pdev:\t0000:00:02.0\n"
                                                  "drm-total-system0:\t8192 KiB\n"
                                                  "drm-shared-system0:\t0\n"
                                                  "drm-resident-system0:\t6044 KiB\n"
                                                  "drm-purgeable-system0:\t1688 KiB\n"
                                                  "drm-total-stolen-system0:\t0\n"
                                                  "drm-resident-stolen-system0:\t0\n"
                                                  "drm-engine-render:\t346249 ns\n",
                                                  &info),
                         1);
        assert_int_equal(info.keys, DRM_FDINFO_RESIDENT | DRM_FDINFO_TOTAL);
        assert_int_equal(info.total_bytes, 8192 * 1024);
        assert_int_equal(info.resident_bytes, 6044 * 1024);
        assert_int_equal(charges_drm_fdinfo_kib(&info), 6044);

        /* Newer amdgpu prints both drm-memory-* and drm-resident-*: the
         * alias is not added on top. */
        assert_int_equal(charges_parse_drm_fdinfo("drm-driver: amdgpu\ndrm-memory-vram: 5 MiB\n"
                                                  "drm-resident-vram: 5 MiB\ndrm-total-vram: 9 MiB\n",
                                                  &info),
                         1);
        assert_int_equal(charges_drm_fdinfo_kib(&info), 5120);

        /* Without resident: drm-memory-*, then drm-total-*. */
        assert_int_equal(charges_parse_drm_fdinfo("drm-driver: x\ndrm-total-memory: 3 MiB\n"
                                                  "drm-memory-gtt: 2 MiB\n",
                                                  &info),
                         1);
        assert_int_equal(charges_drm_fdinfo_kib(&info), 2048);
        assert_int_equal(charges_parse_drm_fdinfo("drm-driver: x\ndrm-total-memory: 3 MiB\n", &info), 1);
        assert_int_equal(charges_drm_fdinfo_kib(&info), 3072);

        /* A DRM client without memory keys holds nothing. */
        assert_int_equal(charges_parse_drm_fdinfo("drm-driver:\tvirtio_gpu\ndrm-client-id:\t3\n", &info), 1);
        assert_int_equal(info.keys, 0);
        assert_int_equal(charges_drm_fdinfo_kib(&info), 0);
}

static void test_parse_units(void **state)
{
        struct drm_fdinfo info;

        /* Bytes are the default; sums round up to KiB once, at the end. */
        assert_int_equal(charges_parse_drm_fdinfo("drm-driver: x\ndrm-resident-a: 1000\n"
                                                  "drm-resident-b: 1000\n",
                                                  &info),
                         1);
        assert_int_equal(info.resident_bytes, 2000);
        assert_int_equal(charges_drm_fdinfo_kib(&info), 2);
        assert_int_equal(charges_parse_drm_fdinfo("drm-driver: x\ndrm-resident-a: 1024\n", &info), 1);
        assert_int_equal(charges_drm_fdinfo_kib(&info), 1);
        assert_int_equal(charges_parse_drm_fdinfo("drm-driver: x\ndrm-resident-a: 1025\n", &info), 1);
        assert_int_equal(charges_drm_fdinfo_kib(&info), 2);

        assert_int_equal(charges_parse_drm_fdinfo("drm-driver: x\ndrm-resident-a:\t3 KiB\n"
                                                  "drm-resident-b:\t2 MiB\ndrm-resident-c:\t1 GiB\n"
                                                  "drm-resident-d:\t0\n",
                                                  &info),
                         1);
        assert_int_equal(info.resident_bytes, 3 * 1024 + 2 * 1048576 + UINT64_C(1073741824));
        /* No blank before the unit, trailing blanks and a CR are accepted. */
        assert_int_equal(charges_parse_drm_fdinfo("drm-driver: x\ndrm-resident-a: 4KiB \t\r\n", &info), 1);
        assert_int_equal(info.resident_bytes, 4096);
        /* The last line needs no newline. */
        assert_int_equal(charges_parse_drm_fdinfo("drm-driver: x\ndrm-resident-a: 5 KiB", &info), 1);
        assert_int_equal(info.resident_bytes, 5120);

        /* Sums saturate instead of wrapping. */
        assert_int_equal(charges_parse_drm_fdinfo("drm-driver: x\n"
                                                  "drm-total-a: 18446744073709551615\n"
                                                  "drm-total-b: 1\n",
                                                  &info),
                         1);
        assert_int_equal(info.total_bytes, UINT64_MAX);
        assert_int_equal(charges_drm_fdinfo_kib(&info), UINT64_MAX / 1024 + 1);
}

static void test_parse_malformed(void **state)
{
        static const char *const bad[] = {
                "drm-driver: x\ndrm-resident-a: 12 TiB\n",  /* unknown unit */
                "drm-driver: x\ndrm-resident-a: 1 kib\n",   /* units are case-sensitive */
                "drm-driver: x\ndrm-resident-a: -5 KiB\n",  /* <uint> */
                "drm-driver: x\ndrm-resident-a: +5\n",      /* <uint> */
                "drm-driver: x\ndrm-resident-a: 0x10\n",    /* decimal only */
                "drm-driver: x\ndrm-resident-a: KiB\n",     /* no number */
                "drm-driver: x\ndrm-resident-a:\n",         /* empty */
                "drm-driver: x\ndrm-resident-a: 1 KiB x\n", /* trailing junk */
                "drm-driver: x\ndrm-resident-a: 1 2\n",     /* two numbers */
                "drm-driver: x\ndrm-client-id: abc\n",      /* bad id */
                "drm-driver: x\ndrm-client-id: 7 KiB\n",    /* an id has no unit */
                "drm-memory-a: oops\ndrm-driver: x\n",      /* before the drm-driver line */
        };
        struct drm_fdinfo info;

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                memset(&info, 0xff, sizeof(info));
                if (charges_parse_drm_fdinfo(bad[i], &info) != -EINVAL)
                        fail_msg("not rejected: %s", bad[i]);
                assert_int_equal(info.keys, 0);
                assert_int_equal(charges_drm_fdinfo_kib(&info), 0);
        }

        /* Overflow: of the number, and of the number times its unit. */
        assert_int_equal(charges_parse_drm_fdinfo("drm-driver: x\n"
                                                  "drm-resident-a: 18446744073709551616\n",
                                                  &info),
                         -ERANGE);
        assert_int_equal(charges_parse_drm_fdinfo("drm-driver: x\n"
                                                  "drm-resident-a: 17179869184 GiB\n",
                                                  &info),
                         -ERANGE);
        assert_int_equal(charges_parse_drm_fdinfo("drm-driver: x\n"
                                                  "drm-resident-a: 17179869183 GiB\n",
                                                  &info),
                         1);
        assert_int_equal(info.resident_bytes, UINT64_C(17179869183) << 30);
}

static void test_parse_not_drm(void **state)
{
        static const char *const other[] = {
                "",
                "pos:\t0\nflags:\t02\nmnt_id:\t15\nino:\t1057\neventfd-count:                0\neventfd-id: 1\n",
                "pos:\t0\nflags:\t00\nmnt_id:\t14\nino:\t48213\n",
                /* Keys only count at the start of a line, without blanks. */
                " drm-driver: x\ndrm-resident-a: 1 KiB\n",
                "xdrm-driver: x\n",
                "drm-driver : x\n",
                "name:\tfoo drm-driver: x\n",
                /* DRM-like memory keys without the mandatory key. */
                "drm-resident-a: 1 KiB\ndrm-client-id: 3\n",
                /* Malformed values in a file that is not DRM are not errors. */
                "drm-resident-a: lots\n",
        };
        struct drm_fdinfo info;

        for (size_t i = 0; i < ARRAY_SIZE(other); i++) {
                memset(&info, 0xff, sizeof(info));
                if (charges_parse_drm_fdinfo(other[i], &info) != 0)
                        fail_msg("taken for DRM: %s", other[i]);
                assert_int_equal(info.keys, 0);
                assert_int_equal(info.driver[0], '\0');
        }
}

static void test_parse_keys_that_are_not_memory(void **state)
{
        struct drm_fdinfo info;

        /* drm-total-cycles-<engine> is a cycle count; drm-shared-,
         * drm-active-, drm-purgeable- are subsets; "drm-memory-" with no
         * region is not a key of the spec. */
        assert_int_equal(charges_parse_drm_fdinfo("drm-driver:\tpanthor\ndrm-client-id:\t13\n"
                                                  "drm-total-memory:\t2 MiB\n"
                                                  "drm-shared-memory:\t1 MiB\n"
                                                  "drm-active-memory:\t1 MiB\n"
                                                  "drm-purgeable-memory:\t1 MiB\n"
                                                  "drm-cycles-fragment:\t1234567\n"
                                                  "drm-total-cycles-fragment:\t123456789\n"
                                                  "drm-maxfreq-fragment:\t1000 MHz\n"
                                                  "drm-memory-: 7\n"
                                                  "drm-engine-capacity-vcs:\t2\n",
                                                  &info),
                         1);
        assert_int_equal(info.keys, DRM_FDINFO_TOTAL);
        assert_int_equal(info.total_bytes, 2 * 1048576);
        assert_int_equal(info.memory_bytes, 0);
        assert_int_equal(charges_drm_fdinfo_kib(&info), 2048);

        /* The first drm-driver line names the driver; a long name is cut. */
        assert_int_equal(charges_parse_drm_fdinfo("drm-driver: "
                                                  "a_driver_name_much_longer_than_thirty_one_bytes\n"
                                                  "drm-driver: other\n",
                                                  &info),
                         1);
        assert_int_equal(strlen(info.driver), DRM_DRIVER_MAX - 1);
        assert_memory_equal(info.driver, "a_driver_name_much_longer_than_", DRM_DRIVER_MAX - 1);
        assert_false(info.has_client_id);
}

/* ---- reader on fixtures -------------------------------------------------- */

static int open_dir(const char *path)
{
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        return fd;
}

static void expect_drm(int procfd, pid_t pid, int clients, uint64_t kib)
{
        uint64_t got = 12345;
        int r = charges_read_drm(procfd, pid, &got);
        if (r != clients || got != kib)
                fail_msg("pid %d: %d clients, %" PRIu64 " KiB; expected %d, %" PRIu64, (int)pid, r, got,
                         clients, kib);
}

static void test_read_fixtures(void **state)
{
        int procfd = open_dir(DRM_PROC);
        uint64_t kib = 12345;

        /* The expectations are worked out in tests/fixtures/drm-basic/README. */
        expect_drm(procfd, 100, 2, 131072 + 65536 + 4096 + 1024);
        expect_drm(procfd, 200, 2, 6044 + 3073);
        expect_drm(procfd, 300, 1, 1024);
        expect_drm(procfd, 400, 2, 4096 + 8192 + 2048);
        expect_drm(procfd, 500, 2, 200);
        expect_drm(procfd, 600, 2, 300);
        expect_drm(procfd, 700, 0, 0);
        expect_drm(procfd, 800, 1, 1);

        assert_int_equal(charges_read_drm(procfd, 999, &kib), -ENOENT);
        assert_int_equal(kib, 0);
        assert_int_equal(charges_read_drm(procfd, 0, &kib), -EINVAL);
        close(procfd);
}

static void test_read_real_proc(void **state)
{
        int procfd = open_dir("/proc");
        int p[2];
        uint64_t kib = 12345;

        /* This process has no DRM device open, only files and a pipe:
         * through the real fd links and fdinfo, no client and 0 KiB. */
        assert_int_equal(pipe(p), 0);
        assert_int_equal(charges_read_drm(procfd, getpid(), &kib), 0);
        assert_int_equal(kib, 0);
        close(p[0]);
        close(p[1]);
        close(procfd);
}

/* A temporary /proc with one process, 42, whose fdinfo files are made by
 * the test: on tmpfs when there is one (thousands of files on a disk cost
 * seconds). The teardown removes it even when the test failed. */
struct tmp_proc {
        char root[64];
        int procfd;
        int fdinfofd;
        int nfds;
};

static int tmp_proc_teardown(void **state);

static int tmp_proc_setup(void **state)
{
        struct tmp_proc *t = calloc(1, sizeof(*t));
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

        if (!t)
                return -1;
        *state = t;
        t->procfd = t->fdinfofd = -1;
        snprintf(t->root, sizeof(t->root), "%s/test_charges.XXXXXX", base);
        if (!mkdtemp(t->root)) {
                free(t);
                return -1;
        }
        t->procfd = open(t->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (t->procfd >= 0 && mkdirat(t->procfd, "42", 0700) == 0 &&
            mkdirat(t->procfd, "42/fdinfo", 0700) == 0)
                t->fdinfofd = openat(t->procfd, "42/fdinfo", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (t->fdinfofd < 0) {
                /* cmocka runs no teardown after a failed setup. */
                tmp_proc_teardown(state);
                return -1;
        }
        return 0;
}

/* Removes what tmp_proc_setup() and the test made, whatever got made. */
static int tmp_proc_teardown(void **state)
{
        struct tmp_proc *t = *state;
        char name[16];

        for (int i = 0; i < t->nfds; i++) {
                snprintf(name, sizeof(name), "%d", i);
                unlinkat(t->fdinfofd, name, 0);
        }
        if (t->procfd >= 0) {
                unlinkat(t->procfd, "42/fdinfo", AT_REMOVEDIR);
                unlinkat(t->procfd, "42", AT_REMOVEDIR);
                close(t->procfd);
        }
        if (t->fdinfofd >= 0)
                close(t->fdinfofd);
        int r = rmdir(t->root);
        free(t);
        return r;
}

static void tmp_proc_add(struct tmp_proc *t, const char *text)
{
        char name[16];
        snprintf(name, sizeof(name), "%d", t->nfds);
        int f = openat(t->fdinfofd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(f >= 0);
        t->nfds++;
        assert_int_equal(write(f, text, strlen(text)), (ssize_t)strlen(text));
        close(f);
}

static void test_read_fd_bound(void **state)
{
        struct tmp_proc *t = *state;

        /* Every fd is a 1 KiB client without an id (so none is merged):
         * only CHARGES_DRM_FDS_MAX are examined, whichever they are. */
        for (int i = 0; i < CHARGES_DRM_FDS_MAX + 4; i++)
                tmp_proc_add(t, "drm-driver:\tt\ndrm-resident-memory:\t1 KiB\n");
        expect_drm(t->procfd, 42, CHARGES_DRM_FDS_MAX, CHARGES_DRM_FDS_MAX);
}

static void test_read_client_bound(void **state)
{
        struct tmp_proc *t = *state;
        char text[96];

        /* Distinct ids beyond CHARGES_DRM_CLIENTS_MAX are not counted
         * (they cannot be told from a duplicate). */
        for (int i = 0; i < CHARGES_DRM_CLIENTS_MAX + 2; i++) {
                snprintf(text, sizeof(text),
                         "drm-driver:\tt\ndrm-client-id:\t%d\ndrm-resident-memory:\t1 KiB\n", 1000 + i);
                tmp_proc_add(t, text);
        }
        expect_drm(t->procfd, 42, CHARGES_DRM_CLIENTS_MAX, CHARGES_DRM_CLIENTS_MAX);
}

/* ---- the charge table ---------------------------------------------------- */

static void test_table_pairs(void **state)
{
        struct charge_table t;
        const pid_t xserver = 500, app = 1200, app2 = 1300;

        charges_init(&t);
        assert_int_equal(t.n, 0);
        assert_int_equal(charges_net_kib(&t, app, 1000), 0);

        /* The X server holds 64 MiB for app: +65536 for app, -65536 for the
         * server, nothing for anyone else. */
        assert_int_equal(charges_set(&t, CHARGE_X_PIXMAPS, app, xserver, 65536), 0);
        assert_int_equal(t.n, 2);
        assert_int_equal(charges_source_kib(&t, app, CHARGE_X_PIXMAPS), 65536);
        assert_int_equal(charges_source_kib(&t, xserver, CHARGE_X_PIXMAPS), -65536);
        assert_int_equal(charges_source_kib(&t, app, CHARGE_GPU), 0);
        assert_int_equal(charges_net_kib(&t, app, 1000), 65536);
        assert_int_equal(charges_net_kib(&t, xserver, 200000), -65536);
        assert_int_equal(charges_net_kib(&t, app2, 1000), 0);

        /* A second client; then app's figure is replaced, not added. */
        assert_int_equal(charges_set(&t, CHARGE_X_PIXMAPS, app2, xserver, 1024), 0);
        assert_int_equal(charges_set(&t, CHARGE_X_PIXMAPS, app, xserver, 4096), 0);
        assert_int_equal(t.n, 4);
        assert_int_equal(charges_net_kib(&t, app, 0), 4096);
        assert_int_equal(charges_net_kib(&t, xserver, 200000), -(4096 + 1024));

        /* GPU memory is held by the kernel: no holder is credited. */
        assert_int_equal(charges_set(&t, CHARGE_GPU, app, 0, 300), 0);
        assert_int_equal(charges_set(&t, CHARGE_GPU, xserver, 0, 10000), 0);
        assert_int_equal(t.n, 6);
        assert_int_equal(charges_net_kib(&t, app, 0), 4096 + 300);
        assert_int_equal(charges_net_kib(&t, xserver, 200000), 10000 - 4096 - 1024);

        /* A trusted server reports for app. */
        assert_int_equal(charges_set(&t, CHARGE_REPORTED, app, 777, 50), 0);
        assert_int_equal(charges_net_kib(&t, app, 0), 4096 + 300 + 50);
        assert_int_equal(charges_net_kib(&t, 777, 100), -50);

        /* Setting 0 removes both sides. */
        assert_int_equal(charges_set(&t, CHARGE_X_PIXMAPS, app2, xserver, 0), 0);
        assert_int_equal(t.n, 6);
        assert_int_equal(charges_net_kib(&t, app2, 0), 0);
        assert_int_equal(charges_net_kib(&t, xserver, 200000), 10000 - 4096);

        /* Refreshing one source leaves the others. */
        charges_clear(&t, CHARGE_X_PIXMAPS);
        assert_int_equal(t.n, 4);
        assert_int_equal(charges_net_kib(&t, app, 0), 300 + 50);
        assert_int_equal(charges_net_kib(&t, xserver, 0), 10000);
}

static void test_table_clamp(void **state)
{
        struct charge_table t;

        charges_init(&t);
        /* The server says it holds 1 GiB for clients but is 100 MiB itself:
         * it is credited 100 MiB at most, never below zero. */
        assert_int_equal(charges_set(&t, CHARGE_REPORTED, 1200, 500, 1048576), 0);
        assert_int_equal(charges_net_kib(&t, 500, 102400), -102400);
        assert_int_equal(charges_net_kib(&t, 500, 0), 0);
        assert_int_equal(charges_net_kib(&t, 500, 2000000), -1048576);
        /* The unclamped figure is still there for explanations. */
        assert_int_equal(charges_source_kib(&t, 500, CHARGE_REPORTED), -1048576);

        /* Its own GPU charge counts as its memory too. */
        assert_int_equal(charges_set(&t, CHARGE_GPU, 500, 0, 2000000), 0);
        assert_int_equal(charges_net_kib(&t, 500, 0), 2000000 - 1048576);

        /* Huge figures saturate: INT64_MAX, never a wrap. */
        assert_int_equal(charges_set(&t, CHARGE_GPU, 1200, 0, UINT64_MAX), 0);
        assert_int_equal(charges_source_kib(&t, 1200, CHARGE_GPU), INT64_MAX);
        assert_int_equal(charges_net_kib(&t, 1200, 0), INT64_MAX);
        assert_int_equal(charges_set(&t, CHARGE_X_PIXMAPS, 1300, 500, UINT64_MAX), 0);
        assert_int_equal(charges_set(&t, CHARGE_GPU, 500, 0, 0), 0);
        assert_int_equal(charges_net_kib(&t, 500, UINT64_MAX), -INT64_MAX);
        assert_int_equal(charges_net_kib(&t, 500, 7), -7);
}

static void test_table_forget(void **state)
{
        struct charge_table t;

        charges_init(&t);
        /* 500 holds for 1200 and 1300; 600 holds for 500 (a server that is
         * itself a client of another). */
        assert_int_equal(charges_set(&t, CHARGE_REPORTED, 1200, 500, 10), 0);
        assert_int_equal(charges_set(&t, CHARGE_REPORTED, 1300, 500, 20), 0);
        assert_int_equal(charges_set(&t, CHARGE_REPORTED, 500, 600, 40), 0);
        assert_int_equal(charges_set(&t, CHARGE_X_PIXMAPS, 1200, 500, 80), 0);
        assert_int_equal(t.n, 8);

        /* 500 goes away as a trusted server: its reports go, the report
         * 600 made about it and its X charge stay. */
        charges_forget_holder(&t, CHARGE_REPORTED, 500);
        assert_int_equal(t.n, 4);
        assert_int_equal(charges_source_kib(&t, 1200, CHARGE_REPORTED), 0);
        assert_int_equal(charges_source_kib(&t, 1300, CHARGE_REPORTED), 0);
        assert_int_equal(charges_source_kib(&t, 500, CHARGE_REPORTED), 40);
        assert_int_equal(charges_source_kib(&t, 600, CHARGE_REPORTED), -40);
        assert_int_equal(charges_source_kib(&t, 500, CHARGE_X_PIXMAPS), -80);

        /* 1200 exits: both sides of its charges go. */
        charges_forget(&t, 1200);
        assert_int_equal(t.n, 2);
        assert_int_equal(charges_source_kib(&t, 500, CHARGE_X_PIXMAPS), 0);
        charges_forget(&t, 600);
        assert_int_equal(t.n, 0);
}

static void test_table_find_sorted(void **state)
{
        struct charge_table t;
        const struct charge *c;
        size_t n;

        charges_init(&t);
        assert_int_equal(charges_set(&t, CHARGE_REPORTED, 1200, 900, 3), 0);
        assert_int_equal(charges_set(&t, CHARGE_GPU, 1200, 0, 2), 0);
        assert_int_equal(charges_set(&t, CHARGE_X_PIXMAPS, 1200, 500, 1), 0);
        assert_int_equal(charges_set(&t, CHARGE_REPORTED, 1200, 800, 4), 0);
        assert_int_equal(charges_set(&t, CHARGE_GPU, 7, 0, 5), 0);

        c = charges_find(&t, 1200, &n);
        assert_non_null(c);
        assert_int_equal(n, 4);
        assert_int_equal(c[0].source, CHARGE_X_PIXMAPS);
        assert_int_equal(c[0].peer, 500);
        assert_int_equal(c[0].kib, 1);
        assert_int_equal(c[1].source, CHARGE_GPU);
        assert_int_equal(c[1].peer, 0);
        assert_int_equal(c[2].source, CHARGE_REPORTED);
        assert_int_equal(c[2].peer, 800);
        assert_int_equal(c[3].peer, 900);
        assert_int_equal(charges_source_kib(&t, 1200, CHARGE_REPORTED), 7);

        c = charges_find(&t, 900, &n);
        assert_int_equal(n, 1);
        assert_int_equal(c[0].pid, 900);
        assert_int_equal(c[0].peer, 1200);
        assert_int_equal(c[0].kib, -3);
        assert_null(charges_find(&t, 1, &n));
        assert_int_equal(n, 0);

        /* The whole table is in (pid, source, peer) order. */
        for (size_t i = 1; i < t.n; i++) {
                const struct charge *a = &t.entries[i - 1], *b = &t.entries[i];
                assert_true(a->pid < b->pid ||
                            (a->pid == b->pid &&
                             (a->source < b->source || (a->source == b->source && a->peer < b->peer))));
        }
        assert_string_equal(charge_source_to_string(CHARGE_X_PIXMAPS), "x-pixmaps");
        assert_string_equal(charge_source_to_string(CHARGE_GPU), "gpu");
        assert_string_equal(charge_source_to_string(CHARGE_REPORTED), "reported");
}

static void test_table_invalid_and_full(void **state)
{
        struct charge_table *t = malloc(sizeof(*t));

        assert_non_null(t);
        charges_init(t);
        assert_int_equal(charges_set(t, CHARGE_GPU, 0, 0, 1), -EINVAL);
        assert_int_equal(charges_set(t, CHARGE_GPU, -3, 0, 1), -EINVAL);
        assert_int_equal(charges_set(t, CHARGE_REPORTED, 5, -1, 1), -EINVAL);
        assert_int_equal(charges_set(t, CHARGE_SOURCE_MAX, 5, 0, 1), -EINVAL);
        /* Memory a process holds for itself is its own: no entry. */
        assert_int_equal(charges_set(t, CHARGE_X_PIXMAPS, 500, 500, 64), 0);
        assert_int_equal(t->n, 0);

        /* Fill all but one slot with GPU charges. */
        for (pid_t p = 1; p < CHARGES_MAX; p++)
                assert_int_equal(charges_set(t, CHARGE_GPU, p, 0, 1), 0);
        assert_int_equal(t->n, CHARGES_MAX - 1);
        /* A pair needs two slots: refused whole, nothing half-done. */
        assert_int_equal(charges_set(t, CHARGE_X_PIXMAPS, 5000, 5001, 8), -ENOSPC);
        assert_int_equal(t->n, CHARGES_MAX - 1);
        assert_int_equal(t->dropped, 1);
        assert_int_equal(charges_net_kib(t, 5000, 0), 0);
        assert_int_equal(charges_net_kib(t, 5001, 100), 0);
        /* A single entry still fits, and replacing needs no room. */
        assert_int_equal(charges_set(t, CHARGE_GPU, 5000, 0, 8), 0);
        assert_int_equal(t->n, CHARGES_MAX);
        assert_int_equal(charges_set(t, CHARGE_GPU, 5000, 0, 9), 0);
        assert_int_equal(charges_net_kib(t, 5000, 0), 9);
        assert_int_equal(charges_set(t, CHARGE_GPU, 6000, 0, 1), -ENOSPC);
        assert_int_equal(t->dropped, 2);
        free(t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_amdgpu),
                cmocka_unit_test(test_parse_i915_resident_preferred),
                cmocka_unit_test(test_parse_units),
                cmocka_unit_test(test_parse_malformed),
                cmocka_unit_test(test_parse_not_drm),
                cmocka_unit_test(test_parse_keys_that_are_not_memory),
                cmocka_unit_test(test_read_fixtures),
                cmocka_unit_test(test_read_real_proc),
                cmocka_unit_test_setup_teardown(test_read_fd_bound, tmp_proc_setup, tmp_proc_teardown),
                cmocka_unit_test_setup_teardown(test_read_client_bound, tmp_proc_setup, tmp_proc_teardown),
                cmocka_unit_test(test_table_pairs),
                cmocka_unit_test(test_table_clamp),
                cmocka_unit_test(test_table_forget),
                cmocka_unit_test(test_table_find_sorted),
                cmocka_unit_test(test_table_invalid_and_full),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
