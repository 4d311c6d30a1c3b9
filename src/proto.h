/* SPDX-License-Identifier: MIT */
/*
 * The application protocol between triaged (appsock.c) and libtriage, over
 * a Unix SOCK_SEQPACKET socket. Shared by both sides: it needs only libc.
 *
 * Every message is one packet: a struct proto_header and the fields of its
 * type, one fixed-size struct per type. A receiver accepts a packet only if
 * the received size, the header's length and the size of the type's struct
 * are all the same, the version is PROTO_VERSION, the type is one that
 * flows in that direction, every string has its NUL and every reserved
 * byte is 0. Fixed sizes mean no parser: after proto_validate() the packet
 * can be copied into its struct and used.
 *
 * Both ends run on one machine, so integers are in host byte order.
 *
 *   application -> daemon           daemon -> application
 *   REGISTER {name}                 REGISTERED {client_id}
 *   SAVED {serial, state_ref}       LEVEL {level, lmm_byte}
 *   CLOSING {serial}                SAVE_STATE {serial, deadline_msec}
 *   UNREGISTER {}                   EMERGENCY_CLOSE {serial, deadline_msec}
 *                                   ERROR {errnum, about_type}
 *   choosers only:
 *   CHOOSER {}                      CHOOSER_READY {applications, choosers}
 *   PICK {serial, leader}           CHOOSE {serial, deadline_msec, n, choices[8]}
 *                                   CHOOSE_DONE {serial, result, victim}
 *                                   KILLED {pid, uid, ..., name, domain, tier}
 *
 * The first message on a connection is REGISTER, answered by REGISTERED or
 * by ERROR and a closed connection. Identity (pid, uid) is never part of a
 * message: the daemon takes it from SO_PEERCRED.
 *
 * A registered client that sends CHOOSER becomes a chooser (triagectl
 * choose, a desktop agent): the daemon answers CHOOSER_READY, or an ERROR
 * about CHOOSER and keeps the connection. At the critical level it may
 * then send CHOOSE, the candidates best victim first; the chooser answers
 * PICK with the serial and a candidate's leader, or leader 0 to let the
 * policy decide, within deadline_msec. A refused PICK gets an ERROR about
 * PICK (EPROTO: not, or no longer, awaited; EPERM: not the chooser's to
 * pick; ESRCH: not a candidate) and the connection stays. However it ends,
 * the daemon then sends CHOOSE_DONE, and a fresh CHOOSER_READY.
 *
 * Every chooser also hears KILLED after each activity the daemon closed or
 * killed, chosen or not (the policy alone at the emergency floor, or when
 * no chooser was asked): what went, what it freed and why, so that the
 * person is told. A chooser running as a user hears only of that user's
 * activities; root's, of all.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1
#define PROTO_NAME_MAX 64
#define PROTO_STATE_REF_MAX 256

enum proto_type {
        /* application -> daemon */
        PROTO_REGISTER = 1,
        PROTO_SAVED = 2,
        PROTO_CLOSING = 3,
        PROTO_UNREGISTER = 4,
        PROTO_CHOOSER = 5,
        PROTO_PICK = 6,
        /* daemon -> application: a range of their own, so a message sent
         * the wrong way is an unknown type, not a different request. */
        PROTO_REGISTERED = 101,
        PROTO_LEVEL = 102,
        PROTO_SAVE_STATE = 103,
        PROTO_EMERGENCY_CLOSE = 104,
        PROTO_ERROR = 105,
        PROTO_CHOOSER_READY = 106,
        PROTO_CHOOSE = 107,
        PROTO_CHOOSE_DONE = 108,
        PROTO_KILLED = 109,
};

/* Who receives the packet being checked. */
enum proto_direction {
        PROTO_TO_DAEMON,
        PROTO_TO_APP,
};

struct proto_header {
        uint16_t version;
        uint16_t type;
        uint32_t length; /* of the whole message, header included */
};
_Static_assert(sizeof(struct proto_header) == 8, "proto_header is part of the protocol");

struct proto_register {
        struct proto_header hdr;
        char name[PROTO_NAME_MAX]; /* what the application calls itself */
};
_Static_assert(sizeof(struct proto_register) == 72, "proto_register is part of the protocol");

