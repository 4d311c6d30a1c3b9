/* SPDX-License-Identifier: MIT */
/*
 * Checks src/xres.c and the X-pixmap charge against a real X server in
 * which pixmap-client holds MIB MiB of pixmaps over CONNECTIONS connections.
 *
 *   xres-check DISPLAY CLIENT_PID SERVER_PID MIB CONNECTIONS BASE_RSS_ANON_KIB
 *
 * BASE_RSS_ANON_KIB is the server's RssAnon before the client started.
 * Prints "ok: ..." lines; exits 1 at the first failure.
 *
 * Tolerance: X-Resource reports devKind * height for each pixmap, the
 * bytes of its pixel rows. A 1024-pixel row at 32 bpp is 4096 bytes, a
 * multiple of every row alignment servers use (fb pads to 4 bytes, glamor
 * and DRM drivers to 64 or 256), so on Xvfb the figure is exact and it is
 * checked as such from below. From above it may exceed MIB MiB by 2% for a
 * server that pads rows more or holds another small pixmap for the client
 * (a cursor or a window background would be a few KiB); more than that
 * means pixmaps counted that the client did not make. Rounding: the
 * charge is in KiB, rounded up once per PID, so at most 1 KiB over.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "charges.h"
#include "util.h"
#include "xres.h"

#define CLIENTS_CAP 64
#define TIMEOUT_MSEC 5000
/* The query against a stopped server: it must give up after this. */
#define SHORT_TIMEOUT_MSEC 300

_Noreturn static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fputs("FAIL: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        exit(1);
}

static long arg_long(const char *s)
{
        int64_t v;
        if (parse_i64(s, &v) < 0 || v < 0)
                fail("bad argument '%s'", s);
        return (long)v;
}

/* A "Key:   N kB" line of /proc/PID/status, in KiB. */
static uint64_t status_kib(pid_t pid, const char *key)
{
        char path[64], buf[4096];
        size_t klen = strlen(key);

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        if (read_file_at(AT_FDCWD, path, buf, sizeof(buf)) < 0)
                fail("cannot read %s", path);
        for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                unsigned long long v;
                if (strncmp(line, key, klen) == 0 && line[klen] == ':' &&
                    sscanf(line + klen + 1, "%llu", &v) == 1)
                        return v;
        }
        return 0;
}

static const struct xres_client *find(const struct xres_client *c, size_t n, pid_t pid)
{
        for (size_t i = 0; i < n; i++)
                if (c[i].pid == pid)
                        return &c[i];
        return NULL;
}

static void print_result(const struct xres_client *c, const struct xres_result *r)
{
        printf("  %zu X clients, server pid %d (its own pixmaps %" PRIu64 " KiB), %" PRIu64
               " KiB without a pid, %zu dropped, %zu vanished\n",
               r->x_clients, (int)r->server_pid, r->server_kib, r->unknown_kib, r->dropped, r->vanished);
        for (size_t i = 0; i < r->n; i++)
                printf("  pid %d: %" PRIu64 " bytes = %" PRIu64 " KiB over %u connection(s)\n", (int)c[i].pid,
                       c[i].pixmap_bytes, c[i].pixmap_kib, c[i].connections);
}

