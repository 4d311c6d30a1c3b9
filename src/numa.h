/* SPDX-License-Identifier: MIT */
/*
 * NUMA node sets as domains. A cpuset (or a memory policy) that limits a
 * process to some nodes limits its allocations to the memory of those
 * nodes: the kernel's constrained_alloc() then counts only their pages as
 * totalpages, and its OOM killer looks only at the tasks allowed there.
 * triage mirrors that with a node-set domain, from `nodes = 0-1` or from a
 * cpuset cgroup's memory nodes (`cpuset = /path`).
 *
 * Two parts:
 *
 *  - Node masks (struct numa_mask) and the kernel's node-list syntax
 *    ("0-3,8,10-11", as cpuset.mems and /proc/PID/status Mems_allowed_list
 *    print it). Pure and header-only: proc.c, config.c and policy.c use
 *    them, and every test and fuzzer that links one of those would
 *    otherwise have to link numa.c too.
 *
 *  - The memory of a node set (numa.c): node meminfo parsing and readers
 *    that take the sysfs root fd (/sys or a fixture's sys/), open the files
 *    once and pread() them on every sample.
 *
 * Allowable and available memory of a node set N (what numa_estimate()
 * computes, in KiB):
 *
 *   allowable = sum over N of MemTotal + SwapTotal
 *
 *     MemTotal of a node is its managed pages, like the system's MemTotal.
 *     The kernel counts node_present_pages() (slightly more: pages the
 *     firmware and early boot keep are present but never managed), which
 *     sysfs does not show; the difference is well under 1%. Swap is counted
 *     because the kernel's cpuset-constrained OOM does (totalpages =
 *     total_swap_pages + the nodes' pages): swap is not per node.
 *
 *   available = sum over N of (MemFree + Active(file) + Inactive(file)
 *                              + KReclaimable)
 *               - D * (sum over N of MemTotal) / MemTotal
 *               + SwapFree
 *
 *     The kernel computes MemAvailable only globally (si_mem_available()):
 *       MemFree - totalreserve + pagecache - min(pagecache / 2, wmark_low)
 *       + reclaimable - min(reclaimable / 2, wmark_low)
 *     with pagecache = Active(file) + Inactive(file) (the file LRU lists:
 *     shmem is on the anon lists, so FilePages - Shmem would count swap
 *     cache and unevictable pages as droppable) and reclaimable =
 *     KReclaimable (reclaimable slab and other kernel caches; SReclaimable
 *     on kernels before 4.20). Node meminfo has every one of those terms
 *     per node except the reserves and watermarks. Their global total is
 *     exact: D = MemFree + Active(file) + Inactive(file) + KReclaimable -
 *     MemAvailable, all from /proc/meminfo. Watermarks and reserves are set
 *     per zone in proportion to its managed pages
 *     (__setup_per_zone_wmarks()), so a node's share of D is taken in
 *     proportion to its MemTotal. For a set that holds all of the memory
 *     this is exactly MemAvailable; for fewer nodes it errs only in how the
 *     reserves (the lowmem reserve of the DMA zones, on node 0) are spread.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- node masks (header-only) ------------------------------------------- */

/* Nodes tracked one by one; a set with higher nodes is flagged. The
 * kernel's MAX_NUMNODES is at most 1024 (NODES_SHIFT 10). */
#define NUMA_MASK_NODES 64
/* Node numbers above this are malformed input, not a big machine. */
#define NUMA_NODE_NUMBER_MAX 65535
/* The longest list of nodes 0-63 is 121 characters ("0-1,3-4,...,60-61,63",
 * found by search), 125 with ",64+". */
#define NUMA_MASK_TEXT_MAX 128

struct numa_mask {
        uint64_t bits; /* node N is bit N, for N < NUMA_MASK_NODES */
        bool high;     /* the set also holds nodes >= NUMA_MASK_NODES */
};

static inline bool numa_mask_empty(const struct numa_mask *m)
{
        return m->bits == 0 && !m->high;
}

static inline bool numa_mask_equal(const struct numa_mask *a, const struct numa_mask *b)
{
        return a->bits == b->bits && a->high == b->high;
}

/* Whether every node of a is in b. An empty a (unknown: a kernel without
 * cpusets prints no Mems_allowed_list) is in no set; a set with nodes >=
 * NUMA_MASK_NODES is in a set only if that one has them too (then it cannot
 * tell which: such sets are not accepted for domains). */
