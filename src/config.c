/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <pwd.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "triage-paths.h"
#include "util.h"

/*
 * How a file becomes a struct config.
 *
 * libinih splits "key = value" lines and calls parser_handle() for each,
 * but the library's handler gets no line number (Debian builds it with
 * INI_HANDLER_LINENO 0), it does not tell us when a section starts, it
 * truncates section names to 49 characters, it treats an indented line as
 * the continuation of the previous value, and only ';' starts an inline
 * comment. So the lines reach libinih through parser_read(), our own
 * ini_reader, which counts lines, removes comments and leading blanks
 * (turning continuation lines off), and handles "[section]" headers itself.
 * The behaviour is then the same whatever options libinih was built with,
 * and no global of the library is touched.
 */

/* A raw line, comments included. Longer lines are rejected, not split. */
#define CONFIG_LINE_MAX 1024

/* PID_MAX_LIMIT on 64-bit kernels: no system has more processes. */
#define MAX_PROCESSES_LIMIT 4194304

/* bind() takes at most sizeof(sun_path) - 1 characters plus the NUL. */
#define SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1)

#define KIB_PER_MIB UINT64_C(1024)
#define KIB_PER_GIB (UINT64_C(1024) * 1024)
#define KIB_PER_TIB (UINT64_C(1024) * 1024 * 1024)

enum config_section {
        SECTION_NONE,
        SECTION_DAEMON,
        SECTION_LEVELS, /* its keys are also valid in [domain NAME] */
        SECTION_KILL,
        SECTION_MONITOR,
        SECTION_CLIENTS,
        SECTION_POLICY,
        SECTION_CHARGES,
        SECTION_DOMAINS,
        SECTION_DOMAIN, /* [domain NAME] */
        SECTION_RULE,   /* [rule NAME] */
        _SECTION_MAX,
};

static const char *const section_names[_SECTION_MAX] = {
        [SECTION_NONE] = "",         [SECTION_DAEMON] = "daemon",   [SECTION_LEVELS] = "levels",
        [SECTION_KILL] = "kill",     [SECTION_MONITOR] = "monitor", [SECTION_CLIENTS] = "clients",
        [SECTION_POLICY] = "policy", [SECTION_CHARGES] = "charges", [SECTION_DOMAINS] = "domains",
        [SECTION_DOMAIN] = "domain", [SECTION_RULE] = "rule",
};

struct config_key {
        enum config_section section;
        const char *name;
        /* Writes the field only on success; returns 0, -EINVAL or -ERANGE. */
        int (*parse)(const struct config_key *k, const char *value, void *field);
        const char *(*format)(const void *field, char *buf, size_t size);
        /* Into struct config; for SECTION_LEVELS into struct level_config
         * (the global one or a domain's); for SECTION_DOMAIN into struct
         * config_domain; for SECTION_RULE into struct config_rule. */
        size_t offset;
        size_t size;        /* of the field, to inherit it */
        uint64_t min, max;  /* range, where the parser has one */
        const char *expect; /* "invalid value ... (expected <this>)" */
};

static int parse_bool_key(const struct config_key *k, const char *value, void *field)
{
        return parse_bool(value, field);
}

static const char *format_bool_key(const void *field, char *buf, size_t size)
{
        snprintf(buf, size, "%s", *(const bool *)field ? "yes" : "no");
        return buf;
}

static int parse_badness_key(const struct config_key *k, const char *value, void *field)
{
        enum badness_mode *mode = field;

        if (strcmp(value, "kernel") == 0)
                *mode = BADNESS_KERNEL;
        else if (strcmp(value, "2010") == 0)
                *mode = BADNESS_2010;
        else
                return -EINVAL;
        return 0;
}

static const char *format_badness_key(const void *field, char *buf, size_t size)
{
        const enum badness_mode *mode = field;

        snprintf(buf, size, "%s", *mode == BADNESS_2010 ? "2010" : "kernel");
        return buf;
}

static int parse_count_key(const struct config_key *k, const char *value, void *field)
{
        uint64_t v;
        int r;

        if (strcmp(value, "auto") == 0) {
                *(size_t *)field = 0;
                return 0;
        }
        r = parse_u64(value, &v);
        if (r < 0)
                return r;
        if (v < k->min || v > k->max)
                return -ERANGE;
        *(size_t *)field = (size_t)v;
        return 0;
}

static const char *format_count_key(const void *field, char *buf, size_t size)
{
        size_t v = *(const size_t *)field;

        if (v == 0)
                snprintf(buf, size, "auto");
        else
                snprintf(buf, size, "%zu", v);
        return buf;
}

/* An absolute path of at most k->max characters with no ".." component:
 * a cgroup path must not climb out of the cgroup mount. */
static int parse_path_key(const struct config_key *k, const char *value, void *field)
{
        size_t len = strlen(value);

        if (value[0] != '/')
                return -EINVAL;
        if (len > k->max)
                return -ERANGE;
        for (const char *p = value; (p = strstr(p, "..")) != NULL; p += 2)
                if (p[-1] == '/' && (p[2] == '/' || p[2] == '\0'))
                        return -EINVAL;
        strscpy(field, value, k->size);
        return 0;
}

static const char *format_path_key(const void *field, char *buf, size_t size)
{
        snprintf(buf, size, "%s", (const char *)field);
        return buf;
}

static int parse_threshold_key(const struct config_key *k, const char *value, void *field)
{
        return threshold_parse(value, field);
}

static const char *format_threshold_key(const void *field, char *buf, size_t size)
{
        return threshold_format(field, buf, size);
}

static int parse_psi_key(const struct config_key *k, const char *value, void *field)
{
        if (strcmp(value, "off") == 0) {
                *(double *)field = -1;
                return 0;
        }
        return threshold_parse_percent(value, field);
}

static const char *format_psi_key(const void *field, char *buf, size_t size)
{
        /* Formats a negative value as "off". */
        return threshold_format_percent(*(const double *)field, buf, size);
}

static int parse_duration_key(const struct config_key *k, const char *value, void *field)
{
        uint64_t usec;
        int r = parse_duration_usec(value, &usec);

        if (r < 0)
                return r;
        if (usec < k->min || usec > k->max)
                return -ERANGE;
        *(uint64_t *)field = usec;
        return 0;
}

static const char *format_duration(uint64_t usec, char *buf, size_t size)
{
        if (usec != 0 && usec % (60 * USEC_PER_SEC) == 0)
                snprintf(buf, size, "%" PRIu64 "min", usec / (60 * USEC_PER_SEC));
        else if (usec != 0 && usec % USEC_PER_SEC == 0)
                snprintf(buf, size, "%" PRIu64 "s", usec / USEC_PER_SEC);
        else if (usec % USEC_PER_MSEC == 0)
                snprintf(buf, size, "%" PRIu64 "ms", usec / USEC_PER_MSEC);
        else
                snprintf(buf, size, "%" PRIu64 "us", usec);
        return buf;
}

