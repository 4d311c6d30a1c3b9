/* SPDX-License-Identifier: MIT */
/*
 * Scan-and-rank cost with N live processes: triage's proc_scan() +
 * policy_rank() against reading every /proc/PID/oom_score, which is how
 * earlyoom picks its victim.
 *
 *   bench/scan [-k PASSES] [N ...]        (default: -k 10  100 1000 10000)
 *
 * For each N the program forks N - 1 children that block on a pipe read
 * (so N processes of ours exist), times PASSES passes of each method with
 * CLOCK_MONOTONIC after one warm-up pass, and prints the median time per
 * pass and per process seen. The real /proc is scanned: the processes
 * already running on the machine are counted in "seen".
 *
 * The children exit when the pipe's write end closes: when we close it, and
 * also when this program dies in any way (the kernel closes it for us);
 * PR_SET_PDEATHSIG is a second guard. Every child is reaped before the next
 * N. 10,000 sleeping children cost about 1 GiB of kernel memory (page
 * tables and kernel stacks): run it inside a memory cgroup with a limit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "badness.h"
#include "meminfo.h"
#include "policy.h"
#include "proc.h"

#define PASSES_DEFAULT 10
#define PASSES_MAX 1000
#define N_MAX 100000
/* Room for processes that start while we run. */
#define TABLE_SLACK 1024

struct children {
        pid_t *pids;
        size_t n;
        int wfd; /* write end; -1 once closed */
};

struct timing {
        uint64_t nsec[PASSES_MAX];
        size_t seen[PASSES_MAX];
};

/* One row of results: median time of a pass and processes seen in it. */
struct result {
        uint64_t nsec;
        size_t seen;
};

static uint64_t now_nsec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static int u64_cmp(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return (x > y) - (x < y);
}

static struct result timing_median(struct timing *t, size_t passes)
{
        struct result r = { 0 };
        uint64_t sorted[PASSES_MAX];
        size_t seen = 0;

        memcpy(sorted, t->nsec, passes * sizeof(sorted[0]));
        qsort(sorted, passes, sizeof(sorted[0]), u64_cmp);
        for (size_t i = 0; i < passes; i++)
                seen += t->seen[i];
        r.nsec = sorted[passes / 2];
        r.seen = (seen + passes / 2) / passes;
        return r;
}

/* Closes the write end (every child's read returns 0 and it exits), then
 * reaps them all. Safe to call twice. */
