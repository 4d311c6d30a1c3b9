/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "triage-paths.h"
#include "util.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define MSEC USEC_PER_MSEC
#define SEC USEC_PER_SEC

#define DATA_CONF FIXTURES "/../../data/triage.conf"
#define MAN_PAGE FIXTURES "/../../man/triage.conf.5"

static void assert_threshold(const struct threshold *t, double percent, uint64_t bytes)
{
        if (percent >= 0) {
                assert_true(t->percent == percent);
                assert_int_equal(t->bytes, 0);
        } else {
                assert_true(t->percent < 0);
                assert_int_equal(t->bytes, bytes);
        }
}

static void assert_levels_equal(const struct level_config *a, const struct level_config *b)
{
        for (int l = 0; l < _TRIAGE_LEVEL_MAX; l++) {
                assert_true(a->mem[l].percent == b->mem[l].percent);
                assert_int_equal(a->mem[l].bytes, b->mem[l].bytes);
                assert_true(a->psi_full_avg10[l] == b->psi_full_avg10[l]);
        }
        assert_true(a->hysteresis.percent == b->hysteresis.percent);
        assert_int_equal(a->hysteresis.bytes, b->hysteresis.bytes);
}

static void assert_rule_equal(const struct config_rule *a, const struct config_rule *b)
{
        assert_string_equal(a->name, b->name);
        assert_int_equal(a->enabled, b->enabled);
        assert_int_equal(a->builtin, b->builtin);
        assert_string_equal(a->match.name, b->match.name);
        assert_string_equal(a->match.exe, b->match.exe);
        assert_string_equal(a->match.cmdline, b->match.cmdline);
        assert_string_equal(a->match.cgroup, b->match.cgroup);
        assert_int_equal(a->match.has_uid, b->match.has_uid);
        if (a->match.has_uid) {
                assert_string_equal(a->match.user, b->match.user);
                assert_int_equal(a->match.uid, b->match.uid);
        }
        assert_int_equal(a->actions.set, b->actions.set);
        /* only the actions that are set mean anything */
        if (a->actions.set & RULE_ACTION_BIT(RULE_ACTION_PROTECT))
                assert_int_equal(a->actions.protect, b->actions.protect);
        if (a->actions.set & RULE_ACTION_BIT(RULE_ACTION_TIER))
                assert_int_equal(a->actions.tier, b->actions.tier);
        if (a->actions.set & RULE_ACTION_BIT(RULE_ACTION_AVOID))
                assert_int_equal(a->actions.avoid, b->actions.avoid);
        if (a->actions.set & RULE_ACTION_BIT(RULE_ACTION_ADJ))
                assert_int_equal(a->actions.adj, b->actions.adj);
        if (a->actions.set & RULE_ACTION_BIT(RULE_ACTION_GRACE))
                assert_int_equal(a->actions.grace_usec, b->actions.grace_usec);
        if (a->actions.set & RULE_ACTION_BIT(RULE_ACTION_KILL))
                assert_int_equal(a->actions.kill, b->actions.kill);
}

/* Field by field, so that a field the parser forgets to fill shows up. */
static void assert_config_equal(const struct config *a, const struct config *b)
{
        assert_int_equal(a->dry_run, b->dry_run);
        assert_int_equal(a->badness, b->badness);
        assert_int_equal(a->max_processes, b->max_processes);
        assert_string_equal(a->control_socket, b->control_socket);
        assert_int_equal(a->mlock, b->mlock);
        assert_levels_equal(&a->levels, &b->levels);
        assert_int_equal(a->kill_wait_usec, b->kill_wait_usec);
        assert_int_equal(a->kill_process_group, b->kill_process_group);
        assert_int_equal(a->psi_stall_usec, b->psi_stall_usec);
        assert_int_equal(a->psi_window_usec, b->psi_window_usec);
        assert_int_equal(a->poll_min_usec, b->poll_min_usec);
        assert_int_equal(a->poll_max_usec, b->poll_max_usec);
        assert_int_equal(a->fill_rate_kib_per_sec, b->fill_rate_kib_per_sec);
        assert_int_equal(a->auto_cgroup_domains, b->auto_cgroup_domains);
        assert_int_equal(a->n_domains, b->n_domains);
        for (size_t i = 0; i < a->n_domains; i++) {
                assert_string_equal(a->domains[i].name, b->domains[i].name);
                assert_string_equal(a->domains[i].cgroup, b->domains[i].cgroup);
                assert_true(numa_mask_equal(&a->domains[i].nodes, &b->domains[i].nodes));
                assert_string_equal(a->domains[i].cpuset, b->domains[i].cpuset);
                assert_int_equal(a->domains[i].has_levels, b->domains[i].has_levels);
                assert_levels_equal(&a->domains[i].levels, &b->domains[i].levels);
        }
        assert_int_equal(a->n_rules, b->n_rules);
        for (size_t i = 0; i < a->n_rules; i++)
                assert_rule_equal(&a->rules[i], &b->rules[i]);
}

static void assert_load_error(const char *text, const char *expected)
{
        char err[CONFIG_ERROR_MAX];
        struct config c;
        int r;

        r = config_load_string("t.conf", text, &c, err, sizeof(err));
        if (r != -EINVAL)
                fail_msg("loading \"%s\" returned %d, expected -EINVAL", text, r);
        if (strcmp(err, expected) != 0)
                fail_msg("loading \"%s\":\n  got      \"%s\"\n  expected \"%s\"", text, err, expected);
}

/* For messages that quote a long value: the start must match. */
static void load_error_prefix(const char *text, const char *expected_prefix)
{
        char err[CONFIG_ERROR_MAX];
        struct config c;

        assert_int_equal(config_load_string("t.conf", text, &c, err, sizeof(err)), -EINVAL);
        if (strncmp(err, expected_prefix, strlen(expected_prefix)) != 0)
                fail_msg("got \"%s\", expected it to start with \"%s\"", err, expected_prefix);
}

static void load_ok(const char *text, struct config *c)
{
        char err[CONFIG_ERROR_MAX];
        int r;

        r = config_load_string("t.conf", text, c, err, sizeof(err));
        if (r != 0)
                fail_msg("loading \"%s\" returned %d: %s", text, r, err);
}

static void test_defaults(void **state)
{
        struct config c;

        config_defaults(&c);
        assert_false(c.dry_run);
        assert_int_equal(c.badness, BADNESS_KERNEL);
        assert_int_equal(c.max_processes, 0);
        assert_string_equal(c.control_socket, TRIAGE_CONTROL_SOCKET);
        assert_true(c.mlock);
        assert_threshold(&c.levels.mem[TRIAGE_LEVEL_LOW], 20, 0);
        assert_threshold(&c.levels.mem[TRIAGE_LEVEL_MEDIUM], 15, 0);
        assert_threshold(&c.levels.mem[TRIAGE_LEVEL_CRITICAL], 10, 0);
        assert_threshold(&c.levels.mem[TRIAGE_LEVEL_EMERGENCY], 5, 0);
        assert_threshold(&c.levels.hysteresis, 2, 0);
        assert_true(c.levels.psi_full_avg10[TRIAGE_LEVEL_LOW] < 0);
        assert_true(c.levels.psi_full_avg10[TRIAGE_LEVEL_MEDIUM] < 0);
        assert_true(c.levels.psi_full_avg10[TRIAGE_LEVEL_CRITICAL] == 40);
        assert_true(c.levels.psi_full_avg10[TRIAGE_LEVEL_EMERGENCY] < 0);
        assert_int_equal(c.kill_wait_usec, 5 * SEC);
        assert_int_equal(c.psi_stall_usec, 100 * MSEC);
        assert_int_equal(c.psi_window_usec, 1 * SEC);
        assert_int_equal(c.poll_min_usec, 20 * MSEC);
        assert_int_equal(c.poll_max_usec, 10 * SEC);
        assert_int_equal(c.fill_rate_kib_per_sec, 4 * GIB / 1024);
        assert_true(c.auto_cgroup_domains);
        assert_int_equal(c.n_domains, 0);
}

static void test_empty(void **state)
{
        struct config c, d;

        config_defaults(&d);
        load_ok("", &c);
        assert_config_equal(&c, &d);
        load_ok("# only a comment\n\n; and another\n[daemon]\n", &c);
        assert_config_equal(&c, &d);
}

