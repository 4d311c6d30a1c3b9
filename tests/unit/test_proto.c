/* SPDX-License-Identifier: MIT */
/* The application protocol: every message packs and validates, and every
 * kind of malformed packet is refused with its own error. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "level.h"
#include "proto.h"

/* One of each message, as the packers make them. */
static size_t pack_example(uint16_t type, union proto_message *m)
{
        /* Garbage first: the packers must overwrite every byte that is sent. */
        memset(m, 0xa5, sizeof(*m));
        switch (type) {
        case PROTO_REGISTER:
                assert_int_equal(proto_pack_register(&m->reg, "notes"), 0);
                return sizeof(m->reg);
        case PROTO_SAVED:
                assert_int_equal(proto_pack_saved(&m->saved, 7, "/home/u/notes.txt"), 0);
                return sizeof(m->saved);
        case PROTO_CLOSING:
                proto_pack_closing(&m->closing, 7);
                return sizeof(m->closing);
        case PROTO_UNREGISTER:
                proto_pack_unregister(&m->unregister);
                return sizeof(m->unregister);
        case PROTO_REGISTERED:
                proto_pack_registered(&m->registered, UINT64_C(0x100000001));
                return sizeof(m->registered);
        case PROTO_LEVEL:
                proto_pack_level(&m->level, TRIAGE_LEVEL_MEDIUM, 100);
                return sizeof(m->level);
        case PROTO_SAVE_STATE:
                proto_pack_save_state(&m->save_state, 9, 5000);
                return sizeof(m->save_state);
        case PROTO_EMERGENCY_CLOSE:
                proto_pack_emergency_close(&m->emergency_close, 10, 3000);
                return sizeof(m->emergency_close);
        case PROTO_ERROR:
                proto_pack_error(&m->error, -EPROTO, PROTO_SAVED);
                return sizeof(m->error);
        case PROTO_CHOOSER:
                proto_pack_chooser(&m->chooser);
                return sizeof(m->chooser);
        case PROTO_PICK:
                proto_pack_pick(&m->pick, 11, 4242);
                return sizeof(m->pick);
        case PROTO_CHOOSER_READY:
                proto_pack_chooser_ready(&m->chooser_ready, 5, 1);
                return sizeof(m->chooser_ready);
        case PROTO_CHOOSE: {
                struct proto_choice c[3];
                memset(c, 0xa5, sizeof(c));
                proto_pack_choice(&c[0], 4242, 1000, 1048576, 600,
                                  PROTO_CHOICE_RECOMMENDED | PROTO_CHOICE_SAVED, "firefox");
                proto_pack_choice(&c[1], 5151, 1000, 524288, 30, 0, "gimp");
                proto_pack_choice(&c[2], 6060, 1000, 2048, 0, PROTO_CHOICE_FROZEN, "xterm");
                assert_int_equal(proto_pack_choose(&m->choose, 11, 10000, c, 3), 0);
                return sizeof(m->choose);
        }
        case PROTO_CHOOSE_DONE:
                proto_pack_choose_done(&m->choose_done, 11, PROTO_CHOOSE_PICKED, 5151);
                return sizeof(m->choose_done);
        case PROTO_KILLED:
                /* Over garbage, to show nothing of it goes out. */
                memset(&m->killed, 0xa5, sizeof(m->killed));
                proto_pack_killed(&m->killed, &(struct proto_killed_info){
                                                      .pid = 5151,
                                                      .uid = 1000,
                                                      .freed_kib = 420000,
                                                      .available_kib = 9000,
                                                      .score = 812,
                                                      .level = TRIAGE_LEVEL_CRITICAL,
                                                      .outcome = PROTO_KILL_CLOSED,
                                                      .flags = PROTO_KILLED_SAVED | PROTO_KILLED_BY_PERSON,
                                                      .name = "gimp",
                                                      .domain = "system",
                                                      .tier = "idle",
                                              });
                return sizeof(m->killed);
        default:
                fail();
                return 0;
        }
}

static const uint16_t to_daemon[] = { PROTO_REGISTER,   PROTO_SAVED,   PROTO_CLOSING,
                                      PROTO_UNREGISTER, PROTO_CHOOSER, PROTO_PICK };
