/* SPDX-License-Identifier: MIT */
/*
 * triagectl choose --notify (see notify.h and triagectl(1)).
 *
 * One poll() loop over the daemon's socket (libtriage), the session bus
 * (sd-bus: its fd, the events and the timeout it asks for) and a signalfd.
 * Nothing in the loop waits: the notification server is called
 * asynchronously, each call with its own timeout, and its answers and
 * signals are handled as they come. Only the start-up blocks: the session
 * bus connection, the server's capabilities and the daemon's registration.
 *
 * The notification server is asked first, so a chooser that cannot offer
 * a choice (no bus, no server, a server without actions) never registers:
 * a registered chooser makes the daemon freeze the application in use and
 * wait for an answer that could not come.
 *
 * Protocol: the Desktop Notifications Specification 1.2. Notify returns
 * the notification's id; ActionInvoked(id, key) and
 * NotificationClosed(id, reason) are signals of the server, matched here
 * against the id and the server's unique name (any client of the session
 * bus can send a signal with that path and interface).
 *
 * Names come from other people's processes: every name is made valid,
 * printable UTF-8 (D-Bus refuses invalid UTF-8, and a control character
 * has no business in a notification), and escaped when the server
 * interprets the body as markup.
 */
#include "notify.h"
#include "chooser-link.h"
#include "text.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <triage.h>

#include "choose.h"
#include "util.h"

#define CHOOSER_NAME "triagectl-notify"

#define NOTIFY_NAME "org.freedesktop.Notifications"
#define NOTIFY_PATH "/org/freedesktop/Notifications"
#define NOTIFY_INTERFACE "org.freedesktop.Notifications"
#define APP_NAME "triage"
#define CHOOSE_SUMMARY "Low memory: pick an application to close"
#define POLICY_KEY "policy"
#define PICK_PREFIX "pick-"

/* Urgency hint values of the specification. */
#define URGENCY_NORMAL 1
#define URGENCY_CRITICAL 2

/* A call to the notification server: a local server answers in
 * milliseconds, and one that hangs must not keep a --once chooser alive
 * (nor a call record busy) for sd-bus's default 25 s. */
#define CALL_TIMEOUT_USEC (5 * USEC_PER_SEC)
/* The start-up calls (GetCapabilities may start the server by D-Bus
 * activation, which takes longer than answering). */
#define START_TIMEOUT_USEC (10 * USEC_PER_SEC)
/* After the deadline, how long to wait for the daemon to say how the
 * choice ended: it says so at once from its loop; this only bounds a
 * daemon that hangs (as in choose.c). */
#define DONE_GRACE_USEC (5 * USEC_PER_SEC)
/* Calls in flight at once: a choice's notification, its closing, its
 * result and a re-offer after a refusal are four; twice that is room for
 * a choice that ends while the previous one's calls are still out. */
#define CALLS_MAX 8
/* A notification's body: NOTIFY_ACTIONS_MAX candidate lines of at most
 * 5 * TRIAGE_NAME_MAX bytes of escaped name and 120 of text, a note, the
 * deadline and a line for the rest: under 1.5 KiB. */
#define BODY_BYTES 4096
#define SUMMARY_BYTES 512
/* A sanitized name: never longer than the name (a bad byte becomes '?'). */
#define SAFE_NAME_BYTES (TRIAGE_NAME_MAX + 1)
/* A bus name (the D-Bus specification's limit is 255 bytes). */
#define BUS_NAME_MAX 256

enum call_kind {
        CALL_CHOICE, /* Notify: the candidates */
        CALL_CLOSE,  /* CloseNotification: the choice's notification */
        CALL_RESULT, /* Notify: how the choice ended ("Closing gimp") */
        CALL_KILLED, /* Notify: what was closed, and why */
};

struct notifier;

/* A method call to the server waiting for its reply. */
struct call {
        struct notifier *nt;
        sd_bus_slot *slot; /* NULL: this record is free */
        enum call_kind kind;
        uint32_t serial; /* the choice it is about */
};

/* A growing text that is never cut inside a UTF-8 sequence: a piece that
 * does not fit is left out whole. */
struct text {
        char s[BODY_BYTES];
        size_t len;
};

struct notifier {
        bool once;
        struct chooser_link link; /* the daemon, the signals */
        sd_bus *bus;
        sd_bus_slot *action_match;
        sd_bus_slot *closed_match;
        bool markup; /* the server reads the body as markup */

        struct call calls[CALLS_MAX];

