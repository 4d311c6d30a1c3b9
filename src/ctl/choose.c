/* SPDX-License-Identifier: MIT */
/*
 * triagectl choose (see choose.h and triagectl(1)).
 *
 * One poll() loop over the daemon's socket (libtriage), a timerfd for the
 * countdown, a signalfd and standard input. Signals (SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT, SIGWINCH, and on a terminal SIGTSTP and SIGCONT) are
 * blocked and read from the signalfd, so they are handled by ordinary code
 * in the loop: the terminal is restored on every way out, and a resize is
 * redrawn without an asynchronous handler. The screen is redrawn whole, in
 * one write, on every change and once a second while a choice is open;
 * nothing wakes up while waiting.
 *
 * Nothing is preselected: Enter does nothing until the person has moved to
 * a candidate, so a key pressed for another window when the chooser pops up
 * cannot close an application by accident.
 *
 * Names come from other people's processes, and a program can name itself
 * with escape sequences that would write to the chooser's terminal: every
 * name goes through text_sanitize(), which lets valid printable UTF-8 through
 * and turns anything else into '?'.
 */
#include "choose.h"
#include "chooser-link.h"
#include "text.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <triage.h>

#include "util.h"

#define CHOOSER_NAME "triagectl-choose"
/* After answering, or after the deadline, how long to wait for the daemon
 * to say how the choice ended. It says so at once (or at its own deadline)
 * from its loop; this only bounds a daemon that hangs. */
#define DONE_GRACE_USEC (5 * USEC_PER_SEC)
/* A lone ESC is the Esc key unless the rest of an escape sequence follows
 * within this: terminals send a sequence in one write, and 50 ms covers
 * the split an ssh connection can add. */
#define ESC_WAIT_MSEC 50
/* A screen line (bytes, before it is cut to the terminal's width) and the
 * most lines drawn: the chooser needs 8 candidates and 12 lines more. */
#define LINE_BYTES 512
#define SCREEN_LINES 32
/* Plain mode: the longest answer line read. */
#define INPUT_MAX 256
/* Columns of the candidate table. */
#define NAME_COLUMNS 24

enum phase {
        PHASE_WAITING,  /* registered (or registering), no choice open */
        PHASE_CHOOSING, /* the candidates are shown, counting down */
        PHASE_SENT,     /* answered: waiting for CHOOSE_DONE */
        PHASE_EXPIRED,  /* the deadline passed without an answer */
};

struct line {
        char s[LINE_BYTES];
        size_t len;
        bool reverse; /* the highlighted candidate */
        bool bold;
};

struct chooser {
        const struct choose_options *o;
        struct chooser_link link; /* the daemon, the signals */
        bool tui;                 /* full screen; else line by line */
        int timer_fd;
        bool raw; /* the terminal is in raw mode, on the alternate screen */
        struct termios saved_tio;
        unsigned rows, cols;
        bool dirty; /* redraw before polling again */

        bool ready; /* the daemon accepted this chooser */
        uint32_t applications, choosers;
        int level_byte; /* -1 before the first LEVEL */

        enum phase phase;
        uint32_t serial;
        struct triage_choice choices[TRIAGE_CHOICES_MAX];
        size_t n;
        int cursor;             /* -1: nothing highlighted yet */
        uint64_t deadline_usec; /* CLOCK_MONOTONIC */
        uint64_t grace_usec;    /* stop waiting for CHOOSE_DONE then */
        bool answered;          /* this choice was answered */
        pid_t answer;           /* the leader picked, 0: the policy */

        char note[LINE_BYTES];          /* for the person: a refusal, a hint */
        char result[LINE_BYTES];        /* how the last choice ended */
        char killed[LINE_BYTES];        /* what was closed last ("Closed gimp (pid 5)") */
        char killed_reason[LINE_BYTES]; /* and why */
        char error[LINE_BYTES];         /* why the chooser stops, for stderr */

        char input[INPUT_MAX]; /* plain mode: what was read, not yet used */
        size_t input_len;
        bool input_skip; /* discarding the rest of an overlong line */
        bool input_eof;

        bool quit;
        int exit_status;

        struct line lines[SCREEN_LINES];
        size_t n_lines;
        char screen[SCREEN_LINES * (LINE_BYTES + 32) + 64];
};

static uint64_t now_mono_usec(void)
{
        return now_usec(CLOCK_MONOTONIC);
}

static void write_all(int fd, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, buf, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return; /* the terminal is gone: nothing to tell it */
                buf += n;
                len -= (size_t)n;
        }
}

static void write_str(const char *s)
{
        write_all(STDOUT_FILENO, s, strlen(s));
}

static void finish(struct chooser *ch, int status)
{
        if (ch->quit)
                return;
        ch->quit = true;
        ch->exit_status = status;
}

static void __attribute__((format(printf, 2, 3))) fail(struct chooser *ch, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(ch->error, sizeof(ch->error), fmt, ap);
        va_end(ap);
        finish(ch, CHOOSE_EXIT_ERROR);
}

