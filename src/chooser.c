/* SPDX-License-Identifier: MIT */
/*
 * Letting a person choose what to close. At CRITICAL, above the emergency
 * floor, with a chooser registered (triagectl choose, a desktop agent), the
 * daemon freezes the activity in use (so it stops allocating), offers the
 * ranked candidates with a deadline, and waits: as events, never sleeping.
 * The pick gets save-and-close and its grace period like any victim; "let
 * the policy decide", the deadline, or memory reaching the floor hand the
 * decision back to the policy; memory coming back cancels it. The frozen
 * activity is always thawed before anything else happens, and is never the
 * victim unless the person picks it.
 *
 * A chooser running as a user sees and may pick only that user's
 * activities (root's chooser, any): a chooser cannot make the daemon kill
 * another user's processes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "manager.h"
#include "util.h"

static struct client *current_chooser(struct manager *m)
{
        struct client *c = m->chooser_id ? clients_find_id(&m->clients, m->chooser_id) : NULL;

        if (!c || !c->chooser || !c->ops->send_choose)
                return NULL;
        return c;
}

int manager_chooser_register(struct manager *m, struct client *c)
{
        c->chooser = true;
        m->chooser_id = c->id;
        log_info("chooser %s (pid %d, uid %u) registered: at the critical level the user picks what to close",
                 c->name, (int)c->pid, (unsigned)c->uid);
        return 0;
}

static bool visible_to(const struct client *c, uid_t owner)
{
        return c->uid == 0 || c->uid == owner;
}

static void thaw(struct manager *m)
{
        char what[128];

        m->freeze_source = sd_event_source_disable_unref(m->freeze_source);
        if (!freeze_active(&m->freeze))
                return;
        freeze_describe(&m->freeze, what, sizeof(what));
        int r = freeze_thaw(&m->freeze);
        if (r < 0)
                log_warning_errno(r, "cannot thaw %s", what);
        else
                log_info("thawed %s", what);
}

static int on_freeze_event(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct manager *m = userdata;
        char what[128];

        if (freeze_check(&m->freeze) == 1) {
                log_info("froze %s", freeze_describe(&m->freeze, what, sizeof(what)));
                m->freeze_source = sd_event_source_disable_unref(m->freeze_source);
        }
        return 0;
}

/* Freezes the focused activity of the ranking, if any. */
static void freeze_foreground(struct domain *d, const struct activity *acts, size_t n)
{
        struct manager *m = d->manager;
        struct freeze_pid pids[FREEZE_PIDS_MAX];
        const struct activity *fg = NULL;
        char mount[CGROUP_PATH_MAX + 8];

        for (size_t i = 0; i < n && !fg; i++)
                if (acts[i].focused && acts[i].protection == ACTIVITY_KILLABLE)
                        fg = &acts[i];
        if (!fg)
                return;
        size_t n_pids = 0;
        for (uint32_t k = 0; k < fg->n_members && n_pids < FREEZE_PIDS_MAX; k++) {
                const struct proc_entry *p = &m->procs.entries[m->members[fg->first_member + k]];
                pids[n_pids++] = (struct freeze_pid){ .pid = p->pid,
                                                      .start_time_ticks = p->start_time_ticks };
        }
        snprintf(mount, sizeof(mount), "/sys/%s",
                 fg->cgroup_version == CGROUP_V2 ? m->mounts.v2 : "fs/cgroup/freezer");
        struct freeze_target t = {
                .cgroup_mount = fg->cgroup[0] == '/' && fg->cgroup[1] ? mount : NULL,
                .cgroup_path = fg->cgroup[0] == '/' && fg->cgroup[1] ? fg->cgroup : NULL,
                .cgroup_version = fg->cgroup_version,
                .cgroup_exact = fg->cgroup_exact,
                .pids = pids,
                .n_pids = n_pids,
        };
        int r = freeze_start(&m->freeze, &t);
        if (r < 0) {
                log_warning_errno(r, "cannot freeze %s while the user chooses", fg->name);
                return;
        }
        char what[128];
        log_info("freezing %s (the activity in use) while the user chooses: %s", fg->name,
                 freeze_describe(&m->freeze, what, sizeof(what)));
        int fd = freeze_event_fd(&m->freeze);
        if (fd >= 0)
                (void)sd_event_add_io(m->event, &m->freeze_source, fd, EPOLLPRI, on_freeze_event, m);
        m->frozen_leader = fg->leader_pid;
        for (size_t i = 0; i < m->n_choices; i++)
                if (m->choices[i].leader == fg->leader_pid)
                        m->choices[i].frozen = true;
}

