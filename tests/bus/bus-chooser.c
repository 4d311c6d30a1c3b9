/* SPDX-License-Identifier: MIT */
/*
 * A chooser on D-Bus, as the author of a desktop agent would write it with
 * GLib, without the dialog: it exports org.triage.Chooser1 at
 * /org/triage/Chooser1 on its connection to the system bus, and whenever
 * org.triage.Manager1 appears on the bus (at start, after a restart of the
 * daemon) it calls Register, then RegisterChooser. When the daemon asks it
 * to Choose, it answers as its MODE says, and it prints what it hears. The
 * interface comes from the installed introspection file
 * (data/org.triage.Manager1.xml), so that file is checked too.
 *
 * Usage: bus-chooser [--wait] INTROSPECTION.xml MODE [NAME]
 * MODE:
 *   pick NAME   pick the candidate called NAME (0, the policy, if none is)
 *   policy      answer 0: let the policy decide
 *   silent      never answer
 *   refuse      answer with an error (org.triage.Test.Error.Refused)
 *   unexported  do not export org.triage.Chooser1 at all (the bus then
 *               answers Choose with UnknownMethod)
 * --wait: answer a Choose only when stdin says "answer" (as a person takes
 * their time: a test can look at the frozen application meanwhile).
 *
 * stdout, one event per line:
 *   connected UNIQUE_NAME PID
 *   registered ID | chooser | error NAME
 *   manager-gone
 *   choose SERIAL DEADLINE_MSEC N CANDIDATE...
 *       each CANDIDATE is LEADER:UID:MEMORY_KIB:IDLE_SEC:FLAGS:NAME, FLAGS
 *       some of s (saved), r (recommended: the policy's choice), f (frozen),
 *       or "-"; blanks in NAME are shown as '_'
 *   answer SERIAL LEADER | answer SERIAL error | no-choice-to-answer
 *   choose-done SERIAL RESULT VICTIM
 *   killed PID ACTIVITY DECIDED_BY OUTCOME SAVED(yes|no) FREED_KIB COMM DOMAIN EXPLANATION...
 * stdin, one command per line: "answer", "quit"; its end also quits.
 */
#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-test.h"

#define CHOOSER_PATH "/org/triage/Chooser1"

enum mode {
        MODE_PICK,
        MODE_POLICY,
        MODE_SILENT,
        MODE_REFUSE,
        MODE_UNEXPORTED
};

struct chooser {
        GMainLoop *loop;
        GDBusConnection *bus;
        enum mode mode;
        const char *pick;
        gboolean wait;
        GDBusMethodInvocation *pending; /* the Choose not yet answered */
        guint32 pending_serial;
        GPtrArray *unanswered; /* silent mode: kept, never answered */
        gboolean manager_seen;
};

static void say_error(GError *error)
{
        char *name = g_dbus_error_get_remote_error(error);

        say("error %s", name ? name : error->message);
        g_free(name);
}

/* The leader of the candidate called c->pick in (uusttbbb) candidates, or 0. */
static guint32 find_pick(struct chooser *c, GVariant *candidates)
{
        GVariantIter it;
        const char *name;
        guint32 leader, uid, found = 0;
        guint64 kib, idle;
        gboolean saved, recommended, frozen;

        g_variant_iter_init(&it, candidates);
        while (g_variant_iter_next(&it, "(uu&sttbbb)", &leader, &uid, &name, &kib, &idle, &saved,
                                   &recommended, &frozen))
                if (!found && strcmp(name, c->pick) == 0)
                        found = leader;
        return found;
}

/* Answers the pending Choose as the mode says. */
static void answer(struct chooser *c)
{
        GDBusMethodInvocation *inv = c->pending;

        if (!inv) {
                say("no-choice-to-answer");
                return;
        }
        c->pending = NULL;
        switch (c->mode) {
        case MODE_SILENT:
                g_ptr_array_add(c->unanswered, inv);
                return;
        case MODE_REFUSE:
                say("answer %u error", c->pending_serial);
                g_dbus_method_invocation_return_dbus_error(inv, "org.triage.Test.Error.Refused",
                                                           "This chooser refuses to choose.");
                return;
        default: {
                guint32 leader = 0;

                if (c->mode == MODE_PICK) {
                        GVariant *candidates = g_variant_get_child_value(
                                g_dbus_method_invocation_get_parameters(inv), 2);
                        leader = find_pick(c, candidates);
                        g_variant_unref(candidates);
                }
                say("answer %u %u", c->pending_serial, leader);
                g_dbus_method_invocation_return_value(inv, g_variant_new("(u)", leader));
                return;
        }
        }
}

