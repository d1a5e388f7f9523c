/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/seccomp.c, the programs seccomp-gen/seccomp-gen embeds in
 * lib/seccomp-programs.c and their tables in seccomp-gen/seccomp-policy.c.
 * First the embedded programs are compared with what libseccomp builds
 * from the tables now, and the binary tree they use with libseccomp's
 * plain list, in a user-space BPF interpreter. Then, as root, every case
 * forks a child that loads the guest filter (CAP_SYS_ADMIN, no
 * no_new_privs), makes one call and sends the result back through a pipe,
 * so the test process itself stays unfiltered. Where the kernel's own
 * answer matters (the relax bits), the same call is made in an unfiltered
 * child to compare. Built with -iquote lib -iquote seccomp-gen (see seccomp-gen/seccomp-build.h). */
#include "seccomp-build.h" /* the tables and libseccomp's <seccomp.h> */
#include "seccomp-programs.h"
#include "seccomp.h"
#include "confine.h"
#include "join.h"
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>
#include <linux/securebits.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

#define UNFILTERED (-1L) /* run(): do not load the filter */

/* What a child saw. */
struct outcome {
	int apply;  /* seccomp_apply_guest_filter()'s result */
	long ret;   /* the probe's result: >= 0, or -1 with err */
	int err;    /* errno when ret is -1 */
	int signal; /* the signal that killed the child, 0: it exited */
};

/* A raw kernel result (-errno or a value) as the C library reports it. */
static long libc_result(long r)
{
	if (r < 0 && r >= -4095) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/* Runs probe() in a child, after loading the filter for `relax` unless
 * relax is UNFILTERED. */
static struct outcome run(long relax, long (*probe)(void))
{
	struct outcome o = { 0 };
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		o.apply = negerrno();
		return o;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		if (relax != UNFILTERED)
			o.apply = seccomp_apply_guest_filter((unsigned)relax);
		if (o.apply == 0) {
			errno = 0;
			o.ret = probe();
			o.err = o.ret < 0 ? errno : 0;
		}
		_exit(write(fds[1], &o, sizeof(o)) == sizeof(o) ? 0 : 1);
	}
	close(fds[1]);
	ssize_t n = pid < 0 ? -1 : read(fds[0], &o, sizeof(o));
	close(fds[0]);
	int status = 0;
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	if (pid > 0 && WIFSIGNALED(status))
		o.signal = WTERMSIG(status);
	else if (n != (ssize_t)sizeof(o))
		o.apply = -EIO;
	return o;
}

static void describe(const struct outcome *o, char *buf, size_t size)
{
	if (o->apply < 0)
		snprintf(buf, size, "the filter did not load: %s", strerror(-o->apply));
	else if (o->signal)
		snprintf(buf, size, "the child died of signal %d", o->signal);
	else if (o->ret < 0)
		snprintf(buf, size, "it failed with %s", strerrorname_np(o->err));
	else
		snprintf(buf, size, "it returned %ld", o->ret);
}

static void expect_errno(const char *what, long relax, long (*probe)(void), int want)
{
	char reason[128];
	struct outcome o = run(relax, probe);
	describe(&o, reason, sizeof(reason));
	tap_check(o.apply == 0 && !o.signal && o.ret == -1 && o.err == want, reason,
		  "%s fails with %s", what, strerrorname_np(want));
}

static void expect_success(const char *what, long relax, long (*probe)(void))
{
	char reason[128];
	struct outcome o = run(relax, probe);
	describe(&o, reason, sizeof(reason));
	tap_check(o.apply == 0 && !o.signal && o.ret >= 0, reason, "%s works", what);
}

/* With `relax`, the call gets the kernel's own answer, not the filter's. */
static void expect_kernel_answer(const char *what, long relax, long (*probe)(void))
{
	char reason[256], got[120], want[120];
	struct outcome bare = run(UNFILTERED, probe);
	struct outcome o = run(relax, probe);
	describe(&o, got, sizeof(got));
	describe(&bare, want, sizeof(want));
	snprintf(reason, sizeof(reason), "%s; unfiltered %s", got, want);
	bool same = o.apply == 0 && !o.signal && (o.ret < 0) == (bare.ret < 0) &&
		    (o.ret >= 0 || o.err == bare.err);
	tap_check(same, reason, "%s gets the kernel's answer", what);
}

