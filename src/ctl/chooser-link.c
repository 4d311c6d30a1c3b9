/* SPDX-License-Identifier: MIT */
/*
 * A chooser's link to triaged (see chooser-link.h).
 *
 * The socket path is worked out here as well as in libtriage (which would
 * take NULL): the messages must name the socket that was tried.
 */
#include "chooser-link.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "triage-paths.h"

void chooser_link_init(struct chooser_link *l, const char *app_socket)
{
        l->client = NULL;
        l->signal_fd = -1;
        l->socket_path = app_socket;
        if (!l->socket_path) {
                /* secure_getenv, as libtriage: a setuid program must not
                 * be pointed at another socket by whoever runs it. */
                const char *e = secure_getenv("TRIAGE_APP_SOCKET");
                l->socket_path = e && e[0] ? e : TRIAGE_APP_SOCKET;
        }
}

int chooser_link_open(struct chooser_link *l, const char *name, const struct triage_callbacks *cb,
                      const struct triage_chooser_callbacks *ccb, void *userdata, char *error, size_t size)
{
        int r;

        r = triage_connect(l->socket_path, name, cb, userdata, &l->client);
        if (r < 0) {
                if (r == -ENOENT || r == -ECONNREFUSED)
                        snprintf(error, size, "triaged is not running (no daemon at %s)", l->socket_path);
                else
                        snprintf(error, size, "cannot register with triaged at %s: %s", l->socket_path,
                                 strerror(-r));
                return r;
        }
        r = triage_register_chooser(l->client, ccb);
        if (r < 0) {
                snprintf(error, size, "cannot register as a chooser: %s", strerror(-r));
                return r;
        }
        return 0;
}

int chooser_link_catch_signals(struct chooser_link *l, const sigset_t *more, char *error, size_t size)
{
        sigset_t mask;

        if (more)
                mask = *more;
        else
                sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, &l->old_mask) < 0) {
                int r = -errno;
                snprintf(error, size, "sigprocmask: %s", strerror(-r));
                return r;
        }
        l->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        if (l->signal_fd < 0) {
                int r = -errno;
                /* chooser_link_close() puts the mask back only with a signalfd. */
                (void)sigprocmask(SIG_SETMASK, &l->old_mask, NULL);
                snprintf(error, size, "signalfd: %s", strerror(-r));
                return r;
        }
        return 0;
}

void chooser_link_close(struct chooser_link *l)
{
        if (l->signal_fd >= 0) {
                close(l->signal_fd);
                l->signal_fd = -1;
                (void)sigprocmask(SIG_SETMASK, &l->old_mask, NULL);
        }
        triage_disconnect(l->client);
        l->client = NULL;
}

void chooser_link_save_state(struct triage_client *client, uint32_t serial, uint32_t deadline_msec,
                             void *userdata)
{
        (void)triage_reply_saved(client, serial, NULL);
}
