/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl.h"

static void test_valid_request(void **state)
{
        struct ctl_request req;

        assert_int_equal(ctl_request_init(&req, CTL_RANK, CTL_FLAG_JSON, 0, "web"), 0);
        assert_int_equal(ctl_request_validate(&req, sizeof(req)), 0);
        assert_string_equal(req.domain, "web");
}

static void test_bad_requests(void **state)
{
        struct ctl_request req;
        char big[sizeof(req) + 1] = { 0 };

        ctl_request_init(&req, CTL_STATUS, 0, 0, NULL);
        /* Exact length only. */
        assert_int_equal(ctl_request_validate(&req, sizeof(req) - 1), -EBADMSG);
        memcpy(big, &req, sizeof(req));
        assert_int_equal(ctl_request_validate(big, sizeof(big)), -EBADMSG);
        /* The header's length must agree. */
        req.hdr.length = 12;
        assert_int_equal(ctl_request_validate(&req, sizeof(req)), -EBADMSG);
        req.hdr.length = sizeof(req);
        req.hdr.version = 2;
        assert_int_equal(ctl_request_validate(&req, sizeof(req)), -EPROTONOSUPPORT);
        req.hdr.version = CTL_PROTOCOL_VERSION;
        req.hdr.type = 0;
        assert_int_equal(ctl_request_validate(&req, sizeof(req)), -EINVAL);
        req.hdr.type = _CTL_COMMAND_MAX;
        assert_int_equal(ctl_request_validate(&req, sizeof(req)), -EINVAL);
        req.hdr.type = CTL_STATUS;
        req.flags = 1u << 7;
        assert_int_equal(ctl_request_validate(&req, sizeof(req)), -EINVAL);
        req.flags = 0;
        memset(req.domain, 'a', sizeof(req.domain)); /* not NUL-terminated */
        assert_int_equal(ctl_request_validate(&req, sizeof(req)), -EINVAL);
        ctl_request_init(&req, CTL_WHY, 0, 0, NULL); /* why needs a pid */
        assert_int_equal(ctl_request_validate(&req, sizeof(req)), -EINVAL);
}

static void test_domain_too_long(void **state)
{
        struct ctl_request req;
        char name[CTL_DOMAIN_MAX + 1];

        memset(name, 'x', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        assert_int_equal(ctl_request_init(&req, CTL_RANK, 0, 0, name), -ENAMETOOLONG);
}

static void test_reply_passes_fd(void **state)
{
        int sv[2], status, fd;
        char buf[8] = { 0 };

        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
        int memfd = ctl_memfd_new();
        assert_true(memfd >= 0);
        assert_int_equal(write(memfd, "hello", 5), 5);
        assert_int_equal(ctl_reply_send(sv[0], CTL_STATUS, 0, memfd), 0);
        assert_int_equal(ctl_reply_recv(sv[1], &status, &fd), 0);
        assert_int_equal(status, 0);
        assert_true(fd >= 0);
        assert_int_equal(pread(fd, buf, sizeof(buf), 0), 5);
        assert_string_equal(buf, "hello");
        close(fd);

        /* An error reply carries no fd. */
        assert_int_equal(ctl_reply_send(sv[0], CTL_WHY, -ESRCH, -1), 0);
        assert_int_equal(ctl_reply_recv(sv[1], &status, &fd), 0);
        assert_int_equal(status, -ESRCH);
        assert_int_equal(fd, -1);

        /* Garbage in place of a reply is rejected. */
        assert_int_equal(send(sv[0], "xyz", 3, 0), 3);
        assert_int_equal(ctl_reply_recv(sv[1], &status, &fd), -EBADMSG);
        close(memfd);
        close(sv[0]);
        close(sv[1]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid_request),
                cmocka_unit_test(test_bad_requests),
                cmocka_unit_test(test_domain_too_long),
                cmocka_unit_test(test_reply_passes_fd),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
