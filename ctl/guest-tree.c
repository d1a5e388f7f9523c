/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a Debian tree needs before its systemd boots in an x86ns container,
 * and running a program of another machine in it. The tree is opened with
 * openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS: package scripts wrote it,
 * and nothing here follows their links out.
 * Runs in: x86nsctl, as root, host namespaces (except where a function
 * says otherwise). */

#include "guest-tree.h"

#include "tree.h"
#include "idmap.h"
#include "safe-open.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* Units that cannot work in a user-namespaced x86ns container, masked with
 * a link to /dev/null in the guest's /etc/systemd/system; a unit is masked
 * only when the tree ships it (shipped_as: the file that provides it).
 * Measured with a bookworm tree (systemd 252) booted in a user namespace:
 * with these masked the state is "running" and no unit fails. Deliberately
 * not masked: systemd-logind (it works and gives each login its session
 * and /run/user); the API-filesystem mounts and systemd-remount-fs (they
 * skip themselves by condition in a container); the timers (apt-daily,
 * e2scrub_all, fstrim, dpkg-db-backup: they start and succeed or skip). */
struct masked_unit {
	const char *unit;
	const char *shipped_as;
	const char *reason;
};

static const struct masked_unit masked_units[] = {
	{ "console-getty.service", "console-getty.service",
	  "no login prompt on /dev/console: x86ns hands a terminal to each login itself, "
	  "and the console is the guest's log (unmasked, agetty runs on it)" },
	{ "getty@tty1.service", "getty@.service",
	  "no login prompt on a virtual terminal: a container has none" },
};

/* Files debootstrap leaves that a guest does not need (about 90 MB):
 * downloaded packages and the package lists, which "apt-get update" in the
 * guest fetches again. Only regular files directly in each directory. */
struct cache_dir {
	const char *path;
	const char *suffix; /* NULL: every file */
	const char *keep;   /* NULL: none */
};

static const struct cache_dir apt_cache_dirs[] = {
	{ "var/cache/apt/archives", ".deb", NULL },
	{ "var/cache/apt/archives/partial", NULL, NULL },
	{ "var/cache/apt", ".bin", NULL },
	{ "var/lib/apt/lists", NULL, "lock" },
	{ "var/lib/apt/lists/partial", NULL, NULL },
};

static int tree_failed(struct guest_tree *t, const char *path, int r)
{
	snprintf(t->failed, sizeof(t->failed), "/%s", path);
	return r;
}

static int write_tree_file(struct guest_tree *t, const char *path, const char *text, mode_t mode)
{
	_cleanup_close_ int fd = -1;
	int r = open_beneath_ret(t->root_fd, path, O_WRONLY | O_CREAT | O_TRUNC, mode, &fd);
	if (r == 0 && (fchown(fd, 0, 0) < 0 || fchmod(fd, mode) < 0))
		r = negerrno();
	if (r == 0)
		r = write_all(fd, text, strlen(text));
	return r < 0 ? tree_failed(t, path, r) : 0;
}

/* D-Bus reads /var/lib/dbus/machine-id before /etc/machine-id; debootstrap
 * leaves a fixed id there that every container would share. */
int guest_tree_reset_machine_id(struct guest_tree *t)
{
	int r = write_tree_file(t, "etc/machine-id", "", 0444);
	if (r < 0)
		return r;
	_cleanup_close_ int dbus_fd = -1;
	r = open_beneath_ret(t->root_fd, "var/lib/dbus", O_RDONLY | O_DIRECTORY, 0, &dbus_fd);
	if (r == -ENOENT)
		return 0;
	struct stat st;
	if (r == 0 && fstatat(dbus_fd, "machine-id", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) &&
	    (unlinkat(dbus_fd, "machine-id", 0) < 0 ||
	     symlinkat("/etc/machine-id", dbus_fd, "machine-id") < 0 ||
	     fchownat(dbus_fd, "machine-id", 0, 0, AT_SYMLINK_NOFOLLOW) < 0))
		r = negerrno();
	return r < 0 ? tree_failed(t, "var/lib/dbus/machine-id", r) : 0;
}

