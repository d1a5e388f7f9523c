/* SPDX-License-Identifier: GPL-2.0-or-later */
/* network = private: the container's own network namespace, whose traffic
 * goes out through pasta (Debian package passt), a user-mode network
 * stack. Host abstract unix sockets belong to the host's network
 * namespace and are simply not there, which is why this mode stands in
 * for Landlock scoping on kernels before 6.12 (lib/plan.h).
 *
 * Who runs it: never guest code, never host root on guest input. pasta
 * handles every packet the guest sends, so it runs as the user (their
 * ids, no supplementary groups, no_new_privs, a fixed argv and
 * environment), holding capabilities only in the container's outer user
 * namespace, which the user owns anyway. It is a child of the monitor, in
 * the monitor's cgroup (the guest's delegated cgroup cannot touch it, and
 * a process in the container's own group would keep a guest systemd from
 * enabling controllers there), dies with the monitor (parent-death
 * signal), and is killed and reaped when the container stops. */
#include "launch.h"
#include "proto.h"
#include "util.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define NS_USER_FD 3
#define NS_NET_FD  4

/* No port is forwarded in either direction: pasta's default ("auto")
 * would publish every port a guest program binds on the host's addresses,
 * where other users (and other hosts) could connect, and map the host's
 * bound ports into the guest. The guest reaches the host's own services at
 * the gateway's address, which pasta maps to the host. */
static char *const pasta_argv[] = {
	"pasta",
	"--foreground",
	"--quiet",
	"--tcp-ports",
	"none",
	"--udp-ports",
	"none",
	"--tcp-ns",
	"none",
	"--udp-ns",
	"none",
	"--userns",
	"/proc/self/fd/3",
	"--netns",
	"/proc/self/fd/4",
	"--config-net",
	"--ns-ifname",
	"eth0",
	NULL,
};

/* Runs in: the stack's process between clone and exec, host root until
 * it becomes the user; it execs or _exits. */
static void user_net_child(const struct container_plan *p, int userns_fd, int netns_fd)
    __attribute__((noreturn));
static void user_net_child(const struct container_plan *p, int userns_fd, int netns_fd)
{
	/* Ignored signals survive exec: the launcher ignores SIGPIPE, and
	 * pasta (2023-03) takes an ignored SIGPIPE for a failed signal(). */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	/* Out of the way of the fixed numbers, then onto them. */
	int u = fcntl(userns_fd, F_DUPFD_CLOEXEC, 10), n = fcntl(netns_fd, F_DUPFD_CLOEXEC, 10);
	/* Its messages go to the guest's console, and so to the user's log. */
	if (null_fd < 0 || u < 0 || n < 0 || dup2(null_fd, 0) < 0 || dup2(p->console_fd, 1) < 0 ||
	    dup2(p->console_fd, 2) < 0 || dup2(u, NS_USER_FD) < 0 || dup2(n, NS_NET_FD) < 0 ||
	    syscall(SYS_close_range, NS_NET_FD + 1U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		_exit(126);
	if (setgroups(0, NULL) < 0 || setresgid(p->user->gid, p->user->gid, p->user->gid) < 0 ||
	    setresuid(p->user->uid, p->user->uid, p->user->uid) < 0)
		_exit(126);
	/* After the id change, which clears it; then no way back to root. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() == 1 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(126);
	char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	execve(X86NS_PASTA, pasta_argv, envp);
	dprintf(2, "x86ns: cannot execute %s: %m\n", X86NS_PASTA);
	_exit(127);
}

int user_net_start(struct container_plan *p, int proc_fd, struct error *e)
{
	_cleanup_close_ int userns = openat(proc_fd, "ns/user", O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int netns = openat(proc_fd, "ns/net", O_RDONLY | O_CLOEXEC);
	if (userns < 0 || netns < 0)
		return error_set(e, "network", negerrno(), "open the namespaces");
	int pidfd = -1;
	pid_t pid = clone3_fork(CLONE_PIDFD, -1, &pidfd);
	if (pid == 0)
		user_net_child(p, userns, netns);
	if (pid < 0)
		return error_set(e, "network", pid, "start %s", X86NS_PASTA);
	p->net_pid = pid;
	p->net_pidfd = pidfd;
	return 0;
}

void user_net_stop(struct container_plan *p)
{
	if (p->net_pidfd < 0)
		return;
	syscall(SYS_pidfd_send_signal, p->net_pidfd, SIGKILL, NULL, 0);
	siginfo_t si;
	while (waitid(P_PIDFD, (id_t)p->net_pidfd, &si, WEXITED) < 0 && errno == EINTR)
		;
	closep(&p->net_pidfd);
	p->net_pid = 0;
}

/* A default route in /proc/net/route or /proc/net/ipv6_route (of this
 * network namespace): pasta adds it last, after the link and addresses. */
static bool default_route_present(void)
{
	static const char *const files[] = { "/proc/net/route", "/proc/net/ipv6_route" };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_close_ int fd = open(files[i], O_RDONLY | O_CLOEXEC);
		_cleanup_free_ char *text = NULL;
		if (fd < 0 || read_fd_bounded(fd, 64 * 1024, &text, NULL) < 0)
			continue;
		for (char *line = text; *line;) {
			size_t len = strcspn(line, "\n");
			char ifname[32], dest[40];
			unsigned prefix;
			if (i == 0 && sscanf(line, "%31s %39s", ifname, dest) == 2 &&
			    strcmp(dest, "00000000") == 0 && strcmp(ifname, "lo") != 0)
				return true;
			if (i == 1 && sscanf(line, "%39s %x", dest, &prefix) == 2 && prefix == 0 &&
			    strspn(dest, "0") == 32 && !strstr(line, " lo"))
				return true;
			line += len + (line[len] == '\n');
		}
	}
	return false;
}

int user_net_wait_configured(unsigned timeout_ms)
{
	struct timespec pause = { .tv_nsec = 500 * 1000 };
	for (unsigned waited_us = 0; waited_us < timeout_ms * 1000U; waited_us += 500) {
		if (default_route_present())
			return 0;
		nanosleep(&pause, NULL);
	}
	return -ETIMEDOUT;
}
