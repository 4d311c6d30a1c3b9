/* SPDX-License-Identifier: MIT */
/*
 * What the GLib test programs of tests/bus share: each event goes to
 * stdout as one line, flushed at once (the test script reads them as they
 * come); commands come on stdin, one per line; "quit" or the end of stdin
 * ends the program's main loop.
 */
#pragma once

#include <gio/gio.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* One event: a line on stdout. */
static inline void say(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static inline void say(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
}

/* Called with each command but "quit", without its newline. */
typedef void (*command_fn)(const char *line, gpointer userdata);

struct commands {
        GMainLoop *loop;
        command_fn fn;
        gpointer userdata;
        GIOChannel *in;
};

static inline gboolean commands_on_stdin(GIOChannel *ch, GIOCondition cond, gpointer userdata)
{
        struct commands *c = userdata;
        char *line = NULL;
        gsize len;

        if (g_io_channel_read_line(ch, &line, &len, NULL, NULL) != G_IO_STATUS_NORMAL) {
                g_main_loop_quit(c->loop);
                return G_SOURCE_REMOVE;
        }
        g_strchomp(line);
        if (strcmp(line, "quit") == 0)
                g_main_loop_quit(c->loop);
        else
                c->fn(line, c->userdata);
        g_free(line);
        return G_SOURCE_CONTINUE;
}

/* Reads commands from stdin in loop until "quit" or the end of input, which
 * quit loop. commands_stop() after the loop has run. */
static inline void commands_start(struct commands *c, GMainLoop *loop, command_fn fn, gpointer userdata)
{
        *c = (struct commands){ .loop = loop, .fn = fn, .userdata = userdata };
        c->in = g_io_channel_unix_new(STDIN_FILENO);
        g_io_add_watch(c->in, G_IO_IN | G_IO_HUP | G_IO_ERR, commands_on_stdin, c);
}

static inline void commands_stop(struct commands *c)
{
        g_io_channel_unref(c->in);
}
