/* SPDX-License-Identifier: MIT */
#include "x11focus.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xcb/res.h>
#include <xcb/xcb.h>
#include <xcb/xcbext.h> /* xcb_poll_for_reply */

#include "util.h"

/* The look-up of the focused window's process, one at a time. */
enum x11focus_phase {
        PHASE_IDLE,
        PHASE_ACTIVE, /* GetProperty(root, _NET_ACTIVE_WINDOW) in flight */
        PHASE_OWNER,  /* QueryClientIds, GetProperty(window, WM_CLIENT_MACHINE
                         and _NET_WM_PID) */
};

/* WM_CLIENT_MACHINE is a host name: at most HOST_NAME_MAX (64) bytes, in
 * 32-bit units for GetProperty. */
#define MACHINE_LONGS ((HOST_NAME_MAX + 3) / 4)

struct x11focus {
        xcb_connection_t *conn;
        xcb_window_t root;
        xcb_atom_t active_atom; /* _NET_ACTIVE_WINDOW */
        xcb_atom_t pid_atom;    /* _NET_WM_PID */
        bool has_res;           /* X-Resource >= 1.2: QueryClientIds */
        char hostname[HOST_NAME_MAX + 1];

        enum x11focus_phase phase;
        bool again; /* the property changed while a look-up was in flight */
        unsigned active_seq;
        unsigned res_seq;     /* sent first, when has_res */
        unsigned machine_seq; /* WM_CLIENT_MACHINE */
        unsigned pid_seq;     /* sent last: its reply means all are in */
};

/*
 * Takes the reply to request seq if it has come, without blocking.
 * Returns 0 with *ret_reply (free() it), -EAGAIN (not yet), -EPROTO (an X
 * error, e.g. BadWindow for a window that was destroyed), -ECONNRESET.
 */
static int take_reply(xcb_connection_t *c, unsigned seq, void **ret_reply)
{
        xcb_generic_error_t *error = NULL;
        void *reply = NULL;

        *ret_reply = NULL;
        if (!xcb_poll_for_reply(c, seq, &reply, &error))
                return xcb_connection_has_error(c) ? -ECONNRESET : -EAGAIN;
        if (error || !reply) {
                free(error);
                free(reply);
                return xcb_connection_has_error(c) ? -ECONNRESET : -EPROTO;
        }
        *ret_reply = reply;
        return 0;
}

/*
 * For x11focus_open() only: waits for the reply to seq until deadline_usec.
 * Events read meanwhile are dropped: they came before the look-up that
 * x11focus_open() sends last, which reads the property after them.
 */
