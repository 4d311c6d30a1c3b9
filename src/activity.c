/* SPDX-License-Identifier: MIT */
#include "activity.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* include/uapi/linux/oom.h */
#define OOM_SCORE_ADJ_MIN (-1000)

/* Group keys: the kind in the top bits, a value below: a client index, a
 * unit prefix length (< PROC_CGROUP_MAX) or a PID (< 2^22, PID_MAX_LIMIT). */
#define KEY_SHIFT 28
#define KEY_VALUE_MASK ((UINT32_C(1) << KEY_SHIFT) - 1)

/* Parent chains longer than this are cut (a hostile or corrupt table may
 * even hold a cycle); real trees are a few dozen deep. */
#define TREE_DEPTH_MAX 1024

/* Memory sums saturate here, like badness.c's cap. */
#define KIB_CAP ((uint64_t)INT64_MAX / 4000)

/* The system tier's cgroups; user sessions live under /user.slice. */
#define SYSTEM_SLICE "/system.slice"
#define INIT_SCOPE "/init.scope"
#define USER_SLICE "/user.slice"
/* Debian's (and systemd's) first uid of a person: SYS_UID_MAX + 1. */
#define FIRST_USER_UID 1000

static const struct {
        int top, bottom;
} bands[_TIER_MAX] = {
        [TIER_PREFERRED] = { 900, 800 },
        [TIER_BACKGROUND] = { 700, 500 },
        [TIER_RECENT] = { 400, 300 },
        [TIER_FOREGROUND] = { 200, 100 },
};

/* Position in the kill order (0 first). */
static unsigned tier_kill_order(enum tier t)
{
        switch (t) {
        case TIER_PREFERRED:
                return 0;
        case TIER_BACKGROUND:
                return 1;
        case TIER_RECENT:
                return 2;
        case TIER_FOREGROUND:
                return 3;
        case TIER_SYSTEM:
                return 4;
        case TIER_PROTECTED:
        case TIER_AUTO:
                break;
        }
        return 5;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
        return a > KIB_CAP - MIN(b, KIB_CAP) ? KIB_CAP : a + b;
}

/* ---- a heapsort of uint32 indices, with a context for the comparison --- */

static void sift_down(uint32_t *a, size_t start, size_t n,
                      int (*cmp)(const void *ctx, uint32_t a, uint32_t b), const void *ctx)
{
        size_t root = start;

        for (;;) {
                size_t child = 2 * root + 1;
                if (child >= n)
                        return;
                if (child + 1 < n && cmp(ctx, a[child], a[child + 1]) < 0)
                        child++;
                if (cmp(ctx, a[root], a[child]) >= 0)
                        return;
                uint32_t t = a[root];
                a[root] = a[child];
                a[child] = t;
                root = child;
        }
}

/* Ascending by cmp. Not stable: every comparator below is total. */
static void sort_indices(uint32_t *a, size_t n, int (*cmp)(const void *ctx, uint32_t a, uint32_t b),
                         const void *ctx)
{
        if (n < 2)
                return;
        for (size_t i = n / 2; i-- > 0;)
                sift_down(a, i, n, cmp, ctx);
        for (size_t end = n - 1; end > 0; end--) {
                uint32_t t = a[0];
                a[0] = a[end];
                a[end] = t;
                sift_down(a, 0, end, cmp, ctx);
        }
}

/* ---- pure helpers ------------------------------------------------------- */

static const char *proc_cgroup(const struct proc_entry *p)
{
        return p->cgroup_v2[0] ? p->cgroup_v2 : p->cgroup_v1_memory;
}