static const char *format_duration_key(const void *field, char *buf, size_t size)
{
        return format_duration(*(const uint64_t *)field, buf, size);
}

/* A size per second: "4G" or "4G/s". */
static int parse_rate_key(const struct config_key *k, const char *value, void *field)
{
        char size_text[64];
        uint64_t bytes;
        size_t len;
        int r;

        if (!strscpy(size_text, value, sizeof(size_text)))
                return -EINVAL;
        len = strlen(size_text);
        if (len > 2 && strcmp(size_text + len - 2, "/s") == 0)
                size_text[len - 2] = '\0';
        r = parse_size_bytes(size_text, &bytes);
        if (r < 0)
                return r;
        if (bytes / 1024 < k->min || bytes / 1024 > k->max)
                return -ERANGE;
        *(uint64_t *)field = bytes / 1024;
        return 0;
}

static const char *format_rate_key(const void *field, char *buf, size_t size)
{
        struct threshold t = { .percent = -1, .bytes = *(const uint64_t *)field * 1024 };
        char text[32];

        snprintf(buf, size, "%s/s", threshold_format(&t, text, sizeof(text)));
        return buf;
}

/* One fnmatch(3) pattern or several separated by '|', none of them empty.
 * A cgroup pattern must be able to match a path: each alternative starts
 * with '/' or a wildcard. */
static int parse_globs(const struct config_key *k, const char *value, void *field, bool cgroup)
{
        size_t len = strlen(value);

        if (len == 0 || len > k->max)
                return -EINVAL;
        for (const char *alt = value;; alt++) {
                if (*alt == '|' || *alt == '\0')
                        return -EINVAL;
                if (cgroup && !strchr("/*?[", *alt))
                        return -EINVAL;
                alt = strchrnul(alt, '|');
                if (*alt == '\0')
                        break;
        }
        strscpy(field, value, k->size);
        return 0;
}

static int parse_glob_key(const struct config_key *k, const char *value, void *field)
{
        return parse_globs(k, value, field, false);
}

static int parse_cgroup_glob_key(const struct config_key *k, const char *value, void *field)
{
        return parse_globs(k, value, field, true);
}

static const char *format_string_key(const void *field, char *buf, size_t size)
{
        snprintf(buf, size, "%s", (const char *)field);
        return buf;
}

/* A POSIX extended regular expression; compiled here only to check it
 * (rules_compile() compiles it for use). */
static int parse_regex_key(const struct config_key *k, const char *value, void *field)
{
        regex_t re;

        if (value[0] == '\0' || strlen(value) > k->max)
                return -EINVAL;
        if (regcomp(&re, value, REG_EXTENDED | REG_NOSUB) != 0)
                return -EINVAL;
        regfree(&re);
        strscpy(field, value, k->size);
        return 0;
}

/* Why regcomp() refuses value, for the error message. */
static const char *describe_regex_error(const char *value, char *buf, size_t size)
{
        regex_t re;
        int r = regcomp(&re, value, REG_EXTENDED | REG_NOSUB);

        if (value[0] == '\0') {
                if (r == 0)
                        regfree(&re);
                snprintf(buf, size, "empty");
        } else if (r == 0) {
                regfree(&re);
                snprintf(buf, size, "too long");
        } else {
                regerror(r, &re, buf, size);
        }
        return buf;
}

/* A user name, resolved now, or a numeric uid. Writes the whole struct
 * rule_match's user fields. */
static int parse_user_key(const struct config_key *k, const char *value, void *field)
{
        struct rule_match *m = field;
        /* glibc's _SC_GETPW_R_SIZE_MAX is 1024; room for long NSS entries. */
        char buf[16384];
        struct passwd pw, *found = NULL;
        uint64_t uid;

        if (value[0] == '\0' || strlen(value) >= sizeof(m->user))
                return -EINVAL;
        if (isdigit((unsigned char)value[0])) {
                if (parse_u64(value, &uid) < 0 || uid >= (uid_t)-1)
                        return -EINVAL;
        } else {
                if (getpwnam_r(value, &pw, buf, sizeof(buf), &found) != 0 || !found)
                        return -EINVAL;
                uid = found->pw_uid;
        }
        strscpy(m->user, value, sizeof(m->user));
        m->uid = (uid_t)uid;
        m->has_uid = true;
        return 0;
}

static const char *format_user_key(const void *field, char *buf, size_t size)
{
        const struct rule_match *m = field;

        snprintf(buf, size, "%s", m->has_uid ? m->user : "");
        return buf;
}

/* A list of user names (resolved now) or uids, separated by commas or
 * blanks: "root, gdm 1000". */
static int parse_trusted_key(const struct config_key *k, const char *value, void *field)
{
        struct config_trusted t = { 0 };
        char copy[sizeof(t.text)], buf[16384];
        char *save = NULL;

        if (!strscpy(copy, value, sizeof(copy)))
                return -ERANGE;
        strscpy(t.text, value, sizeof(t.text));
        for (char *w = strtok_r(copy, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save)) {
                struct passwd pw, *found = NULL;
                uint64_t uid;

                if (t.n == ARRAY_SIZE(t.uids))
                        return -ERANGE;
                if (isdigit((unsigned char)w[0])) {
                        if (parse_u64(w, &uid) < 0 || uid >= (uid_t)-1)
                                return -EINVAL;
                } else {
                        if (getpwnam_r(w, &pw, buf, sizeof(buf), &found) != 0 || !found)
                                return -EINVAL;
                        uid = found->pw_uid;
                }
                t.uids[t.n++] = (uid_t)uid;
        }
        *(struct config_trusted *)field = t;
        return 0;
}

static const char *format_trusted_key(const void *field, char *buf, size_t size)
{
        snprintf(buf, size, "%s", ((const struct config_trusted *)field)->text);
        return buf;
}

/* prefer = yes|no is tier = preferred|auto. */
static int parse_prefer_key(const struct config_key *k, const char *value, void *field)
{
        bool b;
        int r = parse_bool(value, &b);

        if (r < 0)
                return r;
        *(enum tier *)field = b ? TIER_PREFERRED : TIER_AUTO;
        return 0;
}

static int parse_tier_key(const struct config_key *k, const char *value, void *field)
{
        return tier_from_rule_string(value, field);
}

static const char *format_tier_key(const void *field, char *buf, size_t size)
{
        snprintf(buf, size, "%s", tier_to_string(*(const enum tier *)field));
        return buf;
}

static int parse_adj_key(const struct config_key *k, const char *value, void *field)
{
        int v;
        int r = parse_int(value, &v);

        if (r < 0)
                return r;
        if (v < -1000 || v > 1000)
                return -ERANGE;
        *(int *)field = v;
        return 0;
}

