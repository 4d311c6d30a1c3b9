/* SPDX-License-Identifier: MIT */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "util.h"

static const char *visible_cmdline(const char *cmdline, uid_t owner, uid_t viewer)
{
        return viewer == 0 || viewer == owner ? cmdline : "";
}

static void json_psi(FILE *f, const struct psi_stats *p)
{
        fprintf(f, "{\"some_avg10\":%.2f,\"some_avg60\":%.2f,\"full_avg10\":%.2f,\"full_avg60\":%.2f}",
                p->some.avg10, p->some.avg60, p->full.avg10, p->full.avg60);
}

static void status_domain_json(FILE *f, const struct report_domain *d)
{
        fputc('{', f);
        json_key(f, "name", 1);
        json_string(f, d->name);
        json_key(f, "kind", 0);
        json_string(f, d->kind);
        json_key(f, "cgroup", 0);
        json_string(f, d->cgroup_path);
        fprintf(f, ",\"allowable_kib\":%" PRIu64 ",\"available_kib\":%" PRIu64, d->allowable_kib,
                d->available_kib);
        json_key(f, "level", 0);
        json_string(f, level_to_string(d->level));
        fputs(",\"thresholds_kib\":{", f);
        for (int l = TRIAGE_LEVEL_LOW; l < _TRIAGE_LEVEL_MAX; l++)
                fprintf(f, "%s\"%s\":%" PRIu64, l == TRIAGE_LEVEL_LOW ? "" : ",",
                        level_to_string((enum triage_level)l), d->thresholds.mem_kib[l]);
        fprintf(f, "},\"hysteresis_kib\":%" PRIu64 ",\"psi\":", d->thresholds.hysteresis_kib);
        if (d->has_psi)
                json_psi(f, &d->psi);
        else
                fputs("null", f);
        json_key(f, "watch", 0);
        json_string(f, d->watch);
        fprintf(f, ",\"poll_usec\":%" PRIu64 ",\"kills\":%" PRIu64 ",\"dying_pid\":%d}", d->poll_usec,
                d->kills, (int)d->dying_pid);
}

static void status_domain_text(FILE *f, const struct report_domain *d)
{
        char a[32], b[32];

        fprintf(f, "domain %s (%s%s%s)\n", d->name, d->kind, d->cgroup_path[0] ? " " : "", d->cgroup_path);
        fprintf(f, "  level:      %s\n", level_to_string(d->level));
        fprintf(f, "  available:  %s of %s allowable\n", format_kib(d->available_kib, a, sizeof(a)),
                format_kib(d->allowable_kib, b, sizeof(b)));
        fputs("  thresholds:", f);
        for (int l = TRIAGE_LEVEL_LOW; l < _TRIAGE_LEVEL_MAX; l++)
                fprintf(f, " %s %s%s", level_to_string((enum triage_level)l),
                        format_kib(d->thresholds.mem_kib[l], a, sizeof(a)),
                        l + 1 < _TRIAGE_LEVEL_MAX ? "," : "\n");
        fprintf(f, "  hysteresis: %s\n", format_kib(d->thresholds.hysteresis_kib, a, sizeof(a)));
        if (d->has_psi)
                fprintf(f, "  pressure:   some avg10 %.2f%% avg60 %.2f%%, full avg10 %.2f%% avg60 %.2f%%\n",
                        d->psi.some.avg10, d->psi.some.avg60, d->psi.full.avg10, d->psi.full.avg60);
        fprintf(f, "  watch:      %s; poll every %" PRIu64 " ms\n", d->watch, d->poll_usec / USEC_PER_MSEC);
        fprintf(f, "  kills:      %" PRIu64 "%s", d->kills, d->dying_pid ? "" : "\n");
        if (d->dying_pid)
                fprintf(f, " (waiting for pid %d to die)\n", (int)d->dying_pid);
}

