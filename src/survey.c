/* SPDX-License-Identifier: MIT */
/*
 * The survey: what triage needs to know about every process beyond one
 * scan, gathered every SURVEY_INTERVAL_USEC (and when a domain's level
 * rises) rather than on the kill path: which processes used the CPU (the
 * fallback for "last used" when no focus reports come), the memory the X
 * server and the GPU hold for each (charges), and the ranking of the
 * system's activities, which is then published to the kernel as
 * oom_score_adj values so that its last-resort killer picks what triage
 * would.
 *
 * Writing oom_score_adj: raising a value is always allowed; lowering it
 * below the process's oom_score_adj_min needs CAP_SYS_RESOURCE. What the
 * kernel refuses is counted and shown by `triagectl status`; the original
 * values are put back when the daemon exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"
#include "manager.h"
#include "triage-paths.h"
#include "util.h"

#if HAVE_XRES
#include "x11focus.h"
#include "xres.h"
#endif

/* Often enough that "last used" is minutes-accurate and a new
 * application is ranked for the kernel within half a minute; rare enough
 * that a desktop's 300-500 processes cost ~0.1% of one CPU. */
#define SURVEY_INTERVAL_USEC (30 * USEC_PER_SEC)
/* From a focus change to publishing the ranking again: changes within it
 * (alt-tab through five windows) cost one survey. */
#define SURVEY_FOCUS_DELAY_USEC USEC_PER_SEC
/* A process that used less CPU than this since the last survey (one clock
 * tick is 10 ms) did not really run: timers and housekeeping. */
#define SURVEY_ACTIVE_MIN_TICKS 5
/* How long an X-Resource query may take (two round trips). */
#define SURVEY_XRES_TIMEOUT_MSEC 300
/* How long the set-up of the focus connection may wait for the server
 * (two round trips, once at start): generous for a server busy drawing. */
#define SURVEY_X11FOCUS_OPEN_TIMEOUT_MSEC 1000

static int find_focus(struct manager *m, pid_t pid)
{
        for (size_t i = 0; i < m->n_focus; i++)
                if (m->focus[i].pid == pid)
                        return (int)i;
        return -1;
}

int manager_focus(struct manager *m, pid_t pid, uid_t requester)
{
        struct proc_entry p;
        uint64_t now = now_usec(CLOCK_BOOTTIME);
        int r;

        r = proc_read_pid(m->procfd, pid, 0, &p);
        if (r < 0)
                return -ESRCH;
        if (requester != 0 && requester != p.uid)
                return -EPERM;
        /* The activity that had the focus was in use until now. */
        for (size_t i = 0; i < m->n_focus; i++)
                if (m->focus[i].focused) {
                        m->focus[i].focused = false;
                        m->focus[i].last_use_usec = now;
                }
        int i = find_focus(m, pid);
        if (i < 0) {
                if (m->n_focus == FOCUS_MAX) {
                        /* Forget the report used longest ago. */
                        size_t oldest = 0;
                        for (size_t k = 1; k < m->n_focus; k++)
                                if (m->focus[k].last_use_usec < m->focus[oldest].last_use_usec)
                                        oldest = k;
                        m->focus[oldest] = m->focus[--m->n_focus];
                }
                i = (int)m->n_focus++;
        }
        m->focus[i] = (struct focus_report){
                .pid = pid,
                .start_time_ticks = p.start_time_ticks,
                .last_use_usec = now,
                .focused = true,
        };
        log_debug("focus: pid %d (%s)", (int)pid, p.comm);
        survey_after_focus(m);
        return 0;
}

int manager_report_charge(struct manager *m, pid_t holder, uid_t holder_uid, pid_t client, uint64_t bytes)
{
        const struct config_trusted *t = &m->config.charges_trusted;
        struct proc_entry p;
        bool trusted = false;

        for (size_t i = 0; i < t->n; i++)
                trusted |= t->uids[i] == holder_uid;
        if (!trusted)
                return -EPERM;
        if (client <= 0 || proc_read_pid(m->procfd, client, 0, &p) < 0)
                return -ESRCH;
        uint64_t kib = bytes / 1024 + (bytes % 1024 != 0);
        int r = charges_set(&m->charges, CHARGE_REPORTED, client, holder == client ? 0 : holder, kib);
        if (r < 0)
                return r;
        log_info("pid %d (uid %u) holds %" PRIu64 " KiB for pid %d (%s): charged to it", (int)holder,
                 (unsigned)holder_uid, kib, (int)client, p.comm);
        return 0;
}

/* The per-process charges of this scan, from the charge table. */
static void fill_charges(struct manager *m)
{
        for (size_t i = 0; i < m->procs.n; i++) {
                const struct proc_entry *p = &m->procs.entries[i];
                uint64_t own = p->rss_anon_kib + p->rss_file_kib + p->rss_shmem_kib + p->swap_kib +
                               p->pte_kib;
                m->charged[i] = charges_net_kib(&m->charges, p->pid, own);
        }
}