static int on_choose_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct manager *m = userdata;

        if (m->choosing) {
                log_notice("domain %s: no pick within %" PRIu64 " ms: the policy decides", m->choosing->name,
                           m->config.choose_timeout_usec / USEC_PER_MSEC);
                chooser_end(m->choosing, CHOOSE_TIMEOUT, 0);
        }
        return 0;
}

int chooser_maybe_start(struct domain *d, const struct activity *acts, size_t n)
{
        struct manager *m = d->manager;
        struct client *c = current_chooser(m);

        if (!c || m->choosing || m->config.choose_timeout_usec == 0 || m->config.dry_run ||
            m->config.advise_only)
                return 0;
        m->n_choices = 0;
        for (size_t i = 0; i < n && m->n_choices < CHOICES_MAX; i++) {
                const struct activity *a = &acts[i];
                if (a->protection != ACTIVITY_KILLABLE || !visible_to(c, a->uid))
                        continue;
                const struct client *app = a->kind == ACTIVITY_CLIENT
                                                   ? clients_find_id(&m->clients, a->client_id)
                                                   : NULL;
                int64_t mem = (int64_t)(a->rss_anon_kib + a->rss_file_kib + a->rss_shmem_kib + a->swap_kib) +
                              a->charged_kib;
                struct choice *ch = &m->choices[m->n_choices++];
                *ch = (struct choice){
                        .leader = a->leader_pid,
                        .uid = a->uid,
                        .memory_kib = mem > 0 ? (uint64_t)mem : 0,
                        .idle_sec = a->idle_usec / USEC_PER_SEC,
                        .saved = app && app->saved,
                        .recommended = i == (size_t)(activity_victim(acts, n) - acts),
                };
                strscpy(ch->name, a->name, sizeof(ch->name));
        }
        if (m->n_choices == 0)
                return 0;

        m->choosing = d;
        m->frozen_leader = 0;
        d->phase = ACT_CHOOSING;
        m->choose_serial = clients_next_serial(&m->clients);
        freeze_foreground(d, acts, n);
        int r = c->ops->send_choose(c, m->choose_serial, m->config.choose_timeout_usec / USEC_PER_MSEC,
                                    m->choices, m->n_choices);
        if (r >= 0)
                r = sd_event_add_time_relative(m->event, &m->choose_deadline, CLOCK_MONOTONIC,
                                               m->config.choose_timeout_usec, 0, on_choose_deadline, m);
        if (r < 0) {
                log_warning_errno(r, "cannot ask chooser %s: the policy decides", c->name);
                thaw(m);
                m->choosing = NULL;
                d->phase = ACT_IDLE;
                return 0;
        }
        log_notice("domain %s: asked %s (pid %d) to choose among %zu candidates within %" PRIu64 " ms",
                   d->name, c->name, (int)c->pid, m->n_choices,
                   m->config.choose_timeout_usec / USEC_PER_MSEC);
        return 1;
}

