/* SPDX-License-Identifier: MIT */
/*
 * D-Bus, on the system bus, with sd-bus in the daemon's one event loop.
 * See triage-dbus(7).
 *
 *   org.freedesktop.LowMemoryMonitor  the interface of low-memory-monitor,
 *       LowMemoryWarning(y), so that every GLib GMemoryMonitor application
 *       (and anything else written for low-memory-monitor) reacts unchanged.
 *   org.triage.Manager1  registration of applications and choosers, focus
 *       reports (from a shell or window manager: "last used"), the
 *       read-only views of triagectl as JSON, and the LevelChanged and
 *       Killed signals.
 *   org.triage.Client1  exported by each registered application on its own
 *       connection: SaveState and EmergencyClose, called by the daemon.
 *   org.triage.Chooser1  exported by a registered application that asked to
 *       be a chooser (RegisterChooser: a desktop agent): Choose, the ranked
 *       candidates to pick from at the critical level, and ChooseDone.
 *
 * Nothing here waits on the bus. Names are requested, matches added and the
 * callers' credentials asked for with asynchronous calls; a method that
 * needs the caller's credentials (all of them: Register for the client's
 * pid and uid, ReportFocus because only root or a process's owner may
 * report it, the views because they hide other users' command lines) is
 * answered when the bus driver's GetConnectionCredentials reply arrives.
 * The credentials are the ones the bus took from the kernel (SO_PEERCRED)
 * when the caller connected, never anything the caller says.
 *
 * The tables are fixed-size and allocated with the daemon. If the bus goes
 * away, registered bus clients are dropped and the daemon tries to connect
 * again every BUS_RECONNECT_USEC.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "log.h"
#include "manager.h"
#include "util.h"

#define LMM_NAME "org.freedesktop.LowMemoryMonitor"
#define LMM_PATH "/org/freedesktop/LowMemoryMonitor"
#define LMM_INTERFACE "org.freedesktop.LowMemoryMonitor"

#define MANAGER_NAME "org.triage.Manager1"
#define MANAGER_PATH "/org/triage/Manager1"
#define MANAGER_INTERFACE "org.triage.Manager1"

#define CLIENT_PATH "/org/triage/Client1"
#define CLIENT_INTERFACE "org.triage.Client1"

#define CHOOSER_PATH "/org/triage/Chooser1"
#define CHOOSER_INTERFACE "org.triage.Chooser1"

#define ERROR_ALREADY_REGISTERED "org.triage.Manager1.Error.AlreadyRegistered"
#define ERROR_NOT_REGISTERED "org.triage.Manager1.Error.NotRegistered"
#define ERROR_NO_SUCH_DOMAIN "org.triage.Manager1.Error.NoSuchDomain"
#define ERROR_NO_SUCH_PROCESS "org.triage.Manager1.Error.NoSuchProcess"

/* low-memory-monitor sends a level again only when it last sent that level
 * more than RECOVERY_INTERVAL (15 s) before; so do we. */
#define LMM_RESEND_USEC (15 * USEC_PER_SEC)
/* After losing the bus (dbus-daemon restarted), try again this often. */
#define BUS_RECONNECT_USEC (10 * USEC_PER_SEC)
/* Method calls waiting for the caller's credentials. The bus driver answers
 * in well under a millisecond; 64 is room for a burst of every registered
 * client asking at once, and a flood beyond it gets LimitsExceeded. */
#define BUS_REQUESTS_MAX 64
/* The D-Bus specification limits bus names to 255 bytes. */
#define BUS_NAME_MAX 256
/* A Register name or a GetCandidates domain (a name or a cgroup path). */
#define BUS_ARG_MAX MAX(CLIENT_NAME_MAX, CGROUP_PATH_MAX)

enum bus_request_kind {
        BUS_REQUEST_REGISTER,
        BUS_REQUEST_STATUS,
        BUS_REQUEST_CANDIDATES,
        BUS_REQUEST_EXPLAIN,
        BUS_REQUEST_HISTORY,
        BUS_REQUEST_FOCUS,
        BUS_REQUEST_CHARGE,
};

/* A method call waiting for its caller's credentials. */
struct bus_request {
        struct bus *bus;
        bool in_use;
        enum bus_request_kind kind;
        sd_bus_message *call;    /* answered when the credentials arrive */
        sd_bus_slot *creds_slot; /* GetConnectionCredentials in flight */
        sd_bus_slot *match_slot; /* Register: the caller's NameOwnerChanged */
        pid_t pid;               /* Explain, ReportFocus, ReportCharge */
        uint64_t bytes;          /* ReportCharge */
        char arg[BUS_ARG_MAX];   /* Register: the name; GetCandidates: the domain */
};

/* A registered application. */
struct bus_client {
        struct bus *bus;
        bool in_use;
        uint64_t client_id;        /* in m->clients; looked up, never kept as a pointer */
        char sender[BUS_NAME_MAX]; /* its unique name */
        sd_bus_slot *match_slot;   /* NameOwnerChanged for the unique name */
        sd_bus_slot *call_slot;    /* SaveState or EmergencyClose in flight */
        enum client_request call;
        uint32_t call_serial;
        sd_bus_slot *choose_slot; /* a chooser's Choose in flight */
        uint32_t choose_serial;
};

struct bus {
        struct manager *manager;
        sd_bus *bus;
        bool lost; /* disconnected, not yet closed */
        sd_bus_slot *lmm_object;
        sd_bus_slot *manager_object;
        sd_bus_slot *disconnect_match;
        sd_bus_slot *lmm_name_slot;
        sd_bus_slot *manager_name_slot;
        sd_event_source *reconnect_source;
        /* When each LowMemoryWarning byte was last sent: 50, 100, 255. */
        uint64_t lmm_sent_usec[3];
        struct bus_request requests[BUS_REQUESTS_MAX];
        struct bus_client clients[CLIENTS_MAX];
};

static int bus_connect(struct bus *b);
static void bus_disconnect(struct bus *b);

