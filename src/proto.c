/* SPDX-License-Identifier: MIT */
#include "proto.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "level.h"

/* Linked into libtriage too: nothing here may use the daemon's helpers
 * (util.c, log.c), only libc. */

struct proto_type_info {
        uint16_t type;
        enum proto_direction dir;
        uint32_t size;
        const char *name;
};

static const struct proto_type_info proto_types[] = {
        { PROTO_REGISTER, PROTO_TO_DAEMON, sizeof(struct proto_register), "REGISTER" },
        { PROTO_SAVED, PROTO_TO_DAEMON, sizeof(struct proto_saved), "SAVED" },
        { PROTO_CLOSING, PROTO_TO_DAEMON, sizeof(struct proto_closing), "CLOSING" },
        { PROTO_UNREGISTER, PROTO_TO_DAEMON, sizeof(struct proto_unregister), "UNREGISTER" },
        { PROTO_REGISTERED, PROTO_TO_APP, sizeof(struct proto_registered), "REGISTERED" },
        { PROTO_LEVEL, PROTO_TO_APP, sizeof(struct proto_level), "LEVEL" },
        { PROTO_SAVE_STATE, PROTO_TO_APP, sizeof(struct proto_save_state), "SAVE_STATE" },
        { PROTO_EMERGENCY_CLOSE, PROTO_TO_APP, sizeof(struct proto_emergency_close), "EMERGENCY_CLOSE" },
        { PROTO_ERROR, PROTO_TO_APP, sizeof(struct proto_error), "ERROR" },
        { PROTO_CHOOSER, PROTO_TO_DAEMON, sizeof(struct proto_chooser), "CHOOSER" },
        { PROTO_PICK, PROTO_TO_DAEMON, sizeof(struct proto_pick), "PICK" },
        { PROTO_CHOOSER_READY, PROTO_TO_APP, sizeof(struct proto_chooser_ready), "CHOOSER_READY" },
        { PROTO_CHOOSE, PROTO_TO_APP, sizeof(struct proto_choose), "CHOOSE" },
        { PROTO_CHOOSE_DONE, PROTO_TO_APP, sizeof(struct proto_choose_done), "CHOOSE_DONE" },
        { PROTO_KILLED, PROTO_TO_APP, sizeof(struct proto_killed), "KILLED" },
};

static const struct proto_type_info *type_info(uint16_t type)
{
        for (size_t i = 0; i < sizeof(proto_types) / sizeof(proto_types[0]); i++)
                if (proto_types[i].type == type)
                        return &proto_types[i];
        return NULL;
}

static void header_init(struct proto_header *h, enum proto_type type, size_t size)
{
        *h = (struct proto_header){ .version = PROTO_VERSION,
                                    .type = (uint16_t)type,
                                    .length = (uint32_t)size };
}

/* Copies s into a fixed field, zero-filling the rest so that no stack
 * garbage goes out on the socket. */
static int pack_string(char *dst, size_t size, const char *s)
{
        size_t len = strlen(s);

        if (len >= size)
                return -ENAMETOOLONG;
        memset(dst, 0, size);
        memcpy(dst, s, len);
        return 0;
}

int proto_pack_register(struct proto_register *m, const char *name)
{
        if (!name || !name[0])
                return -EINVAL;
        header_init(&m->hdr, PROTO_REGISTER, sizeof(*m));
        return pack_string(m->name, sizeof(m->name), name);
}

int proto_pack_saved(struct proto_saved *m, uint32_t serial, const char *state_ref)
{
        header_init(&m->hdr, PROTO_SAVED, sizeof(*m));
        m->serial = serial;
        return pack_string(m->state_ref, sizeof(m->state_ref), state_ref ? state_ref : "");
}

void proto_pack_closing(struct proto_closing *m, uint32_t serial)
{
        header_init(&m->hdr, PROTO_CLOSING, sizeof(*m));
        m->serial = serial;
}

void proto_pack_unregister(struct proto_unregister *m)
{
        header_init(&m->hdr, PROTO_UNREGISTER, sizeof(*m));
}

void proto_pack_registered(struct proto_registered *m, uint64_t client_id)
{
        header_init(&m->hdr, PROTO_REGISTERED, sizeof(*m));
        m->client_id = client_id;
}

void proto_pack_level(struct proto_level *m, uint8_t level, uint8_t lmm_byte)
{
        memset(m, 0, sizeof(*m));
        header_init(&m->hdr, PROTO_LEVEL, sizeof(*m));
        m->level = level;
        m->lmm_byte = lmm_byte;
}

