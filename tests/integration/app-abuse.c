/* SPDX-License-Identifier: MIT */
/*
 * Hostile clients of triaged's application socket. Each must get an ERROR
 * with the right errno and/or a closed connection, while a well-behaved
 * client registered at the start stays registered through all of it.
 *
 * Usage: app-abuse SOCKET
 *        app-abuse SOCKET --emfile   (the daemon's fd limit was lowered)
 *
 * As root it also takes other uids (setresuid in children) to check the
 * per-uid and total connection limits; otherwise those parts are skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

/* Bounds every wait for the daemon: only a stuck daemon reaches it. */
#define WAIT_MSEC 5000
/* The daemon's limits (src/appsock.c, src/clients.h). */
#define RATE_MAX 50
#define REGISTER_TIMEOUT_MSEC 5000
#define CONN_MAX 256
#define PER_UID_MAX 32

static void __attribute__((noreturn, format(printf, 2, 3))) die(int line, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "FAIL (line %d): ", line);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(EXIT_FAILURE);
}
#define CHECK(cond, ...)                                                                                     \
        do {                                                                                                 \
                if (!(cond))                                                                                 \
                        die(__LINE__, __VA_ARGS__);                                                          \
        } while (0)

static int connect_to(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

        CHECK(fd >= 0, "socket: %s", strerror(errno));
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect %s: %s", path, strerror(errno));
        return fd;
}

static void send_raw(int fd, const void *buf, size_t len)
{
        CHECK(send(fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len, "send: %s", strerror(errno));
}

/* What the daemon did next: an ERROR (errnum > 0), another message
 * (type), end of file, or nothing within msec. */
struct event {
        enum {
                EV_NOTHING,
                EV_EOF,
                EV_ERROR,
                EV_MESSAGE
        } kind;
        int errnum;
        uint16_t type;
        union proto_message msg;
};

static struct event next_event(int fd, int msec)
{
        struct event ev = { .kind = EV_NOTHING };
        struct pollfd p = { .fd = fd, .events = POLLIN };
        uint16_t type;

        if (poll(&p, 1, msec) != 1)
                return ev;
        ssize_t n = recv(fd, &ev.msg, sizeof(ev.msg), MSG_DONTWAIT);
        /* A reset (the daemon closed with our data unread) is reported
         * before the daemon's last message: read that. */
        if (n < 0 && errno == ECONNRESET)
                n = recv(fd, &ev.msg, sizeof(ev.msg), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == EAGAIN))) {
                ev.kind = EV_EOF;
                return ev;
        }
        CHECK(n > 0, "recv: %s", strerror(errno));
        int r = proto_validate(&ev.msg, (size_t)n, PROTO_TO_APP, &type);
        CHECK(r == 0, "the daemon sent a malformed message: %s", strerror(-r));
        ev.type = type;
        if (type == PROTO_ERROR) {
                ev.kind = EV_ERROR;
                ev.errnum = ev.msg.error.errnum;
        } else {
                ev.kind = EV_MESSAGE;
        }
        return ev;
}

/* Expects ERROR errnum (about about_type unless it is negative), and then
 * the end of the connection if want_eof. */
static void expect_error(int fd, const char *what, int errnum, int about_type, bool want_eof)
{
        struct event ev = next_event(fd, WAIT_MSEC);

        CHECK(ev.kind == EV_ERROR, "%s: no ERROR (event %d, type %u)", what, (int)ev.kind, ev.type);
        CHECK(ev.errnum == errnum, "%s: ERROR %s, expected %s", what, strerror(ev.errnum), strerror(errnum));
        if (about_type >= 0)
                CHECK(ev.msg.error.about_type == about_type, "%s: ERROR about %u, expected %d", what,
                      ev.msg.error.about_type, about_type);
        if (want_eof) {
                ev = next_event(fd, WAIT_MSEC);
                CHECK(ev.kind == EV_EOF, "%s: not disconnected (event %d)", what, (int)ev.kind);
        }
}

static void expect_eof(int fd, const char *what)
{
        struct event ev = next_event(fd, WAIT_MSEC);
        CHECK(ev.kind == EV_EOF, "%s: not disconnected (event %d)", what, (int)ev.kind);
}