static const char *str_or(const char *s, const char *fallback)
{
        return s && s[0] ? s : fallback;
}

/* D-Bus strings must be UTF-8 without NUL: comm and cgroup names need not
 * be. Copies src into dst with every byte that is not part of a valid
 * UTF-8 sequence, and every control byte, replaced by '?'. */
static const char *utf8_sanitize(const char *src, char *dst, size_t size)
{
        const unsigned char *s = (const unsigned char *)src;
        size_t o = 0;

        while (*s && o + 1 < size) {
                size_t len = 0;
                unsigned cp = 0, min = 0;

                if (s[0] >= 0x20 && s[0] < 0x7f)
                        len = 1;
                else if ((s[0] & 0xe0) == 0xc0)
                        len = 2, min = 0x80, cp = s[0] & 0x1f;
                else if ((s[0] & 0xf0) == 0xe0)
                        len = 3, min = 0x800, cp = s[0] & 0x0f;
                else if ((s[0] & 0xf8) == 0xf0)
                        len = 4, min = 0x10000, cp = s[0] & 0x07;
                for (size_t i = 1; i < len; i++) {
                        if ((s[i] & 0xc0) != 0x80) {
                                len = 0;
                                break;
                        }
                        cp = (cp << 6) | (s[i] & 0x3f);
                }
                if (len > 1 && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)))
                        len = 0;
                if (len == 0 || o + len >= size) {
                        dst[o++] = '?';
                        s++;
                        continue;
                }
                memcpy(dst + o, s, len);
                o += len;
                s += len;
        }
        dst[o] = '\0';
        return dst;
}

/* --- org.freedesktop.LowMemoryMonitor ------------------------------------ */

static const sd_bus_vtable lmm_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_SIGNAL_WITH_ARGS("LowMemoryWarning", SD_BUS_ARGS("y", level), 0),
        SD_BUS_VTABLE_END,
};

void bus_emit_low_memory_warning(struct bus *b, enum triage_level level)
{
        unsigned byte = level_to_lmm_byte(level);
        size_t slot;
        int r;

        if (!b || !b->bus || b->lost || level == TRIAGE_LEVEL_NORMAL)
                return;
        slot = byte <= 50 ? 0 : byte <= 100 ? 1 : 2;
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        if (b->lmm_sent_usec[slot] && now - b->lmm_sent_usec[slot] < LMM_RESEND_USEC)
                return;
        r = sd_bus_emit_signal(b->bus, LMM_PATH, LMM_INTERFACE, "LowMemoryWarning", "y", (uint8_t)byte);
        if (r < 0) {
                log_warning_errno(r, "bus: cannot send LowMemoryWarning(%u)", byte);
                return;
        }
        b->lmm_sent_usec[slot] = now;
        log_debug("bus: LowMemoryWarning(%u)", byte);
}

/* --- org.triage.Manager1 signals ------------------------------------------ */

void bus_emit_level_changed(struct bus *b, const char *domain, enum triage_level level)
{
        char name[DOMAIN_NAME_MAX * 2];
        int r;

        if (!b || !b->bus || b->lost)
                return;
        r = sd_bus_emit_signal(b->bus, MANAGER_PATH, MANAGER_INTERFACE, "LevelChanged", "ssy",
                               utf8_sanitize(domain, name, sizeof(name)), level_to_string(level),
                               (uint8_t)level_to_lmm_byte(level));
        if (r < 0)
                log_warning_errno(r, "bus: cannot send LevelChanged(%s, %s)", domain, level_to_string(level));
}

/* Killed(u pid, s comm, s domain, s outcome, t freed_kib, s activity,
 * s decided_by, b saved, s explanation): enough for a desktop agent to say
 * what was closed and why. */
void bus_emit_killed(struct bus *b, const struct kill_record *r)
{
        char comm[PROC_COMM_MAX * 2], domain[HISTORY_DOMAIN_MAX * 2], activity[sizeof(r->activity) * 2];
        char why[512]; /* as in the log line and the history */
        int e;

        if (!b || !b->bus || b->lost)
                return;
        badness_explain(&r->badness, why, sizeof(why));
        e = sd_bus_emit_signal(b->bus, MANAGER_PATH, MANAGER_INTERFACE, "Killed", "ussstssbs",
                               (uint32_t)r->pid, utf8_sanitize(r->comm, comm, sizeof(comm)),
                               utf8_sanitize(r->domain, domain, sizeof(domain)),
                               kill_outcome_to_string(r->outcome), r->freed_kib,
                               utf8_sanitize(str_or(r->activity, r->comm), activity, sizeof(activity)),
                               str_or(r->decided_by, "policy"), (int)r->saved, why);
        if (e < 0)
                log_warning_errno(e, "bus: cannot send Killed(%d)", (int)r->pid);
}

/* --- registered clients ---------------------------------------------------- */

static struct bus_client *bus_client_find(struct bus *b, const char *sender)
{
        for (size_t i = 0; i < CLIENTS_MAX; i++)
                if (b->clients[i].in_use && strcmp(b->clients[i].sender, sender) == 0)
                        return &b->clients[i];
        return NULL;
}

static struct client *bus_client_get(struct bus_client *bc)
{
        return clients_find_id(&bc->bus->manager->clients, bc->client_id);
}

/* Forgets a bus client; unregisters it from the manager first if it is
 * still there. */
static void bus_client_drop(struct bus_client *bc)
{
        struct client *c = bus_client_get(bc);

        if (c)
                manager_client_unregister(bc->bus->manager, c);
        bc->match_slot = sd_bus_slot_unref(bc->match_slot);
        bc->call_slot = sd_bus_slot_unref(bc->call_slot);
        bc->choose_slot = sd_bus_slot_unref(bc->choose_slot);
        bc->in_use = false;
        bc->client_id = 0;
        bc->sender[0] = '\0';
}

