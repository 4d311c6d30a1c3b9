/* SPDX-License-Identifier: MIT */
/*
 * notes: a note-taking program that cooperates with triaged through
 * libtriage. It keeps the lines it reads from stdin in memory, unsaved,
 * until the daemon asks: on SaveState it writes them to FILE and answers
 * "saved"; on EmergencyClose it saves, answers "closing" and exits. So the
 * notes survive even when memory runs out and notes is chosen to close.
 *
 *   notes [-o FILE] [-n NAME] [-b MIB] [-s SOCKET]
 *
 *   -o FILE    where to save (default notes.txt)
 *   -n NAME    the name to register as (default notes)
 *   -b MIB     hold MIB MiB of touched memory, to be the biggest process
 *   -s SOCKET  the daemon's application socket (default: libtriage's)
 *
 * At the end of its input it keeps running, holding the notes, until the
 * daemon asks it to close or it is killed; without a daemon it saves and
 * exits there.
 *
 * One poll loop over stdin and the libtriage fd: the pattern any
 * application with an event loop follows.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <triage.h>

struct notes {
        const char *path;
        char *text; /* everything read so far */
        size_t len;
        size_t cap;
        void *ballast;
        size_t ballast_bytes;
};

static size_t count_lines(const struct notes *n)
{
        size_t lines = 0;

        for (size_t i = 0; i < n->len; i++)
                lines += n->text[i] == '\n';
        /* A last line without its newline is a line too. */
        if (n->len > 0 && n->text[n->len - 1] != '\n')
                lines++;
        return lines;
}

static int append(struct notes *n, const char *buf, size_t len)
{
        if (n->len + len > n->cap) {
                size_t cap = n->cap ? n->cap : 4096;
                while (cap < n->len + len)
                        cap *= 2;
                char *t = realloc(n->text, cap);
                if (!t)
                        return -ENOMEM;
                n->text = t;
                n->cap = cap;
        }
        memcpy(n->text + n->len, buf, len);
        n->len += len;
        return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t w = write(fd, buf, len);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return -errno;
                buf += w;
                len -= (size_t)w;
        }
        return 0;
}

/* Write FILE.tmp, fsync, rename over FILE, fsync the directory: after a
 * crash, FILE is either the old notes or the new ones, never half. */
static int notes_save(const struct notes *n)
{
        char tmp[4096];
        int r;

        if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", n->path) >= sizeof(tmp))
                return -ENAMETOOLONG;
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        r = write_all(fd, n->text, n->len);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, n->path) < 0)
                r = -errno;
        if (r < 0) {
                (void)unlink(tmp);
                return r;
        }
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s", n->path);
        char *slash = strrchr(dir, '/');
        if (slash)
                *(slash == dir ? slash + 1 : slash) = '\0';
        int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
                (void)fsync(dfd);
                close(dfd);
        }
        fprintf(stderr, "notes: saved %zu lines to %s\n", count_lines(n), n->path);
        return 0;
}

static void on_level(struct triage_client *c, uint8_t level_byte, void *userdata)
{
        /* Nothing to trim: every byte held is a note the user wrote (the
         * ballast stands for a document, not a cache). */
        fprintf(stderr, "notes: memory level %u\n", (unsigned)level_byte);
}

static void on_save_state(struct triage_client *c, uint32_t serial, uint32_t deadline_msec, void *userdata)
{
        struct notes *n = userdata;

        int r = notes_save(n);
        if (r < 0) {
                /* No answer: the daemon must not think the notes are safe. */
                fprintf(stderr, "notes: cannot save to %s: %s\n", n->path, strerror(-r));
                return;
        }
        r = triage_reply_saved(c, serial, n->path);
        if (r < 0)
                fprintf(stderr, "notes: cannot answer the daemon: %s\n", strerror(-r));
}