static const char *format_adj_key(const void *field, char *buf, size_t size)
{
        snprintf(buf, size, "%d", *(const int *)field);
        return buf;
}

static int parse_kill_key(const struct config_key *k, const char *value, void *field)
{
        if (strcmp(value, "activity") == 0)
                *(enum rule_kill *)field = RULE_KILL_ACTIVITY;
        else if (strcmp(value, "process") == 0)
                *(enum rule_kill *)field = RULE_KILL_PROCESS;
        else
                return -EINVAL;
        return 0;
}

static const char *format_kill_key(const void *field, char *buf, size_t size)
{
        snprintf(buf, size, "%s", rule_kill_to_string(*(const enum rule_kill *)field));
        return buf;
}

/* "0-1,4": NUMA nodes 0 to 63 (numa.h), at least one. */
static int parse_nodes_key(const struct config_key *k, const char *value, void *field)
{
        struct numa_mask m;
        int r = numa_mask_parse(value, &m);

        if (r < 0)
                return r;
        if (numa_mask_empty(&m))
                return -EINVAL;
        if (m.high)
                return -ERANGE;
        memcpy(field, &m, sizeof(m));
        return 0;
}

static const char *format_nodes_key(const void *field, char *buf, size_t size)
{
        struct numa_mask m;

        memcpy(&m, field, sizeof(m));
        return numa_mask_format(&m, buf, size);
}

#define BOOL_KEY(sec, key, type, field)                                                                      \
        {                                                                                                    \
                sec, key, parse_bool_key, format_bool_key, offsetof(type, field), sizeof(bool), 0, 0,        \
                        "yes or no"                                                                          \
        }
#define THRESHOLD_KEY(key, field)                                                                            \
        {                                                                                                    \
                SECTION_LEVELS, key, parse_threshold_key, format_threshold_key,                              \
                        offsetof(struct level_config, field), sizeof(struct threshold), 0, 0,                \
                        "a percentage 0..100% or a size like 512M"                                           \
        }
#define PSI_KEY(key, level)                                                                                  \
        {                                                                                                    \
                SECTION_LEVELS, key, parse_psi_key, format_psi_key,                                          \
                        offsetof(struct level_config, psi_full_avg10[level]), sizeof(double), 0, 0,          \
                        "a percentage 0..100 or off"                                                         \
        }
#define DURATION_KEY(sec, key, field, lo, hi, text)                                                          \
        {                                                                                                    \
                sec, key, parse_duration_key, format_duration_key, offsetof(struct config, field),           \
                        sizeof(uint64_t), lo, hi, "a duration from " text                                    \
        }

