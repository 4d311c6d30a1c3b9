/* SPDX-License-Identifier: MIT */
/* Activities on hand-made process tables and on a fixture /proc: grouping,
 * protection, tiers, ranking and the oom_score_adj plan. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "activity.h"
#include "config.h"
#include "rules.h"
#include "util.h"

#define SELF 999
/* 1 GiB of RAM, no swap: 262144 pages of 4 KiB; adj 1 = 262 pages. */
#define ALLOWABLE_KIB (UINT64_C(1) << 20)
#define MIB UINT64_C(1024) /* in KiB */
#define SEC USEC_PER_SEC
#define MINUTE (60 * SEC)
#define NOW (10 * 3600 * SEC)
#define MAXP 64

#define U "/user.slice/user-1000.slice"
#define UM U "/user@1000.service"
#define APP UM "/app.slice"

static struct proc_entry entries[MAXP];
static struct proc_table table = { .entries = entries, .capacity = MAXP };
static struct rule_verdict verdicts[MAXP];
static int base_adj[MAXP];
static uint64_t last_active[MAXP];
static struct activity acts[MAXP];
static uint32_t members[MAXP];
static uint32_t scratch[ACTIVITY_SCRATCH_WORDS(MAXP)];
static struct activity_client clients[8];
static struct activity_use uses[8];
static struct activity_input input;
static size_t n_acts;

static const struct policy_domain system_domain = {
        .allowable_kib = ALLOWABLE_KIB,
        .page_kib = 4,
        .mode = BADNESS_KERNEL,
        .self_pid = SELF,
};

static int reset(void **state)
{
        memset(entries, 0, sizeof(entries));
        memset(verdicts, 0, sizeof(verdicts));
        memset(base_adj, 0, sizeof(base_adj));
        memset(last_active, 0, sizeof(last_active));
        memset(clients, 0, sizeof(clients));
        memset(uses, 0, sizeof(uses));
        for (size_t i = 0; i < MAXP; i++)
                verdicts[i].actions.tier = TIER_AUTO;
        table.n = 0;
        table.dropped = 0;
        input = (struct activity_input){
                .procs = &table,
                .domain = &system_domain,
                .clients = clients,
                .uses = uses,
                .now_usec = NOW,
                .recent_usec = ACTIVITY_RECENT_DEFAULT_USEC,
                .scratch = scratch,
                .scratch_cap = ARRAY_SIZE(scratch),
        };
        n_acts = 0;
        return 0;
}

/* Adds a process; returns its index. */
static size_t add(pid_t pid, pid_t ppid, pid_t pgid, uid_t uid, uint64_t anon_kib, const char *cg,
                  const char *comm)
{
        struct proc_entry *p = &entries[table.n];

        assert_true(table.n < MAXP);
        p->pid = pid;
        p->ppid = ppid;
        p->pgid = pgid;
        p->sid = pgid;
        p->uid = uid;
        p->state = 'S';
        p->has_mm = true;
        p->rss_anon_kib = anon_kib;
        p->start_time_ticks = (uint64_t)pid; /* older = lower PID unless set */
        p->kernel_oom_score = -1;
        strscpy(p->cgroup_v2, cg, sizeof(p->cgroup_v2));
        strscpy(p->comm, comm, sizeof(p->comm));
        snprintf(p->cmdline, sizeof(p->cmdline), "%s", comm);
        return table.n++;
}

static size_t idx(pid_t pid)
{
        for (size_t i = 0; i < table.n; i++)
                if (entries[i].pid == pid)
                        return i;
        fail_msg("no pid %d", (int)pid);
        return 0;
}

static void rank(void)
{
        ssize_t r = activity_rank(&input, acts, MAXP, members, MAXP);

        if (r < 0)
                fail_msg("activity_rank: %zd", r);
        n_acts = (size_t)r;
}

static const struct activity *find(const char *id)
{
        for (size_t k = 0; k < n_acts; k++)
                if (strcmp(activity_id(&acts[k]), id) == 0)
                        return &acts[k];
        fail_msg("no activity '%s'", id);
        return NULL;
}

/* "1100 1101 1102": the members' PIDs. */
static const char *pids(const struct activity *a, char *buf, size_t size)
{
        size_t len = 0;

        buf[0] = '\0';
        for (uint32_t m = 0; m < a->n_members; m++)
                len += (size_t)snprintf(buf + len, size - len, "%s%d", m ? " " : "",
                                        (int)entries[members[a->first_member + m]].pid);
        return buf;
}

static void assert_members(const char *id, const char *expected)
{
        char buf[256];

        assert_string_equal(pids(find(id), buf, sizeof(buf)), expected);
}

static void protect_by_rule(pid_t pid, const char *rule)
{
        struct rule_verdict *v = &verdicts[idx(pid)];

        v->actions.set |= RULE_ACTION_BIT(RULE_ACTION_PROTECT);
        v->actions.protect = true;
        v->by[RULE_ACTION_PROTECT] = rule;
        input.verdicts = verdicts;
}

