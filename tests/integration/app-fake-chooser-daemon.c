/* SPDX-License-Identifier: MIT */
/*
 * A fake triaged for tests/integration/choose.sh: it speaks the chooser's
 * side of the application protocol (src/proto.c) to one client, so that
 * `triagectl choose` can be tested without bringing a real daemon to the
 * critical level.
 *
 * It listens, accepts one connection, answers REGISTER and CHOOSER, sends
 * LEVEL normal, waits for a "go" line on stdin (only with --wait-go),
 * sends LEVEL critical and a CHOOSE with three candidates, and waits for
 * the PICK until the deadline; then it sends CHOOSE_DONE (the pick, or at
 * the deadline the policy's first choice) and a fresh CHOOSER_READY, and
 * waits for the client to leave. With --killed it also sends KILLED: for
 * "chromium" (4444), killed by the policy at the emergency floor before
 * the choice (in a domain whose name tries an escape sequence), and for
 * the victim after CHOOSE_DONE (it saved and closed by itself). Every packet from the client is checked
 * with proto_validate(). What it sees goes to stdout, one line each:
 *   listening
 *   registered NAME pid PID
 *   chooser
 *   refused LEADER        (--refuse-first: the first PICK gets ESRCH)
 *   pick SERIAL LEADER
 *   timeout
 *   late-pick LEADER      (a PICK after the deadline: answered EPROTO)
 *   bye
 * Exit status 0 when the conversation went by the protocol, 1 otherwise.
 *
 * Usage: app-fake-chooser-daemon SOCKET [--deadline MSEC] [--done-delay MSEC]
 *                                [--refuse-first] [--wait-go] [--killed]
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "level.h"
#include "proto.h"

#define SERIAL 21
/* Bounds the waits that do not depend on the deadline: a client that
 * hangs fails the test instead of blocking it. */
#define WAIT_MSEC 20000

struct candidate {
        int32_t leader;
        uint64_t memory_kib;
        uint64_t idle_sec;
        uint32_t flags;
        const char *name;
};

/* firefox is the policy's choice; the third name tries to clear the
 * chooser's screen with an escape sequence. */
static const struct candidate candidates[] = {
        { 1111, 1572864, 3600, PROTO_CHOICE_RECOMMENDED | PROTO_CHOICE_SAVED, "firefox" },
        { 2222, 524288, 120, 0, "gimp" },
        { 3333, 8192, 0, PROTO_CHOICE_FROZEN, "xterm\x1b[2J" },
};

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "fake daemon: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(EXIT_FAILURE);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
}

static int64_t now_msec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void send_all(int fd, const void *m, size_t len)
{
        if (send(fd, m, len, MSG_NOSIGNAL) != (ssize_t)len)
                die("send: %s", strerror(errno));
}

/* Waits up to timeout_msec for a message: its type, 0 at end of file, -1
 * on timeout. A malformed message ends the test. */
static int recv_valid(int fd, union proto_message *m, int timeout_msec)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };
        uint16_t type;

        int r = poll(&p, 1, timeout_msec < 0 ? 0 : timeout_msec);
        if (r < 0)
                die("poll: %s", strerror(errno));
        if (r == 0)
                return -1;
        ssize_t n = recv(fd, m, sizeof(*m), 0);
        /* A client that exits with our last message unread (the
         * CHOOSER_READY after CHOOSE_DONE, with --once) resets the
         * connection: that is its end too. */
        if (n < 0 && errno == ECONNRESET)
                return 0;
        if (n < 0)
                die("recv: %s", strerror(errno));
        if (n == 0)
                return 0;
        r = proto_validate(m, (size_t)n, PROTO_TO_DAEMON, &type);
        if (r < 0)
                die("a malformed message (%zd bytes): %s", n, strerror(-r));
        return type;
}

static void expect(int fd, union proto_message *m, uint16_t type)
{
        int t = recv_valid(fd, m, WAIT_MSEC);

        if (t != type)
                die("expected %s, got %s", proto_type_to_string(type),
                    t < 0    ? "nothing"
                    : t == 0 ? "end of file"
                             : proto_type_to_string((uint16_t)t));
}

