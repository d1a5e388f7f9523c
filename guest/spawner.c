/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86ns-spawner: forks the user's sessions inside the guest.
 *
 * Runs in: the guest, as guest root, a child of the guest's PID 1. The
 * container child forks it just before it execs the guest's init, after
 * the Landlock scope and the system call filter are in place, so it and
 * every session it forks are in the guest's one Landlock domain: sessions
 * can signal each other and the guest's services and reach the guest's
 * abstract sockets, and neither the host's processes nor the host's
 * abstract sockets. x86ns-shell and x86nsctl exec, which enter the guest
 * from outside that domain, ask it for their session.
 *
 * Static (it runs in guests of any architecture and C library), single
 * threaded, one poll loop. fd 3 is the listening socket (lib/spawn-proto.h).
 * A session gets exactly the peer's uid and gid (SO_PEERCRED): the spawner
 * gives no one more than they connect with, so a guest process that finds
 * the socket gains nothing by it. SIGTERM ends the spawner, not the
 * sessions: stopping the guest ends them. */
#include "cgroup.h"
#include "fd-pass.h"
#include "spawn-proto.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CONNECTIONS_MAX 512
#define CGROUP2_MAGIC   0x63677270 /* linux/magic.h; musl has no kernel headers */
#define ARGS_MAX        4096

struct connection {
	int fd;    /* -1: the peer left; its session is still reaped */
	pid_t pid; /* 0 until the session runs */
	struct ucred peer;
};

static struct connection conns[CONNECTIONS_MAX];
static size_t n_conns;

static void reply(int fd, int pass_fd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void reply(int fd, int pass_fd, const char *fmt, ...)
{
	char text[SPAWN_REPLY_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(text) || fd < 0)
		return;
	(void)fd_send(fd, text, (size_t)n, &pass_fd, pass_fd >= 0 ? 1 : 0, MSG_DONTWAIT);
}

/* A parsed request; the strings point into the message buffer. */
struct request {
	bool tty;
	const char *cwd, *path;
	char *argv[ARGS_MAX + 1];
	char *envp[ARGS_MAX + 1];
	int fds[3];
};

/* Split `n` bytes of NUL-terminated strings into a NULL-terminated vector
 * that an empty string (or the end) closes; returns the bytes used. */
static size_t take_vector(char *p, size_t n, char **vec)
{
	size_t used = 0, k = 0;
	while (used < n && p[used] && k < ARGS_MAX) {
		vec[k++] = p + used;
		used += strlen(p + used) + 1;
	}
	vec[k] = NULL;
	return used < n ? used + 1 : used;
}

static int request_parse(char *buf, size_t n, struct request *r)
{
	if (n == 0 || buf[n - 1] != '\0')
		return -EBADMSG;
	const char *field[4];
	size_t off = 0;
	for (int i = 0; i < 4; i++) {
		if (off >= n)
			return -EBADMSG;
		field[i] = buf + off;
		off += strlen(buf + off) + 1;
	}
	if (strcmp(field[0], SPAWN_MAGIC) != 0 || field[3][0] != '/')
		return -EPROTO;
	r->tty = strcmp(field[1], "tty") == 0;
	r->cwd = field[2];
	r->path = field[3];
	off += take_vector(buf + off, n - off, r->argv);
	take_vector(buf + off, n > off ? n - off : 0, r->envp);
	return r->argv[0] ? 0 : -EBADMSG;
}

/* What the session child was given, and what it reports back. */
struct session_start {
	const struct request *r;
	const struct ucred *peer;
	const char *failed_step; /* set by the child when it cannot exec */
	int failed_errno;
};

/* Runs in: the session child, between clone and exec, on a stack of its own
 * but in the spawner's memory (CLONE_VM | CLONE_VFORK: the spawner sleeps
 * until the exec or the exit). So it only makes system calls (the id
 * changes bypass libc's all-threads machinery, needless in a single thread)
 * and writes nothing but its failure. Once it holds the peer's ids the peer
 * cannot trace it and reach our memory: the id change makes that memory
 * non-dumpable, and tracing it then takes CAP_SYS_PTRACE in the guest's
 * user namespace, which only those hold who own the spawner anyway (guest
 * root, and the user who owns the container). */
static int session_child(void *arg)
{
	struct session_start *s = arg;
	const struct request *r = s->r;
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL); /* ignored here; an exec keeps that */
	const char *step = "setsid";
	if (setsid() < 0)
		goto fail;
	/* The first of the session's fds that is a terminal (the guest pty's
	 * slave: stdin may be a pipe while stdout is the terminal). */
	step = "terminal";
	for (int i = 0; r->tty && ioctl(r->fds[i], TIOCSCTTY, 0) < 0; i++)
		if (errno != ENOTTY || i == 2)
			goto fail;
	step = "descriptors";
	for (int i = 0; i < 3; i++)
		if (dup2(r->fds[i], i) < 0)
			goto fail;
	step = "ids";
	gid_t gid = s->peer->gid;
	if (s->peer->uid == 0 ? syscall(SYS_setgroups, 0, NULL) < 0
			      : syscall(SYS_setgroups, 1, &gid) < 0)
		goto fail;
	if (syscall(SYS_setresgid, gid, gid, gid) < 0 ||
	    syscall(SYS_setresuid, s->peer->uid, s->peer->uid, s->peer->uid) < 0)
		goto fail;
	if (chdir(r->cwd) < 0 && chdir("/") < 0)
		goto fail;
	step = "exec";
	execve(r->path, r->argv, r->envp);
fail:
	s->failed_errno = errno;
	s->failed_step = step;
	_exit(127);
}