static void __attribute__((format(printf, 2, 3))) set_note(struct chooser *ch, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(ch->note, sizeof(ch->note), fmt, ap);
        va_end(ap);
        ch->dirty = true;
        if (!ch->tui && ch->note[0]) {
                printf("%s\n", ch->note);
                fflush(stdout);
        }
}

/* Characters in a sanitized string (one column each, near enough: wide
 * characters are rare in program names). */
static size_t chars_of(const char *s)
{
        size_t n = 0;

        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                n += (*p & 0xc0) != 0x80;
        return n;
}

/* The first max characters of s, in bytes. */
static size_t bytes_for_chars(const char *s, size_t max)
{
        size_t n = 0, i = 0;

        for (; s[i]; i++) {
                if (((unsigned char)s[i] & 0xc0) != 0x80) {
                        if (n == max)
                                break;
                        n++;
                }
        }
        return i;
}

static const char *level_name(int level_byte)
{
        switch (level_byte) {
        case TRIAGE_MEMORY_NORMAL:
                return "normal";
        case TRIAGE_MEMORY_LOW:
                return "low";
        case TRIAGE_MEMORY_MEDIUM:
                return "medium";
        case TRIAGE_MEMORY_CRITICAL:
                return "critical";
        default:
                return "unknown";
        }
}

static const char *format_idle(uint64_t sec, char *buf, size_t size)
{
        if (sec < 5)
                snprintf(buf, size, "just now");
        else if (sec < 60)
                snprintf(buf, size, "%" PRIu64 " s ago", sec);
        else if (sec < 3600)
                snprintf(buf, size, "%" PRIu64 " min ago", sec / 60);
        else if (sec < 2 * 86400)
                snprintf(buf, size, "%" PRIu64 " h ago", sec / 3600);
        else
                snprintf(buf, size, "%" PRIu64 " days ago", sec / 86400);
        return buf;
}

/* "firefox" for a leader among the candidates, else "pid 1234". */
static const char *victim_name(const struct chooser *ch, pid_t victim, char *buf, size_t size)
{
        for (size_t i = 0; i < ch->n; i++) {
                if (ch->choices[i].leader == victim) {
                        text_sanitize(ch->choices[i].name, buf, size);
                        if (buf[0])
                                return buf;
                }
        }
        snprintf(buf, size, "pid %d", (int)victim);
        return buf;
}

/* Seconds left, rounded up: what the countdown shows. */
static uint64_t seconds_left(const struct chooser *ch)
{
        uint64_t now = now_mono_usec();

        if (now >= ch->deadline_usec)
                return 0;
        return (ch->deadline_usec - now + USEC_PER_SEC - 1) / USEC_PER_SEC;
}

/* Once a second while a choice is open, at the moments the countdown
 * changes (deadline - k seconds); disarmed while waiting. */