static const uint16_t to_app[] = { PROTO_REGISTERED,      PROTO_LEVEL,       PROTO_SAVE_STATE,
                                   PROTO_EMERGENCY_CLOSE, PROTO_ERROR,       PROTO_CHOOSER_READY,
                                   PROTO_CHOOSE,          PROTO_CHOOSE_DONE, PROTO_KILLED };

static void check_valid(uint16_t type, enum proto_direction dir, size_t expected_size)
{
        union proto_message m;
        uint16_t got = 0;

        size_t len = pack_example(type, &m);
        assert_int_equal(len, expected_size);
        assert_int_equal(m.hdr.version, 1);
        assert_int_equal(m.hdr.type, type);
        assert_int_equal(m.hdr.length, expected_size);
        assert_int_equal(proto_validate(&m, len, dir, &got), 0);
        assert_int_equal(got, type);
        /* Sent the wrong way, it is not a message the receiver knows. */
        enum proto_direction other = dir == PROTO_TO_DAEMON ? PROTO_TO_APP : PROTO_TO_DAEMON;
        assert_int_equal(proto_validate(&m, len, other, &got), -EOPNOTSUPP);
}

static void test_every_type_valid(void **state)
{
        /* The sizes are the wire format: hand-added from the fields. */
        check_valid(PROTO_REGISTER, PROTO_TO_DAEMON, 8 + 64);
        check_valid(PROTO_SAVED, PROTO_TO_DAEMON, 8 + 4 + 256);
        check_valid(PROTO_CLOSING, PROTO_TO_DAEMON, 8 + 4);
        check_valid(PROTO_UNREGISTER, PROTO_TO_DAEMON, 8);
        check_valid(PROTO_REGISTERED, PROTO_TO_APP, 8 + 8);
        check_valid(PROTO_LEVEL, PROTO_TO_APP, 8 + 1 + 1 + 2);
        check_valid(PROTO_SAVE_STATE, PROTO_TO_APP, 8 + 4 + 4);
        check_valid(PROTO_EMERGENCY_CLOSE, PROTO_TO_APP, 8 + 4 + 4);
        check_valid(PROTO_ERROR, PROTO_TO_APP, 8 + 4 + 2 + 2);
        check_valid(PROTO_CHOOSER, PROTO_TO_DAEMON, 8);
        check_valid(PROTO_PICK, PROTO_TO_DAEMON, 8 + 4 + 4);
        check_valid(PROTO_CHOOSER_READY, PROTO_TO_APP, 8 + 4 + 4);
        /* A choice: leader, uid, memory, idle, flags, reserved, name. */
        check_valid(PROTO_CHOOSE, PROTO_TO_APP, 8 + 4 + 4 + 4 + 4 + 8 * (4 + 4 + 8 + 8 + 4 + 4 + 64));
        check_valid(PROTO_CHOOSE_DONE, PROTO_TO_APP, 8 + 4 + 4 + 4 + 4);
        /* pid, uid, freed, available, score, level, outcome, flags,
         * reserved, name, domain, tier. */
        check_valid(PROTO_KILLED, PROTO_TO_APP, 8 + 4 + 4 + 8 + 8 + 4 + 1 + 1 + 1 + 1 + 64 + 64 + 16);
        /* CHOOSE is the largest message. */
        assert_int_equal(PROTO_MESSAGE_MAX, 792);
}