/* A fresh connection that sends buf and must be refused with errnum. */
static void refused(const char *sock, const char *what, const void *buf, size_t len, int errnum)
{
        int fd = connect_to(sock);

        send_raw(fd, buf, len);
        expect_error(fd, what, errnum, -1, true);
        close(fd);
        printf("ok: %s -> ERROR %s, disconnected\n", what, strerror(errnum));
}

static int register_as(const char *sock, const char *name, uint64_t *ret_id)
{
        struct proto_register reg;
        int fd = connect_to(sock);

        CHECK(proto_pack_register(&reg, name) == 0, "pack");
        send_raw(fd, &reg, sizeof(reg));
        struct event ev = next_event(fd, WAIT_MSEC);
        CHECK(ev.kind == EV_MESSAGE && ev.type == PROTO_REGISTERED, "%s: not registered (event %d, errno %d)",
              name, (int)ev.kind, ev.errnum);
        if (ret_id)
                *ret_id = ev.msg.registered.client_id;
        return fd;
}

static void send_closing(int fd, uint32_t serial)
{
        struct proto_closing m;

        proto_pack_closing(&m, serial);
        send_raw(fd, &m, sizeof(m));
}

/* An answer nobody asked for: ERROR EPROTO, and the connection stays. */
static void expect_forged_answer_forgiven(int fd, const char *what)
{
        send_closing(fd, 0xdead0001);
        expect_error(fd, what, EPROTO, PROTO_CLOSING, false);
}

/* Runs fn in a child process (each registration needs its own pid). */
static void in_child(const char *what, void (*fn)(const char *sock), const char *sock)
{
        int status;

        fflush(NULL);
        pid_t pid = fork();
        CHECK(pid >= 0, "fork");
        if (pid == 0) {
                fn(sock);
                fflush(NULL);
                _exit(EXIT_SUCCESS);
        }
        CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s failed", what);
}

static void case_second_register(const char *sock)
{
        struct proto_register reg;
        int fd = register_as(sock, "twice", NULL);

        proto_pack_register(&reg, "twice");
        send_raw(fd, &reg, sizeof(reg));
        expect_error(fd, "a second REGISTER", EALREADY, PROTO_REGISTER, true);
        printf("ok: a second REGISTER -> ERROR EALREADY, disconnected\n");
}

static void case_forged_serials(const char *sock)
{
        struct proto_saved saved;
        int fd = register_as(sock, "forger", NULL);

        proto_pack_saved(&saved, 12345, "/tmp/forged");
        send_raw(fd, &saved, sizeof(saved));
        expect_error(fd, "SAVED with a forged serial", EPROTO, PROTO_SAVED, false);
        /* Still connected and registered: it is answered again. */
        expect_forged_answer_forgiven(fd, "CLOSING with a forged serial");
        printf("ok: forged serials -> ERROR EPROTO, still connected\n");
}

static void case_flood(const char *sock)
{
        int fd = register_as(sock, "flood", NULL);
        int answered = 0;

        /* The REGISTER was one packet of this second's budget; 200 more
         * cannot all fit, however the seconds fall. */
        int sent = 0;
        for (uint32_t i = 0; i < 200; i++, sent++) {
                struct proto_closing m;
                proto_pack_closing(&m, 0xf1000000 + i);
                if (send(fd, &m, sizeof(m), MSG_NOSIGNAL) < 0) {
                        /* Cut off mid-flood: what we are here to see. */
                        CHECK(errno == EPIPE || errno == ECONNRESET, "flood: send: %s", strerror(errno));
                        break;
                }
        }
        CHECK(sent >= RATE_MAX - 1, "flood: cut off after %d messages, within the rate limit", sent);
        for (;;) {
                struct event ev = next_event(fd, WAIT_MSEC);
                CHECK(ev.kind != EV_NOTHING, "flood: still connected after 200 messages");
                if (ev.kind == EV_EOF)
                        break;
                CHECK(ev.kind == EV_ERROR && (ev.errnum == EPROTO || ev.errnum == EBUSY),
                      "flood: event %d %s", (int)ev.kind, strerror(ev.errnum));
                answered += ev.errnum == EPROTO;
        }
        CHECK(answered <= 2 * RATE_MAX, "flood: %d answered", answered);
        printf("ok: a flood of 200 messages -> disconnected after %d sent, %d answered\n", sent, answered);
}

