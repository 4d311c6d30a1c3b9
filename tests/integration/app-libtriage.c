/* SPDX-License-Identifier: MIT */
/*
 * libtriage and the notes example against a fake daemon on a real socket:
 * what the library does with every answer a daemon can give (and a few it
 * should not), and the whole save / emergency-close round trip of notes,
 * down to the bytes of the file it saves. No triaged needed.
 *
 * Usage: app-libtriage NOTES
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <triage.h>

#include "level.h"
#include "proto.h"

/* Bounds every wait: only a broken library or daemon ever reaches it. */
#define WAIT_MSEC 5000

/* Where the fake daemon listens. */
struct fake {
        char dir[64];
        char sock_path[96];
        char notes_path[96];
        int lfd;
};

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

static int listen_at(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

        CHECK(fd >= 0, "socket: %s", strerror(errno));
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        unlink(path);
        CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind %s: %s", path, strerror(errno));
        CHECK(listen(fd, 8) == 0, "listen: %s", strerror(errno));
        return fd;
}

static bool wait_readable(int fd)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };
        return poll(&p, 1, WAIT_MSEC) == 1;
}

static int accept_one(int lfd)
{
        CHECK(wait_readable(lfd), "nobody connected");
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        CHECK(fd >= 0, "accept: %s", strerror(errno));
        return fd;
}

/* Receives one message as the daemon would: validated. Returns its type,
 * or 0 at end of file. */
static uint16_t recv_valid(int fd, union proto_message *m)
{
        uint16_t type = 0;

        CHECK(wait_readable(fd), "no message from the client");
        ssize_t n = recv(fd, m, sizeof(*m), 0);
        CHECK(n >= 0, "recv: %s", strerror(errno));
        if (n == 0)
                return 0;
        int r = proto_validate(m, (size_t)n, PROTO_TO_DAEMON, &type);
        CHECK(r == 0, "the library sent a malformed message (%zd bytes): %s", n, strerror(-r));
        return type;
}

static void send_all(int fd, const void *m, size_t len)
{
        CHECK(send(fd, m, len, MSG_NOSIGNAL) == (ssize_t)len, "send: %s", strerror(errno));
}

/* Fake daemons, each run in a child while the parent calls the library. */
enum script {
        SCRIPT_REFUSE,        /* ERROR EUSERS */
        SCRIPT_REFUSE_UNREAD, /* ERROR ENOSPC and close, REGISTER left unread */
        SCRIPT_HANG_UP,       /* close after REGISTER */
        SCRIPT_GARBAGE,       /* five bytes of nonsense */
        SCRIPT_LEVEL_FIRST,   /* LEVEL before REGISTERED */
        SCRIPT_SESSION,       /* a whole conversation; exit status says if it went right */
        SCRIPT_BAD_LATER,     /* REGISTERED, then a LEVEL out of range */
        SCRIPT_CLOSE_LATER,   /* REGISTERED, then close */
        SCRIPT_CHOOSER,       /* a chooser's conversation */
};

/* The candidates of SCRIPT_CHOOSER. */
static const struct {
        int32_t leader;
        uint32_t uid;
        uint64_t memory_kib;
        uint64_t idle_sec;
        uint32_t flags;
        const char *name;
} fake_choices[] = {
        { 4242, 1000, 1572864, 3600, PROTO_CHOICE_RECOMMENDED | PROTO_CHOICE_SAVED, "firefox" },
        { 5151, 1000, 524288, 120, 0, "gimp" },
        { 6060, 0, 8192, 0, PROTO_CHOICE_FROZEN,
          "a name of sixty-three bytes, the most a name can hold: ........" },
};

static void serve_choose(int fd, uint32_t serial)
{
        struct proto_choice c[3];
        struct proto_choose m;

        for (size_t i = 0; i < 3; i++)
                proto_pack_choice(&c[i], fake_choices[i].leader, fake_choices[i].uid,
                                  fake_choices[i].memory_kib, fake_choices[i].idle_sec, fake_choices[i].flags,
                                  fake_choices[i].name);
        CHECK(proto_pack_choose(&m, serial, 10000, c, 3) == 0, "pack CHOOSE");
        send_all(fd, &m, sizeof(m));
}