static void test_fields_packed(void **state)
{
        union proto_message m;

        pack_example(PROTO_REGISTER, &m);
        assert_string_equal(m.reg.name, "notes");
        /* The rest of the field is zero, not the 0xa5 that was there. */
        for (size_t i = strlen("notes"); i < sizeof(m.reg.name); i++)
                assert_int_equal(m.reg.name[i], 0);
        pack_example(PROTO_SAVED, &m);
        assert_int_equal(m.saved.serial, 7);
        assert_string_equal(m.saved.state_ref, "/home/u/notes.txt");
        assert_int_equal(m.saved.state_ref[sizeof(m.saved.state_ref) - 1], 0);
        pack_example(PROTO_REGISTERED, &m);
        assert_true(m.registered.client_id == UINT64_C(0x100000001));
        pack_example(PROTO_LEVEL, &m);
        assert_int_equal(m.level.level, TRIAGE_LEVEL_MEDIUM);
        assert_int_equal(m.level.lmm_byte, 100);
        assert_int_equal(m.level.reserved[0], 0);
        assert_int_equal(m.level.reserved[1], 0);
        pack_example(PROTO_SAVE_STATE, &m);
        assert_int_equal(m.save_state.serial, 9);
        assert_int_equal(m.save_state.deadline_msec, 5000);
        pack_example(PROTO_EMERGENCY_CLOSE, &m);
        assert_int_equal(m.emergency_close.serial, 10);
        assert_int_equal(m.emergency_close.deadline_msec, 3000);
        /* -errno in, positive errno on the wire. */
        pack_example(PROTO_ERROR, &m);
        assert_int_equal(m.error.errnum, EPROTO);
        assert_int_equal(m.error.about_type, PROTO_SAVED);
        assert_int_equal(m.error.reserved, 0);
        proto_pack_error(&m.error, EUSERS, 0);
        assert_int_equal(m.error.errnum, EUSERS);

        pack_example(PROTO_PICK, &m);
        assert_int_equal(m.pick.serial, 11);
        assert_int_equal(m.pick.leader, 4242);
        pack_example(PROTO_CHOOSER_READY, &m);
        assert_int_equal(m.chooser_ready.applications, 5);
        assert_int_equal(m.chooser_ready.choosers, 1);
        pack_example(PROTO_CHOOSE_DONE, &m);
        assert_int_equal(m.choose_done.serial, 11);
        assert_int_equal(m.choose_done.result, PROTO_CHOOSE_PICKED);
        assert_int_equal(m.choose_done.victim, 5151);
        assert_int_equal(m.choose_done.reserved, 0);

        pack_example(PROTO_KILLED, &m);
        assert_int_equal(m.killed.pid, 5151);
        assert_int_equal(m.killed.uid, 1000);
        assert_true(m.killed.freed_kib == 420000);
        assert_true(m.killed.available_kib == 9000);
        assert_int_equal(m.killed.score, 812);
        assert_int_equal(m.killed.level, TRIAGE_LEVEL_CRITICAL);
        assert_int_equal(m.killed.outcome, PROTO_KILL_CLOSED);
        assert_int_equal(m.killed.flags, PROTO_KILLED_SAVED | PROTO_KILLED_BY_PERSON);
        assert_int_equal(m.killed.reserved, 0);
        assert_string_equal(m.killed.name, "gimp");
        assert_string_equal(m.killed.domain, "system");
        assert_string_equal(m.killed.tier, "idle");
        for (size_t k = strlen("gimp"); k < sizeof(m.killed.name); k++)
                assert_int_equal(m.killed.name[k], 0);
        for (size_t k = strlen("idle"); k < sizeof(m.killed.tier); k++)
                assert_int_equal(m.killed.tier[k], 0);

        pack_example(PROTO_CHOOSE, &m);
        assert_int_equal(m.choose.serial, 11);
        assert_int_equal(m.choose.deadline_msec, 10000);
        assert_int_equal(m.choose.n, 3);
        assert_int_equal(m.choose.reserved, 0);
        const struct proto_choice *c = m.choose.choices;
        assert_int_equal(c[0].leader, 4242);
        assert_int_equal(c[0].uid, 1000);
        assert_true(c[0].memory_kib == 1048576);
        assert_true(c[0].idle_sec == 600);
        assert_int_equal(c[0].flags, PROTO_CHOICE_RECOMMENDED | PROTO_CHOICE_SAVED);
        assert_string_equal(c[0].name, "firefox");
        assert_int_equal(c[1].leader, 5151);
        assert_int_equal(c[1].flags, 0);
        assert_string_equal(c[1].name, "gimp");
        assert_int_equal(c[2].flags, PROTO_CHOICE_FROZEN);
        assert_string_equal(c[2].name, "xterm");
        /* The 0xa5 the choices were made over is gone, in the used ones
         * (reserved, the end of the name) and in the five unused ones. */
        for (size_t i = 0; i < 3; i++) {
                assert_int_equal(c[i].reserved, 0);
                for (size_t k = strlen(c[i].name); k < sizeof(c[i].name); k++)
                        assert_int_equal(c[i].name[k], 0);
        }
        const unsigned char *rest = (const unsigned char *)&c[3];
        for (size_t k = 0; k < 5 * sizeof(*c); k++)
                assert_int_equal(rest[k], 0);
}