static inline bool numa_mask_subset(const struct numa_mask *a, const struct numa_mask *b)
{
        if (numa_mask_empty(a))
                return false;
        if (a->high && !b->high)
                return false;
        return (a->bits & ~b->bits) == 0;
}

static inline const char *numa_list_blanks(const char *s)
{
        while (*s == ' ' || *s == '\t')
                s++;
        return s;
}

/* One node number; *s moves past it. */
static inline int numa_list_number(const char **s, unsigned *ret)
{
        const char *p = numa_list_blanks(*s);
        unsigned v = 0;

        if (*p < '0' || *p > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                v = v * 10 + (unsigned)(*p - '0');
                if (v > NUMA_NODE_NUMBER_MAX)
                        return -ERANGE;
        }
        *s = numa_list_blanks(p);
        *ret = v;
        return 0;
}

/*
 * Parses a node list: comma-separated numbers and ranges "A-B" (A <= B),
 * blanks around them allowed, one trailing newline allowed; "" and "\n"
 * are the empty set. Returns 0, -EINVAL (malformed) or -ERANGE (a node
 * above NUMA_NODE_NUMBER_MAX); *ret is written only on success.
 */
static inline int numa_mask_parse(const char *s, struct numa_mask *ret)
{
        struct numa_mask m = { 0, false };
        int r;

        s = numa_list_blanks(s);
        if (*s == '\0' || (s[0] == '\n' && s[1] == '\0')) {
                *ret = m;
                return 0;
        }
        for (;;) {
                unsigned lo, hi;

                r = numa_list_number(&s, &lo);
                if (r < 0)
                        return r;
                hi = lo;
                if (*s == '-') {
                        s++;
                        r = numa_list_number(&s, &hi);
                        if (r < 0)
                                return r;
                        if (hi < lo)
                                return -EINVAL;
                }
                for (unsigned n = lo; n <= hi && n < NUMA_MASK_NODES; n++)
                        m.bits |= UINT64_C(1) << n;
                if (hi >= NUMA_MASK_NODES)
                        m.high = true;
                if (*s == ',') {
                        s++;
                        continue;
                }
                if (*s == '\n')
                        s++;
                if (*s != '\0')
                        return -EINVAL;
                break;
        }
        *ret = m;
        return 0;
}

/* Writes m as a node list ("0-3,8,10-11"; "" for the empty set; nodes
 * above 63 as a final "64+"). Returns buf, truncated to size. */
static inline const char *numa_mask_format(const struct numa_mask *m, char *buf, size_t size)
{
        size_t len = 0;

        if (size == 0)
                return buf;
        buf[0] = '\0';
        for (unsigned n = 0; n < NUMA_MASK_NODES; n++) {
                unsigned end = n;
                int w;

                if (!(m->bits & (UINT64_C(1) << n)))
                        continue;
                while (end + 1 < NUMA_MASK_NODES && (m->bits & (UINT64_C(1) << (end + 1))))
                        end++;
                if (end == n)
                        w = snprintf(buf + len, size - len, "%s%u", len ? "," : "", n);
                else
                        w = snprintf(buf + len, size - len, "%s%u-%u", len ? "," : "", n, end);
                if (w < 0 || (size_t)w >= size - len)
                        return buf;
                len += (size_t)w;
                n = end;
        }
        if (m->high)
                snprintf(buf + len, size - len, "%s%u+", len ? "," : "", (unsigned)NUMA_MASK_NODES);
        return buf;
}

/* ---- the memory of a node set (numa.c) ----------------------------------- */

/* The figures of one node's meminfo (/sys/devices/system/node/nodeN/
 * meminfo, "Node N Key: value kB") or of /proc/meminfo ("Key: value kB"):
 * the same keys. The mem_available and swap fields are /proc/meminfo's
 * only (0 in a node's file). */
struct numa_meminfo {
        uint64_t mem_total_kib;
        uint64_t mem_free_kib;
        uint64_t active_file_kib;
        uint64_t inactive_file_kib;
        uint64_t kreclaimable_kib; /* KReclaimable, or SReclaimable before 4.20 */
        uint64_t mem_available_kib;
        uint64_t swap_total_kib;
        uint64_t swap_free_kib;
};