static int on_client_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct bus_client *bc = userdata;
        struct client *c = bus_client_get(bc);
        enum client_request call = bc->call;
        uint32_t serial = bc->call_serial;
        const char *state_ref = "";
        int answer = 0, r;

        bc->call_slot = sd_bus_slot_unref(bc->call_slot);
        bc->call = CLIENT_REQUEST_NONE;
        const char *what = call == CLIENT_REQUEST_SAVE ? "SaveState" : "EmergencyClose";
        if (!c)
                return 0;
        if (sd_bus_message_is_method_error(reply, NULL)) {
                /* An error or the deadline passed: no answer. */
                const sd_bus_error *e = sd_bus_message_get_error(reply);
                log_debug("bus: %s (pid %d, '%s') did not answer %s: %s", bc->sender, (int)c->pid, c->name,
                          what, str_or(e->message, e->name));
                return 0;
        }
        if (call == CLIENT_REQUEST_SAVE)
                r = sd_bus_message_read(reply, "bs", &answer, &state_ref);
        else
                r = sd_bus_message_read(reply, "b", &answer);
        if (r < 0) {
                log_info_errno(r, "bus: %s (pid %d, '%s') answered %s with '%s' instead of '%s'", bc->sender,
                               (int)c->pid, c->name, what,
                               str_or(sd_bus_message_get_signature(reply, true), "nothing"),
                               call == CLIENT_REQUEST_SAVE ? "bs" : "b");
                return 0;
        }
        if (!answer) {
                log_debug("bus: %s (pid %d, '%s') answered %s: no", bc->sender, (int)c->pid, c->name, what);
                return 0;
        }
        if (call == CLIENT_REQUEST_SAVE)
                r = manager_client_saved(bc->bus->manager, c, serial, state_ref);
        else
                r = manager_client_closing(bc->bus->manager, c, serial);
        if (r == -EPROTO)
                log_debug("bus: %s (pid %d, '%s') answered %s too late", bc->sender, (int)c->pid, c->name,
                          what);
        else if (r < 0)
                log_info_errno(r, "bus: %s (pid %d, '%s') answered %s with a bad state reference", bc->sender,
                               (int)c->pid, c->name, what);
        else if (call == CLIENT_REQUEST_SAVE)
                log_debug("bus: %s (pid %d, '%s') saved its state: '%s'", bc->sender, (int)c->pid, c->name,
                          c->state_ref);
        else
                log_debug("bus: %s (pid %d, '%s') is closing", bc->sender, (int)c->pid, c->name);
        return 0;
}

/* A method call to a client's connection; -ENOTCONN while the bus is lost. */
static int new_call(struct bus_client *bc, const char *path, const char *interface, const char *member,
                    sd_bus_message **ret)
{
        if (!bc->bus->bus || bc->bus->lost)
                return -ENOTCONN;
        return sd_bus_message_new_method_call(bc->bus->bus, ret, bc->sender, path, interface, member);
}

/* A deadline as a D-Bus u, never 0 (which would mean sd-bus's default). */
static uint32_t call_timeout_msec(uint64_t deadline_msec)
{
        return deadline_msec > UINT32_MAX ? UINT32_MAX : deadline_msec ? (uint32_t)deadline_msec : 1;
}

/* Calls SaveState or EmergencyClose on the client with the deadline as the
 * call's timeout. A newer request replaces one still in flight: the manager
 * only accepts the answer to its latest serial anyway. */
static int bus_client_call(struct client *c, enum client_request call, uint32_t serial,
                           uint64_t deadline_msec)
{
        struct bus_client *bc = c->transport_data;
        sd_bus_message *msg = NULL;
        uint32_t msec = call_timeout_msec(deadline_msec);
        int r;

        r = new_call(bc, CLIENT_PATH, CLIENT_INTERFACE,
                     call == CLIENT_REQUEST_SAVE ? "SaveState" : "EmergencyClose", &msg);
        if (r < 0)
                return r;
        r = sd_bus_message_append(msg, "u", msec);
        if (r >= 0) {
                bc->call_slot = sd_bus_slot_unref(bc->call_slot);
                r = sd_bus_call_async(bc->bus->bus, &bc->call_slot, msg, on_client_reply, bc,
                                      (uint64_t)msec * USEC_PER_MSEC);
        }
        sd_bus_message_unref(msg);
        if (r < 0)
                return r;
        bc->call = call;
        bc->call_serial = serial;
        return 0;
}

/* Bus clients hear levels from the LevelChanged and LowMemoryWarning
 * broadcasts: nothing to send to one alone. */
static int bus_send_level(struct client *c, enum triage_level level)
{
        return 0;
}

static int bus_send_save_state(struct client *c, uint32_t serial, uint64_t deadline_msec)
{
        return bus_client_call(c, CLIENT_REQUEST_SAVE, serial, deadline_msec);
}

static int bus_send_emergency_close(struct client *c, uint32_t serial, uint64_t deadline_msec)
{
        return bus_client_call(c, CLIENT_REQUEST_CLOSE, serial, deadline_msec);
}

/* --- choosers: org.triage.Chooser1 ---------------------------------------- */