static void test_pack_choose(void **state)
{
        struct proto_choice c[PROTO_CHOICES_MAX + 1];
        union proto_message m;
        char name[100];
        uint16_t type = 0;

        /* A name too long is cut to 63 bytes, not refused: it is only shown. */
        memset(name, 'n', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        proto_pack_choice(&c[0], 1, 0, 0, 0, 0, name);
        assert_int_equal(strlen(c[0].name), 63);
        proto_pack_choice(&c[0], 1, 0, 0, 0, 0, NULL);
        assert_string_equal(c[0].name, "");
        /* Flags the protocol does not know are dropped. */
        proto_pack_choice(&c[0], 1, 0, 0, 0, 0xff, "x");
        assert_int_equal(c[0].flags, PROTO_CHOICE_SAVED | PROTO_CHOICE_RECOMMENDED | PROTO_CHOICE_FROZEN);
        assert_int_equal(c[0].flags, 7);

        for (size_t i = 0; i < PROTO_CHOICES_MAX + 1; i++)
                proto_pack_choice(&c[i], (int32_t)(100 + i), 0, i, i, 0, "app");
        assert_int_equal(proto_pack_choose(&m.choose, 1, 1000, c, 0), -EINVAL);
        assert_int_equal(proto_pack_choose(&m.choose, 1, 1000, c, PROTO_CHOICES_MAX + 1), -EINVAL);
        /* All eight used, and one: both valid. */
        assert_int_equal(proto_pack_choose(&m.choose, 1, 1000, c, PROTO_CHOICES_MAX), 0);
        assert_int_equal(proto_validate(&m, sizeof(m.choose), PROTO_TO_APP, &type), 0);
        assert_int_equal(m.choose.choices[7].leader, 107);
        assert_int_equal(proto_pack_choose(&m.choose, 1, 1000, c, 1), 0);
        assert_int_equal(proto_validate(&m, sizeof(m.choose), PROTO_TO_APP, &type), 0);
        assert_int_equal(type, PROTO_CHOOSE);
        assert_int_equal(m.choose.choices[1].leader, 0);
}

static void test_pack_strings(void **state)
{
        union proto_message m;
        char s[300];

        assert_int_equal(proto_pack_register(&m.reg, NULL), -EINVAL);
        assert_int_equal(proto_pack_register(&m.reg, ""), -EINVAL);
        /* 63 characters and the NUL fill the field exactly; 64 do not fit. */
        memset(s, 'n', 63);
        s[63] = '\0';
        assert_int_equal(proto_pack_register(&m.reg, s), 0);
        assert_int_equal(strlen(m.reg.name), 63);
        s[63] = 'n';
        s[64] = '\0';
        assert_int_equal(proto_pack_register(&m.reg, s), -ENAMETOOLONG);

        assert_int_equal(proto_pack_saved(&m.saved, 1, NULL), 0);
        assert_string_equal(m.saved.state_ref, "");
        memset(s, 'r', 255);
        s[255] = '\0';
        assert_int_equal(proto_pack_saved(&m.saved, 1, s), 0);
        s[255] = 'r';
        s[256] = '\0';
        assert_int_equal(proto_pack_saved(&m.saved, 1, s), -ENAMETOOLONG);
}

static void test_wrong_length(void **state)
{
        uint16_t type;

        for (size_t i = 0; i < sizeof(to_daemon) / sizeof(to_daemon[0]); i++) {
                union proto_message m;
                size_t len = pack_example(to_daemon[i], &m);

                /* The length field disagrees with what arrived. */
                m.hdr.length = (uint32_t)len + 1;
                assert_int_equal(proto_validate(&m, len, PROTO_TO_DAEMON, &type), -EBADMSG);
                m.hdr.length = (uint32_t)len - 1;
                assert_int_equal(proto_validate(&m, len, PROTO_TO_DAEMON, &type), -EBADMSG);
                /* The length field agrees with what arrived, but that is
                 * not the size of the type: one byte more, one byte less. */
                m.hdr.length = (uint32_t)len + 1;
                assert_int_equal(proto_validate(&m, len + 1, PROTO_TO_DAEMON, &type), -EBADMSG);
                if (len > sizeof(struct proto_header)) {
                        m.hdr.length = (uint32_t)len - 1;
                        assert_int_equal(proto_validate(&m, len - 1, PROTO_TO_DAEMON, &type), -EBADMSG);
                }
        }
        for (size_t i = 0; i < sizeof(to_app) / sizeof(to_app[0]); i++) {
                union proto_message m;
                size_t len = pack_example(to_app[i], &m);

                m.hdr.length = (uint32_t)len + 1;
                assert_int_equal(proto_validate(&m, len, PROTO_TO_APP, &type), -EBADMSG);
                /* (CHOOSE is the largest message: one byte more is too big
                 * for any type.) */
                assert_int_equal(proto_validate(&m, len + 1, PROTO_TO_APP, &type),
                                 to_app[i] == PROTO_CHOOSE ? -EMSGSIZE : -EBADMSG);
                if (len > sizeof(struct proto_header)) {
                        m.hdr.length = (uint32_t)len - 1;
                        assert_int_equal(proto_validate(&m, len - 1, PROTO_TO_APP, &type), -EBADMSG);
                }
        }
        /* A REGISTER that claims to be a CLOSING is the wrong size for it. */
        union proto_message m;
        size_t len = pack_example(PROTO_REGISTER, &m);
        m.hdr.type = PROTO_CLOSING;
        assert_int_equal(proto_validate(&m, len, PROTO_TO_DAEMON, &type), -EBADMSG);
}

static void test_wrong_version(void **state)
{
        const uint16_t versions[] = { 0, 2, 0x100, 0xffff };
        union proto_message m;
        uint16_t type;

        for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
                size_t len = pack_example(PROTO_REGISTER, &m);
                m.hdr.version = versions[i];
                assert_int_equal(proto_validate(&m, len, PROTO_TO_DAEMON, &type), -EPROTONOSUPPORT);
                /* Checked before the size: a longer message of another
                 * version is still "another version". */
                (void)pack_example(PROTO_SAVED, &m);
                m.hdr.version = versions[i];
                m.hdr.length = sizeof(m);
                assert_int_equal(proto_validate(&m, sizeof(m), PROTO_TO_DAEMON, &type), -EPROTONOSUPPORT);
        }
}

