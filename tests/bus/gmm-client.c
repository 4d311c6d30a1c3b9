/* SPDX-License-Identifier: MIT */
/*
 * A GLib application as any other: it asks GIO for the default
 * GMemoryMonitor and prints the level of every "low-memory-warning" it
 * gets, one per line. Run with GIO_USE_MEMORY_MONITOR=dbus so GIO takes
 * the low-memory-monitor backend (GMemoryMonitorDBus) whatever else is
 * installed, and DBUS_SYSTEM_BUS_ADDRESS pointing at the test bus.
 *
 * Usage: gmm-client
 * Prints "ready" once the monitor listens, then one line per warning.
 * Reads commands on stdin: "ping" makes a round trip to the owner of
 * org.freedesktop.LowMemoryMonitor and prints "pong": every warning that
 * owner sent before it has been printed by then. Exits at "quit" or the
 * end of input.
 *
 * "ready": GMemoryMonitorDBus watches org.freedesktop.LowMemoryMonitor and,
 * when the name appears, makes a GDBusProxy for it asynchronously; only
 * then does it hear LowMemoryWarning. Nothing public says when that is
 * done. So this program does the very same steps on the same connection
 * right after it (the same name watch, the same proxy): the calls go out
 * in the same order and their replies come back in that order, so when
 * our proxy is ready, the monitor's is too.
 */
#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bus-test.h"

struct state {
        GMainLoop *loop;
        GDBusProxy *proxy;
};

static void on_warning(GMemoryMonitor *monitor, GMemoryMonitorWarningLevel level, gpointer userdata)
{
        say("%d", (int)level);
}

static void on_pong(GObject *source, GAsyncResult *res, gpointer userdata)
{
        GError *error = NULL;
        GVariant *ret = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

        if (!ret) {
                fprintf(stderr, "gmm-client: ping: %s\n", error->message);
                exit(EXIT_FAILURE);
        }
        g_variant_unref(ret);
        say("pong");
}

static void on_command(const char *line, gpointer userdata)
{
        struct state *s = userdata;

        if (g_str_has_prefix(line, "ping") && s->proxy)
                g_dbus_connection_call(g_dbus_proxy_get_connection(s->proxy),
                                       "org.freedesktop.LowMemoryMonitor",
                                       "/org/freedesktop/LowMemoryMonitor", "org.freedesktop.DBus.Peer",
                                       "Ping", NULL, NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL, on_pong, s);
}

static void on_proxy(GObject *source, GAsyncResult *res, gpointer userdata)
{
        struct state *s = userdata;
        GError *error = NULL;

        s->proxy = g_dbus_proxy_new_finish(res, &error);
        if (!s->proxy) {
                fprintf(stderr, "gmm-client: proxy: %s\n", error->message);
                exit(EXIT_FAILURE);
        }
        say("ready");
}

static void on_appeared(GDBusConnection *connection, const gchar *name, const gchar *owner, gpointer userdata)
{
        struct state *s = userdata;

        if (s->proxy)
                return;
        g_dbus_proxy_new(connection, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, NULL,
                         "org.freedesktop.LowMemoryMonitor", "/org/freedesktop/LowMemoryMonitor",
                         "org.freedesktop.LowMemoryMonitor", NULL, on_proxy, s);
}

int main(void)
{
        struct state s = { 0 };

        s.loop = g_main_loop_new(NULL, FALSE);

        GMemoryMonitor *monitor = g_memory_monitor_dup_default();
        const char *type = G_OBJECT_TYPE_NAME(monitor);
        fprintf(stderr, "gmm-client: monitor %s\n", type);
        if (!g_str_has_prefix(type, "GMemoryMonitorDBus") && !g_str_has_prefix(type, "GMemoryMonitorDbus")) {
                fprintf(stderr, "gmm-client: not the D-Bus backend (GIO_USE_MEMORY_MONITOR=dbus?)\n");
                return EXIT_FAILURE;
        }
        g_signal_connect(monitor, "low-memory-warning", G_CALLBACK(on_warning), &s);
        guint watch = g_bus_watch_name(G_BUS_TYPE_SYSTEM, "org.freedesktop.LowMemoryMonitor",
                                       G_BUS_NAME_WATCHER_FLAGS_AUTO_START, on_appeared, NULL, &s, NULL);
        struct commands commands;
        commands_start(&commands, s.loop, on_command, &s);

        g_main_loop_run(s.loop);

        commands_stop(&commands);
        g_bus_unwatch_name(watch);
        g_clear_object(&s.proxy);
        g_object_unref(monitor);
        g_main_loop_unref(s.loop);
        return EXIT_SUCCESS;
}
