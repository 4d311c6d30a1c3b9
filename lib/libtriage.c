/* SPDX-License-Identifier: MIT */
/*
 * libtriage: the application side of the triaged application socket (see
 * src/proto.h for the wire format and include/triage.h for the API).
 *
 * The socket is non-blocking from the start: the only wait is the bounded
 * one for REGISTERED in triage_connect(), so the library can be driven from
 * any poll loop or GLib main loop without stalling it.
 */
#include "triage.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "level.h"
#include "proto.h"
#include "triage-paths.h"

/* Built with -fvisibility=hidden: only what is marked here is exported
 * (and lib/libtriage.sym gives those symbols their version). */
#define TRIAGE_PUBLIC __attribute__((visibility("default")))

/* How long triage_connect() waits for REGISTERED. The daemon answers from
 * its loop at once; a daemon that takes longer is stuck, and an
 * application starting up should not hang on it. */
#define CONNECT_TIMEOUT_MSEC 5000

/* Messages handled per triage_dispatch() call, so that a chatty daemon
 * cannot starve the application's own loop (the fd stays readable and the
 * loop calls again). The daemon sends a handful per pressure event. */
#define DISPATCH_BATCH 64

_Static_assert(TRIAGE_NAME_MAX + 1 == PROTO_NAME_MAX, "triage.h and proto.h agree on names");
_Static_assert(TRIAGE_STATE_REF_MAX + 1 == PROTO_STATE_REF_MAX, "triage.h and proto.h agree on state refs");
_Static_assert(TRIAGE_MESSAGE_CHOOSER == PROTO_CHOOSER && TRIAGE_MESSAGE_PICK == PROTO_PICK,
               "triage.h and proto.h agree on message types");
_Static_assert(TRIAGE_CHOICES_MAX == PROTO_CHOICES_MAX, "triage.h and proto.h agree on choices");
_Static_assert(TRIAGE_CHOICE_SAVED == PROTO_CHOICE_SAVED &&
                       TRIAGE_CHOICE_RECOMMENDED == PROTO_CHOICE_RECOMMENDED &&
                       TRIAGE_CHOICE_FROZEN == PROTO_CHOICE_FROZEN,
               "triage.h and proto.h agree on choice flags");
_Static_assert(TRIAGE_CHOOSE_PICKED == PROTO_CHOOSE_PICKED && TRIAGE_CHOOSE_POLICY == PROTO_CHOOSE_POLICY &&
                       TRIAGE_CHOOSE_TIMEOUT == PROTO_CHOOSE_TIMEOUT &&
                       TRIAGE_CHOOSE_FLOOR == PROTO_CHOOSE_FLOOR &&
                       TRIAGE_CHOOSE_CANCELLED == PROTO_CHOOSE_CANCELLED,
               "triage.h and proto.h agree on how a choice ends");
_Static_assert(TRIAGE_KILL_KILLED == PROTO_KILL_DIED && TRIAGE_KILL_CLOSED == PROTO_KILL_CLOSED &&
                       TRIAGE_KILL_AT_DEADLINE == PROTO_KILL_AT_DEADLINE &&
                       TRIAGE_KILL_AT_FLOOR == PROTO_KILL_BY_FLOOR &&
                       TRIAGE_KILL_TIMED_OUT == PROTO_KILL_TIMED_OUT && TRIAGE_KILL_GONE == PROTO_KILL_GONE &&
                       TRIAGE_KILL_FAILED == PROTO_KILL_FAILED,
               "triage.h and proto.h agree on outcomes");
_Static_assert(TRIAGE_KILLED_SAVED == PROTO_KILLED_SAVED && TRIAGE_KILLED_BY_PERSON == PROTO_KILLED_BY_PERSON,
               "triage.h and proto.h agree on kill flags");
_Static_assert(sizeof(((struct triage_kill *)0)->tier) == PROTO_TIER_MAX,
               "triage.h and proto.h agree on tiers");