static void test_unknown_type(void **state)
{
        const uint16_t types[] = { 0, 7, 100, 110, 0x8000, 0xffff };
        union proto_message m;
        uint16_t type;

        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
                size_t len = pack_example(PROTO_CLOSING, &m);
                m.hdr.type = types[i];
                assert_int_equal(proto_validate(&m, len, PROTO_TO_DAEMON, &type), -EOPNOTSUPP);
                assert_int_equal(proto_validate(&m, len, PROTO_TO_APP, &type), -EOPNOTSUPP);
        }
        /* Each daemon-only type is unknown to the daemon and vice versa. */
        for (size_t i = 0; i < sizeof(to_app) / sizeof(to_app[0]); i++) {
                size_t len = pack_example(to_app[i], &m);
                assert_int_equal(proto_validate(&m, len, PROTO_TO_DAEMON, &type), -EOPNOTSUPP);
        }
        for (size_t i = 0; i < sizeof(to_daemon) / sizeof(to_daemon[0]); i++) {
                size_t len = pack_example(to_daemon[i], &m);
                assert_int_equal(proto_validate(&m, len, PROTO_TO_APP, &type), -EOPNOTSUPP);
        }
}

static void test_no_nul(void **state)
{
        union proto_message m;
        uint16_t type = 0;

        size_t len = pack_example(PROTO_REGISTER, &m);
        memset(m.reg.name, 'x', sizeof(m.reg.name));
        assert_int_equal(proto_validate(&m, len, PROTO_TO_DAEMON, &type), -EINVAL);
        /* The NUL in the last byte is enough. */
        m.reg.name[sizeof(m.reg.name) - 1] = '\0';
        assert_int_equal(proto_validate(&m, len, PROTO_TO_DAEMON, &type), 0);

        len = pack_example(PROTO_SAVED, &m);
        memset(m.saved.state_ref, '/', sizeof(m.saved.state_ref));
        assert_int_equal(proto_validate(&m, len, PROTO_TO_DAEMON, &type), -EINVAL);
        m.saved.state_ref[sizeof(m.saved.state_ref) - 1] = '\0';
        assert_int_equal(proto_validate(&m, len, PROTO_TO_DAEMON, &type), 0);
}