ssize_t manager_rank_activities(struct manager *m, const struct domain *d, unsigned what)
{
        struct activity_client clients[CLIENTS_MAX];
        struct activity_use uses[FOCUS_MAX];
        struct policy_domain pd;
        size_t n_clients = 0, n_uses = 0;
        int r;

        /* Activities are told apart by cgroup, rules match command lines. */
        r = proc_scan(m->procfd, what | PROC_READ_CGROUP | PROC_READ_CMDLINE, &m->procs);
        if (r < 0)
                return r;
        if (m->procs.dropped)
                log_warning("process table full: %zu processes not scanned (max_processes = %zu)",
                            m->procs.dropped, m->procs.capacity);
        uint64_t now = now_usec(CLOCK_BOOTTIME);
        tracker_update(&m->tracker, &m->procs, now, SURVEY_ACTIVE_MIN_TICKS, (uint64_t)sysconf(_SC_CLK_TCK),
                       m->base_adj, m->last_active);
        for (size_t i = 0; i < m->procs.n; i++)
                rules_match(&m->rules, &m->procs.entries[i], &m->verdicts[i]);
        fill_charges(m);

        for (size_t i = 0; i < CLIENTS_MAX; i++) {
                const struct client *c = &m->clients.table[i];
                if (c->in_use)
                        clients[n_clients++] = (struct activity_client){
                                .pid = c->pid,
                                .start_time_ticks = c->start_time_ticks,
                                .client_id = c->id,
                                .name = c->name,
                        };
        }
        for (size_t i = 0; i < m->n_focus; i++)
                uses[n_uses++] = (struct activity_use){
                        .pid = m->focus[i].pid,
                        .last_use_usec = m->focus[i].last_use_usec,
                        .focused = m->focus[i].focused,
                };

        manager_policy_domain(m, d, &pd);
        struct activity_input in = {
                .procs = &m->procs,
                .domain = &pd,
                .clients = clients,
                .n_clients = n_clients,
                .verdicts = m->verdicts,
                .base_adj = m->base_adj,
                .last_active_usec = m->last_active,
                .charged_kib = m->charged,
                .uses = uses,
                .n_uses = n_uses,
                .now_usec = now,
                .recent_usec = m->config.recent_usec,
                .age_unit_usec = m->config.age_unit_usec,
                .scratch = m->act_scratch,
                .scratch_cap = ACTIVITY_SCRATCH_WORDS(m->procs.capacity),
        };
        return activity_rank(&in, m->acts, m->procs.capacity, m->members, m->procs.capacity);
}

/* Writes value to pid's oom_score_adj if pid is still the process that
 * was scanned. Returns 0 or -errno. */