static void record_json(FILE *f, const struct kill_record *r, uid_t viewer)
{
        char buf[512];

        fprintf(f, "{\"id\":%" PRIu64 ",\"time_usec\":%" PRIu64 ",\"pid\":%d,\"uid\":%u", r->id,
                r->realtime_usec, (int)r->pid, (unsigned)r->uid);
        json_key(f, "comm", 0);
        json_string(f, r->comm);
        json_key(f, "cmdline", 0);
        json_string(f, visible_cmdline(r->cmdline, r->uid, viewer));
        json_key(f, "domain", 0);
        json_string(f, r->domain);
        json_key(f, "level", 0);
        json_string(f, level_to_string(r->level));
        json_key(f, "outcome", 0);
        json_string(f, kill_outcome_to_string(r->outcome));
        json_key(f, "activity", 0);
        json_string(f, r->activity);
        json_key(f, "activity_id", 0);
        json_string(f, r->activity_id);
        json_key(f, "tier", 0);
        json_string(f, r->tier);
        json_key(f, "decided_by", 0);
        json_string(f, r->decided_by);
        fprintf(f, ",\"cgroup_kill\":%s,\"n_members\":%u,\"members\":[", r->cgroup_kill ? "true" : "false",
                r->n_members);
        for (uint32_t k = 0; k < r->n_members && k < HISTORY_MEMBERS_MAX; k++)
                fprintf(f, "%s%d", k ? "," : "", (int)r->members[k]);
        fputc(']', f);
        fprintf(f,
                ",\"available_kib\":%" PRIu64 ",\"freed_kib\":%" PRIu64 ",\"trigger_to_death_usec\":%" PRIu64
                ",\"score\":%u,\"points\":%" PRId64 ",\"oom_score_adj\":%d",
                r->available_kib, r->freed_kib, r->trigger_to_death_usec, r->badness.score, r->badness.points,
                r->badness.oom_score_adj);
        badness_explain(&r->badness, buf, sizeof(buf));
        json_key(f, "explanation", 0);
        json_string(f, buf);
        fputs(",\"client\":", f);
        if (r->client_id) {
                fputc('{', f);
                json_key(f, "name", 1);
                json_string(f, r->client_name);
                fprintf(f, ",\"saved\":%s", r->saved ? "true" : "false");
                json_key(f, "state_ref", 0);
                json_string(f, visible_cmdline(r->state_ref, r->uid, viewer));
                fputc('}', f);
        } else {
                fputs("null", f);
        }
        fputc('}', f);
}

void report_restart_list(FILE *f, const struct history *h, uid_t viewer_uid, bool json)
{
        bool first = true;

        if (json)
                fputs("{\"restart\":[\n", f);
        for (size_t i = h->count; i-- > 0;) {
                const struct kill_record *r = history_get(h, i);
                if (!kill_outcome_is_final(r->outcome) || r->outcome == KILL_GONE)
                        continue;
                if (viewer_uid != 0 && viewer_uid != r->uid)
                        continue;
                const char *name = r->client_id ? r->client_name : r->comm;
                if (json) {
                        if (!first)
                                fputs(",\n", f);
                        fprintf(f, "{\"id\":%" PRIu64 ",\"time_usec\":%" PRIu64 ",\"uid\":%u", r->id,
                                r->realtime_usec, (unsigned)r->uid);
                        json_key(f, "name", 0);
                        json_string(f, name);
                        json_key(f, "cmdline", 0);
                        json_string(f, r->cmdline);
                        fprintf(f, ",\"saved\":%s", r->saved ? "true" : "false");
                        json_key(f, "state_ref", 0);
                        json_string(f, r->state_ref);
                        json_key(f, "outcome", 0);
                        json_string(f, kill_outcome_to_string(r->outcome));
                        fputc('}', f);
                } else {
                        if (first)
                                fprintf(f, "%-4s %-16s %-6s %-30s %s\n", "ID", "NAME", "SAVED", "STATE",
                                        "COMMAND");
                        fprintf(f, "%-4" PRIu64 " %-16s %-6s %-30s %s\n", r->id, name,
                                r->saved ? "yes" : "no", r->state_ref[0] ? r->state_ref : "-",
                                r->cmdline[0] ? r->cmdline : "-");
                }
                first = false;
        }
        if (json)
                fputs(first ? "]}\n" : "\n]}\n", f);
        else if (first)
                fputs("nothing to restart\n", f);
}

