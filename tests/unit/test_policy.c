/* SPDX-License-Identifier: MIT */
/* Ranking on hand-made process tables: pure, no /proc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

#define SELF 500
/* 1 GiB of RAM, no swap: 262144 pages of 4 KiB. */
#define ALLOWABLE_KIB (UINT64_C(1) << 20)

static struct proc_entry proc(pid_t pid, uint64_t anon_kib, int adj, const char *cg2)
{
        struct proc_entry p;

        memset(&p, 0, sizeof(p));
        p.pid = pid;
        p.ppid = 1;
        p.state = 'S';
        p.has_mm = true;
        p.rss_anon_kib = anon_kib;
        p.oom_score_adj = adj;
        p.kernel_oom_score = -1;
        strcpy(p.cgroup_v2, cg2);
        snprintf(p.comm, sizeof(p.comm), "p%d", (int)pid);
        return p;
}

static struct proc_entry entries[16];
static struct proc_table table = { .entries = entries, .capacity = 16 };
static struct candidate out[16];

static int setup(void **state)
{
        size_t n = 0;

        entries[n++] = proc(1, 8192, 0, "/init.scope"); /* init: never */
        entries[n++] = proc(100, 4096, 0, "/a.slice/web.service");
        entries[n++] = proc(101, 65536, 0, "/a.slice/db.service");    /* the biggest */
        entries[n++] = proc(102, 1024, 1000, "/a.slice/web.service"); /* small, adj 1000 */
        entries[n++] = proc(103, 262144, -1000, "/b.slice");          /* huge, adj -1000: never */
        entries[n++] = proc(104, 32768, -500, "/ab.slice");           /* half discounted */
        entries[n++] = proc(SELF, 16384, 0, "/triage.service");       /* the daemon */
        entries[n] = proc(2, 0, 0, "");                               /* kthreadd */
        entries[n].has_mm = false;
        entries[n++].flags = PROC_PF_KTHREAD;
        entries[n] = proc(105, 8192, 0, "/a.slice/web.service"); /* zombie */
        entries[n].state = 'Z';
        entries[n++].has_mm = false;
        entries[n++] = proc(106, 4096, 0, "/a.slice/web.service"); /* ties with 100 */
        table.n = n;
        return 0;
}

static const struct policy_domain system_domain = {
        .allowable_kib = ALLOWABLE_KIB,
        .page_kib = 4,
        .mode = BADNESS_KERNEL,
        .self_pid = SELF,
};

static void test_system_order(void **state)
{
        size_t n = policy_rank(&system_domain, &table, false, out, 16);

        /* Points (pages): 102: 256 + 1000*262 = 262256; 101: 16384;
         * 100 and 106: 1024 each (tie: lower PID first); 104:
         * 8192 - 500*262 = -122808. 1, 2, 103, 105 and the daemon are
         * never candidates. */
        assert_int_equal(n, 5);
        assert_int_equal(out[0].proc->pid, 102);
        assert_int_equal(out[1].proc->pid, 101);
        assert_int_equal(out[2].proc->pid, 100);
        assert_int_equal(out[3].proc->pid, 106);
        assert_int_equal(out[4].proc->pid, 104);
        assert_ptr_equal(policy_pick_victim(out, n), &out[0]);
}

static void test_excluded_listed_last(void **state)
{
        size_t n = policy_rank(&system_domain, &table, true, out, 16);

        assert_int_equal(n, table.n);
        for (size_t i = 0; i < 5; i++)
                assert_int_equal(out[i].exclusion, POLICY_CANDIDATE);
        for (size_t i = 5; i < n; i++) {
                const struct candidate *c = &out[i];
                assert_int_not_equal(c->exclusion, POLICY_CANDIDATE);
                switch (c->proc->pid) {
                case 1:
                        assert_int_equal(c->badness.unkillable, BADNESS_UNKILLABLE_INIT);
                        break;
                case 2:
                        assert_int_equal(c->badness.unkillable, BADNESS_UNKILLABLE_KTHREAD);
                        break;
                case 103:
                        assert_int_equal(c->badness.unkillable, BADNESS_UNKILLABLE_ADJ_MIN);
                        break;
                case 105:
                        assert_int_equal(c->badness.unkillable, BADNESS_UNKILLABLE_NO_MM);
                        break;
                case SELF:
                        assert_int_equal(c->exclusion, POLICY_EXCLUDED_SELF);
                        assert_string_equal(policy_exclusion_to_string(c), "triaged itself");
                        break;
                default:
                        fail_msg("pid %d should not be excluded", (int)c->proc->pid);
                }
        }
}

static void test_cgroup_domain(void **state)
{
        /* /a.slice with a 128 MiB limit: only its processes, scored
         * against 32768 pages. /ab.slice is not inside /a.slice. */
        struct policy_domain d = {
                .cgroup_path = "/a.slice",
                .version = CGROUP_V2,
                .allowable_kib = 131072,
                .page_kib = 4,
                .mode = BADNESS_KERNEL,
                .self_pid = SELF,
        };
        size_t n = policy_rank(&d, &table, false, out, 16);

        assert_int_equal(n, 4);
        assert_int_equal(out[0].proc->pid, 102); /* 256 + 1000*32 = 32256 */
        assert_int_equal(out[1].proc->pid, 101); /* 16384 */
        assert_int_equal(out[2].proc->pid, 100);
        assert_int_equal(out[3].proc->pid, 106);
        assert_int_equal(out[1].badness.allowable_pages, 32768);
        for (size_t i = 0; i < n; i++)
                assert_true(policy_domain_contains(&d, out[i].proc));
        assert_false(policy_domain_contains(&d, &entries[5]));
}