static bool has_suffix(const char *s, size_t len, const char *suffix)
{
        size_t n = strlen(suffix);

        return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

size_t activity_unit_path_len(const char *path)
{
        size_t unit_end = 0;

        if (path[0] != '/')
                return 0;
        for (const char *c = path + 1;;) {
                const char *end = strchrnul(c, '/');
                size_t len = (size_t)(end - c);

                if (len > 0) {
                        if (has_suffix(c, len, ".scope") || has_suffix(c, len, ".service"))
                                unit_end = (size_t)(end - path);
                        else if (unit_end && has_suffix(c, len, ".slice"))
                                /* A manager's own slices (user@.service/app.slice):
                                 * the manager is no activity for what is in them. */
                                unit_end = 0;
                }
                if (*end == '\0')
                        break;
                c = end + 1;
        }
        return unit_end;
}

unsigned activity_age_factor_milli(uint64_t idle_usec)
{
        uint64_t s = idle_usec / USEC_PER_SEC;
        uint64_t x, m;
        unsigned k = 0, frac = 0;

        /* 136 years is long enough; keeps (60 + s) << 30 below 2^63. */
        if (s > UINT32_MAX)
                s = UINT32_MAX;
        /* x = 1 + s / 60 in Q30. */
        x = ((60 + s) << 30) / 60;
        /* log2(x) = k + log2(m), m = x / 2^k in [1, 2) (Q30). */
        while ((x >> k) >= (UINT64_C(2) << 30))
                k++;
        m = x >> k;
        /* 16 fractional bits by repeated squaring: m^2 in [1, 4). */
        for (int bit = 15; bit >= 0; bit--) {
                m = (m * m) >> 30;
                if (m >= (UINT64_C(2) << 30)) {
                        m >>= 1;
                        frac |= 1u << bit;
                }
        }
        uint64_t log2_q16 = ((uint64_t)k << 16) | frac;
        return 1000 + (unsigned)((log2_q16 * 1000 + (1u << 15)) >> 16);
}

int64_t activity_weight(int64_t points, unsigned age_factor_milli)
{
        int64_t f = age_factor_milli ? age_factor_milli : 1000;

        if (points >= 0)
                return points > INT64_MAX / f ? INT64_MAX : points * f / 1000;
        /* |points| <= INT64_MAX / 4000 (badness.c), so * 1000 fits. */
        if (points < INT64_MIN / 1000)
                return points;
        return points * 1000 / f;
}

uint64_t activity_cpu_last_active(uint64_t prev_last_active_usec, uint64_t prev_cpu_ticks, uint64_t cpu_ticks,
                                  uint64_t scan_usec, uint64_t min_ticks)
{
        /* A counter that went down is another process on a recycled PID:
         * it is active now in any case. */
        if (cpu_ticks < prev_cpu_ticks || cpu_ticks - prev_cpu_ticks >= MAX(min_ticks, 1))
                return scan_usec;
        return prev_last_active_usec;
}

bool activity_tier_band(enum tier t, int *ret_top, int *ret_bottom)
{
        if ((unsigned)t >= _TIER_MAX || bands[t].top == 0)
                return false;
        *ret_top = bands[t].top;
        *ret_bottom = bands[t].bottom;
        return true;
}

const char *activity_id(const struct activity *a)
{
        return a->kind == ACTIVITY_UNIT ? a->cgroup : a->id_text;
}

static void copy_name(char *dst, size_t size, const char *src, size_t len)
{
        if (len >= size)
                len = size - 1;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)src[i];
                dst[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
        }
        dst[len] = '\0';
}

/* ---- the ranking -------------------------------------------------------- */

struct ranker {
        const struct activity_input *in;
        const struct proc_table *t;
        size_t n;         /* processes */
        uint32_t *by_pid; /* scratch: indices sorted by PID, later by cgroup */
        uint32_t *aux;    /* scratch: client marks, then activity of each process */
        uint32_t *key;    /* scratch: group keys, then the activity order */
        struct activity *acts;
        size_t cap, n_acts;
        uint32_t *members;
        size_t n_members;
};

/* The same order as enum activity_kind: a group's key is its kind. */
enum key_kind {
        KEY_CLIENT = ACTIVITY_CLIENT,
        KEY_UNIT = ACTIVITY_UNIT,
        KEY_PGID = ACTIVITY_PGID,
        KEY_PROCESS = ACTIVITY_PROCESS,
};

static const struct proc_entry *entry(const struct ranker *r, uint32_t i)
{
        return &r->t->entries[i];
}

static int cmp_pid(const void *ctx, uint32_t a, uint32_t b)
{
        const struct ranker *r = ctx;
        pid_t pa = entry(r, a)->pid, pb = entry(r, b)->pid;

        if (pa != pb)
                return pa < pb ? -1 : 1;
        return (a > b) - (a < b);
}

/* The table index of pid, or ACTIVITY_NONE. */
static uint32_t find_pid(const struct ranker *r, pid_t pid)
{
        size_t lo = 0, hi = r->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                pid_t p = entry(r, r->by_pid[mid])->pid;
                if (p == pid)
                        return r->by_pid[mid];
                if (p < pid)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return ACTIVITY_NONE;
}

static bool eligible(const struct ranker *r, const struct proc_entry *p)
{
        if (p->pid <= 0 || (p->flags & PROC_PF_KTHREAD) || !p->has_mm || p->state == 'Z')
                return false;
        return policy_domain_contains(r->in->domain, p);
}

static const struct rule_verdict *verdict(const struct ranker *r, uint32_t i)
{
        return r->in->verdicts ? &r->in->verdicts[i] : NULL;
}

static int own_adj(const struct ranker *r, uint32_t i)
{
        return r->in->base_adj ? r->in->base_adj[i] : entry(r, i)->oom_score_adj;
}

static enum activity_protection protection_of(const struct ranker *r, uint32_t i)
{
        const struct proc_entry *p = entry(r, i);
        const struct rule_verdict *v = verdict(r, i);

        if (p->pid == 1)
                return ACTIVITY_PROTECTED_INIT;
        if (p->pid == r->in->domain->self_pid)
                return ACTIVITY_PROTECTED_SELF;
        if (p->oom_score_adj <= OOM_SCORE_ADJ_MIN)
                return ACTIVITY_PROTECTED_ADJ_MIN;
        if (v && (v->actions.set & RULE_ACTION_BIT(RULE_ACTION_PROTECT)) && v->actions.protect)
                return ACTIVITY_PROTECTED_RULE;
        if (v && (v->actions.set & RULE_ACTION_BIT(RULE_ACTION_ADJ)) && v->actions.adj <= OOM_SCORE_ADJ_MIN)
                return ACTIVITY_PROTECTED_RULE;
        return ACTIVITY_KILLABLE;
}

