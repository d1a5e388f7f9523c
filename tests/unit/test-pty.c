/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tests for shell/pty.c on this host's /dev/ptmx. Each session runs in a
 * forked "relay" process R, as x86ns-shell would: R opens the guest pty
 * with pty_open_guest(), forks the session child (prepare_slave() +
 * sh -c SCRIPT) and runs pty_relay(). R's host terminal is the slave of an
 * outer pty (its controlling terminal, 33x101) whose master the test
 * drives like a terminal emulator, or one end of a socketpair. R reports
 * the relay's result and whether it restored its state through a pipe. */
#include "pty.h"
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

#define OUTPUT_MAX         (4u << 20)
#define SESSION_TIMEOUT_MS 20000

enum action { ACT_NONE, ACT_INPUT, ACT_INPUT_THEN_EOF, ACT_RESIZE, ACT_SIGNAL, ACT_HANGUP };

struct session {
	const char *script;
	bool use_socket;     /* host side is a socketpair, not a terminal */
	bool slow_reader;    /* the terminal takes output in small, slow bites */
	const char *trigger; /* output that starts the action */
	enum action action;
	const char *input; /* ACT_INPUT* */
	size_t input_len;
	int signal;                /* ACT_SIGNAL: sent to R */
	unsigned short rows, cols; /* ACT_RESIZE */
	/* results */
	char *output;
	size_t output_len;
	bool timed_out, term_closed;
	uint64_t elapsed_ms;
	struct report {
		int relay_rc, status;
		bool termios_restored, flags_restored, mask_restored, got_report;
	} report;
};

/* The session child's side, as x86ns-spawner does it for real sessions:
 * new session, slave as controlling terminal and as fds 0, 1, 2. */
static int prepare_slave(const char *slave_path)
{
	if (setsid() < 0)
		return negerrno();
	/* O_CLOEXEC is dropped by dup2() on 0, 1, 2 below. */
	int fd = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return negerrno();
	if (!isatty(fd) || ioctl(fd, TIOCSCTTY, 0) < 0) {
		int r = isatty(fd) ? negerrno() : -ENOTTY;
		close(fd);
		return r;
	}
	for (int i = 0; i <= 2; i++) {
		if ((fd != i && dup2(fd, i) < 0) || fcntl(i, F_SETFD, 0) < 0) {
			int r = negerrno();
			if (fd > 2)
				close(fd);
			return r;
		}
	}
	if (fd > 2)
		close(fd);
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs in: R. Never returns. */
static void __attribute__((noreturn)) run_relay(struct session *s, int host_fd, int report_fd)
{
	struct report rep = { .relay_rc = -EINVAL };
	signal(SIGPIPE, SIG_DFL); /* as in x86ns-shell: the relay must cope */
	struct termios before, after;
	memset(&before, 0, sizeof(before)); /* compared with memcmp below */
	memset(&after, 0, sizeof(after));
	sigset_t mask_before, mask_after;
	bool tty = isatty(host_fd);
	if (tty)
		tcgetattr(host_fd, &before);
	int flags_before = fcntl(host_fd, F_GETFL);
	sigemptyset(&mask_before); /* sigprocmask fills only the kernel's part */
	sigemptyset(&mask_after);
	sigprocmask(SIG_SETMASK, NULL, &mask_before);

	char path[128];
	int master = -1;
	rep.relay_rc = pty_open_guest(host_fd, &master, path, sizeof(path));
	if (rep.relay_rc >= 0) {
		pid_t child = fork();
		if (child == 0) {
			if (prepare_slave(path) < 0)
				_exit(120);
			execl("/bin/sh", "sh", "-c", s->script, (char *)NULL);
			_exit(127);
		}
		rep.relay_rc = pty_relay(master, host_fd, host_fd,
					 &(struct pty_session){ child, -1, -1 }, &rep.status);
		kill(-child, SIGKILL); /* background processes the script left */
	}
	if (tty) {
		tcgetattr(host_fd, &after);
		rep.termios_restored = memcmp(&before, &after, sizeof(before)) == 0;
	} else {
		rep.termios_restored = true;
	}
	rep.flags_restored = fcntl(host_fd, F_GETFL) == flags_before;
	sigprocmask(SIG_SETMASK, NULL, &mask_after);
	rep.mask_restored = true;
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&mask_before, sig) != sigismember(&mask_after, sig)) {
			rep.mask_restored = false;
			printf("# signal %d %s\n", sig,
			       sigismember(&mask_after, sig) ? "left blocked" : "unblocked");
		}
	rep.got_report = true;
	(void)!write(report_fd, &rep, sizeof(rep));
	_exit(0);
}

