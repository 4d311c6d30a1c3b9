/* SPDX-License-Identifier: MIT */
#include "rules.h"

#include <errno.h>
#include <fnmatch.h>
#include <string.h>

#include "config.h"
#include "util.h"

int rules_compile(const struct config *c, struct rules *ret)
{
        ret->n = 0;
        for (size_t i = 0; i < c->n_rules && i < CONFIG_RULES_MAX; i++) {
                const struct config_rule *cr = &c->rules[i];
                struct rule *r = &ret->rule[ret->n];

                if (!cr->enabled)
                        continue;
                memset(r, 0, sizeof(*r));
                strscpy(r->name, cr->name, sizeof(r->name));
                r->match = cr->match;
                r->actions = cr->actions;
                if (r->match.cmdline[0]) {
                        int e = regcomp(&r->regex, r->match.cmdline, REG_EXTENDED | REG_NOSUB);
                        if (e != 0) {
                                /* config.c compiled it already: only memory can fail. */
                                rules_free(ret);
                                return e == REG_ESPACE ? -ENOMEM : -EINVAL;
                        }
                        r->has_regex = true;
                }
                ret->n++;
        }
        return 0;
}

void rules_free(struct rules *r)
{
        for (size_t i = 0; i < r->n; i++)
                if (r->rule[i].has_regex) {
                        regfree(&r->rule[i].regex);
                        r->rule[i].has_regex = false;
                }
        r->n = 0;
}

bool rules_glob_match(const char *patterns, const char *s)
{
        char one[RULE_PATTERN_MAX];

        for (const char *alt = patterns;;) {
                const char *end = strchrnul(alt, '|');
                size_t len = (size_t)(end - alt);

                /* A pattern longer than any the configuration takes
                 * cannot come from it: no match rather than a cut one. */
                if (len < sizeof(one)) {
                        memcpy(one, alt, len);
                        one[len] = '\0';
                        if (fnmatch(one, s, 0) == 0)
                                return true;
                }
                if (*end == '\0')
                        return false;
                alt = end + 1;
        }
}

const char *rules_argv0(const struct proc_entry *p, char *buf, size_t size)
{
        size_t len = strcspn(p->cmdline, " ");

        if (size == 0)
                return buf;
        if (len >= size)
                len = size - 1;
        memcpy(buf, p->cmdline, len);
        buf[len] = '\0';
        return buf;
}

static const char *proc_cgroup_path(const struct proc_entry *p)
{
        return p->cgroup_v2[0] ? p->cgroup_v2 : p->cgroup_v1_memory;
}

bool rules_rule_matches(const struct rule *r, const struct proc_entry *p)
{
        const struct rule_match *m = &r->match;

        /* Cheapest first; a rule without matchers matches nothing (the
         * configuration refuses such rules; this is the safe reading). */
        if (!m->has_uid && !m->name[0] && !m->exe[0] && !m->cgroup[0] && !r->has_regex)
                return false;
        if (m->has_uid && p->uid != m->uid)
                return false;
        if (m->name[0] && !rules_glob_match(m->name, p->comm))
                return false;
        if (m->exe[0]) {
                char argv0[PROC_CMDLINE_MAX];
                if (!rules_glob_match(m->exe, rules_argv0(p, argv0, sizeof(argv0))))
                        return false;
        }
        if (m->cgroup[0] && !rules_glob_match(m->cgroup, proc_cgroup_path(p)))
                return false;
        if (r->has_regex && regexec(&r->regex, p->cmdline, 0, NULL, 0) != 0)
                return false;
        return true;
}

void rules_match(const struct rules *r, const struct proc_entry *p, struct rule_verdict *ret)
{
        memset(ret, 0, sizeof(*ret));
        ret->actions.tier = TIER_AUTO;
        for (size_t i = 0; i < r->n; i++) {
                const struct rule *rule = &r->rule[i];
                const struct rule_actions *a = &rule->actions;

                if (!a->set || !rules_rule_matches(rule, p))
                        continue;
                for (int f = 0; f < _RULE_ACTION_MAX; f++) {
                        if (!(a->set & RULE_ACTION_BIT(f)))
                                continue;
                        switch ((enum rule_action)f) {
                        case RULE_ACTION_PROTECT:
                                ret->actions.protect = a->protect;
                                break;
                        case RULE_ACTION_TIER:
                                ret->actions.tier = a->tier;
                                break;
                        case RULE_ACTION_AVOID:
                                ret->actions.avoid = a->avoid;
                                break;
                        case RULE_ACTION_ADJ:
                                ret->actions.adj = a->adj;
                                break;
                        case RULE_ACTION_GRACE:
                                ret->actions.grace_usec = a->grace_usec;
                                break;
                        case RULE_ACTION_KILL:
                                ret->actions.kill = a->kill;
                                break;
                        case _RULE_ACTION_MAX:
                                break;
                        }
                        ret->actions.set |= RULE_ACTION_BIT(f);
                        ret->by[f] = rule->name;
                }
        }
}