static int write_adj(struct manager *m, pid_t pid, uint64_t start_time_ticks, int value)
{
        char path[32], buf[16];
        uint64_t ticks;
        int r;

        snprintf(path, sizeof(path), "%d", (int)pid);
        int dirfd = openat(m->procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return -errno;
        /* The directory pins the process: check it is the one we ranked. */
        r = proc_read_start_time(m->procfd, pid, &ticks);
        if (r >= 0 && ticks != start_time_ticks)
                r = -ESRCH;
        if (r >= 0) {
                snprintf(buf, sizeof(buf), "%d", value);
                r = write_file_at(dirfd, "oom_score_adj", buf);
        }
        close(dirfd);
        return r;
}

/* Publishes the order of the activities just ranked (m->acts, n). */
static void publish_adj(struct manager *m, size_t n)
{
        uint64_t written = 0, refused = 0;

        activity_plan_adj(m->acts, n, m->members, &m->procs, m->base_adj, m->plan_adj);
        for (size_t i = 0; i < m->procs.n; i++) {
                const struct proc_entry *p = &m->procs.entries[i];
                if (m->plan_adj[i] == p->oom_score_adj || p->pid == getpid())
                        continue;
                struct tracked *e = tracker_find(&m->tracker, p->pid, p->start_time_ticks);
                if (!e)
                        continue;
                int r = write_adj(m, p->pid, p->start_time_ticks, m->plan_adj[i]);
                if (r == -ESRCH || r == -ENOENT)
                        continue;
                if (r < 0) {
                        refused++;
                        m->adj_refused_errno = -r;
                        continue;
                }
                e->adj_written = true;
                e->written_adj = m->plan_adj[i];
                written++;
        }
        m->adj_written += written;
        m->adj_refused += refused;
        if (written || refused)
                log_debug("published the ranking: %" PRIu64 " oom_score_adj values written, %" PRIu64
                          " refused",
                          written, refused);
        if (refused && m->adj_refused == refused)
                log_warning("the kernel refused %" PRIu64
                            " oom_score_adj values (%s): lowering a value needs "
                            "CAP_SYS_RESOURCE; the kernel's order agrees with triage's only where values "
                            "were raised (see triagectl status)",
                            refused, strerror(m->adj_refused_errno));
}

void survey_restore_adj(struct manager *m)
{
        uint64_t restored = 0, failed = 0, gone = 0;

        for (size_t i = 0; i < m->tracker.capacity; i++) {
                struct tracked *e = &m->tracker.slots[i];
                if (e->pid == 0 || !e->adj_written)
                        continue;
                int r = write_adj(m, e->pid, e->start_time_ticks, e->own_adj);
                if (r == 0)
                        restored++;
                else if (r == -ESRCH || r == -ENOENT)
                        gone++;
                else
                        failed++;
                e->adj_written = false;
        }
        if (restored || failed || gone)
                log_info("restored %" PRIu64 " oom_score_adj values (%" PRIu64 " processes gone since)%s",
                         restored, gone,
                         failed ? "; some could not be: lowering needs CAP_SYS_RESOURCE" : "");
}

static void refresh_gpu_charges(struct manager *m)
{
        charges_clear(&m->charges, CHARGE_GPU);
        for (size_t i = 0; i < m->procs.n; i++) {
                const struct proc_entry *p = &m->procs.entries[i];
                uint64_t kib = 0;
                if (!p->has_mm || (p->flags & PROC_PF_KTHREAD))
                        continue;
                if (charges_read_drm(m->procfd, p->pid, &kib) > 0 && kib > 0)
                        (void)charges_set(&m->charges, CHARGE_GPU, p->pid, 0, kib);
        }
}

static void refresh_x_charges(struct manager *m)
{
#if HAVE_XRES
        struct xres_client clients[256];
        struct xres_result res;

        if (!m->xres)
                return;
        int r = xres_query(m->xres, SURVEY_XRES_TIMEOUT_MSEC, clients, ARRAY_SIZE(clients), &res);
        if (r < 0) {
                log_debug_errno(r, "X-Resource query failed");
                return;
        }
        charges_clear(&m->charges, CHARGE_X_PIXMAPS);
        for (size_t i = 0; i < res.n; i++)
                (void)charges_set(&m->charges, CHARGE_X_PIXMAPS, clients[i].pid, res.server_pid,
                                  clients[i].pixmap_kib);
#else
        (void)m;
#endif
}

#if HAVE_XRES
static void x11focus_stop(struct manager *m)
{
        m->x11focus_source = sd_event_source_disable_unref(m->x11focus_source);
        m->x11focus = x11focus_free(m->x11focus);
}

/* The window manager gave the focus to a window of pid (pid from the X
 * server, see x11focus.h): a focus report with root's authority. */
static void on_x11_focus(pid_t pid, void *userdata)
{
        struct manager *m = userdata;

        if (pid == 0) {
                log_debug("X focus: the focused window has no process here (a remote client?)");
                return;
        }
        int r = manager_focus(m, pid, 0);
        if (r < 0)
                log_debug_errno(r, "X focus: pid %d is not a process here (gone, or another PID namespace)",
                                (int)pid);
}

static int on_x11focus_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct manager *m = userdata;
        int r = x11focus_dispatch(m->x11focus, on_x11_focus, m);

        if (r < 0) {
                log_warning_errno(r, "X display %s: connection lost: focus is no longer followed",
                                  getenv("DISPLAY"));
                x11focus_stop(m);
        }
        return 0;
}

static void x11focus_start(struct manager *m)
{
        const char *display = getenv("DISPLAY");
        int r = x11focus_open(NULL, SURVEY_X11FOCUS_OPEN_TIMEOUT_MSEC, &m->x11focus);

        if (r < 0) {
                log_info_errno(r, "X display %s: cannot follow _NET_ACTIVE_WINDOW: no focus from X", display);
                return;
        }
        r = sd_event_add_io(m->event, &m->x11focus_source, x11focus_fd(m->x11focus), EPOLLIN, on_x11focus_io,
                            m);
        if (r < 0) {
                log_warning_errno(r, "X display %s: cannot watch the connection: no focus from X", display);
                x11focus_stop(m);
                return;
        }
        log_info("X display %s: following _NET_ACTIVE_WINDOW for focus (PIDs from %s)", display,
                 x11focus_has_xres(m->x11focus) ? "X-Resource, else _NET_WM_PID" : "_NET_WM_PID");
}
#endif

