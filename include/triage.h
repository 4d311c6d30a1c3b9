/* SPDX-License-Identifier: MIT */
/*
 * libtriage: tell the triage low-memory manager (triaged) that this
 * application can cooperate, and hear from it when memory runs short.
 *
 * The daemon may, as memory gets tighter:
 *   - report the memory level (trim caches at low, save at medium),
 *   - ask the application to save its state (SaveState), to be answered
 *     with triage_reply_saved() before the deadline,
 *   - ask it to save and exit (EmergencyClose), to be answered with
 *     triage_reply_closing() and an exit before the deadline; the
 *     application is killed after that;
 *   - ask a chooser which application to close (triage_register_chooser).
 *
 * The library is plain C with no dependencies and never blocks except in
 * triage_connect(). It fits any event loop: watch triage_get_fd() for
 * input and call triage_dispatch() when it is readable; the callbacks run
 * from there. It is not thread-safe: use one client from one thread at a
 * time.
 *
 * Every function that can fail returns 0 (or a value >= 0) on success and
 * a negative errno value on failure. See libtriage(3).
 */
#ifndef TRIAGE_H
#define TRIAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The memory levels passed to the level callback: the same bytes as GLib's
 * GMemoryMonitorWarningLevel and low-memory-monitor's LowMemoryWarning. */
#define TRIAGE_MEMORY_NORMAL 0
#define TRIAGE_MEMORY_LOW 50       /* free what is easy to rebuild: caches */
#define TRIAGE_MEMORY_MEDIUM 100   /* save state, expect a SaveState */
#define TRIAGE_MEMORY_CRITICAL 255 /* the daemon is about to close something */

/* Longest application name and state reference, without the NUL. */
#define TRIAGE_NAME_MAX 63
#define TRIAGE_STATE_REF_MAX 255

struct triage_client;

/* Any of these may be NULL. They run inside triage_dispatch(); they may
 * call triage_reply_*() and also triage_disconnect() on their client. */
struct triage_callbacks {
        /* The memory level changed: one of TRIAGE_MEMORY_*. */
        void (*level)(struct triage_client *client, uint8_t level_byte, void *userdata);
        /* Save state and call triage_reply_saved(serial, ...) within
         * deadline_msec. */
        void (*save_state)(struct triage_client *client, uint32_t serial, uint32_t deadline_msec,
                           void *userdata);
        /* Save state, call triage_reply_saved() if it was saved, then
         * triage_reply_closing(serial) and exit within deadline_msec. */
        void (*emergency_close)(struct triage_client *client, uint32_t serial, uint32_t deadline_msec,
                                void *userdata);
        /* The daemon refused a message but kept the connection: errnum is a
         * positive errno value (EPROTO: an answer with a serial that is
         * not, or no longer, awaited), about_type the refused message's
         * protocol type. */
        void (*error)(struct triage_client *client, int errnum, uint16_t about_type, void *userdata);
};

/*
 * Connects to the daemon's application socket and registers as app_name
 * (printable, at most TRIAGE_NAME_MAX bytes; NULL: the program's name).
 * socket_path NULL means $TRIAGE_APP_SOCKET, or the default
 * /run/triage/app.sock. cb is copied; it may be NULL.
 *
 * Waits up to 5 seconds for the daemon's answer; this is the only call
 * that blocks. Returns 0 and the client in *ret, or:
 *   -ENOENT, -ECONNREFUSED  no daemon listening there
 *   -EAGAIN                 the daemon's backlog is full: try later
 *   -ETIMEDOUT              no answer in time
 *   -EEXIST                 this process is already registered
 *   -EUSERS                 too many applications of this user
 *   -ENOSPC                 too many applications
 *   -EINVAL, -ENAMETOOLONG  a bad name or socket path
 *   -ECONNRESET, -EBADMSG   the daemon closed or spoke nonsense
 */
int triage_connect(const char *socket_path, const char *app_name, const struct triage_callbacks *cb,
                   void *userdata, struct triage_client **ret);

/* The id the daemon gave this client (shown by triagectl). */
uint64_t triage_get_id(struct triage_client *client);

/* The file descriptor to watch for input (POLLIN / G_IO_IN). It stays the
 * same for the client's life; do not read from or close it. */
int triage_get_fd(struct triage_client *client);

/*
 * Reads what the daemon sent and runs the callbacks; call it when the fd
 * is readable. Never blocks. Returns 0, or a negative errno when the
 * connection is no longer usable (-ECONNRESET: the daemon went away or
 * dropped this client; -EBADMSG: a malformed message). After an error the
 * client stays valid but dead: every call fails the same way until
 * triage_disconnect(). Refusals that leave the connection up go to the
 * error callback, not here.
 */
int triage_dispatch(struct triage_client *client);

/* Answers a save_state or emergency_close request: the state is saved and
 * can be found at state_ref (a path, a URI...; NULL for none; printable,
 * at most TRIAGE_STATE_REF_MAX bytes). Returns 0, -ENAMETOOLONG, -EAGAIN
 * (the socket is full), -ECONNRESET, -EPIPE. */
int triage_reply_saved(struct triage_client *client, uint32_t serial, const char *state_ref);

/* Answers an emergency_close request: the application is exiting. */
int triage_reply_closing(struct triage_client *client, uint32_t serial);

/* Unregisters (without waiting), closes the connection and frees the
 * client. NULL is allowed. */
void triage_disconnect(struct triage_client *client);

/*
 * Choosers (since libtriage 0.2). When memory is critical and a person is
 * at the machine, the daemon can freeze the application in use and ask a
 * chooser (a terminal program, a desktop agent) which application to
 * close. A chooser is a client that called triage_register_chooser().
 */

