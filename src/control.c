/* SPDX-License-Identifier: MIT */
/*
 * The control socket: triagectl's read-only window into the daemon. One
 * request per connection, answered from the loop with a memfd holding the
 * rendered reply (see ctl.h). A client that connects and says nothing is
 * dropped after CONTROL_TIMEOUT_USEC; at most CONTROL_CONN_MAX are served
 * at once; when the daemon is out of fds, accepting pauses for a second
 * instead of spinning.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "manager.h"
#include "report.h"
#include "util.h"

#define CONTROL_TIMEOUT_USEC (2 * USEC_PER_SEC)
#define CONTROL_PAUSE_USEC USEC_PER_SEC

static void conn_close(struct control_conn *c)
{
        c->io_source = sd_event_source_disable_unref(c->io_source);
        c->timeout_source = sd_event_source_disable_unref(c->timeout_source);
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
}

static void fill_report_domain(const struct domain *d, struct report_domain *rd)
{
        *rd = (struct report_domain){
                .name = d->name,
                .kind = domain_kind_to_string(d->kind),
                .cgroup_path = d->cgroup_path,
                .allowable_kib = d->allowable_kib,
                .available_kib = d->available_kib,
                .level = d->level,
                .thresholds = d->thresholds,
                .has_psi = d->has_psi,
                .psi = d->psi,
                .watch = d->watch,
                .poll_usec = d->poll_usec,
                .kills = d->kills,
                .dying_pid = d->victim_pid,
        };
}

static const char *pending_name(enum client_request r)
{
        return r == CLIENT_REQUEST_SAVE ? "save" : r == CLIENT_REQUEST_CLOSE ? "close" : "none";
}

static int render_status(struct manager *m, FILE *f, bool json)
{
        struct report_domain domains[MANAGER_DOMAINS_MAX];
        /* On the heap: 256 entries would make a large stack frame, and this
         * is the control path, not the kill path. */
        struct report_client *clients = calloc(CLIENTS_MAX, sizeof(*clients));
        size_t n = 0, n_clients = 0;
        const struct client *chooser = m->chooser_id ? clients_find_id(&m->clients, m->chooser_id) : NULL;
        char frozen[128];

        if (!clients)
                return -ENOMEM;
        for (size_t i = 0; i < CLIENTS_MAX; i++) {
                const struct client *c = &m->clients.table[i];
                if (!c->in_use)
                        continue;
                clients[n_clients++] = (struct report_client){
                        .id = c->id,
                        .name = c->name,
                        .pid = c->pid,
                        .uid = c->uid,
                        .transport = c->transport == CLIENT_TRANSPORT_BUS ? "D-Bus" : "socket",
                        .saved = c->saved,
                        .state_ref = c->state_ref,
                        .pending = pending_name(c->pending),
                };
        }

        for (size_t i = 0; i < MANAGER_DOMAINS_MAX; i++)
                if (m->domains[i].in_use)
                        fill_report_domain(&m->domains[i], &domains[n++]);
        struct report_status s = {
                .version = TRIAGE_VERSION,
                .pid = getpid(),
                .uptime_usec = now_usec(CLOCK_MONOTONIC) - m->start_usec,
                .dry_run = m->config.dry_run,
                .mode = m->config.badness,
                .mlocked = m->mlocked,
                .oom_score_adj = m->own_oom_score_adj,
                .process_capacity = m->procs.capacity,
                .domains = domains,
                .n_domains = n,
                .history = &m->history,
                .clients = clients,
                .n_clients = n_clients,
                .bus = m->bus != NULL,
                .app_socket = m->appsock ? m->config.app_socket : "",
                .advise_only = m->config.advise_only,
                .adj_publish = m->adj_publish,
                .adj_written = m->adj_written,
                .adj_refused = m->adj_refused,
                .adj_refused_reason = m->adj_refused ? strerror(m->adj_refused_errno) : "",
                .chooser = chooser ? chooser->name : "",
                .frozen = freeze_active(&m->freeze) ? freeze_describe(&m->freeze, frozen, sizeof(frozen))
                                                    : "",
        };
        report_status(f, &s, json);
        free(clients);
        return 0;
}