/* The keys of triage.conf(5), in the order config_dump() writes them. */
static const struct config_key config_keys[] = {
        BOOL_KEY(SECTION_DAEMON, "dry_run", struct config, dry_run),
        BOOL_KEY(SECTION_DAEMON, "advise_only", struct config, advise_only),
        { SECTION_DAEMON, "badness", parse_badness_key, format_badness_key, offsetof(struct config, badness),
          sizeof(enum badness_mode), 0, 0, "kernel or 2010" },
        { SECTION_DAEMON, "max_processes", parse_count_key, format_count_key,
          offsetof(struct config, max_processes), sizeof(size_t), 1, MAX_PROCESSES_LIMIT,
          "auto or a number from 1 to 4194304" },
        { SECTION_DAEMON, "control_socket", parse_path_key, format_path_key,
          offsetof(struct config, control_socket), CONFIG_PATH_MAX, 0, SOCKET_PATH_MAX,
          "an absolute path of at most 107 characters" },
        BOOL_KEY(SECTION_DAEMON, "mlock", struct config, mlock),

        THRESHOLD_KEY("low", mem[TRIAGE_LEVEL_LOW]),
        THRESHOLD_KEY("medium", mem[TRIAGE_LEVEL_MEDIUM]),
        THRESHOLD_KEY("critical", mem[TRIAGE_LEVEL_CRITICAL]),
        THRESHOLD_KEY("emergency", mem[TRIAGE_LEVEL_EMERGENCY]),
        THRESHOLD_KEY("hysteresis", hysteresis),
        PSI_KEY("psi_low", TRIAGE_LEVEL_LOW),
        PSI_KEY("psi_medium", TRIAGE_LEVEL_MEDIUM),
        PSI_KEY("psi_critical", TRIAGE_LEVEL_CRITICAL),
        PSI_KEY("psi_emergency", TRIAGE_LEVEL_EMERGENCY),

        DURATION_KEY(SECTION_KILL, "wait_timeout", kill_wait_usec, 100 * USEC_PER_MSEC,
                     10 * 60 * USEC_PER_SEC, "100ms to 10min"),

        /* The kernel accepts PSI windows of 500ms..10s and a stall of at
         * most the window (kernel/sched/psi.c psi_trigger_create()). */
        DURATION_KEY(SECTION_MONITOR, "psi_stall", psi_stall_usec, USEC_PER_MSEC, 10 * USEC_PER_SEC,
                     "1ms to 10s"),
        DURATION_KEY(SECTION_MONITOR, "psi_window", psi_window_usec, 500 * USEC_PER_MSEC, 10 * USEC_PER_SEC,
                     "500ms to 10s"),
        DURATION_KEY(SECTION_MONITOR, "poll_min", poll_min_usec, USEC_PER_MSEC, 10 * USEC_PER_SEC,
                     "1ms to 10s"),
        DURATION_KEY(SECTION_MONITOR, "poll_max", poll_max_usec, USEC_PER_MSEC, 10 * 60 * USEC_PER_SEC,
                     "1ms to 10min"),
        { SECTION_MONITOR, "fill_rate", parse_rate_key, format_rate_key,
          offsetof(struct config, fill_rate_kib_per_sec), sizeof(uint64_t), KIB_PER_MIB, KIB_PER_TIB,
          "a size per second from 1M to 1T, like 4G" },

        { SECTION_CLIENTS, "socket", parse_path_key, format_path_key, offsetof(struct config, app_socket),
          CONFIG_PATH_MAX, 0, SOCKET_PATH_MAX, "an absolute path of at most 107 characters" },
        /* 0 means: no grace, kill registered applications like any other. */
        DURATION_KEY(SECTION_CLIENTS, "grace", grace_usec, 0, 10 * 60 * USEC_PER_SEC, "0 to 10min"),
        DURATION_KEY(SECTION_CLIENTS, "save_timeout", save_timeout_usec, 100 * USEC_PER_MSEC,
                     10 * 60 * USEC_PER_SEC, "100ms to 10min"),
        BOOL_KEY(SECTION_CLIENTS, "bus", struct config, bus),
        /* How long a chooser has to pick; 0: never ask a person. */
        DURATION_KEY(SECTION_CLIENTS, "choose_timeout", choose_timeout_usec, 0, 10 * 60 * USEC_PER_SEC,
                     "0 to 10min"),

        /* Activities used within this are in the recent tier; older ones
         * are background, oldest first (activity.h). */
        DURATION_KEY(SECTION_POLICY, "recent", recent_usec, 0, 24 * 60 * 60 * USEC_PER_SEC, "0 to 24h"),
        /* Background order: memory * (1 + log2(1 + idle / age_unit)). */
        DURATION_KEY(SECTION_POLICY, "age_unit", age_unit_usec, 100 * USEC_PER_MSEC,
                     24 * 60 * 60 * USEC_PER_SEC, "100ms to 24h"),

        { SECTION_CHARGES, "trusted", parse_trusted_key, format_trusted_key,
          offsetof(struct config, charges_trusted), sizeof(struct config_trusted), 0, 0,
          "user names or uids (at most 8) separated by commas" },

        BOOL_KEY(SECTION_DOMAINS, "auto_cgroups", struct config, auto_cgroup_domains),

        /* libinih's line buffer holds 199 characters: "cgroup = " leaves
         * 190 for the path, so every loaded path dumps to a loadable line
         * (found by fuzz_config's round trip). */
        { SECTION_DOMAIN, "cgroup", parse_path_key, format_path_key, offsetof(struct config_domain, cgroup),
          CONFIG_PATH_MAX, 0, 190, "an absolute path under the cgroup mount of at most 190 characters" },
        /* A NUMA node set instead of a cgroup (numa.h): the nodes given,
         * or the memory nodes of a cpuset cgroup, followed as they change.
         * "cpuset = " leaves 190 characters like "cgroup = ". */
        { SECTION_DOMAIN, "nodes", parse_nodes_key, format_nodes_key, offsetof(struct config_domain, nodes),
          sizeof(struct numa_mask), 0, 0, "NUMA node numbers from 0 to 63, like 0-1,4" },
        { SECTION_DOMAIN, "cpuset", parse_path_key, format_path_key, offsetof(struct config_domain, cpuset),
          CONFIG_PATH_MAX, 0, 190,
          "an absolute path under the cpuset cgroup mount of at most 190 characters" },

        /* [rule NAME]: config_dump() writes the matchers that are given and
         * the actions that are set, never "prefer" (it writes "tier"). The
         * longest values are those whose "key = value" still fits in the
         * 199 characters libinih takes, so that every dump loads again:
         * 191 for name and exe, 189 for cmdline, 190 for cgroup. */
        BOOL_KEY(SECTION_RULE, "enabled", struct config_rule, enabled),
        { SECTION_RULE, "name", parse_glob_key, format_string_key, offsetof(struct config_rule, match.name),
          RULE_PATTERN_MAX, 0, RULE_PATTERN_MAX - 1, "process-name globs separated by |" },
        { SECTION_RULE, "exe", parse_glob_key, format_string_key, offsetof(struct config_rule, match.exe),
          RULE_PATTERN_MAX, 0, RULE_PATTERN_MAX - 1, "argv[0] globs separated by |" },
        { SECTION_RULE, "cmdline", parse_regex_key, format_string_key,
          offsetof(struct config_rule, match.cmdline), RULE_PATTERN_MAX, 0, 189,
          "an extended regular expression" },
        { SECTION_RULE, "user", parse_user_key, format_user_key, offsetof(struct config_rule, match),
          sizeof(struct rule_match), 0, 0, "a known user name or a uid" },
        { SECTION_RULE, "cgroup", parse_cgroup_glob_key, format_string_key,
          offsetof(struct config_rule, match.cgroup), RULE_PATTERN_MAX, 0, 190,
          "cgroup-path globs starting with / or * separated by |" },
        { SECTION_RULE, "protect", parse_bool_key, format_bool_key,
          offsetof(struct config_rule, actions.protect), sizeof(bool), 0, 0, "yes or no" },
        { SECTION_RULE, "prefer", parse_prefer_key, format_tier_key,
          offsetof(struct config_rule, actions.tier), sizeof(enum tier), 0, 0, "yes or no" },
        { SECTION_RULE, "avoid", parse_bool_key, format_bool_key, offsetof(struct config_rule, actions.avoid),
          sizeof(bool), 0, 0, "yes or no" },
        { SECTION_RULE, "tier", parse_tier_key, format_tier_key, offsetof(struct config_rule, actions.tier),
          sizeof(enum tier), 0, 0, "auto, system, foreground, recent, background or preferred" },
        { SECTION_RULE, "adj", parse_adj_key, format_adj_key, offsetof(struct config_rule, actions.adj),
          sizeof(int), 0, 0, "a number from -1000 to 1000" },
        { SECTION_RULE, "grace", parse_duration_key, format_duration_key,
          offsetof(struct config_rule, actions.grace_usec), sizeof(uint64_t), 0, 10 * 60 * USEC_PER_SEC,
          "a duration from 0 to 10min" },
        { SECTION_RULE, "kill", parse_kill_key, format_kill_key, offsetof(struct config_rule, actions.kill),
          sizeof(enum rule_kill), 0, 0, "process or activity" },
};

#define N_KEYS ARRAY_SIZE(config_keys)

/* The RULE_ACTION_BIT() a key of [rule] sets; 0 for "enabled" and the
 * matchers. "prefer" and "tier" set the same one. */
static unsigned rule_key_action(const struct config_key *k)
{
        static const struct {
                const char *key;
                enum rule_action action;
        } actions[] = {
                { "protect", RULE_ACTION_PROTECT }, { "prefer", RULE_ACTION_TIER },
                { "avoid", RULE_ACTION_AVOID },     { "tier", RULE_ACTION_TIER },
                { "adj", RULE_ACTION_ADJ },         { "grace", RULE_ACTION_GRACE },
                { "kill", RULE_ACTION_KILL },
        };

        if (k->section != SECTION_RULE)
                return 0;
        for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
                if (strcmp(k->name, actions[i].key) == 0)
                        return RULE_ACTION_BIT(actions[i].action);
        return 0;
}

static bool key_in_section(const struct config_key *k, enum config_section section)
{
        return k->section == section || (section == SECTION_DOMAIN && k->section == SECTION_LEVELS);
}

static int config_key_find(enum config_section section, const char *name)
{
        for (size_t i = 0; i < N_KEYS; i++)
                if (key_in_section(&config_keys[i], section) && strcmp(config_keys[i].name, name) == 0)
                        return (int)i;
        return -ENOENT;
}

/* `sub` is the struct config_domain of a [domain] section (or NULL for
 * the global [levels]), or the struct config_rule of a [rule] section. */
static void *config_key_field(const struct config_key *k, struct config *c, void *sub)
{
        switch (k->section) {
        case SECTION_LEVELS:
                return (char *)(sub ? &((struct config_domain *)sub)->levels : &c->levels) + k->offset;
        case SECTION_DOMAIN:
        case SECTION_RULE:
                return (char *)sub + k->offset;
        default:
                return (char *)c + k->offset;
        }
}