void chooser_end(struct domain *d, enum choose_result result, pid_t leader)
{
        struct manager *m = d->manager;
        struct client *c = current_chooser(m);
        pid_t victim = 0;

        if (m->choosing != d)
                return;
        m->choose_deadline = sd_event_source_disable_unref(m->choose_deadline);
        m->choosing = NULL;
        d->phase = ACT_IDLE;
        /* Thawed first: a frozen application cannot save, or die cleanly. */
        thaw(m);

        if (result != CHOOSE_CANCELLED) {
                ssize_t n = manager_rank_activities(m, d, 0);
                const struct activity *a = NULL;
                if (n > 0 && result == CHOOSE_PICKED) {
                        for (ssize_t i = 0; i < n && !a; i++)
                                if (m->acts[i].leader_pid == leader &&
                                    m->acts[i].protection == ACTIVITY_KILLABLE)
                                        a = &m->acts[i];
                        if (!a)
                                log_info("domain %s: the pick (pid %d) is gone; the policy decides", d->name,
                                         (int)leader);
                }
                /* The policy's victim, but never the activity that was frozen
                 * for the choice: only the person may pick that one. (If
                 * nothing else is left, the next check acts as usual.) */
                for (ssize_t i = 0; i < n && !a; i++)
                        if (m->acts[i].protection == ACTIVITY_KILLABLE &&
                            m->acts[i].leader_pid != m->frozen_leader)
                                a = &m->acts[i];
                if (a) {
                        victim = a->leader_pid;
                        log_notice("domain %s: closing %s (%s)", d->name, a->name,
                                   result == CHOOSE_PICKED ? "picked by the user"
                                                           : choose_result_to_string(result));
                        (void)act_take(d, a, result == CHOOSE_PICKED ? "person" : "policy");
                }
        }
        if (c && c->ops->send_choose_done) {
                int r = c->ops->send_choose_done(c, m->choose_serial, result, victim);
                if (r < 0)
                        log_debug_errno(r, "cannot tell chooser %s how it ended", c->name);
        }
}

int manager_chooser_pick(struct manager *m, struct client *c, uint32_t serial, pid_t leader)
{
        if (!m->choosing || c->id != m->chooser_id || serial != m->choose_serial)
                return -EPROTO;
        if (leader == 0) {
                log_notice("domain %s: chooser %s (pid %d) lets the policy decide", m->choosing->name,
                           c->name, (int)c->pid);
                chooser_end(m->choosing, CHOOSE_POLICY, 0);
                return 0;
        }
        for (size_t i = 0; i < m->n_choices; i++) {
                if (m->choices[i].leader != leader)
                        continue;
                if (!visible_to(c, m->choices[i].uid))
                        return -EPERM;
                log_notice("domain %s: the user picked %s (pid %d)", m->choosing->name, m->choices[i].name,
                           (int)leader);
                chooser_end(m->choosing, CHOOSE_PICKED, leader);
                return 0;
        }
        return -ESRCH;
}

void chooser_tell_killed(struct manager *m, const struct kill_record *r)
{
        for (size_t i = 0; i < CLIENTS_MAX; i++) {
                struct client *c = &m->clients.table[i];
                if (!c->in_use || !c->chooser || !c->ops->send_killed || !visible_to(c, r->uid))
                        continue;
                int e = c->ops->send_killed(c, r);
                if (e < 0)
                        log_debug_errno(e, "cannot tell chooser %s (pid %d) of the end of pid %d", c->name,
                                        (int)c->pid, (int)r->pid);
        }
}

static void on_recovered(const struct freeze_record *rec, unsigned line_no, int result, void *userdata)
{
        if (result < 0)
                log_warning_errno(result, "%s line %u: cannot thaw what it records", (const char *)userdata,
                                  line_no);
}

void chooser_recover(struct manager *m)
{
        struct freeze_recovery rec;

        snprintf(m->freeze_state_path, sizeof(m->freeze_state_path), "%s", m->config.control_socket);
        char *slash = strrchr(m->freeze_state_path, '/');
        if (slash)
                snprintf(slash + 1, sizeof(m->freeze_state_path) - (size_t)(slash + 1 - m->freeze_state_path),
                         "frozen");
        freeze_init(&m->freeze, m->procfd, m->freeze_state_path);
        int r = freeze_thaw_recorded(m->freeze_state_path, m->procfd, on_recovered, m->freeze_state_path,
                                     &rec);
        if (r < 0)
                log_warning_errno(r, "cannot read %s", m->freeze_state_path);
        else if (rec.thawed || rec.gone || rec.failed || rec.bad_lines)
                log_notice("thawed %u activit%s that a previous triaged left frozen (%u gone, %u failed, "
                           "%u bad lines in %s)",
                           rec.thawed, rec.thawed == 1 ? "y" : "ies", rec.gone, rec.failed, rec.bad_lines,
                           m->freeze_state_path);
}

void chooser_stop(struct manager *m)
{
        m->choose_deadline = sd_event_source_disable_unref(m->choose_deadline);
        if (m->choosing) {
                m->choosing->phase = ACT_IDLE;
                m->choosing = NULL;
        }
        thaw(m);
}