static int render_rank(struct manager *m, enum ctl_command cmd, uint32_t flags, pid_t pid, const char *domain,
                       uid_t viewer, FILE *f)
{
        bool json = flags & CTL_FLAG_JSON;
        struct domain *d = manager_find_domain(m, domain);
        size_t n;
        int r;

        if (!d)
                return -ENOENT;
        if (cmd == CTL_RANK && (flags & CTL_FLAG_PROCESSES)) {
                /* Processes alone, as the kernel ranks them. */
                r = manager_rank(m, d, PROC_READ_ALL, flags & CTL_FLAG_ALL, &n);
                if (r < 0)
                        return r;
                struct report_rank rr = {
                        .domain = d->name,
                        .allowable_kib = d->allowable_kib,
                        .page_kib = m->page_kib,
                        .mode = m->config.badness,
                        .candidates = m->ranked,
                        .n = n,
                        .dropped = m->procs.dropped,
                        .viewer_uid = viewer,
                };
                report_rank(f, &rr, json);
                return 0;
        }
        ssize_t k = manager_rank_activities(m, d, PROC_READ_OOM_SCORE);
        if (k < 0)
                return (int)k;
        struct report_activities ra = {
                .domain = d->name,
                .allowable_kib = d->allowable_kib,
                .page_kib = m->page_kib,
                .mode = m->config.badness,
                .acts = m->acts,
                .n = (size_t)k,
                .members = m->members,
                .procs = &m->procs,
                .charged = m->charged,
                .charges = &m->charges,
                .viewer_uid = viewer,
        };
        if (cmd == CTL_WHY)
                return report_why_process(f, &ra, pid, json);
        report_activities(f, &ra, flags & CTL_FLAG_ALL, json);
        return 0;
}

int manager_render(struct manager *m, enum ctl_command cmd, uint32_t flags, pid_t pid, const char *domain,
                   uid_t viewer_uid, FILE *f)
{
        switch (cmd) {
        case CTL_STATUS:
                return render_status(m, f, flags & CTL_FLAG_JSON);
        case CTL_RANK:
        case CTL_WHY:
                return render_rank(m, cmd, flags, pid, domain, viewer_uid, f);
        case CTL_HISTORY:
                report_history(f, &m->history, viewer_uid, flags & CTL_FLAG_JSON);
                return 0;
        case CTL_RESTART_LIST:
                report_restart_list(f, &m->history, viewer_uid, flags & CTL_FLAG_JSON);
                return 0;
        case CTL_FOCUS: {
                int r = manager_focus(m, pid, viewer_uid);
                if (r == 0)
                        fprintf(f, "focus: pid %d\n", (int)pid);
                return r;
        }
        default:
                return -EINVAL;
        }
}

static int control_render(struct manager *m, const struct ctl_request *req, uid_t viewer, int memfd)
{
        int fd = fcntl(memfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        FILE *f = fdopen(fd, "w");
        if (!f) {
                close(fd);
                return -errno;
        }
        int r = manager_render(m, req->hdr.type, req->flags, req->pid, req->domain, viewer, f);
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r == 0 && fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
                r = -errno;
        return r;
}

static int on_conn_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct control_conn *c = userdata;

        log_debug("control: pid %d sent nothing in time, dropped", (int)c->pid);
        conn_close(c);
        return 0;
}

static int on_conn_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct control_conn *c = userdata;
        struct ctl_request req;
        /* One byte more than a request, so an oversized message shows. */
        char buf[sizeof(req) + 1];
        int memfd = -1;
        int r;

        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0) {
                conn_close(c);
                return 0;
        }
        r = ctl_request_validate(buf, (size_t)n);
        if (r < 0) {
                log_debug_errno(r, "control: bad request from pid %d (%zd bytes)", (int)c->pid, n);
                (void)ctl_reply_send(fd, 0, r, -1);
                conn_close(c);
                return 0;
        }
        memcpy(&req, buf, sizeof(req));
        memfd = ctl_memfd_new();
        r = memfd < 0 ? memfd : control_render(c->manager, &req, c->uid, memfd);
        if (r < 0 && r != -ENOENT && r != -ESRCH)
                log_warning_errno(r, "control: cannot answer pid %d", (int)c->pid);
        r = ctl_reply_send(fd, req.hdr.type, r, r < 0 ? -1 : memfd);
        if (r < 0)
                log_debug_errno(r, "control: cannot reply to pid %d", (int)c->pid);
        if (memfd >= 0)
                close(memfd);
        conn_close(c);
        return 0;
}

