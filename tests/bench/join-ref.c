/* SPDX-License-Identifier: GPL-2.0-or-later */
/* join-ref: the bare reference for the warm-join benchmark.
 *
 *   join-ref [--attach] PID [PROGRAM [ARG...]]   (default PROGRAM: /bin/true)
 *
 * Runs in: the container's user, host namespaces, no privilege.
 * It does the least a join can do: pidfd_open, one setns into the user,
 * mount, PID, UTS, IPC and cgroup namespaces of PID (plus the network one
 * when it differs from ours, as x86ns-shell does), fork, exec, wait. No
 * cgroup move, no verification, no id or capability changes: everything
 * x86ns-shell does beyond this is its overhead.
 *
 * --attach first asks the container's monitor to move us into the
 * container's cgroup ("attach" on /run/x86ns/UID/monitor.sock, as
 * x86ns-shell does), so the benchmark can show what that round trip costs
 * on its own. It speaks the wire protocol directly instead of linking the
 * product's library: one request, one "ok ..." answer. */

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int same_net_namespace(pid_t pid)
{
	char path[64];
	struct stat ours, theirs;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (stat("/proc/self/ns/net", &ours) < 0 || stat(path, &theirs) < 0)
		return 1;
	return ours.st_ino == theirs.st_ino;
}

static int monitor_attach(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/run/x86ns/%u/monitor.sock",
		 (unsigned)getuid());
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, "attach", 6, MSG_NOSIGNAL) != 6) {
		fprintf(stderr, "join-ref: monitor %s: %s\n", sa.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char reply[1024];
	ssize_t n;
	do {
		n = recv(fd, reply, sizeof(reply) - 1, 0);
		if (n > 0)
			reply[n] = '\0';
	} while (n > 0 && strncmp(reply, "progress ", 9) == 0);
	close(fd);
	if (n <= 0 || strncmp(reply, "ok", 2) != 0) {
		fprintf(stderr, "join-ref: attach refused: %s\n", n > 0 ? reply : "no answer");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int first = 1;
	bool attach = argc > 1 && strcmp(argv[1], "--attach") == 0;
	if (attach)
		first++;
	if (argc <= first) {
		fprintf(stderr, "usage: join-ref [--attach] PID [PROGRAM [ARG...]]\n");
		return 2;
	}
	if (attach && monitor_attach() < 0)
		return 1;
	pid_t pid = (pid_t)strtol(argv[first], NULL, 10);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		fprintf(stderr, "join-ref: pidfd_open %d: %s\n", (int)pid, strerror(errno));
		return 1;
	}
	int flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
		    CLONE_NEWCGROUP;
	if (!same_net_namespace(pid))
		flags |= CLONE_NEWNET;
	if (setns(pidfd, flags) < 0) {
		fprintf(stderr, "join-ref: setns: %s\n", strerror(errno));
		return 1;
	}
	close(pidfd);
	char *fallback[] = { "/bin/true", NULL };
	char **prog = argc > first + 1 ? argv + first + 1 : fallback;
	pid_t child = fork();
	if (child < 0) {
		fprintf(stderr, "join-ref: fork: %s\n", strerror(errno));
		return 1;
	}
	if (child == 0) {
		execv(prog[0], prog);
		fprintf(stderr, "join-ref: exec %s: %s\n", prog[0], strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