void report_history(FILE *f, const struct history *h, uid_t viewer_uid, bool json)
{
        char buf[512], when[32], freed[32];

        if (json) {
                fprintf(f, "{\"total\":%" PRIu64 ",\"records\":[\n", h->total);
                for (size_t i = 0; i < h->count; i++) {
                        record_json(f, history_get(h, i), viewer_uid);
                        fputs(i + 1 < h->count ? ",\n" : "\n", f);
                }
                fputs("]}\n", f);
                return;
        }
        if (h->count == 0) {
                fputs("no kills recorded\n", f);
                return;
        }
        for (size_t i = 0; i < h->count; i++) {
                const struct kill_record *r = history_get(h, i);
                time_t t = (time_t)(r->realtime_usec / USEC_PER_SEC);
                struct tm tm;

                strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
                fprintf(f, "#%" PRIu64 " %s %s pid %d (%s) uid %u in %s at %s: freed %s", r->id, when,
                        kill_outcome_to_string(r->outcome), (int)r->pid, r->comm, (unsigned)r->uid, r->domain,
                        level_to_string(r->level), format_kib(r->freed_kib, freed, sizeof(freed)));
                if (kill_outcome_is_final(r->outcome) && r->outcome != KILL_GONE)
                        fprintf(f, ", gone %" PRIu64 " ms after the trigger",
                                r->trigger_to_death_usec / USEC_PER_MSEC);
                fputc('\n', f);
                if (r->client_id)
                        fprintf(f, "    app: %s, %s%s%s\n", r->client_name,
                                r->saved ? "state saved" : "state NOT saved", r->state_ref[0] ? " to " : "",
                                visible_cmdline(r->state_ref, r->uid, viewer_uid));
                const char *cmd = visible_cmdline(r->cmdline, r->uid, viewer_uid);
                if (cmd[0])
                        fprintf(f, "    cmdline: %s\n", cmd);
                badness_explain(&r->badness, buf, sizeof(buf));
                fprintf(f, "    why: %s\n", buf);
        }
        if (h->total > h->count)
                fprintf(f, "(%" PRIu64 " older records dropped)\n", h->total - h->count);
}