/* Runs in: R, before run_relay(): the outer pty slave becomes R's
 * controlling terminal, so that the kernel sends it SIGWINCH. */
static int become_terminal_owner(const char *outer_slave)
{
	if (setsid() < 0)
		return -1;
	int fd = open(outer_slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) < 0)
		return -1;
	return fd;
}

static void do_action(struct session *s, int term_fd, pid_t relay, size_t *input_off)
{
	if (s->action == ACT_HANGUP) {
		close(term_fd); /* as sshd does when the client goes away */
		s->term_closed = true;
	} else if (s->action == ACT_RESIZE) {
		struct winsize ws = { .ws_row = s->rows, .ws_col = s->cols };
		ioctl(term_fd, TIOCSWINSZ, &ws);
	} else if (s->action == ACT_SIGNAL) {
		kill(relay, s->signal);
	} else if (s->action == ACT_INPUT || s->action == ACT_INPUT_THEN_EOF) {
		*input_off = 0;
	}
}

/* Runs in: the test. Plays the terminal until R is done. */
static void drive(struct session *s, int term_fd, int report_fd, pid_t relay)
{
	size_t input_off = SIZE_MAX; /* SIZE_MAX: not started */
	bool triggered = !s->trigger, term_open = true, report_open = true;
	uint64_t deadline = now_ms() + SESSION_TIMEOUT_MS;
	if (triggered)
		do_action(s, term_fd, relay, &input_off);
	while (term_open || report_open) {
		bool sending = input_off != SIZE_MAX && input_off < s->input_len;
		/* A closed side is left out: its POLLHUP would spin. */
		struct pollfd p[2] = {
			{ .fd = term_open ? term_fd : -1,
			  .events = (short)(POLLIN | (sending ? POLLOUT : 0)) },
			{ .fd = report_open ? report_fd : -1, .events = POLLIN },
		};
		uint64_t now = now_ms();
		if (now >= deadline) {
			s->timed_out = true;
			return;
		}
		if (poll(p, 2, (int)(deadline - now)) < 0)
			continue;
		if (p[0].revents & POLLOUT) {
			ssize_t n = write(term_fd, s->input + input_off, s->input_len - input_off);
			if (n > 0)
				input_off += (size_t)n;
			if (input_off == s->input_len && s->action == ACT_INPUT_THEN_EOF)
				shutdown(term_fd, SHUT_WR);
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			char buf[65536];
			if (s->slow_reader)
				usleep(1000);
			ssize_t n = read(term_fd, buf, s->slow_reader ? 2048 : sizeof(buf));
			if (n == 0 || (n < 0 && errno != EAGAIN))
				term_open = false;
			if (n > 0 && s->output_len + (size_t)n < OUTPUT_MAX) {
				memcpy(s->output + s->output_len, buf, (size_t)n);
				s->output_len += (size_t)n;
				s->output[s->output_len] = '\0';
			}
			if (!triggered && s->output_len && strstr(s->output, s->trigger)) {
				triggered = true;
				do_action(s, term_fd, relay, &input_off);
				term_open = !s->term_closed;
			}
		}
		if (p[1].revents) {
			ssize_t n = read(report_fd, &s->report, sizeof(s->report));
			if (n <= 0 || s->report.got_report)
				report_open = false;
		}
	}
}

static void run_session(struct session *s)
{
	int term_fd = -1, host_fd = -1, report[2];
	char outer_slave[128] = "";
	s->output = calloc(1, OUTPUT_MAX + 1);
	s->output_len = 0;
	memset(&s->report, 0, sizeof(s->report));
	if (s->use_socket) {
		int sv[2];
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
		term_fd = sv[0];
		host_fd = sv[1];
	} else {
		term_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		grantpt(term_fd);
		unlockpt(term_fd);
		ptsname_r(term_fd, outer_slave, sizeof(outer_slave));
		struct winsize ws = { .ws_row = 33, .ws_col = 101 };
		ioctl(term_fd, TIOCSWINSZ, &ws);
	}
	if (term_fd < 0 || pipe2(report, O_CLOEXEC) < 0) {
		s->timed_out = true; /* reported by check_common() */
		return;
	}
	pid_t relay = fork();
	if (relay == 0) {
		close(term_fd);
		close(report[0]);
		if (!s->use_socket)
			host_fd = become_terminal_owner(outer_slave);
		if (host_fd < 0)
			_exit(1);
		run_relay(s, host_fd, report[1]);
	}
	if (host_fd >= 0)
		close(host_fd);
	close(report[1]);
	fcntl(term_fd, F_SETFL, O_NONBLOCK);
	uint64_t start = now_ms();
	drive(s, term_fd, report[0], relay);
	s->elapsed_ms = now_ms() - start;
	if (s->timed_out) {
		printf("# timed out; output so far: [%s]\n", s->output);
		kill(relay, SIGKILL);
	}
	waitpid(relay, NULL, 0);
	if (!s->term_closed)
		close(term_fd);
	close(report[0]);
}