static void send_pick(int fd, uint32_t serial, int32_t leader)
{
        struct proto_pick m;

        proto_pack_pick(&m, serial, leader);
        send_raw(fd, &m, sizeof(m));
}

/* A chooser's mistakes: picks with no choice open are refused (EPROTO)
 * but forgiven, before CHOOSER and after; a second CHOOSER gets EALREADY;
 * a malformed PICK (a negative leader) is cut off like anything
 * malformed. */
static void case_chooser(const char *sock)
{
        struct proto_chooser ch;
        int fd = register_as(sock, "chooser-abuse", NULL);

        send_pick(fd, 1, 0);
        expect_error(fd, "a PICK from a client that is not a chooser", EPROTO, PROTO_PICK, false);
        proto_pack_chooser(&ch);
        send_raw(fd, &ch, sizeof(ch));
        struct event ev = next_event(fd, WAIT_MSEC);
        CHECK(ev.kind == EV_MESSAGE && ev.type == PROTO_CHOOSER_READY, "CHOOSER: not ready (event %d, %s)",
              (int)ev.kind, strerror(ev.errnum));
        /* The well-behaved client and notes (at least) are applications;
         * this one is the only chooser. */
        CHECK(ev.msg.chooser_ready.applications >= 1 && ev.msg.chooser_ready.choosers == 1,
              "CHOOSER_READY with %u applications, %u choosers", ev.msg.chooser_ready.applications,
              ev.msg.chooser_ready.choosers);
        send_raw(fd, &ch, sizeof(ch));
        expect_error(fd, "a second CHOOSER", EALREADY, PROTO_CHOOSER, false);
        send_pick(fd, 0xbad, 4242);
        expect_error(fd, "a PICK with no choice open", EPROTO, PROTO_PICK, false);
        send_pick(fd, 0xbad, -1);
        expect_error(fd, "a PICK with a negative leader", EINVAL, PROTO_PICK, true);
        printf("ok: a chooser: READY (%u applications), stray picks and a second CHOOSER refused and "
               "forgiven, a malformed PICK cut off\n",
               ev.msg.chooser_ready.applications);
}

/* Waits until the daemon has read everything sent on fd (the kernel
 * counts our unread bytes in SIOCOUTQ). */
static void wait_consumed(int fd)
{
        for (int i = 0; i < WAIT_MSEC; i++) {
                int outq = 0;
                CHECK(ioctl(fd, SIOCOUTQ, &outq) == 0, "SIOCOUTQ: %s", strerror(errno));
                if (outq == 0)
                        return;
                poll(NULL, 0, 1);
        }
        die(__LINE__, "the daemon does not read");
}

static void case_never_reads(const char *sock)
{
        const int sent = 45;
        int fd = register_as(sock, "deaf", NULL);
        int got = 0;

        /* Within the rate limit, each answered with an ERROR that this
         * client does not read: the daemon's small send buffer fills and
         * it must drop answers rather than wait. */
        for (int i = 0; i < sent; i++)
                send_closing(fd, 0xdeaf0000 + (uint32_t)i);
        wait_consumed(fd);
        for (;;) {
                struct event ev = next_event(fd, 0);
                if (ev.kind == EV_NOTHING)
                        break;
                CHECK(ev.kind == EV_ERROR && ev.errnum == EPROTO, "deaf: event %d", (int)ev.kind);
                got++;
        }
        CHECK(got > 0 && got < sent, "deaf: %d of %d answers queued; expected some dropped", got, sent);
        /* Still connected, and heard again once it reads. */
        expect_forged_answer_forgiven(fd, "deaf, after reading");
        printf("ok: a client that never reads -> %d of %d answers dropped, still connected\n", sent - got,
               sent);
}

static void case_empty_name(const char *sock)
{
        struct proto_register reg;
        int fd = connect_to(sock);

        proto_pack_register(&reg, "x");
        reg.name[0] = '\0';
        send_raw(fd, &reg, sizeof(reg));
        expect_error(fd, "an empty name", EINVAL, PROTO_REGISTER, true);
        close(fd);
        fd = connect_to(sock);
        proto_pack_register(&reg, "bell\a");
        send_raw(fd, &reg, sizeof(reg));
        expect_error(fd, "a name with a control byte", EINVAL, PROTO_REGISTER, true);
        printf("ok: empty or unprintable names -> ERROR EINVAL, disconnected\n");
}

