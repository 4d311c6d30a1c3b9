/* SPDX-License-Identifier: MIT */
/*
 * Set-up and tear-down of the daemon, self-protection, signals, reloading
 * the configuration, and the set of domains (the system, the configured
 * cgroups, and every limited memory cgroup found at start or later).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "manager.h"
#include "util.h"

/* How deep below the root limited cgroups are looked for:
 * /user.slice/user-1000.slice/user@1000.service/app.slice/x.scope is 5. */
#define CGROUP_DISCOVERY_DEPTH 8
/* Let a burst of cgroup creations settle before rescanning. */
#define CGROUP_RESCAN_DELAY_USEC (200 * USEC_PER_MSEC)

static int manager_rescan_cgroups(struct manager *m);

int manager_load_config(const struct manager_options *o, struct config *ret)
{
        char err[CONFIG_ERROR_MAX];
        struct config c;
        int r;

        r = config_load(o->config_path, &c, err, sizeof(err));
        if (r == -ENOENT)
                log_info("no configuration file at %s: using the defaults", o->config_path);
        else if (r < 0) {
                log_error("%s", err);
                return r;
        }
        if (o->dry_run)
                c.dry_run = true;
        if (o->advise_only)
                c.advise_only = true;
        if (o->badness_set)
                c.badness = o->badness;
        if (o->no_auto_domains)
                c.auto_cgroup_domains = false;
        if (o->no_mlock)
                c.mlock = false;
        if (o->socket_path)
                strscpy(c.control_socket, o->socket_path, sizeof(c.control_socket));
        for (size_t i = 0; i < o->n_domains; i++) {
                const char *arg = o->domains[i], *eq = strchr(arg, '=');
                struct config_domain *cd;

                if (c.n_domains >= CONFIG_DOMAINS_MAX) {
                        log_error("too many domains (at most %d)", CONFIG_DOMAINS_MAX);
                        return -E2BIG;
                }
                cd = &c.domains[c.n_domains++];
                memset(cd, 0, sizeof(*cd));
                if (eq) {
                        size_t len = (size_t)(eq - arg);
                        if (len == 0 || len >= sizeof(cd->name)) {
                                log_error("--domain %s: bad name", arg);
                                return -EINVAL;
                        }
                        memcpy(cd->name, arg, len);
                        cd->name[len] = '\0';
                        arg = eq + 1;
                } else {
                        strscpy(cd->name, arg, sizeof(cd->name));
                }
                if (arg[0] != '/' || !strscpy(cd->cgroup, arg, sizeof(cd->cgroup))) {
                        log_error("--domain %s: the cgroup must be an absolute path under the cgroup mount",
                                  o->domains[i]);
                        return -EINVAL;
                }
                cd->levels = c.levels;
        }
        *ret = c;
        return 0;
}

struct domain *manager_find_domain(struct manager *m, const char *name)
{
        for (size_t i = 0; i < MANAGER_DOMAINS_MAX; i++) {
                struct domain *d = &m->domains[i];
                if (!d->in_use)
                        continue;
                if (!name || !name[0])
                        return d->kind == DOMAIN_SYSTEM ? d : NULL;
                if (strcmp(d->name, name) == 0 || (d->cgroup_path[0] && strcmp(d->cgroup_path, name) == 0))
                        return d;
        }
        return NULL;
}

void manager_policy_domain(const struct manager *m, const struct domain *d, struct policy_domain *ret)
{
        *ret = (struct policy_domain){
                .cgroup_path = d->kind == DOMAIN_CGROUP_V1 || d->kind == DOMAIN_CGROUP_V2 ? d->cgroup_path
                                                                                          : NULL,
                .version = d->kind == DOMAIN_CGROUP_V1 ? CGROUP_V1 : CGROUP_V2,
                .has_nodes = d->kind == DOMAIN_NODES,
                .nodes = d->numa.mask,
                .allowable_kib = d->allowable_kib,
                .page_kib = m->page_kib,
                .mode = m->config.badness,
                .self_pid = getpid(),
        };
}

int manager_rank(struct manager *m, const struct domain *d, unsigned what, bool include_excluded,
                 size_t *ret_n)
{
        struct policy_domain pd;

        int r = proc_scan(m->procfd, what, &m->procs);
        if (r < 0)
                return r;
        if (m->procs.dropped)
                log_warning("process table full: %zu processes not scanned (max_processes = %zu)",
                            m->procs.dropped, m->procs.capacity);
        manager_policy_domain(m, d, &pd);
        *ret_n = policy_rank(&pd, &m->procs, include_excluded, m->ranked, m->procs.capacity);
        return 0;
}

