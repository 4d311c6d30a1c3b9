/* SPDX-License-Identifier: MIT */
/*
 * Acting on a domain at CRITICAL or worse: scan, rank the activities,
 * check memory again, then close or kill the first activity and wait for
 * its death as an event with a deadline. A registered application is asked
 * to save and close first and killed at the end of its grace period (or at
 * once at the emergency floor); anything else is killed at once: the whole
 * activity through cgroup.kill when its cgroup holds exactly its
 * processes, else every process by pidfd. One action in flight per domain;
 * nothing here sleeps or allocates.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "kill.h"
#include "log.h"
#include "manager.h"
#include "util.h"

/* How often "critical but nothing to kill" may be logged per domain. */
#define NO_CANDIDATE_LOG_INTERVAL_USEC (10 * USEC_PER_SEC)

static void act_finish(struct domain *d)
{
        d->victim_source = sd_event_source_disable_unref(d->victim_source);
        d->victim_deadline = sd_event_source_disable_unref(d->victim_deadline);
        if (d->victim_pidfd >= 0)
                close(d->victim_pidfd);
        d->victim_pidfd = -1;
        for (size_t i = 0; i < d->n_member_pidfds; i++)
                close(d->member_pidfds[i]);
        d->n_member_pidfds = 0;
        d->victim_cgroup[0] = '\0';
        d->victim_pid = 0;
        d->victim_client_id = 0;
        d->phase = ACT_IDLE;
}

void act_cancel(struct domain *d)
{
        d->holdoff_source = sd_event_source_disable_unref(d->holdoff_source);
        act_finish(d);
}

/* The one structured line per kill, written when the outcome is known. */
static void log_kill(const struct domain *d, const struct kill_record *r)
{
        char why[512];
        char app[CLIENT_NAME_MAX + CLIENT_STATE_REF_MAX + 64] = "";

        badness_explain(&r->badness, why, sizeof(why));
        if (r->client_id)
                snprintf(app, sizeof(app), " app=\"%s\" saved=%s state_ref=\"%s\"", r->client_name,
                         r->saved ? "yes" : "no", r->state_ref);
        log_printf(r->outcome == KILL_DIED || r->outcome == KILL_CLOSED || r->outcome == KILL_DRY_RUN
                           ? LOG_NOTICE
                           : LOG_WARNING,
                   "%s pid=%d comm=%s uid=%u domain=%s level=%s outcome=%s score=%u freed_kib=%" PRIu64
                   " available_kib=%" PRIu64 " trigger_to_death_msec=%" PRIu64 "%s explanation=\"%s\"",
                   r->outcome == KILL_DRY_RUN ? "dry-run: would kill" : "kill", (int)r->pid, r->comm,
                   (unsigned)r->uid, d->name, level_to_string(r->level), kill_outcome_to_string(r->outcome),
                   r->badness.score, r->freed_kib, r->available_kib, r->trigger_to_death_usec / USEC_PER_MSEC,
                   app, why);
}

static void copy_client(struct kill_record *r, const struct client *c)
{
        r->client_id = c->id;
        strscpy(r->client_name, c->name, sizeof(r->client_name));
        r->saved = c->saved;
        strscpy(r->state_ref, c->state_ref, sizeof(r->state_ref));
}

void act_client_answered(struct manager *m, const struct client *c)
{
        for (size_t i = 0; i < MANAGER_DOMAINS_MAX; i++) {
                struct domain *d = &m->domains[i];
                if (!d->in_use || d->phase == ACT_IDLE || d->victim_client_id != c->id)
                        continue;
                struct kill_record *r = history_find(&m->history, d->victim_record_id);
                if (r)
                        copy_client(r, c);
        }
}

static void act_done(struct domain *d, enum kill_outcome outcome)
{
        struct manager *m = d->manager;
        struct kill_record *r = history_find(&m->history, d->victim_record_id);
        const struct client *c = d->victim_client_id ? clients_find_id(&m->clients, d->victim_client_id)
                                                     : NULL;

        if (r) {
                if (c)
                        copy_client(r, c);
                r->outcome = outcome;
                r->trigger_to_death_usec = now_usec(CLOCK_MONOTONIC) - d->event_usec;
                log_kill(d, r);
                if (m->bus)
                        bus_emit_killed(m->bus, r);
                chooser_tell_killed(m, r);
        }
        act_finish(d);
        /* Look again at once: memory may still be short. */
        domain_check(d);
}

static int on_victim_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct domain *d = userdata;

        act_done(d, d->outcome_on_exit);
        return 0;
}

