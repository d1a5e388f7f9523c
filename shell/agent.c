/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "agent.h"

#include "seccomp.h"
#include "fd-pass.h"
#include "safe-open.h"
#include "util.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#define AGENT_SOCKET_NAME "agent.sock"
#define AGENT_DIR_PREFIX  "x86ns-agent-"
#define LINKS_MAX         32   /* concurrent agent connections of one session */
#define LINK_BUFFER       8192 /* per direction: agent messages are small */
#define DIR_NAME_MAX      64

/* One direction of a connection: bytes read from one side, not yet written
 * to the other. */
struct half {
	char buf[LINK_BUFFER];
	size_t len;
	bool eof;  /* the reading side said EOF (or failed) */
	bool shut; /* and that EOF was passed on with shutdown(SHUT_WR) */
};

struct link {
	int guest, agent; /* -1: free slot */
	struct half to_agent, to_guest;
};

/* What the shell hands to the relay: the listening socket, the session's
 * directory and that directory's parent in the guest. */
struct relay_state {
	int control, listener, sock_dir, parent, signals;
	char dir_name[DIR_NAME_MAX];
	const char *agent_name; /* sshd's socket, relative to the relay's cwd */
	struct link links[LINKS_MAX];
};

/* ---- host side: the agent's socket -------------------------------------- */

/* The directory of sshd's agent socket, when the socket and its directory
 * belong to uid and the path has no symbolic link. */