/* ---- probes ------------------------------------------------------------ */

static long probe_keyctl(void)
{
	return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
}
static long probe_add_key(void)
{
	return syscall(SYS_add_key, "user", "x86ns-test", "v", 1, KEY_SPEC_PROCESS_KEYRING);
}
static long probe_open_by_handle_at(void)
{
	return syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, O_RDONLY);
}
static long probe_bpf(void)
{
	return syscall(SYS_bpf, 0, NULL, 0);
}
static long probe_perf_event_open(void)
{
	return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
}
static long probe_userfaultfd(void)
{
	return syscall(SYS_userfaultfd, O_CLOEXEC);
}
static long probe_io_uring_setup(void)
{
	return syscall(SYS_io_uring_setup, 1, NULL);
}
static long probe_syscall_1000(void)
{
	return syscall(1000);
}
static long newer_nr = -1; /* a call the kernel has and libseccomp does not know */
static long probe_newer(void)
{
	return syscall(newer_nr, 0, 0, 0, 0, 0);
}
static long probe_clone3(void)
{
	return syscall(SYS_clone3, NULL, 0);
}
static long probe_fsopen(void)
{
	return syscall(SYS_fsopen, "tmpfs", 0);
}
static long probe_getpid(void)
{
	return getpid();
}

/* ioctls on /dev/null: if the filter let one through, the kernel would
 * only answer ENOTTY, never type into a terminal. */
static long ioctl_on_null(unsigned long request, void *arg)
{
	_cleanup_close_ int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	return syscall(SYS_ioctl, fd, request, arg);
}
static long probe_tiocsti(void)
{
	return ioctl_on_null(TIOCSTI, &(char){ 'x' });
}
static long probe_tiocsti_high_bits(void)
{
	return ioctl_on_null((1UL << 32) | TIOCSTI, &(char){ 'x' });
}
static long probe_tioclinux(void)
{
	return ioctl_on_null(TIOCLINUX, &(char){ 3 /* TIOCL_PASTESEL */ });
}
static long probe_fionread(void)
{
	int fds[2], n = -1;
	if (pipe2(fds, O_CLOEXEC) < 0 || write(fds[1], "abc", 3) != 3)
		return -1;
	long r = ioctl(fds[0], FIONREAD, &n);
	return r < 0 ? r : n == 3 ? 0 : (errno = EBADMSG, -1);
}

static long probe_unshare_userns(void)
{
	return unshare(CLONE_NEWUSER);
}
static long probe_clone_userns(void)
{
	long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return pid;
}

static long probe_socket(int domain, int type, int protocol)
{
	int fd = socket(domain, type | SOCK_CLOEXEC, protocol);
	if (fd >= 0)
		close(fd);
	return fd;
}
static long probe_netlink_audit(void)
{
	return probe_socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT);
}
static long probe_netlink_route(void)
{
	return probe_socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
}
static long probe_af_alg(void)
{
	return probe_socket(AF_ALG, SOCK_SEQPACKET, 0);
}
static long probe_af_alg_high_bits(void)
{
	return syscall(SYS_socket, (1UL << 32) | AF_ALG, SOCK_SEQPACKET, 0);
}
static long probe_af_vsock(void)
{
	return probe_socket(AF_VSOCK, SOCK_STREAM, 0);
}
static long probe_af_unix(void)
{
	return probe_socket(AF_UNIX, SOCK_STREAM, 0);
}
static long probe_af_inet(void)
{
	return probe_socket(AF_INET, SOCK_DGRAM, 0);
}

static long probe_personality_linux32(void)
{
	return personality(PER_LINUX32);
}
static long probe_personality_query(void)
{
	return personality(0xffffffff);
}
static long probe_personality_no_randomize(void)
{
	return personality(ADDR_NO_RANDOMIZE);
}

