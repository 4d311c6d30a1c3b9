/* SPDX-License-Identifier: MIT */
/* The client table: limits, answers matched to requests, no forged answers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clients.h"

static const struct client_ops no_ops;

static struct clients *new_clients(void)
{
        struct clients *cs = calloc(1, sizeof(*cs));
        assert_non_null(cs);
        return cs;
}

static void test_add_find_remove(void **state)
{
        struct clients *cs = new_clients();
        int err = 0;

        struct client *a = clients_add(cs, CLIENT_TRANSPORT_SOCKET, &no_ops, NULL, 100, 1000, 5, "notes",
                                       &err);
        assert_non_null(a);
        assert_int_equal(a->id, 1);
        assert_ptr_equal(clients_find_pid(cs, 100), a);
        assert_ptr_equal(clients_find_id(cs, 1), a);
        /* The same process cannot register twice. */
        assert_null(clients_add(cs, CLIENT_TRANSPORT_BUS, &no_ops, NULL, 100, 1000, 5, "again", &err));
        assert_int_equal(err, -EEXIST);
        clients_remove(cs, a);
        assert_null(clients_find_pid(cs, 100));
        /* Ids are never reused. */
        a = clients_add(cs, CLIENT_TRANSPORT_SOCKET, &no_ops, NULL, 100, 1000, 5, "notes", &err);
        assert_int_equal(a->id, 2);
        free(cs);
}

static void test_bad_names(void **state)
{
        struct clients *cs = new_clients();
        int err = 0;

        assert_null(clients_add(cs, CLIENT_TRANSPORT_SOCKET, &no_ops, NULL, 1, 0, 0, "", &err));
        assert_int_equal(err, -EINVAL);
        assert_null(clients_add(cs, CLIENT_TRANSPORT_SOCKET, &no_ops, NULL, 1, 0, 0, "a\nb", &err));
        assert_int_equal(err, -EINVAL);
        assert_null(clients_add(cs, CLIENT_TRANSPORT_SOCKET, &no_ops, NULL, 1, 0, 0, "\x1b[31m", &err));
        assert_int_equal(err, -EINVAL);
        /* A long name is cut, not refused; UTF-8 passes. */
        char longname[200];
        memset(longname, 'x', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        struct client *c = clients_add(cs, CLIENT_TRANSPORT_SOCKET, &no_ops, NULL, 2, 0, 0, longname, &err);
        assert_non_null(c);
        assert_int_equal(strlen(c->name), CLIENT_NAME_MAX - 1);
        assert_non_null(
                clients_add(cs, CLIENT_TRANSPORT_SOCKET, &no_ops, NULL, 3, 0, 0, "Notizen \xc3\xa9", &err));
        free(cs);
}

static void test_per_uid_limit(void **state)
{
        struct clients *cs = new_clients();
        int err = 0;

        for (int i = 0; i < CLIENTS_PER_UID_MAX; i++)
                assert_non_null(clients_add(cs, CLIENT_TRANSPORT_SOCKET, &no_ops, NULL, 1000 + i, 1000, 0,
                                            "a", &err));
        assert_null(clients_add(cs, CLIENT_TRANSPORT_SOCKET, &no_ops, NULL, 5000, 1000, 0, "a", &err));
        assert_int_equal(err, -EUSERS);
        /* Another user is not affected. */
        assert_non_null(clients_add(cs, CLIENT_TRANSPORT_SOCKET, &no_ops, NULL, 5000, 1001, 0, "b", &err));
        assert_int_equal(clients_count_uid(cs, 1000), CLIENTS_PER_UID_MAX);
        free(cs);
}

static void test_table_full(void **state)
{
        struct clients *cs = new_clients();
        int err = 0;

        for (int i = 0; i < CLIENTS_MAX; i++)
                assert_non_null(clients_add(cs, CLIENT_TRANSPORT_SOCKET, &no_ops, NULL, 1000 + i, (uid_t)i, 0,
                                            "a", &err));
        assert_null(clients_add(cs, CLIENT_TRANSPORT_SOCKET, &no_ops, NULL, 9999, 9999, 0, "a", &err));
        assert_int_equal(err, -ENOSPC);
        free(cs);
}

static void test_answers_match_requests(void **state)
{
        struct clients *cs = new_clients();
        int err = 0;
        struct client *c = clients_add(cs, CLIENT_TRANSPORT_SOCKET, &no_ops, NULL, 100, 0, 0, "notes", &err);

        /* Nothing asked: any answer is refused. */
        assert_int_equal(client_answer_saved(c, 1, "/tmp/x", 7), -EPROTO);
        assert_false(c->saved);

        uint32_t serial = clients_next_serial(cs);
        c->pending = CLIENT_REQUEST_SAVE;
        c->pending_serial = serial;
        assert_int_equal(client_answer_saved(c, serial + 1, "/tmp/x", 7), -EPROTO); /* forged */
        assert_int_equal(client_answer_saved(c, serial, "bad\nref", 7), -EINVAL);
        assert_int_equal(client_answer_saved(c, serial, "/home/u/notes.txt", 7), 0);
        assert_true(c->saved);
        assert_string_equal(c->state_ref, "/home/u/notes.txt");
        assert_int_equal(c->saved_realtime_usec, 7);
        assert_int_equal(c->pending, CLIENT_REQUEST_NONE);
        /* "closing" without a close request is refused. */
        assert_int_equal(client_answer_closing(c, serial), -EPROTO);

        /* A close request: the app may save first, then say it is closing. */
        serial = clients_next_serial(cs);
        c->pending = CLIENT_REQUEST_CLOSE;
        c->pending_serial = serial;
        assert_int_equal(client_answer_saved(c, serial, "/home/u/notes2.txt", 8), 0);
        assert_int_equal(c->pending, CLIENT_REQUEST_CLOSE);
        assert_int_equal(client_answer_closing(c, serial), 0);
        assert_true(c->closing);
        free(cs);
}

static void test_serial_never_zero(void **state)
{
        struct clients *cs = new_clients();

        cs->last_serial = UINT32_MAX;
        assert_int_equal(clients_next_serial(cs), 1);
        free(cs);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_add_find_remove),        cmocka_unit_test(test_bad_names),
                cmocka_unit_test(test_per_uid_limit),          cmocka_unit_test(test_table_full),
                cmocka_unit_test(test_answers_match_requests), cmocka_unit_test(test_serial_never_zero),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
