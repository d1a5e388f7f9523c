/* SPDX-License-Identifier: GPL-2.0-or-later */
/* join-ref: the bare reference for the warm-join benchmark.
 *
 *   join-ref PID [PROGRAM [ARG...]]     (default PROGRAM: /bin/true)
 *
 * Runs in: the container's user, host namespaces, no privilege.
 * It does the least a join can do: pidfd_open, one setns into the user,
 * mount, PID, UTS, IPC and cgroup namespaces of PID (plus the network one
 * when it differs from ours, as x86ns-shell does), fork, exec, wait. No
 * cgroup move, no verification, no id or capability changes: everything
 * x86ns-shell does beyond this is its overhead. */

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: join-ref PID [PROGRAM [ARG...]]\n");
		return 2;
	}
	pid_t pid = (pid_t)strtol(argv[1], NULL, 10);
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
	char **prog = argc > 2 ? argv + 2 : fallback;
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
