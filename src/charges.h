/* SPDX-License-Identifier: MIT */
/*
 * Charged memory: memory that others hold for a process is counted against
 * it. Three sources feed one table:
 *
 *   - X pixmaps: the X server holds them for its clients (X-Resource, see
 *     xres.h). Charged to the client and subtracted from the X server, so
 *     the same bytes are not counted twice (on a software-rendering server
 *     they are in its heap; with glamor they are in its GPU charge).
 *   - GPU: DRM buffer objects of a process's own DRM clients, read from
 *     /proc/PID/fdinfo (Documentation/gpu/drm-usage-stats.rst). The kernel
 *     holds them, so nobody is credited.
 *   - Reported: a trusted server (a compositor, a sound or media server)
 *     says how much it holds for a client PID. Charged to the client and
 *     subtracted from the server.
 *
 * The DRM reader allocates nothing: a few stack buffers, sized below.
 * The table is fixed-size: a charge that does not fit is dropped (counted
 * in `dropped`), never grown.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * DRM fdinfo
 * ----------
 * A file in /proc/PID/fdinfo with a "drm-driver:" line is a DRM client.
 * The keys read are drm-client-id, drm-pdev and the memory keys, summed
 * over their regions: drm-resident-<region>, drm-memory-<region> (older
 * amdgpu; an alias of resident) and drm-total-<region> (allocated, resident
 * or not). Values are bytes unless followed by "KiB", "MiB" (or "GiB",
 * which no driver prints yet). drm-total-cycles-<engine> is an engine
 * counter, not memory, and is ignored.
 *
 * Every region is summed, dedicated VRAM included: the drivers do not say
 * which regions are system RAM, and names differ by driver (amdgpu "vram",
 * "gtt", "cpu"; i915 "system0", "local0"; generic "memory").
 */

/* Room for "amdgpu", "i915", "nouveau"...: driver names are short
 * (struct drm_driver .name); longer ones are cut, which only matters for
 * display. */
#define DRM_DRIVER_MAX 32
/* "0000:00:02.0" is 12 bytes; 16 leaves room for the NUL. */
#define DRM_PDEV_MAX 16

/* Which memory keys a DRM fdinfo had (struct drm_fdinfo.keys). */
enum {
        DRM_FDINFO_RESIDENT = 1u << 0,
        DRM_FDINFO_MEMORY = 1u << 1,
        DRM_FDINFO_TOTAL = 1u << 2,
};

struct drm_fdinfo {
        char driver[DRM_DRIVER_MAX]; /* drm-driver */
        char pdev[DRM_PDEV_MAX];     /* drm-pdev; "" when absent */
        bool has_client_id;
        uint64_t client_id;      /* drm-client-id */
        unsigned keys;           /* DRM_FDINFO_* seen */
        uint64_t resident_bytes; /* sum of drm-resident-* (saturating) */
        uint64_t memory_bytes;   /* sum of drm-memory-* */
        uint64_t total_bytes;    /* sum of drm-total-* */
};

/*
 * Parses the text of one /proc/PID/fdinfo/N (NUL-terminated). Only whole
 * lines that start with a key are read, so a value cannot forge a key.
 * Returns 1 for a DRM client (ret filled), 0 for any other file (ret
 * zeroed), -EINVAL if it has a drm-driver line but a malformed memory or
 * client-id value, -ERANGE if a value does not fit in 64 bits.
 */
int charges_parse_drm_fdinfo(const char *buf, struct drm_fdinfo *ret);

/* The memory one DRM client holds, in KiB rounded up: resident if the
 * driver reports it, else drm-memory-*, else drm-total-*; 0 with none. */
uint64_t charges_drm_fdinfo_kib(const struct drm_fdinfo *info);

/*
 * At most this many fds are examined per process (in /proc's order, which
 * is ascending fd number, so a DRM device opened at start-up is among
 * them). The usual soft RLIMIT_NOFILE is 1024; a browser raises it and
 * uses a few hundred. Examining an fd costs one readlink(), plus an
 * open/read/close of its fdinfo only when it is a DRM node; measured
 * ~4 us per fd (all 97 processes, 1046 fds, of a build host: 4.3 ms). The
 * bound keeps a process with 100k sockets to ~17 ms.
 */
#define CHARGES_DRM_FDS_MAX 4096
/* Distinct DRM clients remembered per process to count a client shared by
 * several fds (dup, SCM_RIGHTS) once. Mesa opens one or two per device; a
 * process with more counts only the first 128 (undercounting is the safe
 * way to err: a charge makes a process more likely to be killed). */