static void on_choose(struct chooser *c, GVariant *params, GDBusMethodInvocation *inv)
{
        GVariant *candidates;
        GString *line = g_string_new("");
        GVariantIter it;
        const char *name;
        guint32 serial, deadline_msec, leader, uid;
        guint64 kib, idle;
        gboolean saved, recommended, frozen;

        g_variant_get(params, "(uu@a(uusttbbb))", &serial, &deadline_msec, &candidates);
        g_string_printf(line, "choose %u %u %zu", serial, deadline_msec, g_variant_n_children(candidates));
        g_variant_iter_init(&it, candidates);
        while (g_variant_iter_next(&it, "(uu&sttbbb)", &leader, &uid, &name, &kib, &idle, &saved,
                                   &recommended, &frozen)) {
                char *shown = g_strdup(name);

                g_strdelimit(shown, " \t\n", '_');
                g_string_append_printf(line, " %u:%u:%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT ":%s%s%s%s:%s",
                                       leader, uid, kib, idle, saved ? "s" : "", recommended ? "r" : "",
                                       frozen ? "f" : "", saved || recommended || frozen ? "" : "-", shown);
                g_free(shown);
        }
        g_variant_unref(candidates);
        say("%s", line->str);
        g_string_free(line, TRUE);

        /* A newer choice replaces an unanswered one: the daemon has
         * dropped it already. */
        if (c->pending)
                g_ptr_array_add(c->unanswered, c->pending);
        c->pending = inv;
        c->pending_serial = serial;
        if (!c->wait)
                answer(c);
}

static void on_chooser_call(GDBusConnection *bus, const gchar *sender, const gchar *path,
                            const gchar *interface, const gchar *method, GVariant *params,
                            GDBusMethodInvocation *invocation, gpointer userdata)
{
        struct chooser *c = userdata;

        if (g_strcmp0(method, "Choose") == 0) {
                on_choose(c, params, invocation);
        } else if (g_strcmp0(method, "ChooseDone") == 0) {
                const char *result;
                guint32 serial, victim;

                g_variant_get(params, "(u&su)", &serial, &result, &victim);
                say("choose-done %u %s %u", serial, result, victim);
                if (c->pending && c->pending_serial == serial) {
                        g_ptr_array_add(c->unanswered, c->pending);
                        c->pending = NULL;
                }
                /* Sent without expecting a reply: GDBus sends none. */
                g_dbus_method_invocation_return_value(invocation, NULL);
        } else {
                g_dbus_method_invocation_return_dbus_error(
                        invocation, "org.freedesktop.DBus.Error.UnknownMethod", "No such method.");
        }
}

static const GDBusInterfaceVTable chooser_vtable = { .method_call = on_chooser_call };

static void on_killed(GDBusConnection *bus, const gchar *sender, const gchar *path, const gchar *interface,
                      const gchar *signal, GVariant *params, gpointer userdata)
{
        const char *comm, *domain, *outcome, *activity, *decided_by, *explanation;
        guint32 pid;
        guint64 freed_kib;
        gboolean saved;

        if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(ussstssbs)"))) {
                say("killed-with-signature %s", g_variant_get_type_string(params));
                return;
        }
        g_variant_get(params, "(u&s&s&st&s&sb&s)", &pid, &comm, &domain, &outcome, &freed_kib, &activity,
                      &decided_by, &saved, &explanation);
        say("killed %u %s %s %s %s %" G_GUINT64_FORMAT " %s %s %s", pid, activity, decided_by, outcome,
            saved ? "yes" : "no", freed_kib, comm, domain, explanation);
}

static void on_register_chooser_reply(GObject *source, GAsyncResult *res, gpointer userdata)
{
        GError *error = NULL;
        GVariant *ret = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

        if (!ret) {
                say_error(error);
                g_error_free(error);
                return;
        }
        say("chooser");
        g_variant_unref(ret);
}

static void on_register_reply(GObject *source, GAsyncResult *res, gpointer userdata)
{
        struct chooser *c = userdata;
        GError *error = NULL;
        GVariant *ret = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        guint64 id;

        if (!ret) {
                say_error(error);
                g_error_free(error);
                return;
        }
        g_variant_get(ret, "(t)", &id);
        say("registered %" G_GUINT64_FORMAT, id);
        g_variant_unref(ret);
        g_dbus_connection_call(c->bus, "org.triage.Manager1", "/org/triage/Manager1", "org.triage.Manager1",
                               "RegisterChooser", NULL, G_VARIANT_TYPE("()"), G_DBUS_CALL_FLAGS_NONE, 5000,
                               NULL, on_register_chooser_reply, c);
}

