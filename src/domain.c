/* SPDX-License-Identifier: MIT */
/*
 * One domain: where its memory figures come from, which events wake us for
 * it, and its level. The system domain reads /proc/meminfo and
 * /proc/pressure/memory; a cgroup v2 domain reads memory.{max,current,
 * events,pressure}; a cgroup v1 domain uses the memory controller's eventfd
 * notifications. A NUMA node set reads its nodes' meminfo (numa.h); it has
 * no pressure file of its own, but stalls on its nodes show in the
 * system's PSI, so it is sampled whenever the system domain is, and on its
 * own headroom timer.
 *
 * PSI reports stalls, not headroom: on a machine without swap a fast
 * allocator can reach the OOM killer before any stall shows. So every
 * domain also has a timer whose period follows its headroom: headroom /
 * worst-case fill rate, between poll_min and poll_max. A quiet machine with
 * plenty of headroom is sampled every poll_max (10 s by default).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "log.h"
#include "manager.h"
#include "util.h"

const char *domain_kind_to_string(enum domain_kind k)
{
        switch (k) {
        case DOMAIN_SYSTEM:
                return "system";
        case DOMAIN_CGROUP_V1:
                return "cgroup-v1";
        case DOMAIN_CGROUP_V2:
                return "cgroup-v2";
        case DOMAIN_NODES:
                return "nodes";
        }
        return "unknown";
}

static uint64_t domain_poll_period_usec(const struct domain *d)
{
        const struct config *c = &d->manager->config;
        uint64_t headroom_kib = level_headroom_kib(&d->thresholds, d->available_kib);
        uint64_t rate = c->fill_rate_kib_per_sec ? c->fill_rate_kib_per_sec : 1;
        uint64_t period;

        /* headroom / rate seconds, computed without overflowing for TiB. */
        if (headroom_kib > UINT64_MAX / USEC_PER_SEC)
                period = c->poll_max_usec;
        else
                period = headroom_kib * USEC_PER_SEC / rate;
        if (period < c->poll_min_usec)
                period = c->poll_min_usec;
        if (period > c->poll_max_usec)
                period = c->poll_max_usec;
        return period;
}

static void domain_arm_timer(struct domain *d)
{
        d->poll_usec = domain_poll_period_usec(d);
        if (!d->timer_source)
                return;
        /* Coalesce with other wake-ups within a tenth of the period. */
        uint64_t accuracy = d->poll_usec / 10 ? d->poll_usec / 10 : 1;
        (void)sd_event_source_set_time_accuracy(d->timer_source, accuracy);
        (void)sd_event_source_set_time_relative(d->timer_source, d->poll_usec);
        (void)sd_event_source_set_enabled(d->timer_source, SD_EVENT_ONESHOT);
}

static uint64_t swap_total_kib(struct domain *d)
{
        struct meminfo mi;

        if (meminfo_read(d->manager->meminfo_fd, &mi) < 0)
                return 0;
        return mi.swap_total_kib;
}

static void domain_append_watch(struct domain *d, const char *what);

/* What a node set is and what wakes it, for status: "nodes 0-1
 * (fs/cgroup/web/cpuset.mems.effective), with the system domain". */
static void domain_nodes_watch(struct domain *d)
{
        char list[NUMA_MASK_TEXT_MAX];
        const char *cpuset = d->numa.source == NUMA_SOURCE_CPUSET ? d->numa.cpuset_file : NULL;

        /* Cut to fit watch (160): long lists and paths are rare. */
        snprintf(d->watch, sizeof(d->watch), "nodes %.60s%s%.64s%s, with the system domain",
                 numa_mask_format(&d->numa.mask, list, sizeof(list)), cpuset ? " (" : "",
                 cpuset ? cpuset : "", cpuset ? ")" : "");
}