/* Part of the ABI: an application indexes the array of choices with it. */
_Static_assert(sizeof(struct triage_choice) == 96, "struct triage_choice does not change size");

struct triage_client {
        int fd;
        uint64_t id;
        struct triage_callbacks cb;
        void *userdata;
        /* Set by triage_register_chooser(): CHOOSE and CHOOSE_DONE are
         * ignored before. */
        bool chooser;
        struct triage_chooser_callbacks chooser_cb;
        /* 0 while usable, else the -errno that ended the connection. */
        int dead;
        /* A callback called triage_disconnect(): free when the dispatch
         * loop unwinds, not under its feet. */
        bool dispatching;
        bool free_requested;
};

/* The daemon refuses control bytes in names and state refs, and refuses
 * by disconnecting: catch them here and return -EINVAL instead. */
static bool printable(const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

static int64_t now_msec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *default_socket_path(void)
{
        /* secure_getenv: a setuid program must not be pointed at another
         * socket by whoever runs it. */
        const char *e = secure_getenv("TRIAGE_APP_SOCKET");
        return e && e[0] ? e : TRIAGE_APP_SOCKET;
}

static int send_message(struct triage_client *c, const void *m, size_t len)
{
        if (c->dead)
                return c->dead;
        if (c->free_requested)
                return -ENOTCONN;
        /* MSG_NOSIGNAL: a daemon that went away must not kill us with
         * SIGPIPE. */
        if (send(c->fd, m, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                return -errno;
        return 0;
}

/* Receives one message. Returns its length, 0 when there is none now, or
 * -errno (-ECONNRESET at end of file). */
static ssize_t recv_message(int fd, union proto_message *m)
{
        for (;;) {
                ssize_t n = recv(fd, m, sizeof(*m), MSG_DONTWAIT);
                if (n > 0)
                        return n;
                if (n == 0)
                        return -ECONNRESET;
                if (errno == EINTR)
                        continue;
                if (errno == EAGAIN)
                        return 0;
                if (errno == ECONNRESET) {
                        /* The daemon closed with something of ours unread
                         * (a refusal at accept, before it read REGISTER):
                         * the reset is reported first, but its last
                         * message, the ERROR saying why, is still queued. */
                        n = recv(fd, m, sizeof(*m), MSG_DONTWAIT);
                        return n > 0 ? n : -ECONNRESET;
                }
                return -errno;
        }
}

/* Waits for REGISTERED (or ERROR) until deadline. */
static int wait_registered(struct triage_client *c)
{
        int64_t deadline = now_msec() + CONNECT_TIMEOUT_MSEC;
        union proto_message m;
        uint16_t type;

        for (;;) {
                int64_t left = deadline - now_msec();
                if (left <= 0)
                        return -ETIMEDOUT;
                struct pollfd p = { .fd = c->fd, .events = POLLIN };
                int r = poll(&p, 1, (int)left);
                if (r < 0 && errno != EINTR)
                        return -errno;
                if (r <= 0)
                        continue;
                ssize_t n = recv_message(c->fd, &m);
                if (n < 0)
                        return (int)n;
                if (n == 0)
                        continue;
                r = proto_validate(&m, (size_t)n, PROTO_TO_APP, &type);
                if (r == -EOPNOTSUPP)
                        continue; /* from a newer daemon: not for us */
                if (r < 0)
                        return -EBADMSG;
                if (type == PROTO_ERROR)
                        return -m.error.errnum;
                /* The daemon answers REGISTER before it says anything else. */
                if (type != PROTO_REGISTERED)
                        return -EBADMSG;
                c->id = m.registered.client_id;
                return 0;
        }
}

TRIAGE_PUBLIC int triage_connect(const char *socket_path, const char *app_name,
                                 const struct triage_callbacks *cb, void *userdata,
                                 struct triage_client **ret)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct proto_register reg;
        int r;

        if (!ret)
                return -EINVAL;
        if (!socket_path)
                socket_path = default_socket_path();
        if (!app_name)
                app_name = program_invocation_short_name;
        if (!printable(app_name))
                return -EINVAL;
        r = proto_pack_register(&reg, app_name);
        if (r < 0)
                return r;
        size_t len = strlen(socket_path);
        if (len == 0)
                return -EINVAL;
        if (len >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, socket_path, len);

        struct triage_client *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        if (cb)
                c->cb = *cb;
        c->userdata = userdata;
        c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->fd < 0) {
                r = -errno;
                free(c);
                return r;
        }
        /* Non-blocking connect on a Unix socket completes at once or fails
         * (EAGAIN when the listen backlog is full); it never waits. */
        if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                r = -errno;
        else
                r = send_message(c, &reg, sizeof(reg));
        if (r == 0)
                r = wait_registered(c);
        if (r < 0) {
                close(c->fd);
                free(c);
                return r;
        }
        *ret = c;
        return 0;
}

TRIAGE_PUBLIC uint64_t triage_get_id(struct triage_client *c)
{
        return c ? c->id : 0;
}

TRIAGE_PUBLIC int triage_get_fd(struct triage_client *c)
{
        return c ? c->fd : -EINVAL;
}

/* The wire's candidates, as the API has them (proto_validate() checked
 * n, the leaders and the names' NULs). */
static void handle_choose(struct triage_client *c, const struct proto_choose *m)
{
        struct triage_choice choices[TRIAGE_CHOICES_MAX];

        if (!c->chooser || !c->chooser_cb.choose)
                return;
        memset(choices, 0, sizeof(choices));
        for (uint32_t i = 0; i < m->n; i++) {
                const struct proto_choice *pc = &m->choices[i];
                choices[i].leader = pc->leader;
                choices[i].uid = pc->uid;
                choices[i].memory_kib = pc->memory_kib;
                choices[i].idle_sec = pc->idle_sec;
                choices[i].flags = pc->flags;
                memcpy(choices[i].name, pc->name, sizeof(choices[i].name));
        }
        c->chooser_cb.choose(c, m->serial, m->deadline_msec, choices, m->n, c->userdata);
}

/* The wire's KILLED, as the API has it (proto_validate() checked the
 * outcome, flags and NULs). */
static void handle_killed(struct triage_client *c, const struct proto_killed *m)
{
        struct triage_kill k;

        if (!c->chooser || !c->chooser_cb.killed)
                return;
        memset(&k, 0, sizeof(k));
        k.pid = m->pid;
        k.uid = m->uid;
        k.freed_kib = m->freed_kib;
        k.available_kib = m->available_kib;
        k.score = m->score;
        k.outcome = m->outcome;
        k.flags = m->flags | (m->level >= TRIAGE_LEVEL_EMERGENCY ? TRIAGE_KILLED_AT_FLOOR : 0);
        memcpy(k.name, m->name, sizeof(k.name));
        memcpy(k.domain, m->domain, sizeof(k.domain));
        memcpy(k.tier, m->tier, sizeof(k.tier));
        c->chooser_cb.killed(c, &k, c->userdata);
}

/* Runs the callback for one valid message. Returns 0 or -EBADMSG. */
static int handle_message(struct triage_client *c, uint16_t type, const union proto_message *m)
{
        switch (type) {
        case PROTO_LEVEL:
                if (c->cb.level)
                        c->cb.level(c, m->level.lmm_byte, c->userdata);
                return 0;
        case PROTO_SAVE_STATE:
                if (c->cb.save_state)
                        c->cb.save_state(c, m->save_state.serial, m->save_state.deadline_msec, c->userdata);
                return 0;
        case PROTO_EMERGENCY_CLOSE:
                if (c->cb.emergency_close)
                        c->cb.emergency_close(c, m->emergency_close.serial, m->emergency_close.deadline_msec,
                                              c->userdata);
                return 0;
        case PROTO_ERROR:
                if (c->cb.error)
                        c->cb.error(c, m->error.errnum, m->error.about_type, c->userdata);
                return 0;
        case PROTO_CHOOSER_READY:
                if (c->chooser && c->chooser_cb.ready)
                        c->chooser_cb.ready(c, m->chooser_ready.applications, m->chooser_ready.choosers,
                                            c->userdata);
                return 0;
        case PROTO_CHOOSE:
                handle_choose(c, &m->choose);
                return 0;
        case PROTO_CHOOSE_DONE:
                if (c->chooser && c->chooser_cb.choose_done)
                        c->chooser_cb.choose_done(c, m->choose_done.serial, (int)m->choose_done.result,
                                                  m->choose_done.victim, c->userdata);
                return 0;
        case PROTO_KILLED:
                handle_killed(c, &m->killed);
                return 0;
        default:
                /* REGISTERED twice: not a daemon we understand. */
                return -EBADMSG;
        }
}

/* Handles one message if there is one: 1 handled, 0 nothing to read,
 * -errno the connection is unusable. */
static int dispatch_one(struct triage_client *c)
{
        union proto_message m;
        uint16_t type;

        ssize_t n = recv_message(c->fd, &m);
        if (n <= 0)
                return (int)n;
        int r = proto_validate(&m, (size_t)n, PROTO_TO_APP, &type);
        if (r == -EOPNOTSUPP)
                return 1; /* a message type of a newer daemon: skip it */
        if (r < 0)
                return -EBADMSG;
        r = handle_message(c, type, &m);
        return r < 0 ? r : 1;
}

static void client_free(struct triage_client *c)
{
        struct proto_unregister m;

        /* Saying goodbye is a courtesy: closing the socket is what counts. */
        if (!c->dead) {
                proto_pack_unregister(&m);
                (void)send(c->fd, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL);
        }
        close(c->fd);
        free(c);
}

TRIAGE_PUBLIC int triage_dispatch(struct triage_client *c)
{
        if (!c)
                return -EINVAL;
        if (c->dead)
                return c->dead;
        if (c->dispatching)
                return -EBUSY; /* called from one of its own callbacks */
        c->dispatching = true;
        for (unsigned i = 0; i < DISPATCH_BATCH && !c->free_requested; i++) {
                int r = dispatch_one(c);
                if (r < 0)
                        c->dead = r;
                if (r <= 0)
                        break;
        }
        c->dispatching = false;
        if (c->free_requested) {
                client_free(c);
                return 0;
        }
        return c->dead;
}

TRIAGE_PUBLIC int triage_reply_saved(struct triage_client *c, uint32_t serial, const char *state_ref)
{
        struct proto_saved m;
        int r;

        if (!c)
                return -EINVAL;
        if (state_ref && !printable(state_ref))
                return -EINVAL;
        r = proto_pack_saved(&m, serial, state_ref);
        if (r < 0)
                return r;
        return send_message(c, &m, sizeof(m));
}

TRIAGE_PUBLIC int triage_reply_closing(struct triage_client *c, uint32_t serial)
{
        struct proto_closing m;

        if (!c)
                return -EINVAL;
        proto_pack_closing(&m, serial);
        return send_message(c, &m, sizeof(m));
}

TRIAGE_PUBLIC void triage_disconnect(struct triage_client *c)
{
        if (!c)
                return;
        if (c->dispatching) {
                c->free_requested = true;
                return;
        }
        client_free(c);
}

TRIAGE_PUBLIC int triage_register_chooser(struct triage_client *c, const struct triage_chooser_callbacks *cb)
{
        struct proto_chooser m;

        if (!c || !cb)
                return -EINVAL;
        if (c->chooser)
                return -EALREADY;
        proto_pack_chooser(&m);
        int r = send_message(c, &m, sizeof(m));
        if (r < 0)
                return r;
        c->chooser_cb = *cb;
        c->chooser = true;
        return 0;
}

TRIAGE_PUBLIC int triage_pick(struct triage_client *c, uint32_t serial, pid_t leader)
{
        struct proto_pick m;

        if (!c || leader < 0)
                return -EINVAL;
        proto_pack_pick(&m, serial, (int32_t)leader);
        return send_message(c, &m, sizeof(m));
}