static const void *config_key_field_const(const struct config_key *k, const struct config *c, const void *sub)
{
        return config_key_field(k, (struct config *)c, (void *)sub);
}

#define PROTECT_ACTION                                                                                       \
        {                                                                                                    \
                .set = RULE_ACTION_BIT(RULE_ACTION_PROTECT), .protect = true, .tier = TIER_AUTO              \
        }

/*
 * The built-in rules, first in every configuration. Names are comm, cut
 * to 15 characters by the kernel ("dbus-broker-launch" is
 * "dbus-broker-lau", "systemd-journald" is "systemd-journal"). Processes
 * running as root only where the program always does, so that no user
 * gets protection by naming a process "sshd"; the user-owned ones
 * (display servers, session buses, systemd --user) cannot be told apart
 * from an impostor by name, see rules.h.
 */
static const struct config_rule builtin_rules[] = {
        { .name = "display-server",
          .enabled = true,
          .builtin = true,
          .match = { .name = "Xorg|Xwayland|gnome-shell|kwin_wayland|weston|sway" },
          .actions = PROTECT_ACTION },
        { .name = "session-bus",
          .enabled = true,
          .builtin = true,
          .match = { .name = "dbus-daemon|dbus-broker|dbus-broker-lau" },
          .actions = PROTECT_ACTION },
        { .name = "login-manager",
          .enabled = true,
          .builtin = true,
          .match = { .name = "systemd-logind|gdm|gdm3|gdm-*|sddm|sddm-helper|lightdm" },
          .actions = PROTECT_ACTION },
        /* PID 1 is never killed anyway; this is systemd --user and journald. */
        { .name = "systemd",
          .enabled = true,
          .builtin = true,
          .match = { .name = "systemd|systemd-journal" },
          .actions = PROTECT_ACTION },
        /* The listener and the privileged half of each session. */
        { .name = "sshd",
          .enabled = true,
          .builtin = true,
          .match = { .name = "sshd|sshd-session", .user = "0", .has_uid = true, .uid = 0 },
          .actions = PROTECT_ACTION },
        /* Another instance (a test, an upgrade); the daemon never picks
         * itself in any case. */
        { .name = "triaged",
          .enabled = true,
          .builtin = true,
          .match = { .name = "triaged", .user = "0", .has_uid = true, .uid = 0 },
          .actions = PROTECT_ACTION },
};

_Static_assert(ARRAY_SIZE(builtin_rules) < CONFIG_RULES_MAX, "no room for rules of the file");

void config_defaults(struct config *c)
{
        memset(c, 0, sizeof(*c));
        c->dry_run = false;
        c->badness = BADNESS_KERNEL;
        c->max_processes = 0;
        strscpy(c->control_socket, TRIAGE_CONTROL_SOCKET, sizeof(c->control_socket));
        c->mlock = true;
        level_config_defaults(&c->levels);
        c->kill_wait_usec = 5 * USEC_PER_SEC;
        c->kill_process_group = false;
        c->psi_stall_usec = 100 * USEC_PER_MSEC;
        c->psi_window_usec = USEC_PER_SEC;
        c->poll_min_usec = 20 * USEC_PER_MSEC;
        c->poll_max_usec = 10 * USEC_PER_SEC;
        c->fill_rate_kib_per_sec = 4 * KIB_PER_GIB;
        strscpy(c->app_socket, TRIAGE_APP_SOCKET, sizeof(c->app_socket));
        c->grace_usec = 5 * USEC_PER_SEC;
        c->save_timeout_usec = 5 * USEC_PER_SEC;
        c->bus = true;
        c->choose_timeout_usec = 10 * USEC_PER_SEC;
        c->recent_usec = 5 * 60 * USEC_PER_SEC;
        c->age_unit_usec = 60 * USEC_PER_SEC;
        c->auto_cgroup_domains = true;
        c->n_domains = 0;
        for (size_t i = 0; i < ARRAY_SIZE(builtin_rules); i++)
                c->rules[i] = builtin_rules[i];
        c->n_rules = ARRAY_SIZE(builtin_rules);
}

struct config_parser {
        const char *name; /* the file name in messages */
        FILE *file;       /* the source: a file ... */
        const char *text; /* ... or the rest of a string */
        /* The configuration being read: defaults underneath, copied out
         * only when the whole file is valid. It is large (about 15 KiB) but
         * lives on the stack: static storage would be mutable global state,
         * and parsing happens at start-up and on SIGHUP only. */
        struct config config;
        struct config *c; /* &config */

        unsigned lineno; /* of the line libinih is parsing */
        enum config_section section;
        char section_text[CONFIG_NAME_MAX + 16]; /* "levels", "domain web" */
        unsigned section_line;
        struct config_domain *domain; /* in [domain NAME] */
        size_t domain_index;

        /* Line on which each key was set, 0 when not set: duplicates are
         * errors, and domains inherit the levels they did not set. */
        unsigned seen[N_KEYS];
        unsigned domain_seen[CONFIG_DOMAINS_MAX][N_KEYS];
        unsigned domain_line[CONFIG_DOMAINS_MAX];

        struct config_rule *rule; /* in [rule NAME] */
        size_t rule_index;
        unsigned rule_seen[CONFIG_RULES_MAX][N_KEYS];
        unsigned rule_line[CONFIG_RULES_MAX]; /* 0: a built-in the file has not named */

        int error; /* the first error, or 0 */
        unsigned error_line;
        char *errbuf;
        size_t errbuf_size;

        char line[CONFIG_LINE_MAX];
};

/* Records the first error as "FILE:LINE: message". Returns error. */
__attribute__((format(printf, 4, 5))) static int parser_fail(struct config_parser *p, int error,
                                                             unsigned lineno, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (p->error)
                return error;
        p->error = error;
        p->error_line = lineno;
        if (!p->errbuf || p->errbuf_size == 0)
                return error;
        n = snprintf(p->errbuf, p->errbuf_size, "%s:%u: ", p->name, lineno);
        if (n < 0 || (size_t)n >= p->errbuf_size)
                return error;
        va_start(ap, fmt);
        vsnprintf(p->errbuf + n, p->errbuf_size - (size_t)n, fmt, ap);
        va_end(ap);
        return error;
}

/* Reads the next line without its newline into p->line. Returns 1, 0 at
 * the end, or -errno (-E2BIG for an overlong line, -EBADMSG for a NUL). */