static void malformed(const char *sock)
{
        union proto_message m;
        char big[4096];

        /* Garbage. */
        refused(sock, "13 bytes of garbage", "\x17\x2a\x99\x00\x01\x02\x03\xff\xfe\xfd\x10\x20\x30", 13,
                EPROTONOSUPPORT);
        refused(sock, "3 bytes", "\x01\x00\x01", 3, EBADMSG);
        /* Wrong lengths. */
        proto_pack_register(&m.reg, "short");
        refused(sock, "a REGISTER cut to 40 bytes", &m, 40, EBADMSG);
        proto_pack_register(&m.reg, "long-field");
        m.hdr.length = 80;
        refused(sock, "a length field larger than the packet", &m, sizeof(m.reg), EBADMSG);
        memset(big, 0, sizeof(big));
        proto_pack_register(&m.reg, "padded");
        memcpy(big, &m, sizeof(m.reg));
        ((struct proto_header *)big)->length = 100;
        refused(sock, "a REGISTER padded to 100 bytes", big, 100, EBADMSG);
        /* Oversized. */
        ((struct proto_header *)big)->length = sizeof(big);
        refused(sock, "4096 bytes", big, sizeof(big), EMSGSIZE);
        /* Wrong version. */
        proto_pack_register(&m.reg, "v2");
        m.hdr.version = 2;
        refused(sock, "version 2", &m, sizeof(m.reg), EPROTONOSUPPORT);
        /* Unknown types, and a daemon's message sent to the daemon. */
        proto_pack_closing(&m.closing, 1);
        m.hdr.type = 77;
        refused(sock, "type 77", &m, sizeof(m.closing), EOPNOTSUPP);
        proto_pack_level(&m.level, 1, 50);
        refused(sock, "a LEVEL sent to the daemon", &m, sizeof(m.level), EOPNOTSUPP);
        /* A name without its NUL. */
        proto_pack_register(&m.reg, "x");
        memset(m.reg.name, 'x', sizeof(m.reg.name));
        refused(sock, "a name without NUL", &m, sizeof(m.reg), EINVAL);
        /* Order: anything before REGISTER. */
        proto_pack_saved(&m.saved, 1, "early");
        refused(sock, "SAVED before REGISTER", &m, sizeof(m.saved), ENOTCONN);
        proto_pack_unregister(&m.unregister);
        refused(sock, "UNREGISTER before REGISTER", &m, sizeof(m.unregister), ENOTCONN);
        proto_pack_chooser(&m.chooser);
        refused(sock, "CHOOSER before REGISTER", &m, sizeof(m.chooser), ENOTCONN);
        proto_pack_pick(&m.pick, 1, 0);
        refused(sock, "PICK before REGISTER", &m, sizeof(m.pick), ENOTCONN);
        /* A daemon's CHOOSE sent to the daemon: the largest message, of
         * the wrong direction. */
        struct proto_choice c;
        proto_pack_choice(&c, 1, 0, 0, 0, 0, "x");
        CHECK(proto_pack_choose(&m.choose, 1, 1000, &c, 1) == 0, "pack CHOOSE");
        refused(sock, "a CHOOSE sent to the daemon", &m, sizeof(m.choose), EOPNOTSUPP);
        /* An empty packet cannot be told from a hang-up: just closed. */
        int fd = connect_to(sock);
        send_raw(fd, "", 0);
        expect_eof(fd, "an empty packet");
        close(fd);
        printf("ok: an empty packet -> disconnected\n");
}

/* Connection limits, as other users (needs root). Each child takes a uid,
 * opens n connections and reports how many the daemon refused and why. */
struct limit_result {
        int accepted;
        int refused_enospc;
        int refused_eusers;
        int other;
        int timed_out; /* accepted, then ETIMEDOUT and closed */
};

/*
 * The children connect; the parent, once all have, makes one more
 * connection and waits for its answer: connections are accepted in order,
 * so by then every child's connections have been decided, and the
 * children count. Then they wait for the daemon to drop the accepted ones,
 * which never register: that checks the registration timeout, and proves
 * the slots are free again before the next test.
 */
