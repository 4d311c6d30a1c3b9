/* SPDX-License-Identifier: MIT */
/*
 * An X client with one window, which also plays the window manager's part
 * of EWMH focus: on "activate" it sets the root window's
 * _NET_ACTIVE_WINDOW to its window, as a window manager does when it
 * gives the window the focus.
 *
 * The window's _NET_WM_PID is the client's own PID, or none
 * (--no-wm-pid), or a given number (--wm-pid=N: a client that says it is
 * another process). --client-machine=NAME sets WM_CLIENT_MACHINE (by
 * default there is none), as a client on another host would.
 *
 * stdout: "pid <PID> window <XID>" once set up, then "activated" for each
 * "activate" read on stdin, after a round trip (so the server has
 * processed the change and sent its PropertyNotify). Exits at end of file.
 *
 * Usage: focus-client [--no-wm-pid | --wm-pid=N] [--client-machine=NAME]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xcb/xcb.h>

_Noreturn static void die(const char *what)
{
        fprintf(stderr, "focus-client: %s\n", what);
        exit(1);
}

static xcb_atom_t atom(xcb_connection_t *c, const char *name)
{
        xcb_intern_atom_reply_t *r = xcb_intern_atom_reply(c, xcb_intern_atom(c, 0, strlen(name), name),
                                                           NULL);
        if (!r)
                die("InternAtom failed");
        xcb_atom_t a = r->atom;
        free(r);
        return a;
}

/* Waits until the server has processed everything sent so far. */
static void sync_server(xcb_connection_t *c)
{
        free(xcb_get_input_focus_reply(c, xcb_get_input_focus(c), NULL));
        if (xcb_connection_has_error(c))
                die("lost the X server");
}

int main(int argc, char **argv)
{
        const char *machine = NULL;
        long wm_pid = getpid();
        char line[64];
        int screen_num;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--no-wm-pid") == 0)
                        wm_pid = -1;
                else if (strncmp(argv[i], "--wm-pid=", 9) == 0)
                        wm_pid = strtol(argv[i] + 9, NULL, 10);
                else if (strncmp(argv[i], "--client-machine=", 17) == 0)
                        machine = argv[i] + 17;
                else
                        die("usage: focus-client [--no-wm-pid | --wm-pid=N] [--client-machine=NAME]");
        }

        xcb_connection_t *c = xcb_connect(NULL, &screen_num);
        if (xcb_connection_has_error(c))
                die("cannot connect to $DISPLAY");
        xcb_screen_iterator_t it = xcb_setup_roots_iterator(xcb_get_setup(c));
        for (int i = 0; i < screen_num && it.rem; i++)
                xcb_screen_next(&it);
        if (!it.rem)
                die("no such screen");
        xcb_screen_t *screen = it.data;

        xcb_window_t win = xcb_generate_id(c);
        xcb_create_window(c, XCB_COPY_FROM_PARENT, win, screen->root, 0, 0, 64, 64, 0,
                          XCB_WINDOW_CLASS_INPUT_OUTPUT, screen->root_visual, 0, NULL);
        xcb_atom_t net_wm_pid = atom(c, "_NET_WM_PID");
        xcb_atom_t net_active_window = atom(c, "_NET_ACTIVE_WINDOW");
        if (wm_pid >= 0) {
                uint32_t v = (uint32_t)wm_pid;
                xcb_change_property(c, XCB_PROP_MODE_REPLACE, win, net_wm_pid, XCB_ATOM_CARDINAL, 32, 1, &v);
        }
        if (machine)
                xcb_change_property(c, XCB_PROP_MODE_REPLACE, win, XCB_ATOM_WM_CLIENT_MACHINE,
                                    XCB_ATOM_STRING, 8, strlen(machine), machine);
        xcb_map_window(c, win);
        sync_server(c);
        printf("pid %d window 0x%x\n", (int)getpid(), (unsigned)win);
        fflush(stdout);

        while (fgets(line, sizeof(line), stdin)) {
                if (strcmp(line, "activate\n") != 0)
                        die("unknown command");
                xcb_change_property(c, XCB_PROP_MODE_REPLACE, screen->root, net_active_window,
                                    XCB_ATOM_WINDOW, 32, 1, &win);
                sync_server(c);
                printf("activated\n");
                fflush(stdout);
        }
        xcb_disconnect(c);
        return 0;
}
