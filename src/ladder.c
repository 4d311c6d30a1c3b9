/* SPDX-License-Identifier: MIT */
/*
 * The escalation ladder's messages to applications. On every level change
 * of a domain, its registered applications hear the new level; on the way
 * up, LOW tells everyone to trim caches (and GLib applications hear
 * LowMemoryWarning(50) on the bus), MEDIUM asks every registered
 * application to save its state, CRITICAL warns with 255. Choosing and
 * closing a victim is act.c's.
 */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "manager.h"
#include "util.h"

bool domain_has_pid(struct domain *d, pid_t pid)
{
        struct policy_domain pd;
        struct proc_entry p;

        if (d->kind == DOMAIN_SYSTEM)
                return true;
        if (proc_read_pid(d->manager->procfd, pid, PROC_READ_CGROUP, &p) < 0)
                return false;
        manager_policy_domain(d->manager, d, &pd);
        return policy_domain_contains(&pd, &p);
}

static void ask_to_save(struct domain *d, struct client *c)
{
        struct manager *m = d->manager;
        uint32_t serial = clients_next_serial(&m->clients);
        uint64_t deadline_msec = m->config.save_timeout_usec / USEC_PER_MSEC;

        /* A new request: an earlier "saved" no longer describes the state. */
        c->saved = false;
        c->pending = CLIENT_REQUEST_SAVE;
        c->pending_serial = serial;
        int r = c->ops->send_save_state(c, serial, deadline_msec);
        if (r < 0)
                log_info_errno(r, "domain %s: cannot ask %s (pid %d) to save", d->name, c->name, (int)c->pid);
        else
                log_info("domain %s: asked %s (pid %d) to save its state within %llu ms", d->name, c->name,
                         (int)c->pid, (unsigned long long)deadline_msec);
}

void ladder_level_changed(struct domain *d, enum triage_level old, enum triage_level level)
{
        struct manager *m = d->manager;

        /* Memory is getting short: rank and tell the kernel at once rather
         * than at the next periodic survey (deferred: a level change can
         * come from the re-check inside act_on_domain(), whose ranking a
         * survey now would overwrite). */
        if (d->kind == DOMAIN_SYSTEM && level > old && level >= TRIAGE_LEVEL_LOW)
                survey_soon(m);
        if (m->bus) {
                if (d->kind == DOMAIN_SYSTEM && level > old)
                        bus_emit_low_memory_warning(m->bus, level);
                bus_emit_level_changed(m->bus, d->name, level);
        }
        for (size_t i = 0; i < CLIENTS_MAX; i++) {
                struct client *c = &m->clients.table[i];

                if (!c->in_use || !domain_has_pid(d, c->pid))
                        continue;
                int r = c->ops->send_level(c, level);
                if (r < 0)
                        log_debug_errno(r, "cannot tell %s (pid %d) the level", c->name, (int)c->pid);
                /* Entering MEDIUM (or jumping past it) from below: save. */
                if (old < TRIAGE_LEVEL_MEDIUM && level >= TRIAGE_LEVEL_MEDIUM &&
                    c->pending == CLIENT_REQUEST_NONE)
                        ask_to_save(d, c);
        }
}