/* ---- ordinary work ------------------------------------------------------ */

static char tmpdir[] = "/tmp/x86ns-test-seccomp.XXXXXX";

static long probe_file_io(void)
{
	char path[64], buf[8] = { 0 };
	snprintf(path, sizeof(path), "%s/file", tmpdir);
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, "guest", 5) != 5 || lseek(fd, 0, SEEK_SET) != 0 ||
	    read(fd, buf, sizeof(buf)) != 5)
		return -1;
	return strcmp(buf, "guest") == 0 ? 0 : (errno = EBADMSG, -1);
}
static long probe_fork_wait(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 7 ? 0 : (errno = ECHILD, -1);
}
/* Job control and sessions: every shell, sshd and systemd. */
static long probe_setsid_setpgid(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(setsid() < 0 ? errno : 0);
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return errno = WIFEXITED(status) ? WEXITSTATUS(status) : ECHILD, -1;
	return setpgid(0, 0);
}
static long probe_exec(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exit 5", (char *)NULL);
		_exit(127);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 5 ? 0 : (errno = ECHILD, -1);
}
static long probe_mmap(void)
{
	void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	memset(p, 1, 1 << 20);
	if (mprotect(p, 4096, PROT_READ) < 0)
		return -1;
	return munmap(p, 1 << 20);
}
/* What x86ns-shell and `x86nsctl exec` do after loading the filter. The
 * shell holds its capabilities from setns(2) with its own uid, so the
 * uid change keeps them until container_become drops them; root here
 * emulates that with SECBIT_NO_SETUID_FIXUP. */
static long probe_become_user(void)
{
	if (prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP) < 0)
		return -1;
	return libc_result(container_become(65534, 65534));
}
static long probe_become_root(void)
{
	return libc_result(container_become(0, 0));
}

/* Without CAP_SYS_ADMIN and without no_new_privs the kernel refuses. */
static long probe_apply_unprivileged(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
	    setresuid(65534, 65534, 65534) < 0)
		return -1;
	return libc_result(seccomp_apply_guest_filter(0));
}

/* 0 when /proc/self/status has every line of `want`, else -1/ENOENT. */
static long status_has(const char *const *want, size_t n)
{
	char buf[4096];
	_cleanup_close_ int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t len = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (len < 0)
		return -1;
	buf[len] = '\0';
	for (size_t i = 0; i < n; i++)
		if (!strstr(buf, want[i]))
			return errno = ENOENT, -1;
	return 0;
}
static long probe_status_filtered(void)
{
	static const char *const want[] = { "\nSeccomp:\t2\n", "\nNoNewPrivs:\t0\n" };
	return status_has(want, ARRAY_SIZE(want));
}
static long probe_status_unfiltered(void)
{
	static const char *const want[] = { "\nSeccomp:\t0\n" };
	return status_has(want, ARRAY_SIZE(want));
}

/* ---- other ABIs on x86-64 ------------------------------------------------ */

#ifdef __x86_64__
/* i386 system call numbers */
#define I386_getpid     20
#define I386_socketcall 102
#define I386_keyctl     288
#define I386_unshare    310
#define I386_socket     359
#define I386_SYS_SOCKET 1 /* socketcall's "call" */
#define X32_keyctl      (0x40000000 | 250)