static const char full_text[] = "[daemon]\n"
                                "dry_run = yes\n"
                                "badness = 2010\n"
                                "max_processes = 4096\n"
                                "control_socket = /run/test/ctl.sock\n"
                                "mlock = no\n"
                                "[levels]\n"
                                "low = 25%\n"
                                "medium = 1G\n"
                                "critical = 12.5%\n"
                                "emergency = 256M\n"
                                "hysteresis = 64M\n"
                                "psi_low = 10\n"
                                "psi_medium = 20.5%\n"
                                "psi_critical = off\n"
                                "psi_emergency = 80\n"
                                "[kill]\n"
                                "wait_timeout = 750ms\n"
                                "[monitor]\n"
                                "psi_stall = 150ms\n"
                                "psi_window = 2s\n"
                                "poll_min = 50ms\n"
                                "poll_max = 2min\n"
                                "fill_rate = 512M/s\n"
                                "[domains]\n"
                                "auto_cgroups = no\n"
                                "[domain web]\n"
                                "cgroup = /system.slice/web.service\n"
                                "critical = 20%\n"
                                "psi_emergency = off\n"
                                "[domain db]\n"
                                "cgroup = /system.slice/db.service\n";

static void check_full(const struct config *c)
{
        const struct level_config *web, *db;

        assert_true(c->dry_run);
        assert_int_equal(c->badness, BADNESS_2010);
        assert_int_equal(c->max_processes, 4096);
        assert_string_equal(c->control_socket, "/run/test/ctl.sock");
        assert_false(c->mlock);
        assert_threshold(&c->levels.mem[TRIAGE_LEVEL_LOW], 25, 0);
        assert_threshold(&c->levels.mem[TRIAGE_LEVEL_MEDIUM], -1, GIB);
        assert_threshold(&c->levels.mem[TRIAGE_LEVEL_CRITICAL], 12.5, 0);
        assert_threshold(&c->levels.mem[TRIAGE_LEVEL_EMERGENCY], -1, 256 * MIB);
        assert_threshold(&c->levels.hysteresis, -1, 64 * MIB);
        assert_true(c->levels.psi_full_avg10[TRIAGE_LEVEL_LOW] == 10);
        assert_true(c->levels.psi_full_avg10[TRIAGE_LEVEL_MEDIUM] == 20.5);
        assert_true(c->levels.psi_full_avg10[TRIAGE_LEVEL_CRITICAL] < 0);
        assert_true(c->levels.psi_full_avg10[TRIAGE_LEVEL_EMERGENCY] == 80);
        assert_int_equal(c->kill_wait_usec, 750 * MSEC);
        assert_int_equal(c->psi_stall_usec, 150 * MSEC);
        assert_int_equal(c->psi_window_usec, 2 * SEC);
        assert_int_equal(c->poll_min_usec, 50 * MSEC);
        assert_int_equal(c->poll_max_usec, 120 * SEC);
        assert_int_equal(c->fill_rate_kib_per_sec, 512 * 1024);
        assert_false(c->auto_cgroup_domains);

        assert_int_equal(c->n_domains, 2);
        assert_string_equal(c->domains[0].name, "web");
        assert_string_equal(c->domains[0].cgroup, "/system.slice/web.service");
        assert_true(c->domains[0].has_levels);
        web = &c->domains[0].levels;
        /* set in the domain */
        assert_threshold(&web->mem[TRIAGE_LEVEL_CRITICAL], 20, 0);
        assert_true(web->psi_full_avg10[TRIAGE_LEVEL_EMERGENCY] < 0);
        /* inherited from [levels] */
        assert_threshold(&web->mem[TRIAGE_LEVEL_LOW], 25, 0);
        assert_threshold(&web->mem[TRIAGE_LEVEL_MEDIUM], -1, GIB);
        assert_threshold(&web->mem[TRIAGE_LEVEL_EMERGENCY], -1, 256 * MIB);
        assert_threshold(&web->hysteresis, -1, 64 * MIB);
        assert_true(web->psi_full_avg10[TRIAGE_LEVEL_LOW] == 10);
        assert_true(web->psi_full_avg10[TRIAGE_LEVEL_MEDIUM] == 20.5);
        assert_true(web->psi_full_avg10[TRIAGE_LEVEL_CRITICAL] < 0);

        assert_string_equal(c->domains[1].name, "db");
        assert_string_equal(c->domains[1].cgroup, "/system.slice/db.service");
        assert_false(c->domains[1].has_levels);
        db = &c->domains[1].levels;
        assert_levels_equal(db, &c->levels);
}

static void test_every_key(void **state)
{
        struct config c;

        load_ok(full_text, &c);
        check_full(&c);
}

static void test_load_file(void **state)
{
        char err[CONFIG_ERROR_MAX];
        struct config c;

        assert_int_equal(config_load(FIXTURES "/config/full.conf", &c, err, sizeof(err)), 0);
        check_full(&c);
}

/* Unspecified domain levels come from the [levels] values in force at the
 * end of the file, even when [levels] comes after the domain. */
static void test_domain_inheritance(void **state)
{
        struct config c;
        const struct level_config *web;

        load_ok("[domain web]\n"
                "cgroup = /web.slice\n"
                "critical = 300M\n"
                "[levels]\n"
                "low = 30%\n"
                "psi_critical = off\n"
                "psi_low = 5\n"
                "[domain db]\n"
                "cgroup = /db.slice\n",
                &c);
        assert_int_equal(c.n_domains, 2);
        web = &c.domains[0].levels;
        assert_true(c.domains[0].has_levels);
        assert_threshold(&web->mem[TRIAGE_LEVEL_CRITICAL], -1, 300 * MIB);
        assert_threshold(&web->mem[TRIAGE_LEVEL_LOW], 30, 0);
        assert_threshold(&web->mem[TRIAGE_LEVEL_MEDIUM], 15, 0);
        assert_threshold(&web->mem[TRIAGE_LEVEL_EMERGENCY], 5, 0);
        assert_threshold(&web->hysteresis, 2, 0);
        assert_true(web->psi_full_avg10[TRIAGE_LEVEL_CRITICAL] < 0);
        assert_true(web->psi_full_avg10[TRIAGE_LEVEL_LOW] == 5);
        assert_false(c.domains[1].has_levels);
        assert_levels_equal(&c.domains[1].levels, &c.levels);
        /* the global critical level is untouched by the domain's */
        assert_threshold(&c.levels.mem[TRIAGE_LEVEL_CRITICAL], 10, 0);

        /* the same key in two domains is not a duplicate */
        load_ok("[domain a]\ncgroup = /a\nlow = 1G\n[domain b]\ncgroup = /b\nlow = 2G\n", &c);
        assert_threshold(&c.domains[0].levels.mem[TRIAGE_LEVEL_LOW], -1, GIB);
        assert_threshold(&c.domains[1].levels.mem[TRIAGE_LEVEL_LOW], -1, 2 * GIB);
}