static void on_emergency_close(struct triage_client *c, uint32_t serial, uint32_t deadline_msec,
                               void *userdata)
{
        struct notes *n = userdata;

        /* "saved" first, so the daemon records where the notes went; then
         * "closing", and out. */
        int r = notes_save(n);
        if (r < 0)
                fprintf(stderr, "notes: cannot save to %s: %s\n", n->path, strerror(-r));
        else
                (void)triage_reply_saved(c, serial, n->path);
        (void)triage_reply_closing(c, serial);
        fprintf(stderr, "notes: closing\n");
        triage_disconnect(c);
        exit(r < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}

static void on_error(struct triage_client *c, int errnum, uint16_t about_type, void *userdata)
{
        fprintf(stderr, "notes: the daemon refused a message: %s\n", strerror(errnum));
}

/* Allocates and touches the ballast so that it is resident. */
static int ballast_hold(struct notes *n, unsigned long mib)
{
        n->ballast_bytes = (size_t)mib << 20;
        n->ballast = mmap(NULL, n->ballast_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (n->ballast == MAP_FAILED) {
                n->ballast = NULL;
                return -errno;
        }
        /* Not zeroes (which a kernel could share), one byte per page. */
        long page = sysconf(_SC_PAGESIZE);
        for (size_t off = 0; off < n->ballast_bytes; off += (size_t)page)
                ((volatile char *)n->ballast)[off] = 0x5a;
        return 0;
}

static void usage(FILE *f)
{
        fprintf(f, "usage: notes [-o FILE] [-n NAME] [-b MIB] [-s SOCKET]\n");
}

int main(int argc, char **argv)
{
        struct notes n = { .path = "notes.txt" };
        const char *name = "notes", *socket_path = NULL;
        unsigned long mib = 0;
        struct triage_client *client = NULL;
        char *end;
        int opt, r;

        while ((opt = getopt(argc, argv, "o:n:b:s:h")) != -1) {
                switch (opt) {
                case 'o':
                        n.path = optarg;
                        break;
                case 'n':
                        name = optarg;
                        break;
                case 'b':
                        errno = 0;
                        mib = strtoul(optarg, &end, 10);
                        if (errno || end == optarg || *end) {
                                fprintf(stderr, "notes: bad size '%s' (MiB)\n", optarg);
                                return EXIT_FAILURE;
                        }
                        break;
                case 's':
                        socket_path = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_SUCCESS;
                default:
                        usage(stderr);
                        return EXIT_FAILURE;
                }
        }
        if (mib > 0 && (r = ballast_hold(&n, mib)) < 0) {
                fprintf(stderr, "notes: cannot hold %lu MiB: %s\n", mib, strerror(-r));
                return EXIT_FAILURE;
        }

        const struct triage_callbacks cb = {
                .level = on_level,
                .save_state = on_save_state,
                .emergency_close = on_emergency_close,
                .error = on_error,
        };
        r = triage_connect(socket_path, name, &cb, &n, &client);
        if (r < 0) {
                /* Without the daemon notes still works; it just cannot be
                 * warned. */
                fprintf(stderr, "notes: cannot register with triaged: %s\n", strerror(-r));
                client = NULL;
        } else {
                fprintf(stderr, "notes: registered\n");
        }

        struct pollfd p[2] = {
                { .fd = STDIN_FILENO, .events = POLLIN },
                { .fd = client ? triage_get_fd(client) : -1, .events = POLLIN },
        };
        for (;;) {
                if (p[0].fd < 0 && p[1].fd < 0) {
                        /* No more input and no daemon to ask for a save:
                         * save now rather than lose the notes. */
                        r = notes_save(&n);
                        if (r < 0)
                                fprintf(stderr, "notes: cannot save to %s: %s\n", n.path, strerror(-r));
                        free(n.text);
                        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
                }
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        fprintf(stderr, "notes: poll: %s\n", strerror(errno));
                        return EXIT_FAILURE;
                }
                if (p[0].revents) {
                        char buf[4096];
                        ssize_t len = read(STDIN_FILENO, buf, sizeof(buf));
                        if (len < 0 && errno != EINTR && errno != EAGAIN) {
                                fprintf(stderr, "notes: read: %s\n", strerror(errno));
                                p[0].fd = -1;
                        } else if (len == 0) {
                                /* End of input: keep the notes, keep waiting. */
                                fprintf(stderr, "notes: end of input, holding %zu lines\n", count_lines(&n));
                                p[0].fd = -1;
                        } else if (len > 0 && append(&n, buf, (size_t)len) < 0) {
                                fprintf(stderr, "notes: out of memory\n");
                                return EXIT_FAILURE;
                        }
                }
                if (p[1].revents) {
                        r = triage_dispatch(client);
                        if (r < 0) {
                                fprintf(stderr, "notes: lost triaged: %s\n", strerror(-r));
                                triage_disconnect(client);
                                client = NULL;
                                p[1].fd = -1;
                        }
                }
        }
}
