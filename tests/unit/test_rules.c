/* SPDX-License-Identifier: MIT */
/* Rules: matching, the built-in rules and their override, and how
 * conflicting rules combine. Rules come from real configuration text. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "rules.h"
#include "util.h"

/* Large: kept out of the stack frames. */
static struct config config;
static struct rules rules;

static void load(const char *text)
{
        char err[CONFIG_ERROR_MAX];

        if (config_load_string("t.conf", text, &config, err, sizeof(err)) != 0)
                fail_msg("loading \"%s\": %s", text, err);
        assert_int_equal(rules_compile(&config, &rules), 0);
}

static struct proc_entry proc(const char *comm, uid_t uid, const char *cmdline, const char *cg)
{
        struct proc_entry p;

        memset(&p, 0, sizeof(p));
        p.pid = 100;
        p.uid = uid;
        p.state = 'S';
        p.has_mm = true;
        strscpy(p.comm, comm, sizeof(p.comm));
        strscpy(p.cmdline, cmdline, sizeof(p.cmdline));
        strscpy(p.cgroup_v2, cg, sizeof(p.cgroup_v2));
        return p;
}

static struct rule_verdict verdict_of(const char *comm, uid_t uid, const char *cmdline, const char *cg)
{
        struct proc_entry p = proc(comm, uid, cmdline, cg);
        struct rule_verdict v;

        rules_match(&rules, &p, &v);
        return v;
}

static bool is_set(const struct rule_verdict *v, enum rule_action a)
{
        return v->actions.set & RULE_ACTION_BIT(a);
}

static void test_glob(void **state)
{
        assert_true(rules_glob_match("firefox", "firefox"));
        assert_false(rules_glob_match("firefox", "firefox-bin"));
        assert_true(rules_glob_match("fire*", "firefox-bin"));
        assert_true(rules_glob_match("a*|chromium", "chromium"));
        assert_true(rules_glob_match("a*|chromium", "abc"));
        assert_false(rules_glob_match("a*|chromium", "chromium2"));
        assert_true(rules_glob_match("Web Content|x", "Web Content"));
        assert_true(rules_glob_match("[Xx]org", "xorg"));
        /* '*' crosses '/' in cgroup paths */
        assert_true(rules_glob_match("/user.slice/*", "/user.slice/user-1000.slice/session-2.scope"));
        assert_true(rules_glob_match("*/app-*firefox*.scope", "/u/app.slice/app-gnome-firefox-9.scope"));
        assert_false(rules_glob_match("/system.slice/*", "/user.slice/x"));
        assert_false(rules_glob_match("x", ""));
        assert_true(rules_glob_match("*", ""));
}

static void test_argv0(void **state)
{
        char buf[PROC_CMDLINE_MAX], small[4];
        struct proc_entry p = proc("x", 0, "/usr/bin/foo --bar baz", "");

        assert_string_equal(rules_argv0(&p, buf, sizeof(buf)), "/usr/bin/foo");
        assert_string_equal(rules_argv0(&p, small, sizeof(small)), "/us");
        p = proc("x", 0, "", "");
        assert_string_equal(rules_argv0(&p, buf, sizeof(buf)), "");
        /* an argv[0] with a blank is cut at it (see rules.h) */
        p = proc("x", 0, "/opt/My App/app -x", "");
        assert_string_equal(rules_argv0(&p, buf, sizeof(buf)), "/opt/My");
}

