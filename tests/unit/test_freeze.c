/* SPDX-License-Identifier: MIT */
/*
 * Freezing: the state file (pure parsing and the atomic rewrite on temp
 * files), the logic on fake cgroup directories, and the three methods for
 * real on this machine: SIGSTOP of forked children, a temporary v1 freezer
 * cgroup and a temporary v2 cgroup, each also "crashed" and recovered with
 * freeze_thaw_recorded(). Real tests skip, saying why, where a hierarchy is
 * not there or not writable. Waits are on events (waitid, poll on
 * cgroup.events, a pipe echo); the only bounded re-check loop is for v1,
 * whose freezer.state has no notification.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "freeze.h"
#include "proc.h"
#include "util.h"

#define MAX_CHILDREN 4
#define MAX_CGROUPS 2
#define FREEZER_V1 "/sys/fs/cgroup/freezer"

/* A child that echoes every byte it reads: proof that it runs. */
struct child {
        pid_t pid;
        uint64_t ticks;
        int in_w;  /* we write here */
        int out_r; /* it answers here */
};

struct fx {
        int procfd;
        char dir[64];
        char state[128];
        struct freeze f, g;
        struct child children[MAX_CHILDREN];
        size_t n_children;
        /* Real cgroups this test made: thawed and removed at teardown. */
        char cgroups[MAX_CGROUPS][256];
        enum cgroup_version cg_versions[MAX_CGROUPS];
        size_t n_cgroups;
};

/* --- helpers ----------------------------------------------------------- */

static int setup(void **state)
{
        struct fx *x = calloc(1, sizeof(*x));

        assert_non_null(x);
        x->procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(x->procfd >= 0);
        strcpy(x->dir, "/tmp/test-freeze.XXXXXX");
        assert_non_null(mkdtemp(x->dir));
        snprintf(x->state, sizeof(x->state), "%s/frozen", x->dir);
        freeze_init(&x->f, x->procfd, x->state);
        freeze_init(&x->g, x->procfd, x->state);
        *state = x;
        return 0;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        return remove(path);
}

static void write_text(const char *path, const char *s)
{
        FILE *fp = fopen(path, "w");

        assert_non_null(fp);
        assert_true(fputs(s, fp) >= 0);
        assert_int_equal(fclose(fp), 0);
}

