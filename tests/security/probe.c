/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86ns-probe CASE [ARG]: the attacks of tests/security/t-escape.sh that
 * busybox cannot make, as raw system calls. Static, so that it runs in any
 * guest. Prints one line of NAME=RESULT words, RESULT being "ok" or the
 * errno's name (EPERM, ENOSYS, ...), and exits 0 when it could make the
 * attempt (whatever its result), 2 on bad usage.
 *
 *   keyctl              keyctl(GET_KEYRING_ID, session), add_key, request_key,
 *                       and keyctl with an unknown operation (the kernel says
 *                       EOPNOTSUPP, only a filter says EPERM)
 *   keyring             the serial of the session keyring it possesses
 *                       ("session-keyring=SERIAL", or the errno's name)
 *   keyring-exec CMD... join a new session keyring, print its serial
 *                       ("host-session-keyring=SERIAL") and exec CMD in it
 *   tiocsti             TIOCSTI on the controlling tty of a new session on a
 *                       new pty of the guest, with the plain request and with
 *                       high bits set (CVE-2019-10063), and TIOCLINUX
 *   open-by-handle      open_by_handle_at with a forged handle (Shocker), and
 *                       with a bad mount fd (the kernel says EBADF, only a
 *                       filter says EPERM)
 *   nosys               a system call number no kernel has
 *   abi                 keyctl and unshare(CLONE_NEWUSER) through the i386
 *                       ABI (int $0x80) and keyctl through x32, each in a
 *                       child: "killed" when a filter killed it (x86-64 only)
 *   ptrace PID          PTRACE_SEIZE of PID (detached again if it worked)
 *   abstract-listen NAME   listen on abstract unix socket @NAME, print
 *                       "listening", answer "reached NAME" to each client
 *   abstract-connect NAME  connect to @NAME; with "ok" the answer follows
 *   fds                 the open file descriptors it was started with (run it
 *                       with exec, or as the command, to see what a program
 *                       inherits)
 *   shm-create KEY      create a SysV shared memory segment with KEY
 *   shm-find KEY        look the segment with KEY up
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <linux/keyctl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* The result of a raw system call: "ok" or the errno's name. */
static const char *result(long r)
{
	if (r >= 0)
		return "ok";
	const char *name = strerrorname_np(errno);
	return name ? name : "E?";
}

static int probe_keyctl(void)
{
	long r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
	printf("keyctl=%s", result(r));
	r = syscall(SYS_add_key, "user", "x86ns-probe", "v", 1, KEY_SPEC_PROCESS_KEYRING);
	printf(" add_key=%s", result(r));
	r = syscall(SYS_request_key, "user", "x86ns-probe-absent", NULL, 0);
	printf(" request_key=%s", result(r));
	r = syscall(SYS_keyctl, 0x7fff, 0, 0, 0, 0);
	printf(" keyctl-badop=%s\n", result(r));
	return 0;
}

static int probe_keyring(void)
{
	long r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
	if (r < 0)
		printf("session-keyring=%s\n", result(r));
	else
		printf("session-keyring=%ld\n", r);
	return 0;
}

static int probe_keyring_exec(char **cmd)
{
	long r = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL);
	if (r < 0) {
		printf("host-session-keyring=%s\n", result(r));
		return 1;
	}
	printf("host-session-keyring=%ld\n", r);
	fflush(stdout);
	execvp(cmd[0], cmd);
	printf("exec=%s\n", result(-1));
	return 1;
}

/* TIOCSTI needs the target to be the caller's controlling tty (else the
 * kernel says EPERM by itself, which would hide a missing filter), so the
 * attempts run in a child that makes a new pty of the guest its own. */
static int probe_tiocsti(void)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
		printf("ptmx=%s\n", result(-1));
		return 0;
	}
	const char *slave = ptsname(master);
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		printf("fork=%s\n", result(-1));
		return 0;
	}
	if (pid == 0) {
		if (setsid() < 0 || !slave) {
			printf("setsid=%s\n", result(-1));
			_exit(0);
		}
		int fd = open(slave, O_RDWR); /* becomes the controlling tty */
		if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) < 0) {
			printf("ctty=%s\n", result(-1));
			_exit(0);
		}
		char c = '#';
		long r = syscall(SYS_ioctl, fd, (unsigned long)TIOCSTI, &c);
		printf("tiocsti=%s", result(r));
		r = syscall(SYS_ioctl, fd, (1UL << 32) | TIOCSTI, &c);
		printf(" tiocsti-high=%s", result(r));
		char sel = 3; /* TIOCL_PASTESEL */
		r = syscall(SYS_ioctl, fd, (unsigned long)TIOCLINUX, &sel);
		printf(" tioclinux=%s\n", result(r));
		fflush(stdout);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	close(master);
	return 0;
}