static int parser_getline(struct config_parser *p)
{
        size_t len = 0;

        if (p->file) {
                for (;;) {
                        int ch = getc(p->file);
                        if (ch == EOF) {
                                if (ferror(p->file))
                                        return errno > 0 ? -errno : -EIO;
                                if (len == 0)
                                        return 0;
                                break;
                        }
                        if (ch == '\n')
                                break;
                        if (ch == '\0')
                                return -EBADMSG;
                        if (len == sizeof(p->line) - 1)
                                return -E2BIG;
                        p->line[len++] = (char)ch;
                }
        } else {
                if (*p->text == '\0')
                        return 0;
                const char *end = strchrnul(p->text, '\n');
                len = (size_t)(end - p->text);
                if (len >= sizeof(p->line))
                        return -E2BIG;
                memcpy(p->line, p->text, len);
                p->text = *end ? end + 1 : end;
        }
        p->line[len] = '\0';
        return 1;
}

/* ';' or '#' at the start of a line or after a blank starts a comment. */
static void strip_comment(char *s)
{
        for (char *c = s; *c; c++)
                if ((*c == '#' || *c == ';') && (c == s || isspace((unsigned char)c[-1]))) {
                        *c = '\0';
                        return;
                }
}

/* Domain and rule names. */
static bool domain_name_valid(const char *name)
{
        size_t len = strlen(name);

        if (len == 0 || len >= CONFIG_NAME_MAX)
                return false;
        for (const char *c = name; *c; c++)
                if (!isalnum((unsigned char)*c) && !strchr("_.-", *c))
                        return false;
        return true;
}

static bool rule_has_matcher(const struct rule_match *m)
{
        return m->name[0] || m->exe[0] || m->cmdline[0] || m->has_uid || m->cgroup[0];
}

/* Closes the section being parsed: a [domain NAME] needs its cgroup, a
 * [rule NAME] of the file something to match and something to do. */
static int parser_section_end(struct config_parser *p)
{
        if (p->section == SECTION_DOMAIN && p->domain->cgroup[0] == '\0' &&
            numa_mask_empty(&p->domain->nodes) && p->domain->cpuset[0] == '\0')
                return parser_fail(p, -EINVAL, p->section_line,
                                   "missing 'cgroup', 'nodes' or 'cpuset' in section [%s]", p->section_text);
        if (p->section == SECTION_RULE && !p->rule->builtin) {
                if (!rule_has_matcher(&p->rule->match))
                        return parser_fail(p, -EINVAL, p->section_line,
                                           "missing match key in section [%s] "
                                           "(expected name, exe, cmdline, user or cgroup)",
                                           p->section_text);
                if (p->rule->actions.set == 0)
                        return parser_fail(p, -EINVAL, p->section_line,
                                           "missing action in section [%s] (expected protect, "
                                           "prefer, avoid, tier, adj, grace or kill)",
                                           p->section_text);
        }
        return 0;
}

/* "[rule NAME]": a new rule, or a change to a built-in one. */
static int parser_rule_begin(struct config_parser *p, const char *name)
{
        struct config *c = p->c;
        size_t i;

        if (name[0] == '\0')
                return parser_fail(p, -EINVAL, p->lineno, "missing rule name: '[rule]'");
        if (!domain_name_valid(name))
                return parser_fail(p, -EINVAL, p->lineno,
                                   "invalid rule name (expected 1 to 63 of A-Z a-z 0-9 _ . -): '%s'", name);
        for (i = 0; i < c->n_rules; i++)
                if (strcmp(c->rules[i].name, name) == 0)
                        break;
        if (i < c->n_rules && p->rule_line[i])
                return parser_fail(p, -EINVAL, p->lineno, "duplicate rule (first defined on line %u): '%s'",
                                   p->rule_line[i], name);
        if (i == c->n_rules) {
                if (c->n_rules >= CONFIG_RULES_MAX)
                        return parser_fail(p, -EINVAL, p->lineno,
                                           "too many rules (at most %d, the %zu built-in ones "
                                           "included): '%s'",
                                           CONFIG_RULES_MAX, ARRAY_SIZE(builtin_rules), name);
                memset(&c->rules[i], 0, sizeof(c->rules[i]));
                strscpy(c->rules[i].name, name, sizeof(c->rules[i].name));
                c->rules[i].enabled = true;
                c->rules[i].actions.tier = TIER_AUTO;
                c->n_rules++;
        }
        p->rule_index = i;
        p->rule = &c->rules[i];
        p->rule_line[i] = p->lineno;
        p->section = SECTION_RULE;
        snprintf(p->section_text, sizeof(p->section_text), "rule %s", name);
        return 0;
}

static int parser_domain_begin(struct config_parser *p, const char *name)
{
        struct config *c = p->c;

        if (name[0] == '\0')
                return parser_fail(p, -EINVAL, p->lineno, "missing domain name: '[domain]'");
        if (!domain_name_valid(name))
                return parser_fail(p, -EINVAL, p->lineno,
                                   "invalid domain name (expected 1 to 63 of A-Z a-z 0-9 _ . -): '%s'", name);
        for (size_t i = 0; i < c->n_domains; i++)
                if (strcmp(c->domains[i].name, name) == 0)
                        return parser_fail(p, -EINVAL, p->lineno,
                                           "duplicate domain (first defined on line %u): '%s'",
                                           p->domain_line[i], name);
        if (c->n_domains >= CONFIG_DOMAINS_MAX)
                return parser_fail(p, -EINVAL, p->lineno, "too many domains (at most %d): '%s'",
                                   CONFIG_DOMAINS_MAX, name);

        p->domain_index = c->n_domains++;
        p->domain = &c->domains[p->domain_index];
        p->domain_line[p->domain_index] = p->lineno;
        strscpy(p->domain->name, name, sizeof(p->domain->name));
        /* The unused NORMAL slots get their "unset" values; parser_finish()
         * replaces every level the section does not set. */
        level_config_defaults(&p->domain->levels);
        p->section = SECTION_DOMAIN;
        snprintf(p->section_text, sizeof(p->section_text), "domain %s", name);
        return 0;
}

/* Handles a "[...]" line (comments and blanks already removed). */
static int parser_section_begin(struct config_parser *p, char *s)
{
        size_t len = strlen(s);
        char *name;
        int r;

        if (len < 2 || s[len - 1] != ']')
                return parser_fail(p, -EINVAL, p->lineno, "syntax error: '%s'", s);
        r = parser_section_end(p);
        if (r < 0)
                return r;
        s[len - 1] = '\0';
        name = strstrip(s + 1);
        p->section_line = p->lineno;
        p->domain = NULL;
        p->rule = NULL;

        if (strncmp(name, "domain", 6) == 0 && (name[6] == '\0' || isspace((unsigned char)name[6])))
                return parser_domain_begin(p, strstrip(name + 6));
        if (strncmp(name, "rule", 4) == 0 && (name[4] == '\0' || isspace((unsigned char)name[4])))
                return parser_rule_begin(p, strstrip(name + 4));

        for (int i = SECTION_NONE + 1; i < _SECTION_MAX; i++)
                if (i != SECTION_DOMAIN && i != SECTION_RULE && strcmp(name, section_names[i]) == 0) {
                        p->section = (enum config_section)i;
                        strscpy(p->section_text, name, sizeof(p->section_text));
                        return 0;
                }
        return parser_fail(p, -EINVAL, p->lineno, "unknown section [%s]", name);
}

