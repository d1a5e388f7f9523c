/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86ns-init: the builtin reaper init for guests without an init of their
 * own (a busybox tree, a tree with no C library: hence linked -static).
 *
 * Runs in: PID 1 of the container's PID namespace, guest root, all signals
 * blocked and taken with sigwaitinfo(), so none can interrupt it half-way.
 *
 *   x86ns-init [PROGRAM [ARG...]]
 *
 * Reaps every process that ends up as its child, forever. PROGRAM (an
 * absolute path, run with execv) is started once; its exit does not end
 * init. SIGTERM, SIGINT, SIGPWR or SIGRTMIN+4 (whichever the configured
 * stop signal is) stop the container: SIGTERM to everything, up to
 * $X86NS_INIT_GRACE seconds (default 5) for it to go, SIGKILL to what is
 * left, exit 0. Messages go to stdout, which is the per-user console log.
 * With $NOTIFY_SOCKET set (ready = notify) it reports READY=1 there, as
 * systemd does, once it runs.
 * Refuses to run as anything but PID 1: kill(-1, ...) outside a PID
 * namespace would reach the whole host. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GRACE_DEFAULT_SEC 5
#define GRACE_MAX_SEC     3600
#define KILL_WAIT_MS      2000
#define TICK_MS           50 /* processes joined from outside send us no SIGCHLD */

/* Unbuffered output: one write() per message, so no stdio state. */
static void say(const char *a, const char *b, const char *c, const char *d)
{
	char buf[512];
	size_t len = 0;
	const char *parts[] = { "x86ns-init: ", a, b, c, d, "\n" };
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		size_t n = parts[i] ? strlen(parts[i]) : 0;
		if (n > sizeof(buf) - 1 - len)
			n = sizeof(buf) - 1 - len;
		memcpy(buf + len, parts[i], n);
		len += n;
	}
	buf[len - 1] = '\n'; /* still a whole line when cut short */
	while (write(STDOUT_FILENO, buf, len) < 0 && errno == EINTR)
		;
}

static const char *format_uint(unsigned long v, char buf[static 24])
{
	char *p = buf + 23;
	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	return p;
}

static unsigned grace_seconds(void)
{
	const char *s = getenv("X86NS_INIT_GRACE");
	unsigned long v = 0;
	if (!s || !*s)
		return GRACE_DEFAULT_SEC;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > GRACE_MAX_SEC) {
			say("ignoring bad X86NS_INIT_GRACE", NULL, NULL, NULL);
			return GRACE_DEFAULT_SEC;
		}
		v = v * 10 + (unsigned long)(*s - '0');
	}
	return v > GRACE_MAX_SEC ? GRACE_MAX_SEC : (unsigned)v;
}

/* systemd's poweroff signal is SIGRTMIN+4 in glibc's numbering (38), which
 * x86ns and the rest of the host use; musl reserves one more real-time
 * signal, so its SIGRTMIN+4 is 39. Name the number the host means. */
#define SYSTEMD_POWEROFF_SIGNAL 38

static bool is_stop_signal(int sig)
{
	return sig == SIGTERM || sig == SIGINT || sig == SIGPWR || sig == SYSTEMD_POWEROFF_SIGNAL;
}

static void close_stray_fds(void)
{
	if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
		return;
	long max = sysconf(_SC_OPEN_MAX);
	for (long fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
		close((int)fd);
}

static void reap_all(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Anything left in the namespace besides us (zombies of other parents
 * count until those reap them). */
static bool others_alive(void)
{
	return kill(-1, 0) == 0 || errno != ESRCH;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Reaps until the namespace is empty or the deadline passes; signals that
 * arrive meanwhile (another stop request included) only wake us up. */
static bool wait_until_empty(const sigset_t *all, uint64_t deadline)
{
	for (;;) {
		reap_all();
		if (!others_alive())
			return true;
		uint64_t now = now_ms();
		if (now >= deadline)
			return false;
		uint64_t ms = deadline - now < TICK_MS ? deadline - now : TICK_MS;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)ms * 1000000L };
		siginfo_t info;
		(void)sigtimedwait(all, &info, &ts);
	}
}

static void __attribute__((noreturn)) stop(int sig, const sigset_t *all, unsigned grace_sec)
{
	char num[24];
	say("stopping (signal ", format_uint((unsigned long)sig, num), ")", NULL);
	(void)kill(-1, SIGTERM);
	(void)kill(-1, SIGCONT); /* stopped processes must run to handle it */
	if (!wait_until_empty(all, now_ms() + (uint64_t)grace_sec * 1000)) {
		(void)kill(-1, SIGKILL);
		(void)wait_until_empty(all, now_ms() + KILL_WAIT_MS);
	}
	_exit(0); /* the kernel kills whatever might still be left */
}

static void spawn(char **argv)
{
	pid_t pid = fork();
	if (pid < 0) {
		say("cannot fork: ", strerror(errno), NULL, NULL);
		return;
	}
	if (pid > 0)
		return;
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	(void)setsid(); /* its own session, so that it may take a terminal */
	execv(argv[0], argv);
	say("cannot execute ", argv[0], ": ", strerror(errno));
	_exit(127);
}

/* sd_notify's READY=1 to the socket x86ns passed (an absolute path). */
static void notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || path[0] != '/' || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	static const char msg[] = "READY=1\nSTATUS=x86ns-init running";
	if (sendto(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		say("cannot notify readiness: ", strerror(errno), NULL, NULL);
	close(fd);
}

int main(int argc, char **argv)
{
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	if (getpid() != 1) {
		say("must run as PID 1 of a PID namespace", NULL, NULL, NULL);
		return 1;
	}
	unsigned grace_sec = grace_seconds();
	close_stray_fds();
	say("ready", NULL, NULL, NULL);
	notify_ready();
	if (argc > 1)
		spawn(argv + 1);
	for (;;) {
		siginfo_t info;
		int sig = sigwaitinfo(&all, &info);
		if (sig == SIGCHLD)
			reap_all();
		else if (sig > 0 && is_stop_signal(sig))
			stop(sig, &all, grace_sec);
	}
}
