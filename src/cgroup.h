/* SPDX-License-Identifier: MIT */
/*
 * Memory cgroups, v1 and v2, as domains: finding the hierarchies, finding
 * the cgroups that have a memory limit, reading limit/usage/events, and the
 * v1 eventfd notifications (cgroup.event_control). Every reader takes a
 * directory fd (of the cgroup itself, or of the root of a fixture tree).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define CGROUP_PATH_MAX 256
#define CGROUP_LIMIT_MAX UINT64_MAX /* "max" (v2) or the v1 huge default */

enum cgroup_version {
        CGROUP_V1 = 1,
        CGROUP_V2 = 2,
};

/* Where the memory hierarchies are mounted, relative to the sysfs root
 * given to cgroup_detect() ("fs/cgroup" on a real system). "" when absent. */
struct cgroup_mounts {
        char v2[CGROUP_PATH_MAX];        /* "fs/cgroup" or "fs/cgroup/unified" */
        bool v2_has_memory;              /* "memory" in v2 cgroup.controllers */
        char v1_memory[CGROUP_PATH_MAX]; /* "fs/cgroup/memory" */
};

struct cgroup_memory {
        uint64_t limit_bytes;      /* memory.max / memory.limit_in_bytes */
        uint64_t swap_limit_bytes; /* memory.swap.max / memsw - limit; MAX if none */
        uint64_t usage_bytes;      /* memory.current / memory.usage_in_bytes */
        /* Page cache the kernel can drop before it has to kill: memory.stat
         * inactive_file (v2) or total_inactive_file (v1); 0 if unknown. The
         * cgroup's working set is usage - inactive_file, as kubelet and
         * cAdvisor count it. */
        uint64_t inactive_file_bytes;
        /* memory.events (v2) or memory.oom_control (v1: oom_kill only) */
        uint64_t events_low, events_high, events_max, events_oom, events_oom_kill;
};

/*
 * Finds the hierarchies under sysfd (an fd of /sys or of a fixture's sys/):
 * pure v2 (fs/cgroup/cgroup.controllers), hybrid (fs/cgroup/unified and
 * fs/cgroup/memory) or pure v1. Returns 0, -ENOENT if there is none.
 */
int cgroup_detect(int sysfd, struct cgroup_mounts *ret);

/* Pure parsers. cgroup_parse_limit() maps "max" and any number that
 * cgroup_limit_is_set() calls unlimited to CGROUP_LIMIT_MAX; the events
 * parsers set only the events_* fields (zeroing those the file lacks) and
 * skip keys they do not know. */
int cgroup_parse_limit(const char *buf, uint64_t *ret_bytes); /* "max\n" or a number */
int cgroup_parse_memory_events(const char *buf, struct cgroup_memory *ret);
int cgroup_parse_oom_control(const char *buf, struct cgroup_memory *ret);

/* Parses memory.stat for inactive_file_bytes (the key differs by version). */
int cgroup_parse_memory_stat(const char *buf, enum cgroup_version v, struct cgroup_memory *ret);

/* Reads the memory figures of the cgroup whose directory is cgfd. */
int cgroup_read_memory(int cgfd, enum cgroup_version v, struct cgroup_memory *ret);

/* Limits of v1 above this are "unlimited" (the kernel reports
 * PAGE_COUNTER_MAX * PAGE_SIZE, 0x7ffffffffffff000 on x86-64). */
bool cgroup_limit_is_set(uint64_t limit_bytes);

/*
 * Walks the hierarchy under rootfd (the mount point) and calls cb for every
 * cgroup below the root that has a memory limit set (v2 memory.max != max;
 * v1 memory.limit_in_bytes below the unlimited value). `path` is relative to
 * the root and starts with "/" ("/system.slice/foo.service"). Stops at the
 * first negative return of cb and returns it; otherwise returns the number of
 * limited cgroups found. Descends at most `max_depth` levels.
 * A cgroup that vanishes during the walk, or whose path would not fit in
 * CGROUP_PATH_MAX, is skipped (with its subtree for the latter).
 */
typedef int (*cgroup_found_fn)(const char *path, const struct cgroup_memory *mem, void *userdata);
int cgroup_find_limited(int rootfd, enum cgroup_version v, unsigned max_depth, cgroup_found_fn cb,
                        void *userdata);

/*
 * v1 notifications through cgroup.event_control. Each returns an eventfd
 * (EFD_CLOEXEC|EFD_NONBLOCK) that becomes readable on the event:
 *   - memory.pressure_level at "low", "medium" or "critical";
 *   - memory.usage_in_bytes crossing threshold_bytes;
 *   - memory.oom_control (the cgroup hit its limit and the kernel is OOM).
 * Returns -errno on failure (-ENOENT when the file does not exist).
 * The kernel also signals the eventfd once when the cgroup is removed.
 */
int cgroup_v1_pressure_level_open(int cgfd, const char *level);
int cgroup_v1_usage_threshold_open(int cgfd, uint64_t threshold_bytes);
int cgroup_v1_oom_control_open(int cgfd);

/* Whether a process's cgroup path (from /proc/PID/cgroup) lies at or below
 * the cgroup `path` ("/a" contains "/a" and "/a/b", not "/ab"). */
bool cgroup_path_contains(const char *path, const char *member);