static uint32_t make_key(enum key_kind kind, uint32_t value)
{
        return ((uint32_t)kind << KEY_SHIFT) | (value & KEY_VALUE_MASK);
}

/* Orders processes by group; equal groups compare 0. */
static int cmp_group_only(const struct ranker *r, uint32_t a, uint32_t b)
{
        uint32_t ka = r->key[a], kb = r->key[b];
        uint32_t va = ka & KEY_VALUE_MASK, vb = kb & KEY_VALUE_MASK;

        if ((ka >> KEY_SHIFT) != (kb >> KEY_SHIFT))
                return (ka >> KEY_SHIFT) < (kb >> KEY_SHIFT) ? -1 : 1;
        if ((ka >> KEY_SHIFT) == KEY_UNIT) {
                int c = memcmp(proc_cgroup(entry(r, a)), proc_cgroup(entry(r, b)), MIN(va, vb));
                if (c != 0)
                        return c < 0 ? -1 : 1;
        }
        return (va > vb) - (va < vb);
}

static int cmp_group(const void *ctx, uint32_t a, uint32_t b)
{
        int c = cmp_group_only(ctx, a, b);

        return c != 0 ? c : cmp_pid(ctx, a, b);
}

/* Marks registered clients' processes in aux with their client index. */
static void mark_clients(struct ranker *r)
{
        const struct activity_input *in = r->in;

        for (size_t i = 0; i < r->n; i++)
                r->aux[i] = ACTIVITY_NONE;
        for (size_t c = 0; c < in->n_clients && c <= KEY_VALUE_MASK; c++) {
                uint32_t i = find_pid(r, in->clients[c].pid);
                if (i == ACTIVITY_NONE || r->aux[i] != ACTIVITY_NONE || !eligible(r, entry(r, i)))
                        continue;
                if (in->clients[c].start_time_ticks &&
                    in->clients[c].start_time_ticks != entry(r, i)->start_time_ticks)
                        continue; /* a recycled PID */
                r->aux[i] = (uint32_t)c;
        }
}

/* The client index of i's nearest registered ancestor (or itself). */
static uint32_t client_ancestor(const struct ranker *r, uint32_t i)
{
        uint32_t cur = i;

        for (int depth = 0; depth < TREE_DEPTH_MAX; depth++) {
                if (r->aux[cur] != ACTIVITY_NONE)
                        return r->aux[cur];
                uint32_t parent = find_pid(r, entry(r, cur)->ppid);
                if (parent == ACTIVITY_NONE || parent == cur)
                        break;
                cur = parent;
        }
        return ACTIVITY_NONE;
}

/* Puts the eligible processes in members, keyed and sorted by group. */
static void group_processes(struct ranker *r)
{
        r->n_members = 0;
        for (uint32_t i = 0; i < r->n; i++) {
                const struct proc_entry *p = entry(r, i);
                uint32_t client;
                size_t unit;

                if (!eligible(r, p))
                        continue;
                client = client_ancestor(r, i);
                unit = p->cgroup_truncated ? 0 : activity_unit_path_len(proc_cgroup(p));
                if (client != ACTIVITY_NONE)
                        r->key[i] = make_key(KEY_CLIENT, client);
                else if (unit > 0)
                        r->key[i] = make_key(KEY_UNIT, (uint32_t)unit);
                else if (p->pgid > 0)
                        r->key[i] = make_key(KEY_PGID, (uint32_t)p->pgid);
                else
                        r->key[i] = make_key(KEY_PROCESS, (uint32_t)p->pid);
                r->members[r->n_members++] = i;
        }
        sort_indices(r->members, r->n_members, cmp_group, r);
}

static struct activity *new_activity(struct ranker *r, uint32_t first, uint32_t count)
{
        struct activity *a;

        if (r->n_acts >= r->cap)
                return NULL;
        a = &r->acts[r->n_acts++];
        memset(a, 0, sizeof(*a));
        a->first_member = first;
        a->n_members = count;
        a->leader = ACTIVITY_NONE;
        return a;
}

/* Splits the members into activities: one per group, less its protected
 * processes when it also has unprotected ones, which get one each. */