/*
 * Parses a node's meminfo or /proc/meminfo. MemTotal, MemFree,
 * Active(file) and Inactive(file) are required, and in a node's file
 * every line must carry the same "Node N " prefix (*ret_node gets N; -1
 * for /proc/meminfo, which must have MemAvailable (Linux >= 3.14);
 * ret_node may be NULL). Returns 0 or -EINVAL.
 */
int numa_meminfo_parse(const char *buf, struct numa_meminfo *ret, int *ret_node);

/* Adds the node figures of b to a (MemTotal, MemFree, file lists,
 * KReclaimable). */
void numa_meminfo_add(struct numa_meminfo *a, const struct numa_meminfo *b);

/*
 * The estimate described at the top: `nodes` is the sum of the set's node
 * figures, `system` is /proc/meminfo. Returns the available KiB and sets
 * *ret_allowable_kib.
 */
uint64_t numa_estimate(const struct numa_meminfo *nodes, const struct numa_meminfo *system,
                       uint64_t *ret_allowable_kib);

/* Where a node set comes from. */
enum numa_source {
        NUMA_SOURCE_NODES,  /* a fixed list (`nodes =`) */
        NUMA_SOURCE_CPUSET, /* a cpuset's memory nodes, followed when they change */
};

/* Node meminfo files held open: one per node of the set. */
#define NUMA_PATH_MAX 256

struct numa_domain {
        bool open;
        enum numa_source source;
        int sysfd; /* not owned: the sysfs root the files are under */
        struct numa_mask mask;
        int node_fds[NUMA_MASK_NODES];
        size_t n_nodes;
        /* NUMA_SOURCE_CPUSET: the cpuset's memory-node file, relative to
         * sysfd ("fs/cgroup/web/cpuset.mems.effective"), and its fd. */
        char cpuset_file[NUMA_PATH_MAX];
        int cpuset_fd;
        bool mask_changed; /* the last read found new nodes (and reopened) */
};

/* The figures of the set at the last read. */
struct numa_memory {
        uint64_t allowable_kib;
        uint64_t available_kib;
        struct numa_meminfo nodes; /* their sum */
};

/*
 * Reads the memory nodes of the cpuset cgroup `path` ("/web", relative to
 * the cgroup root) under sysfd: cgroup v2's cpuset.mems.effective under
 * v2_mount ("fs/cgroup", "fs/cgroup/unified"; NULL or "" if none), else
 * cgroup v1's cpuset.effective_mems, then cpuset.mems, under
 * fs/cgroup/cpuset. Sets *ret and, if ret_file is not NULL, the file read
 * (relative to sysfd, at most NUMA_PATH_MAX). Returns 0; -ENOENT if no
 * hierarchy has the cgroup; -EINVAL for a malformed file; -ENAMETOOLONG.
 */
int numa_cpuset_read(int sysfd, const char *v2_mount, const char *path, struct numa_mask *ret,
                     char *ret_file);

/*
 * Opens the meminfo of every node of mask under sysfd
 * (devices/system/node/nodeN/meminfo). nd is written whole. Returns 0;
 * -ENOENT if a node does not exist (or has no meminfo); -EINVAL for an
 * empty mask; -ERANGE for nodes >= NUMA_MASK_NODES; -errno.
 */
int numa_domain_open_nodes(struct numa_domain *nd, int sysfd, const struct numa_mask *mask);

/* Like numa_domain_open_nodes() for the nodes of a cpuset (see
 * numa_cpuset_read()); the cpuset's file stays open and every
 * numa_domain_read() follows changes to it. */
int numa_domain_open_cpuset(struct numa_domain *nd, int sysfd, const char *v2_mount, const char *path);

/*
 * pread()s the set's node files (and, for a cpuset, its memory-node file
 * first: when the nodes changed, the node files are reopened and
 * nd->mask_changed is set) and /proc/meminfo from meminfo_fd, and
 * estimates. Allocates nothing; opens files only when a cpuset changed.
 * Returns 0 or -errno (-ENOENT/-ENODEV: the cpuset is gone; -EINVAL:
 * malformed or empty).
 */
int numa_domain_read(struct numa_domain *nd, int meminfo_fd, struct numa_memory *ret);

/* Closes what nd holds; safe on a zeroed or closed struct. */
void numa_domain_close(struct numa_domain *nd);
