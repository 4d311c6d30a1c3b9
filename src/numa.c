/* SPDX-License-Identifier: MIT */
#include "numa.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "meminfo.h"
#include "util.h"

/*
 * A node's meminfo is a sysfs attribute, so at most one page; on 6.18 it is
 * 1245 bytes (36 lines); /proc/meminfo is about 1.5 KiB. The keys we need
 * are in the first 30 lines, so a file that fills the buffer is still fine:
 * only the cut-off last line is dropped.
 */
#define NUMA_MEMINFO_BUF 4096
/* cpuset.mems: "0-1023\n" at most for a range; 4 KiB holds a list of every
 * other node of 1024. */
#define NUMA_CPUSET_BUF 4096
/* Where cgroup v1 mounts the cpuset controller, relative to /sys. */
#define NUMA_CPUSET_V1_MOUNT "fs/cgroup/cpuset"

enum {
        KEY_REQUIRED = 1u << 0,
};

enum {
        KEY_MEM_TOTAL,
        KEY_MEM_FREE,
        KEY_ACTIVE_FILE,
        KEY_INACTIVE_FILE,
        KEY_KRECLAIMABLE,
        KEY_SRECLAIMABLE,
        KEY_MEM_AVAILABLE,
        KEY_SWAP_TOTAL,
        KEY_SWAP_FREE,
        _KEY_MAX,
};

static const struct {
        const char *name; /* with the colon */
        unsigned flags;
} numa_keys[_KEY_MAX] = {
        [KEY_MEM_TOTAL] = { "MemTotal:", KEY_REQUIRED },
        [KEY_MEM_FREE] = { "MemFree:", KEY_REQUIRED },
        [KEY_ACTIVE_FILE] = { "Active(file):", KEY_REQUIRED },
        [KEY_INACTIVE_FILE] = { "Inactive(file):", KEY_REQUIRED },
        [KEY_KRECLAIMABLE] = { "KReclaimable:", 0 },
        [KEY_SRECLAIMABLE] = { "SReclaimable:", 0 },
        [KEY_MEM_AVAILABLE] = { "MemAvailable:", 0 },
        [KEY_SWAP_TOTAL] = { "SwapTotal:", 0 },
        [KEY_SWAP_FREE] = { "SwapFree:", 0 },
};

/* "Node 12 " at line -> 12, and *ret_rest past it; -1 without the prefix.
 * Returns 0 or -EINVAL for "Node" followed by something else. */
static int parse_node_prefix(const char *line, const char *eol, int *ret_node, const char **ret_rest)
{
        const char *p = line + 5;
        int node = 0;

        if (eol - line < 5 || memcmp(line, "Node ", 5) != 0) {
                *ret_node = -1;
                *ret_rest = line;
                return 0;
        }
        if (p == eol || *p < '0' || *p > '9')
                return -EINVAL;
        for (; p < eol && *p >= '0' && *p <= '9'; p++) {
                node = node * 10 + (*p - '0');
                if (node > NUMA_NODE_NUMBER_MAX)
                        return -EINVAL;
        }
        if (p == eol || *p != ' ')
                return -EINVAL;
        *ret_node = node;
        *ret_rest = p + 1;
        return 0;
}

int numa_meminfo_parse(const char *buf, struct numa_meminfo *ret, int *ret_node)
{
        uint64_t values[_KEY_MAX] = { 0 };
        unsigned seen = 0;
        int file_node = -2; /* not known yet */

        for (const char *line = buf; *line;) {
                const char *eol = strchrnul(line, '\n');
                const char *key;
                int node;

                if (eol == line) { /* an empty line */
                        line = *eol ? eol + 1 : eol;
                        continue;
                }
                if (parse_node_prefix(line, eol, &node, &key) < 0)
                        return -EINVAL;
                if (file_node == -2)
                        file_node = node;
                else if (node != file_node)
                        return -EINVAL; /* lines of two nodes, or of a node and the system */

                const char *colon = memchr(key, ':', (size_t)(eol - key));
                for (size_t i = 0; colon && i < _KEY_MAX; i++) {
                        size_t len = strlen(numa_keys[i].name);

                        if ((size_t)(colon + 1 - key) != len || memcmp(key, numa_keys[i].name, len) != 0)
                                continue;
                        if (meminfo_parse_kib(colon + 1, eol, &values[i]) < 0)
                                return -EINVAL;
                        seen |= 1u << i;
                        break;
                }
                line = *eol ? eol + 1 : eol;
        }

        for (size_t i = 0; i < _KEY_MAX; i++)
                if ((numa_keys[i].flags & KEY_REQUIRED) && !(seen & (1u << i)))
                        return -EINVAL;
        /* /proc/meminfo: the estimate needs the kernel's own figure. */
        if (file_node < 0 && !(seen & (1u << KEY_MEM_AVAILABLE)))
                return -EINVAL;
        *ret = (struct numa_meminfo){
                .mem_total_kib = values[KEY_MEM_TOTAL],
                .mem_free_kib = values[KEY_MEM_FREE],
                .active_file_kib = values[KEY_ACTIVE_FILE],
                .inactive_file_kib = values[KEY_INACTIVE_FILE],
                /* KReclaimable (4.20) includes SReclaimable. */
                .kreclaimable_kib = (seen & (1u << KEY_KRECLAIMABLE)) ? values[KEY_KRECLAIMABLE]
                                                                      : values[KEY_SRECLAIMABLE],
                .mem_available_kib = values[KEY_MEM_AVAILABLE],
                .swap_total_kib = values[KEY_SWAP_TOTAL],
                .swap_free_kib = values[KEY_SWAP_FREE],
        };
        if (ret_node)
                *ret_node = file_node < 0 ? -1 : file_node;
        return 0;
}