/* The answer to SAVE_STATE or EMERGENCY_CLOSE: state saved to state_ref. */
struct proto_saved {
        struct proto_header hdr;
        uint32_t serial;
        char state_ref[PROTO_STATE_REF_MAX]; /* a file, a URI, ... ("" allowed) */
};
_Static_assert(sizeof(struct proto_saved) == 268, "proto_saved is part of the protocol");

/* The answer to EMERGENCY_CLOSE: the application is exiting. */
struct proto_closing {
        struct proto_header hdr;
        uint32_t serial;
};
_Static_assert(sizeof(struct proto_closing) == 12, "proto_closing is part of the protocol");

struct proto_unregister {
        struct proto_header hdr;
};
_Static_assert(sizeof(struct proto_unregister) == 8, "proto_unregister is part of the protocol");

struct proto_registered {
        struct proto_header hdr;
        uint64_t client_id;
};
_Static_assert(sizeof(struct proto_registered) == 16, "proto_registered is part of the protocol");

struct proto_level {
        struct proto_header hdr;
        uint8_t level;       /* enum triage_level */
        uint8_t lmm_byte;    /* 0, 50, 100, 255: GLib's GMemoryMonitor levels */
        uint8_t reserved[2]; /* 0 */
};
_Static_assert(sizeof(struct proto_level) == 12, "proto_level is part of the protocol");

/* Asks the application to save its state and answer SAVED with this
 * serial within deadline_msec (counted from when it was sent). */
struct proto_save_state {
        struct proto_header hdr;
        uint32_t serial; /* never 0 */
        uint32_t deadline_msec;
};
_Static_assert(sizeof(struct proto_save_state) == 16, "proto_save_state is part of the protocol");

/* Asks the application to save, answer CLOSING and exit within
 * deadline_msec; it is killed after that. */
struct proto_emergency_close {
        struct proto_header hdr;
        uint32_t serial; /* never 0 */
        uint32_t deadline_msec;
};
_Static_assert(sizeof(struct proto_emergency_close) == 16, "proto_emergency_close is part of the protocol");

struct proto_error {
        struct proto_header hdr;
        int32_t errnum;      /* a positive errno value */
        uint16_t about_type; /* the type of the message refused, 0 if none */
        uint16_t reserved;   /* 0 */
};
_Static_assert(sizeof(struct proto_error) == 16, "proto_error is part of the protocol");

/* This client is a chooser. */
struct proto_chooser {
        struct proto_header hdr;
};
_Static_assert(sizeof(struct proto_chooser) == 8, "proto_chooser is part of the protocol");

/* The answer to CHOOSE: the leader of the activity to close, or 0 to let
 * the policy decide. */
struct proto_pick {
        struct proto_header hdr;
        uint32_t serial; /* the CHOOSE's */
        int32_t leader;  /* >= 0 */
};
_Static_assert(sizeof(struct proto_pick) == 16, "proto_pick is part of the protocol");

/* CHOOSER accepted; sent again after each CHOOSE_DONE, with fresh counts. */
struct proto_chooser_ready {
        struct proto_header hdr;
        uint32_t applications; /* registered clients that are not choosers */
        uint32_t choosers;     /* this one included */
};
_Static_assert(sizeof(struct proto_chooser_ready) == 16, "proto_chooser_ready is part of the protocol");

/* One candidate of a CHOOSE: an activity, named by its leader. */
#define PROTO_CHOICES_MAX 8
#define PROTO_CHOICE_SAVED 0x1u       /* a registered app that saved its state */
#define PROTO_CHOICE_RECOMMENDED 0x2u /* the policy's first choice */
#define PROTO_CHOICE_FROZEN 0x4u      /* frozen while the person chooses */
#define PROTO_CHOICE_FLAGS (PROTO_CHOICE_SAVED | PROTO_CHOICE_RECOMMENDED | PROTO_CHOICE_FROZEN)
struct proto_choice {
        int32_t leader; /* > 0: what a PICK names */
        uint32_t uid;
        uint64_t memory_kib; /* including memory charged to it */
        uint64_t idle_sec;   /* since it was last used */
        uint32_t flags;      /* PROTO_CHOICE_* */
        uint32_t reserved;   /* 0 */
        char name[PROTO_NAME_MAX];
};
_Static_assert(sizeof(struct proto_choice) == 96, "proto_choice is part of the protocol");

/* The candidates, best victim first: choices[0..n) are used, the rest are
 * all zero. Answer PICK within deadline_msec (counted from when it was
 * sent); after that the policy decides. */
