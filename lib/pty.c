/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pty relay of guest sessions on a terminal; see pty.h. Runs in:
 * x86ns-shell (the user) and x86nsctl exec (guest root or the user), after
 * they joined the guest's namespaces; the session itself is forked by the
 * guest's spawner (or, in the unit test, by the caller). */
#include "pty.h"

#include "util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

#define RELAY_BUFFER_SIZE 16384
/* After the child exits, the master is read until EIO (no slave fd left).
 * Background processes may hold the slave, so EIO may never come: then
 * until it is quiet for DRAIN_QUIET_MS while we could take more, or
 * DRAIN_MAX_BYTES (more than a pty buffers: new output, not old) or
 * DRAIN_MAX_MS passed. The host gets until FLUSH_MAX_MS to take it. */
#define DRAIN_QUIET_MS  100
#define DRAIN_MAX_BYTES (256 * 1024)
#define DRAIN_MAX_MS    10000
#define FLUSH_MAX_MS    15000

int pty_open_guest(int host_tty_fd, int *ret_master, char *slave_path, size_t len)
{
	_cleanup_close_ int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return negerrno();
	if (grantpt(master) < 0 || unlockpt(master) < 0)
		return negerrno();
	int r = ptsname_r(master, slave_path, len);
	if (r != 0)
		return -r;
	if (host_tty_fd >= 0 && isatty(host_tty_fd)) {
		/* On a master fd, these reach the slave side. */
		struct termios tio;
		struct winsize ws;
		if (tcgetattr(host_tty_fd, &tio) < 0 || tcsetattr(master, TCSANOW, &tio) < 0)
			return negerrno();
		if (ioctl(host_tty_fd, TIOCGWINSZ, &ws) == 0 && ioctl(master, TIOCSWINSZ, &ws) < 0)
			return negerrno();
	}
	*ret_master = TAKE_FD(master);
	return 0;
}

/* ---- relay ------------------------------------------------------------- */

struct buffer {
	size_t start, end; /* pending bytes are data[start, end) */
	char data[RELAY_BUFFER_SIZE];
};

struct relay {
	int master, host_in, host_out, signal_fd, pidfd;
	int host_tty;  /* host_in if a terminal, else host_out if one, else -1 */
	pid_t child;   /* 0: the session is not our child; status_fd reports it */
	int status_fd; /* x86ns-spawner's connection, or -1 */
	bool own_pidfd;
	struct buffer to_guest, to_host;
	bool input_done;  /* EOF or error on host_in */
	bool master_done; /* EIO: no slave left open */
	bool host_out_dead;
	bool child_exited;
	bool reading_done; /* drain phase over: master no longer read */
	int status;
	uint64_t exit_ms, last_output_ms, drained_bytes;
};