static bool exited_with(int status, int code)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static void check_common(const struct session *s, const char *name)
{
	CHECK(!s->timed_out, "%s: session ended in time", name);
	CHECK(s->report.got_report, "%s: relay process reported", name);
	CHECK_INT_EQ(s->report.relay_rc, 0, "%s: pty_relay returned 0", name);
	CHECK(s->report.termios_restored, "%s: host termios restored", name);
	CHECK(s->report.flags_restored, "%s: host fd flags restored", name);
	CHECK(s->report.mask_restored, "%s: signal mask restored", name);
}

static bool has(const struct session *s, const char *needle)
{
	return s->output && strstr(s->output, needle);
}

static void test_basic(void)
{
	struct session s = {
		.script = "stty size; tty; echo hello; read x; echo got:$x; exit 3",
		.trigger = "hello",
		.action = ACT_INPUT,
		.input = "abc\n",
		.input_len = 4,
	};
	run_session(&s);
	check_common(&s, "basic");
	CHECK(has(&s, "33 101"), "basic: stty size in the guest pty is 33 101");
	CHECK(has(&s, "/dev/pts/"), "basic: tty names a pty");
	CHECK(has(&s, "hello"), "basic: output relayed");
	CHECK(has(&s, "got:abc"), "basic: input relayed");
	CHECK(exited_with(s.report.status, 3), "basic: wait status is exit 3 (%#x)",
	      (unsigned)s.report.status);
	if (!has(&s, "got:abc"))
		printf("# output: %s\n", s.output);
	free(s.output);
}

/* Bytes that a cooked host terminal would change (VKILL, ICRNL) reach a
 * raw guest terminal unchanged: the relay made the host terminal raw. */
static void test_raw(void)
{
	struct session s = {
		.script = "stty raw -echo; echo ready; head -c 4 | od -An -c",
		.trigger = "ready",
		.action = ACT_INPUT,
		.input = "a\025b\r",
		.input_len = 4,
	};
	run_session(&s);
	check_common(&s, "raw");
	CHECK(has(&s, "a 025   b  \\r"), "raw: control bytes passed through untouched");
	if (!has(&s, "a 025   b  \\r"))
		printf("# output: %s\n", s.output);
	free(s.output);
}

static void test_winch(void)
{
	struct session s = {
		.script =
		    "trap 'stty size; exit 4' WINCH; echo ready; while :; do sleep 0.05; done",
		.trigger = "ready",
		.action = ACT_RESIZE,
		.rows = 40,
		.cols = 120,
	};
	run_session(&s);
	check_common(&s, "winch");
	CHECK(has(&s, "40 120"), "winch: new size reached the guest pty");
	CHECK(exited_with(s.report.status, 4), "winch: guest got SIGWINCH (status %#x)",
	      (unsigned)s.report.status);
	free(s.output);
}

static void test_signal(int sig, const char *name)
{
	struct session s = {
		.script =
		    "trap 'echo caught; exit 5' TERM; echo ready; while :; do sleep 0.05; done",
		.trigger = "ready",
		.action = ACT_SIGNAL,
		.signal = sig,
	};
	run_session(&s);
	check_common(&s, name);
	if (sig == SIGTERM) {
		CHECK(has(&s, "caught"), "%s: guest trap ran", name);
		CHECK(exited_with(s.report.status, 5), "%s: status exit 5 (%#x)", name,
		      (unsigned)s.report.status);
	} else {
		CHECK(WIFSIGNALED(s.report.status) && WTERMSIG(s.report.status) == sig,
		      "%s: guest shell killed by the forwarded signal (%#x)", name,
		      (unsigned)s.report.status);
	}
	free(s.output);
}

/* The outer master goes away: the kernel hangs up R's terminal (SIGHUP to
 * R, EIO on it), as when sshd loses the client. */
static void test_hangup(void)
{
	struct session s = {
		.script = "echo ready; while :; do sleep 0.05; done",
		.trigger = "ready",
		.action = ACT_HANGUP,
	};
	run_session(&s);
	CHECK(!s.timed_out && s.report.got_report, "hangup: relay process reported in time");
	CHECK_INT_EQ(s.report.relay_rc, 0, "hangup: pty_relay returned 0");
	CHECK(s.report.mask_restored, "hangup: signal mask restored");
	CHECK(WIFSIGNALED(s.report.status) && WTERMSIG(s.report.status) == SIGHUP,
	      "hangup: guest shell got SIGHUP (%#x)", (unsigned)s.report.status);
	CHECK(s.elapsed_ms < 3000, "hangup: session over soon (%llu ms)",
	      (unsigned long long)s.elapsed_ms);
	free(s.output);
}