        /* The current (or last) choice. */
        bool open; /* between CHOOSE and CHOOSE_DONE */
        uint32_t serial;
        struct triage_choice choices[TRIAGE_CHOICES_MAX];
        size_t n;
        uint64_t deadline_usec;    /* CLOCK_MONOTONIC */
        bool answered;             /* an answer was sent and not refused */
        pid_t answer;              /* the leader picked, 0: the policy */
        bool expired;              /* the deadline passed, said so */
        uint32_t shown_id;         /* its notification, open on the server; 0: none */
        char server[BUS_NAME_MAX]; /* the unique name that showed it */
        char note[SUMMARY_BYTES];  /* why it is offered again */

        /* The notification saying which application is being closed: the
         * one saying it was closed, and why, replaces it. */
        pid_t closing_pid;
        uint32_t closing_id; /* 0 until the server answers */
        bool closing_shown;  /* the server answered (or failed) */
        bool kill_waiting;   /* its KILLED came first: shown on the answer */
        struct triage_kill kill;

        bool finishing; /* once: the choice ended, leave when the calls are done */
        bool quit;
        int exit_status;
        char error[SUMMARY_BYTES]; /* why the chooser stops, for stderr */
};

static const char *str_or(const char *s, const char *fallback)
{
        return s ? s : fallback;
}

static uint64_t now_mono_usec(void)
{
        return now_usec(CLOCK_MONOTONIC);
}

static void finish(struct notifier *nt, int status)
{
        if (nt->quit)
                return;
        nt->quit = true;
        nt->exit_status = status;
}

static void __attribute__((format(printf, 2, 3))) fail(struct notifier *nt, const char *fmt, ...)
{
        va_list ap;

        if (nt->quit)
                return;
        va_start(ap, fmt);
        vsnprintf(nt->error, sizeof(nt->error), fmt, ap);
        va_end(ap);
        finish(nt, CHOOSE_EXIT_ERROR);
}

static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
}

/* A candidate's name as shown: sanitized, "pid N" when empty. */
static const char *display_name(const struct triage_choice *c, char *buf, size_t size)
{
        text_sanitize(c->name, buf, size);
        if (!buf[0])
                snprintf(buf, size, "pid %d", (int)c->leader);
        return buf;
}

static const char *format_idle(uint64_t sec, char *buf, size_t size)
{
        if (sec < 5)
                snprintf(buf, size, "in use now");
        else if (sec < 60)
                snprintf(buf, size, "last used %" PRIu64 " s ago", sec);
        else if (sec < 3600)
                snprintf(buf, size, "last used %" PRIu64 " min ago", sec / 60);
        else if (sec < 2 * 86400)
                snprintf(buf, size, "last used %" PRIu64 " h ago", sec / 3600);
        else
                snprintf(buf, size, "last used %" PRIu64 " days ago", sec / 86400);
        return buf;
}

static void __attribute__((format(printf, 2, 3))) text_add(struct text *t, const char *fmt, ...)
{
        char piece[BODY_BYTES];
        va_list ap;

        va_start(ap, fmt);
        int n = vsnprintf(piece, sizeof(piece), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof(piece) || t->len + (size_t)n >= sizeof(t->s))
                return;
        memcpy(t->s + t->len, piece, (size_t)n + 1);
        t->len += (size_t)n;
}

/* Sanitized text (a name, a sentence with a name in it), escaped if the
 * server reads markup; a UTF-8 sequence that does not fit is left out. */
static void text_add_safe(struct text *t, const char *safe, bool markup)
{
        const char *p = safe;

        while (*p) {
                unsigned char b = (unsigned char)*p;
                if (markup && (b == '&' || b == '<' || b == '>')) {
                        text_add(t, "%s", b == '&' ? "&amp;" : b == '<' ? "&lt;" : "&gt;");
                        p++;
                        continue;
                }
                size_t len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
                len = strnlen(p, len);
                if (t->len + len >= sizeof(t->s))
                        return;
                memcpy(t->s + t->len, p, len);
                t->len += len;
                t->s[t->len] = '\0';
                p += len;
        }
}

static const struct triage_choice *find_choice(const struct notifier *nt, pid_t leader)
{
        for (size_t i = 0; i < nt->n; i++)
                if (nt->choices[i].leader == leader)
                        return &nt->choices[i];
        return NULL;
}

/* ---- calls to the server ---- */

static size_t calls_pending(const struct notifier *nt)
{
        size_t n = 0;

        for (size_t i = 0; i < CALLS_MAX; i++)
                n += nt->calls[i].slot != NULL;
        return n;
}

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error);
static void show_killed(struct notifier *nt, const struct triage_kill *k);