struct proto_choose {
        struct proto_header hdr;
        uint32_t serial; /* never 0 */
        uint32_t deadline_msec;
        uint32_t n;        /* 1..PROTO_CHOICES_MAX */
        uint32_t reserved; /* 0 */
        struct proto_choice choices[PROTO_CHOICES_MAX];
};
_Static_assert(sizeof(struct proto_choose) == 24 + 8 * 96, "proto_choose is part of the protocol");

/* How a choice ended (the values of enum choose_result in clients.h). */
enum proto_choose_result {
        PROTO_CHOOSE_PICKED = 0,    /* the person's pick is being closed */
        PROTO_CHOOSE_POLICY = 1,    /* the person let the policy decide */
        PROTO_CHOOSE_TIMEOUT = 2,   /* no answer in time: the policy decided */
        PROTO_CHOOSE_FLOOR = 3,     /* memory reached the floor: the policy acted */
        PROTO_CHOOSE_CANCELLED = 4, /* memory came back: nothing to close */
        _PROTO_CHOOSE_RESULT_MAX,
};

struct proto_choose_done {
        struct proto_header hdr;
        uint32_t serial;   /* the CHOOSE's, never 0 */
        uint32_t result;   /* enum proto_choose_result */
        int32_t victim;    /* the leader being closed, 0 if none */
        uint32_t reserved; /* 0 */
};
_Static_assert(sizeof(struct proto_choose_done) == 24, "proto_choose_done is part of the protocol");

/* How a KILLED activity ended: the values of enum kill_outcome (history.h)
 * that end an episode (never "pending" or "dry-run"). */
enum proto_kill_outcome {
        PROTO_KILL_DIED = 1,        /* killed (SIGKILL) */
        PROTO_KILL_CLOSED = 2,      /* it saved and closed by itself when asked */
        PROTO_KILL_AT_DEADLINE = 3, /* killed: it did not close within its grace period */
        PROTO_KILL_BY_FLOOR = 4,    /* killed in its grace period: memory reached the floor */
        PROTO_KILL_TIMED_OUT = 5,   /* signalled, still not dead at the wait deadline */
        PROTO_KILL_GONE = 7,        /* it exited before it could be signalled */
        PROTO_KILL_FAILED = 8,      /* the signal could not be sent */
        _PROTO_KILL_OUTCOME_MAX,
};

#define PROTO_KILLED_SAVED 0x1u     /* it had saved its state when asked */
#define PROTO_KILLED_BY_PERSON 0x2u /* a chooser's pick, not the policy's */
#define PROTO_KILLED_FLAGS (PROTO_KILLED_SAVED | PROTO_KILLED_BY_PERSON)
#define PROTO_TIER_MAX 16

/* An activity was closed or killed. The figures are from the decision. */
struct proto_killed {
        struct proto_header hdr;
        int32_t pid;                 /* the activity's leader, > 0 */
        uint32_t uid;                /* its owner */
        uint64_t freed_kib;          /* its memory (resident + swap) */
        uint64_t available_kib;      /* what the domain had left */
        uint32_t score;              /* its badness, 0..1000 */
        uint8_t level;               /* the domain's level (enum triage_level) */
        uint8_t outcome;             /* enum proto_kill_outcome */
        uint8_t flags;               /* PROTO_KILLED_* */
        uint8_t reserved;            /* 0 */
        char name[PROTO_NAME_MAX];   /* the activity, as ranked */
        char domain[PROTO_NAME_MAX]; /* where memory ran short */
        char tier[PROTO_TIER_MAX];   /* its place in the policy's order */
};
_Static_assert(sizeof(struct proto_killed) == 184, "proto_killed is part of the protocol");

/* Any message. Receive into a whole union proto_message: it has room for
 * one byte more than the largest message, so that an oversized packet
 * shows as oversized instead of being cut to a valid size. */
#define PROTO_MESSAGE_MAX sizeof(struct proto_choose)
union proto_message {
        struct proto_header hdr;
        struct proto_register reg;
        struct proto_saved saved;
        struct proto_closing closing;
        struct proto_unregister unregister;
        struct proto_registered registered;
        struct proto_level level;
        struct proto_save_state save_state;
        struct proto_emergency_close emergency_close;
        struct proto_error error;
        struct proto_chooser chooser;
        struct proto_pick pick;
        struct proto_chooser_ready chooser_ready;
        struct proto_choose choose;
        struct proto_choose_done choose_done;
        struct proto_killed killed;
        char raw[PROTO_MESSAGE_MAX + 1];
};
_Static_assert(sizeof(union proto_message) > PROTO_MESSAGE_MAX, "room to see an oversized packet");