static void send_level(int fd, enum triage_level level, uint8_t lmm_byte)
{
        struct proto_level m;

        proto_pack_level(&m, (uint8_t)level, lmm_byte);
        send_all(fd, &m, sizeof(m));
}

/* Best effort: a client run with --once may have left already. */
static void send_killed(int fd, const struct proto_killed_info *info)
{
        struct proto_killed m;

        proto_pack_killed(&m, info);
        (void)send(fd, &m, sizeof(m), MSG_NOSIGNAL);
}

static const struct candidate *find_candidate(int32_t leader)
{
        for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
                if (candidates[i].leader == leader)
                        return &candidates[i];
        return NULL;
}

/* The victim of the choice is gone: it saved and closed by itself. */
static void send_victim_killed(int fd, int32_t victim, bool picked)
{
        const struct candidate *c = find_candidate(victim);

        send_killed(fd, &(struct proto_killed_info){
                                .pid = victim,
                                .uid = (uint32_t)getuid(),
                                .freed_kib = c ? c->memory_kib : 0,
                                .available_kib = 9216,
                                .score = 412,
                                .level = TRIAGE_LEVEL_CRITICAL,
                                .outcome = PROTO_KILL_CLOSED,
                                .flags = PROTO_KILLED_SAVED | (picked ? PROTO_KILLED_BY_PERSON : 0),
                                .name = c ? c->name : "",
                                .domain = "system",
                                .tier = "background",
                        });
}

static void send_done(int fd, enum proto_choose_result result, int32_t victim)
{
        struct proto_choose_done done;
        struct proto_chooser_ready ready;

        proto_pack_choose_done(&done, SERIAL, result, victim);
        send_all(fd, &done, sizeof(done));
        /* As triaged does: back to waiting, with the counts. A client
         * run with --once may have left already: not an error. */
        proto_pack_chooser_ready(&ready, 4, 1);
        (void)send(fd, &ready, sizeof(ready), MSG_NOSIGNAL);
}

static void wait_go(void)
{
        char line[32];

        if (!fgets(line, sizeof(line), stdin) || strcmp(line, "go\n") != 0)
                die("no 'go' on stdin");
}