/* CAP_SYS_RESOURCE (24) in the effective set, from /proc/self/status. */
static bool has_cap_sys_resource(struct manager *m)
{
        char buf[4096];
        uint64_t caps = 0;

        if (read_file_at(m->procfd, "self/status", buf, sizeof(buf)) < 0)
                return false;
        const char *p = strstr(buf, "\nCapEff:\t");
        if (!p || sscanf(p + 9, "%" SCNx64, &caps) != 1)
                return false;
        return caps & (UINT64_C(1) << 24);
}

void survey_now(struct manager *m)
{
        struct domain *d = manager_find_domain(m, NULL);

        if (!d)
                return;
        /* Charges first (they were scanned last time; a new process gets
         * its charge at the next survey), then the ranking with them. */
        if (m->procs.n)
                refresh_gpu_charges(m);
        refresh_x_charges(m);
        ssize_t n = manager_rank_activities(m, d, 0);
        if (n < 0) {
                log_warning_errno((int)n, "survey: cannot rank activities");
                return;
        }
        if (!m->config.dry_run && m->adj_publish)
                publish_adj(m, (size_t)n);
}

static int on_survey_soon(sd_event_source *s, void *userdata)
{
        struct manager *m = userdata;

        m->survey_soon_source = sd_event_source_disable_unref(m->survey_soon_source);
        survey_now(m);
        return 0;
}

void survey_soon(struct manager *m)
{
        if (m->survey_soon_source)
                return;
        int r = sd_event_add_defer(m->event, &m->survey_soon_source, on_survey_soon, m);
        if (r < 0)
                log_warning_errno(r, "cannot schedule a survey");
}

static int on_focus_settled(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct manager *m = userdata;

        m->survey_focus_source = sd_event_source_disable_unref(m->survey_focus_source);
        survey_now(m);
        for (size_t i = 0; i < m->n_focus; i++)
                if (m->focus[i].focused)
                        log_debug("survey: ranking published again after the focus moved to pid %d",
                                  (int)m->focus[i].pid);
        return 0;
}

void survey_after_focus(struct manager *m)
{
        /* Only the published order depends on it now: the ranking of a
         * decision is made afresh anyway. */
        if (!m->adj_publish || m->config.dry_run || m->survey_focus_source || !m->event)
                return;
        int r = sd_event_add_time_relative(m->event, &m->survey_focus_source, CLOCK_MONOTONIC,
                                           SURVEY_FOCUS_DELAY_USEC, SURVEY_FOCUS_DELAY_USEC / 10,
                                           on_focus_settled, m);
        if (r < 0)
                log_warning_errno(r, "cannot schedule a survey after a focus change");
}

static int on_survey(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct manager *m = userdata;

        survey_now(m);
        (void)sd_event_source_set_time_relative(s, SURVEY_INTERVAL_USEC);
        (void)sd_event_source_set_enabled(s, SD_EVENT_ON);
        return 0;
}

int survey_start(struct manager *m)
{
#if HAVE_XRES
        if (getenv("DISPLAY")) {
                m->xres = calloc(1, sizeof(*m->xres));
                int r = m->xres ? xres_open(m->xres, NULL, SURVEY_XRES_TIMEOUT_MSEC) : -ENOMEM;
                if (r < 0) {
                        log_info_errno(r, "no X-Resource on display %s: X pixmaps are not charged",
                                       getenv("DISPLAY"));
                        free(m->xres);
                        m->xres = NULL;
                } else {
                        log_info("X display %s: charging X pixmaps to their clients (server pid %d)",
                                 getenv("DISPLAY"), (int)m->xres->server_pid);
                }
                x11focus_start(m);
        }
#endif
        /* Without CAP_SYS_RESOURCE a value can be raised but never put
         * back: publishing would outlive the daemon. Only when asked to. */
        m->adj_publish = has_cap_sys_resource(m) || m->config.advise_only;
        if (!m->adj_publish)
                log_warning(
                        "not publishing the ranking as oom_score_adj: without CAP_SYS_RESOURCE the kernel lets "
                        "triaged raise values but never put them back (use --advise-only to publish anyway)");
        survey_now(m);
        /* Accuracy of a tenth: coalesced with other wake-ups. */
        return sd_event_add_time_relative(m->event, &m->survey_source, CLOCK_MONOTONIC, SURVEY_INTERVAL_USEC,
                                          SURVEY_INTERVAL_USEC / 10, on_survey, m);
}

void survey_stop(struct manager *m)
{
        m->survey_source = sd_event_source_disable_unref(m->survey_source);
        m->survey_soon_source = sd_event_source_disable_unref(m->survey_soon_source);
        m->survey_focus_source = sd_event_source_disable_unref(m->survey_focus_source);
#if HAVE_XRES
        x11focus_stop(m);
        if (m->xres) {
                xres_close(m->xres);
                free(m->xres);
                m->xres = NULL;
        }
#endif
}
