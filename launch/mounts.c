/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "mounts.h"

#include "cgroup.h"
#include "safe-open.h"
#include "util.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

int mountpoint_open(int root_fd, const char *path, bool directory, int *ret_fd)
{
	char buf[4096];
	if (xsnprintf(buf, sizeof(buf), "%s", path) < 0)
		return -ENAMETOOLONG;
	_cleanup_close_ int cur = -1;
	int dir = root_fd;
	char *save = NULL;
	char *next;
	for (char *comp = strtok_r(buf, "/", &save); comp; comp = next) {
		next = strtok_r(NULL, "/", &save);
		if (strcmp(comp, "..") == 0 || strcmp(comp, ".") == 0)
			return -EINVAL;
		bool last = next == NULL;
		int fd;
		int r = open_beneath_ret(dir, comp, O_PATH | (last && !directory ? 0 : O_DIRECTORY),
					 0, &fd);
		if (r == -ENOENT) {
			if (last && !directory) {
				int cfd = openat(
				    dir, comp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
				    0644);
				if (cfd < 0)
					return negerrno();
				close(cfd);
			} else if (mkdirat(dir, comp, 0755) < 0 && errno != EEXIST) {
				return negerrno();
			}
			r = open_beneath_ret(
			    dir, comp, O_PATH | (last && !directory ? 0 : O_DIRECTORY), 0, &fd);
		}
		if (r < 0)
			return r;
		closep(&cur);
		cur = fd;
		dir = cur;
	}
	if (cur < 0)
		return -EINVAL;
	*ret_fd = TAKE_FD(cur);
	return 0;
}

static int fd_path(int fd, char *buf, size_t len)
{
	return xsnprintf(buf, len, "/proc/self/fd/%d", fd);
}

/* mount(2) onto an O_PATH fd through its /proc/self/fd magic link: the
 * target is exactly the inode we resolved safely, not a path to re-walk. */
static int mount_at(int root_fd, const char *path, bool directory, const char *source,
		    const char *fstype, unsigned long flags, const char *data)
{
	_cleanup_close_ int fd = -1;
	int r = mountpoint_open(root_fd, path, directory, &fd);
	if (r < 0)
		return r;
	char target[64];
	r = fd_path(fd, target, sizeof(target));
	if (r < 0)
		return r;
	if (mount(source, target, fstype, flags, data) < 0)
		return negerrno();
	return 0;
}

/* A file system of the container's own (tmpfs, devpts) on the directory
 * `path`: under SELinux it carries the label (",context=...", or "" or
 * NULL for none). */
static int mount_own_fs(int root_fd, const char *path, const char *fstype, unsigned long flags,
			const char *data, const char *label)
{
	char options[512];
	if (label && label[0]) {
		int r = xsnprintf(options, sizeof(options), "%s%s", data ? data : "",
				  data ? label : label + 1);
		if (r < 0)
			return r;
		data = options;
	}
	return mount_at(root_fd, path, true, fstype, fstype, flags, data);
}

int mount_move_fd(int mount_fd, int dir_fd, const char *name)
{
	if (syscall(SYS_move_mount, mount_fd, "", dir_fd, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return negerrno();
	return 0;
}

static int setattr_recursive(int root_fd, const char *path, uint64_t attrs)
{
	_cleanup_close_ int fd = -1;
	int r = mountpoint_open(root_fd, path, true, &fd);
	if (r < 0)
		return r;
	struct mount_attr attr = { .attr_set = attrs };
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) <
	    0)
		return negerrno();
	return 0;
}

int mounts_proc(int root_fd)
{
	return mount_at(root_fd, "proc", true, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			NULL);
}

