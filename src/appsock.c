/* SPDX-License-Identifier: MIT */
/*
 * The application socket: libtriage clients register here and are told
 * about memory levels, asked to save state and to close (src/proto.h has
 * the wire format).
 *
 * Anyone may connect and register itself: the identity is the peer's
 * SO_PEERCRED, never a field of a message, so a client can only speak for
 * its own process. Everything else is distrust:
 *   - one fixed table of connections (APPSOCK_CONN_MAX), at most
 *     CLIENTS_PER_UID_MAX of them per uid, registered or not;
 *   - REGISTER first, within APPSOCK_REGISTER_TIMEOUT_USEC;
 *   - every packet checked by proto_validate(); anything malformed,
 *     unknown, out of order or repeated gets an ERROR and the connection
 *     is closed; an answer with a stale or forged serial (-EPROTO) only
 *     gets an ERROR, since a slow but honest client sends those too;
 *   - at most APPSOCK_RATE_MAX packets per second per connection;
 *   - sending never waits (MSG_DONTWAIT): a client that does not read
 *     misses messages, and a small send buffer caps what it can pin in
 *     the kernel.
 * A client that goes away, for any reason, is unregistered.
 *
 * A registered client may become a chooser (CHOOSER): it is offered the
 * candidates at the critical level (CHOOSE) and answers PICK. Its refused
 * picks (too late, not its to pick, not a candidate) only get an ERROR: a
 * person who pressed a key a moment after the deadline did nothing wrong.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "manager.h"
#include "proto.h"
#include "util.h"

/* One connection per registered client is all that is needed. */
#define APPSOCK_CONN_MAX CLIENTS_MAX
/* An honest client sends a REGISTER and then one or two answers per
 * request from the daemon, and requests come at most once per pressure
 * event: 50 per second is far above that and still cheap to serve. */
#define APPSOCK_RATE_MAX 50
#define APPSOCK_RATE_WINDOW_USEC USEC_PER_SEC
/* libtriage registers as soon as it has connected; this only bounds how
 * long a silent connection can hold a slot. */
#define APPSOCK_REGISTER_TIMEOUT_USEC (5 * USEC_PER_SEC)
/* Out of file descriptors: try again after this rather than spin. */
#define APPSOCK_PAUSE_USEC USEC_PER_SEC
/* The kernel doubles it to 16 KiB: room for about 20 unread messages
 * (measured: 22 of 16 bytes, 13 of 268), ample for a client that is
 * merely slow, and 256 connections pin at most 4 MiB of kernel memory
 * instead of 256 x 208 KiB with the default. A chooser gets one CHOOSE
 * (792 bytes) per choice, and one choice is open at a time. */
#define APPSOCK_SNDBUF 8192
#define APPSOCK_BACKLOG 64
/* Packets and connections handled per wake-up, so one busy peer cannot
 * monopolise the loop (the fds are level-triggered: the rest is served on
 * the next iteration). */
#define APPSOCK_BATCH 16

_Static_assert(PROTO_NAME_MAX == CLIENT_NAME_MAX, "proto.h and clients.h agree on names");
_Static_assert(PROTO_STATE_REF_MAX == CLIENT_STATE_REF_MAX, "proto.h and clients.h agree on state refs");
_Static_assert(PROTO_CHOICES_MAX == CHOICES_MAX, "proto.h and clients.h agree on choices");
_Static_assert(PROTO_CHOOSE_PICKED == (int)CHOOSE_PICKED && PROTO_CHOOSE_POLICY == (int)CHOOSE_POLICY &&
                       PROTO_CHOOSE_TIMEOUT == (int)CHOOSE_TIMEOUT &&
                       PROTO_CHOOSE_FLOOR == (int)CHOOSE_FLOOR &&
                       PROTO_CHOOSE_CANCELLED == (int)CHOOSE_CANCELLED,
               "proto.h and clients.h agree on how a choice ends");