static long int80(long nr, long a, long b, long c)
{
	long r;
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return libc_result(r);
}
static long probe_i386_getpid(void)
{
	long r = int80(I386_getpid, 0, 0, 0);
	return r < 0 ? r : r == getpid() ? 0 : (errno = ESRCH, -1);
}
static long probe_i386_keyctl(void)
{
	return int80(I386_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
}
static long probe_i386_unshare_userns(void)
{
	return int80(I386_unshare, CLONE_NEWUSER, 0, 0);
}
static long probe_i386_socket(void)
{
	long fd = int80(I386_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		close((int)fd);
	return fd;
}
/* socketcall reads its arguments from memory the 32-bit ABI can address. */
static long probe_i386_socketcall(void)
{
	unsigned *args = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (args == MAP_FAILED)
		return -1;
	args[0] = AF_UNIX;
	args[1] = SOCK_STREAM | SOCK_CLOEXEC;
	args[2] = 0;
	long fd = int80(I386_socketcall, I386_SYS_SOCKET, (long)(uintptr_t)args, 0);
	if (fd >= 0)
		close((int)fd);
	return fd;
}
static long probe_x32_keyctl(void)
{
	return syscall(X32_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
}

static void test_other_abis(void)
{
	struct outcome bare = run(UNFILTERED, probe_i386_getpid);
	if (bare.signal || bare.ret < 0) {
		printf(
		    "ok - i386 ABI # SKIP the kernel runs no i386 calls (IA-32 emulation off)\n");
	} else {
		expect_success("i386 getpid (int $0x80)", 0, probe_i386_getpid);
		expect_errno("i386 keyctl (int $0x80, 288)", 0, probe_i386_keyctl, EPERM);
		expect_errno("i386 unshare(CLONE_NEWUSER) (int $0x80, 310)", 0,
			     probe_i386_unshare_userns, EPERM);
		expect_success("i386 socket(AF_UNIX) (359)", 0, probe_i386_socket);
		expect_success("i386 socketcall(SYS_SOCKET, AF_UNIX)", 0, probe_i386_socketcall);
	}
	/* x32 is not in the filter: the bad-ABI action kills the process. */
	struct outcome o = run(0, probe_x32_keyctl);
	char reason[128];
	describe(&o, reason, sizeof(reason));
	tap_check(o.apply == 0 && o.signal == SIGSYS, reason,
		  "x32 keyctl (0x40000000|250) kills the process with SIGSYS");
}
#else
static void test_other_abis(void)
{
	printf("ok - i386 and x32 ABIs # SKIP not an x86-64 build\n");
}
#endif

/* A number above libseccomp's table that this kernel implements: the
 * "syscall newer than the list" case, which must fall back to ENOSYS. */
static void find_newer_syscall(void)
{
	for (long nr = 400; nr < 500 && newer_nr < 0; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(seccomp_arch_native(), (int)nr);
		if (name) {
			free(name);
			continue;
		}
		newer_nr = nr;
		struct outcome bare = run(UNFILTERED, probe_newer);
		if (bare.signal || (bare.ret < 0 && bare.err == ENOSYS))
			newer_nr = -1;
	}
}

/* Names newer than libseccomp 2.5.4 (Debian 12), which skips them. */
static const char *const newer_names[] = {
	"file_getattr",      "file_setattr",     "getxattrat",        "listmount", "listxattrat",
	"lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr", "mseal",     "open_tree_attr",
	"removexattrat",     "setxattrat",       "statmount",         "uprobe",    "uretprobe",
};

static void check_name(const char *name, char *unknown, size_t size)
{
	if (seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(newer_names); i++)
		if (strcmp(name, newer_names[i]) == 0)
			return;
	size_t len = strlen(unknown);
	snprintf(unknown + len, size - len, "%s%s", len ? ", " : "unknown: ", name);
}

/* A misspelt name would be skipped quietly and deny the call it meant. */
static void test_names(void)
{
	char unknown[512] = "";
	for (size_t g = 0; g < guest_allowed_count; g++)
		for (size_t i = 0; i < guest_allowed[g].n_calls; i++)
			check_name(guest_allowed[g].calls[i], unknown, sizeof(unknown));
	for (size_t i = 0; i < guest_denied_count; i++)
		check_name(guest_denied[i].name, unknown, sizeof(unknown));
	for (size_t i = 0; i < guest_arg_rules_count; i++)
		check_name(guest_arg_rules[i].name, unknown, sizeof(unknown));
	for (size_t i = 0; i < guest_otherwise_count; i++)
		check_name(guest_otherwise[i].name, unknown, sizeof(unknown));
	tap_check(unknown[0] == '\0', unknown,
		  "every name in the policy is known to libseccomp or listed as newer");
}

/* ---- the embedded programs ---------------------------------------------- */

/* The instructions the kernel's seccomp_is_const_allow() follows when it
 * prepares its per-call action cache; any other ends its walk. */
static bool in_cache_walk(uint16_t code)
{
	switch (code) {
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_RET | BPF_K:
	case BPF_ALU | BPF_AND | BPF_K:
	case BPF_JMP | BPF_JA:
	case BPF_JMP | BPF_JEQ | BPF_K:
	case BPF_JMP | BPF_JGE | BPF_K:
	case BPF_JMP | BPF_JGT | BPF_K:
	case BPF_JMP | BPF_JSET | BPF_K: return true;
	default: return false;
	}
}

/* Runs a classic BPF program on `d` as the kernel does, for the
 * instructions libseccomp emits: the action, or -EOPNOTSUPP and -EFAULT
 * for an instruction outside that set or a walk off the end. With
 * `constant`, as seccomp_is_const_allow() does: only the number and the
 * ABI are known, and any other load or instruction is -ENODATA. `steps`
 * counts the instructions run. */
static int64_t bpf_run(const struct sock_filter *insns, size_t n, const struct seccomp_data *d,
		       bool constant, unsigned *steps)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *f = &insns[pc];
		uint32_t k = f->k, v = BPF_SRC(f->code) == BPF_X ? x : k;
		bool taken;
		(*steps)++;
		if (constant && !in_cache_walk(f->code))
			return -ENODATA;
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (constant && k != offsetof(struct seccomp_data, nr) &&
			    k != offsetof(struct seccomp_data, arch))
				return -ENODATA;
			if (k % 4 || k > sizeof(*d) - 4)
				return -EOPNOTSUPP;
			memcpy(&a, (const char *)d + k, sizeof(a));
			continue;
		case BPF_LD | BPF_IMM: a = k; continue;
		case BPF_LDX | BPF_IMM: x = k; continue;
		case BPF_LD | BPF_MEM: a = mem[k % BPF_MEMWORDS]; continue;
		case BPF_LDX | BPF_MEM: x = mem[k % BPF_MEMWORDS]; continue;
		case BPF_ST: mem[k % BPF_MEMWORDS] = a; continue;
		case BPF_STX: mem[k % BPF_MEMWORDS] = x; continue;
		case BPF_MISC | BPF_TAX: x = a; continue;
		case BPF_MISC | BPF_TXA: a = x; continue;
		case BPF_ALU | BPF_AND | BPF_K: a &= k; continue;
		case BPF_ALU | BPF_OR | BPF_K: a |= k; continue;
		case BPF_RET | BPF_K: return k;
		case BPF_RET | BPF_A: return a;
		case BPF_JMP | BPF_JA: pc += k; continue;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JEQ | BPF_X: taken = a == v; break;
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_X: taken = a > v; break;
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_X: taken = a >= v; break;
		case BPF_JMP | BPF_JSET | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_X: taken = (a & v) != 0; break;
		default: return -EOPNOTSUPP;
		}
		pc += taken ? f->jt : f->jf;
	}
	return -EFAULT;
}