static int make_activities(struct ranker *r)
{
        size_t s = 0;

        r->n_acts = 0;
        while (s < r->n_members) {
                size_t e = s + 1, killable = 0;
                struct activity *a;

                while (e < r->n_members && cmp_group_only(r, r->members[s], r->members[e]) == 0)
                        e++;
                /* Killable ones first, each part in PID order. */
                for (size_t i = s; i < e; i++)
                        if (protection_of(r, r->members[i]) == ACTIVITY_KILLABLE) {
                                uint32_t t = r->members[s + killable];
                                r->members[s + killable] = r->members[i];
                                r->members[i] = t;
                                killable++;
                        }
                if (killable == 0 || killable == e - s) {
                        a = new_activity(r, (uint32_t)s, (uint32_t)(e - s));
                        if (!a)
                                return -ENOBUFS;
                        a->kind = (enum activity_kind)(r->key[r->members[s]] >> KEY_SHIFT);
                } else {
                        sort_indices(r->members + s, killable, cmp_pid, r);
                        sort_indices(r->members + s + killable, e - s - killable, cmp_pid, r);
                        a = new_activity(r, (uint32_t)s, (uint32_t)killable);
                        if (!a)
                                return -ENOBUFS;
                        a->kind = (enum activity_kind)(r->key[r->members[s]] >> KEY_SHIFT);
                        for (size_t i = s + killable; i < e; i++) {
                                a = new_activity(r, (uint32_t)i, 1);
                                if (!a)
                                        return -ENOBUFS;
                                a->kind = ACTIVITY_PROCESS;
                        }
                }
                s = e;
        }
        for (size_t i = 0; i < r->n; i++)
                r->aux[i] = ACTIVITY_NONE;
        for (size_t k = 0; k < r->n_acts; k++) {
                const struct activity *a = &r->acts[k];
                for (uint32_t m = 0; m < a->n_members; m++)
                        r->aux[r->members[a->first_member + m]] = (uint32_t)k;
        }
        return 0;
}

/* The leader: the client's own process, the process-group leader, or the
 * oldest member whose parent is not a member. */
static uint32_t find_leader(const struct ranker *r, const struct activity *a, uint32_t self)
{
        const uint32_t *m = r->members + a->first_member;
        uint32_t best = m[0];
        bool best_top = false;

        if (a->kind == ACTIVITY_CLIENT) {
                uint32_t client = r->key[m[0]] & KEY_VALUE_MASK;
                uint32_t i = find_pid(r, r->in->clients[client].pid);
                if (i != ACTIVITY_NONE && r->aux[i] == self)
                        return i;
        }
        if (a->kind == ACTIVITY_PGID) {
                uint32_t i = find_pid(r, entry(r, m[0])->pgid);
                if (i != ACTIVITY_NONE && r->aux[i] == self)
                        return i;
        }
        for (uint32_t k = 0; k < a->n_members; k++) {
                const struct proc_entry *p = entry(r, m[k]);
                uint32_t parent = find_pid(r, p->ppid);
                bool top = parent == ACTIVITY_NONE || r->aux[parent] != self;

                if (top && (!best_top || p->start_time_ticks < entry(r, best)->start_time_ticks)) {
                        best = m[k];
                        best_top = true;
                }
        }
        return best;
}

/* The leader's cgroup: the unit prefix, or the path every member has. */
static void set_cgroup(const struct ranker *r, struct activity *a)
{
        const struct proc_entry *l = entry(r, a->leader);
        const char *path = proc_cgroup(l);
        size_t len;

        a->cgroup[0] = '\0';
        a->cgroup_version = l->cgroup_v2[0] ? CGROUP_V2 : CGROUP_V1;
        if (l->cgroup_truncated || path[0] == '\0')
                return;
        if (a->kind == ACTIVITY_UNIT) {
                len = activity_unit_path_len(path);
        } else {
                for (uint32_t k = 0; k < a->n_members; k++) {
                        const struct proc_entry *p = entry(r, r->members[a->first_member + k]);
                        if (p->cgroup_truncated || strcmp(proc_cgroup(p), path) != 0)
                                return;
                }
                len = strlen(path);
        }
        if (len == 0 || len >= sizeof(a->cgroup))
                return;
        memcpy(a->cgroup, path, len);
        a->cgroup[len] = '\0';
}

static void set_name(const struct ranker *r, struct activity *a)
{
        const struct proc_entry *l = entry(r, a->leader);

        if (a->kind == ACTIVITY_CLIENT) {
                uint32_t client = r->key[r->members[a->first_member]] & KEY_VALUE_MASK;
                const char *name = r->in->clients[client].name;
                a->client_id = r->in->clients[client].client_id;
                snprintf(a->id_text, sizeof(a->id_text), "client:%" PRIu64, a->client_id);
                if (name && name[0]) {
                        copy_name(a->name, sizeof(a->name), name, strlen(name));
                        return;
                }
        } else if (a->kind == ACTIVITY_UNIT) {
                const char *last = strrchr(a->cgroup, '/');
                size_t len;
                last = last ? last + 1 : a->cgroup;
                len = strlen(last);
                if (has_suffix(last, len, ".scope"))
                        len -= strlen(".scope");
                else if (has_suffix(last, len, ".service"))
                        len -= strlen(".service");
                if (len > 0) {
                        copy_name(a->name, sizeof(a->name), last, len);
                        return;
                }
        } else if (a->kind == ACTIVITY_PGID) {
                snprintf(a->id_text, sizeof(a->id_text), "pgid:%d", (int)l->pgid);
        } else {
                snprintf(a->id_text, sizeof(a->id_text), "pid:%d", (int)l->pid);
        }
        copy_name(a->name, sizeof(a->name), l->comm, strlen(l->comm));
}