void report_status(FILE *f, const struct report_status *s, bool json)
{
        if (json) {
                fputc('{', f);
                json_key(f, "version", 1);
                json_string(f, s->version);
                fprintf(f, ",\"pid\":%d,\"uptime_usec\":%" PRIu64 ",\"dry_run\":%s", (int)s->pid,
                        s->uptime_usec, s->dry_run ? "true" : "false");
                json_key(f, "badness", 0);
                json_string(f, badness_mode_to_string(s->mode));
                fprintf(f, ",\"mlocked\":%s,\"oom_score_adj\":%d,\"process_capacity\":%zu,\"domains\":[\n",
                        s->mlocked ? "true" : "false", s->oom_score_adj, s->process_capacity);
                for (size_t i = 0; i < s->n_domains; i++) {
                        status_domain_json(f, &s->domains[i]);
                        fputs(i + 1 < s->n_domains ? ",\n" : "\n", f);
                }
                fprintf(f,
                        "],\"advise_only\":%s,\"kernel_adj\":{\"publishing\":%s,\"written\":%" PRIu64
                        ",\"refused\":%" PRIu64 ",\"reason\":",
                        s->advise_only ? "true" : "false", s->adj_publish ? "true" : "false", s->adj_written,
                        s->adj_refused);
                json_string(f, s->adj_refused_reason);
                fputs("},\"chooser\":", f);
                json_string(f, s->chooser);
                fputs(",\"frozen\":", f);
                json_string(f, s->frozen);
                fprintf(f, ",\"bus\":%s", s->bus ? "true" : "false");
                json_key(f, "app_socket", 0);
                json_string(f, s->app_socket);
                fputs(",\"clients\":[\n", f);
                for (size_t i = 0; i < s->n_clients; i++) {
                        const struct report_client *c = &s->clients[i];
                        fprintf(f, "{\"id\":%" PRIu64 ",\"pid\":%d,\"uid\":%u", c->id, (int)c->pid,
                                (unsigned)c->uid);
                        json_key(f, "name", 0);
                        json_string(f, c->name);
                        json_key(f, "transport", 0);
                        json_string(f, c->transport);
                        fprintf(f, ",\"saved\":%s", c->saved ? "true" : "false");
                        json_key(f, "state_ref", 0);
                        json_string(f, c->state_ref);
                        json_key(f, "pending", 0);
                        json_string(f, c->pending);
                        fputs(i + 1 < s->n_clients ? "},\n" : "}\n", f);
                }
                fputs("],\"history\":", f);
                report_history(f, s->history, 0, true);
                fputs("}\n", f);
                return;
        }
        fprintf(f, "triaged %s, pid %d, up %" PRIu64 " s%s\n", s->version, (int)s->pid,
                s->uptime_usec / USEC_PER_SEC, s->dry_run ? ", DRY RUN (kills nothing)" : "");
        fprintf(f, "badness: %s; memory %s; own oom_score_adj %d; room for %zu processes\n",
                badness_mode_to_string(s->mode), s->mlocked ? "locked" : "NOT locked", s->oom_score_adj,
                s->process_capacity);
        for (size_t i = 0; i < s->n_domains; i++)
                status_domain_text(f, &s->domains[i]);
        fprintf(f, "kernel:       %" PRIu64 " oom_score_adj values published%s%s", s->adj_written,
                s->advise_only ? " (advise-only: triaged kills nothing)" : "",
                s->adj_publish ? ""
                               : " (not publishing: without CAP_SYS_RESOURCE they could not be put back)");
        if (s->adj_refused)
                fprintf(f, ", %" PRIu64 " refused (%s: lowering a value needs CAP_SYS_RESOURCE)",
                        s->adj_refused, s->adj_refused_reason);
        fputc('\n', f);
        if (s->chooser[0])
                fprintf(f, "chooser:      %s%s%s\n", s->chooser, s->frozen[0] ? "; frozen now: " : "",
                        s->frozen);
        fprintf(f, "applications: %zu registered (socket %s, D-Bus %s)\n", s->n_clients,
                s->app_socket[0] ? s->app_socket : "off", s->bus ? "connected" : "off");
        for (size_t i = 0; i < s->n_clients; i++) {
                const struct report_client *c = &s->clients[i];
                fprintf(f, "  %s pid %d uid %u over %s%s%s%s\n", c->name, (int)c->pid, (unsigned)c->uid,
                        c->transport, c->saved ? ", saved" : "", c->state_ref[0] ? " to " : "", c->state_ref);
        }
        size_t shown = s->history->count < 5 ? s->history->count : 5;
        if (shown == 0) {
                fputs("no kills recorded\n", f);
                return;
        }
        fprintf(f, "last %zu kill%s:\n", shown, shown == 1 ? "" : "s");
        for (size_t i = s->history->count - shown; i < s->history->count; i++) {
                const struct kill_record *r = history_get(s->history, i);
                char freed[32];
                fprintf(f, "  #%" PRIu64 " %s pid %d (%s) in %s, freed %s\n", r->id,
                        kill_outcome_to_string(r->outcome), (int)r->pid, r->comm, r->domain,
                        format_kib(r->freed_kib, freed, sizeof(freed)));
        }
}

static void candidate_json(FILE *f, const struct candidate *c, size_t rank, unsigned page_kib, uid_t viewer)
{
        const struct proc_entry *p = c->proc;
        const struct badness *b = &c->badness;

        fprintf(f, "{\"rank\":%zu,\"pid\":%d,\"uid\":%u", rank, (int)p->pid, (unsigned)p->uid);
        json_key(f, "comm", 0);
        json_string(f, p->comm);
        json_key(f, "cmdline", 0);
        json_string(f, visible_cmdline(p->cmdline, p->uid, viewer));
        fprintf(f, ",\"killable\":%s,\"excluded\":", c->exclusion == POLICY_CANDIDATE ? "true" : "false");
        if (c->exclusion == POLICY_CANDIDATE)
                fputs("null", f);
        else
                json_string(f, policy_exclusion_to_string(c));
        fprintf(f,
                ",\"score\":%u,\"points\":%" PRId64 ",\"rss_kib\":%" PRIu64 ",\"rss_anon_kib\":%" PRIu64
                ",\"rss_file_kib\":%" PRIu64 ",\"rss_shmem_kib\":%" PRIu64 ",\"swap_kib\":%" PRIu64
                ",\"pgtables_kib\":%" PRIu64 ",\"oom_score_adj\":%d,\"adj_pages\":%" PRId64
                ",\"kernel_oom_score\":",
                b->score, b->points, b->rss_pages * page_kib, p->rss_anon_kib, p->rss_file_kib,
                p->rss_shmem_kib, b->swap_pages * page_kib, b->pgtables_pages * page_kib, b->oom_score_adj,
                b->adj_pages);
        if (p->kernel_oom_score >= 0)
                fprintf(f, "%d}", p->kernel_oom_score);
        else
                fputs("null}", f);
}