static void test_bad_fields(void **state)
{
        union proto_message m;
        uint16_t type;

        size_t len = pack_example(PROTO_LEVEL, &m);
        m.level.level = _TRIAGE_LEVEL_MAX;
        assert_int_equal(proto_validate(&m, len, PROTO_TO_APP, &type), -EINVAL);
        m.level.level = TRIAGE_LEVEL_EMERGENCY;
        assert_int_equal(proto_validate(&m, len, PROTO_TO_APP, &type), 0);
        m.level.reserved[1] = 1;
        assert_int_equal(proto_validate(&m, len, PROTO_TO_APP, &type), -EINVAL);

        len = pack_example(PROTO_SAVE_STATE, &m);
        m.save_state.serial = 0;
        assert_int_equal(proto_validate(&m, len, PROTO_TO_APP, &type), -EINVAL);
        len = pack_example(PROTO_EMERGENCY_CLOSE, &m);
        m.emergency_close.serial = 0;
        assert_int_equal(proto_validate(&m, len, PROTO_TO_APP, &type), -EINVAL);

        len = pack_example(PROTO_ERROR, &m);
        m.error.errnum = 0;
        assert_int_equal(proto_validate(&m, len, PROTO_TO_APP, &type), -EINVAL);
        m.error.errnum = -EPROTO;
        assert_int_equal(proto_validate(&m, len, PROTO_TO_APP, &type), -EINVAL);
        m.error.errnum = EPROTO;
        m.error.reserved = 1;
        assert_int_equal(proto_validate(&m, len, PROTO_TO_APP, &type), -EINVAL);

        /* A serial the daemon did not send is well-formed: the daemon,
         * not the parser, answers it with EPROTO. */
        len = pack_example(PROTO_CLOSING, &m);
        m.closing.serial = 0;
        assert_int_equal(proto_validate(&m, len, PROTO_TO_DAEMON, &type), 0);
        len = pack_example(PROTO_PICK, &m);
        m.pick.serial = 0;
        assert_int_equal(proto_validate(&m, len, PROTO_TO_DAEMON, &type), 0);
        /* Leader 0 lets the policy decide; no process has a negative one. */
        m.pick.leader = 0;
        assert_int_equal(proto_validate(&m, len, PROTO_TO_DAEMON, &type), 0);
        m.pick.leader = -1;
        assert_int_equal(proto_validate(&m, len, PROTO_TO_DAEMON, &type), -EINVAL);

        len = pack_example(PROTO_CHOOSE_DONE, &m);
        m.choose_done.result = PROTO_CHOOSE_CANCELLED;
        m.choose_done.victim = 0;
        assert_int_equal(proto_validate(&m, len, PROTO_TO_APP, &type), 0);
        m.choose_done.result = 5;
        assert_int_equal(proto_validate(&m, len, PROTO_TO_APP, &type), -EINVAL);
        m.choose_done.result = PROTO_CHOOSE_TIMEOUT;
        m.choose_done.victim = -1;
        assert_int_equal(proto_validate(&m, len, PROTO_TO_APP, &type), -EINVAL);
        m.choose_done.victim = 1;
        m.choose_done.reserved = 1;
        assert_int_equal(proto_validate(&m, len, PROTO_TO_APP, &type), -EINVAL);
        m.choose_done.reserved = 0;
        m.choose_done.serial = 0;
        assert_int_equal(proto_validate(&m, len, PROTO_TO_APP, &type), -EINVAL);
}

/* Breaks one thing in the example CHOOSE (3 choices used) and checks it is
 * refused. */
static void choose_refused(void (*breaker)(struct proto_choose *c))
{
        union proto_message m;
        uint16_t type;

        size_t len = pack_example(PROTO_CHOOSE, &m);
        assert_int_equal(proto_validate(&m, len, PROTO_TO_APP, &type), 0);
        breaker(&m.choose);
        assert_int_equal(proto_validate(&m, len, PROTO_TO_APP, &type), -EINVAL);
}