int mounts_sys(int root_fd, bool own_network)
{
	/* A fresh sysfs needs a network namespace of our own; with the host
	 * network, bind the host's /sys and make the whole tree read-only. */
	if (own_network)
		return mount_at(root_fd, "sys", true, "sysfs", "sysfs",
				MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	int r = mount_at(root_fd, "sys", true, "/sys", NULL, MS_BIND | MS_REC, NULL);
	if (r < 0)
		return r;
	return setattr_recursive(root_fd, "sys",
				 MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				     MOUNT_ATTR_NOEXEC);
}

/* The guest sees only its own cgroup (we are in a cgroup namespace rooted
 * at the container's cgroup): the host's hierarchies below the /sys bind
 * are covered. */
int mounts_cgroup(int root_fd, const char *label)
{
	enum cgroup_layout layout;
	int r = cgroup_detect(&layout);
	if (r < 0)
		return r;
	const unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	/* Every layout starts with a tmpfs: with the host's /sys bound in, the
	 * host's cgroup2 sits right here on a unified host, and the kernel
	 * refuses to mount a file system on the root of a mount of the same
	 * one (EBUSY). */
	r = mount_own_fs(root_fd, "sys/fs/cgroup", "tmpfs", flags, "mode=0755,size=64k", label);
	if (r < 0)
		return r;
	if (layout == CGROUP_UNIFIED)
		return mount_at(root_fd, "sys/fs/cgroup", true, "cgroup2", "cgroup2", flags, NULL);
	struct stat st;
	if (layout == CGROUP_HYBRID && stat("/sys/fs/cgroup/unified", &st) == 0) {
		r = mount_at(root_fd, "sys/fs/cgroup/unified", true, "cgroup2", "cgroup2", flags,
			     NULL);
		if (r < 0)
			return r;
	}
	if (stat("/sys/fs/cgroup/systemd", &st) == 0) {
		r = mount_at(root_fd, "sys/fs/cgroup/systemd", true, "cgroup", "cgroup", flags,
			     "none,name=systemd");
		if (r < 0)
			return r;
	}
	/* Read-only only now: the mount points above had to be made first. */
	return mount_at(root_fd, "sys/fs/cgroup", true, NULL, NULL,
			MS_REMOUNT | MS_BIND | MS_RDONLY | flags, NULL);
}

static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };

static const struct {
	const char *name;
	const char *target;
} dev_links[] = {
	{ "ptmx", "pts/ptmx" },          { "fd", "/proc/self/fd" },
	{ "stdin", "/proc/self/fd/0" },  { "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" },
};