_Static_assert(PROTO_KILL_DIED == (int)KILL_DIED && PROTO_KILL_CLOSED == (int)KILL_CLOSED &&
                       PROTO_KILL_AT_DEADLINE == (int)KILL_AT_DEADLINE &&
                       PROTO_KILL_BY_FLOOR == (int)KILL_BY_FLOOR &&
                       PROTO_KILL_TIMED_OUT == (int)KILL_TIMED_OUT && PROTO_KILL_GONE == (int)KILL_GONE &&
                       PROTO_KILL_FAILED == (int)KILL_FAILED,
               "proto.h and history.h agree on outcomes");

struct appsock;

struct appsock_conn {
        struct appsock *appsock;
        int fd;    /* -1: the slot is free */
        pid_t pid; /* SO_PEERCRED */
        uid_t uid;
        /* The client's id in the table, 0 until REGISTER succeeded. An id,
         * not a pointer: looked up on use, it cannot dangle. */
        uint64_t client_id;
        /* Inside manager_client_register(): REGISTERED has not been sent,
         * so what the manager sends now must wait for it. */
        bool registering;
        bool level_deferred;
        enum triage_level deferred_level;
        uint64_t window_start_usec; /* rate limit: a fixed one-second window */
        unsigned window_packets;
        sd_event_source *io_source;
        sd_event_source *timeout_source;
};

struct appsock {
        struct manager *manager;
        char path[CONFIG_PATH_MAX];
        int listen_fd;
        bool bound;
        sd_event_source *listen_source;
        sd_event_source *pause_source;
        struct appsock_conn conns[APPSOCK_CONN_MAX];
};