static void sum_members(const struct ranker *r, struct activity *a)
{
        uint64_t allowable_pages = r->in->domain->allowable_kib / MAX(r->in->domain->page_kib, 1u);
        int64_t worst_points = INT64_MIN;

        a->adj_min = 1000;
        a->adj_max = -1000;
        for (uint32_t k = 0; k < a->n_members; k++) {
                uint32_t i = r->members[a->first_member + k];
                const struct proc_entry *p = entry(r, i);
                uint64_t kib;
                int64_t points;

                a->rss_anon_kib = sat_add(a->rss_anon_kib, p->rss_anon_kib);
                a->rss_file_kib = sat_add(a->rss_file_kib, p->rss_file_kib);
                a->rss_shmem_kib = sat_add(a->rss_shmem_kib, p->rss_shmem_kib);
                a->swap_kib = sat_add(a->swap_kib, p->swap_kib);
                a->pte_kib = sat_add(a->pte_kib, p->pte_kib);
                if (r->in->charged_kib)
                        a->charged_kib += r->in->charged_kib[i];
                a->adj_min = MIN(a->adj_min, p->oom_score_adj);
                a->adj_max = MAX(a->adj_max, p->oom_score_adj);

                /* The kernel's points of the process alone, with its own
                 * adj: whom "kill = process" takes. */
                kib = sat_add(sat_add(sat_add(p->rss_anon_kib, p->rss_file_kib),
                                      sat_add(p->rss_shmem_kib, p->swap_kib)),
                              p->pte_kib);
                points = (int64_t)(kib / MAX(r->in->domain->page_kib, 1u)) +
                         (int64_t)own_adj(r, i) * (int64_t)(allowable_pages / 1000);
                if (points > worst_points) {
                        worst_points = points;
                        a->worst_member = i;
                }
        }
}

/* The rule actions of the activity: the leader's verdict, then for each
 * action it does not set, the first member (in PID order) that has one. */
static void merge_verdicts(const struct ranker *r, struct activity *a, struct rule_verdict *ret)
{
        const struct rule_verdict *lv = verdict(r, a->leader);

        memset(ret, 0, sizeof(*ret));
        ret->actions.tier = TIER_AUTO;
        if (!r->in->verdicts)
                return;
        *ret = *lv;
        for (uint32_t k = 0; k < a->n_members; k++) {
                const struct rule_verdict *v = verdict(r, r->members[a->first_member + k]);
                unsigned missing = v->actions.set & ~ret->actions.set;

                if (missing & RULE_ACTION_BIT(RULE_ACTION_TIER))
                        ret->actions.tier = v->actions.tier;
                if (missing & RULE_ACTION_BIT(RULE_ACTION_AVOID))
                        ret->actions.avoid = v->actions.avoid;
                if (missing & RULE_ACTION_BIT(RULE_ACTION_ADJ))
                        ret->actions.adj = v->actions.adj;
                if (missing & RULE_ACTION_BIT(RULE_ACTION_GRACE))
                        ret->actions.grace_usec = v->actions.grace_usec;
                if (missing & RULE_ACTION_BIT(RULE_ACTION_KILL))
                        ret->actions.kill = v->actions.kill;
                for (int f = 0; f < _RULE_ACTION_MAX; f++)
                        if (missing & RULE_ACTION_BIT(f))
                                ret->by[f] = v->by[f];
                ret->actions.set |= missing;
        }
}

static bool is_system(const struct ranker *r, const struct activity *a)
{
        const struct proc_entry *l = entry(r, a->leader);
        const char *path = a->cgroup[0] ? a->cgroup : proc_cgroup(l);

        if (a->kind == ACTIVITY_CLIENT)
                return false;
        if (path[0] && (cgroup_path_contains(SYSTEM_SLICE, path) || cgroup_path_contains(INIT_SCOPE, path)))
                return true;
        return l->uid < FIRST_USER_UID && !(path[0] && cgroup_path_contains(USER_SLICE, path));
}