void numa_meminfo_add(struct numa_meminfo *a, const struct numa_meminfo *b)
{
        a->mem_total_kib += b->mem_total_kib;
        a->mem_free_kib += b->mem_free_kib;
        a->active_file_kib += b->active_file_kib;
        a->inactive_file_kib += b->inactive_file_kib;
        a->kreclaimable_kib += b->kreclaimable_kib;
}

/* What si_mem_available() starts from, before it takes the reserves and
 * watermarks off. */
static uint64_t gross_available_kib(const struct numa_meminfo *m)
{
        return m->mem_free_kib + m->active_file_kib + m->inactive_file_kib + m->kreclaimable_kib;
}

uint64_t numa_estimate(const struct numa_meminfo *nodes, const struct numa_meminfo *system,
                       uint64_t *ret_allowable_kib)
{
        uint64_t gross = gross_available_kib(nodes);
        uint64_t system_gross = gross_available_kib(system);
        /* The system's reserves and watermark deductions, exact... */
        uint64_t deduction = system_gross > system->mem_available_kib
                                     ? system_gross - system->mem_available_kib
                                     : 0;
        uint64_t share;

        /* ... and the nodes' share of them, by size. In floating point: the
         * product of two KiB figures overflows 64 bits past 4 PiB each, and
         * a KiB more or less does not matter in an estimate. */
        if (system->mem_total_kib == 0 || nodes->mem_total_kib >= system->mem_total_kib)
                share = deduction;
        else
                share = (uint64_t)((double)deduction * (double)nodes->mem_total_kib /
                                   (double)system->mem_total_kib);

        *ret_allowable_kib = nodes->mem_total_kib + system->swap_total_kib;
        return (gross > share ? gross - share : 0) + system->swap_free_kib;
}

/* ---- reading ------------------------------------------------------------- */

/* Opens the first of the cpuset's memory-node files that exists; its name
 * (relative to sysfd) goes to ret_file. Returns the fd or -errno. */
static int cpuset_open(int sysfd, const char *v2_mount, const char *path, char *ret_file)
{
        static const struct {
                bool v2;
                const char *file;
        } files[] = {
                { true, "cpuset.mems.effective" },
                { false, "cpuset.effective_mems" },
                { false, "cpuset.mems" },
        };
        char name[NUMA_PATH_MAX];
        int r = -ENOENT;

        if (path[0] != '/')
                return -EINVAL;
        /* "/" is the root: "fs/cgroup" + "" + "/cpuset.mems". */
        const char *sub = path[1] ? path : "";

        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                const char *mount = files[i].v2 ? v2_mount : NUMA_CPUSET_V1_MOUNT;
                int n, fd;

                if (!mount || !mount[0])
                        continue;
                n = snprintf(name, sizeof(name), "%s%s/%s", mount, sub, files[i].file);
                if (n < 0 || (size_t)n >= sizeof(name))
                        return -ENAMETOOLONG;
                fd = openat(sysfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd >= 0) {
                        if (ret_file)
                                memcpy(ret_file, name, (size_t)n + 1);
                        return fd;
                }
                r = -errno;
                /* ENOTDIR: a v1 mount point that is a file in a fixture
                 * or, on a real system, not a directory at all. */
                if (r != -ENOENT && r != -ENOTDIR)
                        return r;
                r = -ENOENT;
        }
        return r;
}

static int cpuset_pread(int fd, struct numa_mask *ret)
{
        char buf[NUMA_CPUSET_BUF];
        ssize_t n = pread_file(fd, buf, sizeof(buf));

        if (n < 0)
                return (int)n;
        if ((size_t)n == sizeof(buf) - 1)
                return -EINVAL; /* no list is that long */
        return numa_mask_parse(buf, ret) < 0 ? -EINVAL : 0;
}

int numa_cpuset_read(int sysfd, const char *v2_mount, const char *path, struct numa_mask *ret, char *ret_file)
{
        int fd = cpuset_open(sysfd, v2_mount, path, ret_file);
        int r;

        if (fd < 0)
                return fd;
        r = cpuset_pread(fd, ret);
        close(fd);
        return r;
}

static void close_fds(int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
}

/* Opens the meminfo of each node of mask into fds (NUMA_MASK_NODES);
 * returns the count or -errno (nothing left open). */
