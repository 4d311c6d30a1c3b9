/* SPDX-License-Identifier: MIT */
/* The kill path against real child processes: no mocks. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "kill.h"
#include "proc.h"

static pid_t spawn_sleeper(void)
{
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                pause();
                _exit(0);
        }
        return pid;
}

static int open_proc(void)
{
        int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        return fd;
}

static void test_kill_by_pidfd(void **state)
{
        int procfd = open_proc();
        pid_t pid = spawn_sleeper();
        uint64_t ticks;
        int status;

        assert_int_equal(proc_read_start_time(procfd, pid, &ticks), 0);
        int pidfd = kill_pidfd_open(procfd, pid, ticks);
        assert_true(pidfd >= 0);
        assert_false(kill_pidfd_exited(pidfd));
        assert_int_equal(kill_pidfd_signal(pidfd, SIGKILL), 0);

        /* The pidfd becomes readable when the child has exited: wait for
         * that event (the timeout only bounds a broken kernel). */
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        assert_int_equal(poll(&p, 1, 10000), 1);
        assert_true(kill_pidfd_exited(pidfd));
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        /* Reaped: signalling through the pidfd cannot hit a new process
         * that got the same PID. */
        assert_int_equal(kill_pidfd_signal(pidfd, SIGKILL), -ESRCH);
        close(pidfd);
        close(procfd);
}

static void test_start_time_mismatch_refused(void **state)
{
        int procfd = open_proc();
        pid_t pid = spawn_sleeper();
        uint64_t ticks;

        assert_int_equal(proc_read_start_time(procfd, pid, &ticks), 0);
        /* A scan that saw another process under this PID: refused. */
        assert_int_equal(kill_pidfd_open(procfd, pid, ticks + 1), -ESRCH);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        /* Gone: refused too. */
        assert_int_equal(kill_pidfd_open(procfd, pid, ticks), -ESRCH);
        close(procfd);
}

static void test_never_pid_1(void **state)
{
        int procfd = open_proc();

        assert_int_equal(kill_pidfd_open(procfd, 1, 0), -EINVAL);
        assert_int_equal(kill_pidfd_open(procfd, 0, 0), -EINVAL);
        close(procfd);
}

static void test_mrelease_on_live_process(void **state)
{
        int procfd = open_proc();
        pid_t pid = spawn_sleeper();
        uint64_t ticks;

        assert_int_equal(proc_read_start_time(procfd, pid, &ticks), 0);
        int pidfd = kill_pidfd_open(procfd, pid, ticks);
        assert_true(pidfd >= 0);
        /* A process that is not exiting cannot be reaped: EINVAL (or
         * ENOSYS before 5.15). Either is what the caller tolerates. */
        int r = kill_mrelease(pidfd);
        assert_true(r == -EINVAL || r == -ENOSYS);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(pidfd);
        close(procfd);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kill_by_pidfd),
                cmocka_unit_test(test_start_time_mismatch_refused),
                cmocka_unit_test(test_never_pid_1),
                cmocka_unit_test(test_mrelease_on_live_process),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
