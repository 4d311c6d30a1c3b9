/* SPDX-License-Identifier: MIT */
/*
 * A cooperative application on D-Bus, as an application author would
 * write it with GLib: it exports org.triage.Client1 at /org/triage/Client1
 * on its connection to the system bus, registers with org.triage.Manager1,
 * and answers the daemon's calls. The interfaces come from the installed
 * introspection file (data/org.triage.Manager1.xml), so that file is
 * checked too.
 *
 * Usage: bus-app INTROSPECTION.xml NAME STATE_REF [silent]
 * "silent": an application that hangs: it takes the daemon's calls and
 * never answers them.
 * stdout, one event per line:
 *   connected UNIQUE_NAME PID
 *   registered ID | error NAME
 *   unregistered | error NAME
 *   save-state DEADLINE_MSEC          (answered saved=true, STATE_REF)
 *   emergency-close DEADLINE_MSEC     (answered closing=true)
 *   level-changed DOMAIN LEVEL BYTE
 *   killed PID COMM DOMAIN OUTCOME FREED_KIB ACTIVITY DECIDED_BY SAVED(yes|no)
 *   chooser | error NAME              (RegisterChooser)
 *   introspection-ok | introspection-mismatch WHAT
 * stdin, one command per line: "register", "register-as NAME" (any bytes
 * but a newline), "unregister", "register-chooser", "check-introspection"
 * (the daemon's org.triage.Manager1 against the file's, member by member),
 * "quit".
 */
#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-test.h"

struct app {
        GMainLoop *loop;
        GDBusConnection *bus;
        GDBusNodeInfo *info;
        const char *name;
        const char *state_ref;
        gboolean silent;
        GPtrArray *unanswered;
};

static void on_client_call(GDBusConnection *bus, const gchar *sender, const gchar *path,
                           const gchar *interface, const gchar *method, GVariant *params,
                           GDBusMethodInvocation *invocation, gpointer userdata)
{
        struct app *a = userdata;
        guint32 deadline_msec;

        g_variant_get(params, "(u)", &deadline_msec);
        if (a->silent) {
                say("%s %u (not answered)",
                    g_strcmp0(method, "SaveState") == 0 ? "save-state" : "emergency-close", deadline_msec);
                g_ptr_array_add(a->unanswered, invocation);
                return;
        }
        if (g_strcmp0(method, "SaveState") == 0) {
                say("save-state %u", deadline_msec);
                g_dbus_method_invocation_return_value(invocation, g_variant_new("(bs)", TRUE, a->state_ref));
        } else {
                say("emergency-close %u", deadline_msec);
                g_dbus_method_invocation_return_value(invocation, g_variant_new("(b)", TRUE));
        }
}

static const GDBusInterfaceVTable client_vtable = { .method_call = on_client_call };

static void on_manager_signal(GDBusConnection *bus, const gchar *sender, const gchar *path,
                              const gchar *interface, const gchar *signal, GVariant *params,
                              gpointer userdata)
{
        if (g_strcmp0(signal, "LevelChanged") == 0 && g_variant_is_of_type(params, G_VARIANT_TYPE("(ssy)"))) {
                const char *domain, *level;
                guint8 byte;

                g_variant_get(params, "(&s&sy)", &domain, &level, &byte);
                say("level-changed %s %s %u", domain, level, byte);
        } else if (g_strcmp0(signal, "Killed") == 0 &&
                   g_variant_is_of_type(params, G_VARIANT_TYPE("(ussstssbs)"))) {
                const char *comm, *domain, *outcome, *activity, *decided_by, *explanation;
                guint32 pid;
                guint64 freed_kib;
                gboolean saved;

                g_variant_get(params, "(u&s&s&st&s&sb&s)", &pid, &comm, &domain, &outcome, &freed_kib,
                              &activity, &decided_by, &saved, &explanation);
                say("killed %u %s %s %s %" G_GUINT64_FORMAT " %s %s %s", pid, comm, domain, outcome,
                    freed_kib, activity, decided_by, saved ? "yes" : "no");
        }
}