static void limits_child(const char *sock, uid_t uid, int n, int ready_fd, int go_fd, int result_fd)
{
        int fds[64];
        bool accepted[64];
        struct limit_result res = { 0 };
        char ch;

        CHECK(n <= 64, "too many");
        CHECK(setresgid(uid, uid, uid) == 0 && setresuid(uid, uid, uid) == 0, "setresuid %u: %s",
              (unsigned)uid, strerror(errno));
        for (int i = 0; i < n; i++)
                fds[i] = connect_to(sock);
        CHECK(write(ready_fd, "r", 1) == 1, "ready");
        CHECK(read(go_fd, &ch, 1) == 0, "go"); /* the parent closes it */
        for (int i = 0; i < n; i++) {
                struct event ev = next_event(fds[i], 0);
                accepted[i] = ev.kind == EV_NOTHING;
                if (accepted[i])
                        res.accepted++;
                else if (ev.kind == EV_ERROR && ev.errnum == ENOSPC)
                        res.refused_enospc++;
                else if (ev.kind == EV_ERROR && ev.errnum == EUSERS)
                        res.refused_eusers++;
                else
                        res.other++;
        }
        for (int i = 0; i < n; i++) {
                if (!accepted[i])
                        continue;
                struct event ev = next_event(fds[i], REGISTER_TIMEOUT_MSEC + WAIT_MSEC);
                if (ev.kind == EV_ERROR && ev.errnum == ETIMEDOUT &&
                    next_event(fds[i], WAIT_MSEC).kind == EV_EOF)
                        res.timed_out++;
        }
        CHECK(write(result_fd, &res, sizeof(res)) == sizeof(res), "result");
        _exit(EXIT_SUCCESS);
}

/* Opens per_child connections from each of n_children uids; returns the
 * totals, and the errno the parent's probe got. */
static struct limit_result run_limits(const char *sock, uid_t first_uid, int n_children, int per_child,
                                      int *ret_probe_errnum)
{
        int ready[2], go[2], result[2], status;
        struct limit_result total = { 0 }, r;
        struct proto_register reg;
        pid_t pids[16];
        char ch;

        CHECK(n_children <= 16, "too many children");
        CHECK(pipe(ready) == 0 && pipe(go) == 0 && pipe(result) == 0, "pipe");
        fflush(NULL);
        for (int i = 0; i < n_children; i++) {
                pids[i] = fork();
                CHECK(pids[i] >= 0, "fork");
                if (pids[i] == 0) {
                        close(ready[0]);
                        close(go[1]);
                        close(result[0]);
                        limits_child(sock, first_uid + (uid_t)i, per_child, ready[1], go[0], result[1]);
                }
        }
        close(ready[1]);
        close(go[0]);
        close(result[1]);
        for (int i = 0; i < n_children; i++)
                CHECK(read(ready[0], &ch, 1) == 1, "a child did not connect");
        /* The probe is answered at once either way: ENOSPC when the table
         * is full, else EEXIST, since this process is registered already. */
        int probe = connect_to(sock);
        proto_pack_register(&reg, "probe");
        send_raw(probe, &reg, sizeof(reg));
        struct event ev = next_event(probe, WAIT_MSEC);
        *ret_probe_errnum = ev.kind == EV_ERROR ? ev.errnum : 0;
        close(probe);
        close(go[1]);
        for (int i = 0; i < n_children; i++) {
                CHECK(read(result[0], &r, sizeof(r)) == sizeof(r), "no result from a child");
                total.accepted += r.accepted;
                total.refused_enospc += r.refused_enospc;
                total.refused_eusers += r.refused_eusers;
                total.other += r.other;
                total.timed_out += r.timed_out;
        }
        for (int i = 0; i < n_children; i++) {
                CHECK(waitpid(pids[i], &status, 0) == pids[i], "waitpid");
                CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a limits child failed");
        }
        close(ready[0]);
        close(result[0]);
        return total;
}