/* debootstrap copies the host's /etc/hostname and writes no /etc/hosts;
 * the guest's own name must resolve without DNS (sudo, hostname -f). */
int guest_tree_set_hostname(struct guest_tree *t, const char *hostname)
{
	char text[2 * HOST_NAME_MAX + 128];
	int r = xsnprintf(text, sizeof(text), "%s\n", hostname);
	if (r >= 0)
		r = write_tree_file(t, "etc/hostname", text, 0644);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = -1;
	r = open_beneath_ret(t->root_fd, "etc/hosts", O_PATH, 0, &fd);
	if (r != -ENOENT)
		return r < 0 ? tree_failed(t, "etc/hosts", r) : 0;
	r = xsnprintf(text, sizeof(text),
		      "127.0.0.1\tlocalhost\n127.0.1.1\t%s\n"
		      "::1\t\tlocalhost ip6-localhost ip6-loopback\n"
		      "ff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n",
		      hostname);
	return r < 0 ? r : write_tree_file(t, "etc/hosts", text, 0644);
}

static bool unit_is_shipped(int root_fd, const char *unit)
{
	static const char *const dirs[] = { "usr/lib/systemd/system", "lib/systemd/system" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char path[PATH_MAX];
		/* RESOLVE_IN_ROOT: the guest's own /lib -> usr/lib link applies */
		if (xsnprintf(path, sizeof(path), "%s/%s", dirs[i], unit) < 0)
			continue;
		int fd = open_resolve(root_fd, path, O_PATH, 0, RESOLVE_IN_ROOT);
		if (fd >= 0) {
			close(fd);
			return true;
		}
	}
	return false;
}

int guest_tree_mask_units(struct guest_tree *t,
			  void (*masked)(const char *unit, const char *reason))
{
	static const char dir[] = "etc/systemd/system";
	_cleanup_close_ int dir_fd = -1;
	int r = open_beneath_ret(t->root_fd, dir, O_RDONLY | O_DIRECTORY, 0, &dir_fd);
	if (r < 0)
		return tree_failed(t, dir, r);
	for (size_t i = 0; i < ARRAY_SIZE(masked_units); i++) {
		const struct masked_unit *m = &masked_units[i];
		if (!unit_is_shipped(t->root_fd, m->shipped_as))
			continue;
		r = 0;
		if (symlinkat("/dev/null", dir_fd, m->unit) < 0) {
			/* only an existing mask is fine; an admin's unit is not replaced */
			char target[16];
			ssize_t n = readlinkat(dir_fd, m->unit, target, sizeof(target) - 1);
			if (n != 9 || memcmp(target, "/dev/null", 9) != 0)
				r = -EEXIST;
		}
		if (r == 0 && fchownat(dir_fd, m->unit, 0, 0, AT_SYMLINK_NOFOLLOW) < 0)
			r = negerrno();
		if (r < 0) {
			snprintf(t->failed, sizeof(t->failed), "/%s/%s", dir, m->unit);
			return r;
		}
		masked(m->unit, m->reason);
	}
	return 0;
}

static int remove_cache_files(int root_fd, const struct cache_dir *c, uint64_t *bytes)
{
	_cleanup_close_ int fd = -1;
	int r = open_beneath_ret(root_fd, c->path, O_RDONLY | O_DIRECTORY, 0, &fd);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	DIR *d = fdopendir(fd);
	if (!d)
		return negerrno();
	TAKE_FD(fd);
	struct dirent *de;
	size_t suffix_len = c->suffix ? strlen(c->suffix) : 0;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		struct stat st;
		if ((c->keep && strcmp(de->d_name, c->keep) == 0) ||
		    (c->suffix && (len <= suffix_len ||
				   strcmp(de->d_name + len - suffix_len, c->suffix) != 0)) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0) {
			r = negerrno();
			break;
		}
		*bytes += (uint64_t)st.st_blocks * 512;
	}
	closedir(d);
	return r;
}