static void serial_0(struct proto_choose *c)
{
        c->serial = 0;
}
static void reserved_set(struct proto_choose *c)
{
        c->reserved = 1;
}
static void n_0(struct proto_choose *c)
{
        c->n = 0;
}
static void n_9(struct proto_choose *c)
{
        c->n = PROTO_CHOICES_MAX + 1;
}
/* n = 4 makes the zeroed fourth choice a used one, with leader 0. */
static void n_4(struct proto_choose *c)
{
        c->n = 4;
}
static void leader_0(struct proto_choose *c)
{
        c->choices[1].leader = 0;
}
static void leader_negative(struct proto_choose *c)
{
        c->choices[2].leader = -5;
}
static void flag_unknown(struct proto_choose *c)
{
        c->choices[0].flags |= 0x8;
}
static void choice_reserved(struct proto_choose *c)
{
        c->choices[1].reserved = 1;
}
static void name_no_nul(struct proto_choose *c)
{
        memset(c->choices[2].name, 'x', sizeof(c->choices[2].name));
}
/* n = 2 leaves the third choice filled in but unused. */
static void unused_filled(struct proto_choose *c)
{
        c->n = 2;
}
static void unused_byte(struct proto_choose *c)
{
        c->choices[7].name[63] = 1;
}

static void test_bad_choose(void **state)
{
        choose_refused(serial_0);
        choose_refused(reserved_set);
        choose_refused(n_0);
        choose_refused(n_9);
        choose_refused(n_4);
        choose_refused(leader_0);
        choose_refused(leader_negative);
        choose_refused(flag_unknown);
        choose_refused(choice_reserved);
        choose_refused(name_no_nul);
        choose_refused(unused_filled);
        choose_refused(unused_byte);

        /* What is allowed: an empty name (shown as such), a deadline of 0
         * (the policy decides at once), any uid, memory and idle time. */
        union proto_message m;
        uint16_t type;
        size_t len = pack_example(PROTO_CHOOSE, &m);
        m.choose.choices[1].name[0] = '\0';
        m.choose.deadline_msec = 0;
        m.choose.choices[0].uid = UINT32_MAX;
        m.choose.choices[0].memory_kib = UINT64_MAX;
        m.choose.choices[0].idle_sec = UINT64_MAX;
        assert_int_equal(proto_validate(&m, len, PROTO_TO_APP, &type), 0);
}

static void killed_pending(struct proto_killed *k)
{
        k->outcome = 0;
}
static void killed_dry_run(struct proto_killed *k)
{
        k->outcome = 6;
}
static void killed_outcome_9(struct proto_killed *k)
{
        k->outcome = 9;
}
static void killed_pid_0(struct proto_killed *k)
{
        k->pid = 0;
}
static void killed_score_1001(struct proto_killed *k)
{
        k->score = 1001;
}
static void killed_level(struct proto_killed *k)
{
        k->level = _TRIAGE_LEVEL_MAX;
}
static void killed_flag(struct proto_killed *k)
{
        k->flags = 0x8;
}
static void killed_reserved(struct proto_killed *k)
{
        k->reserved = 1;
}
static void killed_tier(struct proto_killed *k)
{
        memset(k->tier, 't', sizeof(k->tier));
}
static void killed_domain(struct proto_killed *k)
{
        memset(k->domain, 'd', sizeof(k->domain));
}
static void killed_name(struct proto_killed *k)
{
        memset(k->name, 'n', sizeof(k->name));
}

/* pending and dry-run are never sent; the rest is out of range. */
static void (*const killed_breakers[])(struct proto_killed *) = {
        killed_pending, killed_dry_run,  killed_outcome_9, killed_pid_0,  killed_score_1001, killed_level,
        killed_flag,    killed_reserved, killed_tier,      killed_domain, killed_name,
};

/* KILLED: a long name is cut (it is only shown); unknown flags are
 * dropped; every bad field is refused on receipt. */
