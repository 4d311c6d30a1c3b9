/* SPDX-License-Identifier: MIT */
/*
 * Registered applications: the table shared by every transport (the Unix
 * socket of libtriage, and D-Bus). A transport registers a client with the
 * credentials it got from the kernel (SO_PEERCRED, or the bus's
 * GetConnectionCredentials), never from a message, and hands the manager
 * the client's answers; the manager asks the client to trim, save or close
 * through the transport's ops.
 *
 * The table is fixed-size and allocation-free; limits per uid keep one user
 * from filling it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "level.h"

#define CLIENTS_MAX 256
#define CLIENTS_PER_UID_MAX 32
#define CLIENT_NAME_MAX 64
#define CLIENT_STATE_REF_MAX 256

enum client_transport {
        CLIENT_TRANSPORT_SOCKET,
        CLIENT_TRANSPORT_BUS,
};

/* What the daemon has asked of a client and is waiting for. */
enum client_request {
        CLIENT_REQUEST_NONE,
        CLIENT_REQUEST_SAVE,  /* SaveState: answer "saved" (+ state ref) */
        CLIENT_REQUEST_CLOSE, /* EmergencyClose: answer "closing", then exit */
};

struct client;
struct kill_record; /* history.h */

/* One candidate offered to a chooser: an activity, named by its leader. */
#define CHOICES_MAX 8
struct choice {
        pid_t leader; /* picks name it by this */
        uid_t uid;
        uint64_t memory_kib; /* including what is charged to it */
        uint64_t idle_sec;   /* since last use */
        bool saved;          /* a registered app that saved its state */
        bool recommended;    /* the policy's first choice */
        bool frozen;         /* frozen while the person chooses */
        char name[CLIENT_NAME_MAX];
};

/* How a choice ended, told to the chooser. */
enum choose_result {
        CHOOSE_PICKED,    /* the person's pick is being closed */
        CHOOSE_POLICY,    /* the person let the policy decide */
        CHOOSE_TIMEOUT,   /* no answer in time: the policy decided */
        CHOOSE_FLOOR,     /* memory reached the floor: the policy acted */
        CHOOSE_CANCELLED, /* memory came back: nothing to close */
        _CHOOSE_RESULT_MAX,
};

/* "picked", "policy", "timeout", "floor", "cancelled" (the names on D-Bus
 * and in the log); NULL for anything else. */
const char *choose_result_to_string(enum choose_result r);

/* Implemented by each transport. Each returns 0 or -errno and never
 * blocks: a client that cannot take the message now simply misses it (it
 * then only loses its grace period). */
struct client_ops {
        int (*send_level)(struct client *c, enum triage_level level);
        int (*send_save_state)(struct client *c, uint32_t serial, uint64_t deadline_msec);
        int (*send_emergency_close)(struct client *c, uint32_t serial, uint64_t deadline_msec);
        /* For choosers only: the candidates, best victim first, and a
         * deadline for the pick; then how it ended. NULL when the transport
         * has no choosers. */
        int (*send_choose)(struct client *c, uint32_t serial, uint64_t deadline_msec,
                           const struct choice *choices, size_t n);
        int (*send_choose_done)(struct client *c, uint32_t serial, enum choose_result result, pid_t victim);
        /* For choosers only: an activity was closed or killed (chosen by
         * anyone), so the person can be told. NULL when the transport
         * tells its choosers otherwise (D-Bus: the Killed signal). */
        int (*send_killed)(struct client *c, const struct kill_record *r);
};

struct client {
        bool in_use;
        uint64_t id; /* 1, 2, ... never reused */
        enum client_transport transport;
        const struct client_ops *ops;
        void *transport_data; /* the transport's own state */

        pid_t pid; /* from the kernel, not the message */
        uid_t uid;
        uint64_t start_time_ticks;  /* to tell a recycled PID */
        char name[CLIENT_NAME_MAX]; /* as the app calls itself */

        bool saved; /* answered "saved" since the last request */
        uint64_t saved_realtime_usec;
        char state_ref[CLIENT_STATE_REF_MAX]; /* what the app said it saved to */

        enum client_request pending;
        uint32_t pending_serial;
        bool closing; /* answered "closing" */
        bool chooser; /* a chooser (triagectl choose, a desktop agent) */
};

struct clients {
        struct client table[CLIENTS_MAX];
        uint64_t last_id;
        uint32_t last_serial;
};

/*
 * Adds a client. name is cut to CLIENT_NAME_MAX - 1 and must be printable
 * (control bytes are refused). Returns the client, or NULL with *ret_err:
 * -EEXIST (that process is already registered), -EUSERS (the uid has
 * CLIENTS_PER_UID_MAX), -ENOSPC (table full), -EINVAL (bad name).
 */
struct client *clients_add(struct clients *cs, enum client_transport t, const struct client_ops *ops,
                           void *transport_data, pid_t pid, uid_t uid, uint64_t start_time_ticks,
                           const char *name, int *ret_err);
void clients_remove(struct clients *cs, struct client *c);

/* The registered client for a process, or NULL. */
struct client *clients_find_pid(struct clients *cs, pid_t pid);
struct client *clients_find_id(struct clients *cs, uint64_t id);
size_t clients_count_uid(const struct clients *cs, uid_t uid);

/* A fresh serial for a request (never 0). */
uint32_t clients_next_serial(struct clients *cs);

/*
 * The client's answer to the request with this serial. Returns 0, or
 * -EPROTO when nothing with that serial is pending (a late or forged
 * answer), -EINVAL for a state ref that is too long or not printable.
 */
int client_answer_saved(struct client *c, uint32_t serial, const char *state_ref, uint64_t now_realtime_usec);
int client_answer_closing(struct client *c, uint32_t serial);