struct program {
	struct sock_filter *insns;
	size_t len;
};

static int build_program(unsigned relax, int optimize, struct program *p)
{
	scmp_filter_ctx ctx;
	int r = seccomp_build_guest_filter(relax, optimize, &ctx);
	if (r < 0)
		return r;
	r = seccomp_export_program(ctx, &p->insns, &p->len);
	seccomp_release(ctx);
	return r;
}

/* Argument sets for the calls the filter inspects: each rule's values as
 * they are, with the high 32 bits set and with one compared bit flipped,
 * and pseudo-random mixes of those values. */
static uint64_t arg_sets[128][6];
static size_t n_arg_sets;

static void make_arg_sets(void)
{
	uint64_t pool[64] = { 0, 1, 0xffffffffULL, ~0ULL, 1ULL << 32, CLONE_NEWUSER | SIGCHLD };
	size_t n_pool = 6;
	n_arg_sets = 1; /* all zero */
	/* three sets per rule, a quarter of the room at least left for mixes */
	for (size_t i = 0; i < guest_arg_rules_count && n_arg_sets + 3 <= 96; i++) {
		const struct syscall_arg_rule *rule = &guest_arg_rules[i];
		uint64_t *same = arg_sets[n_arg_sets++], *high = arg_sets[n_arg_sets++],
			 *flipped = arg_sets[n_arg_sets++];
		for (unsigned c = 0; c < rule->n_cmp; c++) {
			const struct scmp_arg_cmp *cmp = &rule->cmp[c];
			same[cmp->arg] = cmp->datum_b;
			high[cmp->arg] = cmp->datum_b | 0xdeadbeef00000000ULL;
			flipped[cmp->arg] = cmp->datum_b ^ (cmp->datum_a & -cmp->datum_a);
			if (n_pool + 2 <= ARRAY_SIZE(pool)) {
				pool[n_pool++] = same[cmp->arg];
				pool[n_pool++] = flipped[cmp->arg];
			}
		}
	}
	uint32_t seed = 1;
	for (; n_arg_sets < ARRAY_SIZE(arg_sets); n_arg_sets++)
		for (unsigned i = 0; i < 6; i++, seed = seed * 1103515245 + 12345)
			arg_sets[n_arg_sets][i] = pool[(seed >> 16) % n_pool];
}