static void test_flood(bool slow)
{
	const char *name = slow ? "flood to a slow terminal" : "flood";
	struct session s = {
		.script = "head -c 1000000 /dev/zero | tr '\\0' x; echo; echo done",
		.slow_reader = slow,
	};
	run_session(&s);
	check_common(&s, name);
	size_t xs = 0;
	for (size_t i = 0; i < s.output_len; i++)
		xs += s.output[i] == 'x';
	CHECK_INT_EQ(xs, 1000000, "%s: every byte of 1 MB arrived", name);
	CHECK(has(&s, "done"), "%s: the last line before exit arrived", name);
	CHECK(exited_with(s.report.status, 0), "%s: exit 0", name);
	free(s.output);
}

/* The slave stays open in processes that ignore the hangup: no EIO. */
static void test_background_holder(bool spamming)
{
	const char *name = spamming ? "background spammer" : "background holder";
	struct session s = {
		.script =
		    spamming
			? "trap '' HUP; (while :; do echo spam; done) & sleep 0.2; echo bye; exit 8"
			: "trap '' HUP; sleep 5 & echo bye; exit 8",
	};
	run_session(&s);
	check_common(&s, name);
	CHECK(has(&s, "bye"), "%s: last output arrived", name);
	CHECK(exited_with(s.report.status, 8), "%s: exit 8", name);
	CHECK(s.elapsed_ms < 3000, "%s: relay returned soon after the child's exit (%llu ms)", name,
	      (unsigned long long)s.elapsed_ms);
	free(s.output);
}

static void test_paste(void)
{
	enum { LINES = 3000, LINE = 100 };
	char *paste = malloc(LINES * LINE);
	for (size_t i = 0; i < LINES * LINE; i++)
		paste[i] = (i % LINE == LINE - 1) ? '\n' : (char)('a' + i % 26);
	struct session s = {
		.script = "stty -echo; echo ready; head -c 300000 | cksum",
		.trigger = "ready",
		.action = ACT_INPUT,
		.input = paste,
		.input_len = LINES * LINE,
	};
	run_session(&s);
	check_common(&s, "paste");
	/* The expected checksum, from the same tool outside any pty. */
	char want[64] = "";
	int p[2], q[2];
	if (pipe(p) == 0 && pipe(q) == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			dup2(p[0], 0);
			dup2(q[1], 1);
			close(p[1]);
			close(q[0]);
			execl("/bin/sh", "sh", "-c", "cksum", (char *)NULL);
			_exit(127);
		}
		close(p[0]);
		close(q[1]);
		(void)write_all(p[1], paste, LINES * LINE);
		close(p[1]);
		ssize_t n = read(q[0], want, sizeof(want) - 1);
		want[n > 0 ? n : 0] = '\0';
		want[strcspn(want, "\n")] = '\0';
		close(q[0]);
		waitpid(pid, NULL, 0);
	}
	CHECK(want[0] && has(&s, want), "paste: 300000 bytes arrived intact (cksum %s)", want);
	CHECK(exited_with(s.report.status, 0), "paste: exit 0");
	free(paste);
	free(s.output);
}

static void test_socket_eof(void)
{
	struct session s = {
		.script = "echo hello; read x; echo got:$x; sleep 0.3; echo after-eof; exit 7",
		.use_socket = true,
		.trigger = "hello",
		.action = ACT_INPUT_THEN_EOF,
		.input = "abc\n",
		.input_len = 4,
	};
	run_session(&s);
	check_common(&s, "socket");
	CHECK(has(&s, "got:abc"), "socket: input relayed from a non-terminal");
	CHECK(has(&s, "after-eof"), "socket: output goes on after EOF on input");
	CHECK(exited_with(s.report.status, 7), "socket: exit 7 (%#x)", (unsigned)s.report.status);
	free(s.output);
}

static void test_open_errors(void)
{
	char small[4];
	int master = -1;
	CHECK_INT_EQ(pty_open_guest(-1, &master, small, sizeof(small)), -ERANGE,
		     "pty_open_guest: too small a path buffer is -ERANGE");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_basic();
	test_raw();
	test_winch();
	test_signal(SIGTERM, "sigterm");
	test_signal(SIGHUP, "sighup");
	test_hangup();
	test_flood(false);
	test_flood(true);
	test_paste();
	test_background_holder(false);
	test_background_holder(true);
	test_socket_eof();
	test_open_errors();
	return tap_exit();
}