/* The reply to Choose: (u leader), 0 to let the policy decide. */
static int on_choose_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct bus_client *bc = userdata;
        struct client *c = bus_client_get(bc);
        uint32_t serial = bc->choose_serial, leader = 0;
        const char *why = NULL; /* not an answer: why the policy decides */
        char what[256];
        int r;

        bc->choose_slot = sd_bus_slot_unref(bc->choose_slot);
        if (!c)
                return 0;
        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);
                /* No answer in time (sd-bus's timeout, or the bus's): the
                 * daemon's own deadline acts. Any other error is an answer:
                 * this chooser cannot choose (it does not implement
                 * Chooser1, it failed), so the policy decides now rather
                 * than keep the user's application frozen until the
                 * deadline. */
                if (sd_bus_error_has_names(e, SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_TIMEOUT)) {
                        log_debug("bus: chooser %s (pid %d, '%s') did not answer Choose %" PRIu32 ": %s",
                                  bc->sender, (int)c->pid, c->name, serial, str_or(e->message, e->name));
                        return 0;
                }
                snprintf(what, sizeof(what), "an error, %s: %s", str_or(e->name, "?"),
                         str_or(e->message, ""));
                why = what;
        } else if (sd_bus_message_read(reply, "u", &leader) < 0) {
                snprintf(what, sizeof(what), "'%s' instead of 'u'",
                         str_or(sd_bus_message_get_signature(reply, true), "nothing"));
                why = what;
                leader = 0;
        } else if (leader > INT32_MAX) {
                log_debug("bus: chooser %s (pid %d, '%s') picked pid %" PRIu32 ": not a candidate",
                          bc->sender, (int)c->pid, c->name, leader);
                return 0;
        }
        r = manager_chooser_pick(bc->bus->manager, c, serial, (pid_t)leader);
        if (r == 0 && why)
                log_info("bus: chooser %s (pid %d, '%s') answered Choose with %s; the policy decided",
                         bc->sender, (int)c->pid, c->name, why);
        else if (r == -EPROTO)
                log_debug("bus: chooser %s (pid %d, '%s') answered Choose %" PRIu32 " too late", bc->sender,
                          (int)c->pid, c->name, serial);
        else if (r == -EPERM)
                log_debug("bus: chooser %s (pid %d, uid %u) picked pid %" PRIu32 ", not its user's",
                          bc->sender, (int)c->pid, (unsigned)c->uid, leader);
        else if (r == -ESRCH)
                log_debug("bus: chooser %s (pid %d, '%s') picked pid %" PRIu32 ": not a candidate",
                          bc->sender, (int)c->pid, c->name, leader);
        else if (r < 0)
                log_debug_errno(r, "bus: chooser %s (pid %d, '%s'): pick refused", bc->sender, (int)c->pid,
                                c->name);
        return 0;
}

/* Choose(u serial, u deadline_msec, a(uusttbbb) candidates), with the
 * deadline as the call's timeout. A newer choice replaces one in flight. */
static int bus_send_choose(struct client *c, uint32_t serial, uint64_t deadline_msec,
                           const struct choice *choices, size_t n)
{
        struct bus_client *bc = c->transport_data;
        sd_bus_message *msg = NULL;
        uint32_t msec = call_timeout_msec(deadline_msec);
        int r;

        r = new_call(bc, CHOOSER_PATH, CHOOSER_INTERFACE, "Choose", &msg);
        if (r < 0)
                return r;
        r = sd_bus_message_append(msg, "uu", serial, msec);
        if (r >= 0)
                r = sd_bus_message_open_container(msg, 'a', "(uusttbbb)");
        for (size_t i = 0; i < n && r >= 0; i++) {
                const struct choice *ch = &choices[i];
                char name[CLIENT_NAME_MAX * 2];

                r = sd_bus_message_append(msg, "(uusttbbb)", (uint32_t)ch->leader, (uint32_t)ch->uid,
                                          utf8_sanitize(ch->name, name, sizeof(name)), ch->memory_kib,
                                          ch->idle_sec, (int)ch->saved, (int)ch->recommended,
                                          (int)ch->frozen);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(msg);
        if (r >= 0) {
                bc->choose_slot = sd_bus_slot_unref(bc->choose_slot);
                r = sd_bus_call_async(bc->bus->bus, &bc->choose_slot, msg, on_choose_reply, bc,
                                      (uint64_t)msec * USEC_PER_MSEC);
        }
        sd_bus_message_unref(msg);
        if (r < 0)
                return r;
        bc->choose_serial = serial;
        return 0;
}

/* ChooseDone(u serial, s result, u victim): a method call that wants no
 * reply, so nothing waits for the chooser. A Choose still in flight is
 * dropped: its late reply is not even read. */
static int bus_send_choose_done(struct client *c, uint32_t serial, enum choose_result result, pid_t victim)
{
        struct bus_client *bc = c->transport_data;
        const char *name = choose_result_to_string(result);
        sd_bus_message *msg = NULL;
        int r;

        bc->choose_slot = sd_bus_slot_unref(bc->choose_slot);
        if (!name || victim < 0)
                return -EINVAL;
        r = new_call(bc, CHOOSER_PATH, CHOOSER_INTERFACE, "ChooseDone", &msg);
        if (r < 0)
                return r;
        r = sd_bus_message_set_expect_reply(msg, 0);
        if (r >= 0)
                r = sd_bus_message_append(msg, "usu", serial, name, (uint32_t)victim);
        if (r >= 0)
                r = sd_bus_send(bc->bus->bus, msg, NULL);
        sd_bus_message_unref(msg);
        return r < 0 ? r : 0;
}

static const struct client_ops bus_client_ops = {
        .send_level = bus_send_level,
        .send_save_state = bus_send_save_state,
        .send_emergency_close = bus_send_emergency_close,
        .send_choose = bus_send_choose,
        .send_choose_done = bus_send_choose_done,
        /* No send_killed: choosers on the bus hear the Killed signal. */
};

/* --- method calls that wait for the caller's credentials ------------------ */

static void bus_request_free(struct bus_request *req)
{
        req->creds_slot = sd_bus_slot_unref(req->creds_slot);
        req->match_slot = sd_bus_slot_unref(req->match_slot);
        req->call = sd_bus_message_unref(req->call);
        req->in_use = false;
}

static int reply_errno(sd_bus_message *call, int err)
{
        switch (err) {
        case -EEXIST:
                return sd_bus_reply_method_errorf(call, ERROR_ALREADY_REGISTERED,
                                                  "This process is registered already.");
        case -EUSERS:
                return sd_bus_reply_method_errorf(
                        call, SD_BUS_ERROR_LIMITS_EXCEEDED,
                        "Too many registered applications for this user (at most %d).", CLIENTS_PER_UID_MAX);
        case -ENOSPC:
                return sd_bus_reply_method_errorf(call, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                                  "Too many registered applications (at most %d).",
                                                  CLIENTS_MAX);
        case -EINVAL:
                return sd_bus_reply_method_errorf(call, SD_BUS_ERROR_INVALID_ARGS,
                                                  "The name must be non-empty and printable.");
        case -ENOENT:
                return sd_bus_reply_method_errorf(call, ERROR_NO_SUCH_DOMAIN, "No such domain.");
        case -ESRCH:
                return sd_bus_reply_method_errorf(call, ERROR_NO_SUCH_PROCESS, "No such process.");
        case -EPERM:
                return sd_bus_reply_method_errorf(call, SD_BUS_ERROR_ACCESS_DENIED,
                                                  "Only root or the process's owner may do this.");
        default:
                return sd_bus_reply_method_errorf(call, SD_BUS_ERROR_FAILED, "%s.", strerror(-err));
        }
}

static int answer_register(struct bus_request *req, pid_t pid, uid_t uid)
{
        struct bus *b = req->bus;
        const char *sender = sd_bus_message_get_sender(req->call);
        struct bus_client *bc = NULL;
        int err = 0;

        for (size_t i = 0; i < CLIENTS_MAX && !bc; i++)
                if (!b->clients[i].in_use)
                        bc = &b->clients[i];
        if (!bc || strlen(sender) >= sizeof(bc->sender))
                return reply_errno(req->call, -ENOSPC);
        struct client *c = manager_client_register(b->manager, CLIENT_TRANSPORT_BUS, &bus_client_ops, bc, pid,
                                                   uid, req->arg, &err);
        if (!c) {
                char shown[BUS_ARG_MAX * 2];
                log_debug_errno(err, "bus: %s (pid %d, uid %u) cannot register as '%s'", sender, (int)pid,
                                (unsigned)uid, utf8_sanitize(req->arg, shown, sizeof(shown)));
                return reply_errno(req->call, err);
        }
        *bc = (struct bus_client){ .bus = b, .in_use = true, .client_id = c->id };
        strscpy(bc->sender, sender, sizeof(bc->sender));
        /* The match added before the credentials were asked for now
         * watches the client. */
        bc->match_slot = req->match_slot;
        req->match_slot = NULL;
        log_debug("bus: %s (pid %d, uid %u) registered as '%s', client %" PRIu64, sender, (int)pid,
                  (unsigned)uid, c->name, c->id);
        return sd_bus_reply_method_return(req->call, "t", c->id);
}

static int answer_render(struct bus_request *req, uid_t uid)
{
        char *text = NULL;
        size_t size = 0;
        int r;

        FILE *f = open_memstream(&text, &size);
        if (!f)
                return reply_errno(req->call, -errno);
        switch (req->kind) {
        case BUS_REQUEST_STATUS:
                r = manager_render(req->bus->manager, CTL_STATUS, CTL_FLAG_JSON, 0, NULL, uid, f);
                break;
        case BUS_REQUEST_CANDIDATES:
                r = manager_render(req->bus->manager, CTL_RANK, CTL_FLAG_JSON, 0, req->arg, uid, f);
                break;
        case BUS_REQUEST_EXPLAIN:
                r = manager_render(req->bus->manager, CTL_WHY, CTL_FLAG_JSON, req->pid, NULL, uid, f);
                break;
        default:
                r = manager_render(req->bus->manager, CTL_HISTORY, CTL_FLAG_JSON, 0, NULL, uid, f);
                break;
        }
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r == 0) {
                r = sd_bus_reply_method_return(req->call, "s", text ? text : "");
                /* Too big for a message (the bus's limit), or no memory:
                 * the caller gets an error rather than a timeout. */
                if (r < 0)
                        (void)reply_errno(req->call, r);
        } else {
                r = reply_errno(req->call, r);
        }
        free(text);
        return r;
}