static int on_victim_deadline(sd_event_source *s, uint64_t usec, void *userdata);

/* SIGKILL now; the death (or the wait deadline) ends the action. */
/* Kills the rest of the activity: through cgroup.kill when its cgroup
 * holds exactly it (new processes it forks meanwhile die too), and every
 * member's pidfd anyway (cgroup.kill needs 5.14; a member may have moved). */
static bool kill_members(struct domain *d)
{
        struct manager *m = d->manager;
        bool cgroup_killed = false;

        if (d->victim_cgroup[0] && m->cgroup_v2_fd >= 0) {
                char path[CGROUP_PATH_MAX + 16];
                snprintf(path, sizeof(path), "%s/cgroup.kill", d->victim_cgroup + 1);
                int r = write_file_at(m->cgroup_v2_fd, path, "1");
                if (r < 0)
                        log_debug_errno(r, "domain %s: cgroup.kill of %s", d->name, d->victim_cgroup);
                cgroup_killed = r >= 0;
        }
        for (size_t i = 0; i < d->n_member_pidfds; i++) {
                (void)kill_pidfd_signal(d->member_pidfds[i], SIGKILL);
                (void)kill_mrelease(d->member_pidfds[i]);
        }
        return cgroup_killed;
}

static int act_sigkill(struct domain *d, enum kill_outcome outcome_on_exit)
{
        struct manager *m = d->manager;
        int r;

        bool cgroup_killed = kill_members(d);
        r = kill_pidfd_signal(d->victim_pidfd, SIGKILL);
        if (r == -ESRCH && cgroup_killed) {
                /* cgroup.kill was quicker: ours is the death the pidfd
                 * event reports. */
                r = 0;
        } else if (r == -ESRCH) {
                /* It exited on its own just now. */
                act_done(d, d->phase == ACT_GRACE ? KILL_CLOSED : KILL_GONE);
                return 0;
        }
        if (r < 0) {
                log_error_errno(r, "domain %s: cannot signal pid %d", d->name, (int)d->victim_pid);
                act_done(d, KILL_FAILED);
                return r;
        }
        /* Give the memory back now rather than when the last thread has
         * left the kernel. EINVAL (not yet exiting) and ENOSYS are fine. */
        r = kill_mrelease(d->victim_pidfd);
        if (r < 0 && r != -EINVAL && r != -ENOSYS && r != -ESRCH)
                log_debug_errno(r, "process_mrelease(%d)", (int)d->victim_pid);
        d->phase = ACT_KILLED;
        d->outcome_on_exit = outcome_on_exit;
        d->kills++;
        log_debug("domain %s: SIGKILL sent to pid %d", d->name, (int)d->victim_pid);
        d->victim_deadline = sd_event_source_disable_unref(d->victim_deadline);
        r = sd_event_add_time_relative(m->event, &d->victim_deadline, CLOCK_MONOTONIC,
                                       m->config.kill_wait_usec, 0, on_victim_deadline, d);
        if (r < 0)
                log_error_errno(r, "domain %s: cannot add a timer", d->name);
        return 0;
}

static int on_victim_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct domain *d = userdata;

        if (d->phase == ACT_GRACE) {
                log_notice("domain %s: pid %d did not close within its grace period: killing it", d->name,
                           (int)d->victim_pid);
                (void)act_sigkill(d, KILL_AT_DEADLINE);
                return 0;
        }
        log_warning("domain %s: pid %d still alive %" PRIu64 " ms after SIGKILL (stuck in the kernel?); "
                    "choosing again",
                    d->name, (int)d->victim_pid, d->manager->config.kill_wait_usec / USEC_PER_MSEC);
        act_done(d, KILL_TIMED_OUT);
        return 0;
}

static int on_holdoff(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct domain *d = userdata;

        d->holdoff_source = sd_event_source_disable_unref(d->holdoff_source);
        domain_check(d);
        return 0;
}

static void fill_record(const struct domain *d, const struct activity *a, struct kill_record *r)
{
        struct manager *m = d->manager;
        const struct proc_entry *leader = &m->procs.entries[a->leader];

        memset(r, 0, sizeof(*r));
        r->realtime_usec = now_usec(CLOCK_REALTIME);
        r->pid = leader->pid;
        r->uid = leader->uid;
        strscpy(r->comm, leader->comm, sizeof(r->comm));
        strscpy(r->cmdline, leader->cmdline, sizeof(r->cmdline));
        strscpy(r->domain, d->name, sizeof(r->domain));
        strscpy(r->activity, a->name, sizeof(r->activity));
        strscpy(r->activity_id, activity_id(a), sizeof(r->activity_id));
        strscpy(r->tier, tier_to_string(a->tier), sizeof(r->tier));
        r->level = d->level;
        r->available_kib = d->available_kib;
        r->badness = a->badness;
        r->freed_kib = a->rss_anon_kib + a->rss_file_kib + a->rss_shmem_kib + a->swap_kib;
        r->outcome = KILL_PENDING;
}