static int wait_reply(xcb_connection_t *c, unsigned seq, uint64_t deadline_usec, void **ret_reply)
{
        for (;;) {
                int r = take_reply(c, seq, ret_reply);
                if (r != -EAGAIN)
                        return r;
                uint64_t now = now_usec(CLOCK_MONOTONIC);
                if (now >= deadline_usec)
                        return -ETIMEDOUT;
                uint64_t left_msec = (deadline_usec - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC;
                struct pollfd p = { .fd = xcb_get_file_descriptor(c), .events = POLLIN };
                int k = poll(&p, 1, (int)MIN(left_msec, (uint64_t)INT_MAX));
                if (k < 0 && errno != EINTR)
                        return -errno;
                /* Older libxcb's xcb_poll_for_reply() only looks at what
                 * was read already; xcb_poll_for_event() reads the socket. */
                if (k > 0)
                        free(xcb_poll_for_event(c));
        }
}

/* A one-item 32-bit property of the given type, or 0. */
static uint32_t property_value(const xcb_get_property_reply_t *reply, xcb_atom_t type)
{
        if (reply->type != type || reply->format != 32 || xcb_get_property_value_length(reply) < 4)
                return 0;
        return *(const uint32_t *)xcb_get_property_value(reply);
}

/* Whether a _NET_WM_PID is one of this machine's: EWMH says it means
 * something only on the host WM_CLIENT_MACHINE names (a client over ssh -X
 * sets its remote PID). A window without WM_CLIENT_MACHINE, which EWMH
 * requires with _NET_WM_PID, is given the benefit of the doubt. */
static bool machine_is_local(const struct x11focus *x, const xcb_get_property_reply_t *reply)
{
        if (!reply || reply->type != XCB_ATOM_STRING || reply->format != 8)
                return true;
        size_t len = (size_t)xcb_get_property_value_length(reply);
        return len == strlen(x->hostname) && memcmp(xcb_get_property_value(reply), x->hostname, len) == 0;
}

/* The PID the X server has for the client that owns window, from a
 * QueryClientIds reply; 0 if none. */
static pid_t res_pid(const xcb_res_query_client_ids_reply_t *ids)
{
        for (xcb_res_client_id_value_iterator_t it = xcb_res_query_client_ids_ids_iterator(ids); it.rem;
             xcb_res_client_id_value_next(&it)) {
                const xcb_res_client_id_value_t *v = it.data;
                if (!(v->spec.mask & XCB_RES_CLIENT_ID_MASK_LOCAL_CLIENT_PID) ||
                    xcb_res_client_id_value_value_length(v) != 1)
                        continue;
                uint32_t pid = xcb_res_client_id_value_value(v)[0];
                if (pid > 0 && pid <= INT32_MAX)
                        return (pid_t)pid;
        }
        return 0;
}

static int start_lookup(struct x11focus *x)
{
        x->again = false;
        x->active_seq = xcb_get_property(x->conn, 0, x->root, x->active_atom, XCB_ATOM_WINDOW, 0, 1).sequence;
        x->phase = PHASE_ACTIVE;
        return xcb_flush(x->conn) > 0 ? 0 : -ECONNRESET;
}

static int start_owner(struct x11focus *x, xcb_window_t window)
{
        if (x->has_res) {
                const xcb_res_client_id_spec_t spec = {
                        .client = window, /* any resource of the client names it */
                        .mask = XCB_RES_CLIENT_ID_MASK_LOCAL_CLIENT_PID,
                };
                x->res_seq = xcb_res_query_client_ids(x->conn, 1, &spec).sequence;
        }
        x->machine_seq = xcb_get_property(x->conn, 0, window, XCB_ATOM_WM_CLIENT_MACHINE, XCB_ATOM_STRING, 0,
                                          MACHINE_LONGS)
                                 .sequence;
        x->pid_seq = xcb_get_property(x->conn, 0, window, x->pid_atom, XCB_ATOM_CARDINAL, 0, 1).sequence;
        x->phase = PHASE_OWNER;
        return xcb_flush(x->conn) > 0 ? 0 : -ECONNRESET;
}

static int handle_event(struct x11focus *x, xcb_generic_event_t *ev)
{
        int r = 0;

        /* Errors (type 0) can only be for the unchecked ChangeWindowAttributes
         * of x11focus_open(): nothing to do about them. */
        if ((ev->response_type & 0x7f) == XCB_PROPERTY_NOTIFY) {
                const xcb_property_notify_event_t *p = (const xcb_property_notify_event_t *)ev;
                if (p->window == x->root && p->atom == x->active_atom) {
                        if (x->phase == PHASE_IDLE)
                                r = start_lookup(x);
                        else
                                x->again = true;
                }
        }
        free(ev);
        return r;
}

/*
 * Moves the look-up on if the reply it waits for has come. Returns 1 if
 * it moved (and *n_reported counts a callback made), 0 if it waits (or
 * there is none), -ECONNRESET.
 */
static int advance(struct x11focus *x, void (*cb)(pid_t pid, void *userdata), void *userdata, int *n_reported)
{
        void *reply;
        int r;

        switch (x->phase) {
        case PHASE_IDLE:
                if (!x->again)
                        return 0;
                r = start_lookup(x);
                return r < 0 ? r : 1;
        case PHASE_ACTIVE: {
                r = take_reply(x->conn, x->active_seq, &reply);
                if (r == -EAGAIN || r == -ECONNRESET)
                        return r == -EAGAIN ? 0 : r;
                xcb_window_t window = r == 0 ? property_value(reply, XCB_ATOM_WINDOW) : XCB_WINDOW_NONE;
                free(reply);
                x->phase = PHASE_IDLE;
                if (window != XCB_WINDOW_NONE) {
                        r = start_owner(x, window);
                        if (r < 0)
                                return r;
                }
                return 1;
        }
        case PHASE_OWNER: {
                /* Replies come in the order of the requests: once the last
                 * one is in, the X-Resource one is too. */
                r = take_reply(x->conn, x->pid_seq, &reply);
                if (r == -EAGAIN || r == -ECONNRESET)
                        return r == -EAGAIN ? 0 : r;
                pid_t wm_pid = 0, server_pid = 0;
                if (r == 0) {
                        uint32_t v = property_value(reply, XCB_ATOM_CARDINAL);
                        wm_pid = v <= INT32_MAX ? (pid_t)v : 0;
                }
                free(reply);
                if (take_reply(x->conn, x->machine_seq, &reply) == 0 && !machine_is_local(x, reply))
                        wm_pid = 0;
                free(reply);
                if (x->has_res) {
                        if (take_reply(x->conn, x->res_seq, &reply) == 0)
                                server_pid = res_pid(reply);
                        free(reply);
                }
                x->phase = PHASE_IDLE;
                cb(server_pid > 0 ? server_pid : wm_pid, userdata);
                (*n_reported)++;
                return xcb_connection_has_error(x->conn) ? -ECONNRESET : 1;
        }
        }
        return 0;
}

int x11focus_dispatch(struct x11focus *x, void (*cb)(pid_t pid, void *userdata), void *userdata)
{
        xcb_generic_event_t *ev;
        int n = 0, r;

        /*
         * xcb_poll_for_event() and xcb_poll_for_reply() both read the
         * socket. The loop ends when neither took anything: the socket was
         * empty at the last read and the reply waited for is not in, so
         * its arrival will make the fd readable again. Events that the
         * last xcb_poll_for_reply() read are still in xcb's queue, not in
         * the socket: take them before returning, or they would wait for
         * the next unrelated wake-up.
         */
        do {
                while ((ev = xcb_poll_for_event(x->conn))) {
                        r = handle_event(x, ev);
                        if (r < 0)
                                return r;
                }
                if (xcb_connection_has_error(x->conn))
                        return -ECONNRESET;
                r = advance(x, cb, userdata, &n);
                if (r < 0)
                        return r;
        } while (r > 0);
        while ((ev = xcb_poll_for_queued_event(x->conn))) {
                r = handle_event(x, ev);
                if (r < 0)
                        return r;
        }
        return xcb_connection_has_error(x->conn) ? -ECONNRESET : n;
}

int x11focus_fd(const struct x11focus *x)
{
        return xcb_get_file_descriptor(x->conn);
}

bool x11focus_has_xres(const struct x11focus *x)
{
        return x->has_res;
}

struct x11focus *x11focus_free(struct x11focus *x)
{
        if (!x)
                return NULL;
        if (x->conn)
                xcb_disconnect(x->conn);
        free(x);
        return NULL;
}

static int connect_error(xcb_connection_t *c)
{
        switch (xcb_connection_has_error(c)) {
        case 0:
                return 0;
        case XCB_CONN_CLOSED_PARSE_ERR:
        case XCB_CONN_CLOSED_INVALID_SCREEN:
                return -EINVAL;
        case XCB_CONN_CLOSED_MEM_INSUFFICIENT:
                return -ENOMEM;
        default:
                return -ECONNREFUSED;
        }
}

static xcb_window_t screen_root(xcb_connection_t *c, int screen)
{
        for (xcb_screen_iterator_t it = xcb_setup_roots_iterator(xcb_get_setup(c)); it.rem;
             xcb_screen_next(&it), screen--)
                if (screen == 0)
                        return it.data->root;
        return XCB_WINDOW_NONE;
}

int x11focus_open(const char *display, unsigned timeout_msec, struct x11focus **ret)
{
        static const char active_name[] = "_NET_ACTIVE_WINDOW";
        static const char pid_name[] = "_NET_WM_PID";
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + (uint64_t)timeout_msec * USEC_PER_MSEC;
        struct x11focus *x;
        void *reply;
        int screen, r;

        x = calloc(1, sizeof(*x));
        if (!x)
                return -ENOMEM;
        if (gethostname(x->hostname, sizeof(x->hostname) - 1) < 0)
                x->hostname[0] = '\0';
        x->conn = xcb_connect(display, &screen);
        r = connect_error(x->conn);
        if (r < 0)
                goto fail;
        x->root = screen_root(x->conn, screen);
        if (x->root == XCB_WINDOW_NONE) {
                r = -EINVAL;
                goto fail;
        }

        /* All sent at once; the replies come in this order, so once the
         * last atom's is in, the extension's is too and
         * xcb_get_extension_data() below does not wait. */
        xcb_prefetch_extension_data(x->conn, &xcb_res_id);
        const uint32_t mask = XCB_EVENT_MASK_PROPERTY_CHANGE;
        xcb_change_window_attributes(x->conn, x->root, XCB_CW_EVENT_MASK, &mask);
        unsigned active_seq = xcb_intern_atom(x->conn, 0, sizeof(active_name) - 1, active_name).sequence;
        unsigned pid_seq = xcb_intern_atom(x->conn, 0, sizeof(pid_name) - 1, pid_name).sequence;
        if (xcb_flush(x->conn) <= 0) {
                r = -ECONNRESET;
                goto fail;
        }
        /* On failure the connection is closed: replies still to come do
         * not need discarding. */
        r = wait_reply(x->conn, pid_seq, deadline, &reply);
        if (r < 0)
                goto fail;
        x->pid_atom = ((xcb_intern_atom_reply_t *)reply)->atom;
        free(reply);
        r = take_reply(x->conn, active_seq, &reply);
        if (r < 0)
                goto fail;
        x->active_atom = ((xcb_intern_atom_reply_t *)reply)->atom;
        free(reply);

        const xcb_query_extension_reply_t *ext = xcb_get_extension_data(x->conn, &xcb_res_id);
        if (ext && ext->present) {
                /* 1.2 for QueryClientIds. */
                unsigned seq = xcb_res_query_version(x->conn, 1, 2).sequence;
                if (xcb_flush(x->conn) <= 0) {
                        r = -ECONNRESET;
                        goto fail;
                }
                r = wait_reply(x->conn, seq, deadline, &reply);
                if (r == -ETIMEDOUT || r == -ECONNRESET)
                        goto fail;
                if (r == 0) {
                        const xcb_res_query_version_reply_t *v = reply;
                        x->has_res = v->server_major > 1 || (v->server_major == 1 && v->server_minor >= 2);
                }
                free(reply);
        }

        /* The focus now: the first dispatch reports it. */
        r = start_lookup(x);
        if (r < 0)
                goto fail;
        *ret = x;
        return 0;
fail:
        x11focus_free(x);
        return r;
}