/* The daemon is on the bus (again): register, then become the chooser. */
static void on_manager_appeared(GDBusConnection *bus, const gchar *name, const gchar *owner,
                                gpointer userdata)
{
        struct chooser *c = userdata;

        c->manager_seen = TRUE;
        g_dbus_connection_call(bus, "org.triage.Manager1", "/org/triage/Manager1", "org.triage.Manager1",
                               "Register", g_variant_new("(s)", "bus-chooser"), G_VARIANT_TYPE("(t)"),
                               G_DBUS_CALL_FLAGS_NONE, 5000, NULL, on_register_reply, c);
}

static void on_manager_vanished(GDBusConnection *bus, const gchar *name, gpointer userdata)
{
        struct chooser *c = userdata;

        /* Also called at start when the daemon is not there yet. */
        if (c->manager_seen)
                say("manager-gone");
        c->manager_seen = FALSE;
}

static void on_command(const char *line, gpointer userdata)
{
        struct chooser *c = userdata;

        if (strcmp(line, "answer") == 0)
                answer(c);
        else
                say("error unknown-command %s", line);
}

static gboolean on_sigterm(gpointer userdata)
{
        struct chooser *c = userdata;

        g_main_loop_quit(c->loop);
        return G_SOURCE_CONTINUE;
}

static int usage(void)
{
        fprintf(stderr,
                "usage: bus-chooser [--wait] INTROSPECTION.xml pick NAME|policy|silent|refuse|unexported\n");
        return EXIT_FAILURE;
}

int main(int argc, char *argv[])
{
        struct chooser c = { 0 };
        GDBusNodeInfo *info = NULL;
        GError *error = NULL;
        char *xml = NULL;
        int i = 1;

        if (i < argc && strcmp(argv[i], "--wait") == 0) {
                c.wait = TRUE;
                i++;
        }
        if (argc - i < 2)
                return usage();
        const char *path = argv[i], *mode = argv[i + 1];
        if (strcmp(mode, "pick") == 0 && argc - i == 3) {
                c.mode = MODE_PICK;
                c.pick = argv[i + 2];
        } else if (argc - i != 2) {
                return usage();
        } else if (strcmp(mode, "policy") == 0) {
                c.mode = MODE_POLICY;
        } else if (strcmp(mode, "silent") == 0) {
                c.mode = MODE_SILENT;
        } else if (strcmp(mode, "refuse") == 0) {
                c.mode = MODE_REFUSE;
        } else if (strcmp(mode, "unexported") == 0) {
                c.mode = MODE_UNEXPORTED;
        } else {
                return usage();
        }
        if (!g_file_get_contents(path, &xml, NULL, &error) ||
            !(info = g_dbus_node_info_new_for_xml(xml, &error))) {
                fprintf(stderr, "bus-chooser: %s: %s\n", path, error->message);
                return EXIT_FAILURE;
        }
        GDBusInterfaceInfo *iface = g_dbus_node_info_lookup_interface(info, "org.triage.Chooser1");
        if (!iface) {
                fprintf(stderr, "bus-chooser: %s lacks org.triage.Chooser1\n", path);
                return EXIT_FAILURE;
        }
        c.unanswered = g_ptr_array_new_with_free_func(g_object_unref);
        c.loop = g_main_loop_new(NULL, FALSE);
        c.bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
        if (!c.bus) {
                fprintf(stderr, "bus-chooser: %s\n", error->message);
                return EXIT_FAILURE;
        }
        /* Exported before the daemon can hear of us. */
        if (c.mode != MODE_UNEXPORTED &&
            !g_dbus_connection_register_object(c.bus, CHOOSER_PATH, iface, &chooser_vtable, &c, NULL,
                                               &error)) {
                fprintf(stderr, "bus-chooser: %s\n", error->message);
                return EXIT_FAILURE;
        }
        g_dbus_connection_signal_subscribe(c.bus, "org.triage.Manager1", "org.triage.Manager1", "Killed",
                                           "/org/triage/Manager1", NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_killed,
                                           &c, NULL);
        say("connected %s %d", g_dbus_connection_get_unique_name(c.bus), (int)getpid());
        guint watch = g_bus_watch_name_on_connection(c.bus, "org.triage.Manager1",
                                                     G_BUS_NAME_WATCHER_FLAGS_NONE, on_manager_appeared,
                                                     on_manager_vanished, &c, NULL);
        struct commands commands;
        commands_start(&commands, c.loop, on_command, &c);
        g_unix_signal_add(SIGTERM, on_sigterm, &c);

        g_main_loop_run(c.loop);

        g_bus_unwatch_name(watch);
        if (c.pending)
                g_object_unref(c.pending);
        commands_stop(&commands);
        g_ptr_array_unref(c.unanswered);
        g_object_unref(c.bus);
        g_dbus_node_info_unref(info);
        g_free(xml);
        g_main_loop_unref(c.loop);
        return EXIT_SUCCESS;
}