/* Opens pidfds for the processes to kill: the whole activity, or its
 * worst process when a rule says kill = process. The leader's (or the one
 * process's) is the one watched. Returns 0, or -ESRCH when it is gone. */
static int open_targets(struct domain *d, const struct activity *a, struct kill_record *rec)
{
        struct manager *m = d->manager;
        bool whole = a->kill != RULE_KILL_PROCESS;
        uint32_t watched = whole ? a->leader : a->worst_member;

        for (uint32_t k = 0; k < (whole ? a->n_members : 1); k++) {
                uint32_t i = whole ? m->members[a->first_member + k] : watched;
                const struct proc_entry *p = &m->procs.entries[i];
                int fd = kill_pidfd_open(m->procfd, p->pid, p->start_time_ticks);

                if (fd < 0)
                        continue; /* exited since the scan */
                if (i == watched) {
                        d->victim_pidfd = fd;
                } else if (d->n_member_pidfds < HISTORY_MEMBERS_MAX - 1) {
                        d->member_pidfds[d->n_member_pidfds++] = fd;
                } else {
                        /* Beyond what we track: signal it now. */
                        (void)kill_pidfd_signal(fd, SIGKILL);
                        close(fd);
                }
                if (rec->n_members < HISTORY_MEMBERS_MAX)
                        rec->members[rec->n_members] = p->pid;
                rec->n_members++;
        }
        if (!whole) {
                const struct proc_entry *p = &m->procs.entries[watched];
                rec->pid = p->pid;
                strscpy(rec->comm, p->comm, sizeof(rec->comm));
                strscpy(rec->cmdline, p->cmdline, sizeof(rec->cmdline));
        }
        if (d->victim_pidfd < 0 && d->n_member_pidfds > 0)
                d->victim_pidfd = d->member_pidfds[--d->n_member_pidfds];
        if (d->victim_pidfd < 0)
                return -ESRCH;
        if (whole && a->cgroup_exact && a->cgroup_version == CGROUP_V2 && a->cgroup[0] == '/' &&
            a->cgroup[1] && d->kind != DOMAIN_CGROUP_V1) {
                strscpy(d->victim_cgroup, a->cgroup, sizeof(d->victim_cgroup));
                rec->cgroup_kill = true;
        }
        return 0;
}

/* Asks a registered victim to save and close; SIGKILL at the deadline. */
static int act_ask_to_close(struct domain *d, struct client *c, uint64_t grace_usec)
{
        struct manager *m = d->manager;
        uint32_t serial = clients_next_serial(&m->clients);
        uint64_t grace_msec = grace_usec / USEC_PER_MSEC;

        c->pending = CLIENT_REQUEST_CLOSE;
        c->pending_serial = serial;
        int r = c->ops->send_emergency_close(c, serial, grace_msec);
        if (r < 0)
                log_info_errno(r,
                               "domain %s: cannot ask %s (pid %d) to close; it has its grace period anyway",
                               d->name, c->name, (int)c->pid);
        log_notice("domain %s: asked %s (pid %d) to save and close within %" PRIu64 " ms", d->name, c->name,
                   (int)c->pid, grace_msec);
        d->phase = ACT_GRACE;
        d->outcome_on_exit = KILL_CLOSED;
        d->victim_client_id = c->id;
        return sd_event_add_time_relative(m->event, &d->victim_deadline, CLOCK_MONOTONIC, grace_usec, 0,
                                          on_victim_deadline, d);
}

