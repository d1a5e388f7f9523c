/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86nsctl check: the run-time probes. Each tries for real, in a forked
 * child, what x86ns does at run time, because a config option says nothing
 * about sysctls, LSM policy, file system support or a kernel too old for a
 * flag. */
#include "check-probe.h"
#include "idmap.h"
#include "util.h"

#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define PROBE_TIMEOUT_SEC 10
/* Probes that stand in for a login user run as "nobody": no privilege,
 * exactly what the user has when the launcher creates their namespace. */
#define UNPRIVILEGED_ID 65534u
/* The idmapped-mount probe works on the file system of /var/lib, where guest
 * trees and the per-user layers usually live. Trees on other file systems
 * are checked by the launcher when it starts a container. */
#define IDMAP_PROBE_PARENT "/var/lib"

/* Fill detail with "step: error" and report the probe as failed. */
static int probe_failed(char *detail, size_t size, const char *step, int r)
{
	(void)xsnprintf(detail, size, "%s: %s", step, strerror(-r));
	return 0;
}

/* ---- file helpers (shared with check.c) ------------------------------ */

int read_small_file(const char *path, size_t max, char **ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return negerrno();
	return read_fd_bounded(fd, max, ret, NULL);
}

/* Read /proc/sys/<name with dots as slashes> as an unsigned number. */
int read_sysctl(const char *name, uint64_t *ret)
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
		int r = idmap_file_write(AT_FDCWD, writes[i][0], writes[i][1]);
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
			r = idmap_file_write(AT_FDCWD, path, "0 65534 1\n");
		else if ((r = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			r = negerrno();
	}
	close(release[0]);
	close(release[1]);
	if (pid > 0)
		(void)waitpid((pid_t)pid, NULL, 0);
	return r;
}

/* ---- run-time probes ---------------------------------------------------- */

/* Runs in: probe child, host root. */
int probe_userns(const struct check_context *ctx, char *detail, size_t size)
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
int probe_overlay_in_userns(const struct check_context *ctx, char *detail, size_t size)
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

/* The type of the file system that holds path ("ext4"), from the mountinfo
 * line of its mount; "unknown" when that cannot be told. */
static void file_system_type(const char *path, char *buf, size_t size)
{
	_cleanup_free_ char *mountinfo = NULL;
	struct statx stx;

	(void)xsnprintf(buf, size, "unknown");
	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID) ||
	    read_small_file("/proc/self/mountinfo", MOUNTINFO_MAX, &mountinfo) < 0)
		return;
	for (char *save = NULL, *line = strtok_r(mountinfo, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *sep = strstr(line, " - ");
		uint64_t mount_id;
		if (sep && sscanf(line, "%" SCNu64, &mount_id) == 1 && mount_id == stx.stx_mnt_id) {
			(void)xsnprintf(buf, size, "%.*s", (int)strcspn(sep + 3, " "), sep + 3);
			return;
		}
	}
}

/* Runs in: probe child, host root. Idmap a detached clone of dir (owned by
 * 0) through userns_fd, as the launcher does with a guest tree; dir must
 * then show as UNPRIVILEGED_ID. */
static int idmap_directory(const char *dir, const char *fs_type, int userns_fd, char *detail,
			   size_t size)
{
	char step[128];
	struct stat st;

	_cleanup_close_ int tree_fd = open_tree(AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree_fd < 0)
		return probe_failed(detail, size, "open_tree OPEN_TREE_CLONE", negerrno());
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd };
	if (mount_setattr(tree_fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0) {
		(void)xsnprintf(step, sizeof(step),
				"mount_setattr MOUNT_ATTR_IDMAP on %s, the file system of %s",
				fs_type, IDMAP_PROBE_PARENT);
		return probe_failed(detail, size, step, negerrno());
	}
	if (fstat(tree_fd, &st) < 0)
		return probe_failed(detail, size, "fstat", negerrno());
	if (st.st_uid != UNPRIVILEGED_ID) {
		(void)xsnprintf(detail, size, "idmapped directory on %s shows uid %u, expected %u",
				fs_type, (unsigned)st.st_uid, UNPRIVILEGED_ID);
		return 0;
	}
	(void)xsnprintf(detail, size, "probed on %s, the file system of %s", fs_type,
			IDMAP_PROBE_PARENT);
	return 1;
}

/* Runs in: probe child, host root. Not on a tmpfs: tmpfs supports idmapped
 * mounts only since Linux 6.3, ext4, xfs and btrfs since 5.12. The scratch
 * directory lives only for the few calls of the probe. */
int probe_idmapped_mount(const struct check_context *ctx, char *detail, size_t size)
{
	char dir[] = IDMAP_PROBE_PARENT "/x86ns-probe.XXXXXX";
	char fs_type[32];

	_cleanup_close_ int userns_fd = userns_fd_new();
	if (userns_fd < 0)
		return probe_failed(detail, size, "create a user namespace", userns_fd);
	if (!mkdtemp(dir))
		return probe_failed(detail, size, "create a directory in " IDMAP_PROBE_PARENT,
				    negerrno());
	file_system_type(dir, fs_type, sizeof(fs_type));
	int r = idmap_directory(dir, fs_type, userns_fd, detail, size);
	if (rmdir(dir) < 0 && r > 0)
		r = probe_failed(detail, size, "remove the probe directory", negerrno());
	return r;
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
int probe_pidfd_setns(const struct check_context *ctx, char *detail, size_t size)
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
int probe_clone_into_cgroup(const struct check_context *ctx, char *detail, size_t size)
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
int probe_seccomp(const struct check_context *ctx, char *detail, size_t size)
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
int probe_landlock(const struct check_context *ctx, char *detail, size_t size)
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
int probe_binfmt_misc_in_userns(const struct check_context *ctx, char *detail, size_t size)
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
bool run_probe(const struct probe_item *item, const struct check_context *ctx, char *detail,
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
