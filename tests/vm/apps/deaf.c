/* SPDX-License-Identifier: MIT */
/*
 * deaf [-b MIB]: a registered application that never answers. It holds MIB
 * of touched memory (so it is the biggest process), registers with triaged
 * through libtriage, and reads what the daemon sends without replying: it
 * loses only its grace period, and the record must say so.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <triage.h>

static void on_level(struct triage_client *c, uint8_t level_byte, void *userdata)
{
        fprintf(stderr, "deaf: level %u\n", (unsigned)level_byte);
}

static void on_save(struct triage_client *c, uint32_t serial, uint32_t deadline_msec, void *userdata)
{
        fprintf(stderr, "deaf: asked to save (serial %u), not answering\n", (unsigned)serial);
}

static void on_close(struct triage_client *c, uint32_t serial, uint32_t deadline_msec, void *userdata)
{
        fprintf(stderr, "deaf: asked to close within %llu ms (serial %u), not answering\n",
                (unsigned long long)deadline_msec, (unsigned)serial);
}

int main(int argc, char *argv[])
{
        const struct triage_callbacks cb = {
                .level = on_level,
                .save_state = on_save,
                .emergency_close = on_close,
        };
        struct triage_client *client;
        unsigned long mib = 0;
        int r;

        if (argc == 3 && strcmp(argv[1], "-b") == 0)
                mib = strtoul(argv[2], NULL, 10);
        if (mib) {
                size_t bytes = mib << 20;
                char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED) {
                        perror("deaf: mmap");
                        return 1;
                }
                for (size_t off = 0; off < bytes; off += 4096)
                        p[off] = 1;
        }
        r = triage_connect(NULL, "deaf", &cb, NULL, &client);
        if (r < 0) {
                fprintf(stderr, "deaf: cannot register: %s\n", strerror(-r));
                return 1;
        }
        fprintf(stderr, "deaf: registered\n");
        struct pollfd p = { .fd = triage_get_fd(client), .events = POLLIN };
        for (;;) {
                if (poll(&p, 1, -1) < 0 && errno != EINTR)
                        return 1;
                if (triage_dispatch(client) < 0) {
                        fprintf(stderr, "deaf: disconnected\n");
                        pause();
                }
        }
}