static void apply_uses(struct ranker *r)
{
        const struct activity_input *in = r->in;

        for (size_t u = 0; u < in->n_uses; u++) {
                const struct activity_use *use = &in->uses[u];
                uint32_t k = ACTIVITY_NONE;

                if (use->pid > 0) {
                        uint32_t i = find_pid(r, use->pid);
                        if (i != ACTIVITY_NONE)
                                k = r->aux[i];
                } else if (use->id) {
                        for (size_t j = 0; j < r->n_acts && k == ACTIVITY_NONE; j++)
                                if (strcmp(activity_id(&r->acts[j]), use->id) == 0)
                                        k = (uint32_t)j;
                }
                if (k == ACTIVITY_NONE)
                        continue;
                struct activity *a = &r->acts[k];
                if (!a->reported || use->last_use_usec > a->last_use_usec)
                        a->last_use_usec = use->last_use_usec;
                a->reported = true;
                a->focused |= use->focused;
        }
        for (size_t k = 0; k < r->n_acts; k++) {
                struct activity *a = &r->acts[k];
                if (!a->reported && in->last_active_usec)
                        for (uint32_t m = 0; m < a->n_members; m++)
                                a->last_use_usec = MAX(a->last_use_usec,
                                                       in->last_active_usec[r->members[a->first_member + m]]);
                a->idle_usec = in->now_usec > a->last_use_usec ? in->now_usec - a->last_use_usec : 0;
                uint64_t idle = a->idle_usec;
                uint64_t unit = r->in->age_unit_usec;
                if (unit && unit != 60 * USEC_PER_SEC)
                        idle = idle > UINT64_MAX / (60 * USEC_PER_SEC) ? UINT64_MAX
                                                                       : idle * (60 * USEC_PER_SEC) / unit;
                a->age_factor_milli = activity_age_factor_milli(idle);
        }
}

static int cmp_cgroup(const void *ctx, uint32_t a, uint32_t b)
{
        const struct ranker *r = ctx;
        int c = strcmp(proc_cgroup(entry(r, a)), proc_cgroup(entry(r, b)));

        return c != 0 ? (c < 0 ? -1 : 1) : (a > b) - (a < b);
}

/* Whether every process of the table at or below a->cgroup is a member.
 * by_pid is sorted by cgroup path here: the paths that start with the
 * activity's are one run of it. */
static bool cgroup_exact(const struct ranker *r, const struct activity *a, uint32_t self)
{
        size_t len = strlen(a->cgroup), lo = 0, hi = r->n;

        if (len <= 1 || r->t->dropped > 0)
                return false; /* none, or the root: no cgroup.kill there */
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(proc_cgroup(entry(r, r->by_pid[mid])), a->cgroup) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (size_t k = lo; k < r->n; k++) {
                uint32_t i = r->by_pid[k];
                const char *path = proc_cgroup(entry(r, i));
                if (strncmp(path, a->cgroup, len) != 0)
                        break;
                if (cgroup_path_contains(a->cgroup, path) &&
                    (r->aux[i] != self || entry(r, i)->cgroup_truncated))
                        return false;
        }
        return true;
}

static void classify(struct ranker *r, struct activity *a)
{
        const struct policy_domain *d = r->in->domain;
        const struct proc_entry *l = entry(r, a->leader);
        struct rule_verdict v;
        struct proc_entry sum;

        merge_verdicts(r, a, &v);
        /* make_activities() left no group half protected. */
        a->protection = protection_of(r, a->leader);
        if (a->protection == ACTIVITY_PROTECTED_RULE) {
                const struct rule_verdict *lv = verdict(r, a->leader);
                a->protect_rule = lv->by[RULE_ACTION_PROTECT] && lv->actions.protect
                                          ? lv->by[RULE_ACTION_PROTECT]
                                          : lv->by[RULE_ACTION_ADJ];
        }

        a->adj_from_rule = v.actions.set & RULE_ACTION_BIT(RULE_ACTION_ADJ);
        a->adj = a->adj_from_rule ? v.actions.adj : own_adj(r, a->leader);
        a->avoid = (v.actions.set & RULE_ACTION_BIT(RULE_ACTION_AVOID)) && v.actions.avoid;
        a->kill = v.actions.set & RULE_ACTION_BIT(RULE_ACTION_KILL) ? v.actions.kill : RULE_KILL_ACTIVITY;
        a->has_grace = v.actions.set & RULE_ACTION_BIT(RULE_ACTION_GRACE);
        a->grace_usec = a->has_grace ? v.actions.grace_usec : 0;

        if (a->protection != ACTIVITY_KILLABLE) {
                a->tier = TIER_PROTECTED;
        } else if ((v.actions.set & RULE_ACTION_BIT(RULE_ACTION_TIER)) && v.actions.tier != TIER_AUTO &&
                   v.actions.tier < _TIER_MAX && v.actions.tier != TIER_PROTECTED) {
                a->tier = v.actions.tier;
                a->tier_rule = v.by[RULE_ACTION_TIER];
        } else if (a->focused) {
                a->tier = TIER_FOREGROUND;
        } else if (is_system(r, a)) {
                a->tier = TIER_SYSTEM;
        } else if (a->idle_usec < r->in->recent_usec) {
                a->tier = TIER_RECENT;
        } else {
                a->tier = TIER_BACKGROUND;
        }

        /* The kernel formula on the sum, as if the leader held it all. */
        memset(&sum, 0, sizeof(sum));
        sum.pid = l->pid;
        sum.uid = l->uid;
        sum.state = 'S';
        sum.has_mm = true;
        sum.rss_anon_kib = a->rss_anon_kib;
        sum.rss_file_kib = a->rss_file_kib;
        sum.rss_shmem_kib = a->rss_shmem_kib;
        sum.swap_kib = a->swap_kib;
        sum.pte_kib = a->pte_kib;
        sum.oom_score_adj = a->adj;
        badness_compute(&sum, d->allowable_kib / MAX(d->page_kib, 1u), d->page_kib, a->charged_kib, d->mode,
                        &a->badness);

        if (a->tier == TIER_PROTECTED)
                a->weight = 0;
        else if (a->tier == TIER_BACKGROUND)
                a->weight = activity_weight(a->badness.points, a->age_factor_milli);
        else
                a->weight = a->badness.points;
}