static void test_builtins(void **state)
{
        struct rule_verdict v;

        load("");
        assert_int_equal(rules.n, 6);
        v = verdict_of("Xorg", 1000, "/usr/lib/xorg/Xorg vt2", "");
        assert_true(is_set(&v, RULE_ACTION_PROTECT));
        assert_true(v.actions.protect);
        assert_string_equal(v.by[RULE_ACTION_PROTECT], "display-server");
        v = verdict_of("gnome-shell", 1000, "/usr/bin/gnome-shell", "");
        assert_string_equal(v.by[RULE_ACTION_PROTECT], "display-server");
        v = verdict_of("dbus-broker-lau", 1000, "/usr/bin/dbus-broker-launch --scope user", "");
        assert_string_equal(v.by[RULE_ACTION_PROTECT], "session-bus");
        v = verdict_of("gdm-session-wor", 0, "gdm-session-worker [pam/gdm-password]", "");
        assert_string_equal(v.by[RULE_ACTION_PROTECT], "login-manager");
        v = verdict_of("systemd-journal", 0, "/lib/systemd/systemd-journald", "");
        assert_string_equal(v.by[RULE_ACTION_PROTECT], "systemd");
        v = verdict_of("systemd", 1000, "/lib/systemd/systemd --user", "");
        assert_string_equal(v.by[RULE_ACTION_PROTECT], "systemd");
        v = verdict_of("triaged", 0, "/usr/sbin/triaged", "");
        assert_string_equal(v.by[RULE_ACTION_PROTECT], "triaged");
        v = verdict_of("sshd", 0, "sshd: alice [priv]", "");
        assert_string_equal(v.by[RULE_ACTION_PROTECT], "sshd");
        /* only root's sshd and triaged: a user cannot claim them by name */
        v = verdict_of("sshd", 1000, "sshd: alice@pts/0", "");
        assert_false(is_set(&v, RULE_ACTION_PROTECT));
        v = verdict_of("triaged", 1000, "./triaged", "");
        assert_false(is_set(&v, RULE_ACTION_PROTECT));
        /* nothing else */
        v = verdict_of("bash", 1000, "-bash", "");
        assert_int_equal(v.actions.set, 0);
        assert_int_equal(v.actions.tier, TIER_AUTO);
        for (int f = 0; f < _RULE_ACTION_MAX; f++)
                assert_null(v.by[f]);
        rules_free(&rules);
}

static void test_builtin_override(void **state)
{
        struct rule_verdict v;

        /* turned off */
        load("[rule display-server]\nenabled = no\n");
        assert_int_equal(rules.n, 5);
        v = verdict_of("Xorg", 1000, "Xorg", "");
        assert_false(is_set(&v, RULE_ACTION_PROTECT));
        v = verdict_of("dbus-daemon", 1000, "dbus-daemon --session", "");
        assert_true(v.actions.protect);
        rules_free(&rules);

        /* changed: another name, and an action added */
        load("[rule sshd]\nname = dropbear\ngrace = 0\n");
        v = verdict_of("sshd", 0, "sshd", "");
        assert_false(is_set(&v, RULE_ACTION_PROTECT));
        v = verdict_of("dropbear", 0, "dropbear -R", "");
        assert_true(v.actions.protect);
        assert_true(is_set(&v, RULE_ACTION_GRACE));
        assert_int_equal(v.actions.grace_usec, 0);
        /* its user = 0 stays */
        v = verdict_of("dropbear", 1000, "dropbear -R", "");
        assert_false(is_set(&v, RULE_ACTION_PROTECT));
        rules_free(&rules);
}

static const char conflicts[] = "[rule browsers]\n"
                                "name = firefox|chromium\n"
                                "prefer = yes\n"
                                "grace = 10s\n"
                                "[rule alice]\n"
                                "user = 1000\n"
                                "tier = background\n"
                                "adj = -100\n"
                                "[rule unprotect-sshd]\n"
                                "name = sshd\n"
                                "protect = no\n"
                                "[rule heavy]\n"
                                "cmdline = (^| )-contentproc( |$)\n"
                                "avoid = yes\n"
                                "kill = process\n"
                                "[rule opt]\n"
                                "exe = /opt/*\n"
                                "prefer = no\n"
                                "[rule services]\n"
                                "cgroup = /system.slice/*.service|/init.scope\n"
                                "tier = system\n";

