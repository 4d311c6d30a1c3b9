/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the VM workload programs (hog, hold). Each program is
 * one .c file built alone with `cc -static` by tests/vm/run.sh, so these
 * are static functions in a header. On any error they print the reason
 * and exit(2): a workload that cannot do what the scenario asked must not
 * go on silently.
 */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#define MIB_BYTES (1024UL * 1024UL)

static inline void __attribute__((noreturn, format(printf, 2, 3)))
workload_die(const char *prog, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "%s: ", prog);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(2);
}

/* Parses a decimal long in [min, max]; exits on anything else. */
static inline long workload_parse_long(const char *prog, const char *what, const char *s, long min, long max)
{
        char *end;

        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
                workload_die(prog, "bad %s '%s' (want %ld..%ld)", what, s, min, max);
        return v;
}

/* Writes adj to /proc/self/oom_score_adj. Lowering it needs
 * CAP_SYS_RESOURCE, which the VM has. */
static inline void workload_set_adj(const char *prog, long adj)
{
        char buf[16];
        int len = snprintf(buf, sizeof(buf), "%ld\n", adj);
        int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

        if (fd < 0)
                workload_die(prog, "open oom_score_adj: %s", strerror(errno));
        if (write(fd, buf, (size_t)len) != len)
                workload_die(prog, "write oom_score_adj %ld: %s", adj, strerror(errno));
        close(fd);
}

/* Sets the comm name (at most 15 characters are kept by the kernel). */
static inline void workload_set_name(const char *prog, const char *name)
{
        if (prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL) < 0)
                workload_die(prog, "prctl PR_SET_NAME %s: %s", name, strerror(errno));
}

/*
 * Maps one MiB of private anonymous memory and writes every page, so it is
 * resident and counts in RSS (MM_ANONPAGES) at once. The pages get a
 * non-zero byte so that nothing can share or deduplicate them.
 */
static inline void workload_touch_mib(const char *prog)
{
        long page = sysconf(_SC_PAGESIZE);
        char *p = mmap(NULL, MIB_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (p == MAP_FAILED)
                workload_die(prog, "mmap 1 MiB: %s", strerror(errno));
        if (page <= 0)
                page = 4096;
        for (size_t off = 0; off < MIB_BYTES; off += (size_t)page)
                p[off] = (char)(off / (size_t)page + 1);
}

/* Prints one line to stdout and flushes it: stdout is usually a log file
 * that a scenario polls while the program runs. */
static inline void __attribute__((format(printf, 1, 2))) workload_say(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
}
