/* SPDX-License-Identifier: MIT */
/*
 * Acting on a domain at CRITICAL or worse: scan, rank, check memory again,
 * then kill the first candidate by pidfd and wait for its death as an event
 * with a deadline. One action in flight per domain; nothing here sleeps or
 * allocates.
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
        log_printf(r->outcome == KILL_DIED || r->outcome == KILL_CLOSED || r->outcome == KILL_DRY_RUN ? LOG_NOTICE
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
        const struct client *c = d->victim_client_id ? clients_find_id(&m->clients, d->victim_client_id) : NULL;

        if (r) {
                if (c)
                        copy_client(r, c);
                r->outcome = outcome;
                r->trigger_to_death_usec = now_usec(CLOCK_MONOTONIC) - d->event_usec;
                log_kill(d, r);
                if (m->bus)
                        bus_emit_killed(m->bus, r);
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
static int act_sigkill(struct domain *d, enum kill_outcome outcome_on_exit)
{
        struct manager *m = d->manager;
        int r;

        r = kill_pidfd_signal(d->victim_pidfd, SIGKILL);
        if (r == -ESRCH) {
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
        r = sd_event_add_time_relative(m->event, &d->victim_deadline, CLOCK_MONOTONIC, m->config.kill_wait_usec, 0,
                                       on_victim_deadline, d);
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

static void fill_record(const struct domain *d, const struct candidate *c, struct kill_record *r)
{
        const struct proc_entry *p = c->proc;

        memset(r, 0, sizeof(*r));
        r->realtime_usec = now_usec(CLOCK_REALTIME);
        r->pid = p->pid;
        r->uid = p->uid;
        strscpy(r->comm, p->comm, sizeof(r->comm));
        strscpy(r->cmdline, p->cmdline, sizeof(r->cmdline));
        strscpy(r->domain, d->name, sizeof(r->domain));
        r->level = d->level;
        r->available_kib = d->available_kib;
        r->badness = c->badness;
        r->freed_kib = p->rss_anon_kib + p->rss_file_kib + p->rss_shmem_kib + p->swap_kib;
        r->outcome = KILL_PENDING;
}

/* Asks a registered victim to save and close; SIGKILL at the deadline. */
static int act_ask_to_close(struct domain *d, struct client *c)
{
        struct manager *m = d->manager;
        uint32_t serial = clients_next_serial(&m->clients);
        uint64_t grace_msec = m->config.grace_usec / USEC_PER_MSEC;

        c->pending = CLIENT_REQUEST_CLOSE;
        c->pending_serial = serial;
        int r = c->ops->send_emergency_close(c, serial, grace_msec);
        if (r < 0)
                log_info_errno(r, "domain %s: cannot ask %s (pid %d) to close; it has its grace period anyway",
                               d->name, c->name, (int)c->pid);
        log_notice("domain %s: asked %s (pid %d) to save and close within %" PRIu64 " ms", d->name, c->name,
                   (int)c->pid, grace_msec);
        d->phase = ACT_GRACE;
        d->outcome_on_exit = KILL_CLOSED;
        d->victim_client_id = c->id;
        return sd_event_add_time_relative(m->event, &d->victim_deadline, CLOCK_MONOTONIC, m->config.grace_usec, 0,
                                          on_victim_deadline, d);
}

int act_on_domain(struct domain *d)
{
        struct manager *m = d->manager;
        struct kill_record rec;
        size_t n;
        int r;

        if (d->phase == ACT_GRACE && d->level >= TRIAGE_LEVEL_EMERGENCY) {
                /* The floor: no more waiting for the application. */
                log_notice("domain %s: emergency floor reached during pid %d's grace period: killing it now",
                           d->name, (int)d->victim_pid);
                return act_sigkill(d, KILL_BY_FLOOR);
        }
        if (d->phase != ACT_IDLE || d->holdoff_source)
                return 0;

        /* The scan needs cgroup paths only to tell who is inside a cgroup
         * domain; the command line is read for the victim alone below. */
        r = manager_rank(m, d, d->kind == DOMAIN_SYSTEM ? 0 : PROC_READ_CGROUP, false, &n);
        if (r < 0)
                return log_error_errno(r, "domain %s: cannot scan processes", d->name);
        const struct candidate *victim = policy_pick_victim(m->ranked, n);
        if (!victim) {
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
                log_info("domain %s: recovered to %s before a victim was killed; pid %d spared", d->name,
                         level_to_string(d->level), (int)victim->proc->pid);
                return 0;
        }

        struct proc_entry full;
        fill_record(d, victim, &rec);
        if (proc_read_pid(m->procfd, victim->proc->pid, PROC_READ_CMDLINE, &full) == 0 &&
            full.start_time_ticks == victim->proc->start_time_ticks)
                strscpy(rec.cmdline, full.cmdline, sizeof(rec.cmdline));

        int pidfd = kill_pidfd_open(m->procfd, victim->proc->pid, victim->proc->start_time_ticks);
        if (pidfd < 0) {
                if (pidfd == -ESRCH || pidfd == -ENOENT) {
                        log_info("domain %s: pid %d exited before it could be killed", d->name,
                                 (int)victim->proc->pid);
                        return 0;
                }
                return log_error_errno(pidfd, "domain %s: cannot open a pidfd for pid %d", d->name,
                                       (int)victim->proc->pid);
        }

        /* A registered application, still the process that registered. */
        struct client *c = clients_find_pid(&m->clients, rec.pid);
        if (c && c->start_time_ticks != victim->proc->start_time_ticks)
                c = NULL;
        if (c)
                copy_client(&rec, c);

        if (m->config.dry_run) {
                close(pidfd);
                rec.outcome = KILL_DRY_RUN;
                history_add(&m->history, &rec);
                log_kill(d, &rec);
                /* Decide again only after the time a kill would have taken,
                 * so a dry run says once what it would do per episode. */
                r = sd_event_add_time_relative(m->event, &d->holdoff_source, CLOCK_MONOTONIC,
                                               m->config.kill_wait_usec, 0, on_holdoff, d);
                return r < 0 ? log_error_errno(r, "domain %s: cannot add a timer", d->name) : 0;
        }

        d->victim_pidfd = pidfd;
        d->victim_pid = rec.pid;
        d->victim_record_id = history_add(&m->history, &rec)->id;
        r = sd_event_add_io(m->event, &d->victim_source, pidfd, EPOLLIN, on_victim_exit, d);
        if (r < 0) {
                log_error_errno(r, "domain %s: cannot watch pid %d", d->name, (int)rec.pid);
                /* Without the death event we cannot wait: kill and go on. */
                (void)kill_pidfd_signal(pidfd, SIGKILL);
                act_done(d, KILL_FAILED);
                return r;
        }
        if (c && d->level < TRIAGE_LEVEL_EMERGENCY && m->config.grace_usec > 0) {
                r = act_ask_to_close(d, c);
                if (r >= 0)
                        return 0;
                log_error_errno(r, "domain %s: cannot add a timer; killing pid %d at once", d->name, (int)rec.pid);
        }
        if (c)
                d->victim_client_id = c->id;
        return act_sigkill(d, KILL_DIED);
}