/* ReportFocus: the caller (root, or the process's owner) says the
 * process's activity has the focus now. */
static int answer_focus(struct bus_request *req, uid_t uid)
{
        const char *sender = sd_bus_message_get_sender(req->call);
        int r = manager_focus(req->bus->manager, req->pid, uid);

        if (r < 0) {
                log_debug_errno(r, "bus: %s (uid %u): focus report of pid %d refused", sender, (unsigned)uid,
                                (int)req->pid);
                return reply_errno(req->call, r);
        }
        log_debug("bus: %s (uid %u) reports the focus of pid %d", sender, (unsigned)uid, (int)req->pid);
        return sd_bus_reply_method_return(req->call, NULL);
}

/* ReportCharge: a server trusted in the configuration says how much
 * memory it holds for a client process. */
static int answer_charge(struct bus_request *req, pid_t pid, uid_t uid)
{
        const char *sender = sd_bus_message_get_sender(req->call);
        int r = manager_report_charge(req->bus->manager, pid, uid, req->pid, req->bytes);

        if (r == -EPERM)
                return sd_bus_reply_method_errorf(req->call, SD_BUS_ERROR_ACCESS_DENIED,
                                                  "Only servers of users trusted in triage.conf ([charges] "
                                                  "trusted) may report charges.");
        if (r < 0) {
                log_debug_errno(r, "bus: %s (uid %u): charge report for pid %d refused", sender,
                                (unsigned)uid, (int)req->pid);
                return reply_errno(req->call, r);
        }
        return sd_bus_reply_method_return(req->call, NULL);
}

/* The reply of GetConnectionCredentials: a{sv} with UnixUserID (u) and
 * ProcessID (u), among others. */