static void test_unit_path_len(void **state)
{
        static const struct {
                const char *path;
                size_t len;
        } cases[] = {
                { "/a.slice/b.scope/c", 16 },
                { APP "/app-gnome-firefox-1234.scope", sizeof(APP "/app-gnome-firefox-1234.scope") - 1 },
                /* the user manager only for what is directly in it */
                { UM, sizeof(UM) - 1 },
                { APP, 0 },
                { APP "/x", 0 },
                { UM "/init.scope", sizeof(UM "/init.scope") - 1 },
                { U "/session-2.scope", sizeof(U "/session-2.scope") - 1 },
                /* a delegated service or container keeps its own subtree */
                { "/system.slice/docker-abc.scope/payload/x", sizeof("/system.slice/docker-abc.scope") - 1 },
                { "/system.slice/getty@tty1.service", sizeof("/system.slice/getty@tty1.service") - 1 },
                { "/x.scope/y.slice/z.service", sizeof("/x.scope/y.slice/z.service") - 1 },
                { "/x.scope/y.slice/z", 0 },
                { "/", 0 },
                { "", 0 },
                { "relative.scope", 0 },
                { "/.scope", 7 },
                { "/a.scopex", 0 },
                { "/a.service.d", 0 },
                { "//a.scope//", 9 },
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
                if (activity_unit_path_len(cases[i].path) != cases[i].len)
                        fail_msg("'%s': %zu, expected %zu", cases[i].path,
                                 activity_unit_path_len(cases[i].path), cases[i].len);
}

static void test_group_units(void **state)
{
        const struct activity *a;

        add(1, 0, 1, 0, 4 * MIB, "/init.scope", "systemd");
        add(2, 0, 0, 0, 0, "/", "kthreadd");
        entries[1].has_mm = false;
        entries[1].flags = PROC_PF_KTHREAD;
        add(400, 1, 400, 0, 3 * MIB, "/system.slice/nginx.service", "nginx");
        add(401, 400, 400, 33, 9 * MIB, "/system.slice/nginx.service", "nginx");
        add(1000, 1, 1000, 1000, 5 * MIB, UM, "systemd");
        add(1050, 1000, 1050, 1000, 1 * MIB, APP, "stray");
        add(1100, 1000, 1100, 1000, 400 * MIB, APP "/app-gnome-firefox-1100.scope", "firefox");
        add(1101, 1100, 1100, 1000, 250 * MIB, APP "/app-gnome-firefox-1100.scope", "Isolated Web Co");
        add(1102, 1101, 1100, 1000, 80 * MIB, APP "/app-gnome-firefox-1100.scope", "WebExtensions");
        entries[idx(1101)].rss_file_kib = 60 * MIB;
        entries[idx(1101)].swap_kib = 10 * MIB;
        entries[idx(1101)].pte_kib = 900;
        entries[idx(1102)].rss_shmem_kib = 4 * MIB;
        entries[idx(1102)].oom_score_adj = 300;
        add(1300, 1, 1300, 0, 20 * MIB, "/system.slice/docker-abc.scope/payload", "dockerd-app");
        add(1301, 1300, 1300, 0, 2 * MIB, "/system.slice/docker-abc.scope", "tini");
        add(2000, 1, 2000, 1000, 2 * MIB, U "/session-3.scope", "bash");
        add(2001, 2000, 2001, 1000, 3 * MIB, U "/session-3.scope", "make");
        add(2002, 2001, 2001, 1000, 100 * MIB, U "/session-3.scope", "cc1");
        add(2100, 2000, 2100, 1000, 0, U "/session-3.scope", "sleep");
        entries[idx(2100)].state = 'Z';
        entries[idx(2100)].has_mm = false;
        rank();

        /* init, nginx, user manager, stray, firefox, docker, session */
        assert_int_equal(n_acts, 7);
        assert_members("/init.scope", "1");
        assert_members("/system.slice/nginx.service", "400 401");
        assert_members(UM, "1000");
        assert_members("pgid:1050", "1050");
        assert_members(APP "/app-gnome-firefox-1100.scope", "1100 1101 1102");
        assert_members("/system.slice/docker-abc.scope", "1300 1301");
        assert_members(U "/session-3.scope", "2000 2001 2002");

        a = find(APP "/app-gnome-firefox-1100.scope");
        assert_int_equal(a->kind, ACTIVITY_UNIT);
        assert_string_equal(a->name, "app-gnome-firefox-1100");
        assert_int_equal(a->leader_pid, 1100);
        assert_string_equal(a->cgroup, APP "/app-gnome-firefox-1100.scope");
        assert_int_equal(a->cgroup_version, CGROUP_V2);
        assert_true(a->cgroup_exact);
        assert_int_equal(a->rss_anon_kib, 730 * MIB);
        assert_int_equal(a->rss_file_kib, 60 * MIB);
        assert_int_equal(a->rss_shmem_kib, 4 * MIB);
        assert_int_equal(a->swap_kib, 10 * MIB);
        assert_int_equal(a->pte_kib, 900);
        assert_int_equal(a->adj_min, 0);
        assert_int_equal(a->adj_max, 300);
        /* The leader's adj (0) on the sum: (730 + 60 + 4 + 10) MiB = 205824
         * pages + 900 KiB of page tables = 225 pages. */
        assert_int_equal(a->badness.points, 205824 + 225);
        assert_int_equal(a->worst_member, idx(1100));

        a = find(UM);
        assert_string_equal(a->name, "user@1000");
        /* cgroup.kill there would take every app of the user */
        assert_false(a->cgroup_exact);
        a = find("pgid:1050");
        assert_int_equal(a->kind, ACTIVITY_PGID);
        assert_string_equal(a->name, "stray");
        assert_string_equal(a->cgroup, APP);
        assert_false(a->cgroup_exact);
        /* a subtree of the unit is the unit */
        a = find("/system.slice/docker-abc.scope");
        assert_int_equal(a->leader_pid, 1300);
        assert_true(a->cgroup_exact);
        assert_true(find("/system.slice/nginx.service")->cgroup_exact);
        /* a login session is one activity; its zombie is in no activity
         * but in the cgroup, so cgroup.kill would not be exact */
        a = find(U "/session-3.scope");
        assert_string_equal(a->name, "session-3");
        assert_int_equal(a->leader_pid, 2000);
        assert_false(a->cgroup_exact);
        assert_null(activity_of_proc(acts, n_acts, members, (uint32_t)idx(2100)));
        assert_null(activity_of_proc(acts, n_acts, members, (uint32_t)idx(2)));
        assert_ptr_equal(activity_of_proc(acts, n_acts, members, (uint32_t)idx(2002)), a);
        assert_int_equal(find("/init.scope")->protection, ACTIVITY_PROTECTED_INIT);

        /* an incomplete table can promise nothing */
        table.dropped = 1;
        rank();
        assert_false(find(APP "/app-gnome-firefox-1100.scope")->cgroup_exact);
}

static void test_group_client(void **state)
{
        const struct activity *a;

        add(1000, 1, 1000, 1000, MIB, UM, "systemd");
        add(3000, 1000, 3000, 1000, 50 * MIB, APP "/app-editor.scope", "editor");
        add(3001, 3000, 3000, 1000, 10 * MIB, APP "/app-editor.scope", "helper");
        /* a grandchild in another unit still belongs to the client */
        add(3002, 3001, 3002, 1000, 5 * MIB, APP "/app-other.scope", "spell");
        /* in the scope but not a descendant */
        add(3003, 1000, 3003, 1000, 7 * MIB, APP "/app-editor.scope", "sibling");
        /* a nested registered client is an activity of its own */
        add(3020, 3001, 3020, 1000, 8 * MIB, APP "/app-editor.scope", "plugin");
        add(3021, 3020, 3020, 1000, 1 * MIB, APP "/app-editor.scope", "plugin-child");
        /* registered, but the PID was recycled since */
        add(3030, 1000, 3030, 1000, 3 * MIB, APP "/app-late.scope", "late");
        clients[0] = (struct activity_client){ .pid = 3000, .client_id = 7, .name = "Editor\n" };
        clients[1] = (struct activity_client){ .pid = 3020, .client_id = 8, .start_time_ticks = 3020 };
        clients[2] = (struct activity_client){ .pid = 3030, .client_id = 9, .start_time_ticks = 1 };
        clients[3] = (struct activity_client){ .pid = 4444, .client_id = 10 }; /* gone */
        input.n_clients = 4;
        rank();

        assert_int_equal(n_acts, 5);
        assert_members("client:7", "3000 3001 3002");
        assert_members("client:8", "3020 3021");
        assert_members(APP "/app-editor.scope", "3003");
        assert_members(APP "/app-late.scope", "3030");
        assert_members(UM, "1000");
        a = find("client:7");
        assert_int_equal(a->kind, ACTIVITY_CLIENT);
        assert_int_equal(a->client_id, 7);
        assert_string_equal(a->name, "Editor?");
        assert_int_equal(a->leader_pid, 3000);
        /* members in two cgroups: no cgroup to kill */
        assert_string_equal(a->cgroup, "");
        assert_false(a->cgroup_exact);
        a = find("client:8");
        assert_string_equal(a->name, "plugin");
        assert_string_equal(a->cgroup, APP "/app-editor.scope");
        assert_false(a->cgroup_exact); /* the scope holds others too */
        assert_false(find(APP "/app-editor.scope")->cgroup_exact);
        assert_true(find(APP "/app-late.scope")->cgroup_exact);
}

static void test_group_pgid(void **state)
{
        const struct activity *a;

        /* no cgroups at all (a kiosk without systemd) */
        add(4000, 1, 4000, 1000, 10 * MIB, "", "shell");
        add(4001, 4000, 4000, 1000, 20 * MIB, "", "worker");
        add(4002, 4000, 4002, 1000, 30 * MIB, "", "lone");
        /* the group leader has exited: the oldest top member leads */
        add(4011, 4000, 4009, 1000, 1 * MIB, "", "b");
        add(4010, 4000, 4009, 1000, 1 * MIB, "", "a");
        entries[idx(4011)].start_time_ticks = 5;
        entries[idx(4010)].start_time_ticks = 6;
        add(4020, 4011, 4009, 1000, 1 * MIB, "", "c");
        entries[idx(4020)].start_time_ticks = 1; /* older, but its parent is a member */
        add(4030, 4000, 0, 1000, 1 * MIB, "", "nogroup");
        rank();

        assert_int_equal(n_acts, 4);
        assert_members("pgid:4000", "4000 4001");
        assert_members("pgid:4002", "4002");
        assert_members("pgid:4009", "4010 4011 4020");
        assert_members("pid:4030", "4030");
        a = find("pgid:4000");
        assert_int_equal(a->leader_pid, 4000);
        assert_string_equal(a->name, "shell");
        assert_string_equal(a->cgroup, "");
        assert_false(a->cgroup_exact);
        assert_int_equal(find("pgid:4009")->leader_pid, 4011);
        assert_string_equal(find("pgid:4002")->name, "lone");
}

static void test_hostile(void **state)
{
        const struct activity *a;
        char longpath[PROC_CGROUP_MAX];

        /* two paths cut at the same length look alike: not trusted */
        memset(longpath, 'a', sizeof(longpath));
        memcpy(longpath, "/x.scope/", 9);
        memcpy(longpath + sizeof(longpath) - 7, ".scope", 7);
        add(5000, 1, 5000, 1000, MIB, longpath, "one");
        entries[idx(5000)].cgroup_truncated = true;
        add(5001, 1, 5001, 1000, MIB, longpath, "two");
        entries[idx(5001)].cgroup_truncated = true;
        /* a cgroup named like another kind's id */
        add(5002, 1, 5, 1000, MIB, "/pgid:5.scope", "imposter");
        add(5003, 1, 5, 1000, MIB, "", "real");
        /* control bytes in a unit name, and a unit with no name */
        add(5004, 1, 5004, 1000, MIB, "/a\001b\nc.scope", "ctl");
        add(5005, 1, 5005, 1000, MIB, "/.scope", "\x1bnoname");
        /* parent cycles and a self-parent: the walk up to a registered
         * client must end */
        add(6000, 6001, 6000, 1000, MIB, "", "cyc-a");
        add(6001, 6000, 6000, 1000, MIB, "", "cyc-b");
        add(6002, 6002, 6002, 1000, MIB, "", "self-parent");
        add(6003, 6002, 6003, 1000, MIB, "", "child");
        clients[0] = (struct activity_client){ .pid = 7000, .client_id = 1 };
        input.n_clients = 1;
        /* a PID 0 entry is nobody */
        add(0, 0, 0, 0, MIB, "", "zero");
        rank();

        assert_int_equal(n_acts, 9);
        assert_members("pgid:5000", "5000");
        assert_members("pgid:5001", "5001");
        assert_members("/pgid:5.scope", "5002");
        assert_members("pgid:5", "5003");
        a = find("/a\001b\nc.scope");
        assert_string_equal(a->name, "a?b?c");
        assert_string_equal(find("/.scope")->name, "?noname");
        assert_members("pgid:6000", "6000 6001");
        assert_members("pgid:6002", "6002");
        assert_members("pgid:6003", "6003");
        /* the group leader leads, cycle or not */
        assert_int_equal(find("pgid:6000")->leader_pid, 6000);
}

static void test_protection_split(void **state)
{
        const struct activity *a, *victim;

        /* sshd's privileged half in the login session with a runaway */
        add(2000, 520, 2000, 0, 1 * MIB, U "/session-4.scope", "sshd");
        add(2001, 2000, 2000, 1000, 1 * MIB, U "/session-4.scope", "sshd");
        add(2002, 2001, 2002, 1000, 2 * MIB, U "/session-4.scope", "bash");
        add(2004, 2002, 2002, 1000, 700 * MIB, U "/session-4.scope", "cc1plus");
        protect_by_rule(2000, "sshd");
        /* a child at -1000 does not shield its application */
        add(3000, 1, 3000, 1000, 30 * MIB, APP "/app-x.scope", "x");
        add(3001, 3000, 3000, 1000, 1 * MIB, APP "/app-x.scope", "x-guard");
        entries[idx(3001)].oom_score_adj = -1000;
        /* nor does a rule's adj = -1000 */
        add(3100, 1, 3100, 1000, 20 * MIB, APP "/app-y.scope", "y");
        add(3101, 3100, 3100, 1000, 20 * MIB, APP "/app-y.scope", "y-core");
        verdicts[idx(3101)].actions.set = RULE_ACTION_BIT(RULE_ACTION_ADJ);
        verdicts[idx(3101)].actions.adj = -1000;
        verdicts[idx(3101)].by[RULE_ACTION_ADJ] = "core";
        /* the daemon in a scope with a helper */
        add(SELF, 1, SELF, 0, 8 * MIB, "/system.slice/triage.service", "triaged");
        add(1001, SELF, SELF, 0, 1 * MIB, "/system.slice/triage.service", "helper");
        /* a huge protected one */
        add(9000, 1, 9000, 1000, 900 * MIB, APP "/app-big.scope", "Xorg");
        protect_by_rule(9000, "display-server");
        rank();

        assert_int_equal(n_acts, 9);
        assert_members(U "/session-4.scope", "2001 2002 2004");
        assert_members("pid:2000", "2000");
        assert_members(APP "/app-x.scope", "3000");
        assert_members("pid:3001", "3001");
        assert_members(APP "/app-y.scope", "3100");
        assert_members("pid:3101", "3101");
        assert_members("/system.slice/triage.service", "1001");
        assert_members("pid:999", "999");
        /* all of it protected: one activity, natural id */
        assert_members(APP "/app-big.scope", "9000");

        a = find("pid:2000");
        assert_int_equal(a->kind, ACTIVITY_PROCESS);
        assert_int_equal(a->tier, TIER_PROTECTED);
        assert_int_equal(a->protection, ACTIVITY_PROTECTED_RULE);
        assert_string_equal(a->protect_rule, "sshd");
        assert_int_equal(find("pid:3001")->protection, ACTIVITY_PROTECTED_ADJ_MIN);
        assert_int_equal(find("pid:3101")->protection, ACTIVITY_PROTECTED_RULE);
        assert_string_equal(find("pid:3101")->protect_rule, "core");
        assert_int_equal(find("pid:999")->protection, ACTIVITY_PROTECTED_SELF);
        assert_int_equal(find(APP "/app-big.scope")->tier, TIER_PROTECTED);
        /* the split session: killable, but cgroup.kill would take sshd */
        a = find(U "/session-4.scope");
        assert_int_equal(a->tier, TIER_BACKGROUND);
        assert_int_equal(a->leader_pid, 2001);
        assert_string_equal(a->cgroup, U "/session-4.scope");
        assert_false(a->cgroup_exact);
        assert_false(find(APP "/app-x.scope")->cgroup_exact);

        /* the runaway is the victim; every protected one ranks after every
         * killable one, the 900 MiB protected one included */
        victim = activity_victim(acts, n_acts);
        assert_ptr_equal(victim, find(U "/session-4.scope"));
        for (size_t k = 0; k < n_acts; k++)
                assert_int_equal(acts[k].tier == TIER_PROTECTED, k >= 4);

        /* nothing killable: no victim */
        reset(NULL);
        add(9000, 1, 9000, 1000, 900 * MIB, APP "/app-big.scope", "Xorg");
        protect_by_rule(9000, "display-server");
        add(1, 0, 1, 0, MIB, "/init.scope", "systemd");
        rank();
        assert_int_equal(n_acts, 2);
        assert_null(activity_victim(acts, n_acts));
}

static void use_at(size_t u, pid_t pid, const char *id, uint64_t ago_usec, bool focused)
{
        uses[u] = (struct activity_use){
                .pid = pid, .id = id, .last_use_usec = NOW - ago_usec, .focused = focused
        };
        input.n_uses = MAX(input.n_uses, u + 1);
}

static void test_tiers(void **state)
{
        const struct activity *a;

        add(100, 1, 100, 1000, 10 * MIB, APP "/a.scope", "focused");
        use_at(0, 100, NULL, 0, true);
        add(200, 1, 200, 1000, 10 * MIB, APP "/b.scope", "recent");
        use_at(1, 200, NULL, 2 * MINUTE, false);
        add(300, 1, 300, 1000, 10 * MIB, APP "/c.scope", "old");
        use_at(2, 300, NULL, 30 * MINUTE, false);
        add(400, 1, 400, 0, 10 * MIB, "/system.slice/x.service", "service");
        add(500, 1, 500, 100, 10 * MIB, "", "nocgroup-sys");
        add(600, 1, 600, 0, 10 * MIB, U "/session-1.scope", "root-login");
        last_active[idx(600)] = NOW - 1 * MINUTE;
        input.last_active_usec = last_active;
        add(700, 1, 700, 1000, 10 * MIB, APP "/g.scope", "ruled");
        use_at(3, 700, NULL, 0, true); /* the rule beats the focus */
        verdicts[idx(700)].actions.set = RULE_ACTION_BIT(RULE_ACTION_TIER);
        verdicts[idx(700)].actions.tier = TIER_PREFERRED;
        verdicts[idx(700)].by[RULE_ACTION_TIER] = "browsers";
        input.verdicts = verdicts;
        add(800, 1, 800, 0, 10 * MIB, "", "root-client");
        clients[0] = (struct activity_client){ .pid = 800, .client_id = 4 };
        input.n_clients = 1;
        /* a report by id, older reports do not override newer ones */
        add(900, 1, 900, 1000, 10 * MIB, APP "/i.scope", "by-id");
        use_at(4, 0, APP "/i.scope", 0, true);
        use_at(5, 900, NULL, 50 * MINUTE, false);
        /* prefer = no (tier auto) leaves triage's own choice */
        add(1000, 1, 1000, 1000, 10 * MIB, APP "/j.scope", "unpreferred");
        verdicts[idx(1000)].actions.set = RULE_ACTION_BIT(RULE_ACTION_TIER);
        verdicts[idx(1000)].actions.tier = TIER_AUTO;
        use_at(6, 1000, NULL, 0, true);
        /* a CPU-busy process is recent although it has no report */
        add(1100, 1, 1100, 1000, 10 * MIB, APP "/k.scope", "busy");
        last_active[idx(1100)] = NOW;
        /* a report wins over CPU use */
        add(1200, 1, 1200, 1000, 10 * MIB, APP "/l.scope", "reported");
        last_active[idx(1200)] = NOW;
        use_at(7, 1200, NULL, 20 * MINUTE, false);
        rank();

        assert_int_equal(find(APP "/a.scope")->tier, TIER_FOREGROUND);
        assert_true(find(APP "/a.scope")->focused);
        assert_int_equal(find(APP "/b.scope")->tier, TIER_RECENT);
        assert_int_equal(find(APP "/b.scope")->idle_usec, 2 * MINUTE);
        assert_int_equal(find(APP "/c.scope")->tier, TIER_BACKGROUND);
        assert_int_equal(find("/system.slice/x.service")->tier, TIER_SYSTEM);
        assert_int_equal(find("pgid:500")->tier, TIER_SYSTEM);
        a = find(U "/session-1.scope");
        assert_int_equal(a->tier, TIER_RECENT);
        assert_false(a->reported);
        assert_int_equal(a->idle_usec, 1 * MINUTE);
        a = find(APP "/g.scope");
        assert_int_equal(a->tier, TIER_PREFERRED);
        assert_string_equal(a->tier_rule, "browsers");
        /* never used as far as anyone knows: idle since the clock's start */
        a = find("client:4");
        assert_int_equal(a->tier, TIER_BACKGROUND);
        assert_int_equal(a->idle_usec, NOW);
        a = find(APP "/i.scope");
        assert_int_equal(a->tier, TIER_FOREGROUND);
        assert_int_equal(a->idle_usec, 0);
        assert_int_equal(find(APP "/j.scope")->tier, TIER_FOREGROUND);
        assert_int_equal(find(APP "/k.scope")->tier, TIER_RECENT);
        a = find(APP "/l.scope");
        assert_true(a->reported);
        assert_int_equal(a->tier, TIER_BACKGROUND);

        /* kill order: preferred, background, recent, foreground, system */
        for (size_t k = 1; k < n_acts; k++) {
                static const int order[] = {
                        [TIER_PREFERRED] = 0,  [TIER_BACKGROUND] = 1, [TIER_RECENT] = 2,
                        [TIER_FOREGROUND] = 3, [TIER_SYSTEM] = 4,     [TIER_PROTECTED] = 5,
                };
                assert_true(order[acts[k - 1].tier] <= order[acts[k].tier]);
        }
        assert_int_equal(acts[0].tier, TIER_PREFERRED);
        assert_int_equal(acts[n_acts - 1].tier, TIER_SYSTEM);

        /* recent_usec is the caller's: 0 means nothing is recent */
        input.recent_usec = 0;
        rank();
        assert_int_equal(find(APP "/b.scope")->tier, TIER_BACKGROUND);
}

static void test_age_factor(void **state)
{
        /* 1000 * (1 + log2(1 + s / 60)), rounded */
        assert_int_equal(activity_age_factor_milli(0), 1000);
        assert_int_equal(activity_age_factor_milli(59 * SEC), 1988); /* log2(119/60) = 0.988 */
        assert_int_equal(activity_age_factor_milli(60 * SEC), 2000);
        assert_int_equal(activity_age_factor_milli(6 * MINUTE), 3807);  /* log2(7) = 2.807 */
        assert_int_equal(activity_age_factor_milli(10 * MINUTE), 4459); /* log2(11) = 3.459 */
        assert_int_equal(activity_age_factor_milli(60 * MINUTE), 6931); /* log2(61) = 5.931 */
        assert_int_equal(activity_age_factor_milli(24 * 60 * MINUTE), 11493);
        /* sub-second idle does not count; huge ones saturate, no overflow */
        assert_int_equal(activity_age_factor_milli(999999), 1000);
        /* capped at 2^32 - 1 s: 1 + log2(1 + 4294967295 / 60) = 27.093 */
        assert_int_equal(activity_age_factor_milli(UINT64_MAX), 27093);

        assert_int_equal(activity_weight(1000, 6931), 6931);
        assert_int_equal(activity_weight(-1000, 2000), -500); /* older: closer to 0 */
        assert_int_equal(activity_weight(INT64_MAX / 2, 4000), INT64_MAX);
        assert_int_equal(activity_weight(0, 5000), 0);
}

/* The trade-off in the brief: age multiplies memory, but only through a
 * log, so a big application goes before a small old one. */
static void test_background_tradeoff(void **state)
{
        const struct activity *big, *old;

        /* 800 MiB idle 6 min: 204800 pages * 3.807 = 779673
         * 100 MiB idle 1 h:    25600 pages * 6.931 = 177433 */
        add(100, 1, 100, 1000, 800 * MIB, APP "/big.scope", "big");
        use_at(0, 100, NULL, 6 * MINUTE, false);
        add(200, 1, 200, 1000, 100 * MIB, APP "/old.scope", "old");
        use_at(1, 200, NULL, 60 * MINUTE, false);
        rank();
        big = find(APP "/big.scope");
        old = find(APP "/old.scope");
        assert_int_equal(big->tier, TIER_BACKGROUND);
        assert_int_equal(big->age_factor_milli, 3807);
        assert_int_equal(big->badness.points, 204800);
        assert_int_equal(big->weight, 779673);
        assert_int_equal(old->age_factor_milli, 6931);
        assert_int_equal(old->weight, 177433);
        assert_int_equal(big->rank, 0);
        assert_int_equal(old->rank, 1);

        /* 150 MiB idle 6 min: 38400 * 3.807 = 146188 < 177433: the old one
         * goes first although it is smaller */
        entries[idx(100)].rss_anon_kib = 150 * MIB;
        rank();
        assert_int_equal(find(APP "/big.scope")->weight, 146188);
        assert_int_equal(find(APP "/old.scope")->rank, 0);
}

static void test_within_tier(void **state)
{
        /* all recent: the kernel badness decides */
        add(100, 1, 100, 1000, 50 * MIB, APP "/a.scope", "small");
        add(200, 1, 200, 1000, 80 * MIB, APP "/b.scope", "large");
        add(300, 1, 300, 1000, 90 * MIB, APP "/c.scope", "avoided");
        for (size_t i = 0; i < 3; i++)
                last_active[i] = NOW;
        input.last_active_usec = last_active;
        verdicts[idx(300)].actions.set = RULE_ACTION_BIT(RULE_ACTION_AVOID);
        verdicts[idx(300)].actions.avoid = true;
        input.verdicts = verdicts;
        /* triage published 1000 for the small one last time; its own adj
         * is 0, and that is what counts */
        entries[idx(100)].oom_score_adj = 1000;
        base_adj[idx(100)] = 0;
        input.base_adj = base_adj;
        rank();
        assert_int_equal(acts[0].leader_pid, 200);
        assert_int_equal(acts[1].leader_pid, 100);
        assert_int_equal(acts[2].leader_pid, 300); /* biggest, but avoided */
        assert_int_equal(acts[0].tier, TIER_RECENT);
        assert_true(acts[2].avoid);

        /* a rule's adj replaces the leader's: +200 is 52400 pages */
        verdicts[idx(100)].actions.set = RULE_ACTION_BIT(RULE_ACTION_ADJ);
        verdicts[idx(100)].actions.adj = 200;
        rank();
        assert_int_equal(acts[0].leader_pid, 100);
        assert_int_equal(acts[0].adj, 200);
        assert_true(acts[0].adj_from_rule);
        assert_int_equal(acts[0].badness.points, 12800 + 200 * 262);

        /* equal weights: lower leader PID first */
        reset(NULL);
        add(20, 1, 20, 1000, 10 * MIB, APP "/y.scope", "y");
        add(10, 1, 10, 1000, 10 * MIB, APP "/x.scope", "x");
        rank();
        assert_int_equal(acts[0].leader_pid, 10);
}

static void test_rule_merge(void **state)
{
        const struct activity *a;

        add(100, 1, 100, 1000, 10 * MIB, APP "/a.scope", "leader");
        add(101, 100, 100, 1000, 10 * MIB, APP "/a.scope", "child1");
        add(102, 100, 100, 1000, 10 * MIB, APP "/a.scope", "child2");
        /* the leader says background; child1 says preferred and a grace;
         * child2 says kill = process and another grace */
        verdicts[idx(100)].actions.set = RULE_ACTION_BIT(RULE_ACTION_TIER);
        verdicts[idx(100)].actions.tier = TIER_BACKGROUND;
        verdicts[idx(100)].by[RULE_ACTION_TIER] = "lead";
        verdicts[idx(101)].actions.set = RULE_ACTION_BIT(RULE_ACTION_TIER) |
                                         RULE_ACTION_BIT(RULE_ACTION_GRACE);
        verdicts[idx(101)].actions.tier = TIER_PREFERRED;
        verdicts[idx(101)].actions.grace_usec = 10 * SEC;
        verdicts[idx(102)].actions.set = RULE_ACTION_BIT(RULE_ACTION_KILL) |
                                         RULE_ACTION_BIT(RULE_ACTION_GRACE);
        verdicts[idx(102)].actions.kill = RULE_KILL_PROCESS;
        verdicts[idx(102)].actions.grace_usec = 20 * SEC;
        input.verdicts = verdicts;
        rank();
        a = find(APP "/a.scope");
        assert_int_equal(a->tier, TIER_BACKGROUND);
        assert_string_equal(a->tier_rule, "lead");
        assert_true(a->has_grace);
        assert_int_equal(a->grace_usec, 10 * SEC);
        assert_int_equal(a->kill, RULE_KILL_PROCESS);

        /* no verdicts at all: defaults */
        input.verdicts = NULL;
        rank();
        a = find(APP "/a.scope");
        assert_false(a->has_grace);
        assert_int_equal(a->kill, RULE_KILL_ACTIVITY);
        assert_null(a->tier_rule);
}

static void test_explain(void **state)
{
        char buf[256];

        add(100, 1, 100, 1000, 100 * MIB, APP "/a.scope", "a");
        use_at(0, 100, NULL, 12 * MINUTE, false);
        add(200, 1, 200, 1000, 10 * MIB, APP "/b.scope", "b");
        use_at(1, 200, NULL, 0, true);
        add(300, 1, 300, 1000, 10 * MIB, APP "/c.scope", "c");
        protect_by_rule(300, "sshd");
        add(400, 1, 400, 1000, 10 * MIB, APP "/d.scope", "d");
        last_active[idx(400)] = NOW - 3 * SEC;
        input.last_active_usec = last_active;
        verdicts[idx(400)].actions.set = RULE_ACTION_BIT(RULE_ACTION_TIER) |
                                         RULE_ACTION_BIT(RULE_ACTION_AVOID);
        verdicts[idx(400)].actions.tier = TIER_PREFERRED;
        verdicts[idx(400)].actions.avoid = true;
        verdicts[idx(400)].by[RULE_ACTION_TIER] = "junk";
        add(1, 0, 1, 0, MIB, "/init.scope", "systemd");
        rank();

        /* 12 min: factor 1 + log2(1 + 12) = 4.700; 25600 pages * 4.700 */
        activity_explain(find(APP "/a.scope"), buf, sizeof(buf));
        assert_string_equal(buf, "tier background, idle 12 min, factor 4.7, points 25600 -> weight 120320");
        activity_explain(find(APP "/b.scope"), buf, sizeof(buf));
        assert_string_equal(buf, "tier foreground (focused), idle 0 s, points 2560");
        activity_explain(find(APP "/c.scope"), buf, sizeof(buf));
        assert_string_equal(buf, "tier protected (rule 'sshd')");
        activity_explain(find(APP "/d.scope"), buf, sizeof(buf));
        assert_string_equal(buf, "tier preferred (rule 'junk'), avoided, idle 3 s (cpu), points 2560");
        activity_explain(find("/init.scope"), buf, sizeof(buf));
        assert_string_equal(buf, "tier protected (init)");

        /* truncation keeps the would-be length, like snprintf */
        char small[8];
        int n = activity_explain(find(APP "/a.scope"), small, sizeof(small));
        assert_int_equal(
                n, (int)strlen("tier background, idle 12 min, factor 4.7, points 25600 -> weight 120320"));
        assert_string_equal(small, "tier ba");
}

static int plan[MAXP];

static void test_plan_adj(void **state)
{
        /* Every process is well under 10% of the 1 GiB (at most 60 MiB),
         * so the bands must make the kernel agree with the ranking. */
        add(100, 1, 100, 1000, 10 * MIB, APP "/p1.scope", "p1"); /* preferred, 1st */
        add(101, 100, 100, 1000, 30 * MIB, APP "/p1.scope", "p1-child");
        add(110, 1, 110, 1000, 60 * MIB, APP "/p2.scope", "p2"); /* preferred */
        add(200, 1, 200, 1000, 50 * MIB, APP "/b1.scope", "b1"); /* background */
        add(210, 1, 210, 1000, 40 * MIB, APP "/b2.scope", "b2");
        add(220, 1, 220, 1000, 30 * MIB, APP "/b3.scope", "b3");
        add(300, 1, 300, 1000, 60 * MIB, APP "/r1.scope", "r1");         /* recent */
        add(400, 1, 400, 1000, 60 * MIB, APP "/f1.scope", "f1");         /* foreground */
        add(500, 1, 500, 0, 60 * MIB, "/system.slice/s1.service", "s1"); /* system, own -100 */
        add(510, 1, 510, 0, 50 * MIB, "/system.slice/s2.service", "s2"); /* system, own 50 */
        add(600, 1, 600, 0, 60 * MIB, "/system.slice/x.service", "x");   /* -1000 */
        add(2, 0, 0, 0, 0, "/", "kthreadd");
        entries[idx(2)].has_mm = false;
        entries[idx(2)].flags = PROC_PF_KTHREAD;
        entries[idx(2)].oom_score_adj = 0;
        for (pid_t p = 100; p <= 110; p += 10) {
                verdicts[idx(p)].actions.set = RULE_ACTION_BIT(RULE_ACTION_TIER);
                verdicts[idx(p)].actions.tier = TIER_PREFERRED;
        }
        input.verdicts = verdicts;
        use_at(0, 200, NULL, 60 * MINUTE, false);
        use_at(1, 210, NULL, 60 * MINUTE, false);
        use_at(2, 220, NULL, 60 * MINUTE, false);
        use_at(3, 300, NULL, 1 * MINUTE, false);
        use_at(4, 400, NULL, 0, true);
        entries[idx(500)].oom_score_adj = -100;
        entries[idx(510)].oom_score_adj = 50;
        entries[idx(600)].oom_score_adj = -1000;
        /* what triage published before must not matter */
        entries[idx(300)].oom_score_adj = 700;
        base_adj[idx(300)] = 0;
        for (size_t i = 0; i < table.n; i++)
                if (entries[i].pid != 300)
                        base_adj[i] = entries[i].oom_score_adj;
        input.base_adj = base_adj;
        rank();

        /* p2 (60 MiB) outweighs p1 (40 MiB together) */
        assert_int_equal(acts[0].leader_pid, 110);
        activity_plan_adj(acts, n_acts, members, &table, base_adj, plan);
        assert_int_equal(plan[idx(110)], 1000); /* the first victim */
        assert_int_equal(plan[idx(100)], 900);  /* preferred, alone */
        assert_int_equal(plan[idx(101)], 900);  /* same activity */
        assert_int_equal(plan[idx(200)], 700);  /* background: 3 */
        assert_int_equal(plan[idx(210)], 600);
        assert_int_equal(plan[idx(220)], 500);
        assert_int_equal(plan[idx(300)], 400);   /* recent */
        assert_int_equal(plan[idx(400)], 200);   /* foreground */
        assert_int_equal(plan[idx(500)], -100);  /* system: own */
        assert_int_equal(plan[idx(510)], 0);     /* system: capped */
        assert_int_equal(plan[idx(600)], -1000); /* protected: kept */
        assert_int_equal(plan[idx(2)], 0);       /* no activity: kept */

        /* The kernel's choice with these values agrees with the ranking:
         * each killable process has fewer points than every process of
         * the activities ranked before its own. */
        for (size_t k = 0; k < n_acts; k++) {
                for (uint32_t m = 0; m < acts[k].n_members; m++) {
                        uint32_t i = members[acts[k].first_member + m];
                        struct proc_entry e = entries[i];
                        struct badness bi, bj;

                        if (acts[k].tier == TIER_PROTECTED)
                                continue;
                        e.oom_score_adj = plan[i];
                        badness_compute(&e, ALLOWABLE_KIB / 4, 4, 0, BADNESS_KERNEL, &bi);
                        for (size_t j = 0; j < k; j++)
                                for (uint32_t n = 0; n < acts[j].n_members; n++) {
                                        uint32_t q = members[acts[j].first_member + n];
                                        struct proc_entry f = entries[q];
                                        f.oom_score_adj = plan[q];
                                        badness_compute(&f, ALLOWABLE_KIB / 4, 4, 0, BADNESS_KERNEL, &bj);
                                        if (bj.points <= bi.points)
                                                fail_msg("kernel would pick %d (%lld) before %d (%lld)",
                                                         (int)e.pid, (long long)bi.points, (int)f.pid,
                                                         (long long)bj.points);
                                }
                }
        }

        int top, bottom;
        assert_true(activity_tier_band(TIER_BACKGROUND, &top, &bottom));
        assert_int_equal(top, 700);
        assert_int_equal(bottom, 500);
        assert_false(activity_tier_band(TIER_SYSTEM, &top, &bottom));
        assert_false(activity_tier_band(TIER_PROTECTED, &top, &bottom));
}

static void test_plan_spread(void **state)
{
        /* 12 background activities: the first gets 1000, the other 11 are
         * spread 700, 680, ..., 500 */
        for (pid_t p = 0; p < 12; p++) {
                char cg[PROC_CGROUP_MAX];
                snprintf(cg, sizeof(cg), APP "/app-%d.scope", (int)p);
                add(100 + p, 1, 100 + p, 1000, (uint64_t)(20 - p) * MIB, cg, "app");
        }
        rank();
        activity_plan_adj(acts, n_acts, members, &table, NULL, plan);
        assert_int_equal(plan[idx(100)], 1000);
        for (pid_t p = 1; p < 12; p++)
                assert_int_equal(plan[idx(100 + p)], 700 - 20 * (p - 1));

        /* nothing killable: nothing changes */
        reset(NULL);
        add(1, 0, 1, 0, MIB, "/init.scope", "systemd");
        entries[0].oom_score_adj = 0;
        rank();
        activity_plan_adj(acts, n_acts, members, &table, NULL, plan);
        assert_int_equal(plan[0], 0);
}

static void test_buffers(void **state)
{
        add(100, 1, 100, 1000, MIB, "", "a");
        add(200, 1, 200, 1000, MIB, "", "b");
        assert_int_equal(activity_rank(&input, acts, MAXP, members, 1), -ENOBUFS);
        assert_int_equal(activity_rank(&input, acts, 1, members, MAXP), -ENOBUFS);
        input.scratch_cap = ACTIVITY_SCRATCH_WORDS(2) - 1;
        assert_int_equal(activity_rank(&input, acts, MAXP, members, MAXP), -ENOBUFS);
        input.scratch_cap = ACTIVITY_SCRATCH_WORDS(2);
        assert_int_equal(activity_rank(&input, acts, 2, members, 2), 2);
        /* an empty table */
        table.n = 0;
        assert_int_equal(activity_rank(&input, acts, 0, members, 0), 0);
}

static void test_cpu_last_active(void **state)
{
        assert_int_equal(activity_cpu_last_active(5, 100, 100, 50, 2), 5);
        assert_int_equal(activity_cpu_last_active(5, 100, 101, 50, 2), 5);
        assert_int_equal(activity_cpu_last_active(5, 100, 102, 50, 2), 50);
        /* a counter that went back is a new process */
        assert_int_equal(activity_cpu_last_active(5, 100, 3, 50, 2), 50);
        /* min_ticks 0 counts as 1 */
        assert_int_equal(activity_cpu_last_active(5, 100, 100, 50, 0), 5);
}

static void test_domain(void **state)
{
        const struct policy_domain web = {
                .cgroup_path = "/system.slice/web.service",
                .version = CGROUP_V2,
                .allowable_kib = 256 * MIB,
                .page_kib = 4,
                .mode = BADNESS_KERNEL,
                .self_pid = SELF,
        };

        add(100, 1, 100, 33, 10 * MIB, "/system.slice/web.service", "web");
        add(101, 100, 100, 33, 20 * MIB, "/system.slice/web.service/worker", "worker");
        add(200, 1, 200, 1000, 10 * MIB, APP "/a.scope", "outside");
        input.domain = &web;
        rank();
        assert_int_equal(n_acts, 1);
        assert_members("/system.slice/web.service", "100 101");
        /* against the cgroup's 65536 pages */
        assert_int_equal(acts[0].badness.allowable_pages, 65536);
        assert_int_equal(acts[0].badness.points, 7680);
}

/* The fixture desktop, through the real scanner and the built-in rules. */
static void test_fixture_desktop(void **state)
{
        struct config c;
        static struct rules rules;
        const struct activity *a;
        int procfd;

        table.n = 0;
        procfd = open(FIXTURES "/activity-desktop/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(procfd >= 0);
        assert_int_equal(proc_scan(procfd, PROC_READ_CMDLINE | PROC_READ_CGROUP, &table), 21);
        close(procfd);

        config_defaults(&c);
        assert_int_equal(rules_compile(&c, &rules), 0);
        for (size_t i = 0; i < table.n; i++)
                rules_match(&rules, &entries[i], &verdicts[i]);
        input.verdicts = verdicts;
        clients[0] = (struct activity_client){
                .pid = 1300, .start_time_ticks = 400, .client_id = 3, .name = "gedit"
        };
        input.n_clients = 1;
        use_at(0, 1300, NULL, 0, true);
        use_at(1, 0, APP "/app-gnome-firefox-1100.scope", 10 * MINUTE, false);
        last_active[idx(2004)] = NOW;              /* compiling */
        last_active[idx(1400)] = NOW - 2 * MINUTE; /* indexing */
        input.last_active_usec = last_active;
        rank();

        /* 21 processes, less kthreadd and the zombie: 19 in 12 activities */
        assert_int_equal(n_acts, 12);
        /* firefox idle 10 min; the build and tracker recent (the build, far
         * bigger, first); gedit focused; nginx a service; then protected */
        assert_string_equal(activity_id(&acts[0]), APP "/app-gnome-firefox-1100.scope");
        assert_string_equal(activity_id(&acts[1]), U "/session-4.scope");
        assert_string_equal(activity_id(&acts[2]), APP "/tracker-miner-fs-3.service");
        assert_string_equal(activity_id(&acts[3]), "client:3");
        assert_string_equal(activity_id(&acts[4]), "/system.slice/nginx.service");
        for (size_t k = 5; k < n_acts; k++)
                assert_int_equal(acts[k].tier, TIER_PROTECTED);
        assert_int_equal(acts[0].tier, TIER_BACKGROUND);
        assert_int_equal(acts[1].tier, TIER_RECENT);
        assert_int_equal(acts[2].tier, TIER_RECENT);
        assert_int_equal(acts[3].tier, TIER_FOREGROUND);
        assert_int_equal(acts[4].tier, TIER_SYSTEM);

        assert_members(APP "/app-gnome-firefox-1100.scope", "1100 1101 1102");
        assert_true(acts[0].cgroup_exact);
        /* the session less sshd's privileged half (built-in rule "sshd",
         * uid 0 only: alice's half is not protected) */
        assert_members(U "/session-4.scope", "2001 2002 2003 2004");
        assert_false(acts[1].cgroup_exact);
        a = find("pid:2000");
        assert_string_equal(a->protect_rule, "sshd");
        assert_members("client:3", "1300 1301");
        assert_string_equal(acts[3].name, "gedit");
        assert_true(acts[3].cgroup_exact);
        assert_string_equal(acts[3].cgroup, APP "/app-gnome-org.gnome.gedit-1300.scope");
        assert_members("/system.slice/nginx.service", "600 601");
        assert_string_equal(find("/system.slice/systemd-journald.service")->protect_rule, "systemd");
        assert_string_equal(find(UM "/init.scope")->protect_rule, "systemd");
        assert_string_equal(find(UM "/session.slice/dbus.service")->protect_rule, "session-bus");
        assert_string_equal(find(UM "/session.slice/org.gnome.Shell@wayland.service")->protect_rule,
                            "display-server");
        assert_int_equal(find("/system.slice/ssh.service")->protection, ACTIVITY_PROTECTED_ADJ_MIN);
        assert_int_equal(find("/init.scope")->protection, ACTIVITY_PROTECTED_INIT);
        /* 700000 + 10000 KiB of cc1plus and the rest of the session */
        assert_int_equal(acts[1].rss_anon_kib, 1000 + 2000 + 3000 + 700000);

        activity_plan_adj(acts, n_acts, members, &table, NULL, plan);
        static const struct {
                pid_t pid;
                int adj;
        } expected[] = {
                { 1100, 1000 },
                { 1101, 1000 },
                { 1102, 1000 },
                { 2001, 400 },
                { 2002, 400 },
                { 2003, 400 },
                { 2004, 400 },
                { 1400, 300 },
                { 1300, 200 },
                { 1301, 200 },
                { 600, 0 },
                { 601, 0 },
                /* kept */
                { 1, 0 },
                { 2, 0 },
                { 310, -250 },
                { 520, -1000 },
                { 1000, 100 },
                { 1010, 200 },
                { 1020, 200 },
                { 2000, 0 },
                { 2100, 0 },
        };
        assert_int_equal(ARRAY_SIZE(expected), table.n);
        for (size_t i = 0; i < ARRAY_SIZE(expected); i++)
                if (plan[idx(expected[i].pid)] != expected[i].adj)
                        fail_msg("pid %d: adj %d, expected %d", (int)expected[i].pid,
                                 plan[idx(expected[i].pid)], expected[i].adj);
        rules_free(&rules);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_unit_path_len),
                cmocka_unit_test_setup(test_group_units, reset),
                cmocka_unit_test_setup(test_group_client, reset),
                cmocka_unit_test_setup(test_group_pgid, reset),
                cmocka_unit_test_setup(test_hostile, reset),
                cmocka_unit_test_setup(test_protection_split, reset),
                cmocka_unit_test_setup(test_tiers, reset),
                cmocka_unit_test(test_age_factor),
                cmocka_unit_test_setup(test_background_tradeoff, reset),
                cmocka_unit_test_setup(test_within_tier, reset),
                cmocka_unit_test_setup(test_rule_merge, reset),
                cmocka_unit_test_setup(test_explain, reset),
                cmocka_unit_test_setup(test_plan_adj, reset),
                cmocka_unit_test_setup(test_plan_spread, reset),
                cmocka_unit_test_setup(test_buffers, reset),
                cmocka_unit_test(test_cpu_last_active),
                cmocka_unit_test_setup(test_domain, reset),
                cmocka_unit_test_setup(test_fixture_desktop, reset),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
