/* SPDX-License-Identifier: MIT */
/*
 * The record of kills (and dry-run decisions): a fixed ring of the last
 * HISTORY_MAX, allocated with the daemon, never grown.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "badness.h"
#include "level.h"
#include "proc.h"

#define HISTORY_MAX 64
#define HISTORY_DOMAIN_MAX 64
/* Members listed in a record; an activity with more is killed whole all the
 * same (cgroup.kill, or every member by pidfd) and n_members says so. */
#define HISTORY_MEMBERS_MAX 32

enum kill_outcome {
        KILL_PENDING,     /* signalled (or asked to close), not yet dead */
        KILL_DIED,        /* died after SIGKILL */
        KILL_CLOSED,      /* a registered app closed by itself when asked */
        KILL_AT_DEADLINE, /* a registered app did not close in its grace period */
        KILL_BY_FLOOR,    /* killed during its grace period: the emergency floor */
        KILL_TIMED_OUT,   /* still alive at the wait deadline */
        KILL_DRY_RUN,     /* dry-run: only said what it would do */
        KILL_GONE,        /* exited before it could be signalled */
        KILL_FAILED,      /* the signal could not be sent */
};

struct kill_record {
        uint64_t id;            /* 1, 2, ... since start */
        uint64_t realtime_usec; /* when the victim was chosen (CLOCK_REALTIME) */
        pid_t pid;
        uid_t uid;
        char comm[PROC_COMM_MAX];
        char cmdline[PROC_CMDLINE_MAX];
        char domain[HISTORY_DOMAIN_MAX];
        enum triage_level level;        /* the domain's level at the decision */
        uint64_t available_kib;         /* the domain's available memory then */
        struct badness badness;         /* the score and its parts */
        uint64_t freed_kib;             /* rss + swap of the victim at the decision */
        uint64_t trigger_to_death_usec; /* from the level event to the death */
        enum kill_outcome outcome;

        /* The activity: what was ranked and killed as a whole. */
        char activity[64];     /* its name */
        char activity_id[192]; /* cgroup path, client:N, pgid:N, pid:N */
        char tier[16];
        uint32_t n_members; /* processes killed */
        pid_t members[HISTORY_MEMBERS_MAX];
        bool cgroup_kill;    /* killed through cgroup.kill */
        char decided_by[16]; /* "policy", or "person" (a chooser's pick) */

        /* Registered applications only (client_id 0 otherwise). */
        uint64_t client_id;
        char client_name[64];
        bool saved;          /* it had confirmed a save before it went */
        char state_ref[256]; /* where it said its state is */
};

struct history {
        struct kill_record records[HISTORY_MAX];
        size_t next;    /* slot the next record goes into */
        size_t count;   /* records held, <= HISTORY_MAX */
        uint64_t total; /* records ever added */
};

/* Adds a copy of r (its id is assigned here) and returns the stored record,
 * which stays valid until HISTORY_MAX more are added. */
struct kill_record *history_add(struct history *h, const struct kill_record *r);

/* The i-th held record, oldest first (i < h->count). */
const struct kill_record *history_get(const struct history *h, size_t i);

/* The record with this id if it is still held, else NULL. */
struct kill_record *history_find(struct history *h, uint64_t id);

const char *kill_outcome_to_string(enum kill_outcome o);
/* Whether the outcome ended the process (any but pending/dry-run/failed). */
bool kill_outcome_is_final(enum kill_outcome o);