static int teardown(void **state)
{
        struct fx *x = *state;
        char path[300];

        if (freeze_active(&x->f))
                freeze_thaw(&x->f);
        if (freeze_active(&x->g))
                freeze_thaw(&x->g);
        /* Thaw first: a v1-frozen task may not die before it is thawed. */
        for (size_t i = 0; i < x->n_cgroups; i++) {
                bool v2 = x->cg_versions[i] == CGROUP_V2;
                snprintf(path, sizeof(path), "%s/%s", x->cgroups[i], v2 ? "cgroup.freeze" : "freezer.state");
                write_file_at(AT_FDCWD, path, v2 ? "0" : "THAWED");
        }
        for (size_t i = 0; i < x->n_children; i++) {
                kill(x->children[i].pid, SIGKILL);
                waitpid(x->children[i].pid, NULL, 0);
                close(x->children[i].in_w);
                close(x->children[i].out_r);
        }
        for (size_t i = 0; i < x->n_cgroups; i++) {
                if (rmdir(x->cgroups[i]) < 0)
                        print_message("warning: rmdir %s: %s\n", x->cgroups[i], strerror(errno));
        }
        nftw(x->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
        close(x->procfd);
        free(x);
        return 0;
}

static struct child *spawn(struct fx *x)
{
        int in[2], out[2];

        assert_true(x->n_children < MAX_CHILDREN);
        assert_int_equal(pipe2(in, O_CLOEXEC), 0);
        assert_int_equal(pipe2(out, O_CLOEXEC), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char c;
                while (read(in[0], &c, 1) == 1) {
                        if (write(out[1], &c, 1) != 1)
                                break;
                }
                _exit(0);
        }
        close(in[0]);
        close(out[1]);
        struct child *c = &x->children[x->n_children++];
        c->pid = pid;
        c->in_w = in[1];
        c->out_r = out[0];
        assert_int_equal(proc_read_start_time(x->procfd, pid, &c->ticks), 0);
        return c;
}

/* The child answers a byte: it is running (not stopped, not frozen). The
 * timeout only bounds a broken kernel. */
static void assert_runs(const struct child *c)
{
        struct pollfd p = { .fd = c->out_r, .events = POLLIN };
        char ch = 'x';

        assert_int_equal(write(c->in_w, &ch, 1), 1);
        assert_int_equal(poll(&p, 1, 10000), 1);
        ch = 0;
        assert_int_equal(read(c->out_r, &ch, 1), 1);
        assert_int_equal(ch, 'x');
}

static char proc_state(int procfd, pid_t pid)
{
        char path[32], buf[2048];
        struct proc_entry e;

        snprintf(path, sizeof(path), "%d/stat", (int)pid);
        ssize_t n = read_file_at(procfd, path, buf, sizeof(buf));
        assert_true(n > 0);
        assert_int_equal(proc_parse_stat(buf, (size_t)n, &e), 0);
        return e.state;
}

/* Waits for the child to report its stop: SIGCHLD (blocked, read from a
 * signalfd) is the event, the timeout only bounds a freeze that never
 * happens, so a broken freeze fails instead of hanging. */
static void wait_stopped(pid_t pid)
{
        int sfd = signalfd(-1, &(sigset_t){ 0 }, SFD_CLOEXEC);
        sigset_t chld;

        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        assert_int_equal(signalfd(sfd, &chld, 0), sfd);
        for (;;) {
                siginfo_t si = { 0 };
                struct signalfd_siginfo ssi;
                struct pollfd p = { .fd = sfd, .events = POLLIN };

                assert_int_equal(waitid(P_PID, (id_t)pid, &si, WSTOPPED | WNOHANG), 0);
                if (si.si_pid == pid) {
                        assert_int_equal(si.si_code, CLD_STOPPED);
                        assert_int_equal(si.si_status, SIGSTOP);
                        break;
                }
                if (poll(&p, 1, 10000) != 1)
                        fail_msg("pid %d did not stop", (int)pid);
                assert_int_equal(read(sfd, &ssi, sizeof(ssi)), sizeof(ssi));
        }
        close(sfd);
}

/* SIGCONT was sent: the kernel marks the child continued when the signal
 * is sent, so this needs no waiting. */
static void assert_continued(pid_t pid)
{
        siginfo_t si = { 0 };

        assert_int_equal(waitid(P_PID, (id_t)pid, &si, WCONTINUED | WNOHANG), 0);
        assert_int_equal(si.si_pid, pid);
        assert_int_equal(si.si_code, CLD_CONTINUED);
}

/* No SIGCONT was sent since the last report (see assert_continued()). */
static void assert_not_continued(pid_t pid)
{
        siginfo_t si = { 0 };

        assert_int_equal(waitid(P_PID, (id_t)pid, &si, WCONTINUED | WNOHANG), 0);
        assert_int_equal(si.si_pid, 0);
}

static void read_text(const char *path, char *buf, size_t size)
{
        assert_true(read_file_at(AT_FDCWD, path, buf, size) >= 0);
}

static bool exists(const char *path)
{
        return access(path, F_OK) == 0;
}

static void assert_state_file(const struct fx *x, const char *expected)
{
        char buf[4096];

        read_text(x->state, buf, sizeof(buf));
        assert_string_equal(buf, expected);
}

/* A fake cgroup directory under the test's temp dir. */
static void fake_cgroup(const struct fx *x, const char *rel, const char *file1, const char *text1,
                        const char *file2, const char *text2)
{
        char path[300];

        snprintf(path, sizeof(path), "%s/cg", x->dir);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/cg%s", x->dir, rel);
        assert_int_equal(mkdir(path, 0755), 0);
        if (file1 && text1) {
                snprintf(path, sizeof(path), "%s/cg%s/%s", x->dir, rel, file1);
                write_text(path, text1);
        }
        if (file2 && text2) {
                snprintf(path, sizeof(path), "%s/cg%s/%s", x->dir, rel, file2);
                write_text(path, text2);
        }
}

/* A real cgroup under mount, for this test only, or false (and a printed
 * reason) when the hierarchy is not writable. */
static bool real_cgroup(struct fx *x, const char *mount, enum cgroup_version v, char *ret_rel, size_t size)
{
        char *path = x->cgroups[x->n_cgroups];

        snprintf(ret_rel, size, "/triage-test-freeze-%d-%zu", (int)getpid(), x->n_cgroups);
        snprintf(path, sizeof(x->cgroups[0]), "%s%s", mount, ret_rel);
        if (mkdir(path, 0755) < 0) {
                print_message("SKIP: cannot create a cgroup in %s: %s\n", mount, strerror(errno));
                return false;
        }
        x->cg_versions[x->n_cgroups++] = v;
        return true;
}

static void move_to(const struct fx *x, size_t cg, pid_t pid)
{
        char path[300], buf[32];

        snprintf(path, sizeof(path), "%s/cgroup.procs", x->cgroups[cg]);
        snprintf(buf, sizeof(buf), "%d", (int)pid);
        assert_int_equal(write_file_at(AT_FDCWD, path, buf), 0);
}

/* The unified hierarchy: /sys/fs/cgroup on a pure v2 system, .../unified
 * on a hybrid one. NULL when there is none. */
static const char *v2_mount(void)
{
        if (exists("/sys/fs/cgroup/cgroup.controllers"))
                return "/sys/fs/cgroup";
        if (exists("/sys/fs/cgroup/unified/cgroup.controllers"))
                return "/sys/fs/cgroup/unified";
        return NULL;
}

/* --- pure: records ----------------------------------------------------- */

static int parse(const char *s, struct freeze_record *r)
{
        return freeze_record_parse(s, strlen(s), r);
}

static void test_record_parse_valid(void **state)
{
        struct freeze_record r;

        assert_int_equal(parse("v2 /sys/fs/cgroup/user.slice/app-a b.scope", &r), 0);
        assert_int_equal(r.kind, FREEZE_CGROUP_V2);
        assert_string_equal(r.path, "/sys/fs/cgroup/user.slice/app-a b.scope");

        assert_int_equal(parse("v1 /sys/fs/cgroup/freezer/kiosk", &r), 0);
        assert_int_equal(r.kind, FREEZE_CGROUP_V1);
        assert_string_equal(r.path, "/sys/fs/cgroup/freezer/kiosk");

        assert_int_equal(parse("pid 4242 1234567", &r), 0);
        assert_int_equal(r.kind, FREEZE_SIGSTOP);
        assert_int_equal(r.pid, 4242);
        assert_int_equal(r.start_time_ticks, 1234567);

        assert_int_equal(parse("pid 2 18446744073709551615", &r), 0);
        assert_int_equal(r.pid, 2);
        assert_true(r.start_time_ticks == UINT64_MAX);

        /* The line need not be NUL-terminated: len bounds it. */
        assert_int_equal(freeze_record_parse("pid 77 5 trailing", 8, &r), 0);
        assert_int_equal(r.pid, 77);
        assert_int_equal(r.start_time_ticks, 5);
}

static void test_record_parse_garbage(void **state)
{
        static const char *const bad[] = {
                "",
                "v2",
                "v2 ",
                "v2 relative/path",
                "v3 /a",
                "V2 /a",
                "v2  /a",
                "v2\t/a",
                "v2 /a/../b",
                "v2 /a/./b",
                "v2 /..",
                "v2 /a//b",
                "v2 /a/",
                "v2 /",
                "v2 /a\tb",
                "v2 /a\rb",
                "v1 /a\x7f",
                "pid",
                "pid ",
                "pid 1 5",
                "pid 0 5",
                "pid -3 5",
                "pid +3 5",
                "pid 12",
                "pid 12 ",
                "pid 12 5 6",
                "pid 12 x",
                "pid 12 -5",
                "pid 2147483648 5",
                "pid 99999999999 5",
                "pid 12 18446744073709551616",
                "pid  12 5",
                "pid 0x10 5",
                "PID 12 5",
                "# comment",
                "garbage",
        };
        struct freeze_record r;

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                if (parse(bad[i], &r) != -EINVAL)
                        fail_msg("accepted \"%s\"", bad[i]);
        }
        /* A NUL inside the line is a control byte too. */
        assert_int_equal(freeze_record_parse("v2 /a\0b", 7, &r), -EINVAL);

        /* The longest path that fits, and one byte more. */
        char line[FREEZE_PATH_MAX + 8];
        memcpy(line, "v2 /", 4);
        memset(line + 4, 'a', FREEZE_PATH_MAX - 2);
        assert_int_equal(freeze_record_parse(line, 3 + FREEZE_PATH_MAX - 1, &r), 0);
        assert_int_equal(strlen(r.path), FREEZE_PATH_MAX - 1);
        assert_int_equal(freeze_record_parse(line, 3 + FREEZE_PATH_MAX, &r), -EINVAL);
}