static int conn_send(struct appsock_conn *c, const void *msg, size_t len)
{
        if (c->fd < 0)
                return -ENOTCONN;
        /* MSG_NOSIGNAL: a client that vanished must not SIGPIPE the daemon. */
        if (send(c->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                return -errno;
        return 0;
}

/* An ERROR to a socket; best effort, the peer may be gone or not reading. */
static void send_error(int fd, int err, uint16_t about_type)
{
        struct proto_error m;

        proto_pack_error(&m, err, about_type);
        (void)send(fd, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* Reads what a refused peer has already sent (libtriage sends REGISTER
 * right after connecting): closing a socket with unread data makes the
 * peer's next read fail with ECONNRESET ahead of the ERROR that says why. */
static void drain(int fd)
{
        union proto_message m;

        for (unsigned i = 0; i < 4; i++)
                if (recv(fd, &m, sizeof(m), MSG_DONTWAIT) <= 0)
                        return;
}

static struct client *conn_client(struct appsock_conn *c)
{
        if (!c->client_id)
                return NULL;
        return clients_find_id(&c->appsock->manager->clients, c->client_id);
}

/*
 * The client_ops. The manager calls these from its own code paths (a level
 * change, a victim chosen): they must never close the connection, which
 * would unregister the client under the manager's feet. A peer that has
 * gone is noticed by its io source, which closes it from the loop.
 */
static int op_send_level(struct client *cl, enum triage_level level)
{
        struct appsock_conn *c = cl->transport_data;
        struct proto_level m;

        if (c->registering) {
                /* The latest level goes out right after REGISTERED. */
                c->level_deferred = true;
                c->deferred_level = level;
                return 0;
        }
        proto_pack_level(&m, (uint8_t)level, (uint8_t)level_to_lmm_byte(level));
        return conn_send(c, &m, sizeof(m));
}

static uint32_t clamp_msec(uint64_t msec)
{
        return msec > UINT32_MAX ? UINT32_MAX : (uint32_t)msec;
}

static int op_send_save_state(struct client *cl, uint32_t serial, uint64_t deadline_msec)
{
        struct appsock_conn *c = cl->transport_data;
        struct proto_save_state m;

        if (c->registering)
                return -EAGAIN; /* missed, like any message the client cannot take now */
        proto_pack_save_state(&m, serial, clamp_msec(deadline_msec));
        return conn_send(c, &m, sizeof(m));
}

static int op_send_emergency_close(struct client *cl, uint32_t serial, uint64_t deadline_msec)
{
        struct appsock_conn *c = cl->transport_data;
        struct proto_emergency_close m;

        if (c->registering)
                return -EAGAIN;
        proto_pack_emergency_close(&m, serial, clamp_msec(deadline_msec));
        return conn_send(c, &m, sizeof(m));
}

static int op_send_choose(struct client *cl, uint32_t serial, uint64_t deadline_msec,
                          const struct choice *choices, size_t n)
{
        struct appsock_conn *c = cl->transport_data;
        struct proto_choice pc[PROTO_CHOICES_MAX];
        struct proto_choose m;

        if (n == 0 || n > PROTO_CHOICES_MAX)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                const struct choice *ch = &choices[i];
                uint32_t flags = (ch->saved ? PROTO_CHOICE_SAVED : 0) |
                                 (ch->recommended ? PROTO_CHOICE_RECOMMENDED : 0) |
                                 (ch->frozen ? PROTO_CHOICE_FROZEN : 0);
                if (ch->leader <= 0)
                        return -EINVAL;
                proto_pack_choice(&pc[i], ch->leader, ch->uid, ch->memory_kib, ch->idle_sec, flags, ch->name);
        }
        int r = proto_pack_choose(&m, serial, clamp_msec(deadline_msec), pc, n);
        if (r < 0)
                return r;
        return conn_send(c, &m, sizeof(m));
}

/* CHOOSER_READY with the counts as they are now. */
static int send_chooser_ready(struct appsock_conn *c)
{
        const struct clients *cs = &c->appsock->manager->clients;
        struct proto_chooser_ready m;
        uint32_t applications = 0, choosers = 0;

        for (size_t i = 0; i < CLIENTS_MAX; i++) {
                if (!cs->table[i].in_use)
                        continue;
                if (cs->table[i].chooser)
                        choosers++;
                else
                        applications++;
        }
        proto_pack_chooser_ready(&m, applications, choosers);
        return conn_send(c, &m, sizeof(m));
}

static int op_send_choose_done(struct client *cl, uint32_t serial, enum choose_result result, pid_t victim)
{
        struct appsock_conn *c = cl->transport_data;
        struct proto_choose_done m;

        if ((unsigned)result >= _PROTO_CHOOSE_RESULT_MAX || victim < 0)
                return -EINVAL;
        proto_pack_choose_done(&m, serial, (enum proto_choose_result)result, victim);
        int r = conn_send(c, &m, sizeof(m));
        if (r < 0)
                return r;
        /* Back to waiting: with counts that may have changed meanwhile. */
        (void)send_chooser_ready(c);
        return 0;
}

static int op_send_killed(struct client *cl, const struct kill_record *r)
{
        struct appsock_conn *c = cl->transport_data;
        struct proto_killed m;

        /* Only outcomes that end an episode; a record still pending or of
         * a dry run is not news. */
        if (r->outcome == KILL_PENDING || r->outcome == KILL_DRY_RUN || r->pid <= 0)
                return -EINVAL;
        proto_pack_killed(
                &m, &(struct proto_killed_info){
                            .pid = r->pid,
                            .uid = r->uid,
                            .freed_kib = r->freed_kib,
                            .available_kib = r->available_kib,
                            .score = r->badness.score,
                            .level = (uint8_t)r->level,
                            .outcome = (enum proto_kill_outcome)r->outcome,
                            .flags = (r->saved ? PROTO_KILLED_SAVED : 0) |
                                     (strcmp(r->decided_by, "person") == 0 ? PROTO_KILLED_BY_PERSON : 0),
                            .name = r->activity[0] ? r->activity : r->comm,
                            .domain = r->domain,
                            .tier = r->tier,
                    });
        return conn_send(c, &m, sizeof(m));
}

static const struct client_ops appsock_ops = {
        .send_level = op_send_level,
        .send_save_state = op_send_save_state,
        .send_emergency_close = op_send_emergency_close,
        .send_choose = op_send_choose,
        .send_choose_done = op_send_choose_done,
        .send_killed = op_send_killed,
};

static void conn_close(struct appsock_conn *c)
{
        struct client *cl = conn_client(c);

        if (cl)
                manager_client_unregister(c->appsock->manager, cl);
        c->io_source = sd_event_source_disable_unref(c->io_source);
        c->timeout_source = sd_event_source_disable_unref(c->timeout_source);
        if (c->fd >= 0)
                close(c->fd);
        *c = (struct appsock_conn){ .appsock = c->appsock, .fd = -1 };
}

/* Refuses what the peer did: ERROR, then the connection is closed. */
static void conn_reject(struct appsock_conn *c, int err, uint16_t about_type, const char *why)
{
        /* Debug only: a hostile peer must not be able to flood the log. */
        log_debug_errno(err, "app socket: pid %d (uid %u): %s, disconnected", (int)c->pid, (unsigned)c->uid,
                        why);
        send_error(c->fd, err, about_type);
        conn_close(c);
}

/* REGISTER: into the client table, then REGISTERED before anything else. */
static int conn_register(struct appsock_conn *c, const struct proto_register *msg)
{
        struct manager *m = c->appsock->manager;
        struct proto_registered reply;
        int err = -EINVAL;

        c->registering = true;
        struct client *cl = manager_client_register(m, CLIENT_TRANSPORT_SOCKET, &appsock_ops, c, c->pid,
                                                    c->uid, msg->name, &err);
        c->registering = false;
        if (!cl) {
                c->level_deferred = false;
                return err;
        }
        c->client_id = cl->id;
        c->timeout_source = sd_event_source_disable_unref(c->timeout_source);
        proto_pack_registered(&reply, cl->id);
        int r = conn_send(c, &reply, sizeof(reply));
        if (r < 0)
                /* Only a full buffer on a fresh connection: the client
                 * times out waiting and closes, which unregisters it. */
                log_debug_errno(r, "app socket: cannot answer pid %d", (int)c->pid);
        if (c->level_deferred) {
                c->level_deferred = false;
                (void)op_send_level(cl, c->deferred_level);
        }
        return 0;
}

/* A refusal that keeps the connection: ERROR about the message. */
static void conn_refuse(struct appsock_conn *c, int err, uint16_t type)
{
        struct proto_error e;

        proto_pack_error(&e, err, type);
        (void)conn_send(c, &e, sizeof(e));
}

/* An answer (SAVED, CLOSING) for the manager. -EPROTO is answered but
 * forgiven: a client that saved just after its deadline sends one. */
static int conn_answer(struct appsock_conn *c, uint16_t type, const union proto_message *msg)
{
        struct manager *m = c->appsock->manager;
        struct client *cl = conn_client(c);
        int r;

        if (!cl)
                return -ENOTCONN;
        if (type == PROTO_SAVED)
                r = manager_client_saved(m, cl, msg->saved.serial, msg->saved.state_ref);
        else
                r = manager_client_closing(m, cl, msg->closing.serial);
        if (r == -EPROTO) {
                conn_refuse(c, r, type);
                return 0;
        }
        return r;
}

/* CHOOSER: the manager decides; a refusal is answered, not punished. */
static int conn_chooser(struct appsock_conn *c)
{
        struct client *cl = conn_client(c);

        if (!cl)
                return -ENOTCONN;
        if (cl->chooser) {
                conn_refuse(c, -EALREADY, PROTO_CHOOSER);
                return 0;
        }
        int r = manager_chooser_register(c->appsock->manager, cl);
        if (r < 0) {
                log_debug_errno(r, "app socket: pid %d: not a chooser", (int)c->pid);
                conn_refuse(c, r, PROTO_CHOOSER);
                return 0;
        }
        (void)send_chooser_ready(c);
        return 0;
}

/* PICK: wrong, late or not allowed picks get an ERROR and nothing else;
 * anything else the manager refuses closes the connection. */
static int conn_pick(struct appsock_conn *c, const struct proto_pick *msg)
{
        struct client *cl = conn_client(c);

        if (!cl)
                return -ENOTCONN;
        int r = manager_chooser_pick(c->appsock->manager, cl, msg->serial, (pid_t)msg->leader);
        if (r == -EPROTO || r == -EPERM || r == -ESRCH) {
                conn_refuse(c, r, PROTO_PICK);
                return 0;
        }
        return r;
}

/* Handles one packet. Returns 0 to go on, 1 to close quietly (the client
 * said goodbye), or -errno to refuse it with an ERROR and close; *why then
 * says what was wrong. */
static int conn_handle(struct appsock_conn *c, const union proto_message *msg, size_t len, const char **why)
{
        uint16_t type;
        int r;

        r = proto_validate(msg, len, PROTO_TO_DAEMON, &type);
        if (r < 0) {
                *why = "malformed message";
                return r;
        }
        if (!c->client_id && type != PROTO_REGISTER) {
                *why = "a message before REGISTER";
                return -ENOTCONN;
        }
        switch (type) {
        case PROTO_REGISTER:
                if (c->client_id) {
                        *why = "a second REGISTER";
                        return -EALREADY;
                }
                *why = "registration refused";
                return conn_register(c, &msg->reg);
        case PROTO_SAVED:
        case PROTO_CLOSING:
                *why = "a bad answer";
                return conn_answer(c, type, msg);
        case PROTO_UNREGISTER:
                return 1;
        case PROTO_CHOOSER:
                *why = "chooser refused";
                return conn_chooser(c);
        case PROTO_PICK:
                *why = "a bad pick";
                return conn_pick(c, &msg->pick);
        default:
                /* proto_validate() knows no other type in this direction. */
                *why = "an unexpected message";
                return -EOPNOTSUPP;
        }
}

/* Counts a packet against the rate limit; false when over it. */
static bool conn_rate_ok(struct appsock_conn *c)
{
        uint64_t now;

        if (sd_event_now(c->appsock->manager->event, CLOCK_MONOTONIC, &now) < 0)
                now = now_usec(CLOCK_MONOTONIC);
        if (now - c->window_start_usec >= APPSOCK_RATE_WINDOW_USEC) {
                c->window_start_usec = now;
                c->window_packets = 0;
        }
        return ++c->window_packets <= APPSOCK_RATE_MAX;
}

static int on_conn_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct appsock_conn *c = userdata;
        /* Room for one byte more than the largest message: an oversized
         * packet arrives cut, but longer than any valid one. */
        union proto_message msg;
        const char *why = NULL;

        for (unsigned i = 0; i < APPSOCK_BATCH; i++) {
                ssize_t n = recv(fd, &msg, sizeof(msg), MSG_DONTWAIT);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                if (n <= 0) {
                        /* End of file (or an empty packet, which looks the
                         * same and deserves the same), or an error. */
                        conn_close(c);
                        return 0;
                }
                uint16_t about = proto_peek_type(&msg, (size_t)n);
                if (!conn_rate_ok(c)) {
                        conn_reject(c, -EBUSY, about, "over the message rate limit");
                        return 0;
                }
                int r = conn_handle(c, &msg, (size_t)n, &why);
                if (r < 0) {
                        conn_reject(c, r, about, why);
                        return 0;
                }
                if (r > 0) {
                        conn_close(c);
                        return 0;
                }
        }
        return 0;
}

static int on_register_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct appsock_conn *c = userdata;

        conn_reject(c, -ETIMEDOUT, 0, "no REGISTER in time");
        return 0;
}

static int on_listen_resume(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct appsock *a = userdata;

        a->pause_source = sd_event_source_disable_unref(a->pause_source);
        (void)sd_event_source_set_enabled(a->listen_source, SD_EVENT_ON);
        return 0;
}

/* Out of fds: stop accepting for a while instead of waking up for a
 * pending connection that cannot be accepted, again and again. */
static void listen_pause(struct appsock *a, int err)
{
        log_warning_errno(err, "app socket: cannot accept, pausing for a second");
        (void)sd_event_source_set_enabled(a->listen_source, SD_EVENT_OFF);
        if (!a->pause_source)
                (void)sd_event_add_time_relative(a->manager->event, &a->pause_source, CLOCK_MONOTONIC,
                                                 APPSOCK_PAUSE_USEC, 0, on_listen_resume, a);
}

static void accept_one(struct appsock *a, int fd)
{
        struct appsock_conn *c = NULL;
        struct ucred cred;
        socklen_t len = sizeof(cred);
        size_t same_uid = 0;
        int r;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                close(fd);
                return;
        }
        for (size_t i = 0; i < APPSOCK_CONN_MAX; i++) {
                if (a->conns[i].fd < 0) {
                        if (!c)
                                c = &a->conns[i];
                } else {
                        same_uid += a->conns[i].uid == cred.uid;
                }
        }
        /* Refused with a reason, so the peer fails fast instead of timing
         * out. Unregistered connections count: otherwise one user could
         * hold every slot with silent connections. */
        r = !c ? -ENOSPC : same_uid >= CLIENTS_PER_UID_MAX ? -EUSERS : 0;
        if (r < 0) {
                log_debug_errno(r, "app socket: connection from pid %d (uid %u) refused", (int)cred.pid,
                                (unsigned)cred.uid);
                send_error(fd, r, 0);
                drain(fd);
                close(fd);
                return;
        }
        int sndbuf = APPSOCK_SNDBUF;
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
        *c = (struct appsock_conn){ .appsock = a, .fd = fd, .pid = cred.pid, .uid = cred.uid };
        r = sd_event_add_io(a->manager->event, &c->io_source, fd, EPOLLIN, on_conn_io, c);
        if (r >= 0)
                r = sd_event_add_time_relative(a->manager->event, &c->timeout_source, CLOCK_MONOTONIC,
                                               APPSOCK_REGISTER_TIMEOUT_USEC, 0, on_register_timeout, c);
        if (r < 0) {
                log_warning_errno(r, "app socket: cannot watch a connection");
                conn_close(c);
        }
}