int guest_tree_remove_apt_caches(struct guest_tree *t, uint64_t *bytes)
{
	for (size_t i = 0; i < ARRAY_SIZE(apt_cache_dirs); i++) {
		int r = remove_cache_files(t->root_fd, &apt_cache_dirs[i], bytes);
		if (r < 0)
			return tree_failed(t, apt_cache_dirs[i].path, r);
	}
	return 0;
}

/* mountinfo writes blanks and backslashes in a path as \ooo. */
static void unescape_mount_point(char *s)
{
	char *out = s;
	for (const char *in = s; *in; out++)
		if (in[0] == '\\' && strspn(in + 1, "01234567") >= 3) {
			*out = (char)(((in[1] - '0') << 6) | ((in[2] - '0') << 3) | (in[3] - '0'));
			in += 4;
		} else {
			*out = *in++;
		}
	*out = '\0';
}

static void unmount_beneath(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return;
	char *points[64];
	size_t n_points = 0, len = strlen(path);
	_cleanup_free_ char *line = NULL;
	size_t size = 0;
	while (getline(&line, &size, f) > 0 && n_points < ARRAY_SIZE(points)) {
		char point[PATH_MAX];
		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1)
			continue;
		unescape_mount_point(point);
		if (strncmp(point, path, len) == 0 && (point[len] == '/' || point[len] == '\0'))
			points[n_points++] = strdup(point);
	}
	/* mountinfo lists a mount after its parent: detach from the end */
	while (n_points > 0) {
		char *point = points[--n_points];
		if (point)
			umount2(point, MNT_DETACH | UMOUNT_NOFOLLOW);
		free(point);
	}
}

int guest_tree_remove(const char *path)
{
	unmount_beneath(path);
	return tree_remove_at(AT_FDCWD, path);
}

/* ---- a foreign-machine program in the tree --------------------------------- */

/* Every id a Debian tree uses ("nobody" is 65534), each to itself: the
 * files the command makes are owned as if host root had made them. */
#define RUN_ID_MAP "0 0 65536\n"
/* Network: a sysfs mount (the second stage makes one) needs a network
 * namespace of the user namespace; and the command needs no network. */
#define RUN_NAMESPACES                                                                             \
	(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC)

enum run_step {
	RUN_CREDENTIALS,
	RUN_PRIVATE,
	RUN_PROC,
	RUN_BINFMT,
	RUN_REGISTER,
	RUN_FORK,
	RUN_STDIO,
	RUN_CHROOT,
	RUN_EXEC,
};

/* What the namespaces' side reports when a set-up step failed; nothing
 * comes when the command is executing. */
struct run_failure {
	int step; /* enum run_step */
	int err;
};

/* Only what clone3 needs; avoids mixing <linux/sched.h> with <sched.h>. */
struct run_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

/* Runs in: the namespaces' init or the command's process, before execve. */
static void __attribute__((noreturn)) run_fail(int status_fd, enum run_step step)
{
	struct run_failure f = { .step = step, .err = errno > 0 ? errno : EIO };
	/* nothing more to do when the report cannot be written: the parent
	 * then sees the pipe close and the exit status */
	if (write(status_fd, &f, sizeof(f)) != (ssize_t)sizeof(f))
		_exit(126);
	_exit(127);
}

/* Runs in: the namespaces' init, uid 0 of the new user namespace, new mount
 * namespace, host root directory. The binfmt_misc instance belongs to the
 * new user namespace: exec in it and its descendants consults it first,
 * the host never sees it. The registration lasts as long as this mount,
 * that is as long as the mount namespace. */