static int agent_dir_open(const char *path, uid_t uid, const char **ret_name)
{
	const char *slash = strrchr(path, '/');
	if (path[0] != '/' || !slash || !slash[1] ||
	    strlen(slash + 1) >= sizeof(((struct sockaddr_un){ 0 }).sun_path))
		return -EINVAL;
	char dir[4096];
	if (xsnprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path) < 0)
		return -ENAMETOOLONG;
	_cleanup_close_ int fd = open_resolve(AT_FDCWD, dir[0] ? dir : "/", O_PATH | O_DIRECTORY, 0,
					      RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return negerrno();
	if (st.st_uid != uid || (st.st_mode & 022))
		return -EPERM;
	if (fstatat(fd, slash + 1, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return negerrno();
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	if (st.st_uid != uid)
		return -EPERM;
	*ret_name = slash + 1;
	return TAKE_FD(fd);
}

/* ---- the relay ------------------------------------------------------------ */

static void link_close(struct link *l)
{
	closep(&l->guest);
	closep(&l->agent);
	*l = (struct link){ .guest = -1, .agent = -1 };
}

/* A blocking connect to sshd's socket (in the relay's cwd, the socket's
 * directory): the listener is sshd, which accepts at once. */
static int agent_connect(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	memcpy(sa.sun_path, name, strlen(name));
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return negerrno();
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return negerrno();
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		return negerrno();
	return TAKE_FD(fd);
}

static void relay_accept(struct relay_state *s)
{
	_cleanup_close_ int guest = accept4(s->listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (guest < 0)
		return;
	for (size_t i = 0; i < LINKS_MAX; i++) {
		struct link *l = &s->links[i];
		if (l->guest >= 0)
			continue;
		int agent = agent_connect(s->agent_name);
		if (agent < 0)
			return; /* the guest's client sees its connection closed */
		*l = (struct link){ .guest = TAKE_FD(guest), .agent = agent };
		return;
	}
}

/* Move what `from` has to `to` through h. false: the link is broken. */
static bool half_pump(struct half *h, int from, short from_ev, int to, short to_ev)
{
	if (!h->eof && h->len < sizeof(h->buf) && (from_ev & (POLLIN | POLLHUP | POLLERR))) {
		ssize_t n = read(from, h->buf + h->len, sizeof(h->buf) - h->len);
		if (n > 0)
			h->len += (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			h->eof = true;
	}
	if (h->len > 0 && (to_ev & (POLLOUT | POLLHUP | POLLERR))) {
		ssize_t n = send(to, h->buf, h->len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return false;
		if (n > 0) {
			memmove(h->buf, h->buf + n, h->len - (size_t)n);
			h->len -= (size_t)n;
		}
	}
	if (h->eof && h->len == 0 && !h->shut) {
		shutdown(to, SHUT_WR);
		h->shut = true;
	}
	return true;
}

static short half_events_in(const struct half *h)
{
	return !h->eof && h->len < sizeof(h->buf) ? POLLIN : 0;
}

static short half_events_out(const struct half *h)
{
	return h->len > 0 ? POLLOUT : 0;
}

/* Remove the session's socket and directory through the descriptors the
 * shell gave us. The directory's entry is removed only if it is still the
 * directory we hold (the guest may have renamed things meanwhile). */
static void relay_cleanup(struct relay_state *s)
{
	for (size_t i = 0; i < LINKS_MAX; i++)
		if (s->links[i].guest >= 0)
			link_close(&s->links[i]);
	closep(&s->listener);
	if (s->sock_dir < 0)
		return;
	unlinkat(s->sock_dir, AGENT_SOCKET_NAME, 0);
	struct stat held, named;
	if (fstat(s->sock_dir, &held) == 0 &&
	    fstatat(s->parent, s->dir_name, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
	    held.st_dev == named.st_dev && held.st_ino == named.st_ino)
		unlinkat(s->parent, s->dir_name, AT_REMOVEDIR);
}

/* The shell's one message: the directory's name, with the listener, the
 * directory and its parent. */
static int relay_receive(struct relay_state *s)
{
	int fds[3];
	size_t n_fds;
	ssize_t n = fd_recv(s->control, s->dir_name, sizeof(s->dir_name) - 1, fds, 3, &n_fds, 0);
	if (n <= 0 || n_fds != 3)
		fd_close_all(fds, n_fds);
	if (n <= 0)
		return n < 0 ? (int)n : -ECONNRESET;
	s->dir_name[n] = '\0';
	if (n_fds != 3)
		return -EBADMSG;
	s->listener = fds[0];
	s->sock_dir = fds[1];
	s->parent = fds[2];
	return strchr(s->dir_name, '/') ? -EBADMSG : 0;
}

/* Runs in: the relay, host namespaces, the user, under the shell's filter. */
static void relay_loop(struct relay_state *s)
{
	struct pollfd p[3 + 2 * LINKS_MAX];
	for (;;) {
		p[0] = (struct pollfd){ .fd = s->control, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = s->signals, .events = POLLIN };
		p[2] = (struct pollfd){ .fd = s->listener, .events = POLLIN };
		for (size_t i = 0; i < LINKS_MAX; i++) {
			const struct link *l = &s->links[i];
			short g = half_events_in(&l->to_agent) | half_events_out(&l->to_guest);
			short a = half_events_in(&l->to_guest) | half_events_out(&l->to_agent);
			/* A negative fd is skipped: no spinning on a hung-up
			 * side we have nothing to do with right now. */
			p[3 + 2 * i] = (struct pollfd){ .fd = l->guest >= 0 && g ? l->guest : -1,
							.events = g };
			p[4 + 2 * i] = (struct pollfd){ .fd = l->agent >= 0 && a ? l->agent : -1,
							.events = a };
		}
		if (poll(p, ARRAY_SIZE(p), -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		/* The shell's end closed (the session is over), or a signal. */
		if (p[0].revents || p[1].revents)
			return;
		if (p[2].revents & POLLIN)
			relay_accept(s);
		for (size_t i = 0; i < LINKS_MAX; i++) {
			struct link *l = &s->links[i];
			if (l->guest < 0)
				continue;
			short g = p[3 + 2 * i].revents, a = p[4 + 2 * i].revents;
			if (!g && !a)
				continue;
			if (!half_pump(&l->to_agent, l->guest, g, l->agent, a) ||
			    !half_pump(&l->to_guest, l->agent, a, l->guest, g) ||
			    (l->to_agent.shut && l->to_guest.shut))
				link_close(l);
		}
	}
}

/* Close every descriptor but stdio and the two kept ones. */
static int close_all_but(int keep1, int keep2)
{
	int lo = keep1 < keep2 ? keep1 : keep2, hi = keep1 < keep2 ? keep2 : keep1;
	if (lo < 3)
		return -EBADF;
	if ((lo > 3 && syscall(SYS_close_range, 3U, (unsigned)lo - 1, 0) < 0) ||
	    (hi > lo + 1 && syscall(SYS_close_range, (unsigned)lo + 1, (unsigned)hi - 1, 0) < 0) ||
	    syscall(SYS_close_range, (unsigned)hi + 1, ~0U, 0) < 0)
		return negerrno();
	return 0;
}

/* Runs in: the relay just after the fork: the user, host namespaces. */
static int relay_setup(struct relay_state *s, int agent_dir, pid_t shell, bool filter)
{
	/* Out of the login's session and process group: a hang-up of the
	 * terminal must not kill us before we cleaned up; the shell's exit
	 * (its end of the socketpair) or SIGTERM ends us instead. */
	setsid();
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return negerrno();
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0 || getppid() != shell)
		return -ESRCH;
	/* sshd waits for the session's stdout and stderr to close. */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
		return negerrno();
	int r = close_all_but(s->control, agent_dir);
	if (r < 0)
		return r;
	/* Our one host path is sshd's socket, relative to this directory. */
	if (fchdir(agent_dir) < 0)
		return negerrno();
	close(agent_dir);
	s->signals = signalfd(-1, &set, SFD_CLOEXEC);
	if (s->signals < 0)
		return negerrno();
	return filter ? seccomp_apply_shell_filter() : prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

static void relay_main(int control, int agent_dir, const char *agent_name, pid_t shell, bool filter)
    __attribute__((noreturn));
static void relay_main(int control, int agent_dir, const char *agent_name, pid_t shell, bool filter)
{
	static struct relay_state s;
	s.control = control;
	s.listener = s.sock_dir = s.parent = s.signals = -1;
	s.agent_name = agent_name;
	for (size_t i = 0; i < LINKS_MAX; i++)
		s.links[i] = (struct link){ .guest = -1, .agent = -1 };
	if (relay_setup(&s, agent_dir, shell, filter) < 0)
		_exit(1);
	if (relay_receive(&s) == 0)
		relay_loop(&s);
	relay_cleanup(&s);
	_exit(0);
}

int agent_relay_start(const char *host_socket, uid_t uid, bool filter, struct agent_forward *ret)
{
	*ret = (struct agent_forward){ .relay = 0, .control = -1 };
	if (!host_socket || !host_socket[0])
		return 0;
	const char *name;
	_cleanup_close_ int dir = agent_dir_open(host_socket, uid, &name);
	if (dir < 0)
		return dir;
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		return negerrno();
	pid_t shell = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int r = negerrno();
		close(pair[0]);
		close(pair[1]);
		return r;
	}
	if (pid == 0) {
		close(pair[0]);
		relay_main(pair[1], dir, name, shell, filter);
	}
	close(pair[1]);
	*ret = (struct agent_forward){ .relay = pid, .control = pair[0] };
	return 0;
}

/* ---- guest side: the session's directory and socket ---------------------- */

/* /run/user/UID when the guest has one that is the user's and private,
 * else /tmp (sticky: the entry we make stays ours). */
static int guest_parent_open(uid_t uid, char *path, size_t len)
{
	char run[64];
	snprintf(run, sizeof(run), "/run/user/%u", (unsigned)uid);
	int fd = open(run, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_uid == uid && !(st.st_mode & 077))
		return xsnprintf(path, len, "%s", run) < 0 ? (close(fd), -ENAMETOOLONG) : fd;
	if (fd >= 0)
		close(fd);
	fd = open("/tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return negerrno();
	snprintf(path, len, "/tmp");
	return fd;
}

/* mkdtemp(3) below a directory fd: 0700, ours, a fresh random name. */
static int private_dir_make(int parent, uid_t uid, char *name, size_t len)
{
	for (int attempt = 0; attempt < 16; attempt++) {
		unsigned char rnd[6];
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return -EIO;
		snprintf(name, len, AGENT_DIR_PREFIX "%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
			 rnd[2], rnd[3], rnd[4], rnd[5]);
		if (mkdirat(parent, name, 0700) < 0) {
			if (errno == EEXIST)
				continue;
			return negerrno();
		}
		int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) == 0 && st.st_uid == uid && fchmod(fd, 0700) == 0)
			return fd;
		int r = fd < 0 ? negerrno() : -EPERM;
		if (fd >= 0)
			close(fd);
		unlinkat(parent, name, AT_REMOVEDIR);
		return r;
	}
	return -EEXIST;
}

static int listener_bind(int dir)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return negerrno();
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = AGENT_SOCKET_NAME };
	/* bind(2) takes a path: relative to the directory we hold. */
	int r = fchdir(dir) < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
			listen(fd, 16) < 0
		    ? negerrno()
		    : 0;
	if (chdir("/") < 0 && r == 0)
		r = negerrno();
	return r < 0 ? r : TAKE_FD(fd);
}

static int send_to_relay(int control, const char *name, const int fds[3])
{
	return fd_send(control, name, strlen(name), fds, 3, 0);
}

int agent_guest_listen(struct agent_forward *a, uid_t uid, char *env, size_t envlen)
{
	if (!a->relay)
		return 0;
	char parent_path[64], name[DIR_NAME_MAX];
	_cleanup_close_ int parent = guest_parent_open(uid, parent_path, sizeof(parent_path));
	if (parent < 0)
		return parent;
	_cleanup_close_ int dir = private_dir_make(parent, uid, name, sizeof(name));
	if (dir < 0)
		return dir;
	_cleanup_close_ int listener = listener_bind(dir);
	int r = listener < 0 ? listener : 0;
	if (r == 0)
		r = xsnprintf(env, envlen, "SSH_AUTH_SOCK=%s/%s/" AGENT_SOCKET_NAME, parent_path,
			      name) < 0
			? -ENAMETOOLONG
			: 0;
	if (r == 0)
		r = send_to_relay(a->control, name, (int[3]){ listener, dir, parent });
	if (r < 0) {
		unlinkat(dir, AGENT_SOCKET_NAME, 0);
		unlinkat(parent, name, AT_REMOVEDIR);
	}
	return r;
}

void agent_forward_done(struct agent_forward *a)
{
	closep(&a->control);
	a->control = -1;
}
