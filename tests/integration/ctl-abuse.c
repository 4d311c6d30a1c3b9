/* SPDX-License-Identifier: MIT */
/*
 * Hostile control clients: each case must get an error or a closed
 * connection, never a crash or a stuck daemon; and a good request must be
 * answered after all of them. Usage: ctl-abuse SOCKET
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"

static const char *sock_path;

static int connect_to(int type)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return -1;
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

/* Sends len bytes and expects an error reply or a close within 5 s. */
static int expect_rejected(const char *what, const void *buf, size_t len)
{
        int fd = connect_to(SOCK_SEQPACKET), status, rfd;
        struct pollfd p;

        if (fd < 0) {
                fprintf(stderr, "%s: cannot connect: %s\n", what, strerror(errno));
                return -1;
        }
        if (send(fd, buf, len, MSG_NOSIGNAL) < 0) {
                fprintf(stderr, "%s: send: %s\n", what, strerror(errno));
                close(fd);
                return -1;
        }
        p = (struct pollfd){ .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 5000) != 1) {
                fprintf(stderr, "%s: no answer\n", what);
                close(fd);
                return -1;
        }
        int r = ctl_reply_recv(fd, &status, &rfd);
        close(fd);
        if (r == 0 && status == 0) {
                fprintf(stderr, "%s: accepted!\n", what);
                close(rfd);
                return -1;
        }
        printf("ok: %s rejected (%s)\n", what, r < 0 ? "closed" : strerror(-status));
        return 0;
}

static int good_request(void)
{
        struct ctl_request req;
        int fd = connect_to(SOCK_SEQPACKET), status, rfd;

        if (fd < 0)
                return -1;
        ctl_request_init(&req, CTL_STATUS, 0, 0, NULL);
        if (send(fd, &req, sizeof(req), MSG_NOSIGNAL) != sizeof(req) ||
            ctl_reply_recv(fd, &status, &rfd) < 0 || status != 0) {
                close(fd);
                return -1;
        }
        close(rfd);
        close(fd);
        return 0;
}

int main(int argc, char *argv[])
{
        struct ctl_request req;
        char garbage[4096];
        int failed = 0;

        if (argc != 2) {
                fprintf(stderr, "usage: ctl-abuse SOCKET\n");
                return 2;
        }
        sock_path = argv[1];
        for (size_t i = 0; i < sizeof(garbage); i++)
                garbage[i] = (char)(i * 131 + 7);

        failed |= expect_rejected("garbage", garbage, sizeof(garbage));
        failed |= expect_rejected("one byte", garbage, 1);
        ctl_request_init(&req, CTL_STATUS, 0, 0, NULL);
        failed |= expect_rejected("short request", &req, sizeof(req) - 1);
        req.hdr.version = 99;
        failed |= expect_rejected("wrong version", &req, sizeof(req));
        ctl_request_init(&req, 77, 0, 0, NULL);
        failed |= expect_rejected("unknown command", &req, sizeof(req));
        ctl_request_init(&req, CTL_STATUS, 0, 0, NULL);
        req.hdr.length = 4000;
        failed |= expect_rejected("lying length", &req, sizeof(req));

        /* A stream socket is the wrong type: connect must fail. */
        int s = connect_to(SOCK_STREAM);
        if (s >= 0) {
                fprintf(stderr, "stream connect: accepted!\n");
                failed = 1;
                close(s);
        }

        /* Silent clients fill every slot; the daemon drops them after its
         * timeout and serves a good request once they are gone. */
        int silent[64];
        for (size_t i = 0; i < 64; i++)
                silent[i] = connect_to(SOCK_SEQPACKET);
        int ok = -1;
        /* Retry while the silent ones hold the slots: each try is answered
         * or refused at once; at most ~10 s in total. */
        for (int i = 0; i < 100 && ok < 0; i++) {
                ok = good_request();
                if (ok < 0)
                        poll(NULL, 0, 100);
        }
        for (size_t i = 0; i < 64; i++)
                if (silent[i] >= 0)
                        close(silent[i]);
        if (ok < 0) {
                fprintf(stderr, "good request not served while silent clients were connected\n");
                failed = 1;
        } else {
                printf("ok: served while 64 silent clients were connected\n");
        }

        /* A flood of good requests. */
        for (int i = 0; i < 500; i++)
                if (good_request() < 0) {
                        fprintf(stderr, "flood: request %d failed\n", i);
                        failed = 1;
                        break;
                }
        printf("ok: flood of 500 requests served\n");
        return failed ? 1 : 0;
}
