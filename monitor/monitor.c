/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86ns-monitor: the resident supervisor of one user's container.
 *
 * Runs in: host root, host namespaces, cgroup x86ns/monitors (on systemd
 * hosts: its own scope x86ns.slice/x86ns-UID-monitor.scope); exec'd by the
 * launcher as the parent of the container's init. It
 *  - reaps the init (through its pidfd) and, when it dies for any reason,
 *    kills what is left in the container's cgroup and removes the cgroup,
 *    the socket and the runtime directory, so nothing is left behind;
 *  - counts login sessions by the pidfd of the process that holds each
 *    (the PAM application), so a session whose process vanished without
 *    close_session is not counted forever;
 *  - applies the stop policy when the last session ends: stop signal to
 *    init, a grace period, then the cgroup is killed;
 *  - copies the guest console into /var/log/x86ns/<user>.log;
 *  - answers the control protocol described in lib/proto.h (clients.c).
 * It is single-threaded and event-driven (poll), and links only libc and
 * libaudit, to stay small: it lives as long as the container. */

#include "audit-record.h"
#include "monitor.h"
#include "util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>

#define FIXED_SLOTS  7 /* init pidfd, listen socket, console, signalfd, notify, spawner, network */
#define LOG_SIZE_MAX (8u << 20)

long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The guest's end in the audit log (lib/audit-record.h). */
static void audit_destroy(const struct monitor *m)
{
	char vm_pid[16];
	snprintf(vm_pid, sizeof(vm_pid), "%d", (int)m->args.init_pid);
	audit_record_send(&(struct audit_record){ .op = "destroy",
						  .vm = m->args.guest,
						  .vm_pid = vm_pid,
						  .user = m->args.user,
						  .uid = m->args.uid,
						  .translator = m->args.translator },
			  NULL, NULL, true);
}

/* Keep the last CONSOLE_TAIL bytes of the console for a not-ready message. */
static void console_tail_add(struct monitor *m, const char *buf, size_t n)
{
	if (n >= CONSOLE_TAIL) {
		buf += n - CONSOLE_TAIL;
		n = CONSOLE_TAIL;
	}
	size_t keep =
	    m->console_tail_len + n > CONSOLE_TAIL ? CONSOLE_TAIL - n : m->console_tail_len;
	memmove(m->console_tail, m->console_tail + m->console_tail_len - keep, keep);
	memcpy(m->console_tail + keep, buf, n);
	m->console_tail_len = keep + n;
}

/* The last `lines` console lines as one line, " | " between them, without
 * terminal control: escape sequences dropped, a carriage return starts the
 * line over (a status spinner rewrites one line many times). */
static void console_tail_lines(const struct monitor *m, unsigned lines, char *out, size_t len)
{
	const char *start = m->console_tail, *end = m->console_tail + m->console_tail_len;
	while (end > start && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	const char *p = end;
	for (unsigned found = 0; p > start; p--)
		if (p[-1] == '\n' && ++found == lines)
			break;
	size_t o = 0, line_start = 0;
	for (; p < end && o + 4 < len; p++) {
		if (*p == '\033') { /* CSI: ESC [ parameters final-byte */
			if (p + 1 < end && p[1] == '[')
				for (p += 2; p < end && !(*p >= 0x40 && *p <= 0x7e); p++)
					;
			continue;
		}
		if (*p == '\r') {
			o = line_start;
		} else if (*p == '\n') {
			memcpy(out + o, " | ", 3);
			o += 3;
			line_start = o;
		} else if ((unsigned char)*p >= ' ' && *p != 0x7f) {
			/* not a byte above ASCII either: 0x9b is CSI to some terminals */
			out[o++] = (unsigned char)*p < 0x7f ? *p : '?';
		}
	}
	out[o] = '\0';
}

static void console_copy(struct monitor *m)
{
	char buf[4096];
	ssize_t n = read(m->args.console_fd, buf, sizeof(buf));
	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			close(m->args.console_fd);
			m->args.console_fd = -1;
		}
		return;
	}
	/* A chatty guest must not fill the host's disk. */
	struct stat st;
	if (fstat(m->args.log_fd, &st) == 0 && st.st_size > LOG_SIZE_MAX) {
		if (ftruncate(m->args.log_fd, 0) == 0)
			dprintf(m->args.log_fd, "x86ns: log truncated at %u bytes\n", LOG_SIZE_MAX);
	}
	(void)write_all(m->args.log_fd, buf, (size_t)n);
	console_tail_add(m, buf, (size_t)n);
}

