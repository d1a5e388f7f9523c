/* SPDX-License-Identifier: GPL-2.0-or-later */
/* notify-wait: boot a command that reports readiness the systemd way and time
 * its start and its stop, for tests/bench/full-guest.sh.
 *
 *   notify-wait --socket PATH [--cgroup DIR]... [--timeout S] [--log FILE]
 *               -- PROGRAM [ARG...]
 *
 * Runs in: host root. Binds a datagram socket at PATH, forks PROGRAM (an
 * absolute path, no shell) with NOTIFY_SOCKET=PATH, the child first moving
 * itself into every DIR/cgroup.procs, and prints "ready NANOSECONDS PID"
 * when a message with a READY=1 line arrives, counted from before the fork.
 * Then it reads one line "SIGNAL PID" from stdin, sends SIGNAL to PID (the
 * caller picks the process and the signal: the container's init, or PROGRAM
 * itself) and prints "stop NANOSECONDS" when PROGRAM has exited, counted
 * from the signal. End of stdin instead of a line sends SIGTERM to PROGRAM,
 * so a caller that dies still stops what it started. PROGRAM's stdin and
 * stdout are /dev/null, its stderr goes to --log (default: inherited).
 * No READY=1 within --timeout seconds (default 30), or PROGRAM exiting
 * before it, fails with exit status 1 after SIGTERM (then SIGKILL) to
 * PROGRAM; so does a PROGRAM that does not exit within the timeout after
 * the stop signal. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CGROUPS 8

struct options {
	const char *socket_path;
	const char *cgroups[MAX_CGROUPS];
	unsigned n_cgroups;
	unsigned timeout_s;
	const char *log;
	char **argv;
};

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fprintf(stderr, "usage: notify-wait --socket PATH [--cgroup DIR]... [--timeout S] "
			"[--log FILE] -- PROGRAM [ARG...]\n");
	exit(2);
}

static void parse_args(int argc, char **argv, struct options *o)
{
	*o = (struct options){ .timeout_s = 30 };
	int i;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			break;
		if (i + 1 >= argc)
			usage();
		if (strcmp(a, "--socket") == 0) {
			o->socket_path = argv[++i];
		} else if (strcmp(a, "--cgroup") == 0 && o->n_cgroups < MAX_CGROUPS) {
			o->cgroups[o->n_cgroups++] = argv[++i];
		} else if (strcmp(a, "--timeout") == 0) {
			o->timeout_s = (unsigned)strtoul(argv[++i], NULL, 10);
		} else if (strcmp(a, "--log") == 0) {
			o->log = argv[++i];
		} else {
			usage();
		}
	}
	if (!o->socket_path || i + 1 >= argc || argv[i + 1][0] != '/' || o->timeout_s == 0)
		usage();
	o->argv = argv + i + 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int bind_notify_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	int r = n < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* Runs in: the forked child, root; becomes PROGRAM. */
static void exec_program(const struct options *o, int log_fd) __attribute__((noreturn));
static void exec_program(const struct options *o, int log_fd)
{
	char path[4096];
	for (unsigned i = 0; i < o->n_cgroups; i++) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", o->cgroups[i]);
		int r = write_file(path, "0");
		if (r < 0) {
			fprintf(stderr, "notify-wait: %s: %s\n", path, strerror(-r));
			_exit(125);
		}
	}
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0)
		_exit(125);
	if (log_fd >= 0 && dup2(log_fd, STDERR_FILENO) < 0)
		_exit(125);
	if (setenv("NOTIFY_SOCKET", o->socket_path, 1) < 0)
		_exit(125);
	execv(o->argv[0], o->argv);
	fprintf(stderr, "notify-wait: exec %s: %m\n", o->argv[0]);
	_exit(127);
}

static bool has_ready_line(const char *msg)
{
	for (const char *p = msg; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, "READY=1", 7) == 0 && (p[7] == '\n' || p[7] == '\0'))
			return true;
	}
	return false;
}

/* Waits for READY=1 on sock or the exit of the program (pidfd readable).
 * Returns 0 on READY, -ECHILD when the program exited, -ETIMEDOUT. */
static int wait_ready(int sock, int pidfd, unsigned timeout_s)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_s * 1000000000u;
	char msg[4096];
	for (;;) {
		uint64_t now = now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		struct pollfd p[2] = { { .fd = sock, .events = POLLIN },
				       { .fd = pidfd, .events = POLLIN } };
		int n = poll(p, 2, (int)((deadline - now) / 1000000u) + 1);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			ssize_t len = recv(sock, msg, sizeof(msg) - 1, 0);
			if (len >= 0) {
				msg[len] = '\0';
				if (has_ready_line(msg))
					return 0;
			}
			continue;
		}
		if (p[1].revents)
			return -ECHILD;
	}
}

/* Waits up to timeout_s for the program to exit; reaps it. */
static int wait_exit(pid_t pid, int pidfd, unsigned timeout_s)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	int n;
	do
		n = poll(&p, 1, (int)timeout_s * 1000);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -errno : -ETIMEDOUT;
	(void)waitpid(pid, NULL, 0);
	return 0;
}

static void stop_hard(pid_t pid, int pidfd)
{
	kill(pid, SIGTERM);
	if (wait_exit(pid, pidfd, 10) < 0) {
		kill(pid, SIGKILL);
		(void)wait_exit(pid, pidfd, 10);
	}
}

int main(int argc, char **argv)
{
	struct options o;
	parse_args(argc, argv, &o);
	int log_fd = -1;
	if (o.log && (log_fd = open(o.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
		fprintf(stderr, "notify-wait: %s: %m\n", o.log);
		return 1;
	}
	int sock = bind_notify_socket(o.socket_path);
	if (sock < 0) {
		fprintf(stderr, "notify-wait: bind %s: %s\n", o.socket_path, strerror(-sock));
		return 1;
	}
	uint64_t start = now_ns();
	pid_t pid = fork();
	if (pid < 0) {
		perror("notify-wait: fork");
		return 1;
	}
	if (pid == 0)
		exec_program(&o, log_fd);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		perror("notify-wait: pidfd_open");
		stop_hard(pid, -1);
		return 1;
	}
	int r = wait_ready(sock, pidfd, o.timeout_s);
	uint64_t ready = now_ns();
	if (r < 0) {
		fprintf(stderr, "notify-wait: no READY=1 from %s: %s\n", o.argv[0],
			r == -ECHILD ? "it exited" : strerror(-r));
		stop_hard(pid, pidfd);
		return 1;
	}
	printf("ready %llu %d\n", (unsigned long long)(ready - start), (int)pid);
	fflush(stdout);

	char line[64];
	int sig = SIGTERM, target = pid;
	if (fgets(line, sizeof(line), stdin) && sscanf(line, "%d %d", &sig, &target) != 2) {
		fprintf(stderr, "notify-wait: expected \"SIGNAL PID\" on stdin\n");
		stop_hard(pid, pidfd);
		return 1;
	}
	uint64_t stop = now_ns();
	if (kill(target, sig) < 0) {
		fprintf(stderr, "notify-wait: kill %d %d: %m\n", sig, target);
		stop_hard(pid, pidfd);
		return 1;
	}
	if (wait_exit(pid, pidfd, o.timeout_s) < 0) {
		fprintf(stderr, "notify-wait: %s did not exit after signal %d\n", o.argv[0], sig);
		stop_hard(pid, pidfd);
		return 1;
	}
	printf("stop %llu\n", (unsigned long long)(now_ns() - stop));
	(void)unlink(o.socket_path);
	return 0;
}
