/* SPDX-License-Identifier: MIT */
/*
 * hog [-a ADJ] [-n NAME] [-m MAX_MIB] RATE
 *
 * A runaway for the VM scenarios: allocates and touches memory in 1 MiB
 * steps at RATE MiB per second (0: as fast as it can) until it is killed.
 * With -m it stops growing at MAX_MIB MiB and waits in pause(), so a
 * scenario can hold memory at a chosen level. Prints "hog ready" before the
 * first step, a progress line every PROGRESS_MIB and "hog paused MIB" at
 * the maximum.
 */
#include <stdint.h>
#include <time.h>

#include "workload.h"

/* Every 32 MiB: a handful of lines in a 256 MiB VM, enough to see how far
 * a hog got before it died without flooding the console. */
#define PROGRESS_MIB 32

#define NSEC_PER_SEC INT64_C(1000000000)

static void usage(void)
{
        fprintf(stderr, "usage: hog [-a ADJ] [-n NAME] [-m MAX_MIB] RATE_MIB_PER_SEC\n");
        exit(2);
}

static int64_t now_nsec(void)
{
        struct timespec ts;

        if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
                workload_die("hog", "clock_gettime: %s", strerror(errno));
        return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* Sleeps until the absolute CLOCK_MONOTONIC time t_nsec: absolute, so the
 * time spent touching pages does not add up and the rate stays the one
 * asked for. */
static void sleep_until(int64_t t_nsec)
{
        struct timespec ts = {
                .tv_sec = (time_t)(t_nsec / NSEC_PER_SEC),
                .tv_nsec = (long)(t_nsec % NSEC_PER_SEC),
        };
        int r;

        while ((r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) == EINTR)
                ;
        if (r != 0)
                workload_die("hog", "clock_nanosleep: %s", strerror(r));
}

int main(int argc, char **argv)
{
        const char *name = NULL;
        long adj = 0, max_mib = -1;
        bool has_adj = false;
        int opt;

        while ((opt = getopt(argc, argv, "a:n:m:")) != -1) {
                switch (opt) {
                case 'a':
                        adj = workload_parse_long("hog", "adj", optarg, -1000, 1000);
                        has_adj = true;
                        break;
                case 'n':
                        name = optarg;
                        break;
                case 'm':
                        max_mib = workload_parse_long("hog", "max", optarg, 0, 16384);
                        break;
                default:
                        usage();
                }
        }
        if (optind != argc - 1)
                usage();
        long rate = workload_parse_long("hog", "rate", argv[optind], 0, 1000000);

        if (name)
                workload_set_name("hog", name);
        if (has_adj)
                workload_set_adj("hog", adj);

        workload_say("hog ready");
        int64_t start_nsec = now_nsec();
        long mib = 0;
        for (;;) {
                if (mib == max_mib) {
                        workload_say("hog paused %ld", mib);
                        for (;;)
                                pause();
                }
                workload_touch_mib("hog");
                mib++;
                if (mib % PROGRESS_MIB == 0)
                        workload_say("hog %ld MiB", mib);
                if (rate > 0)
                        sleep_until(start_nsec + mib * NSEC_PER_SEC / rate);
        }
}
