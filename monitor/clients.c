/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86ns-monitor's control socket: accepting peers (root and the
 * container's user only, by SO_PEERCRED, each with slots of its own),
 * pinning them by pidfd, expiring idle ones, and answering the requests of
 * lib/proto.h.
 *
 * Runs in: x86ns-monitor, host root, host namespaces; called from the
 * event loop in monitor.c. */
#include "monitor.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5 */
#endif

/* Connections taken per wake-up, so that a flood cannot keep the backlog
 * full ahead of root's connect. */
#define ACCEPT_BURST 256

void reply_ready(const struct monitor *m, int fd)
{
	char msg[PROTO_MSG_MAX];
	if (ready_message(m, msg, sizeof(msg)) >= 0)
		proto_send(fd, "%s", msg);
}

void waiting_clients_answer(struct monitor *m, const char *err)
{
	for (size_t i = 0; i < m->n_clients; i++) {
		struct client *c = &m->clients[i];
		if (!c->waiting)
			continue;
		c->waiting = false;
		c->idle_deadline_ms = now_ms() + MONITOR_IDLE_SEC * 1000LL;
		if (err)
			proto_send(c->fd, "err %s", err);
		else
			reply_ready(m, c->fd);
	}
}

void waiting_clients_progress(struct monitor *m)
{
	for (size_t i = 0; i < m->n_clients; i++)
		if (m->clients[i].waiting)
			proto_send(m->clients[i].fd, "progress %s", m->boot_status);
}

static void handle_status(const struct monitor *m, int fd)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	static const char *const names[] = { "running", "lingering", "stopping" };
	const char *state = m->state == RUNNING && !m->ready ? "booting" : names[m->state];
	/* boot-status comes last: it is free text up to the end of the line. */
	proto_send(fd,
		   "ok state=%s pid=%d guest=%s translator=%s user=%s sessions=%zu uptime=%lld "
		   "ready=%d monitor=%d userns=%llu network=%s net-pid=%d landlock=%d "
		   "translation=%s boot-status=%s",
		   state, (int)m->args.init_pid, m->args.guest, m->args.translator, m->args.user,
		   m->n_sessions, (long long)(ts.tv_sec - m->started.tv_sec),
		   m->ready && !m->ready_late, (int)getpid(), m->args.userns_ino, m->args.network,
		   m->args.net_pidfd >= 0 ? (int)m->args.net_pid : 0, m->args.landlock,
		   m->args.translation, m->boot_status);
}

static bool pidfd_alive(int pidfd)
{
	return syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0 || errno == EPERM;
}

/* Move the peer into the container's cgroup. The peer must be alive before
 * and after the write: then the pid we wrote was the peer's and not a
 * recycled one (a moved stranger would be killed with the container). */
static int peer_attach(const struct monitor *m, const struct client *c)
{
	if (c->pidfd < 0 || !pidfd_alive(c->pidfd))
		return -ESRCH;
	int r = cgroup_attach_handle(&m->attach, c->pid);
	if (r < 0)
		return r;
	if (!pidfd_alive(c->pidfd)) {
		syslog(LOG_WARNING, "x86ns: attach of pid %d raced with its exit", (int)c->pid);
		return -ESRCH;
	}
	return 0;
}

/* attach and wait are answered once the guest is ready; until then the
 * client hears the guest's STATUS= lines as progress. */
static void answer_when_ready(struct monitor *m, struct client *c)
{
	if (m->ready) {
		reply_ready(m, c->fd);
		return;
	}
	c->waiting = true;
	c->idle_deadline_ms = 0; /* the ready timeout bounds the wait */
	if (m->boot_status[0])
		proto_send(c->fd, "progress %s", m->boot_status);
}