static struct domain *manager_new_domain(struct manager *m)
{
        for (size_t i = 0; i < MANAGER_DOMAINS_MAX; i++)
                if (!m->domains[i].in_use) {
                        struct domain *d = &m->domains[i];
                        memset(d, 0, sizeof(*d));
                        d->manager = m;
                        d->cgfd = -1;
                        d->in_use = true;
                        return d;
                }
        return NULL;
}

/* Adds and starts a cgroup domain; path is relative to the hierarchy. */
static int manager_add_cgroup_domain(struct manager *m, const char *name, const char *path,
                                     const struct level_config *levels, bool configured)
{
        enum domain_kind kind;
        int rootfd;

        if (m->cgroup_v2_fd >= 0 && m->mounts.v2_has_memory) {
                kind = DOMAIN_CGROUP_V2;
                rootfd = m->cgroup_v2_fd;
        } else if (m->cgroup_v1_fd >= 0) {
                kind = DOMAIN_CGROUP_V1;
                rootfd = m->cgroup_v1_fd;
        } else {
                return log_error_errno(ENOENT, "domain %s: no memory cgroup hierarchy", name);
        }
        struct domain *d = manager_new_domain(m);
        if (!d)
                return log_error_errno(ENOSPC, "domain %s: too many domains (at most %d)", name,
                                       MANAGER_DOMAINS_MAX);
        strscpy(d->name, name, sizeof(d->name));
        strscpy(d->cgroup_path, path, sizeof(d->cgroup_path));
        d->kind = kind;
        d->configured = configured;
        d->levels = *levels;
        d->cgfd = openat(rootfd, path[0] == '/' && path[1] ? path + 1 : ".",
                         O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d->cgfd < 0) {
                int r = -errno;
                d->in_use = false;
                return log_error_errno(r, "domain %s: cannot open cgroup %s", name, path);
        }
        int r = domain_start(d);
        if (r < 0) {
                domain_stop(d);
                return r;
        }
        return 0;
}

/* Adds and starts a NUMA node-set domain: cd's nodes, or its cpuset's. */
static int manager_add_nodes_domain(struct manager *m, const struct config_domain *cd)
{
        char list[NUMA_MASK_TEXT_MAX];
        int r;

        struct domain *d = manager_new_domain(m);
        if (!d)
                return log_error_errno(ENOSPC, "domain %s: too many domains (at most %d)", cd->name,
                                       MANAGER_DOMAINS_MAX);
        strscpy(d->name, cd->name, sizeof(d->name));
        d->kind = DOMAIN_NODES;
        d->configured = true;
        d->levels = cd->levels;
        if (cd->cpuset[0]) {
                r = numa_domain_open_cpuset(&d->numa, m->sysfd, m->mounts.v2, cd->cpuset);
                if (r < 0) {
                        d->in_use = false;
                        return log_error_errno(r, "domain %s: cannot read the memory nodes of cpuset %s%s",
                                               cd->name, cd->cpuset,
                                               r == -ENOENT ? " (no such cpuset cgroup, or a node "
                                                              "without meminfo)"
                                                            : "");
                }
        } else {
                r = numa_domain_open_nodes(&d->numa, m->sysfd, &cd->nodes);
                if (r < 0) {
                        d->in_use = false;
                        return log_error_errno(r, "domain %s: cannot open the meminfo of nodes %s%s",
                                               cd->name, numa_mask_format(&cd->nodes, list, sizeof(list)),
                                               r == -ENOENT ? " (no such node)" : "");
                }
        }
        r = domain_start(d);
        if (r < 0) {
                domain_stop(d);
                return r;
        }
        return 0;
}

static int found_limited(const char *path, const struct cgroup_memory *mem, void *userdata)
{
        struct manager *m = userdata;

        if (manager_find_domain(m, path))
                return 0;
        log_info("found memory cgroup %s with a limit of %" PRIu64 " MiB: watching it as a domain", path,
                 mem->limit_bytes >> 20);
        (void)manager_add_cgroup_domain(m, path, path, &m->config.levels, false);
        return 0;
}

static int on_rescan(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct manager *m = userdata;

        m->rescan_source = sd_event_source_disable_unref(m->rescan_source);
        (void)manager_rescan_cgroups(m);
        return 0;
}

