/* SPDX-License-Identifier: MIT */
/* An application-socket packet: any local user can send these bytes to the
 * daemon, and a fake daemon can send them to libtriage. The first input
 * byte picks the direction; the rest is the packet. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "fuzz.h"
#include "level.h"
#include "proto.h"

/* Packs the fields of an accepted message again: the result must be
 * accepted too and carry the same fields. */
static void check_repack(uint16_t type, const union proto_message *m, enum proto_direction dir)
{
        union proto_message again;
        size_t len = 0;
        uint16_t t = 0;

        memset(&again, 0, sizeof(again));
        switch (type) {
        case PROTO_REGISTER:
                /* An empty name is well-formed; the client table refuses it. */
                if (m->reg.name[0] == '\0')
                        return;
                FUZZ_CHECK(proto_pack_register(&again.reg, m->reg.name) == 0);
                len = sizeof(again.reg);
                break;
        case PROTO_SAVED:
                FUZZ_CHECK(proto_pack_saved(&again.saved, m->saved.serial, m->saved.state_ref) == 0);
                len = sizeof(again.saved);
                break;
        case PROTO_CLOSING:
                proto_pack_closing(&again.closing, m->closing.serial);
                len = sizeof(again.closing);
                break;
        case PROTO_UNREGISTER:
                proto_pack_unregister(&again.unregister);
                len = sizeof(again.unregister);
                break;
        case PROTO_REGISTERED:
                proto_pack_registered(&again.registered, m->registered.client_id);
                len = sizeof(again.registered);
                break;
        case PROTO_LEVEL:
                FUZZ_CHECK(m->level.level < _TRIAGE_LEVEL_MAX);
                proto_pack_level(&again.level, m->level.level, m->level.lmm_byte);
                len = sizeof(again.level);
                break;
        case PROTO_SAVE_STATE:
                FUZZ_CHECK(m->save_state.serial != 0);
                proto_pack_save_state(&again.save_state, m->save_state.serial, m->save_state.deadline_msec);
                len = sizeof(again.save_state);
                break;
        case PROTO_EMERGENCY_CLOSE:
                FUZZ_CHECK(m->emergency_close.serial != 0);
                proto_pack_emergency_close(&again.emergency_close, m->emergency_close.serial,
                                           m->emergency_close.deadline_msec);
                len = sizeof(again.emergency_close);
                break;
        case PROTO_ERROR:
                FUZZ_CHECK(m->error.errnum > 0);
                proto_pack_error(&again.error, m->error.errnum, m->error.about_type);
                len = sizeof(again.error);
                break;
        case PROTO_CHOOSER:
                proto_pack_chooser(&again.chooser);
                len = sizeof(again.chooser);
                break;
        case PROTO_PICK:
                FUZZ_CHECK(m->pick.leader >= 0);
                proto_pack_pick(&again.pick, m->pick.serial, m->pick.leader);
                len = sizeof(again.pick);
                break;
        case PROTO_CHOOSER_READY:
                proto_pack_chooser_ready(&again.chooser_ready, m->chooser_ready.applications,
                                         m->chooser_ready.choosers);
                len = sizeof(again.chooser_ready);
                break;
        case PROTO_CHOOSE:
                FUZZ_CHECK(m->choose.serial != 0 && m->choose.n >= 1 && m->choose.n <= PROTO_CHOICES_MAX);
                for (uint32_t i = 0; i < m->choose.n; i++)
                        FUZZ_CHECK(m->choose.choices[i].leader > 0 &&
                                   FUZZ_TERMINATED(m->choose.choices[i].name));
                FUZZ_CHECK(proto_pack_choose(&again.choose, m->choose.serial, m->choose.deadline_msec,
                                             m->choose.choices, m->choose.n) == 0);
                /* Unused choices are all zero: packing again gives the same bytes. */
                FUZZ_CHECK(memcmp(&again.choose, &m->choose, sizeof(again.choose)) == 0);
                len = sizeof(again.choose);
                break;
        case PROTO_CHOOSE_DONE:
                FUZZ_CHECK(m->choose_done.serial != 0 && m->choose_done.result < _PROTO_CHOOSE_RESULT_MAX &&
                           m->choose_done.victim >= 0);
                proto_pack_choose_done(&again.choose_done, m->choose_done.serial,
                                       (enum proto_choose_result)m->choose_done.result,
                                       m->choose_done.victim);
                len = sizeof(again.choose_done);
                break;
        case PROTO_KILLED:
                FUZZ_CHECK(m->killed.pid > 0 && m->killed.score <= 1000 &&
                           m->killed.level < _TRIAGE_LEVEL_MAX && FUZZ_TERMINATED(m->killed.name) &&
                           FUZZ_TERMINATED(m->killed.domain) && FUZZ_TERMINATED(m->killed.tier));
                proto_pack_killed(
                        &again.killed,
                        &(struct proto_killed_info){ .pid = m->killed.pid,
                                                     .uid = m->killed.uid,
                                                     .freed_kib = m->killed.freed_kib,
                                                     .available_kib = m->killed.available_kib,
                                                     .score = m->killed.score,
                                                     .level = m->killed.level,
                                                     .outcome = (enum proto_kill_outcome)m->killed.outcome,
                                                     .flags = m->killed.flags,
                                                     .name = m->killed.name,
                                                     .domain = m->killed.domain,
                                                     .tier = m->killed.tier });
                /* The same message: the numbers to the byte, the strings up
                 * to their NUL (what follows it is not part of the message). */
                FUZZ_CHECK(memcmp(&again.killed, &m->killed, offsetof(struct proto_killed, name)) == 0);
                FUZZ_CHECK(strcmp(again.killed.name, m->killed.name) == 0 &&
                           strcmp(again.killed.domain, m->killed.domain) == 0 &&
                           strcmp(again.killed.tier, m->killed.tier) == 0);
                len = sizeof(again.killed);
                break;
        default:
                FUZZ_CHECK(!"an unknown type was accepted");
        }
        FUZZ_CHECK(proto_validate(&again, len, dir, &t) == 0 && t == type);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        union proto_message m;
        uint16_t type = 0;

        if (size < 1 || size > FUZZ_INPUT_MAX)
                return 0;
        enum proto_direction dir = data[0] & 1 ? PROTO_TO_APP : PROTO_TO_DAEMON;
        /* An exact-size copy (no slack) so ASan sees a read past len. */
        char *buf = fuzz_memdup(data + 1, size - 1);
        if (!buf)
                return 0;
        int r = proto_validate(buf, size - 1, dir, &type);
        FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -EMSGSIZE || r == -EPROTONOSUPPORT || r == -EOPNOTSUPP ||
                   r == -EINVAL);
        if (r == 0) {
                FUZZ_CHECK(size - 1 <= PROTO_MESSAGE_MAX);
                memcpy(&m, buf, size - 1);
                FUZZ_CHECK(m.hdr.version == PROTO_VERSION && m.hdr.length == size - 1 && m.hdr.type == type);
                if (type == PROTO_REGISTER)
                        FUZZ_CHECK(FUZZ_TERMINATED(m.reg.name));
                if (type == PROTO_SAVED)
                        FUZZ_CHECK(FUZZ_TERMINATED(m.saved.state_ref));
                check_repack(type, &m, dir);
        }
        free(buf);
        return 0;
}