static void test_record_format(void **state)
{
        struct freeze_record r = { .kind = FREEZE_CGROUP_V2 }, back;
        char buf[FREEZE_LINE_MAX];

        strcpy(r.path, "/sys/fs/cgroup/a.scope");
        assert_int_equal(freeze_record_format(&r, buf, sizeof(buf)), 26);
        assert_string_equal(buf, "v2 /sys/fs/cgroup/a.scope\n");
        assert_int_equal(freeze_record_parse(buf, 25, &back), 0);
        assert_int_equal(back.kind, FREEZE_CGROUP_V2);
        assert_string_equal(back.path, r.path);

        r.kind = FREEZE_CGROUP_V1;
        assert_int_equal(freeze_record_format(&r, buf, sizeof(buf)), 26);
        assert_string_equal(buf, "v1 /sys/fs/cgroup/a.scope\n");

        struct freeze_record p = { .kind = FREEZE_SIGSTOP, .pid = 4242, .start_time_ticks = 99 };
        assert_int_equal(freeze_record_format(&p, buf, sizeof(buf)), 12);
        assert_string_equal(buf, "pid 4242 99\n");
        assert_int_equal(freeze_record_parse(buf, 11, &back), 0);
        assert_int_equal(back.pid, 4242);
        assert_int_equal(back.start_time_ticks, 99);

        /* What the parser would refuse is never written. */
        strcpy(r.path, "/a/../b");
        assert_int_equal(freeze_record_format(&r, buf, sizeof(buf)), -EINVAL);
        strcpy(r.path, "/a\nv2 /b");
        assert_int_equal(freeze_record_format(&r, buf, sizeof(buf)), -EINVAL);
        p.pid = 1;
        assert_int_equal(freeze_record_format(&p, buf, sizeof(buf)), -EINVAL);
        struct freeze_record none = { .kind = FREEZE_NONE };
        assert_int_equal(freeze_record_format(&none, buf, sizeof(buf)), -EINVAL);
        p.pid = 4242;
        assert_int_equal(freeze_record_format(&p, buf, 12), -ENOBUFS);
}

/* --- pure: the state file as a whole ------------------------------------ */

struct seen {
        unsigned n;
        unsigned line_no[16];
        bool ok[16];
        struct freeze_record rec[16];
};

static int collect(const struct freeze_record *rec, unsigned line_no, void *userdata)
{
        struct seen *s = userdata;

        assert_true(s->n < 16);
        s->line_no[s->n] = line_no;
        s->ok[s->n] = rec != NULL;
        if (rec)
                s->rec[s->n] = *rec;
        s->n++;
        return 0;
}

static const char mixed[] = "v2 /sys/fs/cgroup/a.scope\n"
                            "garbage\n"
                            "pid 10 20\n"
                            "\n"
                            "v1 /sys/fs/cgroup/freezer/b\n"
                            "pid 11 2"; /* torn: no newline */

static void check_mixed(const struct seen *s)
{
        assert_int_equal(s->n, 6);
        for (unsigned i = 0; i < 6; i++)
                assert_int_equal(s->line_no[i], i + 1);
        assert_true(s->ok[0]);
        assert_int_equal(s->rec[0].kind, FREEZE_CGROUP_V2);
        assert_string_equal(s->rec[0].path, "/sys/fs/cgroup/a.scope");
        assert_false(s->ok[1]);
        assert_true(s->ok[2]);
        assert_int_equal(s->rec[2].pid, 10);
        assert_int_equal(s->rec[2].start_time_ticks, 20);
        assert_false(s->ok[3]);
        assert_true(s->ok[4]);
        assert_int_equal(s->rec[4].kind, FREEZE_CGROUP_V1);
        assert_false(s->ok[5]); /* a valid-looking line cut short is not trusted */
}

static void test_state_parse(void **state)
{
        struct seen s = { 0 };

        assert_int_equal(freeze_state_parse(mixed, strlen(mixed), collect, &s), 0);
        check_mixed(&s);

        memset(&s, 0, sizeof(s));
        assert_int_equal(freeze_state_parse("", 0, collect, &s), 0);
        assert_int_equal(s.n, 0);
}

static void test_state_parse_chunks(void **state)
{
        struct freeze_lines l;
        struct seen s = { 0 };

        /* One byte at a time: the same lines. */
        freeze_lines_init(&l);
        for (size_t i = 0; i < strlen(mixed); i++)
                assert_int_equal(freeze_lines_feed(&l, mixed + i, 1, collect, &s), 0);
        assert_int_equal(freeze_lines_finish(&l, collect, &s), 0);
        check_mixed(&s);

        /* An overlong line is one bad line and does not swallow the next. */
        char big[FREEZE_LINE_MAX * 3];
        size_t n = 0;
        memcpy(big, "v2 /", 4);
        n = 4;
        memset(big + n, 'a', FREEZE_LINE_MAX * 2);
        n += FREEZE_LINE_MAX * 2;
        n += (size_t)sprintf(big + n, "\npid 10 20\n");
        memset(&s, 0, sizeof(s));
        freeze_lines_init(&l);
        assert_int_equal(freeze_lines_feed(&l, big, 100, collect, &s), 0);
        assert_int_equal(freeze_lines_feed(&l, big + 100, n - 100, collect, &s), 0);
        assert_int_equal(freeze_lines_finish(&l, collect, &s), 0);
        assert_int_equal(s.n, 2);
        assert_false(s.ok[0]);
        assert_true(s.ok[1]);
        assert_int_equal(s.line_no[1], 2);
        assert_int_equal(s.rec[1].pid, 10);
}