static void test_v1_paths(void **state)
{
        struct policy_domain d = {
                .cgroup_path = "/box",
                .version = CGROUP_V1,
                .allowable_kib = 65536,
                .page_kib = 4,
        };
        struct proc_entry p = proc(300, 100, 0, "/box");

        /* A v1 domain looks at the memory controller's path, not v2's. */
        assert_false(policy_domain_contains(&d, &p));
        strcpy(p.cgroup_v1_memory, "/box/inner");
        assert_true(policy_domain_contains(&d, &p));
}

static struct numa_mask nodes(uint64_t bits)
{
        return (struct numa_mask){ .bits = bits, .high = false };
}

static void test_node_domain(void **state)
{
        /* Nodes 0-1 with 256 MiB: 65536 pages. A process belongs when it
         * may allocate only there; one that may also use node 2 or 3, or
         * whose nodes are unknown, is not limited by the domain. */
        struct policy_domain d = {
                .has_nodes = true,
                .nodes = nodes(0x3),
                .allowable_kib = 262144,
                .page_kib = 4,
                .mode = BADNESS_KERNEL,
                .self_pid = SELF,
        };
        entries[0].mems_allowed = nodes(0xf); /* init: everywhere */
        entries[1].mems_allowed = nodes(0x1); /* 100 */
        entries[2].mems_allowed = nodes(0x3); /* 101 */
        entries[3].mems_allowed = nodes(0x2); /* 102 */
        entries[4].mems_allowed = nodes(0x1); /* 103, adj -1000 */
        entries[5].mems_allowed = nodes(0xf); /* 104: also nodes 2 and 3 */
        entries[6].mems_allowed = nodes(0x3); /* the daemon */
        entries[7].mems_allowed = nodes(0xf); /* kthreadd */
        entries[8].mems_allowed = nodes(0x1); /* 105, zombie */
        /* 106: unknown (no Mems_allowed_list) */

        size_t n = policy_rank(&d, &table, false, out, 16);
        /* Points (pages): 102: 256 + 1000 * 65536 / 1000 = 65792; 101:
         * 16384; 100: 1024. */
        assert_int_equal(n, 3);
        assert_int_equal(out[0].proc->pid, 102);
        assert_int_equal(out[0].badness.allowable_pages, 65536);
        assert_int_equal(out[1].proc->pid, 101);
        assert_int_equal(out[2].proc->pid, 100);

        /* With the excluded: 103 (adj -1000), 105 (zombie), the daemon. */
        n = policy_rank(&d, &table, true, out, 16);
        assert_int_equal(n, 6);
        assert_false(policy_domain_contains(&d, &entries[5])); /* 104 */
        assert_false(policy_domain_contains(&d, &entries[0])); /* init */
        assert_false(policy_domain_contains(&d, &entries[9])); /* 106, unknown */
        assert_true(policy_domain_contains(&d, &entries[6]));  /* the daemon, excluded later */

        /* Node 1 alone: only 102. */
        d.nodes = nodes(0x2);
        n = policy_rank(&d, &table, false, out, 16);
        assert_int_equal(n, 1);
        assert_int_equal(out[0].proc->pid, 102);

        /* Allowed on a node past 63 too: not in a domain of low nodes. */
        struct proc_entry far = proc(400, 100, 0, "/");
        far.mems_allowed = (struct numa_mask){ .bits = 0x1, .high = true };
        d.nodes = nodes(0x3);
        assert_false(policy_domain_contains(&d, &far));

        /* Nodes and a cgroup both given: both must hold. */
        d.cgroup_path = "/a.slice";
        d.version = CGROUP_V2;
        n = policy_rank(&d, &table, false, out, 16);
        /* 100, 101 and 102 are all in /a.slice; then 101 moves to node 2. */
        assert_int_equal(n, 3);
        entries[2].mems_allowed = nodes(0x4);
        n = policy_rank(&d, &table, false, out, 16);
        assert_int_equal(n, 2);

        /* The system domain ignores the nodes. */
        n = policy_rank(&system_domain, &table, false, out, 16);
        assert_int_equal(n, 5);
}

static void test_nothing_to_kill(void **state)
{
        struct proc_entry only[2] = { proc(1, 100, 0, "/"), proc(SELF, 100, 0, "/") };
        struct proc_table t = { .entries = only, .n = 2, .capacity = 2 };

        size_t n = policy_rank(&system_domain, &t, true, out, 16);
        assert_int_equal(n, 2);
        assert_null(policy_pick_victim(out, n));
        assert_null(policy_pick_victim(out, 0));
}

static void test_capacity_respected(void **state)
{
        size_t n = policy_rank(&system_domain, &table, true, out, 3);

        assert_int_equal(n, 3);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_system_order, setup),
                cmocka_unit_test_setup(test_excluded_listed_last, setup),
                cmocka_unit_test_setup(test_cgroup_domain, setup),
                cmocka_unit_test(test_v1_paths),
                cmocka_unit_test_setup(test_node_domain, setup),
                cmocka_unit_test_setup(test_nothing_to_kill, setup),
                cmocka_unit_test_setup(test_capacity_respected, setup),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