/* Fork the session; reply with its pidfd, or why it could not start. No
 * copy of the spawner's memory and no pipe: the kernel wakes us at the
 * child's exec (or exit), and a failure is in `start`. */
static void spawn(struct connection *c, struct request *r)
{
	static char child_stack[32 * 1024] __attribute__((aligned(16)));
	struct session_start start = { .r = r, .peer = &c->peer };
	pid_t pid = clone(session_child, child_stack + sizeof(child_stack),
			  CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
	if (pid < 0) {
		reply(c->fd, -1, "err errno=%d step=fork", errno);
		return;
	}
	if (start.failed_step) {
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		reply(c->fd, -1, "err errno=%d step=%s", start.failed_errno, start.failed_step);
		return;
	}
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	c->pid = pid;
	reply(c->fd, pidfd, "ok pid=%d", (int)pid);
	if (pidfd >= 0)
		close(pidfd);
}

static void connection_drop(size_t i)
{
	if (conns[i].fd >= 0)
		close(conns[i].fd);
	conns[i] = conns[--n_conns];
}

/* A request arrives: read it with its fds, start the session. */
static void connection_request(size_t i)
{
	struct connection *c = &conns[i];
	static char buf[SPAWN_REQUEST_MAX];
	static struct request r;
	int fds[3];
	size_t nfds;
	ssize_t n = fd_recv(c->fd, buf, sizeof(buf), fds, 3, &nfds, MSG_DONTWAIT);
	if (n == -EAGAIN)
		return;
	int err = n == -EMSGSIZE ? EMSGSIZE
		  : n <= 0       ? ECONNRESET
		  : nfds != 3    ? EMSGSIZE
				 : -request_parse(buf, (size_t)n, &r);
	if (err == 0) {
		memcpy(r.fds, fds, sizeof(fds));
		spawn(c, &r);
	} else {
		reply(c->fd, -1, "err errno=%d step=request", err);
	}
	fd_close_all(fds, nfds);
	if (c->pid == 0)
		connection_drop(i);
}

static void sessions_reap(void)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (size_t i = 0; i < n_conns; i++) {
			if (conns[i].pid != pid)
				continue;
			reply(conns[i].fd, -1, "exit status=%d", status);
			connection_drop(i);
			break;
		}
}

static void connection_accept(int listen_fd)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	struct ucred peer;
	socklen_t len = sizeof(peer);
	if (n_conns == CONNECTIONS_MAX ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0) {
		reply(fd, -1, "err errno=%d step=accept",
		      n_conns == CONNECTIONS_MAX ? EAGAIN : errno);
		close(fd);
		return;
	}
	conns[n_conns++] = (struct connection){ .fd = fd, .peer = peer };
	/* The peer sends its request right after connecting: it is usually
	 * here already (if not, poll reports it). */
	connection_request(n_conns - 1);
}

/* On a pure cgroup v2 host the guest sees its container's group, delegated
 * to guest root, at /sys/fs/cgroup. A guest systemd enables controllers
 * for its children there, which the kernel refuses while a process sits in
 * the group itself ("no internal processes"): move to the leaf that the
 * monitor also uses for sessions (CGROUP_SESSION_LEAF), so
 * that the sessions forked here are there too. Best effort: a failure only
 * means the guest's systemd cannot delegate controllers. */
static void cgroup_leave_root(void)
{
	struct statfs fs;
	if (statfs("/sys/fs/cgroup", &fs) < 0 || fs.f_type != CGROUP2_MAGIC)
		return; /* cgroup v1 or hybrid: nothing to leave */
	if (mkdir("/sys/fs/cgroup/" CGROUP_SESSION_LEAF, 0755) < 0 && errno != EEXIST)
		goto fail;
	int fd = open("/sys/fs/cgroup/" CGROUP_SESSION_LEAF "/cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	ssize_t n = write(fd, "0", 1);
	close(fd);
	if (n == 1)
		return;
fail:
	fprintf(stderr, "x86ns-spawner: cannot move to the cgroup leaf %s: %s\r\n",
		CGROUP_SESSION_LEAF, strerror(errno));
}

int main(void)
{
	int listen_fd = SPAWN_LISTEN_FD;
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	int signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (signal_fd < 0 || fcntl(listen_fd, F_SETFD, FD_CLOEXEC) < 0) {
		fprintf(stderr, "x86ns-spawner: cannot start: %s\r\n", strerror(errno));
		return 1;
	}
	setsid();
	cgroup_leave_root();
	static struct pollfd pfd[CONNECTIONS_MAX + 2];
	for (;;) {
		pfd[0] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = signal_fd, .events = POLLIN };
		for (size_t i = 0; i < n_conns; i++)
			pfd[i + 2] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
		if (poll(pfd, n_conns + 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (pfd[1].revents) {
			struct signalfd_siginfo si;
			while (read(signal_fd, &si, sizeof(si)) > 0)
				;
			sessions_reap();
			continue; /* the connection table may have changed */
		}
		/* Backwards: a dropped connection is replaced by the last one. */
		for (size_t i = n_conns; i-- > 0;) {
			if (!pfd[i + 2].revents || conns[i].fd != pfd[i + 2].fd)
				continue;
			if (conns[i].pid == 0) {
				connection_request(i);
			} else {
				/* The peer left; keep reaping its session. */
				close(conns[i].fd);
				conns[i].fd = -1;
			}
		}
		if (pfd[0].revents)
			connection_accept(listen_fd);
	}
}