/* Reads memory figures; sets allowable and available. */
static int domain_read_memory(struct domain *d)
{
        uint64_t allowable_kib, available_kib;
        int r;

        if (d->kind == DOMAIN_SYSTEM) {
                struct meminfo mi;

                r = meminfo_read(d->manager->meminfo_fd, &mi);
                if (r < 0)
                        return r;
                allowable_kib = meminfo_allowable_kib(&mi);
                available_kib = meminfo_available_kib(&mi);
        } else if (d->kind == DOMAIN_NODES) {
                struct numa_memory nm;

                r = numa_domain_read(&d->numa, d->manager->meminfo_fd, &nm);
                if (r < 0)
                        return r;
                if (d->numa.mask_changed) {
                        char list[NUMA_MASK_TEXT_MAX];
                        log_info("domain %s: %s now allows nodes %s", d->name, d->numa.cpuset_file,
                                 numa_mask_format(&d->numa.mask, list, sizeof(list)));
                        if (d->timer_source) { /* started: keep ", headroom timer" */
                                domain_nodes_watch(d);
                                domain_append_watch(d, "headroom timer");
                        }
                }
                allowable_kib = nm.allowable_kib;
                available_kib = nm.available_kib;
        } else {
                enum cgroup_version v = d->kind == DOMAIN_CGROUP_V2 ? CGROUP_V2 : CGROUP_V1;

                r = cgroup_read_memory(d->cgfd, v, &d->cgmem);
                if (r < 0)
                        return r;
                /* The kernel's mem_cgroup_get_max(): the limit plus the swap
                 * the cgroup may use, at most the swap there is. */
                uint64_t swap_kib = swap_total_kib(d);
                if (d->cgmem.swap_limit_bytes / 1024 < swap_kib)
                        swap_kib = d->cgmem.swap_limit_bytes / 1024;
                allowable_kib = d->cgmem.limit_bytes / 1024 + swap_kib;
                /* Page cache the kernel will drop first is not pressure. */
                uint64_t usage = d->cgmem.usage_bytes, cache = d->cgmem.inactive_file_bytes;
                uint64_t used_kib = (usage > cache ? usage - cache : 0) / 1024;
                available_kib = allowable_kib > used_kib ? allowable_kib - used_kib : 0;
        }
        if (allowable_kib != d->allowable_kib) {
                d->allowable_kib = allowable_kib;
                level_thresholds_resolve(&d->levels, allowable_kib, &d->thresholds);
        }
        d->available_kib = available_kib;
        return 0;
}

int domain_sample(struct domain *d)
{
        char a[32], b[32];
        int r;

        r = domain_read_memory(d);
        if (r < 0)
                return r;
        if (d->psi_fd >= 0 && psi_read(d->psi_fd, &d->psi) == 0)
                d->has_psi = true;

        struct level_sample s = {
                .available_kib = d->available_kib,
                .has_psi = d->has_psi && d->psi.has_full,
                .psi_full_avg10 = d->psi.full.avg10,
        };
        enum triage_level old = d->level;
        d->level = level_evaluate(&d->thresholds, old, &s);
        if (d->level != old)
                log_printf(d->level > old ? LOG_NOTICE : LOG_INFO,
                           "domain %s: level %s -> %s (available %s of %s, psi full avg10 %.2f%%)", d->name,
                           level_to_string(old), level_to_string(d->level),
                           format_kib(d->available_kib, a, sizeof(a)),
                           format_kib(d->allowable_kib, b, sizeof(b)), d->has_psi ? d->psi.full.avg10 : 0.0);
        if (d->level != old)
                ladder_level_changed(d, old, d->level);
        domain_arm_timer(d);
        return 0;
}

void domain_check(struct domain *d)
{
        int r;

        d->event_usec = now_usec(CLOCK_MONOTONIC);
        r = domain_sample(d);
        if (r < 0) {
                log_warning_errno(r, "domain %s: cannot read its memory figures", d->name);
                return;
        }
        /* A choice in progress also hears that memory came back. */
        if (d->level >= TRIAGE_LEVEL_CRITICAL || d->phase == ACT_CHOOSING)
                (void)act_on_domain(d);
        /* Node sets have no pressure file: the system's wake-ups are theirs. */
        if (d->kind == DOMAIN_SYSTEM)
                for (size_t i = 0; i < MANAGER_DOMAINS_MAX; i++)
                        if (d->manager->domains[i].in_use && d->manager->domains[i].kind == DOMAIN_NODES)
                                domain_check(&d->manager->domains[i]);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        domain_check(userdata);
        return 0;
}

static int on_psi(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct domain *d = userdata;

        if (revents & EPOLLERR) {
                /* The cgroup of the pressure file is gone. */
                log_info("domain %s: pressure file gone, stopping its PSI watch", d->name);
                d->psi_source = sd_event_source_disable_unref(d->psi_source);
                return 0;
        }
        domain_check(d);
        return 0;
}

