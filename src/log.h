/* SPDX-License-Identifier: MIT */
/*
 * Logging to stderr. Under systemd (JOURNAL_STREAM set and matching
 * stderr) each line carries a "<N>" syslog priority prefix that journald
 * understands; otherwise lines are "triaged: warning: ...".
 *
 * The *_errno() variants append ": <strerror>" and return -abs(err), so
 * that the top of a call chain can write
 *     if (r < 0) return log_error_errno(r, "open %s", path);
 */
#pragma once

#include <stdarg.h>
#include <syslog.h>

void log_setup(const char *ident);
void log_set_max_level(int priority);
int log_get_max_level(void);

void log_printf(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int log_printf_errno(int priority, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_debug(...) log_printf(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_printf(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_printf(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_printf(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_printf(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(err, ...) log_printf_errno(LOG_DEBUG, (err), __VA_ARGS__)
#define log_info_errno(err, ...) log_printf_errno(LOG_INFO, (err), __VA_ARGS__)
#define log_warning_errno(err, ...) log_printf_errno(LOG_WARNING, (err), __VA_ARGS__)
#define log_error_errno(err, ...) log_printf_errno(LOG_ERR, (err), __VA_ARGS__)