static void timer_update(struct chooser *ch)
{
        struct itimerspec its = {};

        if (ch->phase != PHASE_WAITING) {
                uint64_t now = now_mono_usec(), next;
                if (ch->deadline_usec > now) {
                        uint64_t left = seconds_left(ch);
                        next = ch->deadline_usec - (left - 1) * USEC_PER_SEC;
                } else {
                        next = now + USEC_PER_SEC;
                }
                its.it_value.tv_sec = (time_t)(next / USEC_PER_SEC);
                its.it_value.tv_nsec = (long)(next % USEC_PER_SEC) * 1000;
                its.it_interval.tv_sec = 1;
        }
        if (timerfd_settime(ch->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
                fail(ch, "timerfd: %s", strerror(errno));
}

/* ---- the screen ---- */

static struct line *add_line(struct chooser *ch)
{
        if (ch->n_lines >= SCREEN_LINES)
                return NULL;
        struct line *l = &ch->lines[ch->n_lines++];
        l->len = 0;
        l->s[0] = '\0';
        l->reverse = l->bold = false;
        return l;
}

static void __attribute__((format(printf, 2, 3))) line_add(struct line *l, const char *fmt, ...)
{
        va_list ap;

        if (!l || l->len + 1 >= sizeof(l->s))
                return;
        va_start(ap, fmt);
        int n = vsnprintf(l->s + l->len, sizeof(l->s) - l->len, fmt, ap);
        va_end(ap);
        if (n > 0)
                l->len = MIN(l->len + (size_t)n, sizeof(l->s) - 1);
}

/* A line of text (printf-style); NULL-safe when the screen is full. */
#define LINE(ch, ...)                                                                                        \
        do {                                                                                                 \
                struct line *l_ = add_line(ch);                                                              \
                line_add(l_, __VA_ARGS__);                                                                   \
        } while (0)

/* A sanitized name, cut or padded to width characters. */
static void line_name(struct line *l, const char *name, size_t width)
{
        char safe[4 * TRIAGE_NAME_MAX + 1];

        if (!l)
                return;
        text_sanitize(name, safe, sizeof(safe));
        size_t chars = chars_of(safe);
        if (chars > width)
                safe[bytes_for_chars(safe, width)] = '\0';
        line_add(l, "%s%*s", safe, (int)(chars > width ? 0 : width - chars), "");
}

static void draw_choices(struct chooser *ch)
{
        char mem[32], idle[32];
        struct line *l;

        l = add_line(ch);
        line_add(l, "      #  %-*s %7s %9s  %-11s", NAME_COLUMNS, "application", "pid", "memory",
                 "last used");
        for (size_t i = 0; i < ch->n; i++) {
                const struct triage_choice *c = &ch->choices[i];
                bool here = ch->cursor == (int)i;
                bool picked = ch->phase == PHASE_SENT && ch->answered && ch->answer == c->leader;
                l = add_line(ch);
                if (!l)
                        break;
                l->reverse = here && ch->phase == PHASE_CHOOSING;
                l->bold = (c->flags & TRIAGE_CHOICE_RECOMMENDED) != 0;
                line_add(l, "  %s %2zu  ", picked ? "*>" : here ? " >" : "  ", i + 1);
                line_name(l, c->name, NAME_COLUMNS);
                line_add(l, " %7d %9s  %-11s", (int)c->leader, format_kib(c->memory_kib, mem, sizeof(mem)),
                         format_idle(c->idle_sec, idle, sizeof(idle)));
                if (c->flags & TRIAGE_CHOICE_SAVED)
                        line_add(l, "  saved");
                if (c->flags & TRIAGE_CHOICE_FROZEN)
                        line_add(l, "  frozen");
                if (c->flags & TRIAGE_CHOICE_RECOMMENDED)
                        line_add(l, "  <- the policy's choice");
        }
}

/* text on lines of at most width bytes, cut at spaces where it can be
 * (never inside a UTF-8 sequence), indented. */
static void lines_wrapped(struct chooser *ch, const char *text, size_t width)
{
        while (*text) {
                size_t n = strlen(text);
                if (n > width) {
                        size_t cut = width;
                        while (cut > 0 && text[cut] != ' ')
                                cut--;
                        if (cut == 0)
                                for (cut = width; cut > 0 && ((unsigned char)text[cut] & 0xc0) == 0x80;)
                                        cut--;
                        n = cut ? cut : width;
                }
                LINE(ch, "   %.*s", (int)n, text);
                text += n;
                while (*text == ' ')
                        text++;
        }
}

static void build_screen(struct chooser *ch)
{
        char name[4 * TRIAGE_NAME_MAX + 16];

        ch->n_lines = 0;
        if (ch->phase == PHASE_WAITING) {
                struct line *l = add_line(ch);
                if (l)
                        l->bold = true;
                line_add(l, " triagectl choose: pick what to close when memory runs out");
                LINE(ch, " ");
                if (!ch->ready)
                        LINE(ch, " registering with triaged at %s ...", ch->link.socket_path);
                else
                        LINE(ch, " waiting for memory pressure (%" PRIu32 " registered application%s%s%s)",
                             ch->applications, ch->applications == 1 ? "" : "s",
                             ch->level_byte >= 0 ? ", memory level " : "",
                             ch->level_byte >= 0 ? level_name(ch->level_byte) : "");
                if (ch->result[0]) {
                        LINE(ch, " ");
                        LINE(ch, " last time: %s", ch->result);
                }
                if (ch->killed[0]) {
                        LINE(ch, " ");
                        LINE(ch, " %s.", ch->killed);
                        lines_wrapped(ch, ch->killed_reason, ch->cols > 8 ? ch->cols - 4 : 72);
                }
                if (ch->note[0]) {
                        LINE(ch, " ");
                        LINE(ch, " %s", ch->note);
                }
                LINE(ch, " ");
                LINE(ch, " q: quit");
                return;
        }

        struct line *l = add_line(ch);
        if (l)
                l->bold = true;
        line_add(l, " Memory is critically low: pick an application to close");
        LINE(ch, " ");
        draw_choices(ch);
        LINE(ch, " ");
        switch (ch->phase) {
        case PHASE_CHOOSING:
                LINE(ch, " answer within %" PRIu64 " s, then the policy decides", seconds_left(ch));
                break;
        case PHASE_SENT:
                if (ch->answer)
                        LINE(ch, " asked triaged to close %s; waiting for its answer",
                             victim_name(ch, ch->answer, name, sizeof(name)));
                else
                        LINE(ch, " left it to the policy; waiting for triaged");
                break;
        case PHASE_EXPIRED:
                LINE(ch, " time is up (0 s): the policy decides");
                break;
        case PHASE_WAITING:
                break;
        }
        LINE(ch, " ");
        if (ch->phase == PHASE_CHOOSING) {
                LINE(ch, " Up/Down or j/k: move   Enter: close the highlighted one   1-%zu: close that one",
                     ch->n);
                LINE(ch, " Esc or p: let the policy decide   q: quit");
        } else {
                LINE(ch, " q: quit");
        }
        if (ch->note[0]) {
                LINE(ch, " ");
                LINE(ch, " %s", ch->note);
        }
}

static void screen_size(struct chooser *ch)
{
        struct winsize ws;

        ch->rows = 24;
        ch->cols = 80;
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
                ch->rows = ws.ws_row;
                ch->cols = ws.ws_col;
        }
}

/* The whole screen in one write: home, each line cut to the width and
 * cleared to its end, then the rest of the screen cleared. */
static void redraw(struct chooser *ch)
{
        size_t len = 0, size = sizeof(ch->screen);

        ch->dirty = false;
        if (!ch->raw)
                return;
        build_screen(ch);
        len += (size_t)snprintf(ch->screen + len, size - len, "\x1b[H");
        size_t rows = MIN((size_t)ch->rows, ch->n_lines);
        /* The last column is left empty: writing it wraps on some
         * terminals. */
        size_t width = ch->cols > 1 ? ch->cols - 1 : 1;
        for (size_t i = 0; i < rows; i++) {
                const struct line *l = &ch->lines[i];
                size_t bytes = bytes_for_chars(l->s, width);
                len += (size_t)snprintf(ch->screen + len, size - len, "%s%s%.*s\x1b[0m\x1b[K%s",
                                        l->bold ? "\x1b[1m" : "", l->reverse ? "\x1b[7m" : "", (int)bytes,
                                        l->s, i + 1 < rows ? "\r\n" : "");
                if (len >= size)
                        return; /* cannot happen: the buffer has room for every line */
        }
        len += (size_t)snprintf(ch->screen + len, size - len, "\x1b[J");
        if (len < size)
                write_all(STDOUT_FILENO, ch->screen, len);
}

/* ---- the terminal ---- */

static int term_enter(struct chooser *ch)
{
        struct termios t = ch->saved_tio;

        t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
        t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
        t.c_cflag |= CS8;
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        /* TCSAFLUSH: keys typed before the chooser was up are dropped. */
        if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) < 0)
                return -errno;
        if (!ch->raw)
                write_str("\x1b[?1049h\x1b[?25l"); /* alternate screen, no cursor */
        ch->raw = true;
        screen_size(ch);
        ch->dirty = true;
        return 0;
}