/* A domain is a cgroup, a set of NUMA nodes or a cpuset: exactly one. */
static void test_node_domains(void **state)
{
        char buf[CONFIG_DUMP_MAX], err[CONFIG_ERROR_MAX];
        struct config c, d;

        load_ok("[domain n0]\n"
                "nodes = 0\n"
                "[domain web]\n"
                "cpuset = /web\n"
                "low = 20%\n"
                "[domain far]\n"
                "nodes = 8, 0-3 ,63\n"
                "[domain app]\n"
                "cgroup = /app.slice\n",
                &c);
        assert_int_equal(c.n_domains, 4);
        assert_int_equal(c.domains[0].nodes.bits, 0x1);
        assert_false(c.domains[0].nodes.high);
        assert_string_equal(c.domains[0].cgroup, "");
        assert_string_equal(c.domains[0].cpuset, "");
        assert_false(c.domains[0].has_levels);
        assert_string_equal(c.domains[1].cpuset, "/web");
        assert_true(numa_mask_empty(&c.domains[1].nodes));
        assert_string_equal(c.domains[1].cgroup, "");
        assert_true(c.domains[1].has_levels);
        assert_threshold(&c.domains[1].levels.mem[TRIAGE_LEVEL_LOW], 20, 0);
        assert_int_equal(c.domains[2].nodes.bits, 0x10f | (UINT64_C(1) << 63));
        assert_string_equal(c.domains[3].cgroup, "/app.slice");
        assert_true(numa_mask_empty(&c.domains[3].nodes));
        assert_string_equal(c.domains[3].cpuset, "");

        /* The dump writes only the key given, the node list normalized,
         * and loads back the same. */
        assert_true(config_dump(&c, buf, sizeof(buf)) > 0);
        assert_non_null(strstr(buf, "[domain n0]\nnodes = 0\n"));
        assert_non_null(strstr(buf, "[domain web]\ncpuset = /web\n"));
        assert_non_null(strstr(buf, "[domain far]\nnodes = 0-3,8,63\n"));
        assert_non_null(strstr(buf, "[domain app]\ncgroup = /app.slice\n"));
        assert_null(strstr(buf, "cgroup = \n"));
        assert_null(strstr(buf, "nodes = \n"));
        assert_null(strstr(buf, "cpuset = \n"));
        assert_int_equal(config_load_string("dump", buf, &d, err, sizeof(err)), 0);
        assert_config_equal(&c, &d);

        static const struct {
                const char *text, *error;
        } bad[] = {
                { "[domain n]\nnodes = 64\n",
                  "t.conf:2: invalid value for 'nodes': '64' (expected NUMA node numbers from 0 to 63, like 0-1,4)" },
                { "[domain n]\nnodes = 0-64\n",
                  "t.conf:2: invalid value for 'nodes': '0-64' (expected NUMA node numbers from 0 to 63, like 0-1,4)" },
                { "[domain n]\nnodes = 1-0\n",
                  "t.conf:2: invalid value for 'nodes': '1-0' (expected NUMA node numbers from 0 to 63, like 0-1,4)" },
                { "[domain n]\nnodes = node0\n",
                  "t.conf:2: invalid value for 'nodes': 'node0' (expected NUMA node numbers from 0 to 63, like 0-1,4)" },
                { "[domain n]\nnodes =\n",
                  "t.conf:2: invalid value for 'nodes': '' (expected NUMA node numbers from 0 to 63, like 0-1,4)" },
                { "[domain n]\nnodes = 0,\n",
                  "t.conf:2: invalid value for 'nodes': '0,' (expected NUMA node numbers from 0 to 63, like 0-1,4)" },
                { "[domain w]\ncpuset = web\n",
                  "t.conf:2: invalid value for 'cpuset': 'web' (expected an absolute path under the cpuset cgroup mount of at most 190 characters)" },
                { "[domain w]\ncpuset = /a/../b\n",
                  "t.conf:2: invalid value for 'cpuset': '/a/../b' (expected an absolute path under the cpuset cgroup mount of at most 190 characters)" },
                { "[domain x]\ncgroup = /x\nnodes = 0\n",
                  "t.conf:3: conflicting keys 'nodes' and 'cgroup' in section [domain x] (first set on line 2; a domain is a cgroup, nodes or a cpuset)" },
                { "[domain x]\n# the nodes\nnodes = 0-1\nlow = 5%\ncpuset = /x\n",
                  "t.conf:5: conflicting keys 'cpuset' and 'nodes' in section [domain x] (first set on line 3; a domain is a cgroup, nodes or a cpuset)" },
                { "[domain x]\ncpuset = /x\ncgroup = /x\n",
                  "t.conf:3: conflicting keys 'cgroup' and 'cpuset' in section [domain x] (first set on line 2; a domain is a cgroup, nodes or a cpuset)" },
                { "[domain x]\nnodes = 0\nnodes = 1\n",
                  "t.conf:3: duplicate key 'nodes' in section [domain x] (first set on line 2)" },
                { "[domain x]\nlow = 5%\n[domain y]\nnodes = 0\n",
                  "t.conf:1: missing 'cgroup', 'nodes' or 'cpuset' in section [domain x]" },
                { "[domain y]\nnodes = 0\n[rule r]\nname = x\nnodes = 0\n",
                  "t.conf:5: unknown key 'nodes' in section [rule r]" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_load_error(bad[i].text, bad[i].error);

        /* Keys of different domains do not conflict. */
        load_ok("[domain a]\ncgroup = /a\n[domain b]\nnodes = 1\n[domain c]\ncpuset = /\n", &c);
        assert_int_equal(c.n_domains, 3);
        assert_string_equal(c.domains[2].cpuset, "/");
}

static void test_valid_edges(void **state)
{
        struct config c;

        load_ok("[daemon]\nmax_processes = 1\n", &c);
        assert_int_equal(c.max_processes, 1);
        load_ok("[daemon]\nmax_processes = 4194304\n", &c);
        assert_int_equal(c.max_processes, 4194304);
        load_ok("[daemon]\nmax_processes = auto\n", &c);
        assert_int_equal(c.max_processes, 0);
        load_ok("[daemon]\ndry_run = TRUE\nmlock = off\n", &c);
        assert_true(c.dry_run);
        assert_false(c.mlock);
        /* 107 characters: the longest path bind() takes */
        char text[256];
        snprintf(text, sizeof(text), "[daemon]\ncontrol_socket = /%0106d\n", 0);
        load_ok(text, &c);
        assert_int_equal(strlen(c.control_socket), 107);
        load_ok("[kill]\nwait_timeout = 100ms\n", &c);
        assert_int_equal(c.kill_wait_usec, 100 * MSEC);
        load_ok("[kill]\nwait_timeout = 10min\n", &c);
        assert_int_equal(c.kill_wait_usec, 600 * SEC);
        load_ok("[kill]\nwait_timeout = 2\n", &c);
        assert_int_equal(c.kill_wait_usec, 2 * SEC);
        load_ok("[monitor]\npsi_window = 500ms\npsi_stall = 499ms\n", &c);
        assert_int_equal(c.psi_window_usec, 500 * MSEC);
        assert_int_equal(c.psi_stall_usec, 499 * MSEC);
        load_ok("[monitor]\npsi_window = 10s\npsi_stall = 1ms\n", &c);
        assert_int_equal(c.psi_window_usec, 10 * SEC);
        assert_int_equal(c.psi_stall_usec, 1 * MSEC);
        load_ok("[monitor]\npoll_min = 1s\npoll_max = 1s\n", &c);
        assert_int_equal(c.poll_min_usec, 1 * SEC);
        assert_int_equal(c.poll_max_usec, 1 * SEC);
        load_ok("[monitor]\nfill_rate = 1M\n", &c);
        assert_int_equal(c.fill_rate_kib_per_sec, 1024);
        load_ok("[monitor]\nfill_rate = 1T/s\n", &c);
        assert_int_equal(c.fill_rate_kib_per_sec, UINT64_C(1) << 30);
        load_ok("[levels]\nlow = 0%\nmedium = 100%\nemergency = 0\npsi_low = 0\npsi_medium = 100%\n", &c);
        assert_threshold(&c.levels.mem[TRIAGE_LEVEL_LOW], 0, 0);
        assert_threshold(&c.levels.mem[TRIAGE_LEVEL_MEDIUM], 100, 0);
        assert_threshold(&c.levels.mem[TRIAGE_LEVEL_EMERGENCY], -1, 0);
        assert_true(c.levels.psi_full_avg10[TRIAGE_LEVEL_LOW] == 0);
        assert_true(c.levels.psi_full_avg10[TRIAGE_LEVEL_MEDIUM] == 100);
        load_ok("[domain a-b_c.9]\ncgroup = /a..b/c../..d\n", &c);
        assert_string_equal(c.domains[0].name, "a-b_c.9");
        assert_string_equal(c.domains[0].cgroup, "/a..b/c../..d");
        load_ok("[domain 123456789012345678901234567890123456789012345678901234567890123]\n"
                "cgroup = /\n",
                &c);
        assert_int_equal(strlen(c.domains[0].name), 63);
}

static void test_invalid_values(void **state)
{
        static const struct {
                const char *text;
                const char *error;
        } cases[] = {
                { "[daemon]\ndry_run = maybe\n",
                  "t.conf:2: invalid value for 'dry_run': 'maybe' (expected yes or no)" },
                { "[daemon]\nbadness = 2011\n",
                  "t.conf:2: invalid value for 'badness': '2011' (expected kernel or 2010)" },
                { "[daemon]\nmax_processes = 0\n",
                  "t.conf:2: invalid value for 'max_processes': '0' (expected auto or a number from 1 to 4194304)" },
                { "[daemon]\nmax_processes = 4194305\n",
                  "t.conf:2: invalid value for 'max_processes': '4194305' (expected auto or a number from 1 to 4194304)" },
                { "[daemon]\nmax_processes = -1\n",
                  "t.conf:2: invalid value for 'max_processes': '-1' (expected auto or a number from 1 to 4194304)" },
                { "[daemon]\ncontrol_socket = run/ctl.sock\n",
                  "t.conf:2: invalid value for 'control_socket': 'run/ctl.sock' (expected an absolute path of at most 107 characters)" },
                { "[daemon]\nmlock = 2\n", "t.conf:2: invalid value for 'mlock': '2' (expected yes or no)" },
                { "[levels]\ncritical = 110%\n",
                  "t.conf:2: invalid value for 'critical': '110%' (expected a percentage 0..100% or a size like 512M)" },
                { "[levels]\nlow = -5%\n",
                  "t.conf:2: invalid value for 'low': '-5%' (expected a percentage 0..100% or a size like 512M)" },
                { "[levels]\nmedium = 12.5M\n",
                  "t.conf:2: invalid value for 'medium': '12.5M' (expected a percentage 0..100% or a size like 512M)" },
                { "[levels]\nemergency =\n",
                  "t.conf:2: invalid value for 'emergency': '' (expected a percentage 0..100% or a size like 512M)" },
                { "[levels]\nhysteresis = 5X\n",
                  "t.conf:2: invalid value for 'hysteresis': '5X' (expected a percentage 0..100% or a size like 512M)" },
                { "[levels]\npsi_low = 101\n",
                  "t.conf:2: invalid value for 'psi_low': '101' (expected a percentage 0..100 or off)" },
                { "[levels]\npsi_medium = -1\n",
                  "t.conf:2: invalid value for 'psi_medium': '-1' (expected a percentage 0..100 or off)" },
                { "[levels]\npsi_critical = no\n",
                  "t.conf:2: invalid value for 'psi_critical': 'no' (expected a percentage 0..100 or off)" },
                { "[levels]\npsi_emergency = 50M\n",
                  "t.conf:2: invalid value for 'psi_emergency': '50M' (expected a percentage 0..100 or off)" },
                { "[kill]\nwait_timeout = 99ms\n",
                  "t.conf:2: invalid value for 'wait_timeout': '99ms' (expected a duration from 100ms to 10min)" },
                { "[kill]\nwait_timeout = 601s\n",
                  "t.conf:2: invalid value for 'wait_timeout': '601s' (expected a duration from 100ms to 10min)" },
                { "[kill]\nwait_timeout = 5 parsecs\n",
                  "t.conf:2: invalid value for 'wait_timeout': '5 parsecs' (expected a duration from 100ms to 10min)" },
                { "[monitor]\npsi_stall = 0\n",
                  "t.conf:2: invalid value for 'psi_stall': '0' (expected a duration from 1ms to 10s)" },
                { "[monitor]\npsi_window = 499ms\n",
                  "t.conf:2: invalid value for 'psi_window': '499ms' (expected a duration from 500ms to 10s)" },
                { "[monitor]\npsi_window = 11s\n",
                  "t.conf:2: invalid value for 'psi_window': '11s' (expected a duration from 500ms to 10s)" },
                { "[monitor]\npoll_min = 0ms\n",
                  "t.conf:2: invalid value for 'poll_min': '0ms' (expected a duration from 1ms to 10s)" },
                { "[monitor]\npoll_max = 11min\n",
                  "t.conf:2: invalid value for 'poll_max': '11min' (expected a duration from 1ms to 10min)" },
                { "[monitor]\nfill_rate = 1023K\n",
                  "t.conf:2: invalid value for 'fill_rate': '1023K' (expected a size per second from 1M to 1T, like 4G)" },
                { "[monitor]\nfill_rate = 2T\n",
                  "t.conf:2: invalid value for 'fill_rate': '2T' (expected a size per second from 1M to 1T, like 4G)" },
                { "[monitor]\nfill_rate = 4G/min\n",
                  "t.conf:2: invalid value for 'fill_rate': '4G/min' (expected a size per second from 1M to 1T, like 4G)" },
                { "[domains]\nauto_cgroups = perhaps\n",
                  "t.conf:2: invalid value for 'auto_cgroups': 'perhaps' (expected yes or no)" },
                { "[domain web]\ncgroup = web.slice\n",
                  "t.conf:2: invalid value for 'cgroup': 'web.slice' (expected an absolute path under the cgroup mount of at most 190 characters)" },
                { "[domain web]\ncgroup = /a/../b\n",
                  "t.conf:2: invalid value for 'cgroup': '/a/../b' (expected an absolute path under the cgroup mount of at most 190 characters)" },
                { "[domain web]\ncgroup = /..\n",
                  "t.conf:2: invalid value for 'cgroup': '/..' (expected an absolute path under the cgroup mount of at most 190 characters)" },
                { "[domain web]\ncgroup = /web.slice\nlow = 101%\n",
                  "t.conf:3: invalid value for 'low': '101%' (expected a percentage 0..100% or a size like 512M)" },
                /* no inline comment without a blank before ';' */
                { "[levels]\ncritical = 12%;x\n",
                  "t.conf:2: invalid value for 'critical': '12%;x' (expected a percentage 0..100% or a size like 512M)" },
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
                assert_load_error(cases[i].text, cases[i].error);

        /* 108 characters: one too many for sun_path */
        char text[256], expected[512];
        snprintf(text, sizeof(text), "[daemon]\ncontrol_socket = /%0107d\n", 0);
        snprintf(
                expected, sizeof(expected),
                "t.conf:2: invalid value for 'control_socket': '/%0107d' (expected an absolute path of at most 107 characters)",
                0);
        assert_load_error(text, expected);
}

static void test_structure_errors(void **state)
{
        static const struct {
                const char *text;
                const char *error;
        } cases[] = {
                { "[daemon]\ndry_run = no\n[levls]\nlow = 5%\n", "t.conf:3: unknown section [levls]" },
                { "[]\n", "t.conf:1: unknown section []" },
                { "[Levels]\n", "t.conf:1: unknown section [Levels]" },
                { "\n[levels]\nlwo = 5%\n", "t.conf:3: unknown key 'lwo' in section [levels]" },
                { "[daemon]\nlow = 5%\n", "t.conf:2: unknown key 'low' in section [daemon]" },
                { "[domain x]\ncgroup = /x\nmlock = no\n",
                  "t.conf:3: unknown key 'mlock' in section [domain x]" },
                { "[levels]\ncgroup = /x\n", "t.conf:2: unknown key 'cgroup' in section [levels]" },
                { "[levels]\n= 5%\n", "t.conf:2: unknown key '' in section [levels]" },
                { "low = 5%\n[levels]\n", "t.conf:1: key outside of any section: 'low'" },
                { "[levels]\nlow = 5%\nmedium = 4%\nlow = 6%\n",
                  "t.conf:4: duplicate key 'low' in section [levels] (first set on line 2)" },
                { "[levels]\nlow = 5%\n[daemon]\nmlock = no\n[levels]\nlow = 6%\n",
                  "t.conf:6: duplicate key 'low' in section [levels] (first set on line 2)" },
                { "[domain w]\ncgroup = /w\ncgroup = /v\n",
                  "t.conf:3: duplicate key 'cgroup' in section [domain w] (first set on line 2)" },
                { "[levels]\nlow 5%\n", "t.conf:2: syntax error (expected key = value): 'low 5%'" },
                { "[levels\nlow = 5%\n", "t.conf:1: syntax error: '[levels'" },
                { "[levels] x\n", "t.conf:1: syntax error: '[levels] x'" },
                { "[domain web]\ncgroup = /a\n[domain web]\ncgroup = /b\n",
                  "t.conf:3: duplicate domain (first defined on line 1): 'web'" },
                { "[domain we b]\ncgroup = /a\n",
                  "t.conf:1: invalid domain name (expected 1 to 63 of A-Z a-z 0-9 _ . -): 'we b'" },
                { "[domain caf\xc3\xa9]\n",
                  "t.conf:1: invalid domain name (expected 1 to 63 of A-Z a-z 0-9 _ . -): 'caf\xc3\xa9'" },
                { "[domain 1234567890123456789012345678901234567890123456789012345678901234]\n",
                  "t.conf:1: invalid domain name (expected 1 to 63 of A-Z a-z 0-9 _ . -): "
                  "'1234567890123456789012345678901234567890123456789012345678901234'" },
                { "[domain]\ncgroup = /a\n", "t.conf:1: missing domain name: '[domain]'" },
                { "[domainx]\n", "t.conf:1: unknown section [domainx]" },
                { "[domain web]\ncritical = 5%\n[levels]\nlow = 30%\n",
                  "t.conf:1: missing 'cgroup', 'nodes' or 'cpuset' in section [domain web]" },
                { "[levels]\nlow = 30%\n\n[domain db]\n# nothing\n",
                  "t.conf:4: missing 'cgroup', 'nodes' or 'cpuset' in section [domain db]" },
                /* the first error is the one reported */
                { "[levels]\nlow = 200%\n[bogus]\nlwo = 1\n",
                  "t.conf:2: invalid value for 'low': '200%' (expected a percentage 0..100% or a size like 512M)" },
                { "[bogus]\n[levels]\nlow = 200%\n", "t.conf:1: unknown section [bogus]" },
                { "[levels]\nlow 5%\nlwo = 1\n", "t.conf:2: syntax error (expected key = value): 'low 5%'" },
                /* cross-key checks blame the key set last */
                { "[monitor]\npsi_stall = 1s\n",
                  "t.conf:2: invalid value for 'psi_stall': '1s' (must be shorter than psi_window = 1s)" },
                { "[monitor]\npsi_stall = 800ms\npsi_window = 600ms\n",
                  "t.conf:3: invalid value for 'psi_window': '600ms' (must be longer than psi_stall = 800ms)" },
                { "[monitor]\npsi_window = 600ms\npsi_stall = 800ms\n",
                  "t.conf:3: invalid value for 'psi_stall': '800ms' (must be shorter than psi_window = 600ms)" },
                { "[monitor]\npoll_max = 10ms\n",
                  "t.conf:2: invalid value for 'poll_max': '10ms' (must be at least poll_min = 20ms)" },
                { "[monitor]\npoll_min = 20s\n",
                  "t.conf:2: invalid value for 'poll_min': '20s' (expected a duration from 1ms to 10s)" },
                { "[monitor]\npoll_max = 2s\npoll_min = 3s\n",
                  "t.conf:3: invalid value for 'poll_min': '3s' (must be at most poll_max = 2s)" },
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
                assert_load_error(cases[i].text, cases[i].error);
}

static void test_too_many_domains(void **state)
{
        char text[4096], expected[128];
        struct config c;
        size_t len = 0;

        for (int i = 0; i < CONFIG_DOMAINS_MAX; i++)
                len += (size_t)snprintf(text + len, sizeof(text) - len, "[domain d%d]\ncgroup = /d%d\n", i,
                                        i);
        load_ok(text, &c);
        assert_int_equal(c.n_domains, CONFIG_DOMAINS_MAX);
        assert_string_equal(c.domains[31].name, "d31");
        assert_string_equal(c.domains[31].cgroup, "/d31");

        snprintf(text + len, sizeof(text) - len, "[domain extra]\ncgroup = /extra\n");
        snprintf(expected, sizeof(expected), "t.conf:%d: too many domains (at most 32): 'extra'",
                 2 * CONFIG_DOMAINS_MAX + 1);
        assert_load_error(text, expected);
}

static void test_long_lines(void **state)
{
        char text[2048], expected[128];
        struct config c;

        /* a long comment is fine, up to 1023 characters a line */
        memset(text, 0, sizeof(text));
        strcpy(text, "[levels]\nlow = 30%   # ");
        memset(text + strlen(text), 'x', 1023 - strlen("low = 30%   # "));
        strcat(text, "\n");
        load_ok(text, &c);
        assert_threshold(&c.levels.mem[TRIAGE_LEVEL_LOW], 30, 0);

        memset(text, 0, sizeof(text));
        strcpy(text, "[levels]\n# ");
        memset(text + strlen(text), 'x', 1100);
        assert_load_error(text, "t.conf:2: line too long (more than 1023 characters)");

        /* libinih takes at most 199 characters of setting (it is built with
         * INI_MAX_LINE 200) */
        memset(text, 0, sizeof(text));
        strcpy(text, "[domain long]\ncgroup = /");
        memset(text + strlen(text), 'a', 199 - strlen("cgroup = /"));
        load_ok(text, &c);
        assert_int_equal(strlen(c.domains[0].cgroup), 199 - strlen("cgroup = "));
        strcat(text, "a");
        snprintf(expected, sizeof(expected),
                 "t.conf:2: setting too long (at most 199 characters without comments)");
        assert_load_error(text, expected);

        /* Written without spaces, a 191-character path fits on the line but
         * would not fit in the dump ("cgroup = PATH"): refused, so that
         * every configuration that loads also reloads from its dump. */
        memset(text, 0, sizeof(text));
        strcpy(text, "[domain long]\ncgroup=/");
        memset(text + strlen(text), 'a', 190);
        load_error_prefix(text, "t.conf:2: invalid value for 'cgroup': '/aaa");
}

static void test_syntax_flexibility(void **state)
{
        struct config c;

        load_ok("\xEF\xBB\xBF# a byte order mark, then a comment\n"
                "; a semicolon comment\n"
                "  [ levels ]   ; a comment after a section\n"
                "  low = 30%   # an indented key and a hash comment\n"
                "\tmedium: 1G ; a colon separator\n"
                "critical=12%\r\n"
                "emergency      =     3%\n"
                "    hysteresis = 1%\n"
                "[daemon]\n"
                "control_socket = /run/a#b;c.sock\n"
                "[domain\tweb]\n"
                "cgroup = /web slice\n",
                &c);
        assert_threshold(&c.levels.mem[TRIAGE_LEVEL_LOW], 30, 0);
        assert_threshold(&c.levels.mem[TRIAGE_LEVEL_MEDIUM], -1, GIB);
        assert_threshold(&c.levels.mem[TRIAGE_LEVEL_CRITICAL], 12, 0);
        assert_threshold(&c.levels.mem[TRIAGE_LEVEL_EMERGENCY], 3, 0);
        /* an indented line is a key of its own, not a continuation */
        assert_threshold(&c.levels.hysteresis, 1, 0);
        /* '#' and ';' inside a word are not comments */
        assert_string_equal(c.control_socket, "/run/a#b;c.sock");
        assert_string_equal(c.domains[0].name, "web");
        assert_string_equal(c.domains[0].cgroup, "/web slice");
}

static void test_broken_leaves_ret(void **state)
{
        char err[CONFIG_ERROR_MAX];
        struct config c, saved;

        memset(&c, 0x5a, sizeof(c));
        memcpy(&saved, &c, sizeof(c));
        /* the error is at the very end, after every key was parsed */
        assert_int_equal(config_load_string("t.conf",
                                            "[daemon]\ndry_run = yes\nmlock = no\n"
                                            "[levels]\nlow = 1G\n[domain x]\n",
                                            &c, err, sizeof(err)),
                         -EINVAL);
        assert_string_equal(err, "t.conf:6: missing 'cgroup', 'nodes' or 'cpuset' in section [domain x]");
        assert_memory_equal(&c, &saved, sizeof(c));

        assert_int_equal(config_load(FIXTURES "/config/broken.conf", &c, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, FIXTURES "/config/broken.conf:5: unknown key 'lwo' in section [levels]");
        assert_memory_equal(&c, &saved, sizeof(c));

        /* a directory opens but cannot be read */
        assert_int_equal(config_load(FIXTURES "/config", &c, err, sizeof(err)), -EISDIR);
        assert_string_equal(err, FIXTURES "/config:1: read error: Is a directory");
        assert_memory_equal(&c, &saved, sizeof(c));

        /* a NUL byte is not text */
        assert_int_equal(config_load(FIXTURES "/config/nul.conf", &c, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, FIXTURES "/config/nul.conf:2: NUL byte in line");
        assert_memory_equal(&c, &saved, sizeof(c));

        /* no errbuf at all is fine */
        assert_int_equal(config_load_string(NULL, "[x]\n", &c, NULL, 0), -EINVAL);
        assert_memory_equal(&c, &saved, sizeof(c));
        assert_int_equal(config_load_string(NULL, "[x]\n", &c, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "<string>:1: unknown section [x]");
}

static void test_missing_file(void **state)
{
        char err[CONFIG_ERROR_MAX];
        struct config c, d;

        memset(&c, 0x5a, sizeof(c));
        config_defaults(&d);
        assert_int_equal(config_load(FIXTURES "/config/does-not-exist.conf", &c, err, sizeof(err)), -ENOENT);
        assert_config_equal(&c, &d);
}

/* The shipped file documents the defaults: as it is, and with every
 * commented-out setting before the example domain enabled, it must load as
 * exactly the built-in defaults. */
static void test_shipped_config(void **state)
{
        char err[CONFIG_ERROR_MAX], raw[16384], text[16384];
        struct config c, d;
        size_t len = 0;
        int enabled = 0;
        FILE *f;

        config_defaults(&d);
        assert_int_equal(config_load(DATA_CONF, &c, err, sizeof(err)), 0);
        assert_config_equal(&c, &d);

        f = fopen(DATA_CONF, "re");
        assert_non_null(f);
        size_t n = fread(raw, 1, sizeof(raw) - 1, f);
        fclose(f);
        assert_true(n > 0 && n < sizeof(raw) - 1);
        raw[n] = '\0';
        for (char *line = raw, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (strncmp(line, "#[", 2) == 0)
                        break;
                if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' && strstr(line, " = ")) {
                        line++;
                        enabled++;
                }
                len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\n", line);
        }
        /* every key of the global sections: 6 + 9 + 1 + 5 + 5 + 2 + 1 + 1 */
        assert_int_equal(enabled, 30);
        assert_int_equal(config_load_string(DATA_CONF, text, &c, err, sizeof(err)), 0);
        assert_config_equal(&c, &d);
}

/* Every example configuration in triage.conf(5) (an .EX block that starts
 * with a section) must load. */
static void test_man_examples(void **state)
{
        char err[CONFIG_ERROR_MAX], raw[65536], text[4096];
        struct config c;
        size_t len = 0;
        bool in_example = false;
        int examples = 0;
        FILE *f;

        f = fopen(MAN_PAGE, "re");
        assert_non_null(f);
        size_t n = fread(raw, 1, sizeof(raw) - 1, f);
        fclose(f);
        assert_true(n > 0 && n < sizeof(raw) - 1);
        raw[n] = '\0';
        for (char *line = raw, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (strcmp(line, ".EX") == 0) {
                        in_example = true;
                        len = 0;
                        text[0] = '\0';
                } else if (strcmp(line, ".EE") == 0) {
                        in_example = false;
                        if (text[0] != '[')
                                continue;
                        /* no roff escapes in the examples, so they read as is */
                        assert_null(strchr(text, '\\'));
                        if (config_load_string("example", text, &c, err, sizeof(err)) != 0)
                                fail_msg("example %d of triage.conf(5): %s", examples + 1, err);
                        examples++;
                } else if (in_example) {
                        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\n", line);
                        assert_true(len < sizeof(text));
                }
        }
        assert_int_equal(examples, 5);
        /* the last one is the container host: check what it says it does */
        assert_int_equal(c.n_domains, 1);
        assert_string_equal(c.domains[0].cgroup, "/system.slice/web.service");
        assert_threshold(&c.domains[0].levels.mem[TRIAGE_LEVEL_EMERGENCY], -1, 64 * MIB);
        assert_threshold(&c.domains[0].levels.mem[TRIAGE_LEVEL_LOW], 20, 0);
        assert_true(c.domains[0].levels.psi_full_avg10[TRIAGE_LEVEL_CRITICAL] == 60);
}

static void test_dump_defaults(void **state)
{
        char buf[CONFIG_DUMP_MAX];
        struct config c;
        int r;

        config_defaults(&c);
        r = config_dump(&c, buf, sizeof(buf));
        assert_string_equal(buf, "[daemon]\n"
                                 "dry_run = no\n"
                                 "advise_only = no\n"
                                 "badness = kernel\n"
                                 "max_processes = auto\n"
                                 "control_socket = " TRIAGE_CONTROL_SOCKET "\n"
                                 "mlock = yes\n"
                                 "\n"
                                 "[levels]\n"
                                 "low = 20%\n"
                                 "medium = 15%\n"
                                 "critical = 10%\n"
                                 "emergency = 5%\n"
                                 "hysteresis = 2%\n"
                                 "psi_low = off\n"
                                 "psi_medium = off\n"
                                 "psi_critical = 40\n"
                                 "psi_emergency = off\n"
                                 "\n"
                                 "[kill]\n"
                                 "wait_timeout = 5s\n"
                                 "\n"
                                 "[monitor]\n"
                                 "psi_stall = 100ms\n"
                                 "psi_window = 1s\n"
                                 "poll_min = 20ms\n"
                                 "poll_max = 10s\n"
                                 "fill_rate = 4 GiB/s\n"
                                 "\n"
                                 "[clients]\n"
                                 "socket = /run/triage/app.sock\n"
                                 "grace = 5s\n"
                                 "save_timeout = 5s\n"
                                 "bus = yes\n"
                                 "choose_timeout = 10s\n"
                                 "\n"
                                 "[policy]\n"
                                 "recent = 5min\n"
                                 "age_unit = 1min\n"
                                 "\n"
                                 "[charges]\n"
                                 "trusted = \n"
                                 "\n"
                                 "[domains]\n"
                                 "auto_cgroups = yes\n"
                                 "\n"
                                 "[rule display-server]\n"
                                 "enabled = yes\n"
                                 "name = Xorg|Xwayland|gnome-shell|kwin_wayland|weston|sway\n"
                                 "protect = yes\n"
                                 "\n"
                                 "[rule session-bus]\n"
                                 "enabled = yes\n"
                                 "name = dbus-daemon|dbus-broker|dbus-broker-lau\n"
                                 "protect = yes\n"
                                 "\n"
                                 "[rule login-manager]\n"
                                 "enabled = yes\n"
                                 "name = systemd-logind|gdm|gdm3|gdm-*|sddm|sddm-helper|lightdm\n"
                                 "protect = yes\n"
                                 "\n"
                                 "[rule systemd]\n"
                                 "enabled = yes\n"
                                 "name = systemd|systemd-journal\n"
                                 "protect = yes\n"
                                 "\n"
                                 "[rule sshd]\n"
                                 "enabled = yes\n"
                                 "name = sshd|sshd-session\n"
                                 "user = 0\n"
                                 "protect = yes\n"
                                 "\n"
                                 "[rule triaged]\n"
                                 "enabled = yes\n"
                                 "name = triaged\n"
                                 "user = 0\n"
                                 "protect = yes\n");
        assert_int_equal(r, (int)strlen(buf));

        /* too small: -ENOBUFS, still a terminated string */
        char small[40];
        assert_int_equal(config_dump(&c, small, sizeof(small)), -ENOBUFS);
        assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void test_dump_round_trip(void **state)
{
        char buf[CONFIG_DUMP_MAX], err[CONFIG_ERROR_MAX];
        struct config a, b;

        load_ok(full_text, &a);
        assert_true(config_dump(&a, buf, sizeof(buf)) > 0);
        assert_int_equal(config_load_string("dump", buf, &b, err, sizeof(err)), 0);
        assert_config_equal(&a, &b);
        check_full(&b);

        /* odd values that must keep every digit and byte */
        load_ok("[levels]\n"
                "low = 33.333333333%\n"
                "medium = 1000\n"
                "critical = 0.1%\n"
                "emergency = 1536M\n"
                "psi_low = 0.000000001\n"
                "[kill]\nwait_timeout = 1500ms\n"
                "[monitor]\npsi_stall = 1001us\npoll_max = 90s\nfill_rate = 1536K\n",
                &a);
        assert_true(config_dump(&a, buf, sizeof(buf)) > 0);
        assert_non_null(strstr(buf, "low = 33.333333333%\n"));
        assert_non_null(strstr(buf, "medium = 1000\n"));
        assert_non_null(strstr(buf, "emergency = 1536 MiB\n"));
        assert_non_null(strstr(buf, "wait_timeout = 1500ms\n"));
        assert_non_null(strstr(buf, "psi_stall = 1001us\n"));
        assert_non_null(strstr(buf, "poll_max = 90s\n"));
        assert_non_null(strstr(buf, "fill_rate = 1536 KiB/s\n"));
        assert_int_equal(config_load_string("dump", buf, &b, err, sizeof(err)), 0);
        assert_config_equal(&a, &b);
}

/* The largest dump: 32 domains with the longest names, long paths and
 * every level set to the longest values. */
static void test_dump_max(void **state)
{
        char text[CONFIG_DUMP_MAX], buf[CONFIG_DUMP_MAX], err[CONFIG_ERROR_MAX], path[200];
        struct config a, b;
        size_t len = 0;
        int r;

        memset(path, 'p', sizeof(path));
        path[0] = '/';
        path[189] = '\0'; /* "cgroup = " + 189 = 198 characters */
        len += (size_t)snprintf(text + len, sizeof(text) - len, "[daemon]\ncontrol_socket = /%0106d\n", 0);
        for (int i = 0; i < CONFIG_DOMAINS_MAX; i++)
                len += (size_t)snprintf(text + len, sizeof(text) - len,
                                        "[domain %063d]\ncgroup = %s\n"
                                        "low = 18446744073709551615\nmedium = 0.000000001%%\n"
                                        "critical = 99.999999999%%\nemergency = 18446744073709551615\n"
                                        "hysteresis = 0.000000001%%\npsi_low = 0.000000001\n"
                                        "psi_medium = 0.000000001\npsi_critical = 0.000000001\n"
                                        "psi_emergency = 0.000000001\n",
                                        i, path);
        assert_true(len < sizeof(text) - 1);
        load_ok(text, &a);
        r = config_dump(&a, buf, sizeof(buf));
        assert_true(r > 0);
        assert_int_equal(config_load_string("dump", buf, &b, err, sizeof(err)), 0);
        assert_config_equal(&a, &b);
}

static const char rules_text[] = "[rule browsers]\n"
                                 "name = firefox|chromium\n"
                                 "exe = /usr/lib/*\n"
                                 "cmdline = ^/usr/lib/firefox/firefox( |$)\n"
                                 "user = root\n"
                                 "cgroup = /user.slice/*|*/app-*.scope\n"
                                 "protect = no\n"
                                 "avoid = yes\n"
                                 "tier = background\n"
                                 "adj = -250\n"
                                 "grace = 90s\n"
                                 "kill = process\n"
                                 "enabled = no\n"
                                 "[rule p]\n"
                                 "name = x\n"
                                 "prefer = yes\n"
                                 "[rule q]\n"
                                 "user = 1000\n"
                                 "prefer = no\n"
                                 "[rule sshd]\n"
                                 "enabled = no\n";

static void test_rules(void **state)
{
        const struct config_rule *r;
        struct config c;

        load_ok(rules_text, &c);
        /* the 6 built-in ones, then the file's; sshd is changed in place */
        assert_int_equal(c.n_rules, 9);
        assert_string_equal(c.rules[0].name, "display-server");
        assert_true(c.rules[0].builtin);
        assert_true(c.rules[0].enabled);
        assert_string_equal(c.rules[4].name, "sshd");
        assert_false(c.rules[4].enabled);
        assert_string_equal(c.rules[4].match.name, "sshd|sshd-session");
        assert_true(c.rules[4].actions.protect);

        r = &c.rules[6];
        assert_string_equal(r->name, "browsers");
        assert_false(r->builtin);
        assert_false(r->enabled);
        assert_string_equal(r->match.name, "firefox|chromium");
        assert_string_equal(r->match.exe, "/usr/lib/*");
        assert_string_equal(r->match.cmdline, "^/usr/lib/firefox/firefox( |$)");
        assert_string_equal(r->match.user, "root");
        assert_true(r->match.has_uid);
        assert_int_equal(r->match.uid, 0);
        assert_string_equal(r->match.cgroup, "/user.slice/*|*/app-*.scope");
        assert_int_equal(r->actions.set,
                         RULE_ACTION_BIT(RULE_ACTION_PROTECT) | RULE_ACTION_BIT(RULE_ACTION_AVOID) |
                                 RULE_ACTION_BIT(RULE_ACTION_TIER) | RULE_ACTION_BIT(RULE_ACTION_ADJ) |
                                 RULE_ACTION_BIT(RULE_ACTION_GRACE) | RULE_ACTION_BIT(RULE_ACTION_KILL));
        assert_false(r->actions.protect);
        assert_true(r->actions.avoid);
        assert_int_equal(r->actions.tier, TIER_BACKGROUND);
        assert_int_equal(r->actions.adj, -250);
        assert_int_equal(r->actions.grace_usec, 90 * SEC);
        assert_int_equal(r->actions.kill, RULE_KILL_PROCESS);

        r = &c.rules[7];
        assert_string_equal(r->name, "p");
        assert_true(r->enabled);
        assert_int_equal(r->actions.set, RULE_ACTION_BIT(RULE_ACTION_TIER));
        assert_int_equal(r->actions.tier, TIER_PREFERRED);
        assert_false(r->match.has_uid);
        r = &c.rules[8];
        assert_int_equal(r->actions.tier, TIER_AUTO);
        assert_int_equal(r->match.uid, 1000);
        assert_string_equal(r->match.user, "1000");

        /* a rule and a domain of the same name are different things */
        load_ok("[domain web]\ncgroup = /web\n[rule web]\ncgroup = /web\ntier = system\n", &c);
        assert_int_equal(c.n_domains, 1);
        assert_int_equal(c.n_rules, 7);
        /* edge values */
        load_ok("[rule e]\nname = *\nadj = -1000\ngrace = 0\n"
                "[rule f]\ncgroup = *\nadj = 1000\ngrace = 10min\n",
                &c);
        assert_int_equal(c.rules[6].actions.adj, -1000);
        assert_int_equal(c.rules[6].actions.grace_usec, 0);
        assert_int_equal(c.rules[7].actions.adj, 1000);
        assert_int_equal(c.rules[7].actions.grace_usec, 600 * SEC);
}

static void test_rule_errors(void **state)
{
        static const struct {
                const char *text;
                const char *error;
        } cases[] = {
                { "[rule]\n", "t.conf:1: missing rule name: '[rule]'" },
                { "[rule a b]\n",
                  "t.conf:1: invalid rule name (expected 1 to 63 of A-Z a-z 0-9 _ . -): 'a b'" },
                { "[rules]\n", "t.conf:1: unknown section [rules]" },
                { "[rule x]\nname = a\n",
                  "t.conf:1: missing action in section [rule x] (expected protect, prefer, avoid, tier, adj, grace or kill)" },
                { "\n[rule x]\nprefer = yes\n[daemon]\n",
                  "t.conf:2: missing match key in section [rule x] (expected name, exe, cmdline, user or cgroup)" },
                { "[rule x]\nenabled = no\n",
                  "t.conf:1: missing match key in section [rule x] (expected name, exe, cmdline, user or cgroup)" },
                { "[rule x]\nname = a\nprotect = yes\n[rule x]\n",
                  "t.conf:4: duplicate rule (first defined on line 1): 'x'" },
                { "[rule sshd]\nenabled = no\n[rule sshd]\n",
                  "t.conf:3: duplicate rule (first defined on line 1): 'sshd'" },
                { "[rule x]\nname = a\nprefer = yes\ntier = system\n",
                  "t.conf:4: conflicting keys 'tier' and 'prefer' in section [rule x] (first set on line 3)" },
                { "[rule x]\nname = a\nname = b\n",
                  "t.conf:3: duplicate key 'name' in section [rule x] (first set on line 2)" },
                { "[rule x]\nlevel = 3\n", "t.conf:2: unknown key 'level' in section [rule x]" },
                { "[rule x]\nlow = 5%\n", "t.conf:2: unknown key 'low' in section [rule x]" },
                { "[domain d]\ncgroup = /d\nname = x\n",
                  "t.conf:3: unknown key 'name' in section [domain d]" },
                { "[rule x]\ntier = protected\n",
                  "t.conf:2: invalid value for 'tier': 'protected' (expected auto, system, foreground, recent, background or preferred)" },
                { "[rule x]\nadj = 1001\n",
                  "t.conf:2: invalid value for 'adj': '1001' (expected a number from -1000 to 1000)" },
                { "[rule x]\nadj = -1001\n",
                  "t.conf:2: invalid value for 'adj': '-1001' (expected a number from -1000 to 1000)" },
                { "[rule x]\nadj = 5x\n",
                  "t.conf:2: invalid value for 'adj': '5x' (expected a number from -1000 to 1000)" },
                { "[rule x]\nkill = group\n",
                  "t.conf:2: invalid value for 'kill': 'group' (expected process or activity)" },
                { "[rule x]\ngrace = 11min\n",
                  "t.conf:2: invalid value for 'grace': '11min' (expected a duration from 0 to 10min)" },
                { "[rule x]\ncmdline = (a\n",
                  "t.conf:2: invalid value for 'cmdline': '(a' (expected an extended regular expression: Unmatched ( or \\()" },
                { "[rule x]\ncmdline =\n",
                  "t.conf:2: invalid value for 'cmdline': '' (expected an extended regular expression: empty)" },
                { "[rule x]\nuser = no-such-user-for-triage\n",
                  "t.conf:2: invalid value for 'user': 'no-such-user-for-triage' (expected a known user name or a uid)" },
                { "[rule x]\nuser = 4294967295\n",
                  "t.conf:2: invalid value for 'user': '4294967295' (expected a known user name or a uid)" },
                { "[rule x]\nuser = 12x\n",
                  "t.conf:2: invalid value for 'user': '12x' (expected a known user name or a uid)" },
                { "[rule x]\ncgroup = user.slice\n",
                  "t.conf:2: invalid value for 'cgroup': 'user.slice' (expected cgroup-path globs starting with / or * separated by |)" },
                { "[rule x]\ncgroup = /a|b\n",
                  "t.conf:2: invalid value for 'cgroup': '/a|b' (expected cgroup-path globs starting with / or * separated by |)" },
                { "[rule x]\ncgroup = /a||/b\n",
                  "t.conf:2: invalid value for 'cgroup': '/a||/b' (expected cgroup-path globs starting with / or * separated by |)" },
                { "[rule x]\nname = a|\n",
                  "t.conf:2: invalid value for 'name': 'a|' (expected process-name globs separated by |)" },
                { "[rule x]\nname = |a\n",
                  "t.conf:2: invalid value for 'name': '|a' (expected process-name globs separated by |)" },
                { "[rule x]\nexe =\n",
                  "t.conf:2: invalid value for 'exe': '' (expected argv[0] globs separated by |)" },
                { "[rule x]\nprotect = maybe\n",
                  "t.conf:2: invalid value for 'protect': 'maybe' (expected yes or no)" },
                { "[rule x]\nprefer = 2\n",
                  "t.conf:2: invalid value for 'prefer': '2' (expected yes or no)" },
                { "[rule x]\nenabled = x\n",
                  "t.conf:2: invalid value for 'enabled': 'x' (expected yes or no)" },
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
                assert_load_error(cases[i].text, cases[i].error);

        /* One more character than a pattern may have: each limit is what
         * still dumps to a loadable "key = value" of 199 characters. */
        char text[256], expected[512];
        snprintf(text, sizeof(text), "[rule x]\nname=%0192d\n", 0);
        snprintf(expected, sizeof(expected),
                 "t.conf:2: invalid value for 'name': '%0192d' (expected process-name globs separated by |)",
                 0);
        assert_load_error(text, expected);
        snprintf(text, sizeof(text), "[rule x]\ncmdline=%0190d\n", 0);
        snprintf(
                expected, sizeof(expected),
                "t.conf:2: invalid value for 'cmdline': '%0190d' (expected an extended regular expression: too long)",
                0);
        assert_load_error(text, expected);
        snprintf(text, sizeof(text), "[rule x]\ncgroup=/%0190d\n", 0);
        snprintf(
                expected, sizeof(expected),
                "t.conf:2: invalid value for 'cgroup': '/%0190d' (expected cgroup-path globs starting with / or * separated by |)",
                0);
        assert_load_error(text, expected);
}

static void test_too_many_rules(void **state)
{
        char text[4096], expected[128];
        size_t len = 0;
        struct config c;

        for (int i = 0; i < CONFIG_RULES_MAX - 6; i++)
                len += (size_t)snprintf(text + len, sizeof(text) - len,
                                        "[rule r%d]\nname = p%d\nprotect = yes\n", i, i);
        /* changing built-in ones takes no room */
        len += (size_t)snprintf(text + len, sizeof(text) - len,
                                "[rule sshd]\nenabled = no\n[rule triaged]\nenabled = no\n");
        load_ok(text, &c);
        assert_int_equal(c.n_rules, CONFIG_RULES_MAX);
        snprintf(text + len, sizeof(text) - len, "[rule extra]\nname = e\nprotect = yes\n");
        snprintf(expected, sizeof(expected),
                 "t.conf:%d: too many rules (at most 32, the 6 built-in ones included): 'extra'",
                 3 * (CONFIG_RULES_MAX - 6) + 5);
        assert_load_error(text, expected);
}

static void test_rules_round_trip(void **state)
{
        char buf[CONFIG_DUMP_MAX], err[CONFIG_ERROR_MAX];
        struct config a, b;

        load_ok(rules_text, &a);
        assert_true(config_dump(&a, buf, sizeof(buf)) > 0);
        /* prefer is written as tier; matchers not given are not written */
        assert_non_null(strstr(buf, "\n[rule p]\nenabled = yes\nname = x\ntier = preferred\n"));
        assert_non_null(strstr(buf, "\n[rule q]\nenabled = yes\nuser = 1000\ntier = auto\n"));
        assert_non_null(strstr(buf, "\n[rule sshd]\nenabled = no\n"));
        assert_non_null(strstr(buf, "grace = 90s\nkill = process\n"));
        assert_null(strstr(buf, "\nprefer ="));
        assert_int_equal(config_load_string("dump", buf, &b, err, sizeof(err)), 0);
        assert_config_equal(&a, &b);
}

/* The largest rules: longest names, patterns and every action. */
static void test_dump_max_rules(void **state)
{
        static char text[CONFIG_DUMP_MAX], buf[CONFIG_DUMP_MAX];
        char err[CONFIG_ERROR_MAX], name[192], exe[192], re[192], cg[192];
        struct config a, b, defaults;
        size_t len = 0;
        int r;

        config_defaults(&defaults);
        memset(name, 'n', sizeof(name));
        name[191] = '\0'; /* "name = " + 191 = 198 */
        memset(exe, 'e', sizeof(exe));
        exe[191] = '\0';
        memset(re, 'r', sizeof(re));
        re[189] = '\0'; /* "cmdline = " + 189 = 199 */
        memset(cg, 'c', sizeof(cg));
        cg[0] = '/';
        cg[190] = '\0';
        for (int i = 0; i < CONFIG_RULES_MAX; i++) {
                if (i < (int)defaults.n_rules)
                        len += (size_t)snprintf(text + len, sizeof(text) - len, "[rule %s]\n",
                                                defaults.rules[i].name);
                else
                        len += (size_t)snprintf(text + len, sizeof(text) - len, "[rule %063d]\n", i);
                len += (size_t)snprintf(text + len, sizeof(text) - len,
                                        "enabled = no\nname = %s\nexe = %s\ncmdline = %s\n"
                                        "user = 4294967294\ncgroup = %s\nprotect = yes\n"
                                        "avoid = yes\ntier = foreground\nadj = -1000\n"
                                        "grace = 599999999us\nkill = activity\n",
                                        name, exe, re, cg);
        }
        assert_true(len < sizeof(text) - 1);
        load_ok(text, &a);
        assert_int_equal(a.n_rules, CONFIG_RULES_MAX);
        r = config_dump(&a, buf, sizeof(buf));
        assert_true(r > 0);
        assert_int_equal(config_load_string("dump", buf, &b, err, sizeof(err)), 0);
        assert_config_equal(&a, &b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),           cmocka_unit_test(test_empty),
                cmocka_unit_test(test_every_key),          cmocka_unit_test(test_load_file),
                cmocka_unit_test(test_domain_inheritance), cmocka_unit_test(test_node_domains),
                cmocka_unit_test(test_valid_edges),        cmocka_unit_test(test_invalid_values),
                cmocka_unit_test(test_structure_errors),   cmocka_unit_test(test_too_many_domains),
                cmocka_unit_test(test_long_lines),         cmocka_unit_test(test_syntax_flexibility),
                cmocka_unit_test(test_broken_leaves_ret),  cmocka_unit_test(test_missing_file),
                cmocka_unit_test(test_shipped_config),     cmocka_unit_test(test_man_examples),
                cmocka_unit_test(test_dump_defaults),      cmocka_unit_test(test_dump_round_trip),
                cmocka_unit_test(test_dump_max),           cmocka_unit_test(test_rules),
                cmocka_unit_test(test_rule_errors),        cmocka_unit_test(test_too_many_rules),
                cmocka_unit_test(test_rules_round_trip),   cmocka_unit_test(test_dump_max_rules),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