/* Sends m asynchronously; the reply goes to on_reply() with its record. */
static int call_send(struct notifier *nt, sd_bus_message *m, enum call_kind kind, uint32_t serial)
{
        struct call *c = NULL;

        for (size_t i = 0; i < CALLS_MAX && !c; i++)
                if (!nt->calls[i].slot)
                        c = &nt->calls[i];
        if (!c)
                return -EBUSY;
        c->nt = nt;
        c->kind = kind;
        c->serial = serial;
        return sd_bus_call_async(nt->bus, &c->slot, m, on_reply, c, CALL_TIMEOUT_USEC);
}

/*
 * Notify(app_name, replaces_id, icon, summary, body, actions, hints,
 * expire_timeout): actions alternate keys and labels (n_actions strings).
 */
static int notify_send(struct notifier *nt, enum call_kind kind, uint32_t replaces_id, const char *icon,
                       const char *summary, const char *body, const char *const *actions, size_t n_actions,
                       uint8_t urgency, int32_t expire_msec)
{
        sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(nt->bus, &m, NOTIFY_NAME, NOTIFY_PATH, NOTIFY_INTERFACE, "Notify");
        if (r >= 0)
                r = sd_bus_message_append(m, "susss", APP_NAME, replaces_id, icon, summary, body);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "s");
        for (size_t i = 0; r >= 0 && i < n_actions; i++)
                r = sd_bus_message_append(m, "s", actions[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 1, "urgency", "y", urgency);
        if (r >= 0)
                r = sd_bus_message_append(m, "i", expire_msec);
        if (r >= 0)
                r = call_send(nt, m, kind, nt->serial);
        sd_bus_message_unref(m);
        return r;
}

static void close_send(struct notifier *nt, uint32_t id)
{
        sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(nt->bus, &m, NOTIFY_NAME, NOTIFY_PATH, NOTIFY_INTERFACE,
                                           "CloseNotification");
        if (r >= 0)
                r = sd_bus_message_append(m, "u", id);
        if (r >= 0)
                r = call_send(nt, m, CALL_CLOSE, nt->serial);
        sd_bus_message_unref(m);
        if (r < 0)
                fprintf(stderr, "triagectl: cannot close notification %" PRIu32 ": %s\n", id, strerror(-r));
}

/* Shows the current choice (again, after a refusal: replacing the
 * notification if it is still up, with the note on top). */
static void offer(struct notifier *nt)
{
        char names[NOTIFY_ACTIONS_MAX][SAFE_NAME_BYTES];
        char keys[NOTIFY_ACTIONS_MAX][32];
        char labels[NOTIFY_ACTIONS_MAX][sizeof(names) + 40];
        const char *actions[2 * (NOTIFY_ACTIONS_MAX + 1)];
        char mem[32], idle[48], clock[16];
        struct text body_text = { .len = 0 }, *body = &body_text;
        size_t n_actions = 0, shown = MIN(nt->n, (size_t)NOTIFY_ACTIONS_MAX);
        uint64_t now = now_mono_usec();
        uint64_t left_msec = nt->deadline_usec > now ? (nt->deadline_usec - now) / USEC_PER_MSEC : 0;

        if (nt->note[0]) {
                text_add_safe(body, nt->note, nt->markup);
                text_add(body, "\n\n");
        }
        for (size_t i = 0; i < shown; i++) {
                const struct triage_choice *c = &nt->choices[i];
                display_name(c, names[i], sizeof(names[i]));
                format_kib(c->memory_kib, mem, sizeof(mem));
                text_add(body, "%zu. ", i + 1);
                text_add_safe(body, names[i], nt->markup);
                text_add(body, ": %s, %s%s%s%s\n", mem, format_idle(c->idle_sec, idle, sizeof(idle)),
                         c->flags & TRIAGE_CHOICE_SAVED ? ", state saved" : "",
                         c->flags & TRIAGE_CHOICE_FROZEN ? ", frozen" : "",
                         c->flags & TRIAGE_CHOICE_RECOMMENDED ? " (triage's choice)" : "");
                snprintf(keys[i], sizeof(keys[i]), PICK_PREFIX "%d", (int)c->leader);
                snprintf(labels[i], sizeof(labels[i]), "%s (%s)", names[i], mem);
                actions[n_actions++] = keys[i];
                actions[n_actions++] = labels[i];
        }
        if (nt->n > shown)
                text_add(body, "and %zu more (triagectl choose in a terminal offers them all)\n",
                         nt->n - shown);
        actions[n_actions++] = POLICY_KEY;
        actions[n_actions++] = "Let triage decide";

        /* The countdown: a notification does not tick, so the time left
         * and the clock time it ends. */
        time_t end = time(NULL) + (time_t)((left_msec + 999) / 1000);
        struct tm tm;
        if (!localtime_r(&end, &tm) || strftime(clock, sizeof(clock), "%H:%M:%S", &tm) == 0)
                clock[0] = '\0';
        text_add(body, "\nAnswer within %" PRIu64 " s%s%s%s, or triage's policy decides.",
                 (left_msec + 999) / 1000, clock[0] ? " (by " : "", clock, clock[0] ? ")" : "");

        int r = notify_send(nt, CALL_CHOICE, nt->shown_id, "dialog-warning", CHOOSE_SUMMARY, body->s, actions,
                            n_actions, URGENCY_CRITICAL,
                            /* 0 would mean "never expires" */
                            (int32_t)MAX(MIN(left_msec, (uint64_t)INT32_MAX), 1));
        if (r < 0) {
                fprintf(stderr, "triagectl: cannot show the notification: %s: the policy decides\n",
                        strerror(-r));
                return;
        }
        say("memory is critical: offering %zu of %zu candidates (serial %" PRIu32 ", answer within %" PRIu64
            " s)",
            shown, nt->n, nt->serial, (left_msec + 999) / 1000);
}