/* For each action, the last matching rule that sets it wins. */
static void test_conflicts(void **state)
{
        struct rule_verdict v;

        load(conflicts);
        assert_int_equal(rules.n, 12);

        /* alice comes after browsers: background, not preferred; grace
         * only browsers sets */
        v = verdict_of("firefox", 1000, "/usr/lib/firefox/firefox", "");
        assert_int_equal(v.actions.tier, TIER_BACKGROUND);
        assert_string_equal(v.by[RULE_ACTION_TIER], "alice");
        assert_int_equal(v.actions.grace_usec, 10 * USEC_PER_SEC);
        assert_string_equal(v.by[RULE_ACTION_GRACE], "browsers");
        assert_int_equal(v.actions.adj, -100);
        assert_false(is_set(&v, RULE_ACTION_PROTECT));
        /* another user: browsers alone */
        v = verdict_of("chromium", 1001, "chromium", "");
        assert_int_equal(v.actions.tier, TIER_PREFERRED);
        assert_string_equal(v.by[RULE_ACTION_TIER], "browsers");
        assert_false(is_set(&v, RULE_ACTION_ADJ));
        /* a later "protect = no" undoes the built-in */
        v = verdict_of("sshd", 0, "sshd: alice [priv]", "");
        assert_true(is_set(&v, RULE_ACTION_PROTECT));
        assert_false(v.actions.protect);
        assert_string_equal(v.by[RULE_ACTION_PROTECT], "unprotect-sshd");
        /* a regular expression on the command line */
        v = verdict_of("Isolated Web Co", 1001, "/usr/lib/firefox/firefox -contentproc -childID 3", "");
        assert_true(v.actions.avoid);
        assert_int_equal(v.actions.kill, RULE_KILL_PROCESS);
        assert_false(is_set(&v, RULE_ACTION_TIER));
        v = verdict_of("x", 1001, "/usr/bin/x --not-contentproc", "");
        assert_false(is_set(&v, RULE_ACTION_AVOID));
        /* prefer = no is tier auto, set by the rule */
        v = verdict_of("chromium", 1001, "/opt/chromium/chrome", "");
        assert_true(is_set(&v, RULE_ACTION_TIER));
        assert_int_equal(v.actions.tier, TIER_AUTO);
        assert_string_equal(v.by[RULE_ACTION_TIER], "opt");
        /* cgroup globs, one of two alternatives */
        v = verdict_of("nginx", 33, "nginx: worker process", "/system.slice/nginx.service");
        assert_int_equal(v.actions.tier, TIER_SYSTEM);
        v = verdict_of("systemd", 0, "/sbin/init", "/init.scope");
        assert_int_equal(v.actions.tier, TIER_SYSTEM);
        assert_true(v.actions.protect); /* the built-in still */
        /* a glob matches the whole path: a sub-cgroup is not "*.service" */
        v = verdict_of("nginx", 33, "nginx", "/system.slice/nginx.service/sub");
        assert_false(is_set(&v, RULE_ACTION_TIER));
        rules_free(&rules);
}

/* The same two rules the other way round: the other one wins. */
static void test_order_matters(void **state)
{
        struct rule_verdict v;

        load("[rule alice]\nuser = 1000\ntier = background\n"
             "[rule browsers]\nname = firefox\nprefer = yes\n");
        v = verdict_of("firefox", 1000, "firefox", "");
        assert_int_equal(v.actions.tier, TIER_PREFERRED);
        assert_string_equal(v.by[RULE_ACTION_TIER], "browsers");
        rules_free(&rules);
}