static int on_event_fd(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        /* An eventfd (8 bytes) or inotify events: drain, then sample. */
        char buf[4096] __attribute__((aligned(8)));

        while (read(fd, buf, sizeof(buf)) > 0)
                ;
        domain_check(userdata);
        return 0;
}

static int domain_watch_psi(struct domain *d)
{
        struct manager *m = d->manager;
        const struct config *c = &m->config;
        int dirfd = d->kind == DOMAIN_SYSTEM ? m->procfd : d->cgfd;
        const char *path = d->kind == DOMAIN_SYSTEM ? "pressure/memory" : "memory.pressure";
        const char *shown = d->kind == DOMAIN_SYSTEM ? "/proc/pressure/memory" : "memory.pressure";
        uint64_t window_usec;
        int fd, r;

        d->psi_fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
        if (d->psi_fd < 0)
                return -errno;

        fd = psi_trigger_open(dirfd, path, PSI_SOME, c->psi_stall_usec, c->psi_window_usec, &window_usec);
        if (fd < 0)
                return fd;
        d->psi_trigger_fd = fd;
        d->psi_window_usec = window_usec;
        uint64_t stall_usec = c->psi_stall_usec * window_usec / c->psi_window_usec;
        if (window_usec != c->psi_window_usec)
                log_warning("domain %s: PSI trigger window %" PRIu64 " us refused (the kernel allows "
                            "windows that are not multiples of 2 s only with CAP_SYS_RESOURCE), "
                            "using %" PRIu64 " us",
                            d->name, c->psi_window_usec, window_usec);
        r = sd_event_add_io(m->event, &d->psi_source, fd, EPOLLPRI, on_psi, d);
        if (r < 0)
                return r;
        log_info("domain %s: PSI trigger 'some %" PRIu64 " %" PRIu64 "' on %s", d->name, stall_usec,
                 window_usec, shown);
        snprintf(d->watch, sizeof(d->watch), "PSI some %" PRIu64 " ms per %" PRIu64 " ms", stall_usec / 1000,
                 window_usec / 1000);
        return 0;
}

static int domain_add_event_fd(struct domain *d, int fd)
{
        for (size_t i = 0; i < ARRAY_SIZE(d->event_fds); i++) {
                if (d->event_fds[i] >= 0)
                        continue;
                d->event_fds[i] = fd;
                return sd_event_add_io(d->manager->event, &d->event_sources[i], fd, EPOLLIN, on_event_fd, d);
        }
        close(fd);
        return -ENOSPC;
}

static void domain_append_watch(struct domain *d, const char *what)
{
        size_t len = strlen(d->watch);
        snprintf(d->watch + len, sizeof(d->watch) - len, "%s%s", len ? ", " : "", what);
}

static void domain_watch_cgroup_events(struct domain *d)
{
        int fd, r;

        if (d->kind == DOMAIN_CGROUP_V2) {
                /* memory.events changes (high, max, oom) are announced as
                 * file modifications. */
                fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
                if (fd < 0)
                        return (void)log_warning_errno(errno, "domain %s: inotify", d->name);
                char path[64];
                snprintf(path, sizeof(path), "/proc/self/fd/%d/memory.events", d->cgfd);
                if (inotify_add_watch(fd, path, IN_MODIFY) < 0) {
                        log_warning_errno(errno, "domain %s: cannot watch memory.events", d->name);
                        close(fd);
                        return;
                }
                r = domain_add_event_fd(d, fd);
                if (r < 0)
                        return (void)log_warning_errno(r, "domain %s: cannot watch memory.events", d->name);
                domain_append_watch(d, "memory.events");
                return;
        }

        /* cgroup v1: the memory controller's own notifications. */
        fd = cgroup_v1_pressure_level_open(d->cgfd, "medium");
        if (fd >= 0 && domain_add_event_fd(d, fd) >= 0)
                domain_append_watch(d, "pressure_level medium");
        else
                log_info_errno(fd, "domain %s: no memory.pressure_level notification", d->name);

        /* Usage thresholds wake us exactly when a level's line is crossed
         * (the kernel checks them every 128 page charges), so even a fast
         * allocator is seen at the emergency line, not a poll later. */
        static const enum triage_level lines[] = { TRIAGE_LEVEL_LOW, TRIAGE_LEVEL_CRITICAL,
                                                   TRIAGE_LEVEL_EMERGENCY };
        uint64_t limit_kib = d->cgmem.limit_bytes / 1024;
        for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
                uint64_t line_kib = d->thresholds.mem_kib[lines[i]];
                if (limit_kib <= line_kib)
                        continue;
                fd = cgroup_v1_usage_threshold_open(d->cgfd, (limit_kib - line_kib) * 1024);
                if (fd < 0 || domain_add_event_fd(d, fd) < 0) {
                        log_info_errno(fd < 0 ? fd : ENOSPC, "domain %s: no usage threshold notification",
                                       d->name);
                        break;
                }
        }
        domain_append_watch(d, "usage thresholds");
        fd = cgroup_v1_oom_control_open(d->cgfd);
        if (fd >= 0 && domain_add_event_fd(d, fd) >= 0)
                domain_append_watch(d, "oom_control");
        else
                log_info_errno(fd, "domain %s: no oom_control notification", d->name);
}