static void rank_header_json(FILE *f, const struct report_rank *r)
{
        fputc('{', f);
        json_key(f, "domain", 1);
        json_string(f, r->domain);
        fprintf(f, ",\"allowable_kib\":%" PRIu64 ",\"page_kib\":%u", r->allowable_kib, r->page_kib);
        json_key(f, "badness", 0);
        json_string(f, badness_mode_to_string(r->mode));
        fprintf(f, ",\"dropped\":%zu", r->dropped);
}

void report_rank(FILE *f, const struct report_rank *r, bool json)
{
        char rss[32], swap[32], allow[32];

        if (json) {
                rank_header_json(f, r);
                fputs(",\"candidates\":[\n", f);
                for (size_t i = 0; i < r->n; i++) {
                        candidate_json(f, &r->candidates[i], i + 1, r->page_kib, r->viewer_uid);
                        fputs(i + 1 < r->n ? ",\n" : "\n", f);
                }
                fputs("]}\n", f);
                return;
        }
        fprintf(f, "domain %s: allowable %s (%" PRIu64 " pages), badness %s, %zu processes\n", r->domain,
                format_kib(r->allowable_kib, allow, sizeof(allow)), r->allowable_kib / r->page_kib,
                badness_mode_to_string(r->mode), r->n);
        if (r->dropped)
                fprintf(f, "warning: %zu processes did not fit in the table and are not ranked\n",
                        r->dropped);
        fprintf(f, "%4s %7s %6s %5s %6s %10s %10s %5s  %-15s %s\n", "RANK", "PID", "UID", "SCORE", "KERNEL",
                "RSS", "SWAP", "ADJ", "COMM", "COMMAND");
        for (size_t i = 0; i < r->n; i++) {
                const struct candidate *c = &r->candidates[i];
                const struct proc_entry *p = c->proc;
                char kernel[16];

                if (p->kernel_oom_score < 0)
                        strscpy(kernel, "-", sizeof(kernel));
                else
                        snprintf(kernel, sizeof(kernel), "%d%s", p->kernel_oom_score,
                                 (unsigned)p->kernel_oom_score != c->badness.score ? "!" : "");
                char rank[24];
                if (c->exclusion == POLICY_CANDIDATE)
                        snprintf(rank, sizeof(rank), "%zu", i + 1);
                else
                        strscpy(rank, "-", sizeof(rank));
                fprintf(f, "%4s %7d %6u %5u %6s %10s %10s %5d  %-15s %.60s\n", rank, (int)p->pid,
                        (unsigned)p->uid, c->badness.score, kernel,
                        format_kib(c->badness.rss_pages * r->page_kib, rss, sizeof(rss)),
                        format_kib(c->badness.swap_pages * r->page_kib, swap, sizeof(swap)), p->oom_score_adj,
                        p->comm,
                        c->exclusion == POLICY_CANDIDATE ? visible_cmdline(p->cmdline, p->uid, r->viewer_uid)
                                                         : policy_exclusion_to_string(c));
        }
}

