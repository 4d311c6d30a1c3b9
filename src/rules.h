/* SPDX-License-Identifier: MIT */
/*
 * Rules: what the configuration says about particular processes. A rule
 * ([rule NAME] in triage.conf(5)) has matchers and actions:
 *
 *   name    = GLOBS   the process name (comm from /proc/PID/stat, at most
 *                     15 characters: "systemd-journald" is "systemd-journal")
 *   exe     = GLOBS   argv[0], the first word of the command line. The
 *                     scanner does not read /proc/PID/exe (a readlink per
 *                     process per scan, and a path that may not exist any
 *                     more), so this is what the process calls itself: an
 *                     argv[0] that contains a blank is cut at the blank.
 *   cmdline = ERE     the command line with its NULs shown as blanks, as a
 *                     POSIX extended regular expression, unanchored. It is
 *                     compiled once by rules_compile(), never per scan.
 *   user    = NAME|UID the real uid; a name is resolved when the
 *                     configuration is loaded (getpwnam_r).
 *   cgroup  = GLOBS   the cgroup v2 path, or the v1 memory path when the
 *                     process has no v2 path, as /proc/PID/cgroup shows it.
 *
 * GLOBS is one fnmatch(3) pattern or several separated by '|' (any of them
 * may match); '*' also matches '/' (no FNM_PATHNAME), and a pattern cannot
 * contain a '|'. A rule matches a process when every matcher it has
 * matches. A rule without any matcher does not exist: the configuration
 * refuses it.
 *
 * Actions, each optional:
 *
 *   protect = yes|no   never kill the matching processes (yes), or undo an
 *                      earlier rule's protection (no). Protection is per
 *                      process: a protected process never takes part in an
 *                      activity with unprotected ones (see activity.h), so
 *                      that protecting sshd does not shield the runaway
 *                      compiler in the same login session.
 *   prefer  = yes|no   the same as tier = preferred | tier = auto.
 *   avoid   = yes|no   rank the activity after the others of its tier.
 *   tier    = auto|system|foreground|recent|background|preferred
 *                      auto is the tier triage works out itself.
 *   adj     = N        -1000..1000: the oom_score_adj triage uses for the
 *                      activity's badness instead of the leader's own;
 *                      -1000 protects like protect = yes.
 *   grace   = DURATION from "save and close" to the kill, for this activity.
 *   kill    = process|activity   kill the activity's worst process only, or
 *                      all of it (the default).
 *
 * Conflicts: rules are applied in order, the built-in rules first, then
 * the file's rules in file order, and for each action the LAST matching
 * rule that sets it wins. So a later "protect = no" undoes a built-in
 * protection for the processes it matches, and of two rules that set
 * different tiers for one process the later one counts. protect = yes
 * wins over any tier.
 *
 * The built-in rules are ordinary rules that config_defaults() puts first:
 * display-server, session-bus, login-manager, systemd, sshd, triaged (see
 * config.c for what they match). A [rule NAME] section with a built-in's
 * name changes that rule: "enabled = no" turns it off, and any other key
 * given replaces the built-in's value.
 *
 * Beware that name, exe and cmdline are chosen by the process's owner: a
 * user can call a memory hog "Xorg" and be protected by the display-server
 * rule. The sshd, triaged rules only match uid 0; on a shared host, add
 * "user =" to the protect rules or turn the user-owned ones off.
 */
#pragma once

#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "proc.h"

/* At most this many rules, built-in ones included (6 of them). */
#define RULES_MAX 32
/* A rule name, like a domain name: 1 to 63 of A-Z a-z 0-9 _ . - */
#define RULE_NAME_MAX 64
/* A pattern: a setting is at most 199 characters (see config.c), so no
 * value is longer than 191 after "cmdline = ". */
#define RULE_PATTERN_MAX 192

/*
 * The tiers, after Android's bands. In kill order: PREFERRED first, then
 * BACKGROUND, RECENT, FOREGROUND, SYSTEM; never PROTECTED. activity.h
 * explains how each is chosen and which oom_score_adj band it gets.
 */
enum tier {
        TIER_PROTECTED,
        TIER_SYSTEM,
        TIER_FOREGROUND,
        TIER_RECENT,
        TIER_BACKGROUND,
        TIER_PREFERRED,
        _TIER_MAX,
        /* Only in rule actions: the tier triage works out itself. */
        TIER_AUTO = _TIER_MAX,
};

enum rule_kill {
        RULE_KILL_ACTIVITY,
        RULE_KILL_PROCESS,
};