static void on_choice_shown(struct notifier *nt, const struct call *c, sd_bus_message *reply)
{
        uint32_t id;
        int r = sd_bus_message_read(reply, "u", &id);

        if (r < 0) {
                fprintf(stderr, "triagectl: the notification server answered Notify with '%s'\n",
                        str_or(sd_bus_message_get_signature(reply, true), "nothing"));
                return;
        }
        if (!nt->open || c->serial != nt->serial) {
                /* The choice ended before the notification was up. */
                close_send(nt, id);
                return;
        }
        nt->shown_id = id;
        snprintf(nt->server, sizeof(nt->server), "%s", str_or(sd_bus_message_get_sender(reply), ""));
        say("notification %" PRIu32 " shown", id);
}

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct call *c = userdata;
        struct notifier *nt = c->nt;
        struct call done = *c;

        c->slot = sd_bus_slot_unref(c->slot);
        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);
                fprintf(stderr, "triagectl: the notification server failed %s: %s\n",
                        done.kind == CALL_CLOSE ? "CloseNotification" : "Notify",
                        e && e->message ? e->message
                        : e && e->name  ? e->name
                                        : "an error");
        } else if (done.kind == CALL_CHOICE) {
                on_choice_shown(nt, &done, reply);
        } else if (done.kind == CALL_RESULT && sd_bus_message_read(reply, "u", &nt->closing_id) < 0) {
                nt->closing_id = 0;
        }
        if (done.kind == CALL_RESULT) {
                nt->closing_shown = true;
                if (nt->kill_waiting) {
                        nt->kill_waiting = false;
                        show_killed(nt, &nt->kill);
                }
        }
        return 0;
}

/* ---- signals of the server ---- */

/* A signal about the choice's notification, from the server that showed
 * it? */
static bool about_choice(const struct notifier *nt, sd_bus_message *m, uint32_t id)
{
        const char *sender = sd_bus_message_get_sender(m);

        return nt->shown_id != 0 && id == nt->shown_id && sender && strcmp(sender, nt->server) == 0;
}

/* Sends the answer: leader, or 0 for the policy. */
static void answer(struct notifier *nt, pid_t leader)
{
        char name[SAFE_NAME_BYTES];

        int r = triage_pick(nt->link.client, nt->serial, leader);
        if (r < 0) {
                fprintf(stderr, "triagectl: cannot send the answer to triaged: %s\n", strerror(-r));
                return;
        }
        nt->answered = true;
        nt->answer = leader;
        const struct triage_choice *c = leader ? find_choice(nt, leader) : NULL;
        if (c)
                say("asked triaged to close %s (pid %d)", display_name(c, name, sizeof(name)), (int)leader);
        else
                say("left the choice to the policy");
}

static int on_action_invoked(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct notifier *nt = userdata;
        const char *key;
        uint32_t id;
        int leader;

        if (sd_bus_message_read(m, "us", &id, &key) < 0 || !about_choice(nt, m, id))
                return 0;
        if (!nt->open || nt->answered)
                return 0;
        if (strcmp(key, POLICY_KEY) == 0) {
                answer(nt, 0);
                return 0;
        }
        /* Only a leader that was offered: the key came over the bus. */
        if (strncmp(key, PICK_PREFIX, strlen(PICK_PREFIX)) == 0 &&
            parse_int(key + strlen(PICK_PREFIX), &leader) == 0 && leader > 0 && find_choice(nt, leader))
                answer(nt, leader);
        /* Anything else ("default": the body was clicked) is no answer. */
        return 0;
}