static int probe_open_by_handle(void)
{
	/* Shocker: inode 2 (the root of most ext file systems), generation 0. */
	struct {
		struct file_handle h;
		unsigned char bytes[8];
	} fh = { .h = { .handle_bytes = 8, .handle_type = 1 } };
	unsigned int ino = 2, gen = 0;
	memcpy(fh.h.f_handle, &ino, 4);
	memcpy(fh.h.f_handle + 4, &gen, 4);
	int mount_fd = open("/", O_RDONLY | O_DIRECTORY);
	long r = syscall(SYS_open_by_handle_at, mount_fd, &fh.h, O_RDONLY);
	printf("open_by_handle_at=%s", result(r));
	/* A bad mount fd: the kernel says EBADF, only a filter says EPERM. */
	r = syscall(SYS_open_by_handle_at, -1, &fh.h, O_RDONLY);
	printf(" open_by_handle_at-badfd=%s\n", result(r));
	return 0;
}

static int probe_nosys(void)
{
	printf("syscall-1000=%s\n", result(syscall(1000, 0, 0, 0)));
	return 0;
}

/* Runs attempt() in a child, so that a filter that kills (SIGSYS) is seen:
 * prints NAME=ok|ERRNO|killed. attempt returns 0 or -errno. */
static void in_child(const char *name, long (*attempt)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		long r = attempt();
		const char *e = r < 0 ? strerrorname_np((int)-r) : NULL;
		printf("%s=%s", name, r >= 0 ? "ok" : e ? e : "E?");
		fflush(stdout);
		_exit(0);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		printf("%s=fork-failed", name);
	else if (WIFSIGNALED(status))
		printf("%s=killed", name);
}

#ifdef __x86_64__
static long int80(long nr, long a, long b, long c)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return r;
}

static long i386_keyctl(void)
{
	return int80(288, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
}

static long i386_unshare(void)
{
	return int80(310, CLONE_NEWUSER, 0, 0);
}

static long x32_keyctl(void)
{
	long r =
	    syscall(0x40000000L | SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
	return r < 0 ? -errno : r;
}
#endif

static int probe_abi(void)
{
#ifdef __x86_64__
	in_child("i386-keyctl", i386_keyctl);
	printf(" ");
	in_child("i386-unshare", i386_unshare);
	printf(" ");
	in_child("x32-keyctl", x32_keyctl);
	printf("\n");
#else
	printf("abi=not-x86-64\n");
#endif
	return 0;
}

static int probe_ptrace(const char *arg)
{
	pid_t pid = atoi(arg);
	long r = ptrace(PTRACE_SEIZE, pid, 0, 0);
	printf("ptrace=%s\n", result(r));
	if (r == 0)
		ptrace(PTRACE_DETACH, pid, 0, 0);
	return 0;
}

static socklen_t abstract_address(struct sockaddr_un *sa, const char *name)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	size_t n = strnlen(name, sizeof(sa->sun_path) - 1);
	memcpy(sa->sun_path + 1, name, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static int probe_abstract_listen(const char *name)
{
	struct sockaddr_un sa;
	socklen_t len = abstract_address(&sa, name);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, 8) < 0) {
		printf("listen=%s\n", result(-1));
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		dprintf(c, "reached %s\n", name);
		close(c);
	}
}

static int probe_abstract_connect(const char *name)
{
	struct sockaddr_un sa;
	socklen_t len = abstract_address(&sa, name);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	long r = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&sa, len);
	printf("connect=%s", result(r));
	if (r == 0) {
		char buf[128];
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		printf(" reply=%s", buf);
	}
	printf("\n");
	return 0;
}

static int probe_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d) {
		printf("fds=%s\n", result(-1));
		return 0;
	}
	printf("fds=");
	const char *sep = "";
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		printf("%s%s", sep, e->d_name);
		sep = ",";
	}
	printf("\n");
	closedir(d);
	return 0;
}