int ready_message(const struct monitor *m, char *buf, size_t len)
{
	return xsnprintf(
	    buf, len, "ok pid=%d userns=%llu guest=%s monitor=%d ready=%d personality=%lu relax=%u",
	    (int)m->args.init_pid, m->args.userns_ino, m->args.guest, (int)getpid(),
	    m->ready && !m->ready_late, m->args.personality, m->args.relax);
}

/* The ready file (lib/proto.h): written whole under another name and
 * renamed, so a reader sees all of it or nothing. /run/x86ns/<uid> is
 * root's alone. Best effort: without it joins ask the monitor. */
static void ready_file_write(const struct monitor *m)
{
	char path[108], tmp[112], msg[PROTO_MSG_MAX];
	if (runtime_ready_path(m->args.uid, path, sizeof(path)) < 0 ||
	    xsnprintf(tmp, sizeof(tmp), "%s" READY_FILE_TMP_SUFFIX, path) < 0 ||
	    ready_message(m, msg, sizeof(msg)) < 0)
		return;
	_cleanup_close_ int fd =
	    open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	size_t n = strlen(msg);
	if (fchmod(fd, 0644) < 0 || write(fd, msg, n) != (ssize_t)n || rename(tmp, path) < 0)
		unlink(tmp);
}

void stop_begin(struct monitor *m, const char *why)
{
	if (m->state == STOPPING)
		return;
	dprintf(m->args.log_fd, "x86ns: stopping guest (%s)\n", why);
	m->state = STOPPING;
	runtime_ready_remove(m->args.uid); /* first: no join may find a stopping guest */
	m->ready_deadline_ms = 0;
	waiting_clients_answer(m, "the guest is stopping");
	syscall(SYS_pidfd_send_signal, m->args.init_pidfd, m->args.stop_signal, NULL, 0);
	m->deadline_ms = now_ms() + (long long)m->args.stop_timeout_sec * 1000;
}

void sessions_changed(struct monitor *m)
{
	if (m->n_sessions > 0) {
		if (m->state == LINGERING) {
			m->state = RUNNING;
			m->deadline_ms = 0;
		}
		return;
	}
	if (!m->had_session || m->state != RUNNING)
		return;
	if (strcmp(m->args.stop_policy, "never") == 0)
		return;
	if (strcmp(m->args.stop_policy, "linger") == 0 && m->args.linger_sec > 0) {
		m->state = LINGERING;
		m->deadline_ms = now_ms() + (long long)m->args.linger_sec * 1000;
		return;
	}
	stop_begin(m, "last session ended");
}

void session_remove(struct monitor *m, size_t i)
{
	close(m->sessions[i].pidfd);
	m->sessions[i] = m->sessions[--m->n_sessions];
}

/* Takes pidfd. */
static int session_add_pidfd(struct monitor *m, pid_t pid, int pidfd)
{
	if (m->n_sessions == MAX_SESSIONS) {
		close(pidfd);
		return -EUSERS;
	}
	m->sessions[m->n_sessions++] = (struct session){ .pid = pid, .pidfd = pidfd };
	m->had_session = true;
	sessions_changed(m);
	return 0;
}

int session_add(struct monitor *m, pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	return fd < 0 ? negerrno() : session_add_pidfd(m, pid, fd);
}