/* The binary tree (GUEST_FILTER_OPTIMIZE) must decide every call as
 * libseccomp's plain list of numbers does, and leave the kernel's action
 * cache the same calls: for every number up to 1023 (and with the x32
 * bit), -1, in the native, compat and a foreign ABI. A call whose decision
 * needs no argument is compared once, the others for every argument set. */
static void test_tree(unsigned relax, const struct program *tree)
{
	struct program list = { 0 };
	int r = build_program(relax, 1, &list);
	uint32_t native = seccomp_arch_native(), archs[3] = { native, 0, SCMP_ARCH_AARCH64 };
	if (native == SCMP_ARCH_AARCH64)
		archs[2] = SCMP_ARCH_X86_64;
	for (size_t i = 0; i < guest_abis_count; i++)
		if (guest_abis[i].native == native)
			archs[1] = guest_abis[i].compat;
	size_t calls = 0, differ = 0, cache_differ = 0, cached = 0;
	uint64_t steps_tree = 0, steps_list = 0;
	char first[160] = "", first_cache[80] = "";
	for (size_t ai = 0; r == 0 && ai < ARRAY_SIZE(archs); ai++) {
		if (archs[ai] == 0)
			continue;
		for (int64_t i = -1; i < 2048; i++) {
			int nr = i < 1024 ? (int)i : (int)(0x40000000 | (i - 1024));
			struct seccomp_data d = { .nr = nr, .arch = archs[ai] };
			unsigned st = 0, sl = 0;
			int64_t t = bpf_run(tree->insns, tree->len, &d, true, &st);
			int64_t l = bpf_run(list.insns, list.len, &d, true, &sl);
			calls++;
			if (ai == 0 && i >= 0 && i < 1024)
				steps_tree += st, steps_list += sl;
			cached += t == SECCOMP_RET_ALLOW;
			if ((t == SECCOMP_RET_ALLOW) != (l == SECCOMP_RET_ALLOW) && !cache_differ++)
				snprintf(first_cache, sizeof(first_cache),
					 "first: call %d of ABI 0x%x", nr, d.arch);
			size_t sets = t >= 0 && l >= 0 ? 1 : n_arg_sets;
			for (size_t s = 0; s < sets; s++) {
				memcpy(d.args, arg_sets[s], sizeof(d.args));
				if (sets > 1) {
					t = bpf_run(tree->insns, tree->len, &d, false, &st);
					l = bpf_run(list.insns, list.len, &d, false, &sl);
				}
				if ((t != l || t < 0) && !differ++)
					snprintf(
					    first, sizeof(first),
					    "call %d of ABI 0x%x, argument set %zu: tree 0x%llx, "
					    "list 0x%llx",
					    nr, d.arch, s, (long long)t, (long long)l);
			}
		}
	}
	if (r < 0)
		snprintf(first, sizeof(first), "libseccomp: %s", strerror(-r));
	printf("# relax 0x%x: %zu and %zu instructions; a native call runs %.1f of the tree's, "
	       "%.1f of the list's\n",
	       relax, tree->len, list.len, steps_tree / 1024.0, steps_list / 1024.0);
	tap_check(r == 0 && differ == 0, first,
		  "relax 0x%x: the binary tree decides %zu calls as the plain list does, "
		  "%zu argument sets each where it looks at them",
		  relax, calls, n_arg_sets);
	tap_check(r == 0 && cache_differ == 0 && cached > 0, r < 0 ? first : first_cache,
		  "relax 0x%x: the kernel's action cache skips the filter for the same %zu calls",
		  relax, cached);
	free(list.insns);
}