/* Worst first: kill order of the tier, avoided ones last in it, weight,
 * rss, then the lower leader PID. */
static int cmp_rank(const void *ctx, uint32_t x, uint32_t y)
{
        const struct ranker *r = ctx;
        const struct activity *a = &r->acts[x], *b = &r->acts[y];
        unsigned ta = tier_kill_order(a->tier), tb = tier_kill_order(b->tier);

        if (ta != tb)
                return ta < tb ? -1 : 1;
        if (a->avoid != b->avoid)
                return a->avoid ? 1 : -1;
        if (a->weight != b->weight)
                return a->weight > b->weight ? -1 : 1;
        if (a->badness.rss_pages != b->badness.rss_pages)
                return a->badness.rss_pages > b->badness.rss_pages ? -1 : 1;
        if (a->leader_pid != b->leader_pid)
                return a->leader_pid < b->leader_pid ? -1 : 1;
        return (x > y) - (x < y);
}

/* Puts acts in the order of r->key[0 .. n_acts): acts[i] = old acts[key[i]]. */
static void permute(struct ranker *r)
{
        uint32_t *order = r->key;

        for (uint32_t i = 0; i < r->n_acts; i++) {
                struct activity tmp;
                uint32_t j = i;

                if (order[i] == i)
                        continue;
                tmp = r->acts[i];
                for (;;) {
                        uint32_t k = order[j];
                        order[j] = j;
                        if (k == i) {
                                r->acts[j] = tmp;
                                break;
                        }
                        r->acts[j] = r->acts[k];
                        j = k;
                }
        }
}

ssize_t activity_rank(const struct activity_input *in, struct activity *acts, size_t cap, uint32_t *members,
                      size_t members_cap)
{
        const struct proc_table *t = in->procs;
        struct ranker r = {
                .in = in,
                .t = t,
                .n = t->n,
                .acts = acts,
                .cap = cap,
                .members = members,
        };
        int e;

        if (t->n >= ACTIVITY_NONE)
                return -EINVAL;
        if (members_cap < t->n || !in->scratch || in->scratch_cap < ACTIVITY_SCRATCH_WORDS(t->n))
                return -ENOBUFS;
        r.by_pid = in->scratch;
        r.aux = in->scratch + t->n;
        r.key = in->scratch + 2 * t->n;

        for (uint32_t i = 0; i < t->n; i++)
                r.by_pid[i] = i;
        sort_indices(r.by_pid, t->n, cmp_pid, &r);

        mark_clients(&r);
        group_processes(&r);
        e = make_activities(&r);
        if (e < 0)
                return e;

        for (uint32_t k = 0; k < r.n_acts; k++) {
                struct activity *a = &acts[k];
                a->leader = find_leader(&r, a, k);
                a->leader_pid = entry(&r, a->leader)->pid;
                a->uid = entry(&r, a->leader)->uid;
                set_cgroup(&r, a);
                set_name(&r, a);
                sum_members(&r, a);
        }
        apply_uses(&r);

        /* From here on by_pid is sorted by cgroup path. */
        sort_indices(r.by_pid, t->n, cmp_cgroup, &r);
        for (uint32_t k = 0; k < r.n_acts; k++)
                acts[k].cgroup_exact = cgroup_exact(&r, &acts[k], k);
        for (uint32_t k = 0; k < r.n_acts; k++)
                classify(&r, &acts[k]);

        /* The group keys are no longer needed: key becomes the order. */
        for (uint32_t k = 0; k < r.n_acts; k++)
                r.key[k] = k;
        sort_indices(r.key, r.n_acts, cmp_rank, &r);
        permute(&r);
        for (uint32_t k = 0; k < r.n_acts; k++)
                acts[k].rank = k;
        return (ssize_t)r.n_acts;
}

const struct activity *activity_victim(const struct activity *acts, size_t n)
{
        if (n == 0 || acts[0].tier == TIER_PROTECTED)
                return NULL;
        return &acts[0];
}

const struct activity *activity_of_proc(const struct activity *acts, size_t n, const uint32_t *members,
                                        uint32_t index)
{
        for (size_t k = 0; k < n; k++)
                for (uint32_t m = 0; m < acts[k].n_members; m++)
                        if (members[acts[k].first_member + m] == index)
                                return &acts[k];
        return NULL;
}

