/* SPDX-License-Identifier: MIT */
/*
 * triagectl choose --notify: the chooser as desktop notifications. It
 * registers with triaged as a chooser (libtriage, on the application
 * socket) and, when memory is critical, shows the candidates in a
 * notification of the session bus's org.freedesktop.Notifications server:
 * one action per candidate (the first NOTIFY_ACTIONS_MAX) and "Let triage
 * decide". An invoked action is the answer; a notification closed without
 * one is no answer (the policy decides at the deadline). After each
 * choice a second notification says what was closed and why.
 */
#pragma once

#include <stdbool.h>

/* Candidates offered as actions; the rest are listed in the body. Three
 * fit the action rows of GNOME Shell, KDE Plasma and notification-daemon
 * next to "Let triage decide". */
#define NOTIFY_ACTIONS_MAX 3

/*
 * Runs the notification chooser until SIGINT, SIGTERM or SIGHUP, or with
 * once until one choice has ended (and its result notification was
 * shown). app_socket NULL: libtriage's default. Returns an exit status,
 * the same as choose_run()'s (choose.h): CHOOSE_EXIT_OK, CHOOSE_EXIT_ERROR
 * (no session bus, no notification server or one without actions, no
 * daemon, a connection lost), CHOOSE_EXIT_NO_ANSWER (once: the choice
 * ended without an answer from this chooser).
 */
int choose_notify_run(const char *app_socket, bool once);