int report_why(FILE *f, const struct report_rank *r, pid_t pid, bool json)
{
        const struct candidate *c = NULL;
        size_t rank = 0;
        char buf[512], a[32];

        for (size_t i = 0; i < r->n; i++)
                if (r->candidates[i].proc->pid == pid) {
                        c = &r->candidates[i];
                        rank = i + 1;
                        break;
                }
        if (!c)
                return -ESRCH;

        const struct proc_entry *p = c->proc;
        const struct badness *b = &c->badness;
        size_t killable = 0;
        for (size_t i = 0; i < r->n; i++)
                killable += r->candidates[i].exclusion == POLICY_CANDIDATE;

        badness_explain(b, buf, sizeof(buf));
        if (json) {
                rank_header_json(f, r);
                fprintf(f, ",\"candidates_total\":%zu,\"candidate\":", killable);
                candidate_json(f, c, rank, r->page_kib, r->viewer_uid);
                json_key(f, "explanation", 0);
                json_string(f, buf);
                fputs("}\n", f);
                return 0;
        }
        fprintf(f, "pid %d (%s), uid %u, in domain %s\n", (int)p->pid, p->comm, (unsigned)p->uid, r->domain);
        const char *cmd = visible_cmdline(p->cmdline, p->uid, r->viewer_uid);
        if (cmd[0])
                fprintf(f, "  command:    %s%s\n", cmd, p->cmdline_truncated ? " ..." : "");
        fprintf(f,
                "  memory:     anon %" PRIu64 " KiB + file %" PRIu64 " KiB + shmem %" PRIu64 " KiB = %" PRIu64
                " pages\n",
                p->rss_anon_kib, p->rss_file_kib, p->rss_shmem_kib, b->rss_pages);
        fprintf(f, "  swap:       %" PRIu64 " pages\n", b->swap_pages);
        fprintf(f, "  pagetables: %" PRIu64 " pages\n", b->pgtables_pages);
        fprintf(f, "  allowable:  %" PRIu64 " pages (%s)\n", b->allowable_pages,
                format_kib(r->allowable_kib, a, sizeof(a)));
        fprintf(f, "  adj:        oom_score_adj %d -> %" PRId64 " pages\n", b->oom_score_adj, b->adj_pages);
        fprintf(f, "  score:      %u", b->score);
        if (p->kernel_oom_score >= 0)
                fprintf(f, " (kernel's oom_score: %d%s)", p->kernel_oom_score,
                        (unsigned)p->kernel_oom_score == b->score ? ", agrees" : ", DIFFERS");
        fputc('\n', f);
        fprintf(f, "  formula:    %s\n", buf);
        if (c->exclusion != POLICY_CANDIDATE)
                fprintf(f, "  verdict:    never killed: %s\n", policy_exclusion_to_string(c));
        else
                fprintf(f, "  verdict:    %s (rank %zu of %zu candidates)\n",
                        rank == 1 ? "first victim" : "candidate", rank, killable);
        return 0;
}

static const char *format_idle(uint64_t idle_usec, char *buf, size_t size)
{
        uint64_t sec = idle_usec / USEC_PER_SEC;

        if (sec < 60)
                snprintf(buf, size, "%" PRIu64 "s", sec);
        else if (sec < 3600)
                snprintf(buf, size, "%" PRIu64 "m", sec / 60);
        else if (sec < 86400)
                snprintf(buf, size, "%" PRIu64 "h", sec / 3600);
        else
                snprintf(buf, size, "%" PRIu64 "d", sec / 86400);
        return buf;
}

static uint64_t activity_memory_kib(const struct activity *a)
{
        return a->rss_anon_kib + a->rss_file_kib + a->rss_shmem_kib + a->swap_kib;
}

static const char *activity_verdict(const struct activity *a)
{
        return a->protection != ACTIVITY_KILLABLE ? activity_protection_to_string(a->protection) : NULL;
}