static int on_accept(sd_event_source *s, int listen_fd, uint32_t revents, void *userdata)
{
        struct appsock *a = userdata;

        for (unsigned i = 0; i < APPSOCK_BATCH; i++) {
                int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd >= 0) {
                        accept_one(a, fd);
                        continue;
                }
                if (errno == EINTR || errno == ECONNABORTED)
                        continue;
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                        listen_pause(a, errno);
                return 0;
        }
        return 0;
}

int appsock_open(struct manager *m, struct appsock **ret)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int r;

        *ret = NULL;
        if (!m->config.app_socket[0])
                return 0; /* switched off */

        struct appsock *a = calloc(1, sizeof(*a));
        if (!a)
                return log_error_errno(ENOMEM, "app socket");
        a->manager = m;
        a->listen_fd = -1;
        for (size_t i = 0; i < APPSOCK_CONN_MAX; i++)
                a->conns[i] = (struct appsock_conn){ .appsock = a, .fd = -1 };
        strscpy(a->path, m->config.app_socket, sizeof(a->path));
        if (!strscpy(sa.sun_path, a->path, sizeof(sa.sun_path))) {
                r = log_error_errno(ENAMETOOLONG, "app socket path %s", a->path);
                goto fail;
        }
        r = mkdir_parent(a->path);
        if (r < 0) {
                r = log_error_errno(r, "cannot create the directory of %s", a->path);
                goto fail;
        }
        a->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (a->listen_fd < 0) {
                r = log_error_errno(errno, "socket");
                goto fail;
        }
        (void)unlink(a->path);
        /* 0666: any user may register its own processes; what a client can
         * do is bounded by its SO_PEERCRED identity and the limits above. */
        mode_t old = umask(0111);
        r = bind(a->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
        umask(old);
        if (r < 0) {
                r = log_error_errno(errno, "cannot bind %s", a->path);
                goto fail;
        }
        a->bound = true;
        if (listen(a->listen_fd, APPSOCK_BACKLOG) < 0) {
                r = log_error_errno(errno, "cannot listen on %s", a->path);
                goto fail;
        }
        r = sd_event_add_io(m->event, &a->listen_source, a->listen_fd, EPOLLIN, on_accept, a);
        if (r < 0) {
                r = log_error_errno(r, "cannot watch %s", a->path);
                goto fail;
        }
        log_info("app socket %s", a->path);
        *ret = a;
        return 0;
fail:
        appsock_free(a);
        return r;
}

struct appsock *appsock_free(struct appsock *a)
{
        if (!a)
                return NULL;
        for (size_t i = 0; i < APPSOCK_CONN_MAX; i++)
                if (a->conns[i].fd >= 0)
                        conn_close(&a->conns[i]);
        a->listen_source = sd_event_source_disable_unref(a->listen_source);
        a->pause_source = sd_event_source_disable_unref(a->pause_source);
        if (a->listen_fd >= 0)
                close(a->listen_fd);
        if (a->bound)
                (void)unlink(a->path);
        free(a);
        return NULL;
}