/* Every matcher of a rule must match. */
static void test_all_matchers(void **state)
{
        struct rule_verdict v;

        load("[rule narrow]\n"
             "name = python3*\n"
             "exe = /usr/bin/python3*\n"
             "cmdline = jupyter\n"
             "user = root\n"
             "cgroup = /user.slice/*\n"
             "prefer = yes\n");
        v = verdict_of("python3", 0, "/usr/bin/python3 -m jupyter lab", "/user.slice/u/s.scope");
        assert_int_equal(v.actions.tier, TIER_PREFERRED);
        /* each matcher failing alone */
        v = verdict_of("python", 0, "/usr/bin/python3 -m jupyter lab", "/user.slice/u/s.scope");
        assert_false(is_set(&v, RULE_ACTION_TIER));
        v = verdict_of("python3", 0, "python3 -m jupyter lab", "/user.slice/u/s.scope");
        assert_false(is_set(&v, RULE_ACTION_TIER));
        v = verdict_of("python3", 0, "/usr/bin/python3 -m notebook", "/user.slice/u/s.scope");
        assert_false(is_set(&v, RULE_ACTION_TIER));
        v = verdict_of("python3", 1000, "/usr/bin/python3 -m jupyter lab", "/user.slice/u/s.scope");
        assert_false(is_set(&v, RULE_ACTION_TIER));
        v = verdict_of("python3", 0, "/usr/bin/python3 -m jupyter lab", "/system.slice/j.service");
        assert_false(is_set(&v, RULE_ACTION_TIER));
        /* the v1 memory path when there is no v2 path */
        struct proc_entry p = proc("python3", 0, "/usr/bin/python3 -m jupyter", "");
        strscpy(p.cgroup_v1_memory, "/user.slice/u", sizeof(p.cgroup_v1_memory));
        rules_match(&rules, &p, &v);
        assert_int_equal(v.actions.tier, TIER_PREFERRED);
        rules_free(&rules);
}

/* A rule made by hand without matchers (the configuration refuses those)
 * matches nothing rather than everything. */
static void test_no_matcher(void **state)
{
        struct rule r;
        struct proc_entry p = proc("x", 0, "x", "/");

        memset(&r, 0, sizeof(r));
        r.actions.set = RULE_ACTION_BIT(RULE_ACTION_PROTECT);
        r.actions.protect = true;
        assert_false(rules_rule_matches(&r, &p));
}

/* Compiling and freeing again and again, the largest rule set included. */
static void test_compile_many(void **state)
{
        char text[8192];
        size_t len = 0;

        for (int i = 0; i < CONFIG_RULES_MAX - 6; i++)
                len += (size_t)snprintf(text + len, sizeof(text) - len,
                                        "[rule r%d]\ncmdline = ^/usr/bin/app%d( |$)\nadj = %d\n", i, i,
                                        i * 10);
        assert_true(len < sizeof(text) - 1);
        for (int round = 0; round < 3; round++) {
                struct rule_verdict v;
                load(text);
                assert_int_equal(rules.n, CONFIG_RULES_MAX);
                v = verdict_of("app7", 1000, "/usr/bin/app7 --x", "");
                assert_int_equal(v.actions.adj, 70);
                assert_string_equal(v.by[RULE_ACTION_ADJ], "r7");
                v = verdict_of("app7", 1000, "/usr/bin/app70", "");
                assert_int_equal(v.actions.adj, 0);
                assert_false(is_set(&v, RULE_ACTION_ADJ));
                rules_free(&rules);
                assert_int_equal(rules.n, 0);
        }
        /* freeing twice is harmless */
        rules_free(&rules);
}

static void test_tier_names(void **state)
{
        enum tier t;

        for (int i = 0; i <= TIER_AUTO; i++) {
                const char *name = tier_to_string((enum tier)i);
                if (i == TIER_PROTECTED) {
                        assert_int_equal(tier_from_rule_string(name, &t), -EINVAL);
                        continue;
                }
                assert_int_equal(tier_from_rule_string(name, &t), 0);
                assert_int_equal(t, i);
        }
        assert_int_equal(tier_from_rule_string("Background", &t), -EINVAL);
        assert_string_equal(rule_kill_to_string(RULE_KILL_PROCESS), "process");
        assert_string_equal(rule_kill_to_string(RULE_KILL_ACTIVITY), "activity");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_glob),         cmocka_unit_test(test_argv0),
                cmocka_unit_test(test_builtins),     cmocka_unit_test(test_builtin_override),
                cmocka_unit_test(test_conflicts),    cmocka_unit_test(test_order_matters),
                cmocka_unit_test(test_all_matchers), cmocka_unit_test(test_no_matcher),
                cmocka_unit_test(test_compile_many), cmocka_unit_test(test_tier_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