static void activity_json(FILE *f, const struct report_activities *r, const struct activity *a, size_t rank)
{
        char buf[256];

        fprintf(f, "{\"rank\":%zu", rank);
        json_key(f, "name", 0);
        json_string(f, a->name);
        json_key(f, "id", 0);
        json_string(f, activity_id(a));
        json_key(f, "kind", 0);
        json_string(f, activity_kind_to_string(a->kind));
        json_key(f, "tier", 0);
        json_string(f, tier_to_string(a->tier));
        fprintf(f, ",\"leader\":%d,\"uid\":%u,\"processes\":[", (int)a->leader_pid, (unsigned)a->uid);
        for (uint32_t k = 0; k < a->n_members; k++)
                fprintf(f, "%s%d", k ? "," : "", (int)r->procs->entries[r->members[a->first_member + k]].pid);
        fprintf(f,
                "],\"memory_kib\":%" PRIu64 ",\"charged_kib\":%" PRId64 ",\"score\":%u,\"points\":%" PRId64
                ",\"weight\":%" PRId64 ",\"idle_usec\":%" PRIu64 ",\"last_use\":\"%s\",\"focused\":%s",
                activity_memory_kib(a), a->charged_kib, a->badness.score, a->badness.points, a->weight,
                a->idle_usec, a->reported ? "focus" : "cpu", a->focused ? "true" : "false");
        fputs(",\"protected\":", f);
        if (activity_verdict(a))
                json_string(f, activity_verdict(a));
        else
                fputs("null", f);
        activity_explain(a, buf, sizeof(buf));
        json_key(f, "explanation", 0);
        json_string(f, buf);
        fputc('}', f);
}

void report_activities(FILE *f, const struct report_activities *r, bool all, bool json)
{
        char mem[32], allow[32], idle[16];
        size_t shown = 0;

        if (json) {
                fputc('{', f);
                json_key(f, "domain", 1);
                json_string(f, r->domain);
                fprintf(f, ",\"allowable_kib\":%" PRIu64 ",\"activities\":[\n", r->allowable_kib);
                for (size_t i = 0; i < r->n; i++) {
                        if (!all && r->acts[i].protection != ACTIVITY_KILLABLE)
                                continue;
                        if (shown++)
                                fputs(",\n", f);
                        activity_json(f, r, &r->acts[i], i + 1);
                }
                fputs(shown ? "\n]}\n" : "]}\n", f);
                return;
        }
        fprintf(f, "domain %s: allowable %s, badness %s; activities in kill order\n", r->domain,
                format_kib(r->allowable_kib, allow, sizeof(allow)), badness_mode_to_string(r->mode));
        fprintf(f, "%4s %-24s %-10s %5s %5s %10s %5s  %s\n", "RANK", "ACTIVITY", "TIER", "IDLE", "PROCS",
                "MEMORY", "SCORE", "ID");
        for (size_t i = 0; i < r->n; i++) {
                const struct activity *a = &r->acts[i];
                char rank[24];

                if (!all && a->protection != ACTIVITY_KILLABLE)
                        continue;
                if (a->protection == ACTIVITY_KILLABLE)
                        snprintf(rank, sizeof(rank), "%zu", i + 1);
                else
                        strscpy(rank, "-", sizeof(rank));
                fprintf(f, "%4s %-24.24s %-10s %5s %5u %10s %5u  %s%s%s\n", rank, a->name,
                        a->protection == ACTIVITY_KILLABLE ? tier_to_string(a->tier) : "protected",
                        a->focused ? "now" : format_idle(a->idle_usec, idle, sizeof(idle)), a->n_members,
                        format_kib(activity_memory_kib(a), mem, sizeof(mem)), a->badness.score,
                        activity_id(a), activity_verdict(a) ? ": " : "",
                        activity_verdict(a) ? activity_verdict(a) : "");
        }
}

