/* SPDX-License-Identifier: MIT */
/*
 * The control protocol between triagectl and triaged, over a Unix
 * SOCK_SEQPACKET socket. One request, one reply, then the daemon closes.
 *
 * A request is exactly one struct ctl_request (fixed size, checked). The
 * reply is one struct ctl_reply and, when status is 0, a sealed memfd
 * passed with SCM_RIGHTS that holds the rendered text or JSON. Handing over
 * a memfd means the daemon never blocks on a slow reader and never buffers
 * per client.
 *
 * Nothing on this socket changes the daemon's state: every command is
 * read-only. The peer's credentials come from SO_PEERCRED, never from the
 * message.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CTL_PROTOCOL_VERSION 1
#define CTL_DOMAIN_MAX 64

enum ctl_command {
        CTL_STATUS = 1,
        CTL_RANK = 2,
        CTL_WHY = 3,
        CTL_HISTORY = 4,
        CTL_RESTART_LIST = 5, /* what a shell needs to bring closed apps back */
        CTL_FOCUS = 6,        /* pid's activity is in use now (root or its owner) */
        _CTL_COMMAND_MAX,
};

enum {
        CTL_FLAG_JSON = 1u << 0,
        CTL_FLAG_ALL = 1u << 1,       /* rank: include excluded processes */
        CTL_FLAG_PROCESSES = 1u << 2, /* rank: processes, not activities */
        _CTL_FLAGS_ALL = CTL_FLAG_JSON | CTL_FLAG_ALL | CTL_FLAG_PROCESSES,
};

struct ctl_header {
        uint16_t version;
        uint16_t type;
        uint32_t length; /* of the whole message, header included */
};

struct ctl_request {
        struct ctl_header hdr;
        uint32_t flags;
        int32_t pid;                 /* CTL_WHY */
        char domain[CTL_DOMAIN_MAX]; /* CTL_RANK / CTL_WHY: "" = system */
};
_Static_assert(sizeof(struct ctl_request) == 80, "ctl_request is part of the protocol");

struct ctl_reply {
        struct ctl_header hdr;
        int32_t status; /* 0 or -errno */
        uint32_t reserved;
};
_Static_assert(sizeof(struct ctl_reply) == 16, "ctl_reply is part of the protocol");

/* Fills a request. domain may be NULL. Returns -ENAMETOOLONG if it does
 * not fit. */
int ctl_request_init(struct ctl_request *req, enum ctl_command cmd, uint32_t flags, pid_t pid,
                     const char *domain);

/* Checks a received request of len bytes: exact length, version, known
 * command and flags, NUL-terminated domain. Returns 0, -EBADMSG (size or
 * framing), -EPROTONOSUPPORT (version) or -EINVAL. */
int ctl_request_validate(const void *buf, size_t len);

/* Sends a reply: status and, if fd >= 0, the fd with SCM_RIGHTS. */
int ctl_reply_send(int sock, uint16_t type, int status, int fd);

/* Receives a reply (blocking; for triagectl). Returns 0 with the status and
 * the passed fd (or -1) or -errno. */
int ctl_reply_recv(int sock, int *ret_status, int *ret_fd);

/* Returns a sealed-on-request memfd for a reply, or -errno. */
int ctl_memfd_new(void);