static int on_cgroup_change(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct manager *m = userdata;
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

        while (read(fd, buf, sizeof(buf)) > 0)
                ;
        if (m->rescan_source)
                return 0;
        int r = sd_event_add_time_relative(m->event, &m->rescan_source, CLOCK_MONOTONIC,
                                           CGROUP_RESCAN_DELAY_USEC, 0, on_rescan, m);
        if (r < 0)
                log_warning_errno(r, "cannot schedule a cgroup rescan");
        return 0;
}

/* Watches every directory of the hierarchy for new and removed cgroups,
 * and each memory limit file for changes. Re-done on every rescan. */
static int watch_cgroup_tree(struct manager *m, int dirfd, const char *relpath, unsigned depth)
{
        char path[PATH_MAX];
        int fd;

        snprintf(path, sizeof(path), "/proc/self/fd/%d", dirfd);
        if (inotify_add_watch(m->inotify_fd, path,
                              IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR) < 0)
                return -errno;
        snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd,
                 m->mounts.v2_has_memory ? "memory.max" : "memory.limit_in_bytes");
        (void)inotify_add_watch(m->inotify_fd, path, IN_MODIFY);
        if (depth == 0)
                return 0;

        int dupfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
        if (dupfd < 0)
                return -errno;
        DIR *dir = fdopendir(dupfd);
        if (!dir) {
                close(dupfd);
                return -errno;
        }
        rewinddir(dir);
        for (struct dirent *de; (de = readdir(dir));) {
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                (void)watch_cgroup_tree(m, fd, relpath, depth - 1);
                close(fd);
        }
        closedir(dir);
        return 0;
}

static int manager_rescan_cgroups(struct manager *m)
{
        int rootfd = m->mounts.v2_has_memory ? m->cgroup_v2_fd : m->cgroup_v1_fd;
        enum cgroup_version v = m->mounts.v2_has_memory ? CGROUP_V2 : CGROUP_V1;
        int r;

        if (rootfd < 0)
                return 0;
        /* Domains whose cgroup is gone or no longer limited go first. */
        for (size_t i = 0; i < MANAGER_DOMAINS_MAX; i++) {
                struct domain *d = &m->domains[i];
                struct cgroup_memory mem;

                if (!d->in_use || d->kind == DOMAIN_SYSTEM || d->kind == DOMAIN_NODES)
                        continue;
                r = cgroup_read_memory(d->cgfd, v, &mem);
                if (r >= 0 && (d->configured || cgroup_limit_is_set(mem.limit_bytes)))
                        continue;
                log_info("domain %s: cgroup %s, no longer watched", d->name,
                         r < 0 ? "gone" : "has no memory limit any more");
                domain_stop(d);
        }
        if (!m->config.auto_cgroup_domains)
                return 0;
        r = cgroup_find_limited(rootfd, v, CGROUP_DISCOVERY_DEPTH, found_limited, m);
        if (r < 0)
                log_warning_errno(r, "cannot look for limited memory cgroups");

        /* Re-arm the watches: inotify drops those of removed directories. */
        if (m->inotify_fd >= 0) {
                m->inotify_source = sd_event_source_disable_unref(m->inotify_source);
                close(m->inotify_fd);
        }
        m->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (m->inotify_fd < 0)
                return log_warning_errno(errno, "inotify: new cgroups will not be noticed");
        r = watch_cgroup_tree(m, rootfd, "", CGROUP_DISCOVERY_DEPTH);
        if (r < 0)
                log_warning_errno(r, "cannot watch the cgroup hierarchy: new cgroups will not be noticed");
        r = sd_event_add_io(m->event, &m->inotify_source, m->inotify_fd, EPOLLIN, on_cgroup_change, m);
        if (r < 0)
                log_warning_errno(r, "cannot watch the cgroup hierarchy");
        return 0;
}

static int manager_start_domains(struct manager *m)
{
        struct domain *d = manager_new_domain(m);
        int r;

        strscpy(d->name, "system", sizeof(d->name));
        d->kind = DOMAIN_SYSTEM;
        d->configured = true;
        d->levels = m->config.levels;
        r = domain_start(d);
        if (r < 0)
                return r;

        for (size_t i = 0; i < m->config.n_domains; i++) {
                const struct config_domain *cd = &m->config.domains[i];
                if (cd->cgroup[0])
                        r = manager_add_cgroup_domain(m, cd->name, cd->cgroup, &cd->levels, true);
                else
                        r = manager_add_nodes_domain(m, cd);
                if (r < 0)
                        return r;
        }
        return manager_rescan_cgroups(m);
}

