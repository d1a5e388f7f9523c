/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86ns-spawner on its own, through lib/spawn.c as x86ns-shell asks it:
 * sessions run with the peer's ids and fds and report their exit status; a
 * program that cannot be executed comes back as its errno with the step
 * "exec" (the session child writes its failure into the spawner's memory,
 * CLONE_VM | CLONE_VFORK, before it exits), and the spawner goes on
 * serving. Runs as root in a private mount namespace: a tmpfs over /run
 * holds the socket at SPAWN_SOCKET_PATH, one over /sys/fs/cgroup keeps the
 * spawner from moving into a cgroup leaf on a cgroup2 host. */
#include "spawn-proto.h"
#include "spawn.h"
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

static pid_t spawner_pid = -1;

static bool spawner_start(void)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0 ||
	    mount("tmpfs", "/sys/fs/cgroup", "tmpfs", 0, "mode=0755") < 0 ||
	    mkdir(SPAWN_SOCKET_DIR, 0755) < 0)
		return false;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = SPAWN_SOCKET_PATH };
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
	    chmod(SPAWN_SOCKET_PATH, 0666) < 0)
		return false;
	const char *src = getenv("X86NS_SRCDIR");
	char path[4096];
	snprintf(path, sizeof(path), "%s/guest/x86ns-spawner", src ? src : ".");
	spawner_pid = fork();
	if (spawner_pid == 0) {
		/* dup2 clears close-on-exec, except onto itself */
		if (fd == SPAWN_LISTEN_FD ? fcntl(fd, F_SETFD, 0) < 0
					  : dup2(fd, SPAWN_LISTEN_FD) < 0)
			_exit(126);
		char *argv[] = { "x86ns-spawner", NULL }, *envp[] = { NULL };
		execve(path, argv, envp);
		_exit(127);
	}
	close(fd);
	return spawner_pid > 0;
}

/* Run argv (path argv[0]) as a session of the calling process's ids, with
 * stdout into `out`; returns spawn_session's result, the wait status in
 * *status when it ran. */
static int session_run(char *const argv[], struct error *e, int *status, char *out,
		       size_t out_len)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return negerrno();
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	struct spawn_request req = { .cwd = "/",
				     .path = argv[0],
				     .argv = argv,
				     .envp = envp,
				     .fds = { null_fd, pipefd[1], null_fd } };
	struct spawned s;
	*e = (struct error){ 0 };
	int r = spawn_session(&req, &s, e);
	close(pipefd[1]);
	close(null_fd);
	if (r >= 0) {
		ssize_t n = read(pipefd[0], out, out_len - 1);
		out[n > 0 ? n : 0] = '\0';
		r = spawn_wait(&s, status);
		spawned_done(&s);
	}
	close(pipefd[0]);
	return r;
}

/* The same from a child that first takes uid and gid 65534. */
static bool session_as_nobody(char *out, size_t out_len)
{
	int pipefd[2];
	if (pipe(pipefd) < 0)
		return false;
	pid_t pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		gid_t g = 65534;
		if (setgroups(1, &g) < 0 || setresgid(g, g, g) < 0 || setresuid(g, g, g) < 0)
			_exit(1);
		char *argv[] = { "/bin/sh", "-c", "echo $(id -u) $(id -g) $(id -G)", NULL };
		struct error e;
		int status;
		char text[128];
		if (session_run(argv, &e, &status, text, sizeof(text)) < 0)
			_exit(2);
		(void)!write(pipefd[1], text, strlen(text));
		_exit(0);
	}
	close(pipefd[1]);
	ssize_t n = read(pipefd[0], out, out_len - 1);
	out[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(void)
{
	if (geteuid() != 0) {
		tap_check(false, "needs root (a private mount namespace)", "test-spawner runs");
		return tap_exit();
	}
	if (!tap_check(spawner_start(), strerror(errno), "x86ns-spawner starts on its socket"))
		return tap_exit();

	struct error e;
	int status = -1;
	char out[256];
	char *exit7[] = { "/bin/sh", "-c", "echo hello; exit 7", NULL };
	int r = session_run(exit7, &e, &status, out, sizeof(out));
	tap_check_int(r, 0, "a session starts");
	tap_check_str(out, "hello\n", "its stdout is the fd the peer passed");
	tap_check(WIFEXITED(status) && WEXITSTATUS(status) == 7, "wrong wait status",
		  "its exit status comes back (7)");

	tap_check(session_as_nobody(out, sizeof(out)), "the child failed",
		  "a session for a peer with uid 65534 runs");
	tap_check_str(out, "65534 65534 65534\n", "it has exactly the peer's uid, gid and groups");

	char *missing[] = { "/nonexistent/program", NULL };
	r = session_run(missing, &e, &status, out, sizeof(out));
	tap_check_int(r, -ENOENT, "a missing program is reported with its errno (ENOENT)");
	tap_check_str(e.step, "exec", "and the step that failed");

	char *not_exec[] = { SPAWN_SOCKET_DIR "/not-executable", NULL };
	int fd = open(not_exec[0], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	r = session_run(not_exec, &e, &status, out, sizeof(out));
	tap_check_int(r, -EACCES, "a file without execute permission: EACCES");

	char *again[] = { "/bin/sh", "-c", "exit 0", NULL };
	r = session_run(again, &e, &status, out, sizeof(out));
	tap_check(r == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "no session",
		  "after the failures the spawner still serves");

	kill(spawner_pid, SIGTERM);
	waitpid(spawner_pid, &status, 0);
	tap_check(WIFEXITED(status) || WIFSIGNALED(status), "not reaped", "the spawner ends");
	return tap_exit();
}