static int on_notification_closed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct notifier *nt = userdata;
        uint32_t id, reason;

        if (sd_bus_message_read(m, "uu", &id, &reason) < 0 || !about_choice(nt, m, id))
                return 0;
        nt->shown_id = 0;
        if (nt->open && !nt->answered)
                say("notification %" PRIu32
                    " closed without an answer (%s): the policy decides at the deadline",
                    id,
                    reason == 1   ? "expired"
                    : reason == 2 ? "dismissed"
                    : reason == 3 ? "closed"
                                  : "undefined reason");
        return 0;
}

/* ---- libtriage callbacks ---- */

/* A registered client like any other: if the daemon wants it closed, it
 * goes (and it has nothing to save: chooser_link_save_state). The memory
 * level is of no use here. */
static void on_emergency_close(struct triage_client *client, uint32_t serial, uint32_t deadline_msec,
                               void *userdata)
{
        (void)triage_reply_closing(client, serial);
        fail(userdata, "triaged asked this chooser to close");
}

static void on_error(struct triage_client *client, int errnum, uint16_t about_type, void *userdata)
{
        struct notifier *nt = userdata;
        char name[SAFE_NAME_BYTES];

        if (about_type == TRIAGE_MESSAGE_CHOOSER) {
                fail(nt, "triaged refused this chooser: %s", strerror(errnum));
                return;
        }
        if (about_type != TRIAGE_MESSAGE_PICK) {
                fprintf(stderr, "triagectl: triaged refused a message: %s\n", strerror(errnum));
                return;
        }
        if (!nt->open || !nt->answered)
                return; /* about a choice that is over */
        nt->answered = false;
        if (errnum == EPROTO || now_mono_usec() >= nt->deadline_usec) {
                say("too late: the policy decides");
                return;
        }
        /* Offer the others again, without the refused one. */
        const struct triage_choice *c = nt->answer ? find_choice(nt, nt->answer) : NULL;
        if (!c) {
                snprintf(nt->note, sizeof(nt->note), "triage refused the answer (%s): answer again.",
                         strerror(errnum));
        } else {
                display_name(c, name, sizeof(name));
                if (errnum == ESRCH)
                        snprintf(nt->note, sizeof(nt->note), "%s is no longer a candidate: pick another.",
                                 name);
                else if (errnum == EPERM)
                        snprintf(nt->note, sizeof(nt->note), "%s is not yours to close: pick another.", name);
                else
                        snprintf(nt->note, sizeof(nt->note), "triage refused %s (%s): pick another.", name,
                                 strerror(errnum));
                size_t i = (size_t)(c - nt->choices);
                memmove(&nt->choices[i], &nt->choices[i + 1], (nt->n - i - 1) * sizeof(nt->choices[0]));
                nt->n--;
        }
        say("%s", nt->note);
        offer(nt);
}

static void on_ready(struct triage_client *client, uint32_t applications, uint32_t choosers, void *userdata)
{
        struct notifier *nt = userdata;

        if (!nt->open && !nt->finishing)
                say("waiting for memory pressure (%" PRIu32 " registered application%s)", applications,
                    applications == 1 ? "" : "s");
}

static void on_choose(struct triage_client *client, uint32_t serial, uint32_t deadline_msec,
                      const struct triage_choice *choices, size_t n, void *userdata)
{
        struct notifier *nt = userdata;

        if (nt->quit || nt->finishing)
                return;
        if (nt->shown_id)
                close_send(nt, nt->shown_id); /* a choice that never ended */
        n = MIN(n, (size_t)TRIAGE_CHOICES_MAX);
        memcpy(nt->choices, choices, n * sizeof(*choices));
        nt->n = n;
        nt->serial = serial;
        nt->open = true;
        nt->deadline_usec = now_mono_usec() + (uint64_t)deadline_msec * USEC_PER_MSEC;
        nt->answered = false;
        nt->answer = 0;
        nt->expired = false;
        nt->shown_id = 0;
        nt->note[0] = '\0';
        offer(nt);
}

/* "Closing gimp: picked by you" and a line of detail. What was closed in
 * the end, and why, follows when it is gone (on_killed). */