static void term_leave(struct chooser *ch)
{
        if (!ch->raw)
                return;
        write_str("\x1b[0m\x1b[?25h\x1b[?1049l");
        (void)tcsetattr(STDIN_FILENO, TCSADRAIN, &ch->saved_tio);
        ch->raw = false;
}

static void retake_terminal(struct chooser *ch)
{
        if (!ch->tui)
                return;
        int r = term_enter(ch);
        if (r < 0)
                fail(ch, "cannot set up the terminal again: %s", strerror(-r));
}

/* ^Z or SIGTSTP: give the terminal back, stop, and take it again once
 * continued. (SIGTSTP is blocked for the signalfd: SIGSTOP does the
 * stopping, and the shell's job control sees it the same way.) */
static void suspend(struct chooser *ch)
{
        term_leave(ch);
        (void)kill(getpid(), SIGSTOP);
        retake_terminal(ch);
}

/* ---- answering ---- */

static void print_choices(struct chooser *ch)
{
        char name[4 * TRIAGE_NAME_MAX + 1], mem[32], idle[32];

        printf("memory is critical: pick an application to close (serial %" PRIu32 ", %zu candidates, "
               "answer within %" PRIu64 " s)\n",
               ch->serial, ch->n, seconds_left(ch));
        for (size_t i = 0; i < ch->n; i++) {
                const struct triage_choice *c = &ch->choices[i];
                text_sanitize(c->name, name, sizeof(name));
                printf("  %zu  %s  pid %d  %s  used %s%s%s%s\n", i + 1, name, (int)c->leader,
                       format_kib(c->memory_kib, mem, sizeof(mem)),
                       format_idle(c->idle_sec, idle, sizeof(idle)),
                       c->flags & TRIAGE_CHOICE_SAVED ? "  saved" : "",
                       c->flags & TRIAGE_CHOICE_FROZEN ? "  frozen" : "",
                       c->flags & TRIAGE_CHOICE_RECOMMENDED ? "  recommended" : "");
        }
        printf("pick 1-%zu, p to let the policy decide, q to quit:\n", ch->n);
        fflush(stdout);
}

