/* SPDX-License-Identifier: MIT */
#include "ctl.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

int ctl_request_init(struct ctl_request *req, enum ctl_command cmd, uint32_t flags, pid_t pid,
                     const char *domain)
{
        memset(req, 0, sizeof(*req));
        req->hdr.version = CTL_PROTOCOL_VERSION;
        req->hdr.type = (uint16_t)cmd;
        req->hdr.length = sizeof(*req);
        req->flags = flags;
        req->pid = pid;
        if (domain) {
                size_t len = strlen(domain);
                if (len >= sizeof(req->domain))
                        return -ENAMETOOLONG;
                memcpy(req->domain, domain, len);
        }
        return 0;
}

int ctl_request_validate(const void *buf, size_t len)
{
        struct ctl_request req;

        if (len != sizeof(req))
                return -EBADMSG;
        memcpy(&req, buf, sizeof(req));
        if (req.hdr.length != sizeof(req))
                return -EBADMSG;
        if (req.hdr.version != CTL_PROTOCOL_VERSION)
                return -EPROTONOSUPPORT;
        if (req.hdr.type < CTL_STATUS || req.hdr.type >= _CTL_COMMAND_MAX)
                return -EINVAL;
        if (req.flags & ~(uint32_t)_CTL_FLAGS_ALL)
                return -EINVAL;
        if (!memchr(req.domain, '\0', sizeof(req.domain)))
                return -EINVAL;
        if ((req.hdr.type == CTL_WHY || req.hdr.type == CTL_FOCUS) && req.pid <= 0)
                return -EINVAL;
        return 0;
}

int ctl_reply_send(int sock, uint16_t type, int status, int fd)
{
        struct ctl_reply reply = {
                .hdr = { .version = CTL_PROTOCOL_VERSION, .type = type, .length = sizeof(reply) },
                .status = status,
        };
        struct iovec iov = { .iov_base = &reply, .iov_len = sizeof(reply) };
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control;
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (fd >= 0) {
                memset(&control, 0, sizeof(control));
                msg.msg_control = control.buf;
                msg.msg_controllen = sizeof(control.buf);
                struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
                cmsg->cmsg_level = SOL_SOCKET;
                cmsg->cmsg_type = SCM_RIGHTS;
                cmsg->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
        }
        if (sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
                return -errno;
        return 0;
}

int ctl_reply_recv(int sock, int *ret_status, int *ret_fd)
{
        struct ctl_reply reply = { 0 };
        struct iovec iov = { .iov_base = &reply, .iov_len = sizeof(reply) };
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control;
        struct msghdr msg = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = control.buf,
                .msg_controllen = sizeof(control.buf),
        };
        int fd = -1;

        ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
        if (n < 0)
                return -errno;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
                    c->cmsg_len == CMSG_LEN(sizeof(int)))
                        memcpy(&fd, CMSG_DATA(c), sizeof(int));
        if (n != sizeof(reply) || reply.hdr.length != sizeof(reply) ||
            reply.hdr.version != CTL_PROTOCOL_VERSION || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
                if (fd >= 0)
                        close(fd);
                return -EBADMSG;
        }
        *ret_status = reply.status;
        *ret_fd = fd;
        return 0;
}

int ctl_memfd_new(void)
{
        int fd = memfd_create("triage-reply", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        return fd < 0 ? -errno : fd;
}