static void serve_registered(int fd, uint64_t id)
{
        struct proto_registered m;

        proto_pack_registered(&m, id);
        send_all(fd, &m, sizeof(m));
}

/* Stops the parent and waits until it is stopped (state T). */
static void stop_parent(void)
{
        char path[64], buf[512];

        CHECK(kill(getppid(), SIGSTOP) == 0, "SIGSTOP");
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)getppid());
        for (int i = 0; i < WAIT_MSEC; i++) {
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                CHECK(fd >= 0, "%s", path);
                ssize_t n = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                CHECK(n > 0, "read %s", path);
                buf[n] = '\0';
                const char *end = strrchr(buf, ')');
                if (end && end[1] == ' ' && end[2] == 'T')
                        return;
                poll(NULL, 0, 1);
        }
        die(__LINE__, "the parent does not stop");
}

static void run_script(int lfd, enum script s)
{
        union proto_message m;
        struct proto_level level;
        struct proto_error error;
        struct proto_save_state save;
        struct proto_emergency_close close_req;

        int fd = accept_one(lfd);
        if (s == SCRIPT_REFUSE_UNREAD) {
                /* As triaged refuses at accept: closing with the REGISTER
                 * unread makes the client's read fail with ECONNRESET
                 * ahead of the ERROR. The library must still see it. */
                CHECK(wait_readable(fd), "no REGISTER");
                /* The client (our parent) must not read the ERROR before
                 * the close: stop it for the moment. */
                stop_parent();
                proto_pack_error(&error, ENOSPC, 0);
                send_all(fd, &error, sizeof(error));
                close(fd);
                CHECK(kill(getppid(), SIGCONT) == 0, "SIGCONT");
                return;
        }
        CHECK(recv_valid(fd, &m) == PROTO_REGISTER, "the first message is not REGISTER");
        switch (s) {
        case SCRIPT_REFUSE:
                proto_pack_error(&error, EUSERS, PROTO_REGISTER);
                send_all(fd, &error, sizeof(error));
                break;
        case SCRIPT_REFUSE_UNREAD: /* handled above */
        case SCRIPT_HANG_UP:
                break;
        case SCRIPT_GARBAGE:
                send_all(fd, "\x01\x02\x03\x04\x05", 5);
                break;
        case SCRIPT_LEVEL_FIRST:
                proto_pack_level(&level, TRIAGE_LEVEL_LOW, 50);
                send_all(fd, &level, sizeof(level));
                break;
        case SCRIPT_SESSION: {
                CHECK(strcmp(m.reg.name, "lib-test") == 0, "registered as '%s'", m.reg.name);
                serve_registered(fd, 42);
                /* A message type of some future daemon: skipped. */
                struct proto_header future = { .version = PROTO_VERSION, .type = 200, .length = 8 };
                send_all(fd, &future, sizeof(future));
                proto_pack_level(&level, TRIAGE_LEVEL_MEDIUM, 100);
                send_all(fd, &level, sizeof(level));
                proto_pack_save_state(&save, 7, 5000);
                send_all(fd, &save, sizeof(save));
                proto_pack_error(&error, EPROTO, PROTO_SAVED);
                send_all(fd, &error, sizeof(error));
                proto_pack_emergency_close(&close_req, 8, 3000);
                send_all(fd, &close_req, sizeof(close_req));
                CHECK(recv_valid(fd, &m) == PROTO_SAVED, "no SAVED");
                CHECK(m.saved.serial == 7 && strcmp(m.saved.state_ref, "ref-7") == 0, "SAVED %u '%s'",
                      m.saved.serial, m.saved.state_ref);
                CHECK(recv_valid(fd, &m) == PROTO_CLOSING, "no CLOSING");
                CHECK(m.closing.serial == 8, "CLOSING %u", m.closing.serial);
                /* triage_disconnect() from the callback: goodbye, then EOF. */
                CHECK(recv_valid(fd, &m) == PROTO_UNREGISTER, "no UNREGISTER");
                CHECK(recv_valid(fd, &m) == 0, "no end of file after UNREGISTER");
                break;
        }
        case SCRIPT_BAD_LATER:
                serve_registered(fd, 1);
                proto_pack_level(&level, TRIAGE_LEVEL_LOW, 50);
                level.level = 9;
                send_all(fd, &level, sizeof(level));
                /* Wait for the client to give up, so it sees the message
                 * and not the end of file. */
                while (recv_valid(fd, &m) != 0)
                        ;
                break;
        case SCRIPT_CLOSE_LATER:
                serve_registered(fd, 1);
                break;
        case SCRIPT_CHOOSER: {
                struct proto_chooser_ready ready;
                struct proto_choose_done done;
                serve_registered(fd, 3);
                /* Before CHOOSER: not for this client yet, ignored. The
                 * LEVEL after it tells the client it has seen it. */
                serve_choose(fd, 8);
                proto_pack_level(&level, TRIAGE_LEVEL_CRITICAL, 255);
                send_all(fd, &level, sizeof(level));
                CHECK(recv_valid(fd, &m) == PROTO_CHOOSER, "no CHOOSER");
                proto_pack_chooser_ready(&ready, 4, 1);
                send_all(fd, &ready, sizeof(ready));
                serve_choose(fd, 9);
                CHECK(recv_valid(fd, &m) == PROTO_PICK, "no PICK");
                CHECK(m.pick.serial == 9 && m.pick.leader == 5151, "PICK %u %d", m.pick.serial,
                      m.pick.leader);
                /* Refused (as if gimp had gone), then the policy decides. */
                proto_pack_error(&error, ESRCH, PROTO_PICK);
                send_all(fd, &error, sizeof(error));
                CHECK(recv_valid(fd, &m) == PROTO_PICK, "no second PICK");
                CHECK(m.pick.serial == 9 && m.pick.leader == 0, "PICK %u %d", m.pick.serial, m.pick.leader);
                proto_pack_choose_done(&done, 9, PROTO_CHOOSE_POLICY, 4242);
                send_all(fd, &done, sizeof(done));
                proto_pack_chooser_ready(&ready, 3, 1);
                send_all(fd, &ready, sizeof(ready));
                CHECK(recv_valid(fd, &m) == PROTO_UNREGISTER, "no UNREGISTER");
                CHECK(recv_valid(fd, &m) == 0, "no end of file after UNREGISTER");
                break;
        }
        }
        close(fd);
}