static void test_killed(void **state)
{
        union proto_message m;
        uint16_t type = 0;
        char long_name[200];

        memset(long_name, 'n', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';
        proto_pack_killed(&m.killed, &(struct proto_killed_info){ .pid = 1,
                                                                  .outcome = PROTO_KILL_DIED,
                                                                  .flags = 0xf0 | PROTO_KILLED_SAVED,
                                                                  .name = long_name });
        assert_int_equal(strlen(m.killed.name), sizeof(m.killed.name) - 1);
        assert_string_equal(m.killed.domain, "");
        assert_int_equal(m.killed.flags, PROTO_KILLED_SAVED);
        assert_int_equal(proto_validate(&m, sizeof(m.killed), PROTO_TO_APP, &type), 0);
        assert_int_equal(type, PROTO_KILLED);

        for (size_t i = 0; i < sizeof(killed_breakers) / sizeof(killed_breakers[0]); i++) {
                size_t len = pack_example(PROTO_KILLED, &m);
                assert_int_equal(proto_validate(&m, len, PROTO_TO_APP, &type), 0);
                killed_breakers[i](&m.killed);
                assert_int_equal(proto_validate(&m, len, PROTO_TO_APP, &type), -EINVAL);
        }
}

static void test_truncated(void **state)
{
        union proto_message m;
        uint16_t type;

        size_t len = pack_example(PROTO_REGISTER, &m);
        /* Shorter than a header: nothing can be read from it. */
        for (size_t n = 0; n < sizeof(struct proto_header); n++)
                assert_int_equal(proto_validate(&m, n, PROTO_TO_DAEMON, &type), -EBADMSG);
        /* Cut anywhere after the header, with the length field intact. */
        for (size_t n = sizeof(struct proto_header); n < len; n++)
                assert_int_equal(proto_validate(&m, n, PROTO_TO_DAEMON, &type), -EBADMSG);
        assert_int_equal(proto_peek_type(&m, 3), 0);
        assert_int_equal(proto_peek_type(&m, 8), PROTO_REGISTER);
}

static void test_oversized(void **state)
{
        char *buf = calloc(1, 65536);
        struct proto_header h = { .version = PROTO_VERSION, .type = PROTO_SAVED };
        uint16_t type;

        assert_non_null(buf);
        const size_t sizes[] = { PROTO_MESSAGE_MAX + 1, PROTO_MESSAGE_MAX + 100, 65536 };
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
                /* Even with a header that agrees, it is too big for any type. */
                h.length = (uint32_t)sizes[i];
                memcpy(buf, &h, sizeof(h));
                assert_int_equal(proto_validate(buf, sizes[i], PROTO_TO_DAEMON, &type), -EMSGSIZE);
        }
        free(buf);
}

static void test_unaligned(void **state)
{
        /* A packet at an odd address validates the same way. */
        char buf[sizeof(union proto_message) + 1];
        union proto_message m;
        uint16_t type = 0;

        size_t len = pack_example(PROTO_REGISTERED, &m);
        memcpy(buf + 1, &m, len);
        assert_int_equal(proto_validate(buf + 1, len, PROTO_TO_APP, &type), 0);
        assert_int_equal(type, PROTO_REGISTERED);
}

static void test_names(void **state)
{
        assert_string_equal(proto_type_to_string(PROTO_REGISTER), "REGISTER");
        assert_string_equal(proto_type_to_string(PROTO_EMERGENCY_CLOSE), "EMERGENCY_CLOSE");
        assert_string_equal(proto_type_to_string(PROTO_CHOOSER), "CHOOSER");
        assert_string_equal(proto_type_to_string(PROTO_PICK), "PICK");
        assert_string_equal(proto_type_to_string(PROTO_CHOOSER_READY), "CHOOSER_READY");
        assert_string_equal(proto_type_to_string(PROTO_CHOOSE), "CHOOSE");
        assert_string_equal(proto_type_to_string(PROTO_CHOOSE_DONE), "CHOOSE_DONE");
        assert_string_equal(proto_type_to_string(PROTO_KILLED), "KILLED");
        assert_string_equal(proto_type_to_string(0), "unknown");
        assert_string_equal(proto_type_to_string(999), "unknown");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_type_valid), cmocka_unit_test(test_fields_packed),
                cmocka_unit_test(test_pack_strings),     cmocka_unit_test(test_wrong_length),
                cmocka_unit_test(test_wrong_version),    cmocka_unit_test(test_unknown_type),
                cmocka_unit_test(test_no_nul),           cmocka_unit_test(test_bad_fields),
                cmocka_unit_test(test_truncated),        cmocka_unit_test(test_oversized),
                cmocka_unit_test(test_unaligned),        cmocka_unit_test(test_names),
                cmocka_unit_test(test_pack_choose),      cmocka_unit_test(test_bad_choose),
                cmocka_unit_test(test_killed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