static int read_credentials(sd_bus_message *reply, pid_t *ret_pid, uid_t *ret_uid)
{
        bool has_pid = false, has_uid = false;
        uint32_t v;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key;

                r = sd_bus_message_read(reply, "s", &key);
                if (r < 0)
                        return r;
                if (strcmp(key, "UnixUserID") == 0 || strcmp(key, "ProcessID") == 0) {
                        r = sd_bus_message_read(reply, "v", "u", &v);
                        if (r < 0)
                                return r;
                        if (key[0] == 'U')
                                *ret_uid = v, has_uid = true;
                        else
                                *ret_pid = (pid_t)v, has_pid = true;
                } else {
                        r = sd_bus_message_skip(reply, "v");
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return has_pid && has_uid && *ret_pid > 0 ? 0 : -ENODATA;
}

static int on_credentials(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct bus_request *req = userdata;
        pid_t pid = 0;
        uid_t uid = 0;
        int r;

        req->creds_slot = sd_bus_slot_unref(req->creds_slot);
        if (sd_bus_message_is_method_error(reply, NULL)) {
                /* The caller left before the bus driver got to it. */
                log_debug("bus: no credentials for %s: %s", str_or(sd_bus_message_get_sender(req->call), "?"),
                          str_or(sd_bus_message_get_error(reply)->name, "error"));
                (void)sd_bus_reply_method_errorf(req->call, SD_BUS_ERROR_FAILED,
                                                 "Cannot get your credentials.");
                bus_request_free(req);
                return 0;
        }
        r = read_credentials(reply, &pid, &uid);
        if (r < 0) {
                log_warning_errno(r, "bus: the bus driver gave no pid or uid for %s",
                                  str_or(sd_bus_message_get_sender(req->call), "?"));
                (void)sd_bus_reply_method_errorf(req->call, SD_BUS_ERROR_FAILED,
                                                 "Cannot get your credentials.");
                bus_request_free(req);
                return 0;
        }
        if (req->kind == BUS_REQUEST_REGISTER)
                r = answer_register(req, pid, uid);
        else if (req->kind == BUS_REQUEST_FOCUS)
                r = answer_focus(req, uid);
        else if (req->kind == BUS_REQUEST_CHARGE)
                r = answer_charge(req, pid, uid);
        else
                r = answer_render(req, uid);
        if (r < 0)
                log_debug_errno(r, "bus: cannot reply to %s",
                                str_or(sd_bus_message_get_sender(req->call), "?"));
        bus_request_free(req);
        return 0;
}

static struct bus_request *bus_request_find_register(struct bus *b, const char *sender)
{
        for (size_t i = 0; i < BUS_REQUESTS_MAX; i++) {
                struct bus_request *req = &b->requests[i];
                if (req->in_use && req->kind == BUS_REQUEST_REGISTER &&
                    strcmp(sd_bus_message_get_sender(req->call), sender) == 0)
                        return req;
        }
        return NULL;
}

/* NameOwnerChanged(name, old, new) for the unique name of a registered
 * client, or of a caller whose Register waits for its credentials: it left
 * the bus (exited, crashed, closed its connection). */
static int on_name_gone(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
        struct bus *b = userdata;
        const char *name, *old_owner, *new_owner;
        struct bus_request *req;
        struct bus_client *bc;

        if (sd_bus_message_read(msg, "sss", &name, &old_owner, &new_owner) < 0 || new_owner[0])
                return 0;
        bc = bus_client_find(b, name);
        if (bc) {
                struct client *c = bus_client_get(bc);
                if (c)
                        log_debug("bus: %s (pid %d, '%s') left the bus", bc->sender, (int)c->pid, c->name);
                bus_client_drop(bc);
        }
        req = bus_request_find_register(b, name);
        if (req)
                bus_request_free(req);
        return 0;
}

/* Takes a slot, asks the bus driver for the caller's credentials and keeps
 * the call to answer it then. For Register, first adds the match that tells
 * when the caller leaves: the bus driver handles our messages in order, so
 * the match is in place before the credentials come back, and a client
 * that leaves at any moment after that is noticed. */
static int bus_request_start(struct bus *b, sd_bus_message *call, enum bus_request_kind kind, const char *arg,
                             pid_t pid, sd_bus_error *ret_error)
{
        const char *sender = sd_bus_message_get_sender(call);
        struct bus_request *req = NULL;
        int r;

        if (!sender)
                return sd_bus_error_set(ret_error, SD_BUS_ERROR_ACCESS_DENIED, "Only callers on the bus.");
        for (size_t i = 0; i < BUS_REQUESTS_MAX && !req; i++)
                if (!b->requests[i].in_use)
                        req = &b->requests[i];
        if (!req)
                return sd_bus_error_set(ret_error, SD_BUS_ERROR_LIMITS_EXCEEDED, "Too many calls at once.");
        *req = (struct bus_request){ .bus = b, .in_use = true, .kind = kind, .pid = pid };
        strscpy(req->arg, arg ? arg : "", sizeof(req->arg));
        req->call = sd_bus_message_ref(call);

        if (kind == BUS_REQUEST_REGISTER) {
                char match[BUS_NAME_MAX + 192];

                snprintf(match, sizeof(match),
                         "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                         "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'",
                         sender);
                r = sd_bus_add_match_async(b->bus, &req->match_slot, match, on_name_gone, NULL, b);
                if (r < 0)
                        goto fail;
        }
        r = sd_bus_call_method_async(b->bus, &req->creds_slot, "org.freedesktop.DBus",
                                     "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     "GetConnectionCredentials", on_credentials, req, "s", sender);
        if (r < 0)
                goto fail;
        return 1;
fail:
        bus_request_free(req);
        return r;
}

static int method_register(sd_bus_message *call, void *userdata, sd_bus_error *ret_error)
{
        struct bus *b = userdata;
        const char *sender = sd_bus_message_get_sender(call);
        const char *name;
        int r;

        r = sd_bus_message_read(call, "s", &name);
        if (r < 0)
                return r;
        struct bus_client *bc = sender ? bus_client_find(b, sender) : NULL;
        if (bc && !bus_client_get(bc))
                bus_client_drop(bc); /* the manager let it go (it was killed) */
        else if (bc || (sender && bus_request_find_register(b, sender)))
                return sd_bus_error_set(ret_error, ERROR_ALREADY_REGISTERED,
                                        "This connection is registered already.");
        if (!name[0])
                return sd_bus_error_set(ret_error, SD_BUS_ERROR_INVALID_ARGS, "The name must not be empty.");
        return bus_request_start(b, call, BUS_REQUEST_REGISTER, name, 0, ret_error);
}

static int method_unregister(sd_bus_message *call, void *userdata, sd_bus_error *ret_error)
{
        struct bus *b = userdata;
        const char *sender = sd_bus_message_get_sender(call);
        struct bus_client *bc = sender ? bus_client_find(b, sender) : NULL;

        if (!bc)
                return sd_bus_error_set(ret_error, ERROR_NOT_REGISTERED,
                                        "This connection is not registered.");
        struct client *c = bus_client_get(bc);
        if (c)
                log_debug("bus: %s (pid %d, '%s') unregisters", bc->sender, (int)c->pid, c->name);
        bus_client_drop(bc);
        return sd_bus_reply_method_return(call, NULL);
}

/* RegisterChooser: a registered connection becomes the chooser. No
 * credentials to wait for: its pid and uid came with Register. */
static int method_register_chooser(sd_bus_message *call, void *userdata, sd_bus_error *ret_error)
{
        struct bus *b = userdata;
        const char *sender = sd_bus_message_get_sender(call);
        struct bus_client *bc = sender ? bus_client_find(b, sender) : NULL;
        struct client *c = bc ? bus_client_get(bc) : NULL;
        int r;

        if (!c)
                return sd_bus_error_set(ret_error, ERROR_NOT_REGISTERED,
                                        "This connection is not registered: call Register first.");
        /* Again: harmless, and it makes this one the chooser again if
         * another registered since. */
        if (!c->chooser || b->manager->chooser_id != c->id) {
                r = manager_chooser_register(b->manager, c);
                if (r < 0) {
                        log_debug_errno(r, "bus: %s (pid %d, '%s') cannot be a chooser", bc->sender,
                                        (int)c->pid, c->name);
                        return sd_bus_error_set_errnof(ret_error, r, "Cannot be a chooser: %s.",
                                                       strerror(-r));
                }
        }
        return sd_bus_reply_method_return(call, NULL);
}

static int method_get_status(sd_bus_message *call, void *userdata, sd_bus_error *ret_error)
{
        return bus_request_start(userdata, call, BUS_REQUEST_STATUS, NULL, 0, ret_error);
}

static int method_get_candidates(sd_bus_message *call, void *userdata, sd_bus_error *ret_error)
{
        const char *domain;
        int r;

        r = sd_bus_message_read(call, "s", &domain);
        if (r < 0)
                return r;
        if (strlen(domain) >= BUS_ARG_MAX)
                return sd_bus_error_set(ret_error, ERROR_NO_SUCH_DOMAIN, "No such domain.");
        return bus_request_start(userdata, call, BUS_REQUEST_CANDIDATES, domain, 0, ret_error);
}

static int method_explain(sd_bus_message *call, void *userdata, sd_bus_error *ret_error)
{
        uint32_t pid;
        int r;

        r = sd_bus_message_read(call, "u", &pid);
        if (r < 0)
                return r;
        if (pid == 0 || pid > INT32_MAX)
                return sd_bus_error_set(ret_error, ERROR_NO_SUCH_PROCESS, "No such process.");
        return bus_request_start(userdata, call, BUS_REQUEST_EXPLAIN, NULL, (pid_t)pid, ret_error);
}

static int method_report_focus(sd_bus_message *call, void *userdata, sd_bus_error *ret_error)
{
        uint32_t pid;
        int r;

        r = sd_bus_message_read(call, "u", &pid);
        if (r < 0)
                return r;
        if (pid == 0 || pid > INT32_MAX)
                return sd_bus_error_set(ret_error, ERROR_NO_SUCH_PROCESS, "No such process.");
        return bus_request_start(userdata, call, BUS_REQUEST_FOCUS, NULL, (pid_t)pid, ret_error);
}

static int method_report_charge(sd_bus_message *call, void *userdata, sd_bus_error *ret_error)
{
        struct bus *b = userdata;
        uint32_t pid;
        uint64_t bytes;
        int r;

        r = sd_bus_message_read(call, "ut", &pid, &bytes);
        if (r < 0)
                return r;
        if (pid == 0 || pid > INT32_MAX)
                return sd_bus_error_set(ret_error, ERROR_NO_SUCH_PROCESS, "No such process.");
        r = bus_request_start(b, call, BUS_REQUEST_CHARGE, NULL, (pid_t)pid, ret_error);
        if (r < 0)
                return r;
        /* The request just started is the last one made for this call. */
        for (size_t i = 0; i < BUS_REQUESTS_MAX; i++)
                if (b->requests[i].in_use && b->requests[i].call == call)
                        b->requests[i].bytes = bytes;
        return r;
}

static int method_get_history(sd_bus_message *call, void *userdata, sd_bus_error *ret_error)
{
        return bus_request_start(userdata, call, BUS_REQUEST_HISTORY, NULL, 0, ret_error);
}

/* Every method is for everyone (the bus policy decides who may call): the
 * flag keeps sd-bus from checking a capability with a blocking call. */
static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Register", SD_BUS_ARGS("s", name), SD_BUS_RESULT("t", client_id),
                                method_register, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Unregister", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_unregister,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RegisterChooser", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_register_chooser,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ReportFocus", SD_BUS_ARGS("u", pid), SD_BUS_NO_RESULT, method_report_focus,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ReportCharge", SD_BUS_ARGS("u", pid, "t", bytes), SD_BUS_NO_RESULT,
                                method_report_charge, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetStatus", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", json), method_get_status,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetCandidates", SD_BUS_ARGS("s", domain), SD_BUS_RESULT("s", json),
                                method_get_candidates, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Explain", SD_BUS_ARGS("u", pid), SD_BUS_RESULT("s", json), method_explain,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetHistory", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", json), method_get_history,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("LevelChanged", SD_BUS_ARGS("s", domain, "s", level, "y", lmm_byte), 0),
        SD_BUS_SIGNAL_WITH_ARGS("Killed",
                                SD_BUS_ARGS("u", pid, "s", comm, "s", domain, "s", outcome, "t", freed_kib,
                                            "s", activity, "s", decided_by, "b", saved, "s", explanation),
                                0),
        SD_BUS_VTABLE_END,
};