/* Sends the answer: the leader of candidate i, or the policy (i < 0). */
static void answer(struct chooser *ch, int i)
{
        char name[4 * TRIAGE_NAME_MAX + 16];
        pid_t leader = i >= 0 ? ch->choices[i].leader : 0;

        if (ch->phase != PHASE_CHOOSING)
                return;
        int r = triage_pick(ch->link.client, ch->serial, leader);
        if (r < 0) {
                set_note(ch, "cannot send the answer to triaged: %s", strerror(-r));
                return;
        }
        ch->answered = true;
        ch->answer = leader;
        ch->phase = PHASE_SENT;
        ch->grace_usec = now_mono_usec() + DONE_GRACE_USEC;
        ch->note[0] = '\0';
        ch->dirty = true;
        if (!ch->tui) {
                if (leader)
                        printf("asked triaged to close %s (pid %d)\n",
                               victim_name(ch, leader, name, sizeof(name)), (int)leader);
                else
                        printf("left the choice to the policy\n");
                fflush(stdout);
        }
}

/* q, a signal, the terminal gone: stop without answering (the daemon's
 * deadline, or its noticing that the chooser left, hands the choice back
 * to the policy). */
static void quit_now(struct chooser *ch)
{
        if (ch->phase == PHASE_CHOOSING && !ch->quit) {
                snprintf(ch->result, sizeof(ch->result), "left without answering: the policy decides");
                if (!ch->tui) {
                        printf("%s\n", ch->result);
                        fflush(stdout);
                }
        }
        if (ch->o->once)
                finish(ch, ch->answered ? CHOOSE_EXIT_OK : CHOOSE_EXIT_NO_ANSWER);
        else
                finish(ch, CHOOSE_EXIT_OK);
}

/* ---- libtriage callbacks ---- */

static void on_level(struct triage_client *c, uint8_t level_byte, void *userdata)
{
        struct chooser *ch = userdata;

        ch->level_byte = level_byte;
        ch->dirty = true;
}

/* The chooser is a registered client like any other: if the daemon wants
 * it closed, it goes (and it has nothing to save: chooser_link_save_state). */
static void on_emergency_close(struct triage_client *c, uint32_t serial, uint32_t deadline_msec,
                               void *userdata)
{
        struct chooser *ch = userdata;

        (void)triage_reply_closing(c, serial);
        fail(ch, "triaged asked this chooser to close");
}

static void on_error(struct triage_client *c, int errnum, uint16_t about_type, void *userdata)
{
        struct chooser *ch = userdata;

        if (about_type == TRIAGE_MESSAGE_CHOOSER) {
                fail(ch, "triaged refused this chooser: %s", strerror(errnum));
                return;
        }
        if (about_type != TRIAGE_MESSAGE_PICK) {
                set_note(ch, "triaged refused a message: %s", strerror(errnum));
                return;
        }
        if (ch->phase != PHASE_SENT)
                return; /* about a choice that is over */
        ch->answered = false;
        if (errnum == EPROTO) {
                /* Too late: the daemon's deadline came first. */
                ch->phase = PHASE_EXPIRED;
                set_note(ch, "too late: the policy decides");
                return;
        }
        ch->phase = now_mono_usec() < ch->deadline_usec ? PHASE_CHOOSING : PHASE_EXPIRED;
        if (errnum == EPERM)
                set_note(ch, "that one is not yours to close: pick another");
        else if (errnum == ESRCH)
                set_note(ch, "that one is no longer a candidate: pick another");
        else
                set_note(ch, "triaged refused the answer (%s): pick again", strerror(errnum));
        if (!ch->tui && ch->phase == PHASE_CHOOSING)
                print_choices(ch);
}

static void on_ready(struct triage_client *c, uint32_t applications, uint32_t choosers, void *userdata)
{
        struct chooser *ch = userdata;

        ch->ready = true;
        ch->applications = applications;
        ch->choosers = choosers;
        ch->dirty = true;
        if (!ch->tui && !ch->quit && ch->phase == PHASE_WAITING) {
                printf("waiting for memory pressure (%" PRIu32 " registered application%s)\n", applications,
                       applications == 1 ? "" : "s");
                fflush(stdout);
        }
}

static void on_choose(struct triage_client *c, uint32_t serial, uint32_t deadline_msec,
                      const struct triage_choice *choices, size_t n, void *userdata)
{
        struct chooser *ch = userdata;

        if (ch->quit)
                return;
        n = MIN(n, (size_t)TRIAGE_CHOICES_MAX);
        memcpy(ch->choices, choices, n * sizeof(*choices));
        ch->n = n;
        ch->serial = serial;
        ch->deadline_usec = now_mono_usec() + (uint64_t)deadline_msec * USEC_PER_MSEC;
        ch->cursor = -1;
        ch->answered = false;
        ch->answer = 0;
        ch->phase = PHASE_CHOOSING;
        ch->note[0] = '\0';
        ch->dirty = true;
        timer_update(ch);
        if (!ch->tui)
                print_choices(ch);
}