static void ready_reached(struct monitor *m)
{
	if (m->ready)
		return;
	m->ready = true;
	m->ready_deadline_ms = 0;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	long long ms =
	    (ts.tv_sec - m->started.tv_sec) * 1000LL + (ts.tv_nsec - m->started.tv_nsec) / 1000000;
	dprintf(m->args.log_fd, "x86ns: guest ready after %lld.%03lld s\n", ms / 1000, ms % 1000);
	ready_file_write(m);
	waiting_clients_answer(m, NULL);
}

/* One sd_notify datagram. Only PID 1 of the guest speaks for it: the
 * kernel gives the sender's pid as seen from here, which for the guest's
 * PID 1 is init_pid. */
static void notify_read(struct monitor *m)
{
	char buf[4096];
	char control[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = control,
			      .msg_controllen = sizeof(control) };
	ssize_t n = recvmsg(m->args.notify_fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return;
	buf[n] = '\0';
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_CREDENTIALS)
		return;
	struct ucred cred;
	memcpy(&cred, CMSG_DATA(c), sizeof(cred));
	if (cred.pid != m->args.init_pid)
		return;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (strcmp(line, "READY=1") == 0) {
			ready_reached(m);
		} else if (strncmp(line, "STATUS=", 7) == 0) {
			text_escape(line + 7, m->boot_status, sizeof(m->boot_status));
			waiting_clients_progress(m);
		}
	}
}

/* ready-timeout passed without READY=1: deny (stop the guest, tell the
 * waiting logins why, quoting its console) or let them in with a warning. */
static void ready_timeout(struct monitor *m)
{
	m->ready_deadline_ms = 0;
	char tail[600], why[900];
	console_tail_lines(m, 3, tail, sizeof(tail));
	snprintf(why, sizeof(why),
		 "guest '%s' did not become ready within %u s; its console ended: %s",
		 m->args.guest, m->args.ready_timeout_sec, tail[0] ? tail : "(nothing)");
	dprintf(m->args.log_fd, "x86ns: %s\n", why);
	if (m->args.ready_timeout_warns) {
		m->ready = m->ready_late = true;
		ready_file_write(m);
		waiting_clients_answer(m, NULL);
		return;
	}
	waiting_clients_answer(m, why);
	stop_begin(m, "not ready in time");
}

/* The user-mode network stack ended: reap it. While the guest runs that
 * is a failure (the guest has lost its network), which the log says. */
static void user_net_ended(struct monitor *m, bool killed)
{
	if (m->args.net_pidfd < 0)
		return;
	if (killed)
		syscall(SYS_pidfd_send_signal, m->args.net_pidfd, SIGKILL, NULL, 0);
	siginfo_t si = { 0 };
	while (waitid(P_PIDFD, (id_t)m->args.net_pidfd, &si, WEXITED) < 0 && errno == EINTR)
		;
	if (!killed) {
		dprintf(m->args.log_fd,
			"x86ns: the user-mode network stack (pasta, pid %d) ended (%s %d): the "
			"guest has no network until it is started again\n",
			(int)m->args.net_pid, si.si_code == CLD_EXITED ? "status" : "signal",
			si.si_status);
		syslog(LOG_WARNING, "x86ns: pasta of guest %s of %s ended: no network",
		       m->args.guest, m->args.user);
	}
	close(m->args.net_pidfd);
	m->args.net_pidfd = -1;
}

/* The init is gone: remove every trace of the container and exit. */
static void container_cleanup(struct monitor *m) __attribute__((noreturn));
static void container_cleanup(struct monitor *m)
{
	siginfo_t si = { 0 };
	waitid(P_PIDFD, (id_t)m->args.init_pidfd, &si, WEXITED);
	dprintf(m->args.log_fd, "x86ns: guest init exited (%s %d)\n",
		si.si_code == CLD_EXITED ? "status" : "signal", si.si_status);
	/* With systemd units, the emptied scopes stop and systemd removes
	 * their groups, the guest's subtree included (cgroup_destroy does
	 * nothing there); the monitor's own scope goes with our exit. */
	cgroup_kill(m->args.cgroup);
	user_net_ended(m, true);
	int r = cgroup_destroy(m->args.cgroup);
	if (r < 0)
		syslog(LOG_ERR, "x86ns: cannot remove cgroup x86ns/%s: %s", m->args.cgroup,
		       strerror(-r));
	char path[108];
	runtime_ready_remove(m->args.uid);
	if (runtime_socket_path(m->args.uid, path, sizeof(path)) >= 0)
		unlink(path);
	runtime_notify_remove(m->args.uid);
	if (runtime_dir(m->args.uid, path, sizeof(path)) >= 0)
		rmdir(path);
	audit_destroy(m);
	syslog(LOG_INFO, "x86ns: guest %s of %s stopped", m->args.guest, m->args.user);
	_exit(EXIT_SUCCESS);
}