/* The ini_reader: hands libinih one cleaned line per call, so libinih's
 * line count stays ours. Returns NULL at the end or after an error. */
static char *parser_read(char *str, int num, void *stream)
{
        struct config_parser *p = stream;
        char *s;
        int r;

        if (p->error)
                return NULL;
        r = parser_getline(p);
        if (r == 0)
                return NULL;
        p->lineno++;
        if (r == -E2BIG) {
                parser_fail(p, -EINVAL, p->lineno, "line too long (more than %zu characters)",
                            sizeof(p->line) - 1);
                return NULL;
        }
        if (r == -EBADMSG) {
                parser_fail(p, -EINVAL, p->lineno, "NUL byte in line");
                return NULL;
        }
        if (r < 0) {
                parser_fail(p, r, p->lineno, "read error: %s", strerror(-r));
                return NULL;
        }

        s = p->line;
        if (p->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
                s += 3; /* a UTF-8 byte order mark */
        strip_comment(s);
        s = strstrip(s);
        if (num <= 0 || strlen(s) >= (size_t)num) {
                parser_fail(p, -EINVAL, p->lineno,
                            "setting too long (at most %d characters without comments)",
                            num > 0 ? num - 1 : 0);
                return NULL;
        }
        if (s[0] == '[') {
                if (parser_section_begin(p, s) < 0)
                        return NULL;
                /* libinih does not need the header: parser_handle() uses ours. */
                s[0] = '\0';
        } else if (s[0] != '\0' && !strpbrk(s, "=:")) {
                /* libinih would reject it too, but without the text. */
                parser_fail(p, -EINVAL, p->lineno, "syntax error (expected key = value): '%s'", s);
                return NULL;
        }
        memcpy(str, s, strlen(s) + 1);
        return str;
}

/* A key of a [rule] section that sets the same action as k and was
 * already given in the section ("prefer" and "tier"), or -1. */
static int parser_rule_conflict(const struct config_parser *p, const struct config_key *k)
{
        unsigned action = rule_key_action(k);

        if (!action)
                return -1;
        for (size_t j = 0; j < N_KEYS; j++)
                if (&config_keys[j] != k && rule_key_action(&config_keys[j]) == action &&
                    p->rule_seen[p->rule_index][j])
                        return (int)j;
        return -1;
}

/* What a [domain NAME] is comes from exactly one of these keys: the one
 * of them already given in the section other than k, or -1. */
static int parser_domain_conflict(const struct config_parser *p, const struct config_key *k)
{
        static const char *const kinds[] = { "cgroup", "nodes", "cpuset" };
        bool is_kind = false;

        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
                is_kind |= strcmp(k->name, kinds[i]) == 0;
        if (k->section != SECTION_DOMAIN || !is_kind)
                return -1;
        for (size_t j = 0; j < N_KEYS; j++) {
                if (&config_keys[j] == k || config_keys[j].section != SECTION_DOMAIN ||
                    !p->domain_seen[p->domain_index][j])
                        continue;
                for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
                        if (strcmp(config_keys[j].name, kinds[i]) == 0)
                                return (int)j;
        }
        return -1;
}

static int parser_set(struct config_parser *p, const char *name, const char *value)
{
        const struct config_key *k;
        unsigned *seen;
        void *sub;
        int i, other;

        if (p->section == SECTION_NONE)
                return parser_fail(p, -EINVAL, p->lineno, "key outside of any section: '%s'", name);
        i = config_key_find(p->section, name);
        if (i < 0)
                return parser_fail(p, -EINVAL, p->lineno, "unknown key '%s' in section [%s]", name,
                                   p->section_text);
        k = &config_keys[i];
        if (p->section == SECTION_DOMAIN) {
                seen = &p->domain_seen[p->domain_index][i];
                sub = p->domain;
        } else if (p->section == SECTION_RULE) {
                seen = &p->rule_seen[p->rule_index][i];
                sub = p->rule;
        } else {
                seen = &p->seen[i];
                sub = NULL;
        }
        if (*seen)
                return parser_fail(p, -EINVAL, p->lineno,
                                   "duplicate key '%s' in section [%s] (first set on line %u)", name,
                                   p->section_text, *seen);
        if (p->section == SECTION_DOMAIN && (other = parser_domain_conflict(p, k)) >= 0)
                return parser_fail(p, -EINVAL, p->lineno,
                                   "conflicting keys '%s' and '%s' in section [%s] (first set on line %u; "
                                   "a domain is a cgroup, nodes or a cpuset)",
                                   name, config_keys[other].name, p->section_text,
                                   p->domain_seen[p->domain_index][other]);
        if (p->section == SECTION_RULE && (other = parser_rule_conflict(p, k)) >= 0)
                return parser_fail(p, -EINVAL, p->lineno,
                                   "conflicting keys '%s' and '%s' in section [%s] (first set on line %u)",
                                   name, config_keys[other].name, p->section_text,
                                   p->rule_seen[p->rule_index][other]);
        if (k->parse(k, value, config_key_field(k, p->c, sub)) < 0) {
                char why[128];

                if (k->parse == parse_regex_key)
                        return parser_fail(p, -EINVAL, p->lineno,
                                           "invalid value for '%s': '%s' (expected %s: %s)", name, value,
                                           k->expect, describe_regex_error(value, why, sizeof(why)));
                return parser_fail(p, -EINVAL, p->lineno, "invalid value for '%s': '%s' (expected %s)", name,
                                   value, k->expect);
        }
        if (p->section == SECTION_RULE)
                p->rule->actions.set |= rule_key_action(k);
        *seen = p->lineno;
        return 0;
}

/* The libinih handler: one call per "key = value"; returns 0 to stop. */
static int parser_handle(void *user, const char *section, const char *name, const char *value)
{
        struct config_parser *p = user;

        (void)section; /* parser_read() tracks the section */
        if (p->error)
                return 0;
        return parser_set(p, name, value) >= 0;
}

/* Checks lo < hi (or lo <= hi) for two duration keys of [monitor] and
 * blames whichever of the two was set last. */
static int parser_check_order(struct config_parser *p, const char *lo_name, const char *hi_name, bool strict)
{
        int lo = config_key_find(SECTION_MONITOR, lo_name);
        int hi = config_key_find(SECTION_MONITOR, hi_name);
        uint64_t lo_usec = *(const uint64_t *)config_key_field(&config_keys[lo], p->c, NULL);
        uint64_t hi_usec = *(const uint64_t *)config_key_field(&config_keys[hi], p->c, NULL);
        char lo_text[32], hi_text[32];

        if (strict ? lo_usec < hi_usec : lo_usec <= hi_usec)
                return 0;
        format_duration(lo_usec, lo_text, sizeof(lo_text));
        format_duration(hi_usec, hi_text, sizeof(hi_text));
        if (p->seen[lo] >= p->seen[hi])
                return parser_fail(p, -EINVAL, p->seen[lo],
                                   "invalid value for '%s': '%s' (must be %s %s = %s)", lo_name, lo_text,
                                   strict ? "shorter than" : "at most", hi_name, hi_text);
        return parser_fail(p, -EINVAL, p->seen[hi], "invalid value for '%s': '%s' (must be %s %s = %s)",
                           hi_name, hi_text, strict ? "longer than" : "at least", lo_name, lo_text);
}

/* Checks what only the whole file can tell, then lets every domain inherit
 * the [levels] values in force at the end for the keys it did not set. */
static int parser_finish(struct config_parser *p)
{
        struct config *c = p->c;
        int r;

        r = parser_section_end(p);
        if (r < 0)
                return r;
        r = parser_check_order(p, "psi_stall", "psi_window", true);
        if (r < 0)
                return r;
        r = parser_check_order(p, "poll_min", "poll_max", false);
        if (r < 0)
                return r;

        for (size_t d = 0; d < c->n_domains; d++) {
                struct config_domain *dom = &c->domains[d];
                dom->has_levels = false;
                for (size_t i = 0; i < N_KEYS; i++) {
                        const struct config_key *k = &config_keys[i];
                        if (k->section != SECTION_LEVELS)
                                continue;
                        if (p->domain_seen[d][i])
                                dom->has_levels = true;
                        else
                                memcpy(config_key_field(k, c, dom), config_key_field(k, c, NULL), k->size);
                }
        }
        return 0;
}

static int config_parse(struct config_parser *p, struct config *ret)
{
        int r;

        r = ini_parse_stream(parser_read, p, parser_handle, p);
        if (r > 0 && (!p->error || (unsigned)r < p->error_line)) {
                /* An error libinih found and parser_read() did not
                 * foresee; it is the first one. */
                p->error = 0;
                parser_fail(p, -EINVAL, (unsigned)r, "syntax error");
        } else if (r < 0 && !p->error) {
                parser_fail(p, -ENOMEM, p->lineno, "out of memory");
        }
        if (p->error)
                return p->error;
        r = parser_finish(p);
        if (r < 0)
                return r;
        memcpy(ret, p->c, sizeof(*ret));
        return 0;
}

static void parser_init(struct config_parser *p, const char *name, char *errbuf, size_t errbuf_size)
{
        memset(p, 0, sizeof(*p));
        config_defaults(&p->config);
        p->c = &p->config;
        p->name = name;
        p->errbuf = errbuf;
        p->errbuf_size = errbuf_size;
        if (errbuf && errbuf_size > 0)
                errbuf[0] = '\0';
}

int config_load(const char *path, struct config *ret, char *errbuf, size_t errbuf_size)
{
        struct config_parser p;
        int r;

        parser_init(&p, path, errbuf, errbuf_size);
        p.file = fopen(path, "re");
        if (!p.file) {
                r = -errno;
                if (r == -ENOENT) {
                        config_defaults(ret);
                        return -ENOENT;
                }
                if (errbuf && errbuf_size > 0)
                        snprintf(errbuf, errbuf_size, "%s: %s", path, strerror(-r));
                return r;
        }
        r = config_parse(&p, ret);
        fclose(p.file);
        return r;
}

int config_load_string(const char *name, const char *text, struct config *ret, char *errbuf,
                       size_t errbuf_size)
{
        struct config_parser p;

        parser_init(&p, name ? name : "<string>", errbuf, errbuf_size);
        p.text = text;
        return config_parse(&p, ret);
}

struct dump {
        char *buf;
        size_t size;
        size_t len; /* what would have been written */
};

__attribute__((format(printf, 2, 3))) static void dump_printf(struct dump *d, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(d->len < d->size ? d->buf + d->len : NULL, d->len < d->size ? d->size - d->len : 0, fmt,
                      ap);
        va_end(ap);
        if (n > 0)
                d->len += (size_t)n;
}

static void dump_keys(struct dump *d, enum config_section section, const struct config *c,
                      const struct config_domain *dom)
{
        char value[CONFIG_PATH_MAX + 32];

        for (size_t i = 0; i < N_KEYS; i++) {
                const struct config_key *k = &config_keys[i];
                if (k->section != section)
                        continue;
                k->format(config_key_field_const(k, c, dom), value, sizeof(value));
                if (section == SECTION_DOMAIN && value[0] == '\0')
                        continue; /* cgroup, nodes or cpuset: the ones not given */
                dump_printf(d, "%s = %s\n", k->name, value);
        }
}

/* A rule's given matchers and set actions ("prefer" is written as "tier"). */
static void dump_rule(struct dump *d, const struct config *c, const struct config_rule *r)
{
        char value[RULE_PATTERN_MAX + 32];

        dump_printf(d, "\n[rule %s]\n", r->name);
        for (size_t i = 0; i < N_KEYS; i++) {
                const struct config_key *k = &config_keys[i];
                if (k->section != SECTION_RULE || k->parse == parse_prefer_key)
                        continue;
                if (rule_key_action(k) && !(r->actions.set & rule_key_action(k)))
                        continue;
                k->format(config_key_field_const(k, c, r), value, sizeof(value));
                if (value[0] == '\0')
                        continue; /* a matcher that is not given */
                dump_printf(d, "%s = %s\n", k->name, value);
        }
}

int config_dump(const struct config *c, char *buf, size_t size)
{
        struct dump d = { .buf = buf, .size = size, .len = 0 };

        if (size > 0)
                buf[0] = '\0';
        for (int s = SECTION_DAEMON; s <= SECTION_DOMAINS; s++) {
                dump_printf(&d, "%s[%s]\n", s == SECTION_DAEMON ? "" : "\n", section_names[s]);
                dump_keys(&d, (enum config_section)s, c, NULL);
        }
        for (size_t i = 0; i < c->n_domains && i < CONFIG_DOMAINS_MAX; i++) {
                const struct config_domain *dom = &c->domains[i];
                dump_printf(&d, "\n[domain %s]\n", dom->name);
                dump_keys(&d, SECTION_DOMAIN, c, dom);
                if (dom->has_levels)
                        dump_keys(&d, SECTION_LEVELS, c, dom);
        }
        for (size_t i = 0; i < c->n_rules && i < CONFIG_RULES_MAX; i++)
                dump_rule(&d, c, &c->rules[i]);
        if (d.len >= size)
                return -ENOBUFS;
        return (int)d.len;
}