/* --- the connection --------------------------------------------------------- */

static void name_reply(sd_bus_message *reply, const char *name, bool queue)
{
        uint32_t ret = 0;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);
                log_warning("bus: cannot own %s: %s", name, str_or(e->message, e->name));
                return;
        }
        (void)sd_bus_message_read(reply, "u", &ret);
        /* 1: primary owner, 2: in the queue, 3: exists, 4: already owner. */
        if (ret == 1 || ret == 4)
                log_info("bus: owning %s", name);
        else if (queue)
                log_warning(
                        "bus: %s is owned by another process (low-memory-monitor?): waiting in the queue; "
                        "until then GLib applications get their warnings from that owner",
                        name);
        else
                log_warning("bus: %s is owned by another process (another triaged?)", name);
}

static int on_lmm_name_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct bus *b = userdata;

        b->lmm_name_slot = sd_bus_slot_unref(b->lmm_name_slot);
        name_reply(reply, LMM_NAME, true);
        return 0;
}

static int on_manager_name_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct bus *b = userdata;

        b->manager_name_slot = sd_bus_slot_unref(b->manager_name_slot);
        name_reply(reply, MANAGER_NAME, false);
        return 0;
}

/* Drops every registered client and every call waiting for credentials. */
static void bus_drop_all(struct bus *b)
{
        for (size_t i = 0; i < CLIENTS_MAX; i++)
                if (b->clients[i].in_use)
                        bus_client_drop(&b->clients[i]);
        for (size_t i = 0; i < BUS_REQUESTS_MAX; i++)
                if (b->requests[i].in_use)
                        bus_request_free(&b->requests[i]);
}