static void on_choose_done(struct triage_client *c, uint32_t serial, int result, pid_t victim, void *userdata)
{
        struct chooser *ch = userdata;
        char name[4 * TRIAGE_NAME_MAX + 16];

        if (serial != ch->serial)
                ch->n = 0; /* a choice never seen: no names for the victim */
        if (!victim && result != TRIAGE_CHOOSE_CANCELLED)
                snprintf(ch->result, sizeof(ch->result), "nothing closed (no candidate left)");
        else if (result == TRIAGE_CHOOSE_PICKED)
                snprintf(ch->result, sizeof(ch->result), "closed %s (picked)",
                         victim_name(ch, victim, name, sizeof(name)));
        else if (result == TRIAGE_CHOOSE_POLICY)
                snprintf(ch->result, sizeof(ch->result), "the policy closed %s (it was left to decide)",
                         victim_name(ch, victim, name, sizeof(name)));
        else if (result == TRIAGE_CHOOSE_TIMEOUT)
                snprintf(ch->result, sizeof(ch->result), "the policy closed %s (no answer)",
                         victim_name(ch, victim, name, sizeof(name)));
        else if (result == TRIAGE_CHOOSE_FLOOR)
                snprintf(ch->result, sizeof(ch->result), "the policy closed %s (memory ran out first)",
                         victim_name(ch, victim, name, sizeof(name)));
        else
                snprintf(ch->result, sizeof(ch->result), "nothing closed (memory came back)");
        bool answered = ch->answered && serial == ch->serial;
        ch->phase = PHASE_WAITING;
        ch->note[0] = '\0';
        ch->dirty = true;
        timer_update(ch);
        if (!ch->tui) {
                printf("%s\n", ch->result);
                fflush(stdout);
        }
        if (ch->o->once)
                finish(ch, answered ? CHOOSE_EXIT_OK : CHOOSE_EXIT_NO_ANSWER);
}

/* Something was closed, chosen here or not (the policy alone at the
 * floor): what, and why. */
static void on_killed(struct triage_client *c, const struct triage_kill *k, void *userdata)
{
        struct chooser *ch = userdata;
        char title[LINE_BYTES / 2];

        text_kill_title(k, title, sizeof(title));
        snprintf(ch->killed, sizeof(ch->killed), "%s (pid %d)", title, (int)k->pid);
        text_kill_reason(k, ch->killed_reason, sizeof(ch->killed_reason));
        ch->dirty = true;
        if (!ch->tui) {
                printf("%s. %s\n", ch->killed, ch->killed_reason);
                fflush(stdout);
        }
}

/* ---- the loop's events ---- */

