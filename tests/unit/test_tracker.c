/* SPDX-License-Identifier: MIT */
/* Facts kept across scans: own adj, last use, recycled PIDs, forgetting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tracker.h"

#define HZ 100

static struct proc_entry entries[64];
static struct proc_table table = { .entries = entries, .capacity = 64 };

static void set_proc(size_t i, pid_t pid, uint64_t start, uint64_t cpu, int adj)
{
        memset(&entries[i], 0, sizeof(entries[i]));
        entries[i].pid = pid;
        entries[i].start_time_ticks = start;
        entries[i].cpu_ticks = cpu;
        entries[i].oom_score_adj = adj;
}

static void test_new_process_active_at_start(void **state)
{
        struct tracker t;
        uint64_t last[64];
        int base[64];

        assert_int_equal(tracker_init(&t, 64), 0);
        set_proc(0, 100, 500, 0, 0); /* started 5 s after boot */
        table.n = 1;
        tracker_update(&t, &table, 60000000, 5, HZ, base, last);
        assert_int_equal(last[0], 5000000);
        assert_int_equal(base[0], 0);

        /* Idle since: no CPU used, last use stays. */
        tracker_update(&t, &table, 90000000, 5, HZ, base, last);
        assert_int_equal(last[0], 5000000);
        /* 4 ticks is housekeeping, not use. */
        entries[0].cpu_ticks = 4;
        tracker_update(&t, &table, 120000000, 5, HZ, base, last);
        assert_int_equal(last[0], 5000000);
        /* 10 more ticks: used now. */
        entries[0].cpu_ticks = 14;
        tracker_update(&t, &table, 150000000, 5, HZ, base, last);
        assert_int_equal(last[0], 150000000);
        tracker_free(&t);
}

static void test_own_adj_survives_our_writes(void **state)
{
        struct tracker t;
        int base[64];

        assert_int_equal(tracker_init(&t, 64), 0);
        set_proc(0, 100, 500, 0, 0);
        table.n = 1;
        tracker_update(&t, &table, 1, 5, HZ, base, NULL);
        struct tracked *e = tracker_find(&t, 100, 500);
        assert_non_null(e);
        /* triaged publishes 700 ... */
        e->adj_written = true;
        e->written_adj = 700;
        entries[0].oom_score_adj = 700;
        tracker_update(&t, &table, 2, 5, HZ, base, NULL);
        /* ... but ranks it by its own 0. */
        assert_int_equal(base[0], 0);
        /* Someone else sets 300: that is its own now. */
        entries[0].oom_score_adj = 300;
        tracker_update(&t, &table, 3, 5, HZ, base, NULL);
        assert_int_equal(base[0], 300);
        assert_false(e->adj_written);
        tracker_free(&t);
}

static void test_child_inherits_written_adj(void **state)
{
        struct tracker t;
        int base[64];

        assert_int_equal(tracker_init(&t, 64), 0);
        set_proc(0, 100, 500, 0, 0);
        table.n = 1;
        tracker_update(&t, &table, 1, 5, HZ, base, NULL);
        struct tracked *e = tracker_find(&t, 100, 500);
        e->adj_written = true;
        e->written_adj = 1000;
        entries[0].oom_score_adj = 1000;
        /* The parent forks: the child has 1000 from the parent, not its own. */
        set_proc(1, 101, 600, 0, 1000);
        entries[1].ppid = 100;
        /* A child that set its own value is taken at its word. */
        set_proc(2, 102, 600, 0, 300);
        entries[2].ppid = 100;
        table.n = 3;
        tracker_update(&t, &table, 2, 5, HZ, base, NULL);
        assert_int_equal(base[1], 0);
        assert_true(tracker_find(&t, 101, 600)->adj_written);
        assert_int_equal(base[2], 300);
        tracker_free(&t);
}

static void test_recycled_pid_forgotten(void **state)
{
        struct tracker t;
        int base[64];

        assert_int_equal(tracker_init(&t, 64), 0);
        set_proc(0, 100, 500, 0, 0);
        table.n = 1;
        tracker_update(&t, &table, 1, 5, HZ, base, NULL);
        tracker_find(&t, 100, 500)->adj_written = true;
        /* PID 100 is now another process: nothing carries over. */
        set_proc(0, 100, 900, 0, 200);
        tracker_update(&t, &table, 2, 5, HZ, base, NULL);
        assert_null(tracker_find(&t, 100, 500));
        struct tracked *e = tracker_find(&t, 100, 900);
        assert_non_null(e);
        assert_false(e->adj_written);
        assert_int_equal(base[0], 200);
        tracker_free(&t);
}

static void test_gone_processes_forgotten_and_chains_kept(void **state)
{
        struct tracker t;

        /* A small table so PIDs collide: capacity 16 for 8 processes. */
        assert_int_equal(tracker_init(&t, 8), 0);
        assert_int_equal(t.capacity, 16);
        for (size_t i = 0; i < 8; i++)
                set_proc(i, (pid_t)(16 * (i + 1) + 3), i + 1, 0, 0); /* many land near each other */
        table.n = 8;
        tracker_update(&t, &table, 1, 5, HZ, NULL, NULL);
        for (size_t i = 0; i < 8; i++)
                assert_non_null(tracker_find(&t, entries[i].pid, entries[i].start_time_ticks));
        /* Every other one exits: the rest must still be found (a removal
         * must not cut a probe chain). */
        struct proc_entry keep[4];
        for (size_t i = 0; i < 4; i++)
                keep[i] = entries[2 * i + 1];
        for (size_t i = 0; i < 4; i++)
                entries[i] = keep[i];
        table.n = 4;
        tracker_update(&t, &table, 2, 5, HZ, NULL, NULL);
        for (size_t i = 0; i < 4; i++)
                assert_non_null(tracker_find(&t, entries[i].pid, entries[i].start_time_ticks));
        size_t used = 0;
        for (size_t i = 0; i < t.capacity; i++)
                used += t.slots[i].pid != 0;
        assert_int_equal(used, 4);
        tracker_free(&t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_new_process_active_at_start),
                cmocka_unit_test(test_own_adj_survives_our_writes),
                cmocka_unit_test(test_child_inherits_written_adj),
                cmocka_unit_test(test_recycled_pid_forgotten),
                cmocka_unit_test(test_gone_processes_forgotten_and_chains_kept),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
