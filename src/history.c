/* SPDX-License-Identifier: MIT */
#include "history.h"

struct kill_record *history_add(struct history *h, const struct kill_record *r)
{
        struct kill_record *slot = &h->records[h->next];

        *slot = *r;
        slot->id = ++h->total;
        h->next = (h->next + 1) % HISTORY_MAX;
        if (h->count < HISTORY_MAX)
                h->count++;
        return slot;
}

const struct kill_record *history_get(const struct history *h, size_t i)
{
        if (i >= h->count)
                return NULL;
        size_t oldest = (h->next + HISTORY_MAX - h->count) % HISTORY_MAX;
        return &h->records[(oldest + i) % HISTORY_MAX];
}

struct kill_record *history_find(struct history *h, uint64_t id)
{
        for (size_t i = 0; i < h->count; i++)
                if (h->records[i].id == id)
                        return &h->records[i];
        return NULL;
}

const char *kill_outcome_to_string(enum kill_outcome o)
{
        switch (o) {
        case KILL_PENDING:
                return "pending";
        case KILL_DIED:
                return "died";
        case KILL_CLOSED:
                return "closed-by-itself";
        case KILL_AT_DEADLINE:
                return "killed-at-deadline";
        case KILL_BY_FLOOR:
                return "killed-by-floor";
        case KILL_TIMED_OUT:
                return "timed-out";
        case KILL_DRY_RUN:
                return "dry-run";
        case KILL_GONE:
                return "gone";
        case KILL_FAILED:
                return "failed";
        }
        return "unknown";
}

bool kill_outcome_is_final(enum kill_outcome o)
{
        return o == KILL_DIED || o == KILL_CLOSED || o == KILL_AT_DEADLINE || o == KILL_BY_FLOOR ||
               o == KILL_GONE;
}