static void on_tick(struct chooser *ch)
{
        uint64_t expirations;
        uint64_t now = now_mono_usec();

        /* Only to rearm poll(): how many ticks were missed does not
         * matter, the time is read again. */
        if (read(ch->timer_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
                return;
        if (ch->phase == PHASE_CHOOSING && now >= ch->deadline_usec) {
                ch->phase = PHASE_EXPIRED;
                ch->grace_usec = now + DONE_GRACE_USEC;
                if (!ch->tui) {
                        printf("no answer in time: the policy decides\n");
                        fflush(stdout);
                }
        }
        if ((ch->phase == PHASE_SENT || ch->phase == PHASE_EXPIRED) && now >= ch->grace_usec) {
                snprintf(ch->result, sizeof(ch->result), "triaged did not say how the choice ended");
                if (!ch->tui) {
                        printf("%s\n", ch->result);
                        fflush(stdout);
                }
                bool answered = ch->answered;
                ch->phase = PHASE_WAITING;
                timer_update(ch);
                if (ch->o->once)
                        finish(ch, answered ? CHOOSE_EXIT_OK : CHOOSE_EXIT_NO_ANSWER);
        }
        ch->dirty = true;
}

static void move_cursor(struct chooser *ch, int delta)
{
        if (ch->phase != PHASE_CHOOSING || ch->n == 0)
                return;
        if (ch->cursor < 0)
                ch->cursor = delta > 0 ? 0 : (int)ch->n - 1;
        else
                ch->cursor = (int)((ch->cursor + (int)ch->n + delta) % (int)ch->n);
        ch->note[0] = '\0';
        ch->dirty = true;
}

/* Reads what follows an ESC that ended a read, if it comes soon. */
static size_t read_more(char *buf, size_t size)
{
        struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };

        if (poll(&p, 1, ESC_WAIT_MSEC) <= 0)
                return 0;
        ssize_t n = read(STDIN_FILENO, buf, size);
        return n > 0 ? (size_t)n : 0;
}

static void on_key(struct chooser *ch, unsigned char k)
{
        switch (k) {
        case 'q':
        case 'Q':
        case 0x03: /* ^C: ISIG is off in raw mode */
        case 0x04: /* ^D */
                quit_now(ch);
                return;
        case 0x0c: /* ^L */
                ch->dirty = true;
                return;
        case 0x1a: /* ^Z */
                suspend(ch);
                return;
        case 'j':
                move_cursor(ch, 1);
                return;
        case 'k':
                move_cursor(ch, -1);
                return;
        case '\r':
        case '\n':
                if (ch->phase != PHASE_CHOOSING)
                        return;
                if (ch->cursor < 0)
                        set_note(ch, "move to an application first (Up/Down), or press its number");
                else
                        answer(ch, ch->cursor);
                return;
        case 'p':
        case 'P':
        case 0x1b: /* Esc */
                answer(ch, -1);
                return;
        default:
                if (k >= '1' && k <= '8' && (size_t)(k - '0') <= ch->n)
                        answer(ch, k - '1');
                return;
        }
}

/* Keys on the terminal: bytes, escape sequences for the arrows. */
static void on_tty_input(struct chooser *ch)
{
        char buf[128];
        ssize_t r = read(STDIN_FILENO, buf, sizeof(buf) / 2);

        if (r < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (r <= 0) {
                /* The terminal is gone. */
                quit_now(ch);
                return;
        }
        size_t n = (size_t)r;
        for (size_t i = 0; i < n && !ch->quit; i++) {
                unsigned char k = (unsigned char)buf[i];
                if (k != 0x1b) {
                        on_key(ch, k);
                        continue;
                }
                if (i + 1 == n)
                        n += read_more(buf + n, sizeof(buf) - n);
                if (i + 1 == n || (buf[i + 1] != '[' && buf[i + 1] != 'O')) {
                        on_key(ch, 0x1b); /* a lone Esc */
                        continue;
                }
                /* CSI or SS3: parameters, then a final byte 0x40..0x7e. */
                size_t j = i + 2;
                if (j == n)
                        n += read_more(buf + n, sizeof(buf) - n);
                while (j < n && ((unsigned char)buf[j] < 0x40 || (unsigned char)buf[j] > 0x7e))
                        j++;
                if (j < n && buf[j] == 'A')
                        move_cursor(ch, -1);
                else if (j < n && buf[j] == 'B')
                        move_cursor(ch, 1);
                i = j;
        }
}

/* Plain mode: one answer per line: a number, p or q. */
static void plain_line(struct chooser *ch, char *line)
{
        char *s = strstrip(line);
        int v;

        if (!s[0])
                return;
        if (strcmp(s, "p") == 0 || strcmp(s, "policy") == 0 || strcmp(s, "0") == 0) {
                answer(ch, -1);
                return;
        }
        if (strcmp(s, "q") == 0 || strcmp(s, "quit") == 0) {
                quit_now(ch);
                return;
        }
        if (parse_int(s, &v) == 0 && v >= 1 && (size_t)v <= ch->n) {
                answer(ch, v - 1);
                return;
        }
        char safe[64];
        text_sanitize(s, safe, sizeof(safe));
        set_note(ch, "'%s': answer a number from 1 to %zu, p (let the policy decide) or q", safe, ch->n);
}

/* Uses the complete lines read so far, while a choice is open. Lines left
 * after an answer stay for the next choice. */
static void plain_process(struct chooser *ch)
{
        while (ch->phase == PHASE_CHOOSING && !ch->quit) {
                char *nl = memchr(ch->input, '\n', ch->input_len);
                if (!nl && !(ch->input_eof && ch->input_len > 0))
                        return;
                size_t len = nl ? (size_t)(nl - ch->input) : ch->input_len;
                char line[INPUT_MAX];
                memcpy(line, ch->input, len);
                line[len] = '\0';
                size_t used = nl ? len + 1 : len;
                memmove(ch->input, ch->input + used, ch->input_len - used);
                ch->input_len -= used;
                plain_line(ch, line);
        }
}

static void on_plain_input(struct chooser *ch)
{
        ssize_t r = read(STDIN_FILENO, ch->input + ch->input_len, sizeof(ch->input) - 1 - ch->input_len);

        if (r < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (r <= 0) {
                ch->input_eof = true;
                plain_process(ch);
                if (ch->phase == PHASE_CHOOSING)
                        fprintf(stderr, "triagectl: end of input: the policy decides at the deadline\n");
                return;
        }
        ch->input_len += (size_t)r;
        if (ch->input_skip) {
                char *nl = memchr(ch->input, '\n', ch->input_len);
                size_t drop = nl ? (size_t)(nl - ch->input) + 1 : ch->input_len;
                memmove(ch->input, ch->input + drop, ch->input_len - drop);
                ch->input_len -= drop;
                ch->input_skip = !nl;
        }
        plain_process(ch);
        if (ch->input_len == sizeof(ch->input) - 1) {
                /* A line longer than any answer: drop it. */
                ch->input_len = 0;
                ch->input_skip = true;
                set_note(ch, "a line too long to be an answer: ignored");
        }
}

static bool wants_input(const struct chooser *ch)
{
        if (ch->input_eof)
                return false;
        if (ch->tui)
                return true;
        /* Plain mode reads only while a choice is open: an answer piped in
         * ahead waits in the pipe for its choice. */
        return ch->phase == PHASE_CHOOSING && !memchr(ch->input, '\n', ch->input_len);
}

static void on_signals(struct chooser *ch)
{
        struct signalfd_siginfo si;

        while (read(ch->link.signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                switch (si.ssi_signo) {
                case SIGWINCH:
                        screen_size(ch);
                        ch->dirty = true;
                        break;
                case SIGTSTP:
                        suspend(ch);
                        break;
                case SIGCONT:
                        retake_terminal(ch);
                        break;
                default:
                        quit_now(ch);
                        break;
                }
        }
}

static int loop(struct chooser *ch)
{
        int tfd = triage_get_fd(ch->link.client);

        while (!ch->quit) {
                if (ch->dirty)
                        redraw(ch);
                struct pollfd p[4] = {
                        { .fd = tfd, .events = POLLIN },
                        { .fd = ch->timer_fd, .events = POLLIN },
                        { .fd = ch->link.signal_fd, .events = POLLIN },
                        { .fd = STDIN_FILENO, .events = POLLIN },
                };
                nfds_t n = wants_input(ch) ? 4 : 3;
                if (poll(p, n, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        fail(ch, "poll: %s", strerror(errno));
                        break;
                }
                if (p[2].revents)
                        on_signals(ch);
                if (p[0].revents && !ch->quit) {
                        int r = triage_dispatch(ch->link.client);
                        if (r < 0) {
                                fail(ch, "lost the connection to triaged: %s", strerror(-r));
                                break;
                        }
                        if (!ch->tui)
                                plain_process(ch);
                }
                if (p[1].revents && !ch->quit)
                        on_tick(ch);
                if (n == 4 && p[3].revents && !ch->quit) {
                        if (ch->tui)
                                on_tty_input(ch);
                        else
                                on_plain_input(ch);
                }
        }
        return ch->exit_status;
}

/* The signals read from the signalfd besides SIGINT, SIGTERM and SIGHUP
 * (chooser_link_catch_signals() adds those). */
static void signals_more(const struct chooser *ch, sigset_t *mask)
{
        sigemptyset(mask);
        sigaddset(mask, SIGQUIT);
        sigaddset(mask, SIGWINCH);
        if (ch->tui) {
                /* Off the terminal, stopping needs nothing of ours. */
                sigaddset(mask, SIGTSTP);
                sigaddset(mask, SIGCONT);
        }
}

int choose_run(const struct choose_options *o)
{
        const struct triage_callbacks cb = {
                .level = on_level,
                .save_state = chooser_link_save_state,
                .emergency_close = on_emergency_close,
                .error = on_error,
        };
        const struct triage_chooser_callbacks ccb = {
                .ready = on_ready,
                .choose = on_choose,
                .choose_done = on_choose_done,
                .killed = on_killed,
        };
        sigset_t more;
        int r;

        struct chooser *ch = calloc(1, sizeof(*ch));
        if (!ch) {
                fprintf(stderr, "triagectl: out of memory\n");
                return CHOOSE_EXIT_ERROR;
        }
        ch->o = o;
        chooser_link_init(&ch->link, o->app_socket);
        ch->timer_fd = -1;
        ch->level_byte = -1;
        ch->cursor = -1;
        ch->tui = !o->plain && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) &&
                  tcgetattr(STDIN_FILENO, &ch->saved_tio) == 0;

        r = chooser_link_open(&ch->link, CHOOSER_NAME, &cb, &ccb, ch, ch->error, sizeof(ch->error));
        if (r < 0) {
                finish(ch, CHOOSE_EXIT_ERROR);
                goto out;
        }
        ch->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (ch->timer_fd < 0) {
                fail(ch, "timerfd: %s", strerror(errno));
                goto out;
        }
        signals_more(ch, &more);
        r = chooser_link_catch_signals(&ch->link, &more, ch->error, sizeof(ch->error));
        if (r < 0) {
                finish(ch, CHOOSE_EXIT_ERROR);
                goto out;
        }
        if (ch->tui) {
                r = term_enter(ch);
                if (r < 0) {
                        fail(ch, "cannot set up the terminal: %s", strerror(-r));
                        goto out;
                }
        } else {
                printf("registering with triaged at %s as a chooser\n", ch->link.socket_path);
                fflush(stdout);
        }
        loop(ch);
out:
        term_leave(ch);
        if (ch->timer_fd >= 0)
                close(ch->timer_fd);
        /* After term_leave(): SIGTSTP and SIGCONT act again once the
         * terminal is given back. */
        chooser_link_close(&ch->link);
        /* The alternate screen is gone: say how it ended where it stays. */
        if (ch->tui && ch->result[0])
                printf("triagectl: %s\n", ch->result);
        if (ch->error[0])
                fprintf(stderr, "triagectl: %s\n", ch->error);
        int status = ch->exit_status;
        free(ch);
        return status;
}