/* The actions, as bits of rule_actions.set. */
enum rule_action {
        RULE_ACTION_PROTECT,
        RULE_ACTION_TIER, /* tier = and prefer = */
        RULE_ACTION_AVOID,
        RULE_ACTION_ADJ,
        RULE_ACTION_GRACE,
        RULE_ACTION_KILL,
        _RULE_ACTION_MAX,
};

#define RULE_ACTION_BIT(a) (1u << (a))

/* What a rule does, or (in a verdict) what the matching rules did. A
 * field counts only when its bit is in `set`. */
struct rule_actions {
        unsigned set; /* RULE_ACTION_BIT() of each action given */
        bool protect;
        enum tier tier; /* TIER_AUTO or one of the killable tiers */
        bool avoid;
        int adj; /* -1000..1000 */
        uint64_t grace_usec;
        enum rule_kill kill;
};

/* What a rule matches; an empty string is no matcher. */
struct rule_match {
        char name[RULE_PATTERN_MAX];
        char exe[RULE_PATTERN_MAX];
        char cmdline[RULE_PATTERN_MAX];
        char user[RULE_NAME_MAX]; /* as written */
        bool has_uid;             /* user = was given ... */
        uid_t uid;                /* ... and resolved to this */
        char cgroup[RULE_PATTERN_MAX];
};

/* The rules that apply to one process. */
struct rule_verdict {
        struct rule_actions actions; /* each field from the last rule that sets it */
        /* The name of the rule that set each action, NULL when none did;
         * points into the struct rules, valid until it is freed. */
        const char *by[_RULE_ACTION_MAX];
};

/* A compiled rule: a copy of the configuration's, so the configuration
 * may change under it. */
struct rule {
        char name[RULE_NAME_MAX];
        struct rule_match match;
        struct rule_actions actions;
        bool has_regex;
        regex_t regex; /* match.cmdline, compiled */
};

struct rules {
        struct rule rule[RULES_MAX];
        size_t n;
};

struct config;

/*
 * Compiles the enabled rules of c, in order, into ret (which needs no
 * initialisation). The configuration has checked every expression, so this
 * fails only when regcomp() runs out of memory: -ENOMEM, with nothing left
 * to free. On success, rules_free() releases the expressions.
 */
int rules_compile(const struct config *c, struct rules *ret);
void rules_free(struct rules *r);

/* Whether one rule matches p. */
bool rules_rule_matches(const struct rule *r, const struct proc_entry *p);

/*
 * The verdict of every rule for p: ret is cleared, then each matching rule
 * in order writes the actions it sets. Allocates nothing itself; glibc's
 * regexec() may use a little heap for a cmdline rule, so the daemon may
 * cache verdicts by (pid, start time) when it scans often. Processes
 * without memory (kernel threads) are matched like any other; activity.h
 * leaves them out anyway.
 */
void rules_match(const struct rules *r, const struct proc_entry *p, struct rule_verdict *ret);

/* Whether s matches one of the '|'-separated fnmatch(3) patterns. */
bool rules_glob_match(const char *patterns, const char *s);

/* argv[0] of p's command line (see exe above) into buf; "" for none. */
const char *rules_argv0(const struct proc_entry *p, char *buf, size_t size);

/* Tier names, as in the configuration and in explanations. Header-only so
 * that config.c, which parses them, links no policy module. */
static inline const char *tier_to_string(enum tier t)
{
        switch (t) {
        case TIER_PROTECTED:
                return "protected";
        case TIER_SYSTEM:
                return "system";
        case TIER_FOREGROUND:
                return "foreground";
        case TIER_RECENT:
                return "recent";
        case TIER_BACKGROUND:
                return "background";
        case TIER_PREFERRED:
                return "preferred";
        case TIER_AUTO:
                return "auto";
        }
        return "unknown";
}

/* Parses the tiers a rule may set: auto, system, foreground, recent,
 * background, preferred (not protected: that is protect = yes). */
static inline int tier_from_rule_string(const char *s, enum tier *ret)
{
        static const enum tier settable[] = {
                TIER_AUTO, TIER_SYSTEM, TIER_FOREGROUND, TIER_RECENT, TIER_BACKGROUND, TIER_PREFERRED,
        };

        for (size_t i = 0; i < sizeof(settable) / sizeof(settable[0]); i++)
                if (strcmp(s, tier_to_string(settable[i])) == 0) {
                        *ret = settable[i];
                        return 0;
                }
        return -EINVAL;
}

static inline const char *rule_kill_to_string(enum rule_kill k)
{
        return k == RULE_KILL_PROCESS ? "process" : "activity";
}