static void manager_stop_domains(struct manager *m)
{
        for (size_t i = 0; i < MANAGER_DOMAINS_MAX; i++)
                if (m->domains[i].in_use)
                        domain_stop(&m->domains[i]);
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        struct manager *m = userdata;

        log_info("received %s, exiting", strsignal((int)si->ssi_signo));
        return sd_event_exit(m->event, 0);
}

static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        struct manager *m = userdata;
        struct config c;

        (void)sd_notify(0, "RELOADING=1");
        log_info("SIGHUP: reloading %s", m->options.config_path);
        if (manager_load_config(&m->options, &c) < 0) {
                log_error("new configuration rejected: the old one stays in force");
                (void)sd_notify(0, "READY=1");
                return 0;
        }
        struct rules rules;
        if (rules_compile(&c, &rules) < 0) {
                log_error("new rules cannot be compiled: the old configuration stays in force");
                (void)sd_notify(0, "READY=1");
                return 0;
        }
        rules_free(&m->rules);
        m->rules = rules;
        manager_stop_domains(m);
        bool socket_changed = strcmp(c.app_socket, m->config.app_socket) != 0;
        bool bus_changed = c.bus != m->config.bus;
        m->config = c;
        if (socket_changed) {
                m->appsock = appsock_free(m->appsock);
                int r = appsock_open(m, &m->appsock);
                if (r < 0)
                        log_warning_errno(r, "cannot listen for applications on %s", c.app_socket);
        }
        if (bus_changed) {
                m->bus = bus_free(m->bus);
                if (c.bus && bus_open(m, &m->bus) < 0)
                        log_warning("no system bus: running without D-Bus");
        }
        if (manager_start_domains(m) < 0)
                log_error("some domains could not be started after the reload");
        log_info("configuration reloaded%s", c.dry_run ? " (dry run)" : "");
        (void)sd_notify(0, "READY=1");
        return 0;
}

/* Its own oom_score_adj as low as it may go: -1000 needs CAP_SYS_RESOURCE;
 * without it the kernel refuses anything below the current value. */
static void manager_protect_self(struct manager *m)
{
        char buf[16];
        int r;

        r = write_file_at(m->procfd, "self/oom_score_adj", "-1000");
        if (r < 0)
                log_warning_errno(r, "cannot set own oom_score_adj to -1000 (lowering it needs "
                                     "CAP_SYS_RESOURCE); the kernel OOM killer may pick triaged");
        if (read_file_at(m->procfd, "self/oom_score_adj", buf, sizeof(buf)) > 0)
                (void)parse_int(buf, &m->own_oom_score_adj);
        if (r < 0)
                log_warning("own oom_score_adj stays at %d", m->own_oom_score_adj);
}

/* A warm-up scan and ranking faults in the code, stack and tables the kill
 * path uses; then everything is locked so that path never waits on a page
 * fault under the very pressure it is there to relieve. */
static void manager_lock_memory(struct manager *m)
{
        size_t n;

        for (size_t i = 0; i < MANAGER_DOMAINS_MAX; i++)
                if (m->domains[i].in_use)
                        (void)manager_rank(m, &m->domains[i], PROC_READ_ALL, true, &n);
        if (!m->config.mlock) {
                log_info("mlock = no: memory not locked");
                return;
        }
        if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0 ||
            (errno == EINVAL && mlockall(MCL_CURRENT | MCL_FUTURE) == 0)) {
                m->mlocked = true;
                return;
        }
        log_warning_errno(errno, "mlockall failed (RLIMIT_MEMLOCK? CAP_IPC_LOCK?): running unlocked");
}

static size_t auto_process_capacity(struct manager *m)
{
        struct meminfo mi;
        size_t cap = 1024;

        /* Four slots per MiB of RAM (a process needs far more than 256 KiB),
         * at least 1024 and at most 32768: ~0.7 KiB each, so 22 MiB at most. */
        if (meminfo_read(m->meminfo_fd, &mi) == 0)
                cap = (size_t)(mi.mem_total_kib / 1024) * 4;
        return cap < 1024 ? 1024 : cap > 32768 ? 32768 : cap;
}