/* Killed monitors would orphan the guest: a termination signal stops the
 * container in order instead, and the monitor exits after the cleanup. */
static void signal_received(struct monitor *m)
{
	struct signalfd_siginfo si;
	if (read(m->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		stop_begin(m, "the monitor was asked to terminate");
}

/* Guest root ended x86ns-spawner (kill -9 -1 does): no login can enter
 * the guest any more, since a session started from outside its Landlock
 * domain would undo the scope. Fail closed and clear: stop the guest, so
 * that the next login starts it again (as after a poweroff in it). */
static void spawner_ended(struct monitor *m)
{
	close(m->args.spawner_pidfd);
	m->args.spawner_pidfd = -1;
	if (m->state == STOPPING)
		return;
	syslog(LOG_WARNING, "x86ns: x86ns-spawner of %s's guest %s ended: stopping the guest",
	       m->args.user, m->args.guest);
	stop_begin(m, "its x86ns-spawner ended; the next login starts it again");
}

static int signals_setup(struct monitor *m)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return negerrno();
	m->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return m->signal_fd < 0 ? negerrno() : 0;
}

static void deadline_passed(struct monitor *m)
{
	long long now = now_ms();
	if (m->ready_deadline_ms && m->ready_deadline_ms <= now)
		ready_timeout(m);
	if (!m->deadline_ms || m->deadline_ms > now)
		return;
	m->deadline_ms = 0;
	if (m->state == LINGERING)
		stop_begin(m, "linger time over");
	else if (m->state == STOPPING)
		cgroup_kill(m->args.cgroup); /* grace period over; init's exit follows */
}

static void run(struct monitor *m)
{
	for (;;) {
		long long idle = clients_expire(m); /* first: it drops clients */
		struct pollfd p[FIXED_SLOTS + MAX_SESSIONS + MAX_CLIENTS];
		size_t n = 0, n_sess = m->n_sessions, n_cli = m->n_clients;
		p[n++] = (struct pollfd){ .fd = m->args.init_pidfd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = m->args.listen_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = m->args.console_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = m->signal_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = m->args.notify_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = m->args.spawner_pidfd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = m->args.net_pidfd, .events = POLLIN };
		for (size_t i = 0; i < m->n_sessions; i++)
			p[n++] = (struct pollfd){ .fd = m->sessions[i].pidfd, .events = POLLIN };
		for (size_t i = 0; i < m->n_clients; i++)
			p[n++] = (struct pollfd){ .fd = m->clients[i].fd, .events = POLLIN };
		int timeout = -1;
		long long next = m->deadline_ms;
		if (m->ready_deadline_ms && (!next || m->ready_deadline_ms < next))
			next = m->ready_deadline_ms;
		if (idle && (!next || idle < next))
			next = idle;
		if (next) {
			long long left = next - now_ms();
			timeout = left < 0 ? 0 : (int)left;
		}
		int r = poll(p, n, timeout);
		if (r < 0 && errno != EINTR)
			_exit(EXIT_FAILURE);
		if (r <= 0) {
			if (r == 0)
				deadline_passed(m);
			continue;
		}
		if (p[0].revents)
			container_cleanup(m);
		if (p[2].revents)
			console_copy(m);
		if (p[3].revents)
			signal_received(m);
		if (p[4].revents)
			notify_read(m);
		if (p[5].revents)
			spawner_ended(m);
		if (p[6].revents)
			user_net_ended(m, false);
		/* Walk the slots as they were polled: sessions first, then
		 * clients, each backwards, since removing entry i moves the last
		 * one into its place and a request may append a session. */
		size_t cli_base = FIXED_SLOTS + n_sess;
		bool changed = false;
		for (size_t i = n_sess; i-- > 0;)
			if (p[FIXED_SLOTS + i].revents) {
				session_remove(m, i);
				changed = true;
			}
		if (changed)
			sessions_changed(m);
		for (size_t i = n_cli; i-- > 0;)
			if (p[cli_base + i].revents)
				client_read(m, i);
		if (p[1].revents)
			clients_accept(m);
	}
}

/* Before the event loop, errors go to the user's log when its fd is known:
 * the monitor's stderr is /dev/null (it is detached from the PAM caller).
 * A guest already running is not left without its monitor: it is killed
 * and every trace removed, as when it ends. */
static int startup_failed(struct monitor *m, const char *what)
{
	int fd = m->args.log_fd >= 0 ? m->args.log_fd : STDERR_FILENO;
	dprintf(fd, "x86ns-monitor: %s\n", what);
	if (m->args.init_pidfd >= 0 && m->args.cgroup[0] && m->args.log_fd >= 0) {
		syscall(SYS_pidfd_send_signal, m->args.init_pidfd, SIGKILL, NULL, 0);
		container_cleanup(m);
	}
	return EXIT_FAILURE;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "x86ns-monitor: is started by x86ns-launch only\n");
		return EXIT_FAILURE;
	}
	struct monitor m = { .signal_fd = -1 };
	struct error e = { 0 };
	int r = monitor_args_parse(argc, argv, &m.args, &e);
	/* Set before a start-up failure: it must kill the right group. */
	if (m.args.cgroup_slice[0])
		cgroup_use_systemd_slice(m.args.cgroup_slice);
	if (r < 0) {
		char what[sizeof(e.message) + 64];
		snprintf(what, sizeof(what), "bad argument from the launcher: %s", e.message);
		return startup_failed(&m, what);
	}
	/* Non-blocking, so that a burst of accepts ends at an empty backlog. */
	fcntl(m.args.listen_fd, F_SETFL, fcntl(m.args.listen_fd, F_GETFL) | O_NONBLOCK);
	int keep[] = { m.args.listen_fd,     m.args.init_pidfd,    m.args.console_fd,
		       m.args.log_fd,        m.args.notify_fd,     m.args.console_hold_fd,
		       m.args.session_pidfd, m.args.spawner_pidfd, m.args.net_pidfd };
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
		if (keep[i] >= 0)
			fcntl(keep[i], F_SETFD, FD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);
	if (signals_setup(&m) < 0) {
		return startup_failed(&m, "cannot set up signal handling");
	}
	openlog("x86ns-monitor", LOG_PID, LOG_AUTHPRIV);
	if (cgroup_attach_handle_open(m.args.cgroup, &m.attach) < 0) {
		return startup_failed(&m, "cannot open the container's cgroup");
	}
	clock_gettime(CLOCK_MONOTONIC, &m.started);
	/* Without a notify socket the guest is ready once its init runs. */
	m.ready = m.args.notify_fd < 0;
	if (m.ready) {
		ready_file_write(&m); /* replaces a stale one, if a killed monitor left it */
	} else {
		runtime_ready_remove(m.args.uid);
		m.ready_deadline_ms = now_ms() + (long long)m.args.ready_timeout_sec * 1000;
	}
	dprintf(m.args.log_fd, "x86ns: guest %s started for %s, init pid %d\n", m.args.guest,
		m.args.user, (int)m.args.init_pid);
	/* The launcher answered the login that started the guest itself and
	 * handed its session over, pinned by a pidfd. */
	if (m.args.session_pidfd >= 0 &&
	    session_add_pidfd(&m, m.args.session_pid, m.args.session_pidfd) < 0)
		return startup_failed(&m, "cannot track the first session");
	run(&m);
}