int mounts_dev(int root_fd, const char *label)
{
	int r = mount_own_fs(root_fd, "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME,
			     "mode=0755,size=64k,nr_inodes=512", label);
	if (r < 0)
		return r;
	_cleanup_close_ int dev_fd = -1;
	r = mountpoint_open(root_fd, "dev", true, &dev_fd);
	if (r < 0)
		return r;
	/* mknod is not allowed in a user namespace: bind the host's nodes. */
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
		char source[32], path[32];
		if (xsnprintf(source, sizeof(source), "/dev/%s", dev_nodes[i]) < 0 ||
		    xsnprintf(path, sizeof(path), "dev/%s", dev_nodes[i]) < 0)
			return -ENAMETOOLONG;
		r = mount_at(root_fd, path, false, source, NULL, MS_BIND, NULL);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++)
		if (symlinkat(dev_links[i].target, dev_fd, dev_links[i].name) < 0)
			return negerrno();
	r = mount_own_fs(root_fd, "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
			 "newinstance,ptmxmode=0666,mode=0620,gid=5,max=1024", label);
	if (r < 0)
		return r;
	r = mount_own_fs(root_fd, "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			 "mode=1777,size=25%", label);
	if (r < 0)
		return r;
	r = mount_at(root_fd, "dev/mqueue", true, "mqueue", "mqueue",
		     MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if (r < 0)
		return r;
	return 0;
}

/* Paths of /proc and /sys that tell about or act on the host (the union
 * of runc's, Moby's and systemd-nspawn's lists; research/security-anchors
 * 3.3). The kernel's own checks are the boundary (kcore needs CAP_SYS_RAWIO
 * of the host, sysrq-trigger belongs to unmapped host root); the masks are
 * defence in depth, and once lock_mounts has run guest root cannot remove
 * them. Paths this kernel lacks are skipped. */
static const char *const masked_files[] = {
	"proc/kcore",       "proc/keys",        "proc/latency_stats", "proc/timer_list",
	"proc/timer_stats", "proc/sched_debug", "proc/interrupts",    "proc/kallsyms",
};

static const char *const masked_dirs[] = {
	"proc/acpi",
	"proc/asound",
	"proc/scsi",
	"sys/firmware",
	"sys/devices/virtual/powercap",
	"sys/kernel/debug",
	"sys/kernel/tracing",
	"sys/kernel/security",
};

/* proc/sys stays writable below net/ with a network namespace of our own,
 * as in nspawn; the rest is the host's or no one's to change. */
static const char *const read_only_proc[] = {
	"proc/bus", "proc/fs", "proc/irq", "proc/sysrq-trigger", "proc/apm",
};

/* Open an existing path below root_fd, never creating it. */
static int existing_open(int root_fd, const char *path, int *ret_fd)
{
	return open_beneath_ret(root_fd, path, O_PATH, 0, ret_fd);
}

/* Bind what fd names onto itself, read-only or not (recursively for
 * /proc/sys, whose net/ submount keeps its own flags). */
static int bind_onto_itself(int fd, bool recursive, bool read_only)
{
	char path[64];
	int r = fd_path(fd, path, sizeof(path));
	if (r < 0)
		return r;
	_cleanup_close_ int tree =
	    (int)syscall(SYS_open_tree, AT_FDCWD, path,
			 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
	if (tree < 0)
		return negerrno();
	struct mount_attr attr = { .attr_set = (read_only ? MOUNT_ATTR_RDONLY : 0) |
					       MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
					       MOUNT_ATTR_NOEXEC };
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return negerrno();
	if (syscall(SYS_move_mount, tree, "", fd, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return negerrno();
	return 0;
}

/* /dev/null, checked by its device number: a mask must not become a bind
 * of something a path race put there (CVE-2025-31133). */
static int dev_null_open(int *ret_fd)
{
	_cleanup_close_ int fd = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return negerrno();
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		return -EPERM;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int mounts_mask(int root_fd, bool own_network, const char *label)
{
	_cleanup_close_ int null_fd = -1;
	int r = dev_null_open(&null_fd);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(masked_files); i++) {
		_cleanup_close_ int fd = -1;
		r = existing_open(root_fd, masked_files[i], &fd);
		if (r == -ENOENT)
			continue;
		if (r >= 0)
			r = mounts_bind_fd(root_fd, null_fd, masked_files[i], true);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(masked_dirs); i++) {
		_cleanup_close_ int fd = -1;
		r = existing_open(root_fd, masked_dirs[i], &fd);
		if (r == -ENOENT)
			continue;
		if (r >= 0)
			r = mount_own_fs(root_fd, masked_dirs[i], "tmpfs",
					 MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
					 "mode=0555,size=0,nr_inodes=1", label);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(read_only_proc); i++) {
		_cleanup_close_ int fd = -1;
		r = existing_open(root_fd, read_only_proc[i], &fd);
		if (r == -ENOENT)
			continue;
		if (r >= 0)
			r = bind_onto_itself(fd, false, true);
		if (r < 0)
			return r;
	}
	if (own_network) {
		_cleanup_close_ int net_fd = -1;
		r = existing_open(root_fd, "proc/sys/net", &net_fd);
		if (r >= 0)
			r = bind_onto_itself(net_fd, false, false);
		if (r < 0)
			return r;
	}
	_cleanup_close_ int sys_fd = -1;
	r = existing_open(root_fd, "proc/sys", &sys_fd);
	if (r >= 0)
		r = bind_onto_itself(sys_fd, true, true);
	return r;
}

/* The container's own binfmt_misc instance (Linux 6.7+); -EPERM, -ENODEV
 * or -EINVAL on kernels without one. Mounted over the read-only
 * /proc/sys, so that only its register file is writable, and only by
 * whoever holds CAP_SYS_ADMIN over this user namespace. */
int mounts_binfmt_misc(int root_fd, int *ret_register_fd)
{
	int r = mount_at(root_fd, "proc/sys/fs/binfmt_misc", true, "binfmt_misc", "binfmt_misc",
			 MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if (r < 0)
		return r;
	return open_beneath_ret(root_fd, "proc/sys/fs/binfmt_misc/register", O_WRONLY, 0,
				ret_register_fd);
}

int mounts_read_only(int root_fd, const char *path)
{
	return mount_at(root_fd, path, true, NULL, NULL,
			MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

int mounts_tmpfs(int root_fd, const char *path, const char *options, const char *label)
{
	return mount_own_fs(root_fd, path, "tmpfs", MS_NOSUID | MS_NODEV, options, label);
}

int mounts_bind_fd(int root_fd, int source_fd, const char *target, bool read_only)
{
	struct stat st;
	if (fstat(source_fd, &st) < 0)
		return negerrno();
	char src_path[64];
	int r = fd_path(source_fd, src_path, sizeof(src_path));
	if (r < 0)
		return r;
	r = mount_at(root_fd, target, S_ISDIR(st.st_mode), src_path, NULL, MS_BIND | MS_REC, NULL);
	if (r < 0)
		return r;
	uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (read_only ? MOUNT_ATTR_RDONLY : 0);
	if (!S_ISDIR(st.st_mode))
		return 0;
	return setattr_recursive(root_fd, target, attrs);
}

int mounts_bind(int root_fd, const char *source, const char *target, bool read_only)
{
	if (source[0] != '/' || target[0] != '/')
		return -EINVAL;
	/* The source is a host path that the user may control (their home):
	 * we run with the user's power only, and refuse a symlink as the last
	 * component so that the bind is of what the config names. */
	_cleanup_close_ int src = open(source, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (src < 0)
		return negerrno();
	return mounts_bind_fd(root_fd, src, target + 1, read_only);
}