static void run_register(const char *line, int status_fd)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		run_fail(status_fd, RUN_PRIVATE);
	/* The new pid namespace's proc, whose sys/fs/binfmt_misc is empty. */
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		run_fail(status_fd, RUN_PROC);
	if (mount("binfmt_misc", "/proc/sys/fs/binfmt_misc", "binfmt_misc",
		  MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		run_fail(status_fd, RUN_BINFMT);
	/* F: the kernel opens the translator now, by its host path; the tree
	 * never contains it. */
	int fd = open("/proc/sys/fs/binfmt_misc/register", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		run_fail(status_fd, RUN_REGISTER);
	close(fd);
}

/* Runs in: the command's process, new mount namespace. The path resolves
 * in this namespace's copy of the host's mounts; it must name the very
 * directory the build made (root_fd, opened in the host's namespace). */
static int run_chroot(const struct guest_tree *t, const char *root_path)
{
	_cleanup_close_ int fd = open(root_path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat here, built;
	if (fd < 0 || fstat(fd, &here) < 0 || fstat(t->root_fd, &built) < 0)
		return negerrno();
	if (here.st_dev != built.st_dev || here.st_ino != built.st_ino) {
		errno = ESTALE;
		return -ESTALE;
	}
	if (fchdir(fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
		return negerrno();
	return 0;
}

/* Runs in: the command's process (pid 2 of the new pid namespace), before
 * execve; the registration is in place. */
static void __attribute__((noreturn))
run_exec(const struct guest_tree *t, const struct tree_command *c, int status_fd)
{
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(c->out_fd, STDOUT_FILENO) < 0 ||
	    dup2(c->out_fd, STDERR_FILENO) < 0)
		run_fail(status_fd, RUN_STDIO);
	if (run_chroot(t, c->root_path) < 0)
		run_fail(status_fd, RUN_CHROOT);
	execve(c->argv[0], c->argv, c->envp);
	run_fail(status_fd, RUN_EXEC);
}

/* Runs in: the namespaces' init. It adopts every orphan of the command;
 * its own exit, when the command ends, kills what is left. */
static int run_reap(pid_t command)
{
	int status;
	for (;;) {
		pid_t pid = waitpid(-1, &status, 0);
		if (pid == command)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (pid < 0 && errno != EINTR)
			return 127;
	}
}

void guest_child_signals_default(void)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
}

/* Runs in: the clone3 child, pid 1 of the new pid namespace, in the new
 * user namespace; its id maps are written by the parent before go_fd
 * gives a byte. */
static void __attribute__((noreturn))
run_init(const struct guest_tree *t, const struct tree_command *c, const char *line, int go_fd,
	 int status_fd)
{
	/* x86nsctl's handlers would make this init take the signals the build
	 * sends to the command's process group; as init it ignores them. */
	guest_child_signals_default();
	char go;
	if (read(go_fd, &go, 1) != 1)
		_exit(127); /* the parent could not write the maps, and says why */
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0 || setgroups(0, NULL) < 0)
		run_fail(status_fd, RUN_CREDENTIALS);
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* x86nsctl killed: so is the build */
	run_register(line, status_fd);
	if (!c->argv)
		_exit(0);
	pid_t command = fork();
	if (command < 0)
		run_fail(status_fd, RUN_FORK);
	if (command == 0)
		run_exec(t, c, status_fd);
	/* the output ends when the command and its children end */
	close(c->out_fd);
	close(status_fd);
	_exit(run_reap(command));
}

static int write_id_map(pid_t pid, const char *file)
{
	char path[64];
	int r = xsnprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if (r < 0)
		return r;
	return idmap_file_write(AT_FDCWD, path, RUN_ID_MAP);
}

static void run_kill(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static int run_failed(struct guest_tree *t, const struct tree_command *c,
		      const struct run_failure *f)
{
	static const char *const steps[] = {
		[RUN_CREDENTIALS] = "become root of the new user namespace",
		[RUN_PRIVATE] = "make the new mount namespace's mounts private",
		[RUN_PROC] = "mount the new pid namespace's proc on /proc",
		[RUN_BINFMT] = "mount binfmt_misc in the new user namespace",
		[RUN_REGISTER] = "register the translator",
		[RUN_FORK] = "fork the command",
		[RUN_STDIO] = "open the command's standard input and output",
		[RUN_CHROOT] = "chroot into the tree",
		[RUN_EXEC] = "execute",
	};
	const char *step = (unsigned)f->step < ARRAY_SIZE(steps) ? steps[f->step] : "set up";
	if (f->step == RUN_BINFMT && (f->err == EPERM || f->err == ENODEV || f->err == EINVAL))
		snprintf(t->failed, sizeof(t->failed),
			 "%s: this needs Linux 6.7 or later, where each user namespace can "
			 "have a binfmt_misc of its own",
			 step);
	else if (f->step == RUN_REGISTER)
		snprintf(t->failed, sizeof(t->failed), "%s %s for %s", step, c->translator,
			 binfmt_machine_name(c->machine));
	else if (f->step == RUN_EXEC)
		snprintf(t->failed, sizeof(t->failed), "%s %s in the tree", step, c->argv[0]);
	else
		snprintf(t->failed, sizeof(t->failed), "%s", step);
	return -f->err;
}

/* The parent's half: id maps, then the go byte, then one report or none. */
static int run_parent(struct guest_tree *t, const struct tree_command *c, pid_t pid, int go_fd,
		      int status_fd)
{
	int r = write_id_map(pid, "gid_map");
	if (r >= 0)
		r = write_id_map(pid, "uid_map");
	if (r >= 0 && write(go_fd, "", 1) != 1)
		r = negerrno();
	if (r < 0) {
		run_kill(pid);
		snprintf(t->failed, sizeof(t->failed), "map ids 0-65535 in the new user namespace");
		return r;
	}
	struct run_failure f;
	ssize_t n;
	while ((n = read(status_fd, &f, sizeof(f))) < 0 && errno == EINTR)
		;
	if (n == 0)
		return 0; /* closed on exec, or by the init of a probe */
	run_kill(pid);
	if (n != (ssize_t)sizeof(f)) {
		snprintf(t->failed, sizeof(t->failed), "read the set-up's report");
		return n < 0 ? negerrno() : -EIO;
	}
	return run_failed(t, c, &f);
}

int guest_tree_run_start(struct guest_tree *t, const struct tree_command *c, pid_t *ret_pid)
{
	char line[512];
	int r = binfmt_register_line(c->machine, c->translator, line, sizeof(line));
	if (r < 0) {
		snprintf(t->failed, sizeof(t->failed), "the binfmt_misc registration of %s",
			 c->translator);
		return r;
	}
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return negerrno();
	_cleanup_close_ int go_read = fds[0], go_write = fds[1];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return negerrno();
	_cleanup_close_ int status_read = fds[0], status_write = fds[1];

	struct run_clone_args args = { .flags = RUN_NAMESPACES, .exit_signal = SIGCHLD };
	pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0) {
		snprintf(t->failed, sizeof(t->failed),
			 "clone3 into new user, mount, pid, network, UTS and IPC namespaces");
		return negerrno();
	}
	if (pid == 0) {
		close(go_write);
		close(status_read);
		run_init(t, c, line, go_read, status_write);
	}
	/* its own process group, so that a signal reaches every process of the
	 * command; set here too, before anything can signal the group */
	setpgid(pid, pid);
	close(TAKE_FD(go_read));
	close(TAKE_FD(status_write));
	r = run_parent(t, c, pid, go_write, status_read);
	if (r < 0)
		return r;
	*ret_pid = pid;
	return 0;
}

int guest_tree_run_probe(struct guest_tree *t, const struct tree_command *c)
{
	struct tree_command probe = *c;
	probe.argv = NULL;
	pid_t pid;
	int r = guest_tree_run_start(t, &probe, &pid);
	if (r < 0)
		return r;
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return negerrno();
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	snprintf(t->failed, sizeof(t->failed), "the set-up in new namespaces");
	return -EPROTO;
}