static int stop_at_two(const struct freeze_record *rec, unsigned line_no, void *userdata)
{
        *(unsigned *)userdata = line_no;
        return line_no == 2 ? -ECANCELED : 0;
}

static void test_state_parse_stops(void **state)
{
        unsigned last = 0;

        assert_int_equal(freeze_state_parse(mixed, strlen(mixed), stop_at_two, &last), -ECANCELED);
        assert_int_equal(last, 2);
}

/* --- pure: kernel files ------------------------------------------------- */

static void test_parse_kernel_files(void **state)
{
        assert_int_equal(freeze_parse_cgroup_events("populated 1\nfrozen 1\n"), 1);
        assert_int_equal(freeze_parse_cgroup_events("populated 0\nfrozen 0\n"), 0);
        assert_int_equal(freeze_parse_cgroup_events("frozen 1"), 1);
        assert_int_equal(freeze_parse_cgroup_events("populated 1\n"), -EINVAL);
        assert_int_equal(freeze_parse_cgroup_events("populated 1\nnotfrozen 1\n"), -EINVAL);
        assert_int_equal(freeze_parse_cgroup_events("frozen 2\n"), -EINVAL);
        assert_int_equal(freeze_parse_cgroup_events("frozen 10\n"), -EINVAL);
        assert_int_equal(freeze_parse_cgroup_events(""), -EINVAL);

        assert_int_equal(freeze_parse_v1_state("FROZEN\n"), 1);
        assert_int_equal(freeze_parse_v1_state("FREEZING\n"), 0);
        assert_int_equal(freeze_parse_v1_state("THAWED\n"), -ECANCELED);
        assert_int_equal(freeze_parse_v1_state("FROZENX\n"), -EINVAL);
        assert_int_equal(freeze_parse_v1_state(""), -EINVAL);
}

