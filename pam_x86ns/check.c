/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86nsctl check. Kernel options are read from the running kernel's
 * configuration; everything that matters at run time is also tried for real
 * in a forked probe, because a config option says nothing about sysctls,
 * LSM policy or a kernel too old for a flag. */
#include "check.h"
#include "util.h"

#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <zlib.h>

#define LABEL_WIDTH       46
#define DETAIL_MAX        256
#define KCONFIG_MAX       (8u << 20)
#define MOUNTINFO_MAX     (4u << 20)
#define PROBE_TIMEOUT_SEC 10
/* Probes that stand in for a login user run as "nobody": no privilege,
 * exactly what the user has when the launcher creates their namespace. */
#define UNPRIVILEGED_ID 65534u

enum level { REQUIRED, RECOMMENDED };

struct report {
	FILE *out;
	bool verbose;
	int missing_required;
	int warnings;
};

struct check_context {
	unsigned kernel_major, kernel_minor;
	char release[65];
	char *kconfig; /* NULL when no configuration was found */
	const char *kconfig_source;
	char cgroup2_mount[256]; /* "" when no cgroup2 hierarchy is mounted */
};

/* ---- output ------------------------------------------------------------ */

static void report_item(struct report *rep, const char *label, enum level level, bool ok,
			const char *detail, const char *needed_for)
{
	const char *status = ok ? "ok" : level == REQUIRED ? "missing" : "warning";
	char name[LABEL_WIDTH + 16];
	bool has_detail = detail && *detail;
	bool show_why = needed_for && (!ok || rep->verbose);

	if (xsnprintf(name, sizeof(name), "%s:", label) < 0)
		name[sizeof(name) - 1] = '\0';
	fprintf(rep->out, "%-*s %s", LABEL_WIDTH, name, status);
	if (has_detail || show_why)
		fprintf(rep->out, " (%s%s%s%s)", has_detail ? detail : "",
			has_detail && show_why ? "; " : "", show_why ? "needed for " : "",
			show_why ? needed_for : "");
	fputc('\n', rep->out);
	if (!ok && level == REQUIRED)
		rep->missing_required++;
	else if (!ok)
		rep->warnings++;
}

static void report_group(struct report *rep, const char *title)
{
	fprintf(rep->out, "--- %s ---\n", title);
}

/* Fill detail with "step: error" and report the probe as failed. */
static int probe_failed(char *detail, size_t size, const char *step, int r)
{
	(void)xsnprintf(detail, size, "%s: %s", step, strerror(-r));
	return 0;
}

/* ---- small readers ----------------------------------------------------- */

static int read_small_file(const char *path, size_t max, char **ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return negerrno();
	return read_fd_bounded(fd, max, ret, NULL);
}

static void gzclosep(gzFile *gz)
{
	if (*gz)
		gzclose(*gz);
}

