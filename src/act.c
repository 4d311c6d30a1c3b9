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

        badness_explain(&r->badness, why, sizeof(why));
        log_printf(r->outcome == KILL_DIED ? LOG_NOTICE : LOG_WARNING,
                   "%s pid=%d comm=%s uid=%u domain=%s level=%s outcome=%s score=%u freed_kib=%" PRIu64
                   " available_kib=%" PRIu64 " trigger_to_death_msec=%" PRIu64 " explanation=\"%s\"",
                   r->outcome == KILL_DRY_RUN ? "dry-run: would kill" : "kill", (int)r->pid, r->comm,
                   (unsigned)r->uid, d->name, level_to_string(r->level), kill_outcome_to_string(r->outcome),
                   r->badness.score, r->freed_kib, r->available_kib, r->trigger_to_death_usec / USEC_PER_MSEC,
                   why);
}

static void act_done(struct domain *d, enum kill_outcome outcome)
{
        struct kill_record *r = history_find(&d->manager->history, d->victim_record_id);

        if (r) {
                r->outcome = outcome;
                r->trigger_to_death_usec = now_usec(CLOCK_MONOTONIC) - d->event_usec;
                log_kill(d, r);
        }
        act_finish(d);
        /* Look again at once: memory may still be short. */
        domain_check(d);
}

static int on_victim_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        act_done(userdata, KILL_DIED);
        return 0;
}

static int on_victim_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct domain *d = userdata;

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

int act_on_domain(struct domain *d)
{
        struct manager *m = d->manager;
        struct kill_record rec;
        size_t n;
        int r;

        if (d->victim_pidfd >= 0 || d->holdoff_source)
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

        if (m->config.dry_run) {
                close(pidfd);
                rec.outcome = KILL_DRY_RUN;
                rec.trigger_to_death_usec = 0;
                history_add(&m->history, &rec);
                log_kill(d, &rec);
                /* Decide again only after the time a kill would have taken,
                 * so a dry run says once what it would do per episode. */
                r = sd_event_add_time_relative(m->event, &d->holdoff_source, CLOCK_MONOTONIC,
                                               m->config.kill_wait_usec, 0, on_holdoff, d);
                return r < 0 ? log_error_errno(r, "domain %s: cannot add a timer", d->name) : 0;
        }

        r = kill_pidfd_signal(pidfd, SIGKILL);
        if (r < 0) {
                close(pidfd);
                rec.outcome = r == -ESRCH ? KILL_GONE : KILL_FAILED;
                history_add(&m->history, &rec);
                log_kill(d, &rec);
                return r == -ESRCH ? 0 : log_error_errno(r, "domain %s: cannot signal pid %d", d->name, (int)rec.pid);
        }
        /* Give the memory back now rather than when the last thread has
         * left the kernel. EINVAL (not yet exiting) and ENOSYS are fine. */
        r = kill_mrelease(pidfd);
        if (r < 0 && r != -EINVAL && r != -ENOSYS && r != -ESRCH)
                log_debug_errno(r, "process_mrelease(%d)", (int)rec.pid);

        d->victim_pidfd = pidfd;
        d->victim_pid = rec.pid;
        d->victim_record_id = history_add(&m->history, &rec)->id;
        d->kills++;
        log_debug("domain %s: SIGKILL sent to pid %d (%s)", d->name, (int)rec.pid, rec.comm);

        r = sd_event_add_io(m->event, &d->victim_source, pidfd, EPOLLIN, on_victim_exit, d);
        if (r >= 0)
                r = sd_event_add_time_relative(m->event, &d->victim_deadline, CLOCK_MONOTONIC,
                                               m->config.kill_wait_usec, 0, on_victim_deadline, d);
        if (r < 0) {
                log_error_errno(r, "domain %s: cannot watch pid %d", d->name, (int)rec.pid);
                act_finish(d);
        }
        return 0;
}
