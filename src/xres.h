/* SPDX-License-Identifier: MIT */
/*
 * Pixmap memory an X server holds for each client process, through the
 * X-Resource extension (version 1.2 or later, for QueryClientIds):
 * QueryClients lists the X clients, QueryClientIds maps each to its local
 * PID, QueryClientPixmapBytes gives its pixmap bytes. The X server's own
 * PID comes from SO_PEERCRED on the connection (a Unix socket), not from
 * anything the server says.
 *
 * Built only with xcb and xcb-res (HAVE_XRES in triage-paths.h). This
 * header needs neither.
 *
 * Blocking: xres_open() blocks in xcb_connect() (connection set-up) and
 * for the extension lookup, with no timeout xcb offers: call it at
 * start-up or on the control path. xres_query() sends all its requests
 * before it reads any reply, so it costs two round trips whatever the
 * number of clients, and it waits at most timeout_msec in all.
 *
 * The PIDs are those of the X server's PID namespace; they are only
 * meaningful when it is ours. Clients the server has no PID for (remote
 * clients, or another namespace) are summed apart. The connection is
 * xres's own: xres_query() reads and drops any event on it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct xcb_connection_t;
struct xres_scratch;

/* The X server's largest LimitClients (MAXCLIENTS in the server): more
 * X clients than this are not examined (counted in `dropped`). */
#define XRES_CLIENTS_MAX 2048

struct xres_client {
        pid_t pid;
        uint64_t pixmap_bytes; /* summed over its connections */
        uint64_t pixmap_kib;   /* pixmap_bytes in KiB, rounded up */
        unsigned connections;  /* X clients with this pid that hold pixmaps */
};

struct xres {
        struct xcb_connection_t *conn;
        pid_t server_pid; /* from SO_PEERCRED; 0 when unknown (TCP) */
        unsigned version_major;
        unsigned version_minor;
        struct xres_scratch *scratch; /* per-query arrays, allocated by xres_open() */
};

struct xres_result {
        pid_t server_pid;     /* = xres.server_pid */
        size_t n;             /* entries filled in the caller's array */
        size_t x_clients;     /* X clients the server listed */
        size_t dropped;       /* PIDs that did not fit in the array, and X
                                 clients beyond XRES_CLIENTS_MAX */
        size_t vanished;      /* X clients that left during the query */
        uint64_t server_kib;  /* pixmaps of clients with the server's own
                                 PID (its internal client: root pixmaps) */
        uint64_t unknown_kib; /* pixmaps of clients without a PID */
};

/*
 * Connects to display (NULL: $DISPLAY), checks that X-Resource >= 1.2 is
 * there and reads the server's PID. Waits at most timeout_msec for the
 * version reply (the connection set-up itself cannot be bounded).
 * Allocates x->scratch (~24 KiB) once. Returns 0, -EINVAL (bad display
 * name, or none), -ECONNREFUSED (no server), -EOPNOTSUPP (no X-Resource,
 * or older than 1.2), -ETIMEDOUT, -ENOMEM. On failure x is closed.
 */
int xres_open(struct xres *x, const char *display, uint64_t timeout_msec);

/* Disconnects and frees; x may be closed already or zeroed. */
void xres_close(struct xres *x);

/*
 * Lists the PIDs that hold pixmaps in the X server and their bytes: one
 * entry per PID (its connections merged), at most capacity entries, the
 * X server's own PID excluded (see ret->server_kib; when the server's PID
 * is unknown, its internal client is listed like any other). Allocates only
 * inside xcb (the replies). Returns 0, or -ETIMEDOUT (replies still
 * outstanding are discarded; the connection stays usable), -ECONNRESET
 * (the server went away: close and reopen), -EPROTO (the server refused
 * a request).
 */
int xres_query(struct xres *x, uint64_t timeout_msec, struct xres_client *clients, size_t capacity,
               struct xres_result *ret);