static void limits(const char *sock)
{
        int probe;

        if (geteuid() != 0) {
                printf("skip: connection limits per uid and in all (need root to take other uids)\n");
                return;
        }
        /* One uid, nothing else of it connected: exactly PER_UID_MAX. */
        struct limit_result r = run_limits(sock, 61000, 1, PER_UID_MAX + 8, &probe);
        CHECK(r.accepted == PER_UID_MAX && r.refused_eusers == 8 && r.refused_enospc == 0 && r.other == 0,
              "one uid, %d connections: %d accepted, %d EUSERS, %d ENOSPC, %d other", PER_UID_MAX + 8,
              r.accepted, r.refused_eusers, r.refused_enospc, r.other);
        CHECK(probe == EEXIST, "the probe got %s, not EEXIST", strerror(probe));
        CHECK(r.timed_out == r.accepted, "%d of %d silent connections timed out", r.timed_out, r.accepted);
        printf("ok: %d connections from one uid -> %d accepted, 8 refused with EUSERS; "
               "the silent ones time out\n",
               PER_UID_MAX + 8, PER_UID_MAX);

        /* 300 connections from 10 uids, 30 each (under the per-uid limit):
         * the table holds CONN_MAX in all, less what the well-behaved
         * clients and a few of the cases above still hold; the rest, and
         * the probe, get ENOSPC. */
        r = run_limits(sock, 62000, 10, 30, &probe);
        CHECK(r.accepted + r.refused_enospc == 300 && r.refused_eusers == 0 && r.other == 0,
              "300 connections: %d accepted, %d ENOSPC, %d EUSERS, %d other", r.accepted, r.refused_enospc,
              r.refused_eusers, r.other);
        CHECK(r.accepted <= CONN_MAX - 2 && r.accepted >= CONN_MAX - 8, "300 connections: %d accepted",
              r.accepted);
        CHECK(probe == ENOSPC, "the probe got %s, not ENOSPC", strerror(probe));
        CHECK(r.timed_out == r.accepted, "%d of %d silent connections timed out", r.timed_out, r.accepted);
        printf("ok: 300 connections -> %d accepted, %d refused with ENOSPC; the silent ones time out\n",
               r.accepted, r.refused_enospc);
}

/*
 * With the daemon's fd limit lowered by the caller: 20 connections run it
 * out of fds, and it pauses accepting instead of spinning (the caller
 * checks the log). Once they are gone it accepts again: a registration
 * succeeds within the pause plus the usual wait.
 */
static int emfile(const char *sock)
{
        int fds[20];

        for (int i = 0; i < 20; i++)
                fds[i] = connect_to(sock);
        /* Some are accepted (and silent), the rest wait in the backlog;
         * none is refused with an error. */
        for (int i = 0; i < 20; i++) {
                struct event ev = next_event(fds[i], 0);
                CHECK(ev.kind == EV_NOTHING, "connection %d: event %d (%s)", i, (int)ev.kind,
                      strerror(ev.errnum));
        }
        /* Wait until the pause shows in the log before letting go. */
        char ch;
        CHECK(read(STDIN_FILENO, &ch, 1) >= 0, "read stdin");
        for (int i = 0; i < 20; i++)
                close(fds[i]);
        uint64_t id;
        int fd = register_as(sock, "after-emfile", &id);
        close(fd);
        printf("ok: out of fds, then registered again as client %llu\n", (unsigned long long)id);
        return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
        if (argc == 3 && strcmp(argv[2], "--emfile") == 0) {
                signal(SIGPIPE, SIG_IGN);
                return emfile(argv[1]);
        }
        if (argc != 2) {
                fprintf(stderr, "usage: app-abuse SOCKET [--emfile]\n");
                return 2;
        }
        const char *sock = argv[1];
        signal(SIGPIPE, SIG_IGN);

        /* The well-behaved client, registered throughout. */
        uint64_t id;
        int good = register_as(sock, "abuse-good", &id);
        printf("ok: registered as client %llu\n", (unsigned long long)id);

        malformed(sock);
        case_empty_name(sock);
        in_child("a second REGISTER", case_second_register, sock);
        in_child("forged serials", case_forged_serials, sock);
        in_child("a flood", case_flood, sock);
        in_child("a client that never reads", case_never_reads, sock);
        in_child("a chooser", case_chooser, sock);
        limits(sock);

        /* After all that, the well-behaved client is still registered: the
         * daemon still answers it as a registered client (EPROTO for an
         * unawaited serial, not ENOTCONN). */
        expect_forged_answer_forgiven(good, "the well-behaved client at the end");
        struct event ev = next_event(good, 0);
        CHECK(ev.kind == EV_NOTHING, "the well-behaved client got event %d", (int)ev.kind);
        printf("ok: the well-behaved client is still registered\n");
        close(good);
        return EXIT_SUCCESS;
}