static int open_node_files(int sysfd, const struct numa_mask *mask, int *fds)
{
        size_t n = 0;

        if (numa_mask_empty(mask))
                return -EINVAL;
        if (mask->high)
                return -ERANGE;
        for (unsigned node = 0; node < NUMA_MASK_NODES; node++) {
                char name[64];

                if (!(mask->bits & (UINT64_C(1) << node)))
                        continue;
                snprintf(name, sizeof(name), "devices/system/node/node%u/meminfo", node);
                int fd = openat(sysfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0) {
                        int r = -errno;
                        close_fds(fds, n);
                        return r;
                }
                fds[n++] = fd;
        }
        return (int)n;
}

static void domain_init(struct numa_domain *nd, int sysfd, enum numa_source source)
{
        memset(nd, 0, sizeof(*nd));
        nd->sysfd = sysfd;
        nd->source = source;
        nd->cpuset_fd = -1;
}

int numa_domain_open_nodes(struct numa_domain *nd, int sysfd, const struct numa_mask *mask)
{
        int n;

        domain_init(nd, sysfd, NUMA_SOURCE_NODES);
        n = open_node_files(sysfd, mask, nd->node_fds);
        if (n < 0)
                return n;
        nd->n_nodes = (size_t)n;
        nd->mask = *mask;
        nd->open = true;
        return 0;
}

int numa_domain_open_cpuset(struct numa_domain *nd, int sysfd, const char *v2_mount, const char *path)
{
        struct numa_mask mask;
        int fd, n = 0, r;

        domain_init(nd, sysfd, NUMA_SOURCE_CPUSET);
        fd = cpuset_open(sysfd, v2_mount, path, nd->cpuset_file);
        if (fd < 0)
                return fd;
        r = cpuset_pread(fd, &mask);
        if (r >= 0) {
                n = open_node_files(sysfd, &mask, nd->node_fds);
                r = n < 0 ? n : 0;
        }
        if (r < 0) {
                close(fd);
                return r;
        }
        nd->n_nodes = (size_t)n;
        nd->mask = mask;
        nd->cpuset_fd = fd;
        nd->open = true;
        return 0;
}

/* Re-reads the cpuset's nodes; on a change, swaps in the new node files. */
static int follow_cpuset(struct numa_domain *nd)
{
        int fds[NUMA_MASK_NODES];
        struct numa_mask mask;
        int n, r;

        r = cpuset_pread(nd->cpuset_fd, &mask);
        if (r < 0)
                return r;
        if (numa_mask_equal(&mask, &nd->mask))
                return 0;
        n = open_node_files(nd->sysfd, &mask, fds);
        if (n < 0)
                return n;
        close_fds(nd->node_fds, nd->n_nodes);
        memcpy(nd->node_fds, fds, (size_t)n * sizeof(fds[0]));
        nd->n_nodes = (size_t)n;
        nd->mask = mask;
        nd->mask_changed = true;
        return 0;
}

/* pread()s a meminfo file; drops a line cut by a full buffer. */
static int read_meminfo(int fd, struct numa_meminfo *ret, int *ret_node)
{
        char buf[NUMA_MEMINFO_BUF];
        ssize_t n = pread_file(fd, buf, sizeof(buf));

        if (n < 0)
                return (int)n;
        if ((size_t)n == sizeof(buf) - 1) {
                char *nl = strrchr(buf, '\n');
                if (nl)
                        nl[1] = '\0';
        }
        return numa_meminfo_parse(buf, ret, ret_node);
}

int numa_domain_read(struct numa_domain *nd, int meminfo_fd, struct numa_memory *ret)
{
        struct numa_meminfo sum = { 0 }, system;
        size_t i = 0;
        int r;

        if (!nd->open)
                return -EBADF;
        nd->mask_changed = false;
        if (nd->source == NUMA_SOURCE_CPUSET) {
                r = follow_cpuset(nd);
                if (r < 0)
                        return r;
        }
        for (unsigned node = 0; node < NUMA_MASK_NODES && i < nd->n_nodes; node++) {
                struct numa_meminfo mi;
                int file_node;

                if (!(nd->mask.bits & (UINT64_C(1) << node)))
                        continue;
                r = read_meminfo(nd->node_fds[i++], &mi, &file_node);
                if (r < 0)
                        return r;
                if (file_node != (int)node)
                        return -EINVAL; /* not this node's file */
                numa_meminfo_add(&sum, &mi);
        }
        r = read_meminfo(meminfo_fd, &system, NULL);
        if (r < 0)
                return r;
        ret->nodes = sum;
        ret->available_kib = numa_estimate(&sum, &system, &ret->allowable_kib);
        return 0;
}

void numa_domain_close(struct numa_domain *nd)
{
        if (!nd->open)
                return;
        close_fds(nd->node_fds, nd->n_nodes);
        if (nd->cpuset_fd >= 0)
                close(nd->cpuset_fd);
        nd->n_nodes = 0;
        nd->cpuset_fd = -1;
        nd->open = false;
}
