/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Process-wide logging settings: set once at start, read everywhere. */
static struct {
        const char *ident;
        int max_level;
        bool journal;
} log_state = { "triage", LOG_INFO, false };

static bool stderr_is_journal(void)
{
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return st.st_dev == dev && st.st_ino == ino;
}

void log_setup(const char *ident)
{
        log_state.ident = ident;
        log_state.journal = stderr_is_journal();
}

void log_set_max_level(int priority)
{
        log_state.max_level = priority;
}

int log_get_max_level(void)
{
        return log_state.max_level;
}

static const char *priority_name(int priority)
{
        switch (priority) {
        case LOG_EMERG:
        case LOG_ALERT:
        case LOG_CRIT:
        case LOG_ERR:
                return "error: ";
        case LOG_WARNING:
                return "warning: ";
        case LOG_DEBUG:
                return "debug: ";
        default:
                return "";
        }
}

static void log_vprintf(int priority, int err, const char *fmt, va_list ap)
{
        char msg[2048];

        if (priority > log_state.max_level)
                return;
        vsnprintf(msg, sizeof(msg), fmt, ap);
        if (log_state.journal) {
                if (err)
                        fprintf(stderr, "<%d>%s: %s\n", priority, msg, strerror(err));
                else
                        fprintf(stderr, "<%d>%s\n", priority, msg);
        } else {
                if (err)
                        fprintf(stderr, "%s: %s%s: %s\n", log_state.ident, priority_name(priority), msg,
                                strerror(err));
                else
                        fprintf(stderr, "%s: %s%s\n", log_state.ident, priority_name(priority), msg);
        }
}

void log_printf(int priority, const char *fmt, ...)
{
        va_list ap;
        int saved = errno;

        va_start(ap, fmt);
        log_vprintf(priority, 0, fmt, ap);
        va_end(ap);
        errno = saved;
}

int log_printf_errno(int priority, int err, const char *fmt, ...)
{
        va_list ap;
        int saved = errno;

        err = abs(err);
        va_start(ap, fmt);
        log_vprintf(priority, err, fmt, ap);
        va_end(ap);
        errno = saved;
        return -err;
}