void proto_pack_save_state(struct proto_save_state *m, uint32_t serial, uint32_t deadline_msec)
{
        header_init(&m->hdr, PROTO_SAVE_STATE, sizeof(*m));
        m->serial = serial;
        m->deadline_msec = deadline_msec;
}

void proto_pack_emergency_close(struct proto_emergency_close *m, uint32_t serial, uint32_t deadline_msec)
{
        header_init(&m->hdr, PROTO_EMERGENCY_CLOSE, sizeof(*m));
        m->serial = serial;
        m->deadline_msec = deadline_msec;
}

void proto_pack_error(struct proto_error *m, int errnum, uint16_t about_type)
{
        memset(m, 0, sizeof(*m));
        header_init(&m->hdr, PROTO_ERROR, sizeof(*m));
        /* Accept -errno as well: callers pass what functions returned. */
        m->errnum = errnum < 0 ? -errnum : errnum;
        m->about_type = about_type;
}

void proto_pack_chooser(struct proto_chooser *m)
{
        header_init(&m->hdr, PROTO_CHOOSER, sizeof(*m));
}

void proto_pack_pick(struct proto_pick *m, uint32_t serial, int32_t leader)
{
        header_init(&m->hdr, PROTO_PICK, sizeof(*m));
        m->serial = serial;
        m->leader = leader;
}

void proto_pack_chooser_ready(struct proto_chooser_ready *m, uint32_t applications, uint32_t choosers)
{
        header_init(&m->hdr, PROTO_CHOOSER_READY, sizeof(*m));
        m->applications = applications;
        m->choosers = choosers;
}

void proto_pack_choice(struct proto_choice *c, int32_t leader, uint32_t uid, uint64_t memory_kib,
                       uint64_t idle_sec, uint32_t flags, const char *name)
{
        memset(c, 0, sizeof(*c));
        c->leader = leader;
        c->uid = uid;
        c->memory_kib = memory_kib;
        c->idle_sec = idle_sec;
        c->flags = flags & PROTO_CHOICE_FLAGS;
        if (name) {
                size_t len = strnlen(name, sizeof(c->name) - 1);
                memcpy(c->name, name, len);
        }
}

int proto_pack_choose(struct proto_choose *m, uint32_t serial, uint32_t deadline_msec,
                      const struct proto_choice *choices, size_t n)
{
        if (n == 0 || n > PROTO_CHOICES_MAX)
                return -EINVAL;
        memset(m, 0, sizeof(*m));
        header_init(&m->hdr, PROTO_CHOOSE, sizeof(*m));
        m->serial = serial;
        m->deadline_msec = deadline_msec;
        m->n = (uint32_t)n;
        memcpy(m->choices, choices, n * sizeof(*choices));
        return 0;
}

void proto_pack_choose_done(struct proto_choose_done *m, uint32_t serial, enum proto_choose_result result,
                            int32_t victim)
{
        memset(m, 0, sizeof(*m));
        header_init(&m->hdr, PROTO_CHOOSE_DONE, sizeof(*m));
        m->serial = serial;
        m->result = (uint32_t)result;
        m->victim = victim;
}

/* Copies as much of s as fits, NUL-terminated; the field is zeroed first. */
static void cut_string(char *dst, size_t size, const char *s)
{
        memset(dst, 0, size);
        if (s)
                memcpy(dst, s, strnlen(s, size - 1));
}

void proto_pack_killed(struct proto_killed *m, const struct proto_killed_info *info)
{
        memset(m, 0, sizeof(*m));
        header_init(&m->hdr, PROTO_KILLED, sizeof(*m));
        m->pid = info->pid;
        m->uid = info->uid;
        m->freed_kib = info->freed_kib;
        m->available_kib = info->available_kib;
        m->score = info->score;
        m->level = info->level;
        m->outcome = (uint8_t)info->outcome;
        m->flags = (uint8_t)(info->flags & PROTO_KILLED_FLAGS);
        cut_string(m->name, sizeof(m->name), info->name);
        cut_string(m->domain, sizeof(m->domain), info->domain);
        cut_string(m->tier, sizeof(m->tier), info->tier);
}

static bool has_nul(const char *s, size_t size)
{
        return memchr(s, '\0', size) != NULL;
}

static bool all_zero(const void *p, size_t size)
{
        const unsigned char *b = p;

        for (size_t i = 0; i < size; i++)
                if (b[i])
                        return false;
        return true;
}