static void describe_result(const struct notifier *nt, bool known, int result, pid_t victim, char *summary,
                            char *body, size_t size)
{
        const struct triage_choice *c = known ? find_choice(nt, victim) : NULL;
        char name[SAFE_NAME_BYTES], mem[32];
        const char *why;

        body[0] = '\0';
        if (result == TRIAGE_CHOOSE_CANCELLED) {
                snprintf(summary, size, "Nothing closed: memory came back");
                return;
        }
        if (!victim) {
                snprintf(summary, size, "Nothing closed: no candidate was left");
                return;
        }
        if (c)
                display_name(c, name, sizeof(name));
        else
                snprintf(name, sizeof(name), "pid %d", (int)victim);
        switch (result) {
        case TRIAGE_CHOOSE_PICKED:
                why = known && nt->answered && nt->answer == victim ? "picked by you"
                                                                    : "picked by another chooser";
                break;
        case TRIAGE_CHOOSE_POLICY:
                why = "the policy decided (you left it to triage)";
                break;
        case TRIAGE_CHOOSE_TIMEOUT:
                why = "the policy decided (no answer)";
                break;
        case TRIAGE_CHOOSE_FLOOR:
                why = "memory ran out (the policy decided)";
                break;
        default:
                why = "the policy decided";
                break;
        }
        snprintf(summary, size, "Closing %s: %s", name, why);
        if (c)
                snprintf(body, size, "It used about %s (pid %d)%s.",
                         format_kib(c->memory_kib, mem, sizeof(mem)), (int)victim,
                         c->flags & TRIAGE_CHOICE_SAVED ? " and had saved its state" : "");
}

static void on_choose_done(struct triage_client *client, uint32_t serial, int result, pid_t victim,
                           void *userdata)
{
        struct notifier *nt = userdata;
        char summary[SUMMARY_BYTES], body[SUMMARY_BYTES];
        struct text t = { .len = 0 };
        bool known = nt->open && serial == nt->serial;

        if (known && nt->shown_id)
                close_send(nt, nt->shown_id);
        describe_result(nt, known, result, victim, summary, body, sizeof(summary));
        say("%s", summary);
        text_add_safe(&t, body, nt->markup);
        nt->closing_pid = victim;
        nt->closing_id = 0;
        nt->closing_shown = false;
        nt->kill_waiting = false;
        int r = notify_send(nt, CALL_RESULT, 0, "dialog-information", summary, t.s, NULL, 0, URGENCY_NORMAL,
                            -1);
        if (r < 0) {
                fprintf(stderr, "triagectl: cannot show the result: %s\n", strerror(-r));
                nt->closing_shown = true; /* no answer will come: nothing to wait for */
        }
        bool answered = known && nt->answered;
        nt->open = false;
        nt->shown_id = 0;
        if (nt->once) {
                nt->finishing = true;
                nt->exit_status = answered ? CHOOSE_EXIT_OK : CHOOSE_EXIT_NO_ANSWER;
        }
}

/* An application was closed (chosen here, elsewhere, or by the policy
 * alone): say what and why, in place of the "Closing" notification when
 * this chooser showed one for it. */
static void show_killed(struct notifier *nt, const struct triage_kill *k)
{
        char summary[SUMMARY_BYTES], reason[SUMMARY_BYTES];
        struct text t = { .len = 0 };

        text_kill_title(k, summary, sizeof(summary));
        text_kill_reason(k, reason, sizeof(reason));
        say("%s (pid %d): %s", summary, (int)k->pid, reason);
        text_add_safe(&t, reason, nt->markup);
        uint32_t replaces = 0;
        if (k->pid == nt->closing_pid) {
                replaces = nt->closing_id;
                nt->closing_pid = 0;
        }
        int r = notify_send(nt, CALL_KILLED, replaces, "dialog-information", summary, t.s, NULL, 0,
                            URGENCY_NORMAL, -1);
        if (r < 0)
                fprintf(stderr, "triagectl: cannot say what was closed: %s\n", strerror(-r));
}

static void on_killed(struct triage_client *client, const struct triage_kill *k, void *userdata)
{
        struct notifier *nt = userdata;

        if (nt->quit)
                return;
        /* The "Closing" notification it replaces is not up yet: wait for
         * the server's answer (it comes within CALL_TIMEOUT_USEC). */
        if (k->pid == nt->closing_pid && !nt->closing_shown) {
                nt->kill = *k;
                nt->kill_waiting = true;
                return;
        }
        show_killed(nt, k);
}

/* ---- the loop ---- */

/* A choice whose deadline passed: the policy decides; a daemon that does
 * not say how it ended is given up on after DONE_GRACE_USEC. */