/* What pty_relay() changes and must put back. */
struct saved_state {
	sigset_t old_mask;
	bool mask_set;
	struct termios host_termios;
	bool raw_set; /* host_tty's termios changed: raw, or only -opost */
	int fds[3], fd_flags[3];
	size_t nfds;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t buffer_used(const struct buffer *b)
{
	return b->end - b->start;
}
static size_t buffer_space(const struct buffer *b)
{
	return sizeof(b->data) - buffer_used(b);
}
static void buffer_clear(struct buffer *b)
{
	b->start = b->end = 0;
}

/* > 0 bytes read, 0 EOF, -EAGAIN nothing now, other -errno. */
static ssize_t buffer_fill(struct buffer *b, int fd)
{
	if (b->end == sizeof(b->data)) { /* room only at the front */
		memmove(b->data, b->data + b->start, buffer_used(b));
		b->end -= b->start;
		b->start = 0;
	}
	ssize_t n = read(fd, b->data + b->end, sizeof(b->data) - b->end);
	if (n < 0)
		return errno == EINTR ? -EAGAIN : negerrno();
	b->end += (size_t)n;
	return n;
}

/* >= 0 bytes written, -EAGAIN when full, other -errno. */
static ssize_t buffer_flush(struct buffer *b, int fd)
{
	ssize_t n = write(fd, b->data + b->start, buffer_used(b));
	if (n < 0)
		return errno == EINTR ? -EAGAIN : negerrno();
	b->start += (size_t)n;
	if (b->start == b->end)
		buffer_clear(b);
	return n;
}

static void copy_window_size(const struct relay *rl)
{
	struct winsize ws;
	if (rl->host_tty >= 0 && ioctl(rl->host_tty, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(rl->master, TIOCSWINSZ, &ws);
}

/* The session itself: through its pidfd when it is not our child (its pid
 * in our PID namespace is not known), else its process group. */
static void signal_session(const struct relay *rl, int sig)
{
	if (rl->child == 0) {
		(void)syscall(SYS_pidfd_send_signal, rl->pidfd, sig, NULL, 0);
		return;
	}
	if (kill(-rl->child, sig) < 0)
		(void)kill(rl->child, sig);
}

/* Only while the session has not ended: a child's pid, which is its
 * process group (it called setsid()), cannot have been reused.
 *
 * The guest terminal's foreground group is never signalled by number: the
 * number tcgetpgrp() gives is the guest's to choose and may be stale (the
 * group gone, its number reused by a host process group of the caller's).
 * TIOCSIG on the master has the kernel signal the group the pty itself
 * holds, or nobody; it takes only the keyboard's signals (SIGINT, SIGQUIT,
 * SIGTSTP). SIGHUP and SIGTERM go to the session, whose shell passes them
 * on; and once the relay ends the master is closed, which hangs the pty up
 * (SIGHUP and SIGCONT to its session and foreground group, by the kernel). */
static void forward_signal(const struct relay *rl, int sig)
{
	if (rl->child_exited)
		return;
	signal_session(rl, sig);
	/* Our own unreaped child's pid is safe to compare with: the same
	 * group need not get the signal twice. */
	bool child_in_front = rl->child > 0 && tcgetpgrp(rl->master) == rl->child;
	if ((sig == SIGINT || sig == SIGQUIT) && !child_in_front)
		(void)ioctl(rl->master, TIOCSIG, sig);
	if (sig == SIGHUP)
		signal_session(rl, SIGCONT);
}

/* The spawner's "exit status=N"; a spawner that went away without it
 * counts as exit status 255. 0 when nothing is there yet. */
static int read_reported_status(struct relay *rl, int *status)
{
	char msg[64];
	ssize_t n = recv(rl->status_fd, msg, sizeof(msg) - 1, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : negerrno();
	msg[n > 0 ? n : 0] = '\0';
	if (n == 0 || sscanf(msg, "exit status=%d", status) != 1)
		*status = 255 << 8;
	return 1;
}

static int try_reap(struct relay *rl)
{
	if (rl->child_exited)
		return 0;
	int status;
	if (rl->child == 0) {
		int r = read_reported_status(rl, &status);
		if (r <= 0)
			return r;
	} else {
		pid_t pid = waitpid(rl->child, &status, WNOHANG);
		if (pid < 0)
			return errno == EINTR ? 0 : negerrno();
		if (pid == 0)
			return 0;
	}
	rl->child_exited = true;
	rl->status = status;
	rl->exit_ms = rl->last_output_ms = now_ms();
	buffer_clear(&rl->to_guest); /* nobody left to type to */
	return 0;
}

static int handle_signals(struct relay *rl)
{
	struct signalfd_siginfo si;
	for (;;) {
		ssize_t n = read(rl->signal_fd, &si, sizeof(si));
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : negerrno();
		if (n != (ssize_t)sizeof(si))
			return -EIO;
		switch (si.ssi_signo) {
		case SIGWINCH: copy_window_size(rl); break;
		case SIGHUP:
		case SIGTERM:
		case SIGINT:
		case SIGQUIT:
			forward_signal(rl, (int)si.ssi_signo);
			if (rl->child_exited) { /* asked to go: cut the drain short */
				rl->reading_done = true;
				rl->host_out_dead = true;
			}
			break;
		case SIGCHLD: {
			int r = try_reap(rl);
			if (r < 0)
				return r;
			break;
		}
		default: /* SIGPIPE: the failed write reports it */ break;
		}
	}
}

/* Which fds to poll for what; index of each in fds[] or -1. */
struct poll_set {
	struct pollfd fds[5];
	int n, sig, pid, in, master, out;
};

static void poll_set_add(struct poll_set *ps, int *slot, int fd, short events)
{
	*slot = -1;
	if (!events)
		return;
	ps->fds[ps->n] = (struct pollfd){ .fd = fd, .events = events };
	*slot = ps->n++;
}

static short revents_of(const struct poll_set *ps, int slot)
{
	return slot < 0 ? 0 : ps->fds[slot].revents;
}

static void build_poll_set(const struct relay *rl, struct poll_set *ps)
{
	bool read_master = !rl->master_done && !rl->reading_done && buffer_space(&rl->to_host);
	bool write_master = !rl->master_done && buffer_used(&rl->to_guest);
	bool read_input =
	    !rl->input_done && !rl->master_done && !rl->child_exited && buffer_space(&rl->to_guest);
	ps->n = 0;
	poll_set_add(ps, &ps->sig, rl->signal_fd, POLLIN);
	/* A spawned session ends when the spawner says so, after its pidfd
	 * turned readable. */
	int ends = rl->child == 0 ? rl->status_fd : rl->pidfd;
	poll_set_add(ps, &ps->pid, ends, ends >= 0 && !rl->child_exited ? POLLIN : 0);
	poll_set_add(ps, &ps->in, rl->host_in, read_input ? POLLIN : 0);
	poll_set_add(ps, &ps->master, rl->master,
		     (short)((read_master ? POLLIN : 0) | (write_master ? POLLOUT : 0)));
	poll_set_add(ps, &ps->out, rl->host_out,
		     buffer_used(&rl->to_host) && !rl->host_out_dead ? POLLOUT : 0);
}

static void do_master_io(struct relay *rl, const struct poll_set *ps)
{
	short ev = revents_of(ps, ps->master);
	if (!ev)
		return;
	bool polled_in = ps->fds[ps->master].events & POLLIN;
	if (polled_in && (ev & (POLLIN | POLLHUP | POLLERR))) {
		ssize_t n = buffer_fill(&rl->to_host, rl->master);
		if (n > 0 && rl->child_exited)
			rl->drained_bytes += (uint64_t)n;
		if (n > 0)
			rl->last_output_ms = now_ms();
		else if (n != -EAGAIN) /* EIO: every slave fd is closed */
			rl->master_done = true;
	}
	if (!rl->master_done && buffer_used(&rl->to_guest) &&
	    (ev & (POLLOUT | POLLHUP | POLLERR))) {
		ssize_t n = buffer_flush(&rl->to_guest, rl->master);
		if (n < 0 && n != -EAGAIN)
			buffer_clear(&rl->to_guest);
		else if (!polled_in && (ev & POLLHUP))
			buffer_clear(&rl->to_guest); /* nobody reads it: stop polling */
	}
	if (rl->master_done)
		buffer_clear(&rl->to_guest);
}

static void do_host_io(struct relay *rl, const struct poll_set *ps)
{
	if (revents_of(ps, ps->in)) {
		ssize_t n = buffer_fill(&rl->to_guest, rl->host_in);
		if (n == 0 || (n < 0 && n != -EAGAIN))
			rl->input_done = true; /* EOF or hangup: input only */
	}
	if (revents_of(ps, ps->out)) {
		ssize_t n = buffer_flush(&rl->to_host, rl->host_out);
		if (n < 0 && n != -EAGAIN)
			rl->host_out_dead = true;
	}
	if (rl->host_out_dead)
		buffer_clear(&rl->to_host); /* keep reading so the guest never blocks */
}

/* After the child's exit: 1 when done, else 0 and the poll timeout. */
static int drain_state(struct relay *rl, int *timeout_ms)
{
	uint64_t now = now_ms();
	if (buffer_space(&rl->to_host) == 0 && !rl->host_out_dead)
		rl->last_output_ms = now; /* not quiet: we are not reading */
	if (rl->master_done || rl->drained_bytes >= DRAIN_MAX_BYTES ||
	    now >= rl->exit_ms + DRAIN_MAX_MS || now >= rl->last_output_ms + DRAIN_QUIET_MS)
		rl->reading_done = true;
	if (rl->reading_done && (buffer_used(&rl->to_host) == 0 || rl->host_out_dead))
		return 1;
	if (now >= rl->exit_ms + FLUSH_MAX_MS)
		return 1;
	uint64_t until = rl->exit_ms + FLUSH_MAX_MS;
	if (!rl->reading_done && rl->last_output_ms + DRAIN_QUIET_MS < until)
		until = rl->last_output_ms + DRAIN_QUIET_MS;
	*timeout_ms = (int)(until - now) + 1;
	return 0;
}

static int relay_loop(struct relay *rl)
{
	for (;;) {
		int timeout_ms = -1;
		if (rl->child_exited && drain_state(rl, &timeout_ms))
			return 0;
		struct poll_set ps;
		build_poll_set(rl, &ps);
		if (poll(ps.fds, (nfds_t)ps.n, timeout_ms) < 0) {
			if (errno == EINTR)
				continue;
			return negerrno();
		}
		if (revents_of(&ps, ps.sig)) {
			int r = handle_signals(rl);
			if (r < 0)
				return r;
		}
		do_master_io(rl, &ps);
		do_host_io(rl, &ps);
		if (revents_of(&ps, ps.pid)) {
			int r = try_reap(rl);
			if (r < 0)
				return r;
		}
	}
}

static int set_nonblocking(struct saved_state *s, int fd)
{
	for (size_t i = 0; i < s->nfds; i++)
		if (s->fds[i] == fd)
			return 0;
	if (fd < 0)
		return 0;
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return negerrno();
	s->fds[s->nfds] = fd;
	s->fd_flags[s->nfds++] = flags;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ? negerrno() : 0;
}

static const int relay_signals[] = { SIGWINCH, SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGPIPE, SIGCHLD };

/* Signals first: one that arrives while the terminal goes raw is queued. */
static int relay_setup(struct relay *rl, struct saved_state *s)
{
	sigset_t mask;
	sigemptyset(&mask);
	for (size_t i = 0; i < ARRAY_SIZE(relay_signals); i++)
		sigaddset(&mask, relay_signals[i]);
	if (sigprocmask(SIG_BLOCK, &mask, &s->old_mask) < 0)
		return negerrno();
	s->mask_set = true;
	rl->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (rl->signal_fd < 0)
		return negerrno();
	/* Fallback for kernels without pidfds: SIGCHLD alone. */
	if (rl->child > 0 && rl->pidfd < 0) {
		rl->pidfd = (int)syscall(SYS_pidfd_open, rl->child, 0);
		rl->own_pidfd = rl->pidfd >= 0;
	}
	/* Input from a terminal: raw, the guest pty does the line editing.
	 * Output only: the guest pty does the output processing, so the host
	 * terminal's is turned off (no "\r\r\n"); its keyboard signals stay
	 * ours, and are forwarded. */
	if (rl->host_tty >= 0 && tcgetattr(rl->host_tty, &s->host_termios) == 0) {
		struct termios mode = s->host_termios;
		if (rl->host_tty == rl->host_in) {
			cfmakeraw(&mode);
			mode.c_cc[VMIN] = 1;
			mode.c_cc[VTIME] = 0;
		} else {
			mode.c_oflag &= ~(tcflag_t)OPOST;
		}
		if (tcsetattr(rl->host_tty, TCSANOW, &mode) < 0)
			return negerrno();
		s->raw_set = true;
		copy_window_size(rl);
	}
	int fds[] = { rl->master, rl->host_in, rl->host_out };
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		int r = set_nonblocking(s, fds[i]);
		if (r < 0)
			return r;
	}
	return try_reap(rl); /* it may be gone already */
}

static void relay_restore(struct relay *rl, struct saved_state *s)
{
	for (size_t i = s->nfds; i-- > 0;)
		(void)fcntl(s->fds[i], F_SETFL, s->fd_flags[i]);
	/* TCSANOW: waiting for output to drain could hang on a dead peer. */
	if (s->raw_set)
		(void)tcsetattr(rl->host_tty, TCSANOW, &s->host_termios);
	if (rl->own_pidfd)
		close(rl->pidfd);
	if (rl->signal_fd >= 0) {
		struct signalfd_siginfo si; /* consume what is pending */
		while (read(rl->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			;
		close(rl->signal_fd);
	}
	if (s->mask_set)
		(void)sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
}

int pty_relay(int master, int host_in, int host_out, const struct pty_session *session,
	      int *ret_status)
{
	if (session->child <= 0 && (session->pidfd < 0 || session->status_fd < 0))
		return -EINVAL;
	struct relay *rl = calloc(1, sizeof(*rl)); /* buffers: not on the stack */
	if (!rl)
		return -ENOMEM;
	rl->master = master;
	rl->host_in = host_in;
	rl->host_out = host_out;
	rl->child = session->child > 0 ? session->child : 0;
	rl->pidfd = session->pidfd;
	rl->status_fd = session->child > 0 ? -1 : session->status_fd;
	rl->signal_fd = -1;
	rl->host_tty = host_in >= 0 && isatty(host_in)     ? host_in
		       : host_out >= 0 && isatty(host_out) ? host_out
							   : -1;
	rl->input_done = host_in < 0;
	struct saved_state saved = { .mask_set = false };
	int r = relay_setup(rl, &saved);
	if (r >= 0)
		r = relay_loop(rl);
	relay_restore(rl, &saved);
	if (r >= 0)
		*ret_status = rl->status;
	free(rl);
	return r;
}

/* ---- the caller's stdio ------------------------------------------------ */

static int first_terminal(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isatty(fds[i]))
			return fds[i];
	return -1;
}

int pty_stdio_open(struct pty_stdio *ret)
{
	*ret = (struct pty_stdio){ .fds = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO },
				   .master = -1,
				   .slave = -1,
				   .host_in = -1,
				   .host_out = -1 };
	int host_tty = first_terminal(ret->fds, 3);
	if (host_tty < 0)
		return 0;
	_cleanup_close_ int master = -1;
	char slave_path[64];
	int r = pty_open_guest(host_tty, &master, slave_path, sizeof(slave_path));
	if (r < 0)
		return r;
	int slave = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return negerrno();
	for (int i = 0; i < 3; i++)
		if (isatty(i))
			ret->fds[i] = slave;
	ret->host_in = isatty(STDIN_FILENO) ? STDIN_FILENO : -1;
	ret->host_out =
	    first_terminal((const int[]){ STDOUT_FILENO, STDERR_FILENO, STDIN_FILENO }, 3);
	ret->slave = slave;
	ret->master = TAKE_FD(master);
	return 1;
}

void pty_stdio_close(struct pty_stdio *p)
{
	closep(&p->slave);
	closep(&p->master);
}