/* Drops everything, and the connection. */
static void bus_disconnect(struct bus *b)
{
        bus_drop_all(b);
        b->lmm_name_slot = sd_bus_slot_unref(b->lmm_name_slot);
        b->manager_name_slot = sd_bus_slot_unref(b->manager_name_slot);
        b->disconnect_match = sd_bus_slot_unref(b->disconnect_match);
        b->lmm_object = sd_bus_slot_unref(b->lmm_object);
        b->manager_object = sd_bus_slot_unref(b->manager_object);
        if (b->bus) {
                (void)sd_bus_detach_event(b->bus);
                b->bus = sd_bus_close_unref(b->bus);
        }
}

static int on_reconnect(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct bus *b = userdata;
        int r;

        b->reconnect_source = sd_event_source_disable_unref(b->reconnect_source);
        bus_disconnect(b);
        r = bus_connect(b);
        if (r >= 0) {
                log_info("bus: connecting to the system bus again");
                return 0;
        }
        log_debug_errno(r, "bus: still no system bus");
        bus_disconnect(b);
        r = sd_event_add_time_relative(b->manager->event, &b->reconnect_source, CLOCK_MONOTONIC,
                                       BUS_RECONNECT_USEC, USEC_PER_SEC, on_reconnect, b);
        if (r < 0)
                log_warning_errno(r, "bus: cannot schedule a reconnection: running without the bus");
        return 0;
}

/* The connection is gone (dbus-daemon stopped or restarted). The clients
 * go now; the connection itself is closed from the reconnection timer, out
 * of sd-bus's own dispatch. */
static int on_disconnected(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
        struct bus *b = userdata;
        int r;

        log_warning(
                "bus: lost the system bus; registered D-Bus clients are dropped; trying again every %" PRIu64
                " s",
                BUS_RECONNECT_USEC / USEC_PER_SEC);
        b->lost = true;
        bus_drop_all(b);
        if (b->reconnect_source)
                return 0;
        r = sd_event_add_time_relative(b->manager->event, &b->reconnect_source, CLOCK_MONOTONIC,
                                       BUS_RECONNECT_USEC, USEC_PER_SEC, on_reconnect, b);
        if (r < 0)
                log_warning_errno(r, "bus: cannot schedule a reconnection: running without the bus");
        return 0;
}

/* Connects (the socket is non-blocking; authentication and Hello go on in
 * the loop), exports the objects, then asks for the names: requests are
 * queued in order, so the objects are there before anyone can see a
 * name. */
static int bus_connect(struct bus *b)
{
        int r;

        b->lost = false;
        r = sd_bus_open_system(&b->bus);
        if (r < 0)
                return r;
        (void)sd_bus_set_description(b->bus, "triaged");
        (void)sd_bus_set_exit_on_disconnect(b->bus, false);
        r = sd_bus_attach_event(b->bus, b->manager->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        r = sd_bus_match_signal_async(b->bus, &b->disconnect_match, "org.freedesktop.DBus.Local", NULL,
                                      "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, NULL, b);
        if (r < 0)
                return r;
        r = sd_bus_add_object_vtable(b->bus, &b->lmm_object, LMM_PATH, LMM_INTERFACE, lmm_vtable, b);
        if (r < 0)
                return r;
        r = sd_bus_add_object_vtable(b->bus, &b->manager_object, MANAGER_PATH, MANAGER_INTERFACE,
                                     manager_vtable, b);
        if (r < 0)
                return r;
        r = sd_bus_request_name_async(b->bus, &b->manager_name_slot, MANAGER_NAME, 0, on_manager_name_reply,
                                      b);
        if (r < 0)
                return r;
        return sd_bus_request_name_async(b->bus, &b->lmm_name_slot, LMM_NAME, SD_BUS_NAME_QUEUE,
                                         on_lmm_name_reply, b);
}

int bus_open(struct manager *m, struct bus **ret)
{
        struct bus *b = calloc(1, sizeof(*b));
        int r;

        if (!b)
                return -ENOMEM;
        b->manager = m;
        r = bus_connect(b);
        if (r < 0) {
                bus_free(b);
                return r;
        }
        *ret = b;
        return 0;
}

struct bus *bus_free(struct bus *b)
{
        if (!b)
                return NULL;
        b->reconnect_source = sd_event_source_disable_unref(b->reconnect_source);
        bus_disconnect(b);
        free(b);
        return NULL;
}