static int read_gzip_file(const char *path, size_t max, char **ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return negerrno();
	__attribute__((cleanup(gzclosep))) gzFile gz = gzdopen(fd, "rb");
	if (!gz) {
		close(fd);
		return -ENOMEM;
	}
	_cleanup_free_ char *buf = malloc(max);
	if (!buf)
		return -ENOMEM;
	size_t len = 0;
	for (;;) {
		if (len == max - 1)
			return -EFBIG;
		int n = gzread(gz, buf + len, (unsigned)(max - 1 - len));
		if (n < 0)
			return -EIO;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

/* Read /proc/sys/<name with dots as slashes> as an unsigned number. */
static int read_sysctl(const char *name, uint64_t *ret)
{
	char path[128];
	int r = xsnprintf(path, sizeof(path), "/proc/sys/%s", name);
	if (r < 0)
		return r;
	for (char *p = path + strlen("/proc/sys/"); *p; p++)
		if (*p == '.')
			*p = '/';
	_cleanup_free_ char *text = NULL;
	r = read_small_file(path, 64, &text);
	if (r < 0)
		return r;
	text[strcspn(text, "\n \t")] = '\0';
	return parse_u64(text, ret);
}

static int write_file(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return negerrno();
	return write_all(fd, text, strlen(text));
}

/* ---- kernel configuration ---------------------------------------------- */

struct kconfig_item {
	const char *name;
	enum level level;
	const char *needed_for;
	unsigned always_on_since; /* major * 100 + minor: option removed, feature built in */
};

/* The kernel facilities of the source thesis plus what x86ns adds. Left out
 * on purpose: CONFIG_CGROUP_BPF (device control on cgroup v2 is not needed:
 * a user namespace cannot create usable device nodes anyway). */
static const struct kconfig_item kconfig_items[] = {
	{ "CONFIG_NAMESPACES", REQUIRED, "every namespace below", 0 },
	{ "CONFIG_UTS_NS", REQUIRED, "the guest's own hostname", 0 },
	{ "CONFIG_IPC_NS", REQUIRED, "separating guest System V IPC from the host", 0 },
	{ "CONFIG_PID_NS", REQUIRED, "hiding host processes from the guest", 0 },
	{ "CONFIG_USER_NS", REQUIRED, "a guest root without host privilege", 0 },
	{ "CONFIG_NET_NS", REQUIRED, "network = none", 0 },
	{ "CONFIG_CGROUPS", REQUIRED, "limits and stopping a container as a whole", 0 },
	{ "CONFIG_CGROUP_PIDS", REQUIRED, "the pids limit", 0 },
	{ "CONFIG_MEMCG", REQUIRED, "the memory limit", 0 },
	{ "CONFIG_CGROUP_SCHED", REQUIRED, "the cpu limit", 0 },
	{ "CONFIG_CGROUP_CPUACCT", RECOMMENDED, "CPU accounting on cgroup v1 hosts", 0 },
	{ "CONFIG_CGROUP_DEVICE", RECOMMENDED, "the device allow-list on cgroup v1 hosts", 0 },
	{ "CONFIG_CPUSETS", RECOMMENDED, "pinning guests to CPUs", 0 },
	{ "CONFIG_OVERLAY_FS", REQUIRED, "the per-user layer over the shared guest tree", 0 },
	{ "CONFIG_SECCOMP_FILTER", REQUIRED, "the system call filter", 0 },
	{ "CONFIG_SECURITY_LANDLOCK", RECOMMENDED,
	  "scoping guest signals and abstract sockets, required with network = host", 0 },
	{ "CONFIG_BINFMT_MISC", RECOMMENDED, "running every guest program through a translator",
	  0 },
	{ "CONFIG_DEVPTS_MULTIPLE_INSTANCES", REQUIRED, "a private /dev/pts per container", 407 },
#if defined(__x86_64__)
	{ "CONFIG_IA32_EMULATION", RECOMMENDED, "32-bit x86 guest programs", 0 },
#endif
};

/* Copy the value of `name` ("y", "m", a string) into value; -ENOENT when
 * the option is unset ("# ... is not set") or absent. */
static int kconfig_lookup(const char *text, const char *name, char *value, size_t size)
{
	size_t name_len = strlen(name);
	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n');
		if ((size_t)(end - line) > name_len && strncmp(line, name, name_len) == 0 &&
		    line[name_len] == '=') {
			const char *v = line + name_len + 1;
			return xsnprintf(value, size, "%.*s", (int)(end - v), v);
		}
		line = *end ? end + 1 : end;
	}
	return -ENOENT;
}

static void kconfig_load(struct check_context *ctx)
{
	static char boot_path[96];

	if (read_gzip_file("/proc/config.gz", KCONFIG_MAX, &ctx->kconfig) >= 0) {
		ctx->kconfig_source = "/proc/config.gz";
		return;
	}
	if (xsnprintf(boot_path, sizeof(boot_path), "/boot/config-%s", ctx->release) >= 0 &&
	    read_small_file(boot_path, KCONFIG_MAX, &ctx->kconfig) >= 0)
		ctx->kconfig_source = boot_path;
}

static void check_kernel_config(struct report *rep, const struct check_context *ctx)
{
	char title[160];
	(void)xsnprintf(title, sizeof(title), "Kernel configuration (%s)",
			ctx->kconfig ? ctx->kconfig_source : "/proc/config.gz, /boot/config-*");
	report_group(rep, title);
	if (!ctx->kconfig) {
		report_item(rep, "kernel configuration", RECOMMENDED, false,
			    "not readable; the run-time checks below still apply", NULL);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(kconfig_items); i++) {
		const struct kconfig_item *item = &kconfig_items[i];
		char value[64] = "";
		if (item->always_on_since &&
		    ctx->kernel_major * 100 + ctx->kernel_minor >= item->always_on_since) {
			(void)xsnprintf(value, sizeof(value), "always on since Linux %u.%u",
					item->always_on_since / 100, item->always_on_since % 100);
			report_item(rep, item->name, item->level, true, value, item->needed_for);
			continue;
		}
		bool ok = kconfig_lookup(ctx->kconfig, item->name, value, sizeof(value)) >= 0 &&
			  (strcmp(value, "y") == 0 || strcmp(value, "m") == 0);
		report_item(rep, item->name, item->level, ok,
			    ok ? (value[0] == 'm' ? "module" : "") : "not set", item->needed_for);
	}
}

/* ---- probe helpers (all run in the probe child) -------------------------- */

/* Block until the other end of the pipe is closed (or dies). */
static void wait_for_close(int fd)
{
	char c;
	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
}

/* Runs in: probe child, host root or already unprivileged. */
static int drop_to_unprivileged(void)
{
	if (geteuid() != 0)
		return 0;
	if (setgroups(0, NULL) < 0 ||
	    setresgid(UNPRIVILEGED_ID, UNPRIVILEGED_ID, UNPRIVILEGED_ID) < 0 ||
	    setresuid(UNPRIVILEGED_ID, UNPRIVILEGED_ID, UNPRIVILEGED_ID) < 0)
		return negerrno();
	/* Changing ids cleared "dumpable", which would leave /proc/self/uid_map
	 * owned by host root and unwritable from inside the new namespace. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		return negerrno();
	return 0;
}

/* Runs in: probe child, unprivileged. Creates a user namespace (plus
 * extra_flags) and maps our own ids to root in it, as any user may. */
static int unshare_own_userns(int extra_flags, const char **ret_step)
{
	char uid_map[32], gid_map[32];
	(void)xsnprintf(uid_map, sizeof(uid_map), "0 %u 1\n", (unsigned)geteuid());
	(void)xsnprintf(gid_map, sizeof(gid_map), "0 %u 1\n", (unsigned)getegid());
	const char *const writes[][2] = { { "/proc/self/setgroups", "deny" },
					  { "/proc/self/uid_map", uid_map },
					  { "/proc/self/gid_map", gid_map } };

	*ret_step = "unshare";
	if (unshare(CLONE_NEWUSER | extra_flags) < 0)
		return negerrno();
	for (size_t i = 0; i < ARRAY_SIZE(writes); i++) {
		*ret_step = writes[i][0];
		int r = write_file(writes[i][0], writes[i][1]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Runs in: probe child. Unprivileged user and mount namespace with a private
 * tmpfs on /tmp to play in; nothing of it reaches the host. */
static int enter_scratch_mount_ns(char *detail, size_t size)
{
	const char *step = "drop to uid 65534";
	int r = drop_to_unprivileged();
	if (r >= 0)
		r = unshare_own_userns(CLONE_NEWNS, &step);
	if (r < 0)
		return probe_failed(detail, size, step, r);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return probe_failed(detail, size, "make / private", negerrno());
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") < 0)
		return probe_failed(detail, size, "mount tmpfs", negerrno());
	return 1;
}

/* ---- run-time probes ---------------------------------------------------- */

struct probe_item {
	const char *label;
	enum level level;
	const char *needed_for;
	/* 1: supported, 0: not (detail says why). */
	int (*probe)(const struct check_context *ctx, char *detail, size_t size);
};

/* Runs in: probe child, host root. */
static int probe_userns(const struct check_context *ctx, char *detail, size_t size)
{
	uint64_t max;
	if (read_sysctl("user.max_user_namespaces", &max) >= 0 && max == 0) {
		(void)xsnprintf(detail, size, "user.max_user_namespaces = 0");
		return 0;
	}
	const char *step = "drop to uid 65534";
	int r = drop_to_unprivileged();
	if (r >= 0)
		r = unshare_own_userns(0, &step);
	if (r < 0)
		return probe_failed(detail, size, step, r);
	return 1;
}

/* Runs in: probe child, host root. The launcher mounts the overlay inside
 * the user's namespace with the user's power only; try exactly that. */
static int probe_overlay_in_userns(const struct check_context *ctx, char *detail, size_t size)
{
	static const char *const dirs[] = { "/tmp/lower", "/tmp/upper", "/tmp/work",
					    "/tmp/merged" };
	struct stat st;
	int r = enter_scratch_mount_ns(detail, size);
	if (r <= 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (mkdir(dirs[i], 0700) < 0)
			return probe_failed(detail, size, "mkdir", negerrno());
	_cleanup_close_ int fd = open("/tmp/lower/probe", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return probe_failed(detail, size, "create lower file", negerrno());
	if (mount("overlay", "/tmp/merged", "overlay", MS_NOSUID | MS_NODEV,
		  "lowerdir=/tmp/lower,upperdir=/tmp/upper,workdir=/tmp/work,userxattr") < 0)
		return probe_failed(detail, size, "mount overlay with userxattr (Linux 5.11+)",
				    negerrno());
	if (stat("/tmp/merged/probe", &st) < 0)
		return probe_failed(detail, size, "lower file through the overlay", negerrno());
	if (mkdir("/tmp/merged/new", 0700) < 0)
		return probe_failed(detail, size, "write through the overlay", negerrno());
	if (stat("/tmp/upper/new", &st) < 0)
		return probe_failed(detail, size, "copy-up into the upper layer", negerrno());
	return 1;
}

/* Runs in: probe child, host root. A user namespace fd mapping 0 inside to
 * UNPRIVILEGED_ID outside. The child born in it only lives until its maps
 * are written and the fd is open; the fd keeps the namespace alive. */
static int userns_fd_new(void)
{
	struct clone_args args = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
	int release[2];
	if (pipe2(release, O_CLOEXEC) < 0)
		return negerrno();
	long pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0) {
		close(release[1]);
		wait_for_close(release[0]);
		_exit(0);
	}
	int r = pid < 0 ? negerrno() : 0;
	const char *const files[] = { "uid_map", "gid_map", "ns/user" };
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(files); i++) {
		char path[64];
		(void)xsnprintf(path, sizeof(path), "/proc/%ld/%s", pid, files[i]);
		if (i < 2)
			r = write_file(path, "0 65534 1\n");
		else if ((r = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			r = negerrno();
	}
	close(release[0]);
	close(release[1]);
	if (pid > 0)
		(void)waitpid((pid_t)pid, NULL, 0);
	return r;
}

/* Runs in: probe child, host root. Idmap a fresh detached tmpfs; the root
 * directory (owned by 0) must then show as UNPRIVILEGED_ID. */
static int probe_idmapped_mount(const struct check_context *ctx, char *detail, size_t size)
{
	_cleanup_close_ int userns_fd = userns_fd_new();
	if (userns_fd < 0)
		return probe_failed(detail, size, "create a user namespace", userns_fd);
	_cleanup_close_ int fs_fd = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs_fd < 0)
		return probe_failed(detail, size, "fsopen tmpfs", negerrno());
	if (fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return probe_failed(detail, size, "create tmpfs", negerrno());
	_cleanup_close_ int mnt_fd = fsmount(fs_fd, FSMOUNT_CLOEXEC, 0);
	if (mnt_fd < 0)
		return probe_failed(detail, size, "fsmount", negerrno());
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd };
	if (mount_setattr(mnt_fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return probe_failed(detail, size,
				    "mount_setattr MOUNT_ATTR_IDMAP on tmpfs (Linux 6.3+)",
				    negerrno());
	struct stat st;
	if (fstat(mnt_fd, &st) < 0)
		return probe_failed(detail, size, "fstat", negerrno());
	if (st.st_uid != UNPRIVILEGED_ID) {
		(void)xsnprintf(detail, size, "idmapped tmpfs root shows uid %u, expected %u",
				(unsigned)st.st_uid, UNPRIVILEGED_ID);
		return 0;
	}
	return 1;
}

/* Runs in: container stand-in forked by the pidfd probe, unprivileged.
 * Builds user, mount, UTS, IPC, cgroup and PID namespaces like a container,
 * forks their PID 1, reports its pid on report_fd and waits for it. */
static void run_container_stand_in(int report_fd, int release_fd)
{
	const char *step;
	pid_t init = -1;
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (unshare_own_userns(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP |
				   CLONE_NEWPID,
			       &step) >= 0)
		init = fork();
	if (init == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		wait_for_close(release_fd);
		_exit(0);
	}
	(void)write_all(report_fd, &init, sizeof(init));
	if (init > 0)
		(void)waitpid(init, NULL, 0);
	_exit(0);
}

/* Runs in: probe child, host root. What x86ns-shell does: an unprivileged
 * process joins all of a container's namespaces at once through a pidfd. */
static int probe_pidfd_setns(const struct check_context *ctx, char *detail, size_t size)
{
	int report[2], release[2];
	int r = drop_to_unprivileged();
	if (r < 0)
		return probe_failed(detail, size, "drop to uid 65534", r);
	if (pipe2(report, O_CLOEXEC) < 0 || pipe2(release, O_CLOEXEC) < 0)
		return probe_failed(detail, size, "pipe", negerrno());
	pid_t stand_in = fork();
	if (stand_in < 0)
		return probe_failed(detail, size, "fork", negerrno());
	if (stand_in == 0) {
		close(report[0]);
		close(release[1]);
		run_container_stand_in(report[1], release[0]);
	}
	close(report[1]);
	close(release[0]);
	pid_t init = -1;
	if (read(report[0], &init, sizeof(init)) != (ssize_t)sizeof(init) || init <= 0)
		return probe_failed(detail, size, "create a container's namespaces", -EPERM);
	_cleanup_close_ int pidfd = pidfd_open(init, 0);
	if (pidfd < 0)
		return probe_failed(detail, size, "pidfd_open (Linux 5.3+)", negerrno());
	if (setns(pidfd, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
			     CLONE_NEWCGROUP | CLONE_NEWPID) < 0)
		return probe_failed(detail, size, "setns on a pidfd (Linux 5.8+)", negerrno());
	close(release[1]);
	(void)waitpid(stand_in, NULL, 0);
	return 1;
}

/* Runs in: probe child, host root. Clone a child straight into the root
 * of the cgroup2 hierarchy: no cgroup is created, nothing to clean up. */
static int probe_clone_into_cgroup(const struct check_context *ctx, char *detail, size_t size)
{
	if (!ctx->cgroup2_mount[0]) {
		(void)xsnprintf(detail, size, "no cgroup2 hierarchy mounted");
		return 0;
	}
	_cleanup_close_ int cgroup_fd =
	    open(ctx->cgroup2_mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgroup_fd < 0)
		return probe_failed(detail, size, ctx->cgroup2_mount, negerrno());
	struct clone_args args = { .flags = CLONE_INTO_CGROUP,
				   .exit_signal = SIGCHLD,
				   .cgroup = (uint64_t)cgroup_fd };
	long pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return probe_failed(detail, size, "clone3 CLONE_INTO_CGROUP (Linux 5.7+)",
				    negerrno());
	(void)waitpid((pid_t)pid, NULL, 0);
	return 1;
}

/* Runs in: probe child, host root. An allow-all filter: only support matters. */
static int probe_seccomp(const struct check_context *ctx, char *detail, size_t size)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &allow };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return probe_failed(detail, size, "no_new_privs", negerrno());
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return probe_failed(detail, size, "seccomp filter", negerrno());
	return 1;
}

/* Runs in: probe child. Signal and abstract-socket scoping need ABI 6. */
static int probe_landlock(const struct check_context *ctx, char *detail, size_t size)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0 && errno == EOPNOTSUPP) {
		(void)xsnprintf(detail, size, "disabled: add landlock to the lsm= boot parameter");
		return 0;
	}
	if (abi < 0)
		return probe_failed(detail, size, "landlock_create_ruleset", negerrno());
	if (abi < 6) {
		(void)xsnprintf(detail, size, "ABI %ld, scoping needs ABI 6 (Linux 6.12)", abi);
		return 0;
	}
	(void)xsnprintf(detail, size, "ABI %ld", abi);
	return 1;
}

/* Runs in: probe child, host root. A user namespace may mount its own
 * binfmt_misc instance since Linux 6.7; the host's entries stay untouched. */
static int probe_binfmt_misc_in_userns(const struct check_context *ctx, char *detail, size_t size)
{
	int r = enter_scratch_mount_ns(detail, size);
	if (r <= 0)
		return r;
	if (mkdir("/tmp/binfmt", 0700) < 0)
		return probe_failed(detail, size, "mkdir", negerrno());
	if (mount("binfmt_misc", "/tmp/binfmt", "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) < 0)
		return probe_failed(
		    detail, size, "mount binfmt_misc in a user namespace (Linux 6.7+)", negerrno());
	if (access("/tmp/binfmt/register", F_OK) < 0)
		return probe_failed(detail, size, "register file", negerrno());
	return 1;
}

/* Fork, run the probe there, collect its verdict and detail. The child
 * never returns into the caller and leaves through _exit, so nothing of the
 * caller's stdio is flushed twice. */
static bool run_probe(const struct probe_item *item, const struct check_context *ctx, char *detail,
		      size_t size)
{
	int pipefd[2];
	detail[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0) {
		probe_failed(detail, size, "pipe", negerrno());
		return false;
	}
	pid_t pid = fork();
	if (pid < 0) {
		probe_failed(detail, size, "fork", negerrno());
		close(pipefd[0]);
		close(pipefd[1]);
		return false;
	}
	if (pid == 0) {
		char buf[DETAIL_MAX] = "";
		/* The probe may become "nobody" and dumpable: leave it no fd of ours. */
		int result_fd = fcntl(pipefd[1], F_DUPFD_CLOEXEC, 3);
		int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		for (int fd = 0; fd < 3 && null_fd >= 0; fd++)
			(void)dup2(null_fd, fd);
		if (result_fd < 3)
			_exit(1);
		(void)close_range(3, (unsigned)result_fd - 1, 0);
		(void)close_range((unsigned)result_fd + 1, ~0u, 0);
		signal(SIGALRM, SIG_DFL);
		alarm(PROBE_TIMEOUT_SEC);
		int r = item->probe(ctx, buf, sizeof(buf));
		(void)write_all(result_fd, buf, strlen(buf));
		_exit(r > 0 ? 0 : 1);
	}
	close(pipefd[1]);
	int status = 0;
	pid_t waited;
	while ((waited = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	ssize_t n = read(pipefd[0], detail, size - 1);
	detail[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	if (waited != pid)
		return probe_failed(detail, size, "wait for the probe", negerrno());
	if (WIFSIGNALED(status))
		(void)xsnprintf(detail, size, "probe %s",
				WTERMSIG(status) == SIGALRM ? "timed out" : "crashed");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void report_probes(struct report *rep, const struct check_context *ctx,
			  const struct probe_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char detail[DETAIL_MAX];
		bool ok = run_probe(&items[i], ctx, detail, sizeof(detail));
		report_item(rep, items[i].label, items[i].level, ok, detail, items[i].needed_for);
	}
}

static const struct probe_item namespace_probes[] = {
	{ "user namespaces (unprivileged)", REQUIRED, "a container owned by the user",
	  probe_userns },
	{ "overlayfs in a user namespace", REQUIRED,
	  "the per-user layer, mounted with the user's power only", probe_overlay_in_userns },
	{ "idmapped mounts", RECOMMENDED, "showing host-owned trees with guest ids",
	  probe_idmapped_mount },
	{ "setns with a pidfd", REQUIRED, "joining a container without privilege",
	  probe_pidfd_setns },
	{ "sandboxed binfmt_misc", RECOMMENDED,
	  "a per-container translator registration; without it only init is translated",
	  probe_binfmt_misc_in_userns },
};

static const struct probe_item cgroup_probes[] = {
	{ "clone3 with CLONE_INTO_CGROUP", RECOMMENDED,
	  "starting processes directly in a container's cgroup", probe_clone_into_cgroup },
};

static const struct probe_item confinement_probes[] = {
	{ "seccomp filters", REQUIRED, "the system call filter", probe_seccomp },
	{ "Landlock", RECOMMENDED,
	  "scoping guest signals and abstract sockets, required with network = host",
	  probe_landlock },
};

/* ---- sysctls ------------------------------------------------------------ */

enum comparison { EQUAL, AT_LEAST };

struct sysctl_rule {
	const char *name;
	enum comparison cmp;
	uint64_t want;
	bool absent_ok; /* the setting does not exist on this kernel: fine */
	const char *needed_for;
};

/* Distribution switches that stop unprivileged users from creating user
 * namespaces; the user namespace probe above shows their effect. */
static const struct sysctl_rule userns_sysctls[] = {
	{ "kernel.unprivileged_userns_clone", EQUAL, 1, true, "a container owned by the user" },
	{ "kernel.apparmor_restrict_unprivileged_userns", EQUAL, 0, true,
	  "full capabilities inside the user's namespace" },
};

/* Host settings that close paths out of a container (security-anchors 3.8). */
static const struct sysctl_rule hardening_sysctls[] = {
	{ "dev.tty.legacy_tiocsti", EQUAL, 0, false,
	  "keeping guests from injecting input into host terminals" },
	{ "dev.tty.ldisc_autoload", EQUAL, 0, false,
	  "keeping guests from autoloading line disciplines" },
	{ "vm.unprivileged_userfaultfd", EQUAL, 0, false, "keeping userfaultfd from guests" },
	{ "kernel.io_uring_disabled", AT_LEAST, 1, false, "keeping io_uring from guests" },
	{ "kernel.unprivileged_bpf_disabled", AT_LEAST, 1, false, "keeping bpf from guests" },
	{ "kernel.dmesg_restrict", EQUAL, 1, false, "hiding kernel messages from guests" },
	{ "kernel.kptr_restrict", AT_LEAST, 1, false, "hiding kernel addresses from guests" },
	{ "fs.protected_symlinks", EQUAL, 1, false, "safe symlinks in sticky directories" },
	{ "fs.protected_hardlinks", EQUAL, 1, false, "refusing hard links to others' files" },
	{ "fs.protected_fifos", EQUAL, 2, false, "safe FIFOs in sticky directories" },
	{ "fs.protected_regular", EQUAL, 2, false, "safe files in sticky directories" },
	{ "kernel.yama.ptrace_scope", AT_LEAST, 1, false, "keeping ptrace to descendants" },
};

static void report_sysctls(struct report *rep, const struct sysctl_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct sysctl_rule *rule = &rules[i];
		const char *relation = rule->cmp == EQUAL ? "" : ">= ";
		char detail[DETAIL_MAX];
		uint64_t value;
		int r = read_sysctl(rule->name, &value);
		bool ok;

		if (r == -ENOENT) {
			ok = rule->absent_ok;
			(void)xsnprintf(detail, sizeof(detail), "%s",
					ok ? "not present" : "not available on this kernel");
		} else if (r < 0) {
			ok = false;
			(void)xsnprintf(detail, sizeof(detail), "unreadable: %s", strerror(-r));
		} else {
			ok = rule->cmp == EQUAL ? value == rule->want : value >= rule->want;
			if (ok)
				(void)xsnprintf(detail, sizeof(detail), "%" PRIu64, value);
			else
				(void)xsnprintf(detail, sizeof(detail),
						"%" PRIu64 ", recommended %s%" PRIu64, value,
						relation, rule->want);
		}
		report_item(rep, rule->name, RECOMMENDED, ok, detail, rule->needed_for);
	}
}

/* ---- cgroups -------------------------------------------------------------- */

struct cgroup_layout {
	bool v1_present;
	char v1_mount[3][256]; /* per wanted controller, "" when not on v1 */
	char *v2_controllers;  /* root cgroup.controllers, NULL without v2 */
};

static const char *const wanted_controllers[] = { "pids", "memory", "cpu" };

/* Is word one of the items of list, separated by any of seps? */
static bool list_has_word(const char *list, const char *word, const char *seps)
{
	size_t word_len = strlen(word);
	for (const char *p = list; p && *p;) {
		p += strspn(p, seps);
		size_t len = strcspn(p, seps);
		if (len == word_len && strncmp(p, word, len) == 0)
			return true;
		p += len;
	}
	return false;
}

/* One mountinfo line: "ID PARENT DEV ROOT MOUNTPOINT ... - FSTYPE SOURCE SUPEROPTS". */
static void layout_add_mount(struct check_context *ctx, struct cgroup_layout *layout,
			     const char *line)
{
	char mountpoint[256], fstype[32], superopts[512];
	const char *sep = strstr(line, " - ");
	if (!sep || sscanf(line, "%*s %*s %*s %*s %255s", mountpoint) != 1 ||
	    sscanf(sep + 3, "%31s %*s %511s", fstype, superopts) != 2)
		return;
	if (strcmp(fstype, "cgroup2") == 0 && !ctx->cgroup2_mount[0]) {
		(void)xsnprintf(ctx->cgroup2_mount, sizeof(ctx->cgroup2_mount), "%s", mountpoint);
	} else if (strcmp(fstype, "cgroup") == 0) {
		layout->v1_present = true;
		for (size_t i = 0; i < ARRAY_SIZE(wanted_controllers); i++)
			if (list_has_word(superopts, wanted_controllers[i], ","))
				(void)xsnprintf(layout->v1_mount[i], sizeof(layout->v1_mount[i]),
						"%s", mountpoint);
	}
}

static void check_cgroups(struct report *rep, struct check_context *ctx)
{
	struct cgroup_layout layout = { 0 };
	_cleanup_free_ char *mountinfo = NULL;
	char detail[DETAIL_MAX] = "";
	struct statfs sfs;

	report_group(rep, "Control groups");
	int r = read_small_file("/proc/self/mountinfo", MOUNTINFO_MAX, &mountinfo);
	for (char *save = NULL, *line = r >= 0 ? strtok_r(mountinfo, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		layout_add_mount(ctx, &layout, line);
	if (ctx->cgroup2_mount[0]) {
		char path[PATH_MAX];
		if (xsnprintf(path, sizeof(path), "%s/cgroup.controllers", ctx->cgroup2_mount) >= 0)
			(void)read_small_file(path, 4096, &layout.v2_controllers);
	}

	bool unified = statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
	if (unified || (!layout.v1_present && ctx->cgroup2_mount[0]))
		(void)xsnprintf(detail, sizeof(detail), "unified, cgroup2 at %s",
				ctx->cgroup2_mount);
	else if (layout.v1_present && ctx->cgroup2_mount[0])
		(void)xsnprintf(detail, sizeof(detail), "hybrid, v1 controllers and cgroup2 at %s",
				ctx->cgroup2_mount);
	else if (layout.v1_present)
		(void)xsnprintf(detail, sizeof(detail), "legacy, v1 only");
	else
		(void)xsnprintf(detail, sizeof(detail), "no cgroup file system mounted");
	report_item(rep, "cgroup layout", REQUIRED, layout.v1_present || ctx->cgroup2_mount[0],
		    detail, "limits and stopping a container as a whole");

	for (size_t i = 0; i < ARRAY_SIZE(wanted_controllers); i++) {
		char label[64];
		bool on_v2 = list_has_word(layout.v2_controllers, wanted_controllers[i], " \n");
		if (on_v2)
			(void)xsnprintf(detail, sizeof(detail), "cgroup2");
		else if (layout.v1_mount[i][0])
			(void)xsnprintf(detail, sizeof(detail), "v1 at %s", layout.v1_mount[i]);
		else
			(void)xsnprintf(detail, sizeof(detail), "not mounted or not enabled");
		(void)xsnprintf(label, sizeof(label), "cgroup controller %s",
				wanted_controllers[i]);
		report_item(rep, label, REQUIRED, on_v2 || layout.v1_mount[i][0], detail,
			    i == 0   ? "the pids limit"
			    : i == 1 ? "the memory limit"
				     : "the cpu limit");
	}
	free(layout.v2_controllers);
	report_probes(rep, ctx, cgroup_probes, ARRAY_SIZE(cgroup_probes));
}

/* ---- subordinate ids ------------------------------------------------------ */

/* libsubid can also take ranges from an NSS module ("subid:" in
 * nsswitch.conf); the files are then not needed. */
static bool subid_from_nss(char *module, size_t size)
{
	_cleanup_free_ char *text = NULL;
	if (read_small_file("/etc/nsswitch.conf", 64 * 1024, &text) < 0)
		return false;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t");
		if (strncmp(line, "subid:", 6) == 0) {
			line += 6 + strspn(line + 6, " \t");
			return xsnprintf(module, size, "%.*s", (int)strcspn(line, " \t#"), line) >
			       0;
		}
	}
	return false;
}

static void check_subids(struct report *rep)
{
	static const char *const files[] = { "/etc/subuid", "/etc/subgid" };
	report_group(rep, "Subordinate ids");
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char detail[DETAIL_MAX] = "", module[64];
		struct stat st;
		bool ok = stat(files[i], &st) == 0 && S_ISREG(st.st_mode);
		if (!ok && subid_from_nss(module, sizeof(module))) {
			ok = true;
			(void)xsnprintf(detail, sizeof(detail), "ranges from NSS module %s",
					module);
		} else if (!ok) {
			(void)xsnprintf(detail, sizeof(detail), "no such file");
		}
		report_item(rep, files[i], REQUIRED, ok, detail,
			    "mapping guest root and guest users to ids the user owns");
	}
}

/* ---- entry point ---------------------------------------------------------- */

static void context_init(struct check_context *ctx)
{
	struct utsname u;
	*ctx = (struct check_context){ 0 };
	if (uname(&u) == 0) {
		(void)xsnprintf(ctx->release, sizeof(ctx->release), "%s", u.release);
		if (sscanf(u.release, "%u.%u", &ctx->kernel_major, &ctx->kernel_minor) != 2)
			ctx->kernel_major = ctx->kernel_minor = 0;
	}
	kconfig_load(ctx);
}

int check_system(FILE *out, bool verbose)
{
	struct report rep = { .out = out, .verbose = verbose };
	struct sigaction default_chld = { .sa_handler = SIG_DFL }, saved_chld;
	struct check_context ctx;

	/* An inherited SIG_IGN would reap the probes before we read their verdict. */
	sigaction(SIGCHLD, &default_chld, &saved_chld);
	context_init(&ctx);
	fprintf(out, "x86ns system check, kernel %s\n", ctx.release);
	check_kernel_config(&rep, &ctx);

	report_group(&rep, "Namespaces and mounts");
	report_probes(&rep, &ctx, namespace_probes, ARRAY_SIZE(namespace_probes));
	report_sysctls(&rep, userns_sysctls, ARRAY_SIZE(userns_sysctls));

	check_cgroups(&rep, &ctx);

	report_group(&rep, "Confinement");
	report_probes(&rep, &ctx, confinement_probes, ARRAY_SIZE(confinement_probes));

	check_subids(&rep);

	report_group(&rep, "Hardening sysctls (recommended)");
	report_sysctls(&rep, hardening_sysctls, ARRAY_SIZE(hardening_sysctls));

	if (rep.missing_required == 0)
		fprintf(out, "Result: x86ns can run on this system (%d warning%s).\n", rep.warnings,
			rep.warnings == 1 ? "" : "s");
	else
		fprintf(out, "Result: x86ns cannot run: %d required item%s missing.\n",
			rep.missing_required, rep.missing_required == 1 ? "" : "s");
	free(ctx.kconfig);
	sigaction(SIGCHLD, &saved_chld, NULL);
	fflush(out);
	return rep.missing_required;
}