void activity_plan_adj(const struct activity *acts, size_t n, const uint32_t *members,
                       const struct proc_table *t, const int *base_adj, int *ret_adj)
{
        size_t count[_TIER_MAX] = { 0 }, seen[_TIER_MAX] = { 0 };
        bool first = true;

        for (size_t i = 0; i < t->n; i++)
                ret_adj[i] = t->entries[i].oom_score_adj;
        /* How many share each band: the first-ranked one has 1000 instead. */
        for (size_t k = 0; k < n; k++)
                if (acts[k].tier != TIER_PROTECTED && (unsigned)acts[k].tier < _TIER_MAX) {
                        if (first)
                                first = false;
                        else
                                count[acts[k].tier]++;
                }

        first = true;
        for (size_t k = 0; k < n; k++) {
                const struct activity *a = &acts[k];
                int top, bottom, value = 0;
                bool per_process = false;

                if (a->tier == TIER_PROTECTED || (unsigned)a->tier >= _TIER_MAX)
                        continue;
                if (first) {
                        value = ACTIVITY_ADJ_FIRST;
                        first = false;
                } else if (activity_tier_band(a->tier, &top, &bottom)) {
                        size_t c = count[a->tier], i = seen[a->tier]++;
                        value = c <= 1 ? top : top - (int)((size_t)(top - bottom) * i / (c - 1));
                } else {
                        per_process = true; /* SYSTEM: its own, capped */
                }
                for (uint32_t m = 0; m < a->n_members; m++) {
                        uint32_t i = members[a->first_member + m];
                        if (i >= t->n)
                                continue;
                        if (per_process) {
                                int own = a->adj_from_rule ? a->adj
                                          : base_adj       ? base_adj[i]
                                                           : t->entries[i].oom_score_adj;
                                value = MIN(own, ACTIVITY_ADJ_SYSTEM_MAX);
                                /* -1000 is "never": triage does not give it. */
                                value = MAX(value, OOM_SCORE_ADJ_MIN + 1);
                        }
                        ret_adj[i] = value;
                }
        }
}

/* Appends to buf at *len like snprintf, keeping the would-be length. */
__attribute__((format(printf, 4, 5))) static void append(char *buf, size_t size, size_t *len, const char *fmt,
                                                         ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(*len < size ? buf + *len : NULL, *len < size ? size - *len : 0, fmt, ap);
        va_end(ap);
        if (n > 0)
                *len += (size_t)n;
}

static void append_idle(char *buf, size_t size, size_t *len, uint64_t idle_usec)
{
        uint64_t s = idle_usec / USEC_PER_SEC;

        if (s < 60)
                append(buf, size, len, "idle %" PRIu64 " s", s);
        else if (s < 2 * 3600)
                append(buf, size, len, "idle %" PRIu64 " min", s / 60);
        else if (s < 2 * 86400)
                append(buf, size, len, "idle %" PRIu64 " h", s / 3600);
        else
                append(buf, size, len, "idle %" PRIu64 " d", s / 86400);
}

int activity_explain(const struct activity *a, char *buf, size_t size)
{
        size_t len = 0;
        unsigned f = (a->age_factor_milli + 50) / 100; /* tenths, rounded */

        if (size > 0)
                buf[0] = '\0';
        append(buf, size, &len, "tier %s", tier_to_string(a->tier));
        if (a->tier == TIER_PROTECTED) {
                append(buf, size, &len, " (%s", activity_protection_to_string(a->protection));
                if (a->protection == ACTIVITY_PROTECTED_RULE && a->protect_rule)
                        append(buf, size, &len, " '%s'", a->protect_rule);
                append(buf, size, &len, ")");
                return len > INT32_MAX ? INT32_MAX : (int)len;
        }
        if (a->tier_rule)
                append(buf, size, &len, " (rule '%s')", a->tier_rule);
        else if (a->tier == TIER_FOREGROUND)
                append(buf, size, &len, " (focused)");
        if (a->avoid)
                append(buf, size, &len, ", avoided");
        append(buf, size, &len, ", ");
        append_idle(buf, size, &len, a->idle_usec);
        if (!a->reported)
                append(buf, size, &len, " (cpu)");
        if (a->tier == TIER_BACKGROUND)
                append(buf, size, &len, ", factor %u.%u, points %" PRId64 " -> weight %" PRId64, f / 10,
                       f % 10, a->badness.points, a->weight);
        else
                append(buf, size, &len, ", points %" PRId64, a->badness.points);
        return len > INT32_MAX ? INT32_MAX : (int)len;
}

const char *activity_kind_to_string(enum activity_kind k)
{
        switch (k) {
        case ACTIVITY_CLIENT:
                return "client";
        case ACTIVITY_UNIT:
                return "unit";
        case ACTIVITY_PGID:
                return "process group";
        case ACTIVITY_PROCESS:
                return "process";
        }
        return "unknown";
}

const char *activity_protection_to_string(enum activity_protection p)
{
        switch (p) {
        case ACTIVITY_KILLABLE:
                return "killable";
        case ACTIVITY_PROTECTED_INIT:
                return "init";
        case ACTIVITY_PROTECTED_SELF:
                return "triaged itself";
        case ACTIVITY_PROTECTED_ADJ_MIN:
                return "oom_score_adj -1000";
        case ACTIVITY_PROTECTED_RULE:
                return "rule";
        }
        return "unknown";
}