int act_on_domain(struct domain *d)
{
        struct manager *m = d->manager;
        int r;

        if (d->phase == ACT_GRACE && d->level >= TRIAGE_LEVEL_EMERGENCY) {
                /* The floor: no more waiting for the application. */
                log_notice("domain %s: emergency floor reached during pid %d's grace period: killing it now",
                           d->name, (int)d->victim_pid);
                return act_sigkill(d, KILL_BY_FLOOR);
        }
        if (d->phase == ACT_CHOOSING) {
                /* The person is choosing; the floor cuts it short, and
                 * memory coming back ends it with nothing to close. */
                if (d->level >= TRIAGE_LEVEL_EMERGENCY) {
                        chooser_end(d, CHOOSE_FLOOR, 0);
                } else if (d->level < TRIAGE_LEVEL_CRITICAL) {
                        log_notice("domain %s: memory came back (%s) during the choice: nothing is closed",
                                   d->name, level_to_string(d->level));
                        chooser_end(d, CHOOSE_CANCELLED, 0);
                }
                return 0;
        }
        if (d->phase != ACT_IDLE || d->holdoff_source)
                return 0;

        ssize_t n = manager_rank_activities(m, d, 0);
        if (n < 0)
                return log_error_errno((int)n, "domain %s: cannot rank activities", d->name);
        const struct activity *a = activity_victim(m->acts, (size_t)n);
        if (!a) {
                uint64_t now = now_usec(CLOCK_MONOTONIC);
                if (now - d->no_candidate_logged_usec > NO_CANDIDATE_LOG_INTERVAL_USEC) {
                        log_warning("domain %s: %s, but no process may be killed", d->name,
                                    level_to_string(d->level));
                        d->no_candidate_logged_usec = now;
                }
                return 0;
        }

        /* Memory may have come back while we scanned: check again before
         * taking a life. */
        r = domain_sample(d);
        if (r < 0)
                return log_warning_errno(r, "domain %s: cannot read its memory figures", d->name);
        if (d->level < TRIAGE_LEVEL_CRITICAL) {
                log_info("domain %s: recovered to %s before a victim was killed; %s spared", d->name,
                         level_to_string(d->level), a->name);
                return 0;
        }
        /* A person at the machine may choose, while there is time. */
        if (d->level < TRIAGE_LEVEL_EMERGENCY && chooser_maybe_start(d, m->acts, (size_t)n) > 0)
                return 0;
        return act_take(d, a, "policy");
}

int act_take(struct domain *d, const struct activity *a, const char *decided_by)
{
        struct manager *m = d->manager;
        struct kill_record rec;
        int r;

        fill_record(d, a, &rec);
        strscpy(rec.decided_by, decided_by, sizeof(rec.decided_by));
        /* A registered application, still the process that registered. */
        struct client *c = a->kind == ACTIVITY_CLIENT ? clients_find_id(&m->clients, a->client_id) : NULL;
        if (c)
                copy_client(&rec, c);

        if (m->config.dry_run || m->config.advise_only) {
                rec.outcome = KILL_DRY_RUN;
                for (uint32_t k = 0; k < a->n_members && k < HISTORY_MEMBERS_MAX; k++)
                        rec.members[k] = m->procs.entries[m->members[a->first_member + k]].pid;
                rec.n_members = a->n_members;
                history_add(&m->history, &rec);
                log_kill(d, &rec);
                /* Decide again only after the time a kill would have taken,
                 * so a dry run says once what it would do per episode. */
                r = sd_event_add_time_relative(m->event, &d->holdoff_source, CLOCK_MONOTONIC,
                                               m->config.kill_wait_usec, 0, on_holdoff, d);
                return r < 0 ? log_error_errno(r, "domain %s: cannot add a timer", d->name) : 0;
        }

        r = open_targets(d, a, &rec);
        if (r < 0) {
                log_info("domain %s: %s exited before it could be killed", d->name, a->name);
                act_finish(d);
                return 0;
        }
        d->victim_pid = rec.pid;
        d->victim_record_id = history_add(&m->history, &rec)->id;
        r = sd_event_add_io(m->event, &d->victim_source, d->victim_pidfd, EPOLLIN, on_victim_exit, d);
        if (r < 0) {
                log_error_errno(r, "domain %s: cannot watch pid %d", d->name, (int)rec.pid);
                /* Without the death event we cannot wait: kill and go on. */
                kill_members(d);
                (void)kill_pidfd_signal(d->victim_pidfd, SIGKILL);
                act_done(d, KILL_FAILED);
                return r;
        }
        uint64_t grace_usec = a->has_grace ? a->grace_usec : m->config.grace_usec;
        if (c && d->level < TRIAGE_LEVEL_EMERGENCY && grace_usec > 0) {
                r = act_ask_to_close(d, c, grace_usec);
                if (r >= 0)
                        return 0;
                log_error_errno(r, "domain %s: cannot add a timer; killing %s at once", d->name, a->name);
        }
        if (c)
                d->victim_client_id = c->id;
        return act_sigkill(d, KILL_DIED);
}