int domain_start(struct domain *d)
{
        struct manager *m = d->manager;
        char a[32], b[32];
        int r;

        d->psi_fd = d->psi_trigger_fd = d->victim_pidfd = -1;
        for (size_t i = 0; i < ARRAY_SIZE(d->event_fds); i++)
                d->event_fds[i] = -1;
        d->watch[0] = '\0';
        d->level = TRIAGE_LEVEL_NORMAL;
        d->allowable_kib = 0;

        r = domain_read_memory(d);
        if (r < 0)
                return log_error_errno(r, "domain %s: cannot read its memory figures", d->name);

        if (d->kind == DOMAIN_SYSTEM || d->kind == DOMAIN_CGROUP_V2) {
                r = domain_watch_psi(d);
                if (r < 0) {
                        log_warning_errno(
                                r,
                                "domain %s: no PSI trigger; polling %s on an adaptive timer "
                                "(every %" PRIu64 " ms to %" PRIu64 " s, by headroom)",
                                d->name, d->kind == DOMAIN_SYSTEM ? "/proc/meminfo" : "memory.current",
                                m->config.poll_min_usec / 1000, m->config.poll_max_usec / USEC_PER_SEC);
                        snprintf(d->watch, sizeof(d->watch), "adaptive timer only (no PSI)");
                }
        }
        if (d->kind == DOMAIN_CGROUP_V1 || d->kind == DOMAIN_CGROUP_V2)
                domain_watch_cgroup_events(d);
        if (d->kind == DOMAIN_NODES)
                domain_nodes_watch(d);

        r = sd_event_add_time_relative(m->event, &d->timer_source, CLOCK_MONOTONIC, 0, 0, on_timer, d);
        if (r < 0)
                return log_error_errno(r, "domain %s: cannot add its timer", d->name);
        domain_append_watch(d, "headroom timer");

        r = domain_sample(d);
        if (r < 0)
                return log_error_errno(r, "domain %s: cannot read its memory figures", d->name);
        log_info("domain %s (%s%s%s): allowable %s, available %s; thresholds low %" PRIu64
                 " KiB, medium %" PRIu64 " KiB, critical %" PRIu64 " KiB, emergency %" PRIu64 " KiB",
                 d->name, domain_kind_to_string(d->kind), d->cgroup_path[0] ? " " : "", d->cgroup_path,
                 format_kib(d->allowable_kib, a, sizeof(a)), format_kib(d->available_kib, b, sizeof(b)),
                 d->thresholds.mem_kib[TRIAGE_LEVEL_LOW], d->thresholds.mem_kib[TRIAGE_LEVEL_MEDIUM],
                 d->thresholds.mem_kib[TRIAGE_LEVEL_CRITICAL], d->thresholds.mem_kib[TRIAGE_LEVEL_EMERGENCY]);
        return 0;
}

static void close_fd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

void domain_stop(struct domain *d)
{
        act_cancel(d);
        d->psi_source = sd_event_source_disable_unref(d->psi_source);
        d->timer_source = sd_event_source_disable_unref(d->timer_source);
        for (size_t i = 0; i < ARRAY_SIZE(d->event_fds); i++) {
                d->event_sources[i] = sd_event_source_disable_unref(d->event_sources[i]);
                close_fd(&d->event_fds[i]);
        }
        close_fd(&d->psi_fd);
        close_fd(&d->psi_trigger_fd);
        close_fd(&d->cgfd);
        numa_domain_close(&d->numa);
        d->in_use = false;
}
