/* SPDX-License-Identifier: MIT */
/*
 * A chooser's link to triaged: what the two chooser front ends of
 * triagectl (choose.c on a terminal, notify.c as desktop notifications)
 * share. It finds the daemon's application socket, connects to it through
 * libtriage and registers as a chooser; it blocks the signals that end a
 * chooser and reads them from a signalfd, so that the front end's loop
 * handles them as ordinary events; and it undoes all of that on the way
 * out. What to show, and when to stop, stays with the front end: the link
 * keeps no state of a choice and never prints.
 *
 * Use: chooser_link_init(), chooser_link_open(),
 * chooser_link_catch_signals(), poll triage_get_fd(client) and signal_fd,
 * then chooser_link_close() on every way out (also after a failed open).
 */
#pragma once

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <triage.h>

struct chooser_link {
        const char *socket_path;      /* the daemon's application socket; also for messages */
        struct triage_client *client; /* NULL until chooser_link_open() */
        int signal_fd;                /* -1 until chooser_link_catch_signals() */
        sigset_t old_mask;            /* the mask to put back */
};

/*
 * Sets up l, opening nothing. The socket is app_socket (--app-socket),
 * else $TRIAGE_APP_SOCKET (not in secure execution: setuid and the like),
 * else TRIAGE_APP_SOCKET: the one libtriage would pick for NULL.
 */
void chooser_link_init(struct chooser_link *l, const char *app_socket);

/*
 * Connects to triaged as name (blocking, up to libtriage's 5 s) and asks
 * to be a chooser; the daemon's answer comes later, to ccb->ready or
 * cb->error. cb, ccb and userdata go to libtriage as they are. Returns 0,
 * or -errno with why, for the person, in error (size bytes): "triaged is
 * not running (no daemon at PATH)", "cannot register with triaged at
 * PATH: ...", "cannot register as a chooser: ...".
 */
int chooser_link_open(struct chooser_link *l, const char *name, const struct triage_callbacks *cb,
                      const struct triage_chooser_callbacks *ccb, void *userdata, char *error, size_t size);

/*
 * Blocks SIGINT, SIGTERM and SIGHUP (they end every chooser), and the
 * signals in more (NULL: none), and opens l->signal_fd (non-blocking) to
 * read them. Returns 0, or -errno with "sigprocmask: ..." or
 * "signalfd: ..." in error (size bytes), the mask as it was.
 */
int chooser_link_catch_signals(struct chooser_link *l, const sigset_t *more, char *error, size_t size);

/* Closes the signalfd and puts the signal mask back, then disconnects
 * from the daemon. Whatever was not opened is skipped. */
void chooser_link_close(struct chooser_link *l);

/*
 * A save_state callback for any chooser (struct triage_callbacks): a
 * chooser is a registered client like any other, with nothing to save.
 */
void chooser_link_save_state(struct triage_client *client, uint32_t serial, uint32_t deadline_msec,
                             void *userdata);