static pid_t fake_daemon(const struct fake *f, enum script s)
{
        fflush(NULL);
        pid_t pid = fork();
        CHECK(pid >= 0, "fork: %s", strerror(errno));
        if (pid == 0) {
                run_script(f->lfd, s);
                _exit(EXIT_SUCCESS);
        }
        return pid;
}

static void reap(pid_t pid, const char *what)
{
        int status;

        CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the fake daemon (%s) saw a fault", what);
}

static int connect_against(const struct fake *f, enum script s, const char *what)
{
        struct triage_client *c = NULL;

        pid_t pid = fake_daemon(f, s);
        int r = triage_connect(f->sock_path, "lib-test", NULL, NULL, &c);
        reap(pid, what);
        if (r == 0)
                triage_disconnect(c);
        return r;
}

static void test_connect_errors(const struct fake *f)
{
        struct triage_client *c = NULL;
        char longname[TRIAGE_NAME_MAX + 2];
        char longpath[200];

        CHECK(connect_against(f, SCRIPT_REFUSE, "refuse") == -EUSERS, "a refusal is not -EUSERS");
        CHECK(connect_against(f, SCRIPT_REFUSE_UNREAD, "refuse unread") == -ENOSPC,
              "a refusal with REGISTER unread is not -ENOSPC");
        CHECK(connect_against(f, SCRIPT_HANG_UP, "hang up") == -ECONNRESET, "a hang-up is not -ECONNRESET");
        CHECK(connect_against(f, SCRIPT_GARBAGE, "garbage") == -EBADMSG, "garbage is not -EBADMSG");
        CHECK(connect_against(f, SCRIPT_LEVEL_FIRST, "level first") == -EBADMSG,
              "LEVEL before REGISTERED is not -EBADMSG");

        /* Refused before anything is sent. */
        CHECK(triage_connect("/nonexistent/app.sock", "x", NULL, NULL, &c) == -ENOENT, "no socket");
        memset(longpath, 'p', sizeof(longpath) - 1);
        longpath[0] = '/';
        longpath[sizeof(longpath) - 1] = '\0';
        CHECK(triage_connect(longpath, "x", NULL, NULL, &c) == -ENAMETOOLONG, "long path");
        CHECK(triage_connect(f->sock_path, "bad\nname", NULL, NULL, &c) == -EINVAL,
              "control byte in the name");
        CHECK(triage_connect(f->sock_path, "", NULL, NULL, &c) == -EINVAL, "empty name");
        memset(longname, 'n', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        CHECK(triage_connect(f->sock_path, longname, NULL, NULL, &c) == -ENAMETOOLONG, "name of %zu bytes",
              strlen(longname));
        CHECK(triage_connect(f->sock_path, "x", NULL, NULL, NULL) == -EINVAL, "NULL ret");
        CHECK(triage_get_fd(NULL) == -EINVAL && triage_dispatch(NULL) == -EINVAL, "NULL client");
        triage_disconnect(NULL);
        printf("ok: triage_connect errors\n");
}

struct seen {
        int level_byte;
        uint32_t save_serial;
        uint32_t save_deadline_msec;
        int error_errnum;
        uint16_t error_about;
        uint32_t close_serial;
        uint32_t close_deadline_msec;
        bool gone;
};

static void cb_level(struct triage_client *c, uint8_t level_byte, void *userdata)
{
        struct seen *s = userdata;
        s->level_byte = level_byte;
}

static void cb_save_state(struct triage_client *c, uint32_t serial, uint32_t deadline_msec, void *userdata)
{
        struct seen *s = userdata;

        s->save_serial = serial;
        s->save_deadline_msec = deadline_msec;
        CHECK(triage_reply_saved(c, serial, "bad\x01ref") == -EINVAL, "a state ref with a control byte");
        CHECK(triage_reply_saved(c, serial, "ref-7") == 0, "reply saved");
}

static void cb_error(struct triage_client *c, int errnum, uint16_t about_type, void *userdata)
{
        struct seen *s = userdata;

        s->error_errnum = errnum;
        s->error_about = about_type;
}

static void cb_emergency_close(struct triage_client *c, uint32_t serial, uint32_t deadline_msec,
                               void *userdata)
{
        struct seen *s = userdata;

        s->close_serial = serial;
        s->close_deadline_msec = deadline_msec;
        CHECK(triage_reply_closing(c, serial) == 0, "reply closing");
        /* Freed once triage_dispatch() unwinds, not under its feet. */
        triage_disconnect(c);
        s->gone = true;
}

static void test_session(const struct fake *f)
{
        const struct triage_callbacks cb = {
                .level = cb_level,
                .save_state = cb_save_state,
                .emergency_close = cb_emergency_close,
                .error = cb_error,
        };
        struct seen s = { .level_byte = -1 };
        struct triage_client *c = NULL;

        /* The socket comes from the environment when the path is NULL. */
        CHECK(setenv("TRIAGE_APP_SOCKET", f->sock_path, 1) == 0, "setenv");
        pid_t pid = fake_daemon(f, SCRIPT_SESSION);
        int r = triage_connect(NULL, "lib-test", &cb, &s, &c);
        CHECK(r == 0, "triage_connect: %s", strerror(-r));
        unsetenv("TRIAGE_APP_SOCKET");
        CHECK(triage_get_id(c) == 42, "client id %llu", (unsigned long long)triage_get_id(c));
        int fd = triage_get_fd(c);
        CHECK(fd >= 0, "no fd");
        while (!s.gone) {
                CHECK(wait_readable(fd), "the daemon's messages do not arrive");
                r = triage_dispatch(c);
                CHECK(r == 0, "triage_dispatch: %s", strerror(-r));
        }
        reap(pid, "session");
        CHECK(s.level_byte == 100, "level %d", s.level_byte);
        CHECK(s.save_serial == 7 && s.save_deadline_msec == 5000, "save_state %u %u", s.save_serial,
              s.save_deadline_msec);
        CHECK(s.error_errnum == EPROTO && s.error_about == PROTO_SAVED, "error %d about %u", s.error_errnum,
              s.error_about);
        CHECK(s.close_serial == 8 && s.close_deadline_msec == 3000, "emergency_close %u %u", s.close_serial,
              s.close_deadline_msec);
        printf("ok: a whole session: level, save, error, close, disconnect from a callback\n");
}

struct chooser_seen {
        int level_byte;
        unsigned chooses;
        uint32_t applications;
        uint32_t choosers;
        unsigned readies;
        int error_errnum;
        uint16_t error_about;
        uint32_t done_serial;
        int done_result;
        pid_t done_victim;
};

static void ch_level(struct triage_client *c, uint8_t level_byte, void *userdata)
{
        struct chooser_seen *s = userdata;
        s->level_byte = level_byte;
}

static void ch_ready(struct triage_client *c, uint32_t applications, uint32_t choosers, void *userdata)
{
        struct chooser_seen *s = userdata;

        s->applications = applications;
        s->choosers = choosers;
        s->readies++;
}

static void ch_choose(struct triage_client *c, uint32_t serial, uint32_t deadline_msec,
                      const struct triage_choice *choices, size_t n, void *userdata)
{
        struct chooser_seen *s = userdata;

        s->chooses++;
        CHECK(serial == 9, "CHOOSE %u reached the chooser", serial);
        CHECK(deadline_msec == 10000 && n == 3, "deadline %u, %zu choices", deadline_msec, n);
        for (size_t i = 0; i < n; i++) {
                CHECK(choices[i].leader == fake_choices[i].leader && choices[i].uid == fake_choices[i].uid &&
                              choices[i].memory_kib == fake_choices[i].memory_kib &&
                              choices[i].idle_sec == fake_choices[i].idle_sec &&
                              choices[i].flags == fake_choices[i].flags &&
                              strcmp(choices[i].name, fake_choices[i].name) == 0,
                      "choice %zu differs", i);
        }
        CHECK(choices[0].flags == (TRIAGE_CHOICE_RECOMMENDED | TRIAGE_CHOICE_SAVED) &&
                      choices[2].flags == TRIAGE_CHOICE_FROZEN,
              "flags %#x %#x", choices[0].flags, choices[2].flags);
        CHECK(triage_pick(c, serial, -1) == -EINVAL, "a negative leader");
        CHECK(triage_pick(c, serial, choices[1].leader) == 0, "triage_pick");
}

static void ch_error(struct triage_client *c, int errnum, uint16_t about_type, void *userdata)
{
        struct chooser_seen *s = userdata;

        s->error_errnum = errnum;
        s->error_about = about_type;
        /* The pick was refused: let the policy decide instead. */
        if (about_type == TRIAGE_MESSAGE_PICK)
                CHECK(triage_pick(c, 9, 0) == 0, "triage_pick 0");
}

static void ch_done(struct triage_client *c, uint32_t serial, int result, pid_t victim, void *userdata)
{
        struct chooser_seen *s = userdata;

        s->done_serial = serial;
        s->done_result = result;
        s->done_victim = victim;
}

/* A chooser: CHOOSE is ignored until it registers as one; then the
 * candidates arrive whole, a pick goes out, a refusal comes back as an
 * error, and the end and the fresh counts arrive. */
static void test_chooser(const struct fake *f)
{
        const struct triage_callbacks cb = { .level = ch_level, .error = ch_error };
        const struct triage_chooser_callbacks ccb = { .ready = ch_ready,
                                                      .choose = ch_choose,
                                                      .choose_done = ch_done };
        struct chooser_seen s = { .level_byte = -1 };
        struct triage_client *c = NULL;

        pid_t pid = fake_daemon(f, SCRIPT_CHOOSER);
        int r = triage_connect(f->sock_path, "lib-test", &cb, &s, &c);
        CHECK(r == 0, "triage_connect: %s", strerror(-r));
        while (s.level_byte < 0) {
                CHECK(wait_readable(triage_get_fd(c)), "no LEVEL");
                CHECK(triage_dispatch(c) == 0, "dispatch");
        }
        CHECK(s.chooses == 0, "a CHOOSE reached a client that is not a chooser");
        CHECK(triage_register_chooser(c, NULL) == -EINVAL, "NULL callbacks");
        CHECK(triage_register_chooser(NULL, &ccb) == -EINVAL && triage_pick(NULL, 1, 0) == -EINVAL,
              "NULL client");
        CHECK(triage_register_chooser(c, &ccb) == 0, "triage_register_chooser");
        CHECK(triage_register_chooser(c, &ccb) == -EALREADY, "a second triage_register_chooser");
        while (s.readies < 2) {
                CHECK(wait_readable(triage_get_fd(c)), "the chooser's messages do not arrive");
                r = triage_dispatch(c);
                CHECK(r == 0, "triage_dispatch: %s", strerror(-r));
        }
        CHECK(s.chooses == 1, "%u CHOOSE callbacks", s.chooses);
        CHECK(s.error_errnum == ESRCH && s.error_about == TRIAGE_MESSAGE_PICK, "error %d about %u",
              s.error_errnum, s.error_about);
        CHECK(s.done_serial == 9 && s.done_result == TRIAGE_CHOOSE_POLICY && s.done_victim == 4242,
              "choose_done %u %d %d", s.done_serial, s.done_result, (int)s.done_victim);
        CHECK(s.applications == 3 && s.choosers == 1, "ready %u %u", s.applications, s.choosers);
        triage_disconnect(c);
        reap(pid, "chooser");
        printf("ok: a chooser: ignored before registering, candidates, pick, refusal, end, counts\n");
}

/* A connection that breaks later: dispatch says so, and keeps saying so. */
static void test_dispatch_errors(const struct fake *f, enum script script, int expected, const char *what)
{
        struct triage_client *c = NULL;
        char longref[TRIAGE_STATE_REF_MAX + 2];

        pid_t pid = fake_daemon(f, script);
        int r = triage_connect(f->sock_path, "lib-test", NULL, NULL, &c);
        CHECK(r == 0, "triage_connect: %s", strerror(-r));
        memset(longref, 'r', sizeof(longref) - 1);
        longref[sizeof(longref) - 1] = '\0';
        CHECK(triage_reply_saved(c, 1, longref) == -ENAMETOOLONG, "a state ref of %zu bytes",
              strlen(longref));
        r = 0;
        while (r == 0) {
                CHECK(wait_readable(triage_get_fd(c)), "%s: nothing arrives", what);
                r = triage_dispatch(c);
        }
        CHECK(r == expected, "%s: dispatch returned %s", what, strerror(-r));
        CHECK(triage_dispatch(c) == expected, "%s: the error does not stick", what);
        CHECK(triage_reply_closing(c, 1) == expected, "%s: a reply on a dead client", what);
        triage_disconnect(c);
        reap(pid, what);
        printf("ok: %s -> %s\n", what, strerror(-expected));
}

/* Reads notes' stderr up to the end of a line starting with prefix (the
 * lines before it are passed through). Returns the line in buf. */
static void expect_line(int fd, const char *prefix, char *buf, size_t size)
{
        for (;;) {
                size_t len = 0;
                for (;;) {
                        char ch;
                        CHECK(wait_readable(fd), "notes did not say '%s'", prefix);
                        ssize_t n = read(fd, &ch, 1);
                        CHECK(n == 1, "notes closed its stderr before saying '%s'", prefix);
                        if (ch == '\n')
                                break;
                        if (len + 1 < size)
                                buf[len++] = ch;
                }
                buf[len] = '\0';
                fprintf(stderr, "  %s\n", buf);
                if (strncmp(buf, prefix, strlen(prefix)) == 0)
                        return;
        }
}

static void check_file(const char *path, const char *expected)
{
        char buf[256];

        int fd = open(path, O_RDONLY | O_CLOEXEC);
        CHECK(fd >= 0, "%s: %s", path, strerror(errno));
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        CHECK(n >= 0, "read %s", path);
        buf[n] = '\0';
        CHECK(strcmp(buf, expected) == 0, "%s holds '%s', not '%s'", path, buf, expected);
}

/* notes, the example, end to end: it registers, holds what it read, saves
 * it when asked (atomically, to the file it names in its answer), and on
 * an emergency close saves, answers and exits 0. */
static void test_notes(const struct fake *f, const char *notes)
{
        int in[2], err[2], status;
        union proto_message m;
        char line[512], want[256];

        CHECK(pipe2(in, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0, "pipe");
        fflush(NULL);
        pid_t pid = fork();
        CHECK(pid >= 0, "fork");
        if (pid == 0) {
                dup2(in[0], STDIN_FILENO);
                dup2(err[1], STDERR_FILENO);
                execl(notes, notes, "-s", f->sock_path, "-o", f->notes_path, "-n", "fake-notes",
                      (char *)NULL);
                _exit(127);
        }
        close(in[0]);
        close(err[1]);

        int fd = accept_one(f->lfd);
        CHECK(recv_valid(fd, &m) == PROTO_REGISTER, "notes did not REGISTER first");
        CHECK(strcmp(m.reg.name, "fake-notes") == 0, "notes registered as '%s'", m.reg.name);
        serve_registered(fd, 5);
        expect_line(err[0], "notes: registered", line, sizeof(line));

        const char *text = "first note\nsecond note\n";
        CHECK(write(in[1], text, strlen(text)) == (ssize_t)strlen(text), "write to notes");
        close(in[1]);
        expect_line(err[0], "notes: end of input", line, sizeof(line));
        CHECK(strcmp(line, "notes: end of input, holding 2 lines") == 0, "'%s'", line);

        struct proto_level level;
        proto_pack_level(&level, TRIAGE_LEVEL_MEDIUM, 100);
        send_all(fd, &level, sizeof(level));
        expect_line(err[0], "notes: memory level", line, sizeof(line));
        CHECK(strcmp(line, "notes: memory level 100") == 0, "'%s'", line);

        struct proto_save_state save;
        proto_pack_save_state(&save, 77, 5000);
        send_all(fd, &save, sizeof(save));
        CHECK(recv_valid(fd, &m) == PROTO_SAVED, "notes did not answer SAVED");
        CHECK(m.saved.serial == 77, "SAVED with serial %u", m.saved.serial);
        CHECK(strcmp(m.saved.state_ref, f->notes_path) == 0, "state ref '%s'", m.saved.state_ref);
        snprintf(want, sizeof(want), "notes: saved 2 lines to %s", f->notes_path);
        expect_line(err[0], "notes: saved", line, sizeof(line));
        CHECK(strcmp(line, want) == 0, "'%s'", line);
        check_file(f->notes_path, text);
        snprintf(line, sizeof(line), "%s.tmp", f->notes_path);
        CHECK(access(line, F_OK) < 0 && errno == ENOENT, "%s left behind", line);

        struct proto_emergency_close close_req;
        proto_pack_emergency_close(&close_req, 78, 3000);
        send_all(fd, &close_req, sizeof(close_req));
        CHECK(recv_valid(fd, &m) == PROTO_SAVED && m.saved.serial == 78, "no SAVED before closing");
        CHECK(recv_valid(fd, &m) == PROTO_CLOSING && m.closing.serial == 78, "no CLOSING");
        expect_line(err[0], "notes: closing", line, sizeof(line));
        /* It exits: UNREGISTER or not, the connection ends. */
        uint16_t type;
        while ((type = recv_valid(fd, &m)) != 0)
                CHECK(type == PROTO_UNREGISTER, "%s after CLOSING", proto_type_to_string(type));
        CHECK(waitpid(pid, &status, 0) == pid, "waitpid notes");
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "notes exited with status %d", status);
        check_file(f->notes_path, text);
        close(fd);
        close(err[0]);
        printf("ok: notes registers, saves on request, saves and exits 0 on emergency close\n");
}

int main(int argc, char **argv)
{
        struct fake f;

        if (argc != 2) {
                fprintf(stderr, "usage: app-libtriage NOTES\n");
                return 2;
        }
        /* A test that fails must not be killed by a write to a closed pipe
         * before it can say why. */
        signal(SIGPIPE, SIG_IGN);
        snprintf(f.dir, sizeof(f.dir), "/tmp/triage-lib.XXXXXX");
        CHECK(mkdtemp(f.dir), "mkdtemp: %s", strerror(errno));
        snprintf(f.sock_path, sizeof(f.sock_path), "%s/app.sock", f.dir);
        snprintf(f.notes_path, sizeof(f.notes_path), "%s/notes.txt", f.dir);
        f.lfd = listen_at(f.sock_path);

        test_connect_errors(&f);
        test_session(&f);
        test_chooser(&f);
        test_dispatch_errors(&f, SCRIPT_BAD_LATER, -EBADMSG, "a malformed message after REGISTERED");
        test_dispatch_errors(&f, SCRIPT_CLOSE_LATER, -ECONNRESET, "the daemon hanging up");
        test_notes(&f, argv[1]);

        close(f.lfd);
        unlink(f.sock_path);
        unlink(f.notes_path);
        rmdir(f.dir);
        printf("libtriage: all passed\n");
        return EXIT_SUCCESS;
}