int report_why_process(FILE *f, const struct report_activities *r, pid_t pid, bool json)
{
        const struct proc_entry *p = NULL;
        size_t index = 0;
        char buf[512], act[256], a1[32];

        for (size_t i = 0; i < r->procs->n; i++)
                if (r->procs->entries[i].pid == pid) {
                        p = &r->procs->entries[i];
                        index = i;
                        break;
                }
        if (!p)
                return -ESRCH;

        /* The process alone, as the kernel scores it (no charges). */
        struct badness b;
        badness_compute(p, r->allowable_kib / r->page_kib, r->page_kib, 0, r->mode, &b);
        badness_explain(&b, buf, sizeof(buf));
        int64_t charged = r->charged ? r->charged[index] : 0;
        const struct activity *a = activity_of_proc(r->acts, r->n, r->members, (uint32_t)index);
        size_t rank = a ? (size_t)(a - r->acts) + 1 : 0, killable = 0;
        for (size_t i = 0; i < r->n; i++)
                killable += r->acts[i].protection == ACTIVITY_KILLABLE;
        size_t n_charges = 0;
        const struct charge *ch = r->charges ? charges_find(r->charges, pid, &n_charges) : NULL;
        if (a)
                activity_explain(a, act, sizeof(act));

        if (json) {
                fputc('{', f);
                json_key(f, "domain", 1);
                json_string(f, r->domain);
                fprintf(f, ",\"pid\":%d,\"uid\":%u", (int)pid, (unsigned)p->uid);
                json_key(f, "comm", 0);
                json_string(f, p->comm);
                json_key(f, "cmdline", 0);
                json_string(f, visible_cmdline(p->cmdline, p->uid, r->viewer_uid));
                fprintf(f, ",\"score\":%u,\"points\":%" PRId64 ",\"kernel_oom_score\":", b.score, b.points);
                if (p->kernel_oom_score >= 0)
                        fprintf(f, "%d", p->kernel_oom_score);
                else
                        fputs("null", f);
                json_key(f, "explanation", 0);
                json_string(f, buf);
                fprintf(f, ",\"charged_kib\":%" PRId64 ",\"charges\":[", charged);
                for (size_t i = 0; i < n_charges; i++)
                        fprintf(f, "%s{\"source\":\"%s\",\"peer\":%d,\"kib\":%" PRId64 "}", i ? "," : "",
                                charge_source_to_string(ch[i].source), (int)ch[i].peer, ch[i].kib);
                fputs("],\"activity\":", f);
                if (a) {
                        activity_json(f, r, a, rank);
                        fprintf(f, ",\"activities_killable\":%zu", killable);
                } else {
                        fputs("null", f);
                }
                fputs("}\n", f);
                return 0;
        }
        fprintf(f, "pid %d (%s), uid %u, in domain %s\n", (int)pid, p->comm, (unsigned)p->uid, r->domain);
        const char *cmd = visible_cmdline(p->cmdline, p->uid, r->viewer_uid);
        if (cmd[0])
                fprintf(f, "  command:    %s%s\n", cmd, p->cmdline_truncated ? " ..." : "");
        fprintf(f,
                "  memory:     anon %" PRIu64 " KiB + file %" PRIu64 " KiB + shmem %" PRIu64 " KiB = %" PRIu64
                " pages; swap %" PRIu64 " pages; page tables %" PRIu64 " pages\n",
                p->rss_anon_kib, p->rss_file_kib, p->rss_shmem_kib, b.rss_pages, b.swap_pages,
                b.pgtables_pages);
        fprintf(f, "  kernel:     %s\n", buf);
        fprintf(f, "  score:      %u", b.score);
        if (p->kernel_oom_score >= 0)
                fprintf(f, " (kernel's oom_score: %d%s)", p->kernel_oom_score,
                        (unsigned)p->kernel_oom_score == b.score ? ", agrees" : ", DIFFERS");
        fputc('\n', f);
        if (charged > 0)
                fprintf(f, "  charged:    +%" PRId64 " KiB held for it by others:", charged);
        else if (charged < 0)
                fprintf(f, "  charged:    %" PRId64 " KiB: it holds memory for others:", charged);
        for (size_t i = 0; charged && i < n_charges; i++)
                fprintf(f, " %s %" PRId64 " KiB%s", charge_source_to_string(ch[i].source), ch[i].kib,
                        i + 1 < n_charges ? "," : "");
        if (charged)
                fputc('\n', f);
        if (!a) {
                fputs("  activity:   none (kernel thread or zombie)\n", f);
                return 0;
        }
        fprintf(f, "  activity:   %s (%s %s), %u process%s, %s\n", a->name, activity_kind_to_string(a->kind),
                activity_id(a), a->n_members, a->n_members == 1 ? "" : "es",
                format_kib(activity_memory_kib(a), a1, sizeof(a1)));
        fprintf(f, "  tier:       %s\n", act);
        if (a->protection != ACTIVITY_KILLABLE)
                fprintf(f, "  verdict:    never killed: %s%s%s\n",
                        activity_protection_to_string(a->protection), a->protect_rule ? " by rule " : "",
                        a->protect_rule ? a->protect_rule : "");
        else
                fprintf(f, "  verdict:    %s (rank %zu of %zu activities)\n",
                        rank == 1 ? "first victim" : "candidate", rank, killable);
        return 0;
}
