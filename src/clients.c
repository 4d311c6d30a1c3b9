/* SPDX-License-Identifier: MIT */
#include "clients.h"

#include <errno.h>
#include <string.h>

#include "util.h"

/* Names and state references are shown to people and logged: printable
 * bytes only (UTF-8 multibyte sequences pass; control bytes do not). */
static bool printable(const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

size_t clients_count_uid(const struct clients *cs, uid_t uid)
{
        size_t n = 0;

        for (size_t i = 0; i < CLIENTS_MAX; i++)
                n += cs->table[i].in_use && cs->table[i].uid == uid;
        return n;
}

struct client *clients_find_pid(struct clients *cs, pid_t pid)
{
        for (size_t i = 0; i < CLIENTS_MAX; i++)
                if (cs->table[i].in_use && cs->table[i].pid == pid)
                        return &cs->table[i];
        return NULL;
}

struct client *clients_find_id(struct clients *cs, uint64_t id)
{
        for (size_t i = 0; i < CLIENTS_MAX; i++)
                if (cs->table[i].in_use && cs->table[i].id == id)
                        return &cs->table[i];
        return NULL;
}

struct client *clients_add(struct clients *cs, enum client_transport t, const struct client_ops *ops,
                           void *transport_data, pid_t pid, uid_t uid, uint64_t start_time_ticks,
                           const char *name, int *ret_err)
{
        struct client *slot = NULL;

        if (!name || !name[0] || !printable(name)) {
                *ret_err = -EINVAL;
                return NULL;
        }
        if (clients_find_pid(cs, pid)) {
                *ret_err = -EEXIST;
                return NULL;
        }
        if (clients_count_uid(cs, uid) >= CLIENTS_PER_UID_MAX) {
                *ret_err = -EUSERS;
                return NULL;
        }
        for (size_t i = 0; i < CLIENTS_MAX && !slot; i++)
                if (!cs->table[i].in_use)
                        slot = &cs->table[i];
        if (!slot) {
                *ret_err = -ENOSPC;
                return NULL;
        }
        memset(slot, 0, sizeof(*slot));
        slot->in_use = true;
        slot->id = ++cs->last_id;
        slot->transport = t;
        slot->ops = ops;
        slot->transport_data = transport_data;
        slot->pid = pid;
        slot->uid = uid;
        slot->start_time_ticks = start_time_ticks;
        strscpy(slot->name, name, sizeof(slot->name));
        return slot;
}

void clients_remove(struct clients *cs, struct client *c)
{
        memset(c, 0, sizeof(*c));
}

uint32_t clients_next_serial(struct clients *cs)
{
        if (++cs->last_serial == 0)
                cs->last_serial = 1;
        return cs->last_serial;
}

int client_answer_saved(struct client *c, uint32_t serial, const char *state_ref, uint64_t now_realtime_usec)
{
        /* "saved" also answers a close request: an app may save first. */
        if (c->pending == CLIENT_REQUEST_NONE || serial != c->pending_serial)
                return -EPROTO;
        if (!state_ref)
                state_ref = "";
        if (strlen(state_ref) >= sizeof(c->state_ref) || !printable(state_ref))
                return -EINVAL;
        c->saved = true;
        c->saved_realtime_usec = now_realtime_usec;
        strscpy(c->state_ref, state_ref, sizeof(c->state_ref));
        if (c->pending == CLIENT_REQUEST_SAVE)
                c->pending = CLIENT_REQUEST_NONE;
        return 0;
}

int client_answer_closing(struct client *c, uint32_t serial)
{
        if (c->pending != CLIENT_REQUEST_CLOSE || serial != c->pending_serial)
                return -EPROTO;
        c->closing = true;
        return 0;
}

const char *choose_result_to_string(enum choose_result r)
{
        static const char *const names[_CHOOSE_RESULT_MAX] = {
                [CHOOSE_PICKED] = "picked", [CHOOSE_POLICY] = "policy",       [CHOOSE_TIMEOUT] = "timeout",
                [CHOOSE_FLOOR] = "floor",   [CHOOSE_CANCELLED] = "cancelled",
        };
        return (size_t)r < ARRAY_SIZE(names) ? names[r] : NULL;
}