/* The about_type of an error callback refusing chooser messages. */
#define TRIAGE_MESSAGE_CHOOSER 5 /* triage_register_chooser() refused */
#define TRIAGE_MESSAGE_PICK                                                                                  \
        6 /* triage_pick() refused: EPROTO too late or
                                  * no choice open, EPERM not this user's,
                                  * ESRCH not a candidate */

/* Candidates offered at once, at most. */
#define TRIAGE_CHOICES_MAX 8

/* Flags of a candidate. */
#define TRIAGE_CHOICE_SAVED 0x1u       /* it saved its state when asked */
#define TRIAGE_CHOICE_RECOMMENDED 0x2u /* the policy would close this one */
#define TRIAGE_CHOICE_FROZEN 0x4u      /* frozen until the choice ends */

/* One candidate: an application, named by the pid of its leader. This
 * struct does not change size (choices come as an array of it). */
struct triage_choice {
        pid_t leader; /* pass to triage_pick() */
        uid_t uid;
        uint64_t memory_kib; /* what closing it frees, about */
        uint64_t idle_sec;   /* since it was last used */
        uint32_t flags;      /* TRIAGE_CHOICE_* */
        char name[TRIAGE_NAME_MAX + 1];
};

/* How a choice ended (choose_done's result). */
#define TRIAGE_CHOOSE_PICKED 0    /* the pick is being closed */
#define TRIAGE_CHOOSE_POLICY 1    /* the chooser let the policy decide */
#define TRIAGE_CHOOSE_TIMEOUT 2   /* no pick in time: the policy decided */
#define TRIAGE_CHOOSE_FLOOR 3     /* memory ran out first: the policy acted */
#define TRIAGE_CHOOSE_CANCELLED 4 /* memory came back: nothing is closed */

/* How a closed application ended (struct triage_kill's outcome). */
#define TRIAGE_KILL_KILLED 1      /* killed */
#define TRIAGE_KILL_CLOSED 2      /* it saved and closed by itself when asked */
#define TRIAGE_KILL_AT_DEADLINE 3 /* killed: it did not close in its grace period */
#define TRIAGE_KILL_AT_FLOOR 4    /* killed in its grace period: memory ran out */
#define TRIAGE_KILL_TIMED_OUT 5   /* signalled, but not yet dead when last looked at */
#define TRIAGE_KILL_GONE 7        /* it exited before it could be signalled */
#define TRIAGE_KILL_FAILED 8      /* the signal could not be sent */

/* Flags of a struct triage_kill. */
#define TRIAGE_KILLED_SAVED 0x1u     /* it had saved its state when asked */
#define TRIAGE_KILLED_BY_PERSON 0x2u /* a chooser picked it */
#define TRIAGE_KILLED_AT_FLOOR 0x4u  /* decided at the emergency floor: no time to ask */

/* An application the daemon closed, and why. The figures are from the
 * moment it was chosen. */
struct triage_kill {
        pid_t pid; /* its leader */
        uid_t uid;
        uint64_t freed_kib;     /* its memory (resident + swap), about what closing it freed */
        uint64_t available_kib; /* what was left where memory ran short */
        uint32_t score;         /* its badness, 0..1000 */
        uint32_t outcome;       /* TRIAGE_KILL_* */
        uint32_t flags;         /* TRIAGE_KILLED_* */
        char name[TRIAGE_NAME_MAX + 1];
        char domain[TRIAGE_NAME_MAX + 1]; /* "system", a cgroup's domain ... */
        char tier[16];                    /* its place in the policy's order: "idle", ... */
};

/* Any of these may be NULL. Like the others they run inside
 * triage_dispatch() and get the userdata given to triage_connect(). */
struct triage_chooser_callbacks {
        /* The daemon accepted this chooser (and says so again after each
         * choice): how many applications and choosers are registered. */
        void (*ready)(struct triage_client *client, uint32_t applications, uint32_t choosers, void *userdata);
        /* Pick one of choices[0..n) (best victim first) with
         * triage_pick(serial, ...) within deadline_msec, or pass 0 to let
         * the policy decide. choices is valid during the call only. */
        void (*choose)(struct triage_client *client, uint32_t serial, uint32_t deadline_msec,
                       const struct triage_choice *choices, size_t n, void *userdata);
        /* The choice serial ended: result is a TRIAGE_CHOOSE_* value, victim
         * the leader being closed (0: none). */
        void (*choose_done)(struct triage_client *client, uint32_t serial, int result, pid_t victim,
                            void *userdata);
        /* An application was closed or killed, whoever chose it (also at
         * the emergency floor, when nobody was asked): tell the person.
         * A chooser running as a user hears of that user's applications
         * only. kill is valid during the call only. */
        void (*killed)(struct triage_client *client, const struct triage_kill *kill, void *userdata);
};

/*
 * Makes this client a chooser; cb is copied. Does not wait: the daemon
 * answers with the ready callback, or refuses with the error callback
 * (about_type TRIAGE_MESSAGE_CHOOSER). Returns 0, -EALREADY (already
 * asked), -EINVAL (cb NULL), -EAGAIN, or the error of a dead client.
 */
int triage_register_chooser(struct triage_client *client, const struct triage_chooser_callbacks *cb);

/* Answers a choose callback: close the candidate whose leader is leader,
 * or leader 0: let the policy decide. Returns 0, -EINVAL (a negative
 * leader), -EAGAIN, or the error of a dead client; the daemon's refusal
 * comes to the error callback (about_type TRIAGE_MESSAGE_PICK). */
int triage_pick(struct triage_client *client, uint32_t serial, pid_t leader);

#ifdef __cplusplus
}
#endif

#endif /* TRIAGE_H */