/*
 * Fill a message completely (reserved bytes and the unused end of strings
 * are zeroed, so nothing uninitialised is ever sent). The string packers
 * return 0, -EINVAL (name NULL or empty) or -ENAMETOOLONG; state_ref may
 * be NULL for "".
 */
int proto_pack_register(struct proto_register *m, const char *name);
int proto_pack_saved(struct proto_saved *m, uint32_t serial, const char *state_ref);
void proto_pack_closing(struct proto_closing *m, uint32_t serial);
void proto_pack_unregister(struct proto_unregister *m);
void proto_pack_registered(struct proto_registered *m, uint64_t client_id);
void proto_pack_level(struct proto_level *m, uint8_t level, uint8_t lmm_byte);
void proto_pack_save_state(struct proto_save_state *m, uint32_t serial, uint32_t deadline_msec);
void proto_pack_emergency_close(struct proto_emergency_close *m, uint32_t serial, uint32_t deadline_msec);
void proto_pack_error(struct proto_error *m, int errnum, uint16_t about_type);
void proto_pack_chooser(struct proto_chooser *m);
void proto_pack_pick(struct proto_pick *m, uint32_t serial, int32_t leader);
void proto_pack_chooser_ready(struct proto_chooser_ready *m, uint32_t applications, uint32_t choosers);
/* One candidate; a name too long for the field is cut (it is only shown),
 * NULL is "". Flags outside PROTO_CHOICE_FLAGS are dropped. */
void proto_pack_choice(struct proto_choice *c, int32_t leader, uint32_t uid, uint64_t memory_kib,
                       uint64_t idle_sec, uint32_t flags, const char *name);
/* choices[0..n) are copied, the unused ones zeroed. Returns 0, or -EINVAL
 * for n of 0 or more than PROTO_CHOICES_MAX. */
int proto_pack_choose(struct proto_choose *m, uint32_t serial, uint32_t deadline_msec,
                      const struct proto_choice *choices, size_t n);
void proto_pack_choose_done(struct proto_choose_done *m, uint32_t serial, enum proto_choose_result result,
                            int32_t victim);
/* The fixed figures of a KILLED; the strings are cut to their fields (they
 * are only shown), NULL is "". Flags outside PROTO_KILLED_FLAGS are
 * dropped. */
struct proto_killed_info {
        int32_t pid;
        uint32_t uid;
        uint64_t freed_kib;
        uint64_t available_kib;
        uint32_t score;
        uint8_t level;
        enum proto_kill_outcome outcome;
        uint32_t flags;
        const char *name, *domain, *tier;
};
void proto_pack_killed(struct proto_killed *m, const struct proto_killed_info *info);

/*
 * Checks a received packet of len bytes for a receiver in direction dir.
 * On success returns 0 and the type in *ret_type; buf can then be used as
 * the type's struct. Errors, in the order they are checked:
 *   -EBADMSG          shorter than a header
 *   -EPROTONOSUPPORT  another version (checked before the sizes, so a
 *                     future version is told apart from garbage)
 *   -EMSGSIZE         longer than PROTO_MESSAGE_MAX
 *   -EBADMSG          the header's length is not len
 *   -EOPNOTSUPP       a type unknown in that direction
 *   -EBADMSG          len is not the size of the type's struct
 *   -EINVAL           a string without NUL, a reserved byte set, a level
 *                     out of range, a request with serial 0, an ERROR
 *                     whose errnum is not positive; a PICK with a negative
 *                     leader; a CHOOSE with n out of 1..PROTO_CHOICES_MAX,
 *                     a used choice with leader <= 0 or unknown flags, or
 *                     an unused one not all zero; a CHOOSE_DONE with an
 *                     unknown result or a negative victim; a KILLED with
 *                     pid <= 0, a score over 1000, an unknown level,
 *                     outcome or flag
 */
int proto_validate(const void *buf, size_t len, enum proto_direction dir, uint16_t *ret_type);

/* The type named in a packet's header, or 0 when it is too short to have
 * one: what an ERROR about a refused packet refers to. */
uint16_t proto_peek_type(const void *buf, size_t len);

/* "REGISTER", "LEVEL", ... or "unknown". */
const char *proto_type_to_string(uint16_t type);