static int probe_shm(const char *arg, int create)
{
	key_t key = (key_t)strtol(arg, NULL, 0);
	long r = shmget(key, 4096, create ? IPC_CREAT | 0600 : 0);
	printf("shmget=%s\n", result(r));
	return 0;
}

/* t-monitor: hold up to N connections to uid's monitor socket for SECONDS,
 * then say how many connected, how many the connect refused (and why),
 * and how many the monitor closed meanwhile. */
static int probe_monitor_flood(const char *uid, const char *count, const char *seconds)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/run/x86ns/%s/monitor.sock", uid);
	int n = atoi(count), connected = 0, refused = 0, last_errno = 0;
	struct pollfd *p = calloc((size_t)n, sizeof(*p));
	for (int i = 0; i < n; i++) {
		/* blocking, for a while: a full backlog makes it wait its turn */
		struct timeval tv = { .tv_sec = 5 };
		int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
		    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			last_errno = errno;
			refused++;
			if (fd >= 0)
				close(fd);
			p[i].fd = -1;
			continue;
		}
		p[i] = (struct pollfd){ .fd = fd, .events = POLLIN };
		connected++;
	}
	printf("connected=%d refused=%d errno=%s\n", connected, refused,
	       last_errno ? strerror(last_errno) : "none");
	sleep((unsigned)atoi(seconds));
	int closed = 0;
	poll(p, (nfds_t)n, 0);
	for (int i = 0; i < n; i++) {
		char buf[256];
		if (p[i].fd < 0 || !p[i].revents)
			continue;
		/* a closed peer: EOF after whatever it said ("err ...") */
		while (recv(p[i].fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
		if (recv(p[i].fd, buf, sizeof(buf), MSG_DONTWAIT) == 0)
			closed++;
	}
	printf("closed=%d\n", closed);
	return 0;
}

/* t-monitor: a guest init (PID 1) whose sd_notify STATUS= carries terminal
 * escape sequences, then READY=1; then it only reaps. */
static int probe_notify_init(void) __attribute__((noreturn));
static int probe_notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static const char msg[] = "STATUS=\033]0;pwned\007\033[2J\033[31mowned\233m\nREADY=1";
	if (path)
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (!path || fd < 0 ||
	    sendto(fd, msg, sizeof(msg) - 1, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		perror("notify-init");
	for (;;)
		if (wait(NULL) < 0)
			pause();
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";
	const char *arg = argc > 2 ? argv[2] : NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *base = strrchr(argv[0], '/');
	if (!strcmp(base ? base + 1 : argv[0], "notify-init"))
		return probe_notify_init();
	if (argc > 4 && !strcmp(c, "monitor-flood"))
		return probe_monitor_flood(argv[2], argv[3], argv[4]);
	if (!strcmp(c, "keyctl"))
		return probe_keyctl();
	if (!strcmp(c, "keyring"))
		return probe_keyring();
	if (arg && !strcmp(c, "keyring-exec"))
		return probe_keyring_exec(argv + 2);
	if (!strcmp(c, "tiocsti"))
		return probe_tiocsti();
	if (!strcmp(c, "open-by-handle"))
		return probe_open_by_handle();
	if (!strcmp(c, "abi"))
		return probe_abi();
	if (!strcmp(c, "nosys"))
		return probe_nosys();
	if (!strcmp(c, "fds"))
		return probe_fds();
	if (arg && !strcmp(c, "ptrace"))
		return probe_ptrace(arg);
	if (arg && !strcmp(c, "abstract-listen"))
		return probe_abstract_listen(arg);
	if (arg && !strcmp(c, "abstract-connect"))
		return probe_abstract_connect(arg);
	if (arg && !strcmp(c, "shm-create"))
		return probe_shm(arg, 1);
	if (arg && !strcmp(c, "shm-find"))
		return probe_shm(arg, 0);
	fprintf(stderr, "usage: x86ns-probe keyctl|keyring|tiocsti|open-by-handle|nosys|abi|fds\n"
			"       x86ns-probe ptrace PID\n"
			"       x86ns-probe keyring-exec CMD [ARG...]\n"
			"       x86ns-probe abstract-listen|abstract-connect NAME\n"
			"       x86ns-probe shm-create|shm-find KEY\n"
			"       x86ns-probe monitor-flood UID COUNT SECONDS\n"
			"       notify-init (as argv[0]: a guest init sending STATUS=, READY=1)\n");
	return 2;
}