static void check_deadline(struct notifier *nt, uint64_t now)
{
        if (!nt->open)
                return;
        if (!nt->expired && !nt->answered && now >= nt->deadline_usec) {
                nt->expired = true;
                say("no answer in time: the policy decides");
        }
        if (now >= nt->deadline_usec + DONE_GRACE_USEC) {
                say("triaged did not say how the choice ended");
                if (nt->shown_id)
                        close_send(nt, nt->shown_id);
                bool answered = nt->answered;
                nt->open = false;
                nt->shown_id = 0;
                if (nt->once) {
                        nt->finishing = true;
                        nt->exit_status = answered ? CHOOSE_EXIT_OK : CHOOSE_EXIT_NO_ANSWER;
                }
        }
}

/* Milliseconds until the earliest of the bus's timeout and ours (-1:
 * none), rounded up so that the wake-up is not early. */
static int poll_timeout(const struct notifier *nt, uint64_t now)
{
        uint64_t until = UINT64_MAX, bus_until;

        if (sd_bus_get_timeout(nt->bus, &bus_until) >= 0)
                until = bus_until;
        if (nt->open) {
                uint64_t t = nt->expired || nt->answered ? nt->deadline_usec + DONE_GRACE_USEC
                                                         : nt->deadline_usec;
                until = MIN(until, t);
        }
        if (until == UINT64_MAX)
                return -1;
        if (until <= now)
                return 0;
        uint64_t msec = (until - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC;
        return msec > INT32_MAX ? INT32_MAX : (int)msec;
}

static void loop(struct notifier *nt)
{
        int tfd = triage_get_fd(nt->link.client);
        int bfd = sd_bus_get_fd(nt->bus);

        while (!nt->quit) {
                int r;
                /* Everything sd-bus has read or can do before waiting. */
                while ((r = sd_bus_process(nt->bus, NULL)) > 0 && !nt->quit)
                        ;
                if (r < 0)
                        fail(nt, "lost the session bus: %s", strerror(-r));
                if (nt->quit)
                        break;
                if (nt->finishing && calls_pending(nt) == 0) {
                        finish(nt, nt->exit_status);
                        break;
                }
                int events = sd_bus_get_events(nt->bus);
                if (events < 0) {
                        fail(nt, "lost the session bus: %s", strerror(-events));
                        break;
                }
                /* Once finishing, only the server's last answers matter. */
                struct pollfd p[3] = {
                        { .fd = nt->finishing ? -1 : tfd, .events = POLLIN },
                        { .fd = bfd, .events = (short)events },
                        { .fd = nt->link.signal_fd, .events = POLLIN },
                };
                if (poll(p, 3, poll_timeout(nt, now_mono_usec())) < 0) {
                        if (errno == EINTR)
                                continue;
                        fail(nt, "poll: %s", strerror(errno));
                        break;
                }
                if (p[2].revents) {
                        struct signalfd_siginfo si;
                        if (read(nt->link.signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                                if (nt->open && !nt->answered)
                                        say("left without answering: the policy decides");
                                finish(nt,
                                       nt->once && !nt->answered ? CHOOSE_EXIT_NO_ANSWER : CHOOSE_EXIT_OK);
                                break;
                        }
                }
                if (p[0].revents) {
                        r = triage_dispatch(nt->link.client);
                        if (r < 0) {
                                fail(nt, "lost the connection to triaged: %s", strerror(-r));
                                break;
                        }
                }
                check_deadline(nt, now_mono_usec());
        }
}

/* The server's name and version, for the log; nothing depends on it. */
static void describe_server(struct notifier *nt)
{
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *name, *vendor, *version, *spec;

        if (sd_bus_call_method(nt->bus, NOTIFY_NAME, NOTIFY_PATH, NOTIFY_INTERFACE, "GetServerInformation",
                               &e, &reply, "") >= 0 &&
            sd_bus_message_read(reply, "ssss", &name, &vendor, &version, &spec) >= 0) {
                char safe[BUS_NAME_MAX], safe_version[64];
                text_sanitize(name, safe, sizeof(safe));
                text_sanitize(version, safe_version, sizeof(safe_version));
                say("notifications through %s %s%s", safe, safe_version, nt->markup ? " (body markup)" : "");
        }
        sd_bus_message_unref(reply);
        sd_bus_error_free(&e);
}

/* Connects to the session bus and checks that a notification server with
 * actions is there. Blocks (start-up only). */
static int bus_setup(struct notifier *nt)
{
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        bool actions = false;
        const char *cap;
        int r;

        r = sd_bus_open_user(&nt->bus);
        if (r < 0) {
                const char *addr = getenv("DBUS_SESSION_BUS_ADDRESS");
                fail(nt, "no session bus (%s): %s",
                     addr && addr[0] ? addr : "DBUS_SESSION_BUS_ADDRESS is not set", strerror(-r));
                return r;
        }
        (void)sd_bus_set_method_call_timeout(nt->bus, START_TIMEOUT_USEC);
        /* Capabilities first: the call also starts a server that is
         * D-Bus-activated, and fails if there is none. */
        r = sd_bus_call_method(nt->bus, NOTIFY_NAME, NOTIFY_PATH, NOTIFY_INTERFACE, "GetCapabilities", &e,
                               &reply, "");
        if (r < 0) {
                if (sd_bus_error_has_name(&e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                    sd_bus_error_has_name(&e, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                        fail(nt, "no notification server: nothing owns " NOTIFY_NAME " on the session bus");
                else
                        fail(nt, "the notification server does not answer: %s",
                             e.message ? e.message : strerror(-r));
                goto out;
        }
        r = sd_bus_message_enter_container(reply, 'a', "s");
        while (r >= 0 && (r = sd_bus_message_read(reply, "s", &cap)) > 0) {
                actions |= strcmp(cap, "actions") == 0;
                nt->markup |= strcmp(cap, "body-markup") == 0;
        }
        if (r < 0) {
                fail(nt, "the notification server's capabilities are malformed: %s", strerror(-r));
                goto out;
        }
        if (!actions) {
                fail(nt, "the notification server does not support actions, so it cannot offer a choice "
                         "(use triagectl choose in a terminal)");
                r = -EOPNOTSUPP;
                goto out;
        }
        describe_server(nt);
        r = sd_bus_match_signal(nt->bus, &nt->action_match, NULL, NOTIFY_PATH, NOTIFY_INTERFACE,
                                "ActionInvoked", on_action_invoked, nt);
        if (r >= 0)
                r = sd_bus_match_signal(nt->bus, &nt->closed_match, NULL, NOTIFY_PATH, NOTIFY_INTERFACE,
                                        "NotificationClosed", on_notification_closed, nt);
        if (r < 0)
                fail(nt, "cannot listen to the notification server: %s", strerror(-r));
out:
        sd_bus_message_unref(reply);
        sd_bus_error_free(&e);
        return r < 0 ? r : 0;
}

/* Leaving: the choice's notification goes too. The call waits (at most
 * CALL_TIMEOUT_USEC): nothing else is left to do, and a notification
 * offering a choice nobody listens to any more must not stay up. */
static void bus_teardown(struct notifier *nt)
{
        if (!nt->bus)
                return;
        if (nt->shown_id) {
                (void)sd_bus_set_method_call_timeout(nt->bus, CALL_TIMEOUT_USEC);
                (void)sd_bus_call_method(nt->bus, NOTIFY_NAME, NOTIFY_PATH, NOTIFY_INTERFACE,
                                         "CloseNotification", NULL, NULL, "u", nt->shown_id);
        }
        for (size_t i = 0; i < CALLS_MAX; i++)
                nt->calls[i].slot = sd_bus_slot_unref(nt->calls[i].slot);
        nt->action_match = sd_bus_slot_unref(nt->action_match);
        nt->closed_match = sd_bus_slot_unref(nt->closed_match);
        nt->bus = sd_bus_flush_close_unref(nt->bus);
}

int choose_notify_run(const char *app_socket, bool once)
{
        const struct triage_callbacks cb = {
                .save_state = chooser_link_save_state,
                .emergency_close = on_emergency_close,
                .error = on_error,
        };
        const struct triage_chooser_callbacks ccb = {
                .ready = on_ready,
                .choose = on_choose,
                .choose_done = on_choose_done,
                .killed = on_killed,
        };

        struct notifier *nt = calloc(1, sizeof(*nt));
        if (!nt) {
                fprintf(stderr, "triagectl: out of memory\n");
                return CHOOSE_EXIT_ERROR;
        }
        nt->once = once;
        chooser_link_init(&nt->link, app_socket);

        /* The server first: see the top of this file. */
        if (bus_setup(nt) < 0 ||
            chooser_link_open(&nt->link, CHOOSER_NAME, &cb, &ccb, nt, nt->error, sizeof(nt->error)) < 0 ||
            chooser_link_catch_signals(&nt->link, NULL, nt->error, sizeof(nt->error)) < 0) {
                finish(nt, CHOOSE_EXIT_ERROR);
                goto out;
        }
        say("registering with triaged at %s as a chooser", nt->link.socket_path);
        loop(nt);
out:
        bus_teardown(nt);
        chooser_link_close(&nt->link);
        if (nt->error[0])
                fprintf(stderr, "triagectl: %s\n", nt->error);
        int status = nt->exit_status;
        free(nt);
        return status;
}
