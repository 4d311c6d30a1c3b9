/* SPDX-License-Identifier: MIT */
/*
 * A fake desktop notification server for tests/integration/notify.sh. It
 * owns org.freedesktop.Notifications on the session bus
 * (DBUS_SESSION_BUS_ADDRESS) and records every call in RECORD, flushed
 * before the call is answered:
 *   notify ID replaces RID app APP icon ICON urgency U expire MSEC
 *   summary SUMMARY
 *   body LINE            (one per line of the body)
 *   action KEY LABEL     (one per action)
 *   end
 *   close ID             (CloseNotification)
 * Each Notify with actions is answered, then, in order: with --invoke KEY
 * (repeatable, one KEY per such Notify) ActionInvoked(id, KEY) and
 * NotificationClosed(id, 2), as a person clicking a button; with
 * --dismiss NotificationClosed(id, 2) alone; with neither the notification
 * stays up until CloseNotification (which answers NotificationClosed(id,
 * 3)). Notifications never expire by themselves here.
 * Capabilities: actions, body, and with --markup body-markup; --no-actions
 * leaves actions out.
 *
 * Prints "owning org.freedesktop.Notifications" when it has the name and
 * runs until killed or until the bus goes away.
 *
 * Usage: fake-notifyd RECORD [--invoke KEY]... [--dismiss] [--markup] [--no-actions]
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#define NOTIFY_NAME "org.freedesktop.Notifications"
#define NOTIFY_PATH "/org/freedesktop/Notifications"
#define NOTIFY_INTERFACE "org.freedesktop.Notifications"

#define INVOKE_MAX 8
#define OPEN_MAX 64

struct server {
        FILE *record;
        const char *invoke[INVOKE_MAX];
        size_t n_invoke, next_invoke;
        bool dismiss, markup, actions;
        uint32_t last_id;
        uint32_t open[OPEN_MAX]; /* ids shown and not closed */
        size_t n_open;
};

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "fake-notifyd: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(EXIT_FAILURE);
}

static bool is_open(const struct server *s, uint32_t id)
{
        for (size_t i = 0; i < s->n_open; i++)
                if (s->open[i] == id)
                        return true;
        return false;
}

static void set_closed(struct server *s, uint32_t id)
{
        for (size_t i = 0; i < s->n_open; i++) {
                if (s->open[i] == id) {
                        s->open[i] = s->open[--s->n_open];
                        return;
                }
        }
}

static int closed_signal(sd_bus *bus, uint32_t id, uint32_t reason)
{
        return sd_bus_emit_signal(bus, NOTIFY_PATH, NOTIFY_INTERFACE, "NotificationClosed", "uu", id, reason);
}

static int method_notify(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct server *s = userdata;
        const char *app, *icon, *summary, *body, *key, *label, *hint;
        uint32_t replaces, id;
        int32_t expire;
        int urgency = -1;
        size_t n_actions = 0;
        int r;

        r = sd_bus_message_read(m, "susss", &app, &replaces, &icon, &summary, &body);
        if (r < 0)
                return r;
        /* As the specification says: replacing an open notification keeps
         * its id; anything else is a new one. */
        id = replaces && is_open(s, replaces) ? replaces : ++s->last_id;
        fprintf(s->record, "notify %u replaces %u app %s icon %s", id, replaces, app, icon);
        r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return r;
        char actions[4096];
        size_t alen = 0;
        actions[0] = '\0';
        while ((r = sd_bus_message_read(m, "s", &key)) > 0) {
                r = sd_bus_message_read(m, "s", &label);
                if (r <= 0)
                        return sd_bus_error_set(ret_error, SD_BUS_ERROR_INVALID_ARGS,
                                                "an action without a label");
                int n = snprintf(actions + alen, sizeof(actions) - alen, "action %s %s\n", key, label);
                if (n > 0)
                        alen = alen + (size_t)n < sizeof(actions) ? alen + (size_t)n : sizeof(actions) - 1;
                n_actions++;
        }
        if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &hint);
                if (r < 0)
                        return r;
                if (strcmp(hint, "urgency") == 0) {
                        uint8_t u;
                        r = sd_bus_message_read(m, "v", "y", &u);
                        if (r < 0)
                                return r;
                        urgency = u;
                } else {
                        r = sd_bus_message_skip(m, "v");
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0)
                return r;
        r = sd_bus_message_read(m, "i", &expire);
        if (r < 0)
                return r;
        fprintf(s->record, " urgency %d expire %d\nsummary %s\n", urgency, (int)expire, summary);
        for (const char *p = body; *p;) {
                size_t len = strcspn(p, "\n");
                fprintf(s->record, "body %.*s\n", (int)len, p);
                p += len + (p[len] == '\n');
        }
        fprintf(s->record, "%send\n", actions);
        fflush(s->record);
        if (!is_open(s, id) && s->n_open < OPEN_MAX)
                s->open[s->n_open++] = id;

        sd_bus *bus = sd_bus_message_get_bus(m);
        r = sd_bus_reply_method_return(m, "u", id);
        if (r < 0 || n_actions == 0)
                return r;
        /* A person answers after the notification is up: the reply goes
         * first, then the signals, in that order on this connection. */
        if (s->next_invoke < s->n_invoke) {
                r = sd_bus_emit_signal(bus, NOTIFY_PATH, NOTIFY_INTERFACE, "ActionInvoked", "us", id,
                                       s->invoke[s->next_invoke++]);
                if (r >= 0) {
                        set_closed(s, id);
                        r = closed_signal(bus, id, 2);
                }
        } else if (s->dismiss) {
                set_closed(s, id);
                r = closed_signal(bus, id, 2);
        }
        return r < 0 ? r : 1;
}