static void children_stop(struct children *c)
{
        if (c->wfd >= 0) {
                close(c->wfd);
                c->wfd = -1;
        }
        for (size_t i = 0; i < c->n; i++) {
                while (waitpid(c->pids[i], NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        c->n = 0;
        free(c->pids);
        c->pids = NULL;
}

static void child_main(int rfd, int wfd, pid_t parent)
{
        char b;

        close(wfd);
        /* If the parent is already gone the pipe is closed and read()
         * returns 0 at once; PDEATHSIG covers a parent killed before it
         * could close anything. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
                _exit(0);
        while (read(rfd, &b, 1) < 0 && errno == EINTR)
                ;
        _exit(0);
}

/* Forks n sleeping children. On failure, the ones made are stopped and
 * -errno returned. */
static int children_start(struct children *c, size_t n)
{
        int fds[2];
        pid_t self = getpid();

        *c = (struct children){ .wfd = -1 };
        if (n == 0)
                return 0;
        c->pids = calloc(n, sizeof(*c->pids));
        if (!c->pids)
                return -ENOMEM;
        if (pipe2(fds, O_CLOEXEC) < 0) {
                int r = -errno;
                free(c->pids);
                c->pids = NULL;
                return r;
        }
        c->wfd = fds[1];
        for (size_t i = 0; i < n; i++) {
                pid_t pid = fork();

                if (pid < 0) {
                        int r = -errno;
                        close(fds[0]);
                        children_stop(c);
                        return r;
                }
                if (pid == 0)
                        child_main(fds[0], fds[1], self);
                c->pids[c->n++] = pid;
        }
        close(fds[0]);
        return 0;
}

/*
 * Lists /proc and reads `file` of every PID, the way earlyoom reads
 * oom_score (the kernel computes oom_badness() in that read); keeps the PID
 * with the highest number found. Returns the processes read.
 */
static int scan_file(int procfd, const char *file, pid_t *ret_worst)
{
        int dfd = openat(procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *dir;
        struct dirent *d;
        int seen = 0;
        long worst = -1;

        if (dfd < 0)
                return -errno;
        dir = fdopendir(dfd);
        if (!dir) {
                int r = -errno;
                close(dfd);
                return r;
        }
        while ((d = readdir(dir)) != NULL) {
                char path[64], buf[4096];

                if (d->d_name[0] < '1' || d->d_name[0] > '9')
                        continue;
                pid_t pid = (pid_t)atoi(d->d_name);
                snprintf(path, sizeof(path), "%d/%s", (int)pid, file);
                int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                ssize_t n = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                if (n < 0)
                        continue;
                buf[n] = '\0';
                long v = strtol(buf, NULL, 10);
                seen++;
                if (v > worst) {
                        worst = v;
                        *ret_worst = pid;
                }
        }
        closedir(dir);
        return seen;
}

/* Times `passes` passes of scan_file() after one warm-up pass. */
static int time_scan_file(int procfd, const char *file, size_t passes, struct timing *t, struct result *ret)
{
        pid_t worst = 0;
        int r = scan_file(procfd, file, &worst);

        if (r < 0)
                return r;
        for (size_t i = 0; i < passes; i++) {
                uint64_t t0 = now_nsec();
                r = scan_file(procfd, file, &worst);
                t->nsec[i] = now_nsec() - t0;
                if (r < 0)
                        return r;
                t->seen[i] = (size_t)r;
        }
        *ret = timing_median(t, passes);
        return 0;
}

struct triage_bench {
        int procfd;
        struct proc_table table;
        struct candidate *ranked;
        struct policy_domain domain;
};

/* One triage pass: a full scan reading `what`, then a ranking of the system
 * domain. Times the two parts separately. */
static int triage_pass(struct triage_bench *b, unsigned what, uint64_t *ret_scan_nsec,
                       uint64_t *ret_rank_nsec)
{
        uint64_t t0 = now_nsec();
        int r = proc_scan(b->procfd, what, &b->table);
        uint64_t t1 = now_nsec();

        if (r < 0)
                return r;
        size_t n = policy_rank(&b->domain, &b->table, false, b->ranked, b->table.capacity);
        uint64_t t2 = now_nsec();

        if (n > 0 && !policy_pick_victim(b->ranked, n))
                return -EINVAL;
        *ret_scan_nsec = t1 - t0;
        *ret_rank_nsec = t2 - t1;
        return r;
}

static void print_row(const char *what, struct result r)
{
        printf("  %-40s %10.3f %12.3f\n", what, (double)r.nsec / 1e6,
               r.seen ? (double)r.nsec / 1e3 / (double)r.seen : 0.0);
}

static int count_processes(int procfd)
{
        pid_t worst = 0;

        return scan_file(procfd, "oom_score", &worst);
}

/* Runs every method `passes` times with the current process population. */
static int bench_run(struct triage_bench *b, size_t passes, size_t n_ours)
{
        static const struct {
                const char *name;
                const char *short_name;
                unsigned what;
        } variants[] = {
                { "stat+status (system domain)", "stat+status", 0 },
                { "+cgroup (cgroup domains)", "+cgroup", PROC_READ_CGROUP },
                { "all files (triagectl rank)", "all files", PROC_READ_ALL },
        };
        static const char *const files[] = {
                "stat", "status", "statm", "oom_score_adj", "cgroup", "cmdline"
        };
        struct timing *scan = calloc(1, sizeof(*scan));
        struct timing *rank = calloc(1, sizeof(*rank));
        struct timing *sum = calloc(1, sizeof(*sum));
        int r = 0;

        if (!scan || !rank || !sum) {
                r = -ENOMEM;
                goto out;
        }

        /* earlyoom's way first. */
        struct result oom;
        r = time_scan_file(b->procfd, "oom_score", passes, scan, &oom);
        if (r < 0)
                goto out;
        printf("N=%zu: %zu processes of ours, %zu seen in /proc, %zu passes (median)\n", n_ours + 1,
               n_ours + 1, oom.seen, passes);
        printf("  %-40s %10s %12s\n", "method", "ms/pass", "us/process");
        print_row("earlyoom: read every oom_score", oom);

        for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
                uint64_t s, k;
                char label[64];

                r = triage_pass(b, variants[v].what, &s, &k);
                if (r < 0)
                        goto out;
                for (size_t i = 0; i < passes; i++) {
                        r = triage_pass(b, variants[v].what, &s, &k);
                        if (r < 0)
                                goto out;
                        scan->nsec[i] = s;
                        rank->nsec[i] = k;
                        sum->nsec[i] = s + k;
                        scan->seen[i] = rank->seen[i] = sum->seen[i] = (size_t)r;
                }
                if (b->table.dropped > 0)
                        fprintf(stderr, "scan: warning: %zu processes did not fit the table\n",
                                b->table.dropped);
                snprintf(label, sizeof(label), "triage scan, %s", variants[v].name);
                print_row(label, timing_median(scan, passes));
                if (v == 0)
                        print_row("triage rank (policy_rank)", timing_median(rank, passes));
                snprintf(label, sizeof(label), "triage scan+rank, %s", variants[v].short_name);
                print_row(label, timing_median(sum, passes));
        }

        /* Where the scan's time goes: one file of every process at a time
         * (each row includes listing /proc and opening the file). */
        for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
                struct result one;
                char label[64];

                r = time_scan_file(b->procfd, files[f], passes, scan, &one);
                if (r < 0)
                        goto out;
                snprintf(label, sizeof(label), "  only /proc/PID/%s", files[f]);
                print_row(label, one);
        }
        r = 0;
out:
        free(sum);
        free(rank);
        free(scan);
        return r;
}

static int bench_one(size_t n, size_t passes)
{
        struct triage_bench b = { .procfd = -1 };
        struct children kids = { .wfd = -1 };
        struct meminfo mi;
        int r, fd;

        b.procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (b.procfd < 0)
                return -errno;
        fd = meminfo_open(b.procfd);
        if (fd < 0) {
                r = fd;
                goto out;
        }
        r = meminfo_read(fd, &mi);
        close(fd);
        if (r < 0)
                goto out;

        /* Children first, so they do not inherit the tables below. */
        fflush(stdout);
        r = children_start(&kids, n - 1);
        if (r < 0) {
                fprintf(stderr, "scan: forking %zu children: %s\n", n - 1, strerror(-r));
                goto out;
        }
        r = count_processes(b.procfd);
        if (r < 0)
                goto out;
        size_t capacity = (size_t)r + TABLE_SLACK;
        r = proc_table_init(&b.table, capacity);
        if (r < 0)
                goto out;
        b.ranked = calloc(capacity, sizeof(*b.ranked));
        if (!b.ranked) {
                r = -ENOMEM;
                goto out;
        }
        long page = sysconf(_SC_PAGESIZE);
        b.domain = (struct policy_domain){
                .cgroup_path = NULL,
                .allowable_kib = meminfo_allowable_kib(&mi),
                .page_kib = page > 0 ? (unsigned)(page / 1024) : 4,
                .mode = BADNESS_KERNEL,
                .self_pid = getpid(),
        };

        r = bench_run(&b, passes, n - 1);
out:
        children_stop(&kids);
        free(b.ranked);
        proc_table_free(&b.table);
        if (b.procfd >= 0)
                close(b.procfd);
        return r;
}

static int parse_size(const char *s, size_t min, size_t max, size_t *ret)
{
        char *end;
        unsigned long long v;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || end == s || *end || v < min || v > max)
                return -EINVAL;
        *ret = (size_t)v;
        return 0;
}

int main(int argc, char **argv)
{
        static const size_t default_n[] = { 100, 1000, 10000 };
        size_t passes = PASSES_DEFAULT;
        int opt;

        while ((opt = getopt(argc, argv, "k:h")) != -1) {
                switch (opt) {
                case 'k':
                        if (parse_size(optarg, 1, PASSES_MAX, &passes) < 0) {
                                fprintf(stderr, "scan: -k wants 1..%d\n", PASSES_MAX);
                                return 2;
                        }
                        break;
                default:
                        fprintf(stderr, "usage: %s [-k PASSES] [N ...]\n", argv[0]);
                        return opt == 'h' ? 0 : 2;
                }
        }

        /* A child that outlives us is impossible (the pipe closes), but a
         * broken stdout must not stop us before we reap them. */
        signal(SIGPIPE, SIG_IGN);

        char kernel[256] = "?";
        FILE *f = fopen("/proc/sys/kernel/osrelease", "re");
        if (f) {
                if (fgets(kernel, sizeof(kernel), f))
                        kernel[strcspn(kernel, "\n")] = '\0';
                fclose(f);
        }
        printf("triage scan bench: kernel %s, %ld CPUs online\n", kernel, sysconf(_SC_NPROCESSORS_ONLN));

        size_t n_count = optind < argc ? (size_t)(argc - optind) : sizeof(default_n) / sizeof(default_n[0]);
        for (size_t i = 0; i < n_count; i++) {
                size_t n;

                if (optind < argc) {
                        if (parse_size(argv[optind + (int)i], 1, N_MAX, &n) < 0) {
                                fprintf(stderr, "scan: N must be 1..%d\n", N_MAX);
                                return 2;
                        }
                } else {
                        n = default_n[i];
                }
                int r = bench_one(n, passes);
                if (r < 0) {
                        fprintf(stderr, "scan: N=%zu: %s\n", n, strerror(-r));
                        return 1;
                }
                printf("\n");
        }
        return 0;
}
