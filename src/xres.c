/* SPDX-License-Identifier: MIT */
#include "xres.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <xcb/res.h>
#include <xcb/xcb.h>
#include <xcb/xcbext.h>

#include "util.h"

/* Per X client of one query, indexed like the QueryClients reply. */
struct xres_scratch {
        uint32_t base[XRES_CLIENTS_MAX]; /* resource_base: the client's XID prefix */
        unsigned seq[XRES_CLIENTS_MAX];  /* its QueryClientPixmapBytes request */
        pid_t pid[XRES_CLIENTS_MAX];     /* 0 when the server has none */
};

/* The server's figures are 64-bit: a lying one must not wrap our sums. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
        uint64_t r;
        return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t bytes_to_kib(uint64_t bytes)
{
        return bytes / 1024 + (bytes % 1024 != 0);
}

static uint64_t deadline_after(uint64_t timeout_msec)
{
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        uint64_t d;
        if (__builtin_mul_overflow(timeout_msec, USEC_PER_MSEC, &d) || __builtin_add_overflow(now, d, &d))
                return UINT64_MAX;
        return d;
}

/*
 * Waits for the reply to request seq until deadline_usec. Returns 0 with
 * *ret_reply (free() it), -EPROTO for an X error, -ECONNRESET when the
 * connection broke, -ETIMEDOUT.
 */
