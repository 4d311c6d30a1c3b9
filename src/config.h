/* SPDX-License-Identifier: MIT */
/*
 * triage.conf(5): an INI file read with libinih. No file means defaults.
 * Unknown sections and keys, bad values and syntax errors are errors that
 * name the file, the line and the offending text; a file with any error is
 * rejected whole (on SIGHUP the old configuration stays in force).
 *
 * The keys are a table of {section, key, parser, offset}; triage.conf(5)
 * documents the same table.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "badness.h"
#include "level.h"
#include "numa.h"
#include "rules.h"

#define CONFIG_DOMAINS_MAX 32
#define CONFIG_NAME_MAX 64
#define CONFIG_PATH_MAX 256
#define CONFIG_ERROR_MAX 512
#define CONFIG_RULES_MAX RULES_MAX
/* Enough for config_dump() of any configuration: about 620 bytes per
 * domain at the longest names, paths and values, 32 domains, and 1 KiB of
 * global settings; plus about 1100 bytes per rule (four 199-character
 * patterns, a user, every action) for 32 rules. */
#define CONFIG_DUMP_MAX (32768 + CONFIG_RULES_MAX * 1152)

struct config_domain {
        char name[CONFIG_NAME_MAX]; /* from the section "[domain NAME]" */
        /* Exactly one of the three is given (the others are empty): */
        char cgroup[CONFIG_PATH_MAX]; /* path under the cgroup mount, "/app.slice" */
        struct numa_mask nodes;       /* NUMA nodes, "nodes = 0-1" (0 to 63) */
        char cpuset[CONFIG_PATH_MAX]; /* a cpuset cgroup whose memory nodes count, "/web" */
        bool has_levels;              /* levels below override the global ones */
        struct level_config levels;
};

/* A [rule NAME] section; see rules.h for what the keys mean. */
struct config_rule {
        char name[RULE_NAME_MAX];
        bool enabled; /* enabled = yes */
        bool builtin; /* one of the built-in rules */
        struct rule_match match;
        struct rule_actions actions;
};

struct config {
        /* [daemon] */
        bool dry_run;              /* dry_run = no */
        bool advise_only;          /* advise_only = no: publish the order to the
                                               kernel (oom_score_adj) but kill nothing */
        enum badness_mode badness; /* badness = kernel | 2010 */
        size_t max_processes;      /* max_processes = auto (0) | N */
        char control_socket[CONFIG_PATH_MAX];
        bool mlock; /* mlock = yes */

        /* [levels]: low, medium, critical, emergency, hysteresis (percent or
         * size); psi_low .. psi_emergency (PSI full avg10 percent, or "off") */
        struct level_config levels;

        /* [kill] */
        uint64_t kill_wait_usec; /* wait_timeout = 5s: for the victim to die */
        bool kill_process_group; /* (reserved for activities) */

        /* [monitor] */
        uint64_t psi_stall_usec;        /* psi_stall = 100ms per psi_window */
        uint64_t psi_window_usec;       /* psi_window = 1s */
        uint64_t poll_min_usec;         /* poll_min = 20ms */
        uint64_t poll_max_usec;         /* poll_max = 10s */
        uint64_t fill_rate_kib_per_sec; /* fill_rate = 4G (per second) */

        /* [clients] */
        char app_socket[CONFIG_PATH_MAX]; /* socket = /run/triage/app.sock */
        uint64_t grace_usec;              /* grace = 5s: from save-and-close to the kill */
        uint64_t save_timeout_usec;       /* save_timeout = 5s: for answers to SaveState */
        bool bus;                         /* bus = yes: D-Bus on the system bus */
        uint64_t choose_timeout_usec;     /* choose_timeout = 10s: for a person's pick; 0: never ask */

        /* [policy] */
        uint64_t recent_usec; /* recent = 5min: used this recently, tier recent */

        /* [charges] trusted = users whose servers may report memory they hold
         * for a client (ReportCharge on D-Bus); none by default. */
        struct config_trusted {
                char text[128]; /* as written */
                uid_t uids[8];
                size_t n;
        } charges_trusted;
        uint64_t age_unit_usec; /* age_unit = 1min: the unit of the age factor */

        /* [domains]: auto_cgroups = yes (every limited memory cgroup) */
        bool auto_cgroup_domains;
        /* [domain NAME] sections */
        struct config_domain domains[CONFIG_DOMAINS_MAX];
        size_t n_domains;

        /* The built-in rules, then the [rule NAME] sections in file order. */
        struct config_rule rules[CONFIG_RULES_MAX];
        size_t n_rules;
};

/* Fills c with the built-in defaults, the built-in rules included. */
void config_defaults(struct config *c);

/*
 * Loads path over the defaults into *ret. Returns 0; -ENOENT when the file
 * does not exist (ret then holds the defaults); -EINVAL on any error in the
 * file, with "FILE:LINE: message: 'text'" in errbuf. ret is written only on
 * success or -ENOENT, so a caller can load into a scratch struct and keep
 * the old one on failure.
 */
int config_load(const char *path, struct config *ret, char *errbuf, size_t errbuf_size);

/* Same as config_load() but from a string (for tests and fuzzing); `name`
 * is used in error messages. */
int config_load_string(const char *name, const char *text, struct config *ret, char *errbuf,
                       size_t errbuf_size);

/* Writes the configuration in force, as triage.conf syntax, to buf: every
 * key, so that loading the text gives the same struct config. Returns the
 * length, or -ENOBUFS when buf is too small (CONFIG_DUMP_MAX always
 * suffices); buf is NUL-terminated either way when size > 0. */
int config_dump(const struct config *c, char *buf, size_t size);