/* The programs x86ns loads are the filters the tables describe, as this
 * libseccomp builds them: a stale lib/seccomp-programs.c, or a
 * libseccomp that builds differently from the one of the build, fails. */
static void test_programs(void)
{
	unsigned mask = seccomp_guest_relax_mask();
	if (mask != seccomp_programs_relax_mask) {
		tap_check(false, "run make to regenerate lib/seccomp-programs.c",
			  "the tables depend on relax bits 0x%x, the embedded programs on 0x%x",
			  mask, seccomp_programs_relax_mask);
		return;
	}
	make_arg_sets();
	for (unsigned relax = 0; relax <= mask; relax++) {
		if (relax & ~mask)
			continue;
		const struct seccomp_program *embedded = &seccomp_programs[relax];
		struct program built = { 0 };
		char reason[160] = "";
		int r = build_program(relax, GUEST_FILTER_OPTIMIZE, &built);
		const struct scmp_version *v = seccomp_version();
		size_t same = 0;
		while (r == 0 && same < built.len && same < embedded->len &&
		       !memcmp(&built.insns[same], &embedded->insns[same], sizeof(*built.insns)))
			same++;
		if (r < 0)
			snprintf(reason, sizeof(reason), "libseccomp: %s", strerror(-r));
		else
			snprintf(reason, sizeof(reason),
				 "libseccomp %u.%u.%u builds %zu instructions, the first %zu the "
				 "same: run make to regenerate lib/seccomp-programs.c",
				 v->major, v->minor, v->micro, built.len, same);
		tap_check(r == 0 && built.len == embedded->len && same == built.len, reason,
			  "relax 0x%x: the embedded program (%u instructions) is what libseccomp "
			  "builds from the tables",
			  relax, embedded->len);
		if (r == 0)
			test_tree(relax, &built);
		free(built.insns);
	}
}

static void test_denied(void)
{
	expect_errno("keyctl", 0, probe_keyctl, EPERM);
	expect_errno("add_key", 0, probe_add_key, EPERM);
	expect_errno("open_by_handle_at", 0, probe_open_by_handle_at, EPERM);
	expect_errno("bpf", 0, probe_bpf, EPERM);
	expect_errno("perf_event_open", 0, probe_perf_event_open, EPERM);
	expect_errno("userfaultfd", 0, probe_userfaultfd, EPERM);
	expect_errno("io_uring_setup", 0, probe_io_uring_setup, EPERM);
	expect_kernel_answer("io_uring_setup with RELAX_IO_URING", RELAX_IO_URING,
			     probe_io_uring_setup);
	expect_errno("system call 1000", 0, probe_syscall_1000, ENOSYS);
	find_newer_syscall();
	if (newer_nr < 0) {
		printf("ok - a system call newer than libseccomp # SKIP none in this kernel\n");
	} else {
		char what[64];
		snprintf(what, sizeof(what), "system call %ld (newer than libseccomp)", newer_nr);
		expect_errno(what, 0, probe_newer, ENOSYS);
	}
	expect_errno("fsopen", 0, probe_fsopen, ENOSYS);
}