static int wait_reply(xcb_connection_t *c, unsigned seq, uint64_t deadline_usec, void **ret_reply)
{
        *ret_reply = NULL;
        for (;;) {
                xcb_generic_error_t *error = NULL;
                void *reply = NULL;

                if (xcb_poll_for_reply(c, seq, &reply, &error)) {
                        if (xcb_connection_has_error(c))
                                return -ECONNRESET;
                        if (error) {
                                free(error);
                                free(reply);
                                return -EPROTO;
                        }
                        if (!reply)
                                return -EPROTO;
                        *ret_reply = reply;
                        return 0;
                }
                if (xcb_connection_has_error(c))
                        return -ECONNRESET;

                uint64_t now = now_usec(CLOCK_MONOTONIC);
                if (now >= deadline_usec)
                        return -ETIMEDOUT;
                uint64_t left_msec = (deadline_usec - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC;
                struct pollfd p = { .fd = xcb_get_file_descriptor(c), .events = POLLIN };
                int k = poll(&p, 1, (int)MIN(left_msec, (uint64_t)INT_MAX));
                if (k < 0 && errno != EINTR)
                        return -errno;
                if (k > 0) {
                        /* Older libxcb's xcb_poll_for_reply() only looks at
                         * what was already read; xcb_poll_for_event() reads
                         * the socket. We select no events, so any that
                         * comes is not ours to keep. */
                        free(xcb_poll_for_event(c));
                }
        }
}

static pid_t peer_pid(xcb_connection_t *c)
{
        struct ucred cred;
        socklen_t len = sizeof(cred);

        if (getsockopt(xcb_get_file_descriptor(c), SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
            len != sizeof(cred))
                return 0;
        /* A TCP peer gives pid 0. */
        return cred.pid > 0 ? cred.pid : 0;
}

void xres_close(struct xres *x)
{
        if (x->conn)
                xcb_disconnect(x->conn);
        free(x->scratch);
        *x = (struct xres){ 0 };
}

int xres_open(struct xres *x, const char *display, uint64_t timeout_msec)
{
        const xcb_query_extension_reply_t *ext;
        xcb_res_query_version_reply_t *version;
        void *reply;
        int screen, r;

        *x = (struct xres){ 0 };
        x->conn = xcb_connect(display, &screen);
        switch (xcb_connection_has_error(x->conn)) {
        case 0:
                break;
        case XCB_CONN_CLOSED_PARSE_ERR:
        case XCB_CONN_CLOSED_INVALID_SCREEN:
                r = -EINVAL;
                goto fail;
        case XCB_CONN_CLOSED_MEM_INSUFFICIENT:
                r = -ENOMEM;
                goto fail;
        default:
                r = -ECONNREFUSED;
                goto fail;
        }

        ext = xcb_get_extension_data(x->conn, &xcb_res_id);
        if (!ext || !ext->present) {
                r = xcb_connection_has_error(x->conn) ? -ECONNRESET : -EOPNOTSUPP;
                goto fail;
        }
        /* We speak 1.2: QueryClientIds is what maps a client to a PID. */
        unsigned seq = xcb_res_query_version(x->conn, 1, 2).sequence;
        if (xcb_flush(x->conn) <= 0) {
                r = -ECONNRESET;
                goto fail;
        }
        r = wait_reply(x->conn, seq, deadline_after(timeout_msec), &reply);
        if (r < 0)
                goto fail;
        version = reply;
        x->version_major = version->server_major;
        x->version_minor = version->server_minor;
        free(reply);
        if (x->version_major < 1 || (x->version_major == 1 && x->version_minor < 2)) {
                r = -EOPNOTSUPP;
                goto fail;
        }

        x->server_pid = peer_pid(x->conn);
        x->scratch = calloc(1, sizeof(*x->scratch));
        if (!x->scratch) {
                r = -ENOMEM;
                goto fail;
        }
        return 0;
fail:
        xres_close(x);
        return r;
}

/* Index of base in s->base[0..n), searching from hint on: QueryClientIds
 * answers in the order QueryClients listed the clients, so the search is
 * one step long unless a client came or went in between. */
static bool find_base(const struct xres_scratch *s, size_t n, uint32_t base, size_t hint, size_t *ret_idx)
{
        for (size_t k = 0; k < n; k++) {
                size_t i = (hint + k) % n;
                if (s->base[i] == base) {
                        *ret_idx = i;
                        return true;
                }
        }
        return false;
}

/* Fills s->pid[] from a QueryClientIds reply. */
static void assign_pids(struct xres_scratch *s, size_t n, const xcb_res_query_client_ids_reply_t *ids)
{
        size_t hint = 0;

        for (xcb_res_client_id_value_iterator_t it = xcb_res_query_client_ids_ids_iterator(ids); it.rem;
             xcb_res_client_id_value_next(&it)) {
                const xcb_res_client_id_value_t *v = it.data;
                size_t i;

                if (!(v->spec.mask & XCB_RES_CLIENT_ID_MASK_LOCAL_CLIENT_PID) ||
                    xcb_res_client_id_value_value_length(v) != 1)
                        continue;
                uint32_t pid = xcb_res_client_id_value_value(v)[0];
                if (n == 0 || pid == 0 || pid > INT32_MAX || !find_base(s, n, v->spec.client, hint, &i))
                        continue;
                s->pid[i] = (pid_t)pid;
                hint = i + 1;
        }
}

/* Adds bytes to pid's entry, making one if needed. */
static void add_bytes(struct xres_client *clients, size_t capacity, struct xres_result *ret, pid_t pid,
                      uint64_t bytes)
{
        size_t i;

        for (i = 0; i < ret->n; i++)
                if (clients[i].pid == pid)
                        break;
        if (i == ret->n) {
                if (ret->n >= capacity) {
                        ret->dropped++;
                        return;
                }
                clients[i] = (struct xres_client){ .pid = pid };
                ret->n++;
        }
        clients[i].pixmap_bytes = sat_add(clients[i].pixmap_bytes, bytes);
        clients[i].connections++;
}

static void discard(xcb_connection_t *c, const unsigned *seqs, size_t n)
{
        for (size_t i = 0; i < n; i++)
                xcb_discard_reply(c, seqs[i]);
}

int xres_query(struct xres *x, uint64_t timeout_msec, struct xres_client *clients, size_t capacity,
               struct xres_result *ret)
{
        const xcb_res_client_id_spec_t all = { .client = 0, .mask = XCB_RES_CLIENT_ID_MASK_LOCAL_CLIENT_PID };
        uint64_t deadline = deadline_after(timeout_msec);
        struct xres_scratch *s = x->scratch;
        xcb_connection_t *c = x->conn;
        uint64_t server_bytes = 0, unknown_bytes = 0;
        size_t n;
        void *reply;
        int r;

        *ret = (struct xres_result){ .server_pid = x->server_pid };
        if (!c || !s)
                return -EINVAL;
        if (xcb_connection_has_error(c))
                return -ECONNRESET;

        /* Round trip 1: the client list and every client's PID (client 0
         * in a spec means all clients). */
        unsigned clients_seq = xcb_res_query_clients(c).sequence;
        unsigned ids_seq = xcb_res_query_client_ids(c, 1, &all).sequence;
        if (xcb_flush(c) <= 0)
                return -ECONNRESET;
        r = wait_reply(c, clients_seq, deadline, &reply);
        if (r < 0) {
                /* An X error consumed its reply; anything else leaves it
                 * to come, and xcb must drop it then. */
                if (r != -EPROTO)
                        xcb_discard_reply(c, clients_seq);
                xcb_discard_reply(c, ids_seq);
                return r;
        }
        const xcb_res_query_clients_reply_t *list = reply;
        const xcb_res_client_t *xc = xcb_res_query_clients_clients(list);
        int len = xcb_res_query_clients_clients_length(list);
        ret->x_clients = len > 0 ? (size_t)len : 0;
        n = MIN(ret->x_clients, (size_t)XRES_CLIENTS_MAX);
        ret->dropped = ret->x_clients - n;

        /* Round trip 2: pixmap bytes of every client, all sent at once. */
        for (size_t i = 0; i < n; i++) {
                s->base[i] = xc[i].resource_base;
                s->pid[i] = 0;
                s->seq[i] = xcb_res_query_client_pixmap_bytes(c, s->base[i]).sequence;
        }
        free(reply);
        if (xcb_flush(c) <= 0)
                return -ECONNRESET;

        r = wait_reply(c, ids_seq, deadline, &reply);
        if (r < 0) {
                if (r != -EPROTO)
                        xcb_discard_reply(c, ids_seq);
                discard(c, s->seq, n);
                return r;
        }
        assign_pids(s, n, reply);
        free(reply);

        for (size_t i = 0; i < n; i++) {
                const xcb_res_query_client_pixmap_bytes_reply_t *pb;

                r = wait_reply(c, s->seq[i], deadline, &reply);
                if (r == -EPROTO) {
                        /* BadValue: the client left after QueryClients. */
                        ret->vanished++;
                        continue;
                }
                if (r < 0) {
                        discard(c, s->seq + i, n - i);
                        return r;
                }
                pb = reply;
                uint64_t bytes = (uint64_t)pb->bytes_overflow << 32 | pb->bytes;
                free(reply);
                if (bytes == 0)
                        continue;
                if (s->pid[i] == 0)
                        unknown_bytes = sat_add(unknown_bytes, bytes);
                else if (s->pid[i] == x->server_pid)
                        server_bytes = sat_add(server_bytes, bytes);
                else
                        add_bytes(clients, capacity, ret, s->pid[i], bytes);
        }
        for (size_t i = 0; i < ret->n; i++)
                clients[i].pixmap_kib = bytes_to_kib(clients[i].pixmap_bytes);
        ret->server_kib = bytes_to_kib(server_bytes);
        ret->unknown_kib = bytes_to_kib(unknown_bytes);
        return 0;
}
