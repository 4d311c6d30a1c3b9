/* SPDX-License-Identifier: MIT */
/*
 * triagectl choose: the person's side of choosing what to close. It
 * registers with triaged as a chooser (through libtriage, on the
 * application socket) and waits; when memory is critical the daemon sends
 * the ranked candidates with a deadline, and the person picks one or lets
 * the policy decide. Full-screen on a terminal, line by line otherwise.
 */
#pragma once

#include <stdbool.h>

/* Exit statuses of choose_run(). */
#define CHOOSE_EXIT_OK 0        /* an answer was sent (--once), or quit */
#define CHOOSE_EXIT_ERROR 1     /* no daemon, refused, connection lost */
#define CHOOSE_EXIT_NO_ANSWER 2 /* --once: the choice ended without an answer */

struct choose_options {
        const char *app_socket; /* NULL: libtriage's default */
        bool once;              /* exit after one choice */
        bool plain;             /* line mode even on a terminal */
};

/* Runs the chooser until it is told to quit (or, with once, until one
 * choice has ended). Returns an exit status. The terminal is restored on
 * every way out, SIGINT, SIGTERM and SIGHUP included. */
int choose_run(const struct choose_options *o);