static int validate_choose(const struct proto_choose *m)
{
        if (m->serial == 0 || m->reserved || m->n == 0 || m->n > PROTO_CHOICES_MAX)
                return -EINVAL;
        for (size_t i = 0; i < PROTO_CHOICES_MAX; i++) {
                const struct proto_choice *c = &m->choices[i];
                if (i >= m->n) {
                        /* Unused: nothing hides there. */
                        if (!all_zero(c, sizeof(*c)))
                                return -EINVAL;
                        continue;
                }
                if (c->leader <= 0 || (c->flags & ~PROTO_CHOICE_FLAGS) || c->reserved ||
                    !has_nul(c->name, sizeof(c->name)))
                        return -EINVAL;
        }
        return 0;
}

static int validate_killed(const struct proto_killed *m)
{
        if (m->pid <= 0 || m->score > 1000 || m->level >= _TRIAGE_LEVEL_MAX || m->reserved ||
            (m->flags & ~PROTO_KILLED_FLAGS))
                return -EINVAL;
        switch (m->outcome) {
        case PROTO_KILL_DIED:
        case PROTO_KILL_CLOSED:
        case PROTO_KILL_AT_DEADLINE:
        case PROTO_KILL_BY_FLOOR:
        case PROTO_KILL_TIMED_OUT:
        case PROTO_KILL_GONE:
        case PROTO_KILL_FAILED:
                break;
        default:
                return -EINVAL;
        }
        if (!has_nul(m->name, sizeof(m->name)) || !has_nul(m->domain, sizeof(m->domain)) ||
            !has_nul(m->tier, sizeof(m->tier)))
                return -EINVAL;
        return 0;
}

/* The checks that go beyond the size: run on an aligned copy. */
static int validate_fields(const union proto_message *m)
{
        switch (m->hdr.type) {
        case PROTO_REGISTER:
                return has_nul(m->reg.name, sizeof(m->reg.name)) ? 0 : -EINVAL;
        case PROTO_SAVED:
                return has_nul(m->saved.state_ref, sizeof(m->saved.state_ref)) ? 0 : -EINVAL;
        case PROTO_LEVEL:
                if (m->level.level >= _TRIAGE_LEVEL_MAX || m->level.reserved[0] || m->level.reserved[1])
                        return -EINVAL;
                return 0;
        case PROTO_SAVE_STATE:
                return m->save_state.serial != 0 ? 0 : -EINVAL;
        case PROTO_EMERGENCY_CLOSE:
                return m->emergency_close.serial != 0 ? 0 : -EINVAL;
        case PROTO_ERROR:
                return m->error.errnum > 0 && m->error.reserved == 0 ? 0 : -EINVAL;
        case PROTO_PICK:
                return m->pick.leader >= 0 ? 0 : -EINVAL;
        case PROTO_CHOOSE:
                return validate_choose(&m->choose);
        case PROTO_CHOOSE_DONE:
                if (m->choose_done.serial == 0 || m->choose_done.result >= _PROTO_CHOOSE_RESULT_MAX ||
                    m->choose_done.victim < 0 || m->choose_done.reserved)
                        return -EINVAL;
                return 0;
        case PROTO_KILLED:
                return validate_killed(&m->killed);
        default:
                /* CLOSING, UNREGISTER, REGISTERED, CHOOSER, CHOOSER_READY:
                 * any value is well-formed; whether a serial is right is
                 * for the receiver to say. */
                return 0;
        }
}

int proto_validate(const void *buf, size_t len, enum proto_direction dir, uint16_t *ret_type)
{
        union proto_message m;

        if (len < sizeof(struct proto_header))
                return -EBADMSG;
        /* Work on a copy: buf need not be aligned, and the checks then
         * read each byte once. */
        memset(&m, 0, sizeof(m));
        memcpy(&m.hdr, buf, sizeof(m.hdr));
        if (m.hdr.version != PROTO_VERSION)
                return -EPROTONOSUPPORT;
        if (len > PROTO_MESSAGE_MAX)
                return -EMSGSIZE;
        memcpy(&m, buf, len);
        if (m.hdr.length != len)
                return -EBADMSG;
        const struct proto_type_info *t = type_info(m.hdr.type);
        if (!t || t->dir != dir)
                return -EOPNOTSUPP;
        if (len != t->size)
                return -EBADMSG;
        int r = validate_fields(&m);
        if (r < 0)
                return r;
        *ret_type = m.hdr.type;
        return 0;
}

uint16_t proto_peek_type(const void *buf, size_t len)
{
        struct proto_header h;

        if (len < sizeof(h))
                return 0;
        memcpy(&h, buf, sizeof(h));
        return h.type;
}

const char *proto_type_to_string(uint16_t type)
{
        const struct proto_type_info *t = type_info(type);
        return t ? t->name : "unknown";
}