int main(int argc, char **argv)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        union proto_message m;
        int deadline_msec = 10000, done_delay_msec = 0;
        bool refuse_first = false, go = false, killed = false;

        if (argc < 2)
                die("usage: app-fake-chooser-daemon SOCKET [--deadline MSEC] [--done-delay MSEC] "
                    "[--refuse-first] [--wait-go] [--killed]");
        for (int i = 2; i < argc; i++) {
                if (strcmp(argv[i], "--deadline") == 0 && i + 1 < argc)
                        deadline_msec = atoi(argv[++i]);
                else if (strcmp(argv[i], "--done-delay") == 0 && i + 1 < argc)
                        done_delay_msec = atoi(argv[++i]);
                else if (strcmp(argv[i], "--refuse-first") == 0)
                        refuse_first = true;
                else if (strcmp(argv[i], "--wait-go") == 0)
                        go = true;
                else if (strcmp(argv[i], "--killed") == 0)
                        killed = true;
                else
                        die("unknown argument %s", argv[i]);
        }

        int lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (lfd < 0)
                die("socket: %s", strerror(errno));
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
        unlink(argv[1]);
        if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0)
                die("bind %s: %s", argv[1], strerror(errno));
        say("listening");
        struct pollfd p = { .fd = lfd, .events = POLLIN };
        if (poll(&p, 1, WAIT_MSEC) != 1)
                die("nobody connected");
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
                die("accept: %s", strerror(errno));
        close(lfd);
        unlink(argv[1]);

        struct ucred cred;
        socklen_t len = sizeof(cred);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                die("SO_PEERCRED: %s", strerror(errno));
        expect(fd, &m, PROTO_REGISTER);
        say("registered %s pid %d", m.reg.name, (int)cred.pid);
        struct proto_registered reg;
        proto_pack_registered(&reg, 7);
        send_all(fd, &reg, sizeof(reg));
        expect(fd, &m, PROTO_CHOOSER);
        say("chooser");
        struct proto_chooser_ready ready;
        proto_pack_chooser_ready(&ready, 5, 1);
        send_all(fd, &ready, sizeof(ready));
        send_level(fd, TRIAGE_LEVEL_NORMAL, 0);
        if (killed)
                send_killed(fd, &(struct proto_killed_info){
                                        .pid = 4444,
                                        .uid = (uint32_t)getuid(),
                                        .freed_kib = 921600,
                                        .available_kib = 5120,
                                        .score = 640,
                                        .level = TRIAGE_LEVEL_EMERGENCY,
                                        .outcome = PROTO_KILL_DIED,
                                        .name = "chromium",
                                        .domain = "sys\x1b[2Jtem",
                                        .tier = "background",
                                });
        if (go)
                wait_go();

        struct proto_choice c[3];
        for (size_t i = 0; i < 3; i++)
                proto_pack_choice(&c[i], candidates[i].leader, (uint32_t)getuid(), candidates[i].memory_kib,
                                  candidates[i].idle_sec, candidates[i].flags, candidates[i].name);
        struct proto_choose choose;
        if (proto_pack_choose(&choose, SERIAL, (uint32_t)deadline_msec, c, 3) < 0)
                die("pack CHOOSE");
        send_level(fd, TRIAGE_LEVEL_CRITICAL, 255);
        send_all(fd, &choose, sizeof(choose));

        int64_t deadline = now_msec() + deadline_msec;
        bool done = false;
        while (!done) {
                int t = recv_valid(fd, &m, (int)(deadline - now_msec()));
                if (t < 0) {
                        say("timeout");
                        break;
                }
                if (t == 0 || t == PROTO_UNREGISTER)
                        die("the client left without answering");
                if (t != PROTO_PICK)
                        die("expected PICK, got %s", proto_type_to_string((uint16_t)t));
                if (m.pick.serial != SERIAL)
                        die("PICK with serial %u", m.pick.serial);
                if (refuse_first) {
                        /* As if the candidate had exited meanwhile. */
                        struct proto_error e;
                        refuse_first = false;
                        say("refused %d", (int)m.pick.leader);
                        proto_pack_error(&e, ESRCH, PROTO_PICK);
                        send_all(fd, &e, sizeof(e));
                        continue;
                }
                say("pick %u %d", m.pick.serial, (int)m.pick.leader);
                int32_t victim = m.pick.leader ? m.pick.leader : candidates[0].leader;
                send_done(fd, m.pick.leader ? PROTO_CHOOSE_PICKED : PROTO_CHOOSE_POLICY, victim);
                if (killed)
                        send_victim_killed(fd, victim, m.pick.leader != 0);
                done = true;
        }
        if (!done) {
                /* Late picks get EPROTO, as from triaged. */
                int64_t until = now_msec() + done_delay_msec;
                int t;
                while ((t = recv_valid(fd, &m, (int)(until - now_msec()))) == PROTO_PICK) {
                        struct proto_error e;
                        say("late-pick %d", (int)m.pick.leader);
                        proto_pack_error(&e, EPROTO, PROTO_PICK);
                        send_all(fd, &e, sizeof(e));
                }
                if (t >= 0)
                        die("the client left or spoke (%d) before the end of the choice", t);
                send_done(fd, PROTO_CHOOSE_TIMEOUT, candidates[0].leader);
                if (killed)
                        send_victim_killed(fd, candidates[0].leader, false);
        }

        /* The client may stay (without --once) until the test ends it. */
        for (;;) {
                int t = recv_valid(fd, &m, WAIT_MSEC * 3);
                if (t < 0)
                        die("the client did not leave");
                if (t == 0)
                        break;
                if (t != PROTO_UNREGISTER)
                        die("%s after the choice", proto_type_to_string((uint16_t)t));
        }
        say("bye");
        close(fd);
        return EXIT_SUCCESS;
}