/* One request from client c; authorization by the peer's uid. */
static void handle_request(struct monitor *m, struct client *c, char *req)
{
	bool root = c->uid == 0, owner = c->uid == m->args.uid;
	if (strcmp(req, "status") == 0 && (root || owner)) {
		handle_status(m, c->fd);
		return;
	}
	if (m->state == STOPPING && strcmp(req, "status") != 0) {
		proto_send(c->fd, "err stopping monitor=%d", (int)getpid());
		return;
	}
	uint32_t pid;
	if (strncmp(req, "open ", 5) == 0 && root && parse_u32(req + 5, &pid) == 0) {
		int r = session_add(m, (pid_t)pid);
		if (r < 0)
			proto_send(c->fd, "err cannot track session process %u: %s", pid,
				   strerror(-r));
		else
			reply_ready(m, c->fd);
	} else if (strncmp(req, "close ", 6) == 0 && root && parse_u32(req + 6, &pid) == 0) {
		for (size_t i = 0; i < m->n_sessions; i++)
			if (m->sessions[i].pid == (pid_t)pid) {
				session_remove(m, i);
				break;
			}
		sessions_changed(m);
		proto_send(c->fd, "ok stopping=%d monitor=%d", m->state == STOPPING, (int)getpid());
	} else if (strcmp(req, "attach") == 0 && (root || owner)) {
		int r = peer_attach(m, c);
		if (r < 0)
			proto_send(c->fd,
				   "err cannot move process %d into the container's cgroup: %s",
				   (int)c->pid, strerror(-r));
		else
			answer_when_ready(m, c);
	} else if (strcmp(req, "wait") == 0 && (root || owner)) {
		answer_when_ready(m, c);
	} else if (strcmp(req, "stop") == 0 && root) {
		stop_begin(m, "stop requested");
		proto_send(c->fd, "ok stopping=1 monitor=%d", (int)getpid());
	} else {
		proto_send(c->fd, "err request refused");
	}
}

/* Kernels before 6.5 have no SO_PEERPIDFD: open a pidfd for the peer's pid
 * and accept it only if that process still has the peer's uid. */
static int peer_pidfd_fallback(const struct ucred *cred)
{
	int pidfd = (int)syscall(SYS_pidfd_open, cred->pid, 0);
	if (pidfd < 0)
		return -1;
	char path[32], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)cred->pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	unsigned uid = (unsigned)-1;
	if (n > 0) {
		buf[n] = '\0';
		const char *u = strstr(buf, "\nUid:");
		if (u)
			sscanf(u + 5, "%u", &uid);
	}
	if (uid != cred->uid) {
		close(pidfd);
		return -1;
	}
	return pidfd;
}

static size_t clients_of_uid(const struct monitor *m, uid_t uid)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n_clients; i++)
		n += m->clients[i].uid == uid;
	return n;
}

/* One pending connection. Only root and the container's user have any
 * business here (lib/proto.h): anyone else is closed before it holds a
 * slot, and each of the two has slots of its own, so that neither a
 * stranger nor the user's own flood can keep root's logins and stop out.
 * Returns false when the backlog is empty. */
static bool client_accept_one(struct monitor *m)
{
	int fd = accept4(m->args.listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return errno == EINTR || errno == ECONNABORTED;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != 0 && cred.uid != m->args.uid)) {
		close(fd);
		return true;
	}
	if (clients_of_uid(m, cred.uid) >= MONITOR_CLIENTS_PER_UID) {
		proto_send(fd, "err too many connections to the monitor of %s", m->args.user);
		close(fd);
		return true;
	}
	/* Pin the peer: "attach" moves it by pid, and a pid alone could be
	 * recycled by another process between connect and the move. */
	int pidfd = -1;
	socklen_t plen = sizeof(pidfd);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &plen) < 0)
		pidfd = peer_pidfd_fallback(&cred);
	m->clients[m->n_clients++] =
	    (struct client){ .fd = fd,
			     .uid = cred.uid,
			     .pid = cred.pid,
			     .pidfd = pidfd,
			     .idle_deadline_ms = now_ms() + MONITOR_IDLE_SEC * 1000LL };
	return true;
}

void clients_accept(struct monitor *m)
{
	for (unsigned i = 0; i < ACCEPT_BURST && client_accept_one(m); i++)
		;
}

static void client_close(struct monitor *m, size_t i)
{
	struct client *c = &m->clients[i];
	close(c->fd);
	if (c->pidfd >= 0)
		close(c->pidfd);
	m->clients[i] = m->clients[--m->n_clients];
}

long long clients_expire(struct monitor *m)
{
	long long now = now_ms(), next = 0;
	for (size_t i = m->n_clients; i-- > 0;) {
		long long d = m->clients[i].idle_deadline_ms;
		if (d && d <= now)
			client_close(m, i);
		else if (d && (!next || d < next))
			next = d;
	}
	return next;
}

void client_read(struct monitor *m, size_t i)
{
	struct client *c = &m->clients[i];
	char req[PROTO_MSG_MAX];
	ssize_t n = recv(c->fd, req, sizeof(req) - 1, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(m, i);
		return;
	}
	req[n] = '\0';
	handle_request(m, c, req);
	if (!c->waiting)
		c->idle_deadline_ms = now_ms() + MONITOR_IDLE_SEC * 1000LL;
}