static void call_manager(struct app *a, const char *method, GVariant *args, const char *done)
{
        GError *error = NULL;
        GVariant *ret = g_dbus_connection_call_sync(a->bus, "org.triage.Manager1", "/org/triage/Manager1",
                                                    "org.triage.Manager1", method, args, NULL,
                                                    G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
        if (!ret) {
                char *name = g_dbus_error_get_remote_error(error);
                say("error %s", name ? name : error->message);
                g_free(name);
                g_error_free(error);
                return;
        }
        if (g_variant_is_of_type(ret, G_VARIANT_TYPE("(t)"))) {
                guint64 id;
                g_variant_get(ret, "(t)", &id);
                say("%s %" G_GUINT64_FORMAT, done, id);
        } else {
                say("%s", done);
        }
        g_variant_unref(ret);
}

/* The signature of a list of arguments, "" for none. */
static char *args_signature(GDBusArgInfo **args)
{
        GString *sig = g_string_new("");

        for (; args && *args; args++)
                g_string_append(sig, (*args)->signature);
        return g_string_free(sig, FALSE);
}

static gboolean same_args(GDBusArgInfo **a, GDBusArgInfo **b)
{
        char *sa = args_signature(a), *sb = args_signature(b);
        gboolean same = strcmp(sa, sb) == 0;

        g_free(sa);
        g_free(sb);
        return same;
}

/* Every method and signal of the file's org.triage.Manager1 is in the
 * daemon's with the same signatures, and the other way round. */
static const char *compare_interfaces(GDBusInterfaceInfo *file, GDBusInterfaceInfo *live)
{
        for (GDBusMethodInfo **m = file->methods; m && *m; m++) {
                GDBusMethodInfo *l = g_dbus_interface_info_lookup_method(live, (*m)->name);
                if (!l || !same_args((*m)->in_args, l->in_args) || !same_args((*m)->out_args, l->out_args))
                        return (*m)->name;
        }
        for (GDBusSignalInfo **s = file->signals; s && *s; s++) {
                GDBusSignalInfo *l = g_dbus_interface_info_lookup_signal(live, (*s)->name);
                if (!l || !same_args((*s)->args, l->args))
                        return (*s)->name;
        }
        for (GDBusMethodInfo **m = live->methods; m && *m; m++)
                if (!g_dbus_interface_info_lookup_method(file, (*m)->name))
                        return (*m)->name;
        for (GDBusSignalInfo **s = live->signals; s && *s; s++)
                if (!g_dbus_interface_info_lookup_signal(file, (*s)->name))
                        return (*s)->name;
        return NULL;
}

static void check_introspection(struct app *a)
{
        GError *error = NULL;
        const char *xml;
        GVariant *ret = g_dbus_connection_call_sync(
                a->bus, "org.triage.Manager1", "/org/triage/Manager1", "org.freedesktop.DBus.Introspectable",
                "Introspect", NULL, G_VARIANT_TYPE("(s)"), G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
        if (!ret) {
                say("introspection-mismatch %s", error->message);
                g_error_free(error);
                return;
        }
        g_variant_get(ret, "(&s)", &xml);
        GDBusNodeInfo *live = g_dbus_node_info_new_for_xml(xml, &error);
        if (!live) {
                say("introspection-mismatch %s", error->message);
                g_error_free(error);
        } else {
                GDBusInterfaceInfo *l = g_dbus_node_info_lookup_interface(live, "org.triage.Manager1");
                GDBusInterfaceInfo *f = g_dbus_node_info_lookup_interface(a->info, "org.triage.Manager1");
                const char *what = l ? compare_interfaces(f, l) : "org.triage.Manager1";
                if (what)
                        say("introspection-mismatch %s", what);
                else
                        say("introspection-ok");
                g_dbus_node_info_unref(live);
        }
        g_variant_unref(ret);
}

static void on_command(const char *line, gpointer userdata)
{
        struct app *a = userdata;

        if (strcmp(line, "register") == 0)
                call_manager(a, "Register", g_variant_new("(s)", a->name), "registered");
        else if (g_str_has_prefix(line, "register-as "))
                call_manager(a, "Register", g_variant_new("(s)", line + strlen("register-as ")),
                             "registered");
        else if (strcmp(line, "unregister") == 0)
                call_manager(a, "Unregister", NULL, "unregistered");
        else if (strcmp(line, "register-chooser") == 0)
                call_manager(a, "RegisterChooser", NULL, "chooser");
        else if (strcmp(line, "check-introspection") == 0)
                check_introspection(a);
        else
                say("error unknown-command %s", line);
}

int main(int argc, char *argv[])
{
        struct app a = { 0 };
        GError *error = NULL;
        char *xml = NULL;

        if (argc < 4 || argc > 5 || (argc == 5 && strcmp(argv[4], "silent") != 0)) {
                fprintf(stderr, "usage: bus-app INTROSPECTION.xml NAME STATE_REF [silent]\n");
                return EXIT_FAILURE;
        }
        a.name = argv[2];
        a.state_ref = argv[3];
        a.silent = argc == 5;
        a.unanswered = g_ptr_array_new_with_free_func(g_object_unref);
        if (!g_file_get_contents(argv[1], &xml, NULL, &error) ||
            !(a.info = g_dbus_node_info_new_for_xml(xml, &error))) {
                fprintf(stderr, "bus-app: %s: %s\n", argv[1], error->message);
                return EXIT_FAILURE;
        }
        GDBusInterfaceInfo *client = g_dbus_node_info_lookup_interface(a.info, "org.triage.Client1");
        if (!client || !g_dbus_node_info_lookup_interface(a.info, "org.triage.Manager1")) {
                fprintf(stderr, "bus-app: %s lacks org.triage.Client1 or org.triage.Manager1\n", argv[1]);
                return EXIT_FAILURE;
        }
        a.loop = g_main_loop_new(NULL, FALSE);
        a.bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
        if (!a.bus) {
                fprintf(stderr, "bus-app: %s\n", error->message);
                return EXIT_FAILURE;
        }
        if (!g_dbus_connection_register_object(a.bus, "/org/triage/Client1", client, &client_vtable, &a, NULL,
                                               &error)) {
                fprintf(stderr, "bus-app: %s\n", error->message);
                return EXIT_FAILURE;
        }
        g_dbus_connection_signal_subscribe(a.bus, "org.triage.Manager1", "org.triage.Manager1", NULL,
                                           "/org/triage/Manager1", NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                           on_manager_signal, &a, NULL);
        struct commands commands;
        commands_start(&commands, a.loop, on_command, &a);
        say("connected %s %d", g_dbus_connection_get_unique_name(a.bus), (int)getpid());

        g_main_loop_run(a.loop);

        commands_stop(&commands);
        g_ptr_array_unref(a.unanswered);
        g_object_unref(a.bus);
        g_dbus_node_info_unref(a.info);
        g_free(xml);
        g_main_loop_unref(a.loop);
        return EXIT_SUCCESS;
}