static void test_parse_proc_cgroup(void **state)
{
        const char *hybrid = "9:name=systemd:/user.slice\n"
                             "8:pids:/\n"
                             "6:freezer:/kiosk\n"
                             "4:memory:/a\n"
                             "3:cpu,cpuacct:/x\n"
                             "0::/user.slice/app.scope\n";
        char buf[64];

        assert_int_equal(freeze_parse_proc_cgroup(hybrid, CGROUP_V2, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/user.slice/app.scope");
        assert_int_equal(freeze_parse_proc_cgroup(hybrid, CGROUP_V1, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/kiosk");
        assert_int_equal(freeze_parse_proc_cgroup("5:cpu,freezer:/k", CGROUP_V1, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/k");
        assert_int_equal(freeze_parse_proc_cgroup("0::/\n", CGROUP_V1, buf, sizeof(buf)), -ENOENT);
        assert_int_equal(freeze_parse_proc_cgroup("7:freezerx:/no\n", CGROUP_V1, buf, sizeof(buf)), -ENOENT);
        /* A v1 named hierarchy is not the v2 line. */
        assert_int_equal(freeze_parse_proc_cgroup("1:name=systemd:/u\n", CGROUP_V2, buf, sizeof(buf)),
                         -ENOENT);
        assert_int_equal(freeze_parse_proc_cgroup(hybrid, CGROUP_V2, buf, 8), -ENAMETOOLONG);
}

static void test_cgroup_contains(void **state)
{
        assert_true(freeze_cgroup_contains("/a", "/a"));
        assert_true(freeze_cgroup_contains("/a", "/a/b"));
        assert_true(freeze_cgroup_contains("/a/", "/a/b"));
        assert_false(freeze_cgroup_contains("/a", "/ab"));
        assert_false(freeze_cgroup_contains("/a/b", "/a"));
        assert_true(freeze_cgroup_contains("/", "/x"));
}

/* --- logic on fake cgroup directories ----------------------------------- */

static struct freeze_target fake_target(const struct fx *x, char *mount, size_t size, const char *rel,
                                        enum cgroup_version v)
{
        snprintf(mount, size, "%s/cg", x->dir);
        return (struct freeze_target){
                .cgroup_mount = mount,
                .cgroup_path = rel,
                .cgroup_version = v,
                .cgroup_exact = true,
        };
}

static void test_fake_v2(void **state)
{
        struct fx *x = *state;
        char mount[128], path[300], buf[256], expect[300];

        fake_cgroup(x, "/app.scope", "cgroup.freeze", "0\n", "cgroup.events", "populated 1\nfrozen 0\n");
        struct freeze_target t = fake_target(x, mount, sizeof(mount), "/app.scope", CGROUP_V2);

        assert_int_equal(freeze_start(&x->f, &t), 0);
        assert_int_equal(x->f.kind, FREEZE_CGROUP_V2);
        assert_int_equal(x->f.phase, FREEZE_FREEZING);
        assert_true(freeze_event_fd(&x->f) >= 0);
        snprintf(path, sizeof(path), "%s/app.scope/cgroup.freeze", mount);
        read_text(path, buf, sizeof(buf));
        assert_string_equal(buf, "1\n");
        snprintf(expect, sizeof(expect), "v2 %s/app.scope\n", mount);
        assert_state_file(x, expect);
        /* One freeze per struct. */
        assert_int_equal(freeze_start(&x->f, &t), -EBUSY);

        assert_int_equal(freeze_check(&x->f), 0);
        snprintf(path, sizeof(path), "%s/app.scope/cgroup.events", mount);
        write_text(path, "populated 1\nfrozen 1\n");
        assert_int_equal(freeze_check(&x->f), 1);
        assert_int_equal(x->f.phase, FREEZE_FROZEN);
        snprintf(expect, sizeof(expect), "cgroup-v2 %s/app.scope frozen", mount);
        assert_string_equal(freeze_describe(&x->f, buf, sizeof(buf)), expect);

        /* Someone else thawed it. */
        write_text(path, "populated 1\nfrozen 0\n");
        snprintf(path, sizeof(path), "%s/app.scope/cgroup.freeze", mount);
        write_text(path, "0\n");
        assert_int_equal(freeze_check(&x->f), -ECANCELED);
        assert_true(freeze_active(&x->f));

        write_text(path, "1\n");
        assert_int_equal(freeze_thaw(&x->f), 0);
        read_text(path, buf, sizeof(buf));
        assert_string_equal(buf, "0\n");
        assert_false(freeze_active(&x->f));
        assert_int_equal(freeze_event_fd(&x->f), -1);
        assert_false(exists(x->state));
        assert_string_equal(freeze_describe(&x->f, buf, sizeof(buf)), "not frozen");
}

static void test_fake_v1_retry(void **state)
{
        struct fx *x = *state;
        char mount[128], path[300], buf[64], expect[300];

        fake_cgroup(x, "/kiosk", "freezer.state", "THAWED\n", NULL, NULL);
        struct freeze_target t = fake_target(x, mount, sizeof(mount), "/kiosk", CGROUP_V1);
        snprintf(path, sizeof(path), "%s/kiosk/freezer.state", mount);

        /* The fake file now reads FROZEN: complete at once. */
        assert_int_equal(freeze_start(&x->f, &t), 1);
        assert_int_equal(x->f.kind, FREEZE_CGROUP_V1);
        assert_int_equal(freeze_event_fd(&x->f), -1);
        snprintf(expect, sizeof(expect), "v1 %s/kiosk\n", mount);
        assert_state_file(x, expect);

        /* FREEZING: not yet, and FROZEN is written again (a retry). */
        write_text(path, "FREEZING\n");
        assert_int_equal(freeze_check(&x->f), 0);
        read_text(path, buf, sizeof(buf));
        assert_memory_equal(buf, "FROZEN", 6);
        write_text(path, "THAWED\n");
        assert_int_equal(freeze_check(&x->f), -ECANCELED);

        write_text(path, "FROZEN\n");
        assert_int_equal(freeze_thaw(&x->f), 0);
        read_text(path, buf, sizeof(buf));
        assert_string_equal(buf, "THAWED\n");
        assert_false(exists(x->state));
}

static void test_shared_state_file(void **state)
{
        struct fx *x = *state;
        char mount[128], expect[700];

        fake_cgroup(x, "/a", "cgroup.freeze", "0\n", "cgroup.events", "frozen 0\n");
        fake_cgroup(x, "/b", "cgroup.freeze", "0\n", "cgroup.events", "frozen 0\n");
        struct freeze_target ta = fake_target(x, mount, sizeof(mount), "/a", CGROUP_V2);
        struct freeze_target tb = ta;
        tb.cgroup_path = "/b";

        assert_int_equal(freeze_start(&x->f, &ta), 0);
        assert_int_equal(freeze_start(&x->g, &tb), 0);
        snprintf(expect, sizeof(expect), "v2 %s/a\nv2 %s/b\n", mount, mount);
        assert_state_file(x, expect);

        /* A line nobody can act on is dropped by the next rewrite; the
         * other freeze's line stays. */
        FILE *fp = fopen(x->state, "a");
        assert_non_null(fp);
        fputs("garbage\n", fp);
        fclose(fp);
        assert_int_equal(freeze_thaw(&x->f), 0);
        snprintf(expect, sizeof(expect), "v2 %s/b\n", mount);
        assert_state_file(x, expect);
        assert_int_equal(freeze_thaw(&x->g), 0);
        assert_false(exists(x->state));
        snprintf(expect, sizeof(expect), "%s.tmp", x->state);
        assert_false(exists(expect));

        /* The same target twice (a caller's mistake): each thaw takes out
         * one line, so the file still matches what is in memory. */
        assert_int_equal(freeze_start(&x->f, &ta), 0);
        assert_int_equal(freeze_start(&x->g, &ta), 0);
        snprintf(expect, sizeof(expect), "v2 %s/a\nv2 %s/a\n", mount, mount);
        assert_state_file(x, expect);
        assert_int_equal(freeze_thaw(&x->f), 0);
        snprintf(expect, sizeof(expect), "v2 %s/a\n", mount);
        assert_state_file(x, expect);
        assert_int_equal(freeze_thaw(&x->g), 0);
        assert_false(exists(x->state));
}

static void test_refuses(void **state)
{
        struct fx *x = *state;
        char mount[128], path[300];

        /* A fake /proc whose "self" sits inside the target. */
        snprintf(path, sizeof(path), "%s/proc", x->dir);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/proc/self", x->dir);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/proc/self/cgroup", x->dir);
        write_text(path, "0::/user.slice/app.scope/sub\n");
        snprintf(path, sizeof(path), "%s/proc", x->dir);
        int fake_proc = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fake_proc >= 0);
        struct freeze f;
        freeze_init(&f, fake_proc, x->state);

        fake_cgroup(x, "/user.slice", NULL, NULL, NULL, NULL);
        fake_cgroup(x, "/user.slice/app.scope", "cgroup.freeze", "0\n", "cgroup.events", "frozen 0\n");
        struct freeze_target t = fake_target(x, mount, sizeof(mount), "/user.slice/app.scope", CGROUP_V2);
        assert_int_equal(freeze_start(&f, &t), -EDEADLK);
        /* No falling back to stopping processes either. */
        struct freeze_pid other = { .pid = 12345, .start_time_ticks = 1 };
        t.pids = &other;
        t.n_pids = 1;
        assert_int_equal(freeze_start(&f, &t), -EDEADLK);
        assert_false(freeze_active(&f));
        assert_false(exists(x->state));
        snprintf(path, sizeof(path), "%s/user.slice/app.scope/cgroup.freeze", mount);
        char buf[16];
        read_text(path, buf, sizeof(buf));
        assert_string_equal(buf, "0\n");
        close(fake_proc);

        /* Ourselves, PID 1, nothing to freeze, a path that climbs out. */
        struct freeze_pid me = { .pid = getpid(), .start_time_ticks = 0 };
        struct freeze_target tp = { .pids = &me, .n_pids = 1 };
        assert_int_equal(freeze_start(&x->f, &tp), -EDEADLK);
        me.pid = 1;
        assert_int_equal(freeze_start(&x->f, &tp), -EINVAL);
        struct freeze_target none = { .cgroup_mount = mount,
                                      .cgroup_path = "/user.slice",
                                      .cgroup_version = CGROUP_V2 };
        assert_int_equal(freeze_start(&x->f, &none), -EINVAL); /* not exact */
        none.cgroup_exact = true;
        none.cgroup_path = "/user.slice/../user.slice/app.scope";
        assert_int_equal(freeze_start(&x->f, &none), -EINVAL);
        none.cgroup_path = "/";
        assert_int_equal(freeze_start(&x->f, &none), -EINVAL);
        assert_false(freeze_active(&x->f));
        assert_false(exists(x->state));
}

/* --- SIGSTOP, for real ---------------------------------------------------- */

static void test_sigstop(void **state)
{
        struct fx *x = *state;
        struct child *c = spawn(x);
        struct freeze_pid p = { c->pid, c->ticks };
        struct freeze_target t = { .pids = &p, .n_pids = 1 };
        char buf[128], expect[128];

        int r = freeze_start(&x->f, &t);
        assert_true(r == 0 || r == 1);
        assert_int_equal(x->f.kind, FREEZE_SIGSTOP);
        assert_int_equal(x->f.cgroup_error, 0);
        snprintf(expect, sizeof(expect), "pid %d %" PRIu64 "\n", (int)c->pid, c->ticks);
        assert_state_file(x, expect);

        wait_stopped(c->pid);
        assert_int_equal(proc_state(x->procfd, c->pid), 'T');
        assert_int_equal(freeze_check(&x->f), 1);
        snprintf(expect, sizeof(expect), "sigstop 1 process (%d) frozen", (int)c->pid);
        assert_string_equal(freeze_describe(&x->f, buf, sizeof(buf)), expect);

        assert_int_equal(freeze_thaw(&x->f), 0);
        assert_continued(c->pid);
        assert_int_not_equal(proc_state(x->procfd, c->pid), 'T');
        assert_runs(c);
        assert_false(exists(x->state));
}

/* Gone, recycled and already stopped processes are left out, and only
 * what this freeze stopped is resumed. */
static void test_sigstop_leaves_others(void **state)
{
        struct fx *x = *state;
        struct child *run = spawn(x);
        struct child *stopped = spawn(x);
        struct child *dead = spawn(x);
        struct child *other = spawn(x);
        char expect[128];

        assert_int_equal(kill(stopped->pid, SIGSTOP), 0);
        wait_stopped(stopped->pid);
        kill(dead->pid, SIGKILL);
        assert_int_equal(waitpid(dead->pid, NULL, 0), dead->pid);
        struct freeze_pid p[] = {
                { dead->pid, dead->ticks },
                { stopped->pid, stopped->ticks },
                { other->pid, other->ticks + 1 }, /* another process's PID now */
                { run->pid, run->ticks },
        };
        struct freeze_target t = { .pids = p, .n_pids = ARRAY_SIZE(p) };

        int r = freeze_start(&x->f, &t);
        assert_true(r == 0 || r == 1);
        assert_int_equal(x->f.n_procs, 1);
        assert_int_equal(x->f.procs[0].pid, run->pid);
        snprintf(expect, sizeof(expect), "pid %d %" PRIu64 "\n", (int)run->pid, run->ticks);
        assert_state_file(x, expect);
        wait_stopped(run->pid);

        assert_int_equal(freeze_thaw(&x->f), 0);
        assert_continued(run->pid);
        assert_not_continued(stopped->pid);
        assert_int_equal(proc_state(x->procfd, stopped->pid), 'T');
        assert_runs(other);
        assert_runs(run);
}

static void test_sigstop_all_gone(void **state)
{
        struct fx *x = *state;
        struct child *c = spawn(x);
        struct freeze_pid p = { c->pid, c->ticks + 1 };
        struct freeze_target t = { .pids = &p, .n_pids = 1 };

        assert_int_equal(freeze_start(&x->f, &t), -ESRCH);
        assert_false(freeze_active(&x->f));
        assert_false(exists(x->state));
        assert_runs(c);
}

/* A freeze that cannot be recorded is not done. */
static void test_unrecordable(void **state)
{
        struct fx *x = *state;
        struct child *c = spawn(x);
        struct freeze_pid p = { c->pid, c->ticks };
        struct freeze_target t = { .pids = &p, .n_pids = 1 };
        char path[128];
        struct freeze f;

        snprintf(path, sizeof(path), "%s/no-such-dir/frozen", x->dir);
        freeze_init(&f, x->procfd, path);
        assert_int_equal(freeze_start(&f, &t), -ENOENT);
        assert_false(freeze_active(&f));
        /* A SIGSTOP sent before the echo would stop it on its way back
         * from read(): the answer proves none was. */
        assert_runs(c);
}

/* The cgroup offered cannot freeze (no cgroup.freeze: Linux < 5.2): the
 * processes are stopped instead, and the reason kept. */
static void test_fallback(void **state)
{
        struct fx *x = *state;
        char mount[128], buf[256];

        fake_cgroup(x, "/old", NULL, NULL, NULL, NULL);
        struct child *c = spawn(x);
        struct freeze_pid p = { c->pid, c->ticks };
        struct freeze_target t = fake_target(x, mount, sizeof(mount), "/old", CGROUP_V2);
        t.pids = &p;
        t.n_pids = 1;

        int r = freeze_start(&x->f, &t);
        assert_true(r == 0 || r == 1);
        assert_int_equal(x->f.kind, FREEZE_SIGSTOP);
        assert_int_equal(x->f.cgroup_error, -EOPNOTSUPP);
        wait_stopped(c->pid);
        assert_non_null(strstr(freeze_describe(&x->f, buf, sizeof(buf)), "; cgroup not used: "));
        assert_int_equal(freeze_thaw(&x->f), 0);
        assert_continued(c->pid);
        assert_runs(c);
}

/* --- cgroups, for real ---------------------------------------------------- */

static void freeze_v1(struct fx *x, struct child *c, char *rel, size_t size)
{
        struct freeze_pid p = { c->pid, c->ticks };
        struct freeze_target t = {
                .cgroup_mount = FREEZER_V1,
                .cgroup_path = rel,
                .cgroup_version = CGROUP_V1,
                .cgroup_exact = true,
                .pids = &p,
                .n_pids = 1,
        };
        char path[300], buf[64];

        move_to(x, x->n_cgroups - 1, c->pid);
        int r = freeze_start(&x->f, &t);
        assert_true(r == 0 || r == 1);
        assert_int_equal(x->f.kind, FREEZE_CGROUP_V1);
        /* freezer.state has no notification: re-read it, as the daemon's
         * timer would (bounded by a deadline, not a sleep). */
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC;
        while (r == 0 && now_usec(CLOCK_MONOTONIC) < deadline) {
                sched_yield();
                r = freeze_check(&x->f);
        }
        assert_int_equal(r, 1);
        snprintf(path, sizeof(path), "%s/freezer.state", x->cgroups[x->n_cgroups - 1]);
        read_text(path, buf, sizeof(buf));
        assert_string_equal(buf, "FROZEN\n");
        snprintf(path, sizeof(path), "%s/freezer.self_freezing", x->cgroups[x->n_cgroups - 1]);
        read_text(path, buf, sizeof(buf));
        assert_string_equal(buf, "1\n");
        snprintf(path, sizeof(path), "v1 %s\n", x->cgroups[x->n_cgroups - 1]);
        assert_state_file(x, path);
}

static void test_v1(void **state)
{
        struct fx *x = *state;
        char rel[64], path[300], buf[64];

        if (!exists(FREEZER_V1 "/tasks")) {
                print_message("SKIP: no cgroup v1 freezer at %s\n", FREEZER_V1);
                skip();
        }
        if (!real_cgroup(x, FREEZER_V1, CGROUP_V1, rel, sizeof(rel)))
                skip();
        struct child *c = spawn(x);
        freeze_v1(x, c, rel, sizeof(rel));
        print_message("v1-frozen child shows state '%c' in /proc\n", proc_state(x->procfd, c->pid));

        assert_int_equal(freeze_thaw(&x->f), 0);
        snprintf(path, sizeof(path), "%s/freezer.state", x->cgroups[0]);
        read_text(path, buf, sizeof(buf));
        assert_string_equal(buf, "THAWED\n");
        assert_runs(c);
        assert_false(exists(x->state));
}

/* Freezes c in a new v2 cgroup; false (and a printed reason) when this
 * machine cannot. */
static bool freeze_v2(struct fx *x, struct child *c, const char **ret_mount)
{
        const char *mount = v2_mount();
        char rel[64], path[300], buf[64];

        if (!mount) {
                print_message("SKIP: no cgroup v2 hierarchy\n");
                return false;
        }
        if (!real_cgroup(x, mount, CGROUP_V2, rel, sizeof(rel)))
                return false;
        snprintf(path, sizeof(path), "%s/cgroup.freeze", x->cgroups[x->n_cgroups - 1]);
        if (!exists(path)) {
                print_message("SKIP: no cgroup.freeze in %s (Linux < 5.2)\n", mount);
                return false;
        }
        move_to(x, x->n_cgroups - 1, c->pid);
        struct freeze_target t = {
                .cgroup_mount = mount,
                .cgroup_path = rel,
                .cgroup_version = CGROUP_V2,
                .cgroup_exact = true,
        };
        int r = freeze_start(&x->f, &t);
        assert_true(r == 0 || r == 1);
        assert_int_equal(x->f.kind, FREEZE_CGROUP_V2);
        /* As the daemon does: wait for EPOLLPRI on cgroup.events, then
         * re-check (the check's read consumes the event). */
        while (r == 0) {
                struct pollfd p = { .fd = freeze_event_fd(&x->f), .events = POLLPRI };
                assert_int_equal(poll(&p, 1, 10000), 1);
                assert_true(p.revents & POLLPRI);
                r = freeze_check(&x->f);
        }
        assert_int_equal(r, 1);
        snprintf(path, sizeof(path), "%s/cgroup.events", x->cgroups[x->n_cgroups - 1]);
        read_text(path, buf, sizeof(buf));
        assert_int_equal(freeze_parse_cgroup_events(buf), 1);
        snprintf(path, sizeof(path), "v2 %s\n", x->cgroups[x->n_cgroups - 1]);
        assert_state_file(x, path);
        *ret_mount = mount;
        return true;
}

static void test_v2(void **state)
{
        struct fx *x = *state;
        struct child *c = spawn(x);
        const char *mount;
        char path[300], buf[64];

        if (!freeze_v2(x, c, &mount))
                skip();
        assert_int_equal(freeze_thaw(&x->f), 0);
        snprintf(path, sizeof(path), "%s/cgroup.events", x->cgroups[0]);
        read_text(path, buf, sizeof(buf));
        assert_int_equal(freeze_parse_cgroup_events(buf), 0);
        assert_runs(c);
        assert_false(exists(x->state));
}

/* --- crashes --------------------------------------------------------------- */

/* The daemon dies: its memory is gone, nothing was thawed. */
static void crash(struct freeze *f)
{
        if (f->cgfd >= 0)
                close(f->cgfd);
        if (f->events_fd >= 0)
                close(f->events_fd);
        freeze_init(f, f->procfd, f->state_path);
}

static void recover_one(struct fx *x)
{
        struct freeze_recovery rep;
        char tmp[160];

        /* A torn rewrite was left behind too. */
        snprintf(tmp, sizeof(tmp), "%s.tmp", x->state);
        write_text(tmp, "pid 4");
        assert_int_equal(freeze_thaw_recorded(x->state, x->procfd, NULL, NULL, &rep), 0);
        assert_int_equal(rep.thawed, 1);
        assert_int_equal(rep.gone, 0);
        assert_int_equal(rep.failed, 0);
        assert_int_equal(rep.bad_lines, 0);
        assert_false(exists(x->state));
        assert_false(exists(tmp));
}

static void test_crash_sigstop(void **state)
{
        struct fx *x = *state;
        struct child *c = spawn(x);
        struct freeze_pid p = { c->pid, c->ticks };
        struct freeze_target t = { .pids = &p, .n_pids = 1 };

        int r = freeze_start(&x->f, &t);
        assert_true(r == 0 || r == 1);
        wait_stopped(c->pid);
        crash(&x->f);
        assert_int_equal(proc_state(x->procfd, c->pid), 'T');

        recover_one(x);
        assert_continued(c->pid);
        assert_runs(c);
}

static void test_crash_v1(void **state)
{
        struct fx *x = *state;
        char rel[64], path[300], buf[64];

        if (!exists(FREEZER_V1 "/tasks")) {
                print_message("SKIP: no cgroup v1 freezer at %s\n", FREEZER_V1);
                skip();
        }
        if (!real_cgroup(x, FREEZER_V1, CGROUP_V1, rel, sizeof(rel)))
                skip();
        struct child *c = spawn(x);
        freeze_v1(x, c, rel, sizeof(rel));
        crash(&x->f);
        snprintf(path, sizeof(path), "%s/freezer.state", x->cgroups[0]);
        read_text(path, buf, sizeof(buf));
        assert_string_equal(buf, "FROZEN\n");

        recover_one(x);
        read_text(path, buf, sizeof(buf));
        assert_string_equal(buf, "THAWED\n");
        assert_runs(c);
}

static void test_crash_v2(void **state)
{
        struct fx *x = *state;
        struct child *c = spawn(x);
        const char *mount;
        char path[300], buf[64];

        if (!freeze_v2(x, c, &mount))
                skip();
        crash(&x->f);
        snprintf(path, sizeof(path), "%s/cgroup.events", x->cgroups[0]);
        read_text(path, buf, sizeof(buf));
        assert_int_equal(freeze_parse_cgroup_events(buf), 1);

        recover_one(x);
        read_text(path, buf, sizeof(buf));
        assert_int_equal(freeze_parse_cgroup_events(buf), 0);
        assert_runs(c);
}

/* A state file from an older life: a recycled PID, a removed cgroup, an
 * exited process, garbage and a torn last line. */
struct recovered {
        unsigned n;
        unsigned line_no[8];
        int result[8];
};

static void note(const struct freeze_record *rec, unsigned line_no, int result, void *userdata)
{
        struct recovered *r = userdata;

        assert_true(r->n < 8);
        r->line_no[r->n] = line_no;
        r->result[r->n++] = result;
}

static void test_recover_stale(void **state)
{
        struct fx *x = *state;
        struct child *recycled = spawn(x); /* its PID, another start time */
        struct child *ours = spawn(x);
        struct child *dead = spawn(x);
        struct freeze_recovery rep;
        struct recovered seen = { 0 };
        char text[1024];

        assert_int_equal(kill(recycled->pid, SIGSTOP), 0);
        wait_stopped(recycled->pid);
        assert_int_equal(kill(ours->pid, SIGSTOP), 0);
        wait_stopped(ours->pid);
        kill(dead->pid, SIGKILL);
        assert_int_equal(waitpid(dead->pid, NULL, 0), dead->pid);
        snprintf(text, sizeof(text),
                 "pid %d %" PRIu64 "\n"   /* 1: stale, no SIGCONT */
                 "garbage here\n"         /* 2: bad */
                 "pid %d %" PRIu64 "\n"   /* 3: thawed */
                 "v2 %s/removed-cgroup\n" /* 4: gone */
                 "pid %d %" PRIu64 "\n"   /* 5: gone */
                 "v1 /x/../y\n"           /* 6: bad */
                 "pid 5",                 /* 7: torn */
                 (int)recycled->pid, recycled->ticks + 1, (int)ours->pid, ours->ticks, x->dir, (int)dead->pid,
                 dead->ticks);
        write_text(x->state, text);

        assert_int_equal(freeze_thaw_recorded(x->state, x->procfd, note, &seen, &rep), 0);
        assert_int_equal(rep.thawed, 1);
        assert_int_equal(rep.gone, 3);
        assert_int_equal(rep.failed, 0);
        assert_int_equal(rep.bad_lines, 3);
        assert_int_equal(rep.first_bad_line, 2);
        assert_int_equal(rep.error, 0);
        assert_int_equal(seen.n, 7);
        static const int expect[] = { -ESRCH, -EINVAL, 0, -ENOENT, -ESRCH, -EINVAL, -EINVAL };
        for (unsigned i = 0; i < 7; i++) {
                assert_int_equal(seen.line_no[i], i + 1);
                assert_int_equal(seen.result[i], expect[i]);
        }
        assert_false(exists(x->state));

        assert_continued(ours->pid);
        assert_runs(ours);
        /* The stale record did not resume a process it does not name. */
        assert_not_continued(recycled->pid);
        assert_int_equal(proc_state(x->procfd, recycled->pid), 'T');
}

static void test_recover_nothing(void **state)
{
        struct fx *x = *state;
        struct freeze_recovery rep;

        assert_int_equal(freeze_thaw_recorded(x->state, x->procfd, NULL, NULL, &rep), 0);
        assert_int_equal(rep.thawed + rep.gone + rep.failed + rep.bad_lines, 0);
        /* A directory where the file should be cannot be read. */
        assert_int_equal(mkdir(x->state, 0755), 0);
        assert_true(freeze_thaw_recorded(x->state, x->procfd, NULL, NULL, &rep) < 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
        sigset_t chld;

        /* SIGCHLD is read from a signalfd by wait_stopped(). */
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        sigprocmask(SIG_BLOCK, &chld, NULL);

        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_record_parse_valid),
                cmocka_unit_test(test_record_parse_garbage),
                cmocka_unit_test(test_record_format),
                cmocka_unit_test(test_state_parse),
                cmocka_unit_test(test_state_parse_chunks),
                cmocka_unit_test(test_state_parse_stops),
                cmocka_unit_test(test_parse_kernel_files),
                cmocka_unit_test(test_parse_proc_cgroup),
                cmocka_unit_test(test_cgroup_contains),
                T(test_fake_v2),
                T(test_fake_v1_retry),
                T(test_shared_state_file),
                T(test_refuses),
                T(test_sigstop),
                T(test_sigstop_leaves_others),
                T(test_sigstop_all_gone),
                T(test_unrecordable),
                T(test_fallback),
                T(test_v1),
                T(test_v2),
                T(test_crash_sigstop),
                T(test_crash_v1),
                T(test_crash_v2),
                T(test_recover_stale),
                T(test_recover_nothing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
