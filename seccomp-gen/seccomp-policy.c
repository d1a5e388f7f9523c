/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest's system call policy: what seccomp-build.c builds the filter
 * from, at build time (seccomp-gen/seccomp-gen).
 * Names are libseccomp's; one this libseccomp does not know is skipped
 * (tests/unit/test-seccomp lists the few that may be unknown, so a typo
 * fails the test instead of quietly denying a call).
 *
 * Sources, for facts only (no text or code is taken from them): the
 * system call groups and the container allow-list of systemd-nspawn
 * (src/shared/seccomp-util.c, src/nspawn/nspawn-seccomp.c), the default
 * profile of Docker/Moby (profiles/seccomp/default.json), and Flatpak's
 * filter (ENOSYS for clone3 and the new mount API, the masked TIOCSTI
 * rule). Background: the x86ns security research (security-anchors.md,
 * section 3.2, and tests 8-11, 16, 17 there). */
#include "seccomp-policy.h"
#include "confine.h"
#include "util.h"

#include <errno.h>
#include <linux/netlink.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* What a guest may call. Grouped like systemd's @groups; names a given
 * libseccomp does not know, or that an ABI lacks (the i386-only *32 and
 * *_time64 calls, arm's set_tls), are skipped for that ABI. ioctl, socket,
 * personality, clone, unshare and clone3 are narrowed by the tables
 * below. Everything the guest needs: systemd 252 as PID 1 with journald,
 * logind, dbus and cron, sshd, bash, coreutils, apt/dpkg, python3, gcc,
 * and qemu-user as translator (it makes host calls for the guest: mmap,
 * mprotect, clone, futex, rt_sig*, set_robust_list, rseq, ...).
 *
 * Deliberately left out, so they fail with ENOSYS:
 *  - @obsolete and unimplemented calls: _sysctl, afs_syscall, bdflush,
 *    break, epoll_ctl_old, epoll_wait_old, ftime, getpmsg, gtty, idle,
 *    lock, mpx, prof, profil, putpmsg, security, sgetmask, ssetmask, stty,
 *    sysfs, tuxcall, ulimit, uselib, ustat, vserver, vm86, vm86old;
 *  - the new mount API (denied below, ENOSYS).
 * Allowed on purpose: ptrace, process_vm_readv/writev and kcmp (Docker
 * allows ptrace since Linux 4.8; joining processes are not dumpable), and
 * mount, umount2, pivot_root, chroot, sethostname, setdomainname and
 * reboot, which the guest's systemd needs: the user namespace bounds what
 * they reach, and reboot(2) in a PID namespace only ends the container.
 * adjtimex and clock_adjtime change the clock only with CAP_SYS_TIME in
 * the initial user namespace; guests read the NTP state with them. */

/* @default: what every program does */
static const char *const allow_default[] = { "arch_prctl",
					     "brk",
					     "cacheflush",
					     "clock_getres",
					     "clock_getres_time64",
					     "clock_gettime",
					     "clock_gettime64",
					     "clock_nanosleep",
					     "clock_nanosleep_time64",
					     "execve",
					     "exit",
					     "exit_group",
					     "futex",
					     "futex_requeue",
					     "futex_time64",
					     "futex_wait",
					     "futex_waitv",
					     "futex_wake",
					     "get_robust_list",
					     "get_thread_area",
					     "getegid",
					     "getegid32",
					     "geteuid",
					     "geteuid32",
					     "getgid",
					     "getgid32",
					     "getgroups",
					     "getgroups32",
					     "getpgid",
					     "getpgrp",
					     "getpid",
					     "getppid",
					     "getrandom",
					     "getresgid",
					     "getresgid32",
					     "getresuid",
					     "getresuid32",
					     "getrlimit",
					     "getsid",
					     "gettid",
					     "gettimeofday",
					     "getuid",
					     "getuid32",
					     "lsm_get_self_attr",
					     "lsm_list_modules",
					     "membarrier",
					     "mmap",
					     "mmap2",
					     "mprotect",
					     "munmap",
					     "nanosleep",
					     "pause",
					     "prlimit64",
					     "restart_syscall",
					     "rseq",
					     "rt_sigreturn",
					     "sched_getaffinity",
					     "sched_yield",
					     "set_robust_list",
					     "set_thread_area",
					     "set_tid_address",
					     "set_tls",
					     "sigreturn",
					     "time",
					     "ugetrlimit",
					     "uname",
					     "olduname",
					     "oldolduname",
					     "sysinfo",
					     "uretprobe",
					     "uprobe" };
/* @basic-io */
static const char *const allow_basic_io[] = { "_llseek",  "close",   "close_range", "dup",
					      "dup2",     "dup3",    "lseek",       "pread64",
					      "preadv",   "preadv2", "pwrite64",    "pwritev",
					      "pwritev2", "read",    "readv",       "write",
					      "writev" };
/* @file-system */
static const char *const allow_file_system[] = { "access",
						 "chdir",
						 "chmod",
						 "creat",
						 "faccessat",
						 "faccessat2",
						 "fallocate",
						 "fchdir",
						 "fchmod",
						 "fchmodat",
						 "fchmodat2",
						 "fcntl",
						 "fcntl64",
						 "fgetxattr",
						 "flistxattr",
						 "fremovexattr",
						 "fsetxattr",
						 "fstat",
						 "fstat64",
						 "fstatat64",
						 "fstatfs",
						 "fstatfs64",
						 "ftruncate",
						 "ftruncate64",
						 "futimesat",
						 "getcwd",
						 "getdents",
						 "getdents64",
						 "getxattr",
						 "getxattrat",
						 "inotify_add_watch",
						 "inotify_init",
						 "inotify_init1",
						 "inotify_rm_watch",
						 "lgetxattr",
						 "link",
						 "linkat",
						 "listxattr",
						 "listxattrat",
						 "llistxattr",
						 "lremovexattr",
						 "lsetxattr",
						 "lstat",
						 "lstat64",
						 "mkdir",
						 "mkdirat",
						 "mknod",
						 "mknodat",
						 "newfstatat",
						 "oldfstat",
						 "oldlstat",
						 "oldstat",
						 "open",
						 "openat",
						 "openat2",
						 "readdir",
						 "readlink",
						 "readlinkat",
						 "removexattr",
						 "removexattrat",
						 "rename",
						 "renameat",
						 "renameat2",
						 "rmdir",
						 "setxattr",
						 "setxattrat",
						 "stat",
						 "stat64",
						 "statfs",
						 "statfs64",
						 "statx",
						 "symlink",
						 "symlinkat",
						 "truncate",
						 "truncate64",
						 "umask",
						 "unlink",
						 "unlinkat",
						 "utime",
						 "utimensat",
						 "utimensat_time64",
						 "utimes",
						 "file_getattr",
						 "file_setattr",
						 "name_to_handle_at",
						 "fanotify_mark",
						 "flock",
						 "cachestat",
						 "readahead",
						 "fadvise64",
						 "fadvise64_64",
						 "arm_fadvise64_64",
						 "copy_file_range",
						 "sendfile",
						 "sendfile64",
						 "splice",
						 "tee",
						 "vmsplice" };
/* @io-event */
static const char *const allow_io_event[] = { "_newselect", "epoll_create",    "epoll_create1",
					      "epoll_ctl",  "epoll_pwait",     "epoll_pwait2",
					      "epoll_wait", "eventfd",         "eventfd2",
					      "poll",       "ppoll",           "ppoll_time64",
					      "pselect6",   "pselect6_time64", "select" };
/* @ipc */
static const char *const allow_ipc[] = { "ipc",
					 "memfd_create",
					 "mq_getsetattr",
					 "mq_notify",
					 "mq_open",
					 "mq_timedreceive",
					 "mq_timedreceive_time64",
					 "mq_timedsend",
					 "mq_timedsend_time64",
					 "mq_unlink",
					 "msgctl",
					 "msgget",
					 "msgrcv",
					 "msgsnd",
					 "pipe",
					 "pipe2",
					 "process_madvise",
					 "process_vm_readv",
					 "process_vm_writev",
					 "semctl",
					 "semget",
					 "semop",
					 "semtimedop",
					 "semtimedop_time64",
					 "shmat",
					 "shmctl",
					 "shmdt",
					 "shmget" };
/* @network-io */
static const char *const allow_network_io[] = {
	"accept",     "accept4", "bind",       "connect",   "getpeername", "getsockname",
	"getsockopt", "listen",  "recv",       "recvfrom",  "recvmmsg",    "recvmmsg_time64",
	"recvmsg",    "send",    "sendmmsg",   "sendmsg",   "sendto",      "setsockopt",
	"shutdown",   "socket",  "socketcall", "socketpair"
};
/* @process */
static const char *const allow_process[] = { "capget",
					     "capset",
					     "clone",
					     "clone3",
					     "execveat",
					     "fork",
					     "getrusage",
					     "kcmp",
					     "kill",
					     "landlock_add_rule",
					     "landlock_create_ruleset",
					     "landlock_restrict_self",
					     "lsm_set_self_attr",
					     "personality",
					     "pidfd_getfd",
					     "pidfd_open",
					     "pidfd_send_signal",
					     "prctl",
					     "setpgid",
					     "setsid",
					     "process_mrelease",
					     "ptrace",
					     "seccomp",
					     "setns",
					     "tgkill",
					     "times",
					     "tkill",
					     "unshare",
					     "vfork",
					     "wait4",
					     "waitid",
					     "waitpid",
					     "modify_ldt" };
/* @signal */
static const char *const allow_signal[] = { "rt_sigaction",
					    "rt_sigpending",
					    "rt_sigprocmask",
					    "rt_sigqueueinfo",
					    "rt_sigsuspend",
					    "rt_sigtimedwait",
					    "rt_sigtimedwait_time64",
					    "rt_tgsigqueueinfo",
					    "sigaction",
					    "sigaltstack",
					    "signal",
					    "signalfd",
					    "signalfd4",
					    "sigpending",
					    "sigprocmask",
					    "sigsuspend" };
/* @timer */
static const char *const allow_timer[] = { "alarm",
					   "getitimer",
					   "setitimer",
					   "timer_create",
					   "timer_delete",
					   "timer_getoverrun",
					   "timer_gettime",
					   "timer_gettime64",
					   "timer_settime",
					   "timer_settime64",
					   "timerfd_create",
					   "timerfd_gettime",
					   "timerfd_gettime64",
					   "timerfd_settime",
					   "timerfd_settime64" };
/* @sync */
static const char *const allow_sync[] = {
	"fdatasync",           "fsync", "msync", "sync", "sync_file_range", "sync_file_range2",
	"arm_sync_file_range", "syncfs"
};
/* @aio (io_uring_* denied below unless io-uring = allow) */
static const char *const allow_aio[] = {
	"io_cancel", "io_destroy", "io_getevents",   "io_pgetevents",     "io_pgetevents_time64",
	"io_setup",  "io_submit",  "io_uring_enter", "io_uring_register", "io_uring_setup"
};
/* @chown */
static const char *const allow_chown[] = { "chown",    "chown32", "fchown",  "fchown32",
					   "fchownat", "lchown",  "lchown32" };
/* @mount: the classic calls, bounded by the user namespace */
static const char *const allow_mount[] = { "chroot",  "mount",     "pivot_root", "umount",
					   "umount2", "statmount", "listmount" };
/* @memory */
static const char *const allow_memory[] = { "get_mempolicy",
					    "madvise",
					    "map_shadow_stack",
					    "mbind",
					    "memfd_secret",
					    "migrate_pages",
					    "mincore",
					    "mlock",
					    "mlock2",
					    "mlockall",
					    "move_pages",
					    "mremap",
					    "mseal",
					    "munlock",
					    "munlockall",
					    "pkey_alloc",
					    "pkey_free",
					    "pkey_mprotect",
					    "remap_file_pages",
					    "set_mempolicy",
					    "set_mempolicy_home_node" };
/* @resources */
static const char *const allow_resources[] = { "getcpu",
					       "getpriority",
					       "ioprio_get",
					       "ioprio_set",
					       "nice",
					       "sched_get_priority_max",
					       "sched_get_priority_min",
					       "sched_getattr",
					       "sched_getparam",
					       "sched_getscheduler",
					       "sched_rr_get_interval",
					       "sched_rr_get_interval_time64",
					       "sched_setaffinity",
					       "sched_setattr",
					       "sched_setparam",
					       "sched_setscheduler",
					       "setpriority",
					       "setrlimit" };
/* @setuid */
static const char *const allow_setuid[] = { "setfsgid",  "setfsgid32",  "setfsuid",  "setfsuid32",
					    "setgid",    "setgid32",    "setgroups", "setgroups32",
					    "setregid",  "setregid32",  "setresgid", "setresgid32",
					    "setresuid", "setresuid32", "setreuid",  "setreuid32",
					    "setuid",    "setuid32" };
/* @system-service: what systemd's units do besides the above */
static const char *const allow_system_service[] = { "ioctl",          "sethostname",
						    "setdomainname",  "reboot",
						    "adjtimex",       "clock_adjtime",
						    "clock_adjtime64" };

const struct syscall_group guest_allowed[] = {
	{ "@default", allow_default, ARRAY_SIZE(allow_default) },
	{ "@basic-io", allow_basic_io, ARRAY_SIZE(allow_basic_io) },
	{ "@file-system", allow_file_system, ARRAY_SIZE(allow_file_system) },
	{ "@io-event", allow_io_event, ARRAY_SIZE(allow_io_event) },
	{ "@ipc", allow_ipc, ARRAY_SIZE(allow_ipc) },
	{ "@network-io", allow_network_io, ARRAY_SIZE(allow_network_io) },
	{ "@process", allow_process, ARRAY_SIZE(allow_process) },
	{ "@signal", allow_signal, ARRAY_SIZE(allow_signal) },
	{ "@timer", allow_timer, ARRAY_SIZE(allow_timer) },
	{ "@sync", allow_sync, ARRAY_SIZE(allow_sync) },
	{ "@aio", allow_aio, ARRAY_SIZE(allow_aio) },
	{ "@chown", allow_chown, ARRAY_SIZE(allow_chown) },
	{ "@mount", allow_mount, ARRAY_SIZE(allow_mount) },
	{ "@memory", allow_memory, ARRAY_SIZE(allow_memory) },
	{ "@resources", allow_resources, ARRAY_SIZE(allow_resources) },
	{ "@setuid", allow_setuid, ARRAY_SIZE(allow_setuid) },
	{ "@system-service", allow_system_service, ARRAY_SIZE(allow_system_service) },
};
const size_t guest_allowed_count = ARRAY_SIZE(guest_allowed);

/* Denied whatever the arguments; these win over the allow-list. Those
 * whose error is ENOSYS (the default) only keep the allow-list off them. */
const struct syscall_deny guest_denied[] = {
	/* @keyring: keyrings are not namespaced (the host's session keyring
	 * of pam_keyinit would be in reach) */
	{ "add_key", EPERM, 0 },
	{ "keyctl", EPERM, 0 },
	{ "request_key", EPERM, 0 },
	/* @module and kexec */
	{ "kexec_load", EPERM, 0 },
	{ "kexec_file_load", EPERM, 0 },
	{ "init_module", EPERM, 0 },
	{ "finit_module", EPERM, 0 },
	{ "delete_module", EPERM, 0 },
	{ "create_module", EPERM, 0 },
	{ "query_module", EPERM, 0 },
	{ "get_kernel_syms", EPERM, 0 },
	/* "Shocker": opens any inode of a mount by handle */
	{ "open_by_handle_at", EPERM, 0 },
	/* bpffs, BPF programs and perf events are not namespaced */
	{ "bpf", EPERM, 0 },
	{ "perf_event_open", EPERM, 0 },
	{ "fanotify_init", EPERM, 0 },
	{ "lookup_dcookie", EPERM, 0 },
	{ "nfsservctl", EPERM, 0 },
	{ "quotactl", EPERM, 0 },
	{ "quotactl_fd", EPERM, 0 },
	/* widens kernel race windows for exploits */
	{ "userfaultfd", EPERM, 0 },
	/* a large kernel attack surface; Docker's default leaves it out */
	{ "io_uring_setup", EPERM, RELAX_IO_URING },
	{ "io_uring_enter", EPERM, RELAX_IO_URING },
	{ "io_uring_register", EPERM, RELAX_IO_URING },
	/* host-wide: swap, accounting, kernel log, port I/O, clock, tty */
	{ "swapon", EPERM, 0 },
	{ "swapoff", EPERM, 0 },
	{ "acct", EPERM, 0 },
	{ "syslog", EPERM, 0 },
	{ "iopl", EPERM, 0 },
	{ "ioperm", EPERM, 0 },
	{ "settimeofday", EPERM, 0 },
	{ "clock_settime", EPERM, 0 },
	{ "clock_settime64", EPERM, 0 },
	{ "stime", EPERM, 0 },
	{ "vhangup", EPERM, 0 },
	/* clone3 passes its flags in memory, out of the filter's sight: as
	 * ENOSYS the C library falls back to clone(2), which is inspected */
	{ "clone3", ENOSYS, RELAX_NESTED_USERNS },
	/* the new mount API (CVE-2022-0185 was in fsconfig under a user
	 * namespace); systemd falls back to mount(2) on ENOSYS */
	{ "fsopen", ENOSYS, 0 },
	{ "fsconfig", ENOSYS, 0 },
	{ "fsmount", ENOSYS, 0 },
	{ "fspick", ENOSYS, 0 },
	{ "open_tree", ENOSYS, 0 },
	{ "open_tree_attr", ENOSYS, 0 },
	{ "move_mount", ENOSYS, 0 },
	{ "mount_setattr", ENOSYS, 0 },
};
const size_t guest_denied_count = ARRAY_SIZE(guest_denied);

/* (argument & mask) == value, on the low 32 bits that the kernel reads
 * for int and unsigned int arguments: a caller cannot slip past a rule by
 * setting the high bits of the 64-bit register (CVE-2019-10063). */
#define ARG_LOW32_EQ(n, v)                                                                         \
	{                                                                                          \
		.arg = (n), .op = SCMP_CMP_MASKED_EQ, .datum_a = 0xffffffffULL, .datum_b = (v)     \
	}
#define ARG_HAS_BITS(n, bits)                                                                      \
	{                                                                                          \
		.arg = (n), .op = SCMP_CMP_MASKED_EQ, .datum_a = (bits), .datum_b = (bits)         \
	}

/* Decisions on arguments: `action` when every comparison holds. TIOCSTI
 * and TIOCLINUX have the same numbers on x86 and arm, in both ABIs. */
const struct syscall_arg_rule guest_arg_rules[] = {
	/* typing into the terminal of whoever reads it next
	 * (CVE-2017-5226, CVE-2019-10063, CVE-2023-28100) */
	{ "ioctl", SCMP_ACT_ERRNO(EPERM), 0, false, 1, { ARG_LOW32_EQ(1, TIOCSTI) } },
	{ "ioctl", SCMP_ACT_ERRNO(EPERM), 0, false, 1, { ARG_LOW32_EQ(1, TIOCLINUX) } },
	/* audit is not namespaced; EAFNOSUPPORT makes it look compiled out */
	{ "socket",
	  SCMP_ACT_ERRNO(EAFNOSUPPORT),
	  0,
	  true,
	  2,
	  { ARG_LOW32_EQ(0, AF_NETLINK), ARG_LOW32_EQ(2, NETLINK_AUDIT) } },
	/* the kernel crypto API and host-guest sockets: attack surface */
	{ "socket", SCMP_ACT_ERRNO(EPERM), 0, true, 1, { ARG_LOW32_EQ(0, AF_ALG) } },
	{ "socket", SCMP_ACT_ERRNO(EPERM), 0, true, 1, { ARG_LOW32_EQ(0, AF_VSOCK) } },
	/* the execution domains a Linux program asks for: native, 32-bit
	 * (PER_LINUX32) and both with UNAME26, plus the query 0xffffffff.
	 * Not ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC and the like. */
	{ "personality", SCMP_ACT_ALLOW, 0, false, 1, { ARG_LOW32_EQ(0, PER_LINUX) } },
	{ "personality", SCMP_ACT_ALLOW, 0, false, 1, { ARG_LOW32_EQ(0, PER_LINUX32) } },
	{ "personality", SCMP_ACT_ALLOW, 0, false, 1, { ARG_LOW32_EQ(0, UNAME26) } },
	{ "personality", SCMP_ACT_ALLOW, 0, false, 1, { ARG_LOW32_EQ(0, UNAME26 | PER_LINUX32) } },
	{ "personality", SCMP_ACT_ALLOW, 0, false, 1, { ARG_LOW32_EQ(0, 0xffffffffU) } },
	/* A nested user namespace gets a full bounding set again (kernel
	 * set_cred_user_ns), which would void the guest's trimmed one. */
	{ "clone",
	  SCMP_ACT_ERRNO(EPERM),
	  RELAX_NESTED_USERNS,
	  false,
	  1,
	  { ARG_HAS_BITS(0, CLONE_NEWUSER) } },
	{ "unshare",
	  SCMP_ACT_ERRNO(EPERM),
	  RELAX_NESTED_USERNS,
	  false,
	  1,
	  { ARG_HAS_BITS(0, CLONE_NEWUSER) } },
};
const size_t guest_arg_rules_count = ARRAY_SIZE(guest_arg_rules);

/* What a call with argument rules does when none of them holds. It is
 * added as "argument `arg` >= 0", always true: libseccomp checks the
 * masked comparisons of a call before a range comparison on the same
 * argument, which makes this the "else" branch (tests/unit/test-seccomp
 * proves both sides for each call). */
const struct syscall_otherwise guest_otherwise[] = {
	{ "ioctl", 1, SCMP_ACT_ALLOW },
	{ "socket", 0, SCMP_ACT_ALLOW },
	{ "personality", 0, SCMP_ACT_ERRNO(EPERM) },
	{ "clone", 0, SCMP_ACT_ALLOW },
	{ "unshare", 0, SCMP_ACT_ALLOW },
};
const size_t guest_otherwise_count = ARRAY_SIZE(guest_otherwise);

/* The ABIs a guest can call the host kernel with. Each gets its own
 * libseccomp context from the same tables; they are merged into one filter.
 *
 * x32 is not listed, so its calls (x86-64 numbers with bit 30 set) take the
 * bad-ABI action and kill the process: Debian kernels turn x32 off, no
 * guest distribution uses it, and a filter that covered it would have to
 * be kept in step with x86-64 for no user.
 *
 * i386 reaches the socket and SysV IPC calls through the socketcall(2) and
 * ipc(2) multiplexers as well as directly (Linux 4.3 and 5.1). socketcall
 * takes its arguments in memory, out of the filter's sight, and libseccomp
 * would turn the socket(2) argument rules into rules on socketcall's
 * first argument that match every socket. So on i386 the socket rules are
 * left out: AF_ALG, AF_VSOCK and NETLINK_AUDIT stay open to i386 programs
 * (denying the direct call alone would be bypassed through socketcall).
 * Both multiplexers and every direct call are allowed. */
const struct guest_abi guest_abis[] = {
	{ SCMP_ARCH_X86_64, SCMP_ARCH_X86, true },
	{ SCMP_ARCH_AARCH64, SCMP_ARCH_ARM, false },
};
const size_t guest_abis_count = ARRAY_SIZE(guest_abis);

/* x86ns-shell's own filter, loaded once it has joined a guest and taken the
 * user's ids: the shell then only relays a terminal or waits for the
 * spawner's report, so it may make the calls for that and nothing else.
 * It parses guest-written data (the guest's passwd, the spawner's replies,
 * terminal output), which is why it is confined at all; a list this short
 * also loads in a fraction of the guest filter's time (the kernel compiles
 * every filter, and the guest's has some 1,000 instructions), and joins
 * are the one path where that time counts. Every other call fails with
 * ENOSYS; any ABI but the native one kills. */
const char *const shell_allowed[] = {
	/* memory, for malloc and stdio */
	"brk",
	"mmap",
	"munmap",
	"mprotect",
	"mremap",
	"madvise",
	/* descriptors: the guest's passwd, the pty, the relay */
	"read",
	"write",
	"readv",
	"writev",
	"close",
	"openat",
	"open",
	"fstat",
	"newfstatat",
	"statx",
	"lseek",
	"fcntl",
	/* whether the guest has the sftp-server that sshd asks for */
	"access",
	"faccessat",
	"faccessat2",
	"dup",
	"dup2",
	"dup3",
	"poll",
	"ppoll",
	/* the spawner's socket (socket(2) itself: shell_arg_rules) */
	"connect",
	"sendmsg",
	"sendto",
	"recvmsg",
	"recvfrom",
	/* the agent relay (shell/agent.c): guest connections in, the end of
	 * a connection passed on, the session's socket removed at the end */
	"accept4",
	"shutdown",
	"unlinkat",
	/* signals: the relay's signalfd, forwarding to the session */
	"rt_sigaction",
	"rt_sigprocmask",
	"rt_sigreturn",
	"signalfd",
	"signalfd4",
	"kill",
	"tgkill",
	"pidfd_send_signal",
	"pidfd_open",
	"waitid",
	"wait4",
	/* the C library's own needs */
	"exit",
	"exit_group",
	"restart_syscall",
	"getpid",
	"gettid",
	"getuid",
	"geteuid",
	"getgid",
	"getegid",
	"getrandom",
	"futex",
	"clock_gettime",
	"clock_nanosleep",
	"nanosleep",
	"gettimeofday",
};
const size_t shell_allowed_count = ARRAY_SIZE(shell_allowed);

/* The terminal requests of isatty, tcgetattr/tcsetattr, the window size,
 * ptsname_r/unlockpt on the guest's pty master, tcgetpgrp and TIOCSIG (the
 * relay's ^C to the guest pty's foreground group); Unix sockets only. */
const struct syscall_arg_rule shell_arg_rules[] = {
	{ "ioctl", SCMP_ACT_ALLOW, 0, false, 1, { ARG_LOW32_EQ(1, TCGETS) } },
	{ "ioctl", SCMP_ACT_ALLOW, 0, false, 1, { ARG_LOW32_EQ(1, TCSETS) } },
	{ "ioctl", SCMP_ACT_ALLOW, 0, false, 1, { ARG_LOW32_EQ(1, TCSETSW) } },
	{ "ioctl", SCMP_ACT_ALLOW, 0, false, 1, { ARG_LOW32_EQ(1, TCSETSF) } },
	{ "ioctl", SCMP_ACT_ALLOW, 0, false, 1, { ARG_LOW32_EQ(1, TIOCGWINSZ) } },
	{ "ioctl", SCMP_ACT_ALLOW, 0, false, 1, { ARG_LOW32_EQ(1, TIOCSWINSZ) } },
	{ "ioctl", SCMP_ACT_ALLOW, 0, false, 1, { ARG_LOW32_EQ(1, TIOCGPTN) } },
	{ "ioctl", SCMP_ACT_ALLOW, 0, false, 1, { ARG_LOW32_EQ(1, TIOCSPTLCK) } },
	{ "ioctl", SCMP_ACT_ALLOW, 0, false, 1, { ARG_LOW32_EQ(1, TIOCGPGRP) } },
	{ "ioctl", SCMP_ACT_ALLOW, 0, false, 1, { ARG_LOW32_EQ(1, TIOCSIG) } },
	{ "socket", SCMP_ACT_ALLOW, 0, true, 1, { ARG_LOW32_EQ(0, AF_UNIX) } },
};
const size_t shell_arg_rules_count = ARRAY_SIZE(shell_arg_rules);