int main(int argc, char **argv)
{
        struct xres_client clients[CLIENTS_CAP];
        struct xres_result res;
        struct xres x;
        int r;

        if (argc != 7)
                fail("usage: xres-check DISPLAY CLIENT_PID SERVER_PID MIB CONNECTIONS BASE_RSS_ANON_KIB");
        const char *display = argv[1];
        pid_t client_pid = (pid_t)arg_long(argv[2]), server_pid = (pid_t)arg_long(argv[3]);
        uint64_t expect_kib = (uint64_t)arg_long(argv[4]) * 1024;
        unsigned connections = (unsigned)arg_long(argv[5]);
        uint64_t base_rss_kib = (uint64_t)arg_long(argv[6]);

        /* Errors first: no such display, a malformed name. */
        r = xres_open(&x, ":65000", TIMEOUT_MSEC);
        if (r != -ECONNREFUSED)
                fail("xres_open(:65000) = %d, expected -ECONNREFUSED", r);
        r = xres_open(&x, "no display here", TIMEOUT_MSEC);
        if (r != -EINVAL)
                fail("xres_open(malformed) = %d, expected -EINVAL", r);
        printf("ok: a missing display and a malformed name are refused\n");

        r = xres_open(&x, display, TIMEOUT_MSEC);
        if (r < 0)
                fail("xres_open(%s): %s", display, strerror(-r));
        printf("ok: X-Resource %u.%u on %s\n", x.version_major, x.version_minor, display);
        if (x.server_pid != server_pid)
                fail("server pid from SO_PEERCRED is %d, Xvfb is %d", (int)x.server_pid, (int)server_pid);
        printf("ok: the server's pid is %d (SO_PEERCRED)\n", (int)x.server_pid);

        r = xres_query(&x, TIMEOUT_MSEC, clients, CLIENTS_CAP, &res);
        if (r < 0)
                fail("xres_query: %s", strerror(-r));
        print_result(clients, &res);

        /* The client: MIB MiB, its connections merged into one entry. */
        const struct xres_client *c = find(clients, res.n, client_pid);
        if (!c)
                fail("no entry for the client, pid %d", (int)client_pid);
        if (c->pixmap_kib < expect_kib || c->pixmap_kib > expect_kib + expect_kib / 50)
                fail("client charged %" PRIu64 " KiB, expected %" PRIu64 " KiB (+2%%)", c->pixmap_kib,
                     expect_kib);
        if (c->connections != connections)
                fail("client has %u connections with pixmaps, expected %u", c->connections, connections);
        printf("ok: pid %d is charged %" PRIu64 " KiB (expected %" PRIu64 "), %u connections merged\n",
               (int)client_pid, c->pixmap_kib, expect_kib, c->connections);
        const uint64_t client_bytes = c->pixmap_bytes, client_kib = c->pixmap_kib;

        /* The server is reported apart, never as a client; we (no pixmaps)
         * are not listed. */
        if (res.server_pid != server_pid || find(clients, res.n, server_pid))
                fail("the server's pid is listed as a client or not reported");
        if (find(clients, res.n, getpid()))
                fail("this checker, which holds no pixmaps, is listed");
        printf("ok: the server (pid %d) is reported separately, not as a client\n", (int)server_pid);

        /* The pixmaps are real memory in the server. */
        uint64_t rss_kib = status_kib(server_pid, "RssAnon");
        if (rss_kib < base_rss_kib + expect_kib)
                fail("server RssAnon grew from %" PRIu64 " to %" PRIu64 " KiB, less than %" PRIu64,
                     base_rss_kib, rss_kib, expect_kib);
        printf("ok: the server's RssAnon grew by %" PRIu64 " KiB\n", rss_kib - base_rss_kib);

        /* Into the charge table: the client gains what the server loses,
         * and the server is never credited below zero. */
        struct charge_table *t = malloc(sizeof(*t));
        if (!t)
                fail("out of memory");
        charges_init(t);
        uint64_t held_kib = 0;
        for (size_t i = 0; i < res.n; i++) {
                if (charges_set(t, CHARGE_X_PIXMAPS, clients[i].pid, res.server_pid, clients[i].pixmap_kib) <
                    0)
                        fail("charges_set");
                held_kib += clients[i].pixmap_kib;
        }
        uint64_t own_kib = status_kib(server_pid, "VmRSS") + status_kib(server_pid, "VmSwap");
        int64_t client_net = charges_net_kib(t, client_pid, 0);
        int64_t server_net = charges_net_kib(t, server_pid, own_kib);
        if (client_net != (int64_t)client_kib)
                fail("client net charge %" PRId64 " KiB, expected %" PRIu64, client_net, client_kib);
        if (server_net != -(int64_t)MIN(own_kib, held_kib))
                fail("server net charge %" PRId64 " KiB, own %" PRIu64 ", holds %" PRIu64, server_net,
                     own_kib, held_kib);
        if (charges_net_kib(t, server_pid, 1000) != -1000)
                fail("the server's credit is not clamped to its own size");
        printf("ok: charges: client %+" PRId64 " KiB, server %+" PRId64 " KiB of its own %" PRIu64 " KiB\n",
               client_net, server_net, own_kib);
        free(t);

        /* A server that does not answer: the query gives up at its
         * deadline, and the late replies do not confuse the next one. */
        if (kill(server_pid, SIGSTOP) < 0)
                fail("cannot stop the server: %s", strerror(errno));
        uint64_t start = now_usec(CLOCK_MONOTONIC);
        r = xres_query(&x, SHORT_TIMEOUT_MSEC, clients, CLIENTS_CAP, &res);
        uint64_t took_msec = (now_usec(CLOCK_MONOTONIC) - start) / USEC_PER_MSEC;
        kill(server_pid, SIGCONT);
        if (r != -ETIMEDOUT)
                fail("query of a stopped server returned %d, expected -ETIMEDOUT", r);
        /* The upper bound only catches a wait without a deadline. */
        if (took_msec < SHORT_TIMEOUT_MSEC || took_msec > 10 * SHORT_TIMEOUT_MSEC)
                fail("the timed-out query took %" PRIu64 " ms for a %d ms timeout", took_msec,
                     SHORT_TIMEOUT_MSEC);
        printf("ok: a stopped server times out after %" PRIu64 " ms\n", took_msec);

        r = xres_query(&x, TIMEOUT_MSEC, clients, CLIENTS_CAP, &res);
        if (r < 0)
                fail("query after the timeout: %s", strerror(-r));
        const struct xres_client *again = find(clients, res.n, client_pid);
        if (!again || again->pixmap_bytes != client_bytes)
                fail("after the timeout the client's figure changed");
        printf("ok: the connection is usable after a timeout (%" PRIu64 " KiB again)\n", again->pixmap_kib);

        xres_close(&x);
        xres_close(&x);
        return 0;
}