static void test_arguments(void)
{
	expect_errno("ioctl(TIOCSTI)", 0, probe_tiocsti, EPERM);
	expect_errno("ioctl((1<<32)|TIOCSTI)", 0, probe_tiocsti_high_bits, EPERM);
	expect_errno("ioctl(TIOCLINUX)", 0, probe_tioclinux, EPERM);
	expect_success("ioctl(FIONREAD) on a pipe", 0, probe_fionread);
	expect_errno("socket(AF_NETLINK, NETLINK_AUDIT)", 0, probe_netlink_audit, EAFNOSUPPORT);
	expect_success("socket(AF_NETLINK, NETLINK_ROUTE)", 0, probe_netlink_route);
	expect_errno("socket(AF_ALG)", 0, probe_af_alg, EPERM);
	expect_errno("socket((1<<32)|AF_ALG)", 0, probe_af_alg_high_bits, EPERM);
	expect_errno("socket(AF_VSOCK)", 0, probe_af_vsock, EPERM);
	expect_success("socket(AF_UNIX)", 0, probe_af_unix);
	expect_success("socket(AF_INET, SOCK_DGRAM)", 0, probe_af_inet);
	expect_success("personality(PER_LINUX32)", 0, probe_personality_linux32);
	expect_success("personality(0xffffffff) (query)", 0, probe_personality_query);
	expect_errno("personality(ADDR_NO_RANDOMIZE)", 0, probe_personality_no_randomize, EPERM);
}

static void test_nested_userns(void)
{
	expect_errno("unshare(CLONE_NEWUSER)", 0, probe_unshare_userns, EPERM);
	expect_errno("clone(CLONE_NEWUSER)", 0, probe_clone_userns, EPERM);
	expect_errno("clone3", 0, probe_clone3, ENOSYS);
	expect_success("unshare(CLONE_NEWUSER) with RELAX_NESTED_USERNS", RELAX_NESTED_USERNS,
		       probe_unshare_userns);
	expect_success("clone(CLONE_NEWUSER) with RELAX_NESTED_USERNS", RELAX_NESTED_USERNS,
		       probe_clone_userns);
	expect_kernel_answer("clone3 with RELAX_NESTED_USERNS", RELAX_NESTED_USERNS, probe_clone3);
}

static void test_ordinary(void)
{
	expect_success("getpid", 0, probe_getpid);
	expect_success("open, write, lseek and read a file", 0, probe_file_io);
	expect_success("fork and wait", 0, probe_fork_wait);
	expect_success("setsid and setpgid", 0, probe_setsid_setpgid);
	expect_success("execve of /bin/sh", 0, probe_exec);
	expect_success("mmap, mprotect and munmap", 0, probe_mmap);
	expect_success("container_become(guest user) after the filter", 0, probe_become_user);
	expect_success("container_become(guest root) after the filter", 0, probe_become_root);
}

static void test_state(void)
{
	expect_success("/proc/self/status: Seccomp 2 and NoNewPrivs 0", 0, probe_status_filtered);
	expect_success("RELAX_SECCOMP loads nothing (Seccomp 0)", RELAX_SECCOMP,
		       probe_status_unfiltered);
	expect_kernel_answer("keyctl with RELAX_SECCOMP", RELAX_SECCOMP, probe_keyctl);
	expect_errno("loading without CAP_SYS_ADMIN nor no_new_privs", UNFILTERED,
		     probe_apply_unprivileged, EACCES);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("not ok - test-seccomp must run as root\n");
		return 1;
	}
	if (!mkdtemp(tmpdir)) {
		printf("not ok - test setup: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_names();
	test_programs();
	test_denied();
	test_arguments();
	test_nested_userns();
	test_ordinary();
	test_state();
	test_other_abis();
	char path[64];
	snprintf(path, sizeof(path), "%s/file", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	return tap_exit();
}
