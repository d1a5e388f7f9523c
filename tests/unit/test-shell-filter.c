/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86ns-shell's own system call filter (seccomp-gen/seccomp-policy.c,
 * shell_allowed): the embedded program is what libseccomp builds from the
 * tables, and a process under it can relay a terminal and talk to the
 * spawner, and nothing else: no exec, fork, file creation, other sockets,
 * terminal injection, id changes, and no other ABI. Runs as root. */
#include "seccomp-build.h" /* the tables and libseccomp's <seccomp.h> */
#include "seccomp-programs.h"
#include "seccomp.h"
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void test_program(void)
{
	scmp_filter_ctx ctx;
	struct sock_filter *insns = NULL;
	size_t n = 0;
	int r = seccomp_build_shell_filter(&ctx);
	if (r == 0) {
		r = seccomp_export_program(ctx, &insns, &n);
		seccomp_release(ctx);
	}
	bool same = r == 0 && n == seccomp_shell_program.len &&
		    memcmp(insns, seccomp_shell_program.insns, n * sizeof(*insns)) == 0;
	tap_check(same, r < 0 ? strerror(-r) : "run make to regenerate lib/seccomp-programs.c",
		  "the embedded shell filter (%u instructions) is what libseccomp builds",
		  seccomp_shell_program.len);
	free(insns);
}

/* In a child under the shell filter: probe()'s result, or -errno, or
 * 1000 + the signal that killed the child. */
static long run(long (*probe)(void))
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return negerrno();
	pid_t pid = fork();
	if (pid == 0) {
		long ret = seccomp_apply_shell_filter();
		if (ret == 0) {
			ret = probe();
			ret = ret < 0 ? -errno : ret;
		}
		_exit(write(fds[1], &ret, sizeof(ret)) == sizeof(ret) ? 0 : 1);
	}
	close(fds[1]);
	long ret = -EIO;
	ssize_t got = pid < 0 ? -1 : read(fds[0], &ret, sizeof(ret));
	close(fds[0]);
	int status = 0;
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (pid > 0 && WIFSIGNALED(status))
		return 1000 + WTERMSIG(status);
	return got == sizeof(ret) ? ret : -EIO;
}

static long probe_relay(void)
{
	char c = 'x';
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0 || write(fd, &c, 1) != 1 || read(fd, &c, 1) != 0 || close(fd) < 0)
		return -1;
	return getpid() > 0 ? 0 : -1;
}
static long probe_read_file(void)
{
	char buf[16];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	long r = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	return r;
}
static long probe_unix_socket(void)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		close(fd);
	return fd;
}
static long probe_inet_socket(void)
{
	return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
}
static long probe_window_size(void)
{
	struct winsize ws;
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	return ioctl(fd, TIOCGWINSZ, &ws); /* ENOTTY from the kernel, not the filter */
}
static long probe_tiocsti(void)
{
	char c = 'x';
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	return ioctl(fd, TIOCSTI, &c);
}
static long probe_exec(void)
{
	char *argv[] = { "true", NULL };
	return execve("/bin/true", argv, argv + 1);
}
static long probe_fork(void)
{
	return syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
}
static long probe_mkdir(void)
{
	return mkdir("/tmp/x86ns-test-shell-filter", 0700);
}
static long probe_setuid(void)
{
	return syscall(SYS_setresuid, 1, 1, 1);
}
static long probe_no_new_privs(void)
{
	return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
}
static long probe_i386_abi(void)
{
	long r = 20; /* getpid on i386 */
	__asm__ volatile("int $0x80" : "+a"(r) : : "memory");
	return r;
}

int main(void)
{
	if (geteuid() != 0) {
		printf("not ok - test-shell-filter must run as root\n");
		return 1;
	}
	test_program();
	long r;
	tap_check(run(probe_relay) == 0, "open, read, write, close or getpid refused",
		  "under the shell filter: descriptors read and write");
	tap_check(run(probe_read_file) > 0, "", "under the shell filter: files open and read");
	tap_check(run(probe_unix_socket) >= 0, "", "under the shell filter: Unix sockets open");
	tap_check(run(probe_window_size) == -ENOTTY, "",
		  "under the shell filter: TIOCGWINSZ reaches the kernel");
	struct {
		const char *what;
		long (*probe)(void);
	} refused[] = {
		{ "an Internet socket", probe_inet_socket },
		{ "TIOCSTI", probe_tiocsti },
		{ "execve", probe_exec },
		{ "fork", probe_fork },
		{ "mkdir", probe_mkdir },
		{ "setresuid", probe_setuid },
		{ "prctl", probe_no_new_privs },
	};
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		r = run(refused[i].probe);
		char reason[64];
		snprintf(reason, sizeof(reason), "got %ld", r);
		tap_check(r == -ENOSYS, reason, "under the shell filter: %s fails with ENOSYS",
			  refused[i].what);
	}
	r = run(probe_i386_abi);
	tap_check(r == 1000 + SIGSYS, "the i386 call was not killed",
		  "under the shell filter: an i386 system call kills the process");
	rmdir("/tmp/x86ns-test-shell-filter");
	return tap_exit();
}
