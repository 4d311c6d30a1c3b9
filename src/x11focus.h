/* SPDX-License-Identifier: MIT */
/*
 * Focus from an X display: follows the root window's _NET_ACTIVE_WINDOW
 * (EWMH: the window manager sets it to the client window that has the
 * focus) and tells which process owns the active window, for "last used".
 *
 * How a PID is found for the window: first the X-Resource extension
 * (QueryClientIds, version 1.2 or later): the PID the X server took from
 * the kernel for the connection that created the window. _NET_WM_PID (a
 * CARDINAL the client sets on its own window) is the fallback, used only
 * when X-Resource gives none (extension missing, or a client the server
 * has no PID for). The order is on purpose: _NET_WM_PID is what the client
 * says, and it is wrong for a sandboxed application in its own PID
 * namespace (Flatpak sets its in-sandbox PID), where the server's PID is
 * right. A _NET_WM_PID is taken only if the window's WM_CLIENT_MACHINE is
 * this host's name (gethostname()) or missing: a client over ssh -X sets
 * its remote PID and host name. The requests go out together, so the
 * fallback costs no round trip.
 *
 * Nothing here blocks after x11focus_open(): the connection is xcb's
 * non-blocking socket, and x11focus_dispatch() only takes what has
 * arrived (xcb_poll_for_event, xcb_poll_for_reply). A focus change costs
 * two round trips, both as events of the caller's loop: GetProperty of
 * _NET_ACTIVE_WINDOW on the root, then (together) QueryClientIds and
 * GetProperty of WM_CLIENT_MACHINE and _NET_WM_PID on that window. One
 * look-up is in flight at a time: changes that come meanwhile are
 * coalesced into one more look-up when it ends (a window that had the
 * focus for less than a round trip may not be reported). A server that
 * stops answering just stops the reports; at most three small requests
 * are ever outstanding, so the socket's send buffer cannot fill and
 * xcb_flush() cannot block on it.
 *
 * The focus going to no window (None, the desktop) is not reported.
 *
 * Built only with xcb and xcb-res (HAVE_XRES in triage-paths.h). This
 * header needs neither.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct x11focus;

/*
 * Connects to display (NULL: $DISPLAY), selects PropertyChangeMask on the
 * root window of its default screen, interns the atoms and checks for
 * X-Resource >= 1.2; then asks for the current _NET_ACTIVE_WINDOW, so the
 * first dispatch reports the focus at start-up. Blocks in xcb_connect()
 * (connection set-up, which xcb cannot bound) and then waits at most
 * timeout_msec for the replies: call it at start-up. Returns 0 with *ret,
 * -EINVAL (bad display name, or none), -ECONNREFUSED (no server),
 * -ETIMEDOUT, -ECONNRESET, -EPROTO (the server refused a request),
 * -ENOMEM.
 */
int x11focus_open(const char *display, unsigned timeout_msec, struct x11focus **ret);

/* The connection's file descriptor, for the caller's loop (EPOLLIN). */
int x11focus_fd(const struct x11focus *x);

/* Whether X-Resource gives PIDs (else only _NET_WM_PID is used). */
bool x11focus_has_xres(const struct x11focus *x);

/*
 * Takes whatever the server has sent, without blocking, advances the
 * look-up in flight, and calls cb once per window that got the focus, in
 * the order of the changes, with its process's PID, or 0 when none was
 * found (a remote client, a window already destroyed). Call it when the fd
 * is readable. Returns the number of callbacks made, or -ECONNRESET when
 * the connection is broken (free it).
 */
int x11focus_dispatch(struct x11focus *x, void (*cb)(pid_t pid, void *userdata), void *userdata);

/* Disconnects and frees; NULL is fine. Returns NULL. */
struct x11focus *x11focus_free(struct x11focus *x);