static int method_close(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct server *s = userdata;
        uint32_t id;
        int r;

        r = sd_bus_message_read(m, "u", &id);
        if (r < 0)
                return r;
        fprintf(s->record, "close %u\n", id);
        fflush(s->record);
        bool was_open = is_open(s, id);
        set_closed(s, id);
        r = sd_bus_reply_method_return(m, "");
        if (r >= 0 && was_open)
                r = closed_signal(sd_bus_message_get_bus(m), id, 3);
        return r < 0 ? r : 1;
}

static int method_capabilities(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        const struct server *s = userdata;
        sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "s");
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", "body");
        if (r >= 0 && s->actions)
                r = sd_bus_message_append(reply, "s", "actions");
        if (r >= 0 && s->markup)
                r = sd_bus_message_append(reply, "s", "body-markup");
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r < 0 ? r : 1;
}

static int method_information(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        return sd_bus_reply_method_return(m, "ssss", "fake-notifyd", "triage tests", "1.0", "1.2");
}

static int on_name_acquired(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        const char *name;

        if (sd_bus_message_read(m, "s", &name) >= 0 && strcmp(name, NOTIFY_NAME) == 0)
                *(bool *)userdata = true;
        return 0;
}

static const sd_bus_vtable notify_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("GetCapabilities", "", "as", method_capabilities, 0),
        SD_BUS_METHOD("Notify", "susssasa{sv}i", "u", method_notify, 0),
        SD_BUS_METHOD("CloseNotification", "u", "", method_close, 0),
        SD_BUS_METHOD("GetServerInformation", "", "ssss", method_information, 0),
        SD_BUS_SIGNAL("NotificationClosed", "uu", 0),
        SD_BUS_SIGNAL("ActionInvoked", "us", 0),
        SD_BUS_VTABLE_END,
};

int main(int argc, char **argv)
{
        struct server s = { .actions = true };
        sd_bus *bus = NULL;
        int r;

        if (argc < 2)
                die("usage: fake-notifyd RECORD [--invoke KEY]... [--dismiss] [--markup] [--no-actions]");
        for (int i = 2; i < argc; i++) {
                if (strcmp(argv[i], "--invoke") == 0 && i + 1 < argc && s.n_invoke < INVOKE_MAX)
                        s.invoke[s.n_invoke++] = argv[++i];
                else if (strcmp(argv[i], "--dismiss") == 0)
                        s.dismiss = true;
                else if (strcmp(argv[i], "--markup") == 0)
                        s.markup = true;
                else if (strcmp(argv[i], "--no-actions") == 0)
                        s.actions = false;
                else
                        die("unknown argument %s", argv[i]);
        }
        s.record = fopen(argv[1], "we");
        if (!s.record)
                die("%s: %s", argv[1], strerror(errno));

        r = sd_bus_open_user(&bus);
        if (r < 0)
                die("session bus: %s", strerror(-r));
        r = sd_bus_add_object_vtable(bus, NULL, NOTIFY_PATH, NOTIFY_INTERFACE, notify_vtable, &s);
        if (r < 0)
                die("vtable: %s", strerror(-r));
        /* The previous test's server may not be gone from the bus yet:
         * wait in the queue for the name. */
        bool owned = false;
        r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                "org.freedesktop.DBus", "NameAcquired", on_name_acquired, &owned);
        if (r < 0)
                die("match NameAcquired: %s", strerror(-r));
        r = sd_bus_request_name(bus, NOTIFY_NAME, SD_BUS_NAME_QUEUE);
        if (r < 0)
                die("cannot own %s: %s", NOTIFY_NAME, strerror(-r));
        while (!owned) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        die("bus: %s", strerror(-r));
                if (r == 0)
                        r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0 && r != -EINTR)
                        die("bus: %s", strerror(-r));
        }
        printf("owning %s\n", NOTIFY_NAME);
        fflush(stdout);

        for (;;) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        break; /* the bus went away: the test is over */
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0 && r != -EINTR)
                        break;
        }
        sd_bus_flush_close_unref(bus);
        fclose(s.record);
        return EXIT_SUCCESS;
}