#define CHARGES_DRM_CLIENTS_MAX 128
/* One fdinfo read: the largest DRM fdinfo we know of (xe with four regions
 * and a dozen engines) is under 2 KiB; i915's is ~700 bytes. A longer file
 * is cut at its last whole line. */
#define CHARGES_FDINFO_BUF 8192

/*
 * Reads the GPU memory of process pid: every fd under procfd/PID/fdinfo
 * whose procfd/PID/fd link points under /dev/dri/ (or, where the link
 * cannot be read, every fd) is parsed, and the memory of each distinct DRM
 * client (drm-pdev + drm-client-id) is summed; a client without an id is
 * counted per fd. Malformed fdinfo files are skipped. procfd is an
 * O_DIRECTORY fd of /proc or of a fixture tree. Allocates nothing; uses
 * ~16 KiB of stack (the fdinfo, getdents and client-id buffers).
 *
 * Returns the number of DRM clients counted (0 with *ret_kib = 0 for a
 * process with none), or -errno: -ENOENT/-ESRCH when the process is gone,
 * -EACCES when its fds may not be read (another user's, without
 * CAP_SYS_PTRACE).
 */
int charges_read_drm(int procfd, pid_t pid, uint64_t *ret_kib);

/*
 * The charge table
 * ----------------
 * Each entry is one side of a charge: `pid` is the process the entry
 * counts against; `kib` is positive for memory held for pid (by `peer`, 0
 * for the kernel) and negative for memory pid holds for `peer`. A charge
 * between a client and a holder is stored as the pair (client, holder,
 * +kib) and (holder, client, -kib). There is at most one entry per
 * (pid, source, peer); entries are kept sorted by (pid, source, peer).
 */
enum charge_source {
        CHARGE_X_PIXMAPS, /* X-Resource pixmap bytes, held by the X server */
        CHARGE_GPU,       /* DRM fdinfo, held by the kernel (peer 0) */
        CHARGE_REPORTED,  /* reported by a trusted server for a client */
        CHARGE_SOURCE_MAX,
};

/* A table that fits an X server with 256 clients (its default
 * LimitClients) as 512 entries, plus GPU and reported charges. */
#define CHARGES_MAX 1024

struct charge {
        pid_t pid;
        pid_t peer;
        int64_t kib;
        enum charge_source source;
};

struct charge_table {
        struct charge entries[CHARGES_MAX];
        size_t n;
        size_t dropped; /* charges refused because the table was full */
};

/* Empties the table. */
void charges_init(struct charge_table *t);

/* Removes every entry of one source (before a refresh of that source). */
void charges_clear(struct charge_table *t, enum charge_source source);

/*
 * Sets what `holder` holds for `client` from `source` to kib, replacing
 * the previous figure: +kib for the client and, when holder > 0, -kib for
 * the holder. kib 0 removes the charge. A holder equal to the client
 * charges nothing (memory a process holds for itself is its own). kib is
 * limited to INT64_MAX. Returns 0, -EINVAL (client <= 0, holder < 0, bad
 * source) or -ENOSPC when the table is full (nothing is changed, and
 * `dropped` counts it).
 */
int charges_set(struct charge_table *t, enum charge_source source, pid_t client, pid_t holder, uint64_t kib);

/* Removes every entry of source in which holder holds memory for others,
 * and the matching entries of its clients (a trusted server went away). */
void charges_forget_holder(struct charge_table *t, enum charge_source source, pid_t holder);

/* Removes every entry that names pid, as client or as holder (the process
 * exited). */
void charges_forget(struct charge_table *t, pid_t pid);

/* The sum of pid's entries of one source, unclamped: positive when others
 * hold memory for it, negative when it holds memory for others. */
int64_t charges_source_kib(const struct charge_table *t, pid_t pid, enum charge_source source);

/*
 * The charge to add to a process whose own memory (resident + swap + page
 * tables, in KiB) is own_kib: the sum of all its entries, clamped so that
 * own_kib + result >= 0. A charge never makes a process's memory negative:
 * an X server is credited at most its own size, however much it says it
 * holds for others.
 */
int64_t charges_net_kib(const struct charge_table *t, pid_t pid, uint64_t own_kib);

/* The entries of pid, sorted by source then peer: *ret_n is set to their
 * number and the first is returned (NULL when there are none). Valid until
 * the table changes. For explanations ("charged 64 MiB: X pixmaps"). */
const struct charge *charges_find(const struct charge_table *t, pid_t pid, size_t *ret_n);

/* "x-pixmaps", "gpu", "reported". */
const char *charge_source_to_string(enum charge_source source);