int manager_new(const struct manager_options *o, struct manager **ret)
{
        struct manager *m;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->options = *o;
        m->procfd = m->sysfd = m->meminfo_fd = m->cgroup_v2_fd = m->cgroup_v1_fd = -1;
        m->inotify_fd = m->listen_fd = -1;
        for (size_t i = 0; i < CONTROL_CONN_MAX; i++)
                m->conns[i].fd = -1;
        m->start_usec = now_usec(CLOCK_MONOTONIC);
        *ret = m;

        r = manager_load_config(o, &m->config);
        if (r < 0)
                return r;

        m->procfd = open(o->proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (m->procfd < 0)
                return log_error_errno(errno, "cannot open %s", o->proc_root);
        m->sysfd = open(o->sys_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (m->sysfd < 0)
                return log_error_errno(errno, "cannot open %s", o->sys_root);
        m->meminfo_fd = meminfo_open(m->procfd);
        if (m->meminfo_fd < 0)
                return log_error_errno(m->meminfo_fd, "cannot open %s/meminfo", o->proc_root);
        m->page_kib = (unsigned)(sysconf(_SC_PAGESIZE) / 1024);

        r = cgroup_detect(m->sysfd, &m->mounts);
        if (r < 0)
                log_warning_errno(r, "no cgroup hierarchy under %s/fs/cgroup: only the system domain",
                                  o->sys_root);
        if (m->mounts.v2[0] && m->mounts.v2_has_memory)
                m->cgroup_v2_fd = openat(m->sysfd, m->mounts.v2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (m->mounts.v1_memory[0])
                m->cgroup_v1_fd = openat(m->sysfd, m->mounts.v1_memory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        log_info("memory cgroups: %s", m->cgroup_v2_fd >= 0   ? "v2"
                                       : m->cgroup_v1_fd >= 0 ? "v1 (hybrid or legacy hierarchy)"
                                                              : "none");

        size_t cap = m->config.max_processes ? m->config.max_processes : auto_process_capacity(m);
        r = proc_table_init(&m->procs, cap);
        if (r < 0)
                return log_error_errno(r, "cannot allocate the process table (%zu entries)", cap);
        m->ranked = calloc(cap, sizeof(*m->ranked));
        m->acts = calloc(cap, sizeof(*m->acts));
        m->members = calloc(cap, sizeof(*m->members));
        m->act_scratch = calloc(ACTIVITY_SCRATCH_WORDS(cap), sizeof(*m->act_scratch));
        m->verdicts = calloc(cap, sizeof(*m->verdicts));
        m->base_adj = calloc(cap, sizeof(*m->base_adj));
        m->last_active = calloc(cap, sizeof(*m->last_active));
        m->charged = calloc(cap, sizeof(*m->charged));
        m->plan_adj = calloc(cap, sizeof(*m->plan_adj));
        if (!m->ranked || !m->acts || !m->members || !m->act_scratch || !m->verdicts || !m->base_adj ||
            !m->last_active || !m->charged || !m->plan_adj || tracker_init(&m->tracker, cap) < 0)
                return log_error_errno(ENOMEM, "cannot allocate the ranking (%zu entries)", cap);
        charges_init(&m->charges);
        r = rules_compile(&m->config, &m->rules);
        if (r < 0)
                return log_error_errno(r, "cannot compile the rules");

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "cannot create the event loop");

        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        if ((r = sd_event_add_signal(m->event, NULL, SIGTERM, on_exit_signal, m)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGINT, on_exit_signal, m)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGHUP, on_reload, m)) < 0)
                return log_error_errno(r, "cannot watch signals");

        manager_protect_self(m);
        /* Before anything else: what a crashed daemon left frozen runs again. */
        chooser_recover(m);
        r = manager_start_domains(m);
        if (r < 0)
                return r;
        r = control_open(m);
        if (r < 0)
                return r;
        r = survey_start(m);
        if (r < 0)
                return log_error_errno(r, "cannot start the survey");
        r = appsock_open(m, &m->appsock);
        if (r < 0)
                log_warning_errno(r, "cannot listen for applications on %s: they cannot register",
                                  m->config.app_socket);
        if (m->config.bus) {
                r = bus_open(m, &m->bus);
                if (r < 0)
                        log_warning_errno(r, "no system bus: running without D-Bus (no LowMemoryWarning, "
                                             "no org.triage.Manager1)");
        } else {
                log_info("bus = no: not on D-Bus");
        }
        manager_lock_memory(m);
        return 0;
}

int manager_run(struct manager *m)
{
        log_info("ready%s: %zu processes max, memory %s, own oom_score_adj %d",
                 m->config.dry_run ? " (dry run: nothing will be killed)" : "", m->procs.capacity,
                 m->mlocked ? "locked" : "not locked", m->own_oom_score_adj);
        (void)sd_notify(0, "READY=1");
        int r = sd_event_loop(m->event);
        (void)sd_notify(0, "STOPPING=1");
        return r < 0 ? log_error_errno(r, "event loop failed") : 0;
}

struct manager *manager_free(struct manager *m)
{
        if (!m)
                return NULL;
        control_close(m);
        chooser_stop(m);
        m->bus = bus_free(m->bus);
        m->appsock = appsock_free(m->appsock);
        manager_stop_domains(m);
        survey_stop(m);
        if (m->procfd >= 0 && m->tracker.slots)
                survey_restore_adj(m);
        rules_free(&m->rules);
        tracker_free(&m->tracker);
        m->inotify_source = sd_event_source_disable_unref(m->inotify_source);
        m->rescan_source = sd_event_source_disable_unref(m->rescan_source);
        int fds[] = { m->inotify_fd, m->cgroup_v1_fd, m->cgroup_v2_fd, m->meminfo_fd, m->sysfd, m->procfd };
        for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        sd_event_unref(m->event);
        proc_table_free(&m->procs);
        free(m->ranked);
        free(m->acts);
        free(m->members);
        free(m->act_scratch);
        free(m->verdicts);
        free(m->base_adj);
        free(m->last_active);
        free(m->charged);
        free(m->plan_adj);
        free(m);
        return NULL;
}

static const char *transport_name(enum client_transport t)
{
        return t == CLIENT_TRANSPORT_BUS ? "D-Bus" : "socket";
}

struct client *manager_client_register(struct manager *m, enum client_transport t,
                                       const struct client_ops *ops, void *transport_data, pid_t pid,
                                       uid_t uid, const char *name, int *ret_err)
{
        uint64_t ticks;
        int r;

        /* The PID came from the kernel; the start time pins it to this
         * process, so a recycled PID never inherits the registration. */
        r = proc_read_start_time(m->procfd, pid, &ticks);
        if (r < 0) {
                *ret_err = r == -ENOENT ? -ESRCH : r;
                return NULL;
        }
        struct client *c = clients_add(&m->clients, t, ops, transport_data, pid, uid, ticks, name, ret_err);
        if (!c) {
                /* Debug only: a hostile client retrying would flood the log. */
                log_debug_errno(*ret_err, "registration of pid %d (uid %u) over %s refused", (int)pid,
                                (unsigned)uid, transport_name(t));
                return NULL;
        }
        log_info("client %s registered: pid %d, uid %u, over %s (id %" PRIu64 ")", c->name, (int)pid,
                 (unsigned)uid, transport_name(t), c->id);
        return c;
}

void manager_client_unregister(struct manager *m, struct client *c)
{
        log_info("client %s (pid %d) unregistered", c->name, (int)c->pid);
        /* Its answers live on in the record if it is a victim. */
        act_client_answered(m, c);
        if (m->chooser_id == c->id) {
                /* A chooser gone mid-choice: the policy decides now. */
                if (m->choosing)
                        chooser_end(m->choosing, CHOOSE_TIMEOUT, 0);
                m->chooser_id = 0;
        }
        clients_remove(&m->clients, c);
}

int manager_client_saved(struct manager *m, struct client *c, uint32_t serial, const char *state_ref)
{
        int r = client_answer_saved(c, serial, state_ref, now_usec(CLOCK_REALTIME));

        if (r < 0)
                return log_debug_errno(r, "client %s (pid %d): unexpected 'saved' (serial %u)", c->name,
                                       (int)c->pid, serial);
        log_info("client %s (pid %d) saved its state%s%s", c->name, (int)c->pid,
                 c->state_ref[0] ? " to " : "", c->state_ref);
        act_client_answered(m, c);
        return 0;
}

int manager_client_closing(struct manager *m, struct client *c, uint32_t serial)
{
        int r = client_answer_closing(c, serial);

        if (r < 0)
                return log_debug_errno(r, "client %s (pid %d): unexpected 'closing' (serial %u)", c->name,
                                       (int)c->pid, serial);
        log_info("client %s (pid %d) is closing", c->name, (int)c->pid);
        act_client_answered(m, c);
        return 0;
}