static int on_listen_resume(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct manager *m = userdata;

        m->listen_pause_source = sd_event_source_disable_unref(m->listen_pause_source);
        (void)sd_event_source_set_enabled(m->listen_source, SD_EVENT_ON);
        return 0;
}

static struct control_conn *conn_slot(struct manager *m)
{
        for (size_t i = 0; i < CONTROL_CONN_MAX; i++)
                if (m->conns[i].fd < 0)
                        return &m->conns[i];
        return NULL;
}

static int on_accept(sd_event_source *s, int listen_fd, uint32_t revents, void *userdata)
{
        struct manager *m = userdata;
        struct ucred cred;
        socklen_t len = sizeof(cred);
        int r;

        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
                if (errno == EMFILE || errno == ENFILE) {
                        /* Out of fds: pause accepting rather than spin. */
                        log_warning_errno(errno, "control: cannot accept, pausing for a second");
                        (void)sd_event_source_set_enabled(m->listen_source, SD_EVENT_OFF);
                        if (!m->listen_pause_source)
                                (void)sd_event_add_time_relative(m->event, &m->listen_pause_source,
                                                                 CLOCK_MONOTONIC, CONTROL_PAUSE_USEC, 0,
                                                                 on_listen_resume, m);
                }
                return 0;
        }
        struct control_conn *c = conn_slot(m);
        if (!c || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                if (!c)
                        log_debug("control: %d clients already, connection refused", CONTROL_CONN_MAX);
                close(fd);
                return 0;
        }
        *c = (struct control_conn){ .manager = m, .fd = fd, .uid = cred.uid, .pid = cred.pid };
        r = sd_event_add_io(m->event, &c->io_source, fd, EPOLLIN, on_conn_readable, c);
        if (r >= 0)
                r = sd_event_add_time_relative(m->event, &c->timeout_source, CLOCK_MONOTONIC,
                                               CONTROL_TIMEOUT_USEC, 0, on_conn_timeout, c);
        if (r < 0) {
                log_warning_errno(r, "control: cannot watch a client");
                conn_close(c);
        }
        return 0;
}

int control_open(struct manager *m)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int r;

        strscpy(m->socket_path, m->config.control_socket, sizeof(m->socket_path));
        if (!strscpy(sa.sun_path, m->socket_path, sizeof(sa.sun_path)))
                return log_error_errno(ENAMETOOLONG, "control socket path %s", m->socket_path);
        r = mkdir_parent(m->socket_path);
        if (r < 0)
                return log_error_errno(r, "cannot create the directory of %s", m->socket_path);

        m->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (m->listen_fd < 0)
                return log_error_errno(errno, "socket");
        (void)unlink(m->socket_path);
        /* Read-only commands: anyone may ask (cmdlines of other users'
         * processes are hidden from them in the replies). */
        mode_t old = umask(0111);
        r = bind(m->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
        umask(old);
        if (r < 0)
                return log_error_errno(errno, "cannot bind %s", m->socket_path);
        if (listen(m->listen_fd, 16) < 0)
                return log_error_errno(errno, "cannot listen on %s", m->socket_path);
        r = sd_event_add_io(m->event, &m->listen_source, m->listen_fd, EPOLLIN, on_accept, m);
        if (r < 0)
                return log_error_errno(r, "cannot watch %s", m->socket_path);
        log_info("control socket %s", m->socket_path);
        return 0;
}

void control_close(struct manager *m)
{
        for (size_t i = 0; i < CONTROL_CONN_MAX; i++)
                if (m->conns[i].fd >= 0)
                        conn_close(&m->conns[i]);
        m->listen_source = sd_event_source_disable_unref(m->listen_source);
        m->listen_pause_source = sd_event_source_disable_unref(m->listen_pause_source);
        if (m->listen_fd >= 0) {
                close(m->listen_fd);
                (void)unlink(m->socket_path);
        }
        m->listen_fd = -1;
}
